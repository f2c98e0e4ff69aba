"""The TestCase and InstanceHelperMixin, used as a test author would."""

import testtools

from harness import test


class HelpersTest(test.TestCase, test.InstanceHelperMixin):
    def setUp(self):
        super().setUp()
        api = self.start_service("api")
        self.api, self.admin_api = api.api, api.admin_api
        self.start_service("conductor")
        self.start_service("scheduler")
        self.start_service("compute", host="host1")
        self.start_service("compute", host="host2")

    def test_create_servers_boots_a_batch_in_launch_order(self):
        servers = self._create_servers(2)
        self.assertEqual(["server-1", "server-2"], [s["name"] for s in servers])
        self.assertEqual({"host1", "host2"}, {s["OS-EXT-SRV-ATTR:host"] for s in servers})

    def test_live_migrate_moves_the_server(self):
        server = self._create_servers(1)[0]
        source = server["OS-EXT-SRV-ATTR:host"]
        target = "host2" if source == "host1" else "host1"
        moved = self._live_migrate(server, host=target)
        self.assertEqual(target, moved["OS-EXT-SRV-ATTR:host"])

    def test_waiting_for_a_state_the_server_is_not_in_fails_at_once(self):
        server = self._create_servers(1)[0]
        with testtools.ExpectedException(AssertionError, ".*expected {'status': 'ERROR'}.*"):
            self._wait_for_state_change(server, "ERROR")

    def test_waiting_for_a_migration_that_never_happened_fails(self):
        server = self._create_servers(1)[0]
        with testtools.ExpectedException(AssertionError, "no migration record.*"):
            self._wait_for_migration_status(server, ["completed"])
