"""Regression test for bug #1718455, written as upstream's
nova/tests/functional/regressions/test_bug_1718455.py, against the fake cloud.
"""

from harness import test


class TestLiveMigrateOneOfConcurrentlyCreatedInstances(
        test.TestCase, test.InstanceHelperMixin):
    """Regression tests for bug #1718455

    When creating multiple instances at the same time, the RequestSpec record
    is persisting the number of concurrent instances.
    When moving one of those instances, the scheduler should not include
    num_instances > 1 in the request spec.
    It was partially fixed by bug #1708961 but we forgot to amend
    some place in the scheduler so that the right number of hosts was returned
    to the scheduler method calling both the Placement API and filters/weighers
    but we were verifying that returned size of hosts against a wrong number,
    which is the number of instances created concurrently.

    That test will create 2 concurrent instances and verify that when
    live-migrating one of them, we end up with a correct move operation.
    """

    microversion = 'latest'

    def setUp(self):
        super().setUp()

        api_fixture = self.start_service('api')
        self.api = api_fixture.admin_api
        self.admin_api = api_fixture.admin_api
        self.api.microversion = self.microversion

        self.start_service('conductor')
        self.start_service('scheduler')

        self.start_service('compute', host='host1')
        self.start_service('compute', host='host2')

    def _boot_servers(self, num_servers=1):
        server_req = self._build_server(networks='none')
        server_req.update({'min_count': str(num_servers),
                           'return_reservation_id': 'True'})
        response = self.api.post_server({'server': server_req})
        reservation_id = response['reservation_id']
        # lookup servers created by the multi-create request.
        servers = self.api.get_servers(detail=True,
                search_opts={'reservation_id': reservation_id})
        for idx, server in enumerate(servers):
            servers[idx] = self._wait_for_state_change(server, 'ACTIVE')
        return servers

    def test_live_migrate_one_multi_created_instance(self):
        # Boot two servers in a multi-create request
        servers = self._boot_servers(num_servers=2)

        # Take the first instance and verify which host the instance is there
        server = servers[0]
        original_host = server['OS-EXT-SRV-ATTR:host']
        target_host = 'host1' if original_host == 'host2' else 'host2'

        # Initiate live migration for that instance by targeting the other host
        post = {'os-migrateLive': {'block_migration': 'auto',
                                   'host': target_host}}

        # Since API version 2.34, live-migration pre-checks are done
        # asynchronously so even if we hit a NoValidHost exception by the
        # conductor, the API call will always succeed with a HTTP202 response
        # code. In order to verify whether the migration succeeded, we need to
        # lookup the migrations API.
        self.api.post_server_action(server['id'], post)

        # The fake cloud is done when the call returns: no polling. A
        # migration that ended in "error" fails here at once.
        migration = self._wait_for_migration_status(server, ['completed'])

        self.assertEqual('live-migration', migration['migration_type'])
        self.assertEqual(original_host, migration['source_compute'])

        # Verify that the migration succeeded as the instance is now on the
        # destination node.
        server = self.api.get_server(server['id'])
        self.assertEqual(target_host, server['OS-EXT-SRV-ATTR:host'])
