"""The conductor: multi-create scheduling and burial, and the live-migration task."""

from unittest import mock

from harness.cloud import exception
from harness.cloud.conf import Config
from harness.cloud.objects import RequestSpec
from harness.fixtures import CloudFixture
from tests.unit.cloud.helpers import (
    LARGE,
    allocations,
    boot,
    hops,
    instance,
    live_migrate,
    make_flavor,
    migrations,
    ranked,
    rp_uuid,
    used_on,
)

# The weighers prefer host1, then host2, then host3: a server boots on host1 and
# a live migration tries host2 first.
HOSTS2 = ranked("host1", "host2")
HOSTS3 = ranked("host1", "host2", "host3")


def precheck_fails(cloud: CloudFixture, host: str, error: Exception | None = None):
    return mock.patch.object(
        cloud.computes[host].driver, "check_can_live_migrate_destination",
        side_effect=error or exception.MigrationPreCheckError(reason="x"))


# Multi-create


def test_a_multi_create_asks_the_scheduler_once_for_every_instance():
    with CloudFixture() as cloud:
        servers = boot(cloud, count=3, flavor=make_flavor(cloud))
        [hop] = hops(cloud, "select_destinations")
        assert hop.args["instance_uuids"] == "[" + ", ".join(
            s["id"][:8] for s in servers) + "]"
        assert {s["status"] for s in servers} == {"ACTIVE"}


def test_a_multi_create_that_cannot_fit_puts_every_server_in_error_with_a_fault():
    with CloudFixture() as cloud:
        servers = boot(cloud, count=3, flavor=make_flavor(cloud, **LARGE))
        assert [s["status"] for s in servers] == ["ERROR"] * 3
        assert all(s["fault"]["message"].startswith("No valid host was found")
                   for s in servers)
        assert all("_ensure_sufficient_hosts" in s["fault"]["details"] for s in servers)
        assert [instance(cloud, s["id"]).host for s in servers] == [None] * 3
        assert cloud.placement.consumers == {}
        assert hops(cloud, "build_and_run_instance") == []


# Live migration: the scheduler picks the host


def test_live_migration_without_a_host_moves_to_the_other_host():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        live_migrate(cloud, server["id"])
        [migration] = migrations(cloud, server["id"])
        assert (migration.status, migration.source_compute, migration.dest_compute) == (
            "completed", "host1", "host2")
        assert cloud.admin_api.get_server(server["id"])["OS-EXT-SRV-ATTR:host"] == "host2"
        assert list(allocations(cloud, server["id"])) == ["host2"]
        assert allocations(cloud, migration.uuid) == {}


def test_live_migration_asks_the_scheduler_for_one_instance_ignoring_the_source():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        mark = cloud.trace.mark()
        live_migrate(cloud, server["id"])
        [hop] = hops(cloud, "select_destinations", since=mark)
        assert hop.args["instance_uuids"] == f"[{server['id'][:8]}]"
        assert "ignore_hosts=['host1']" in hop.args["spec_obj"]


def test_live_migration_to_a_requested_host_goes_there_through_the_scheduler():
    with CloudFixture(hosts=HOSTS3) as cloud:
        [server] = boot(cloud)
        mark = cloud.trace.mark()
        live_migrate(cloud, server["id"], host="host3")
        [hop] = hops(cloud, "select_destinations", since=mark)
        assert "requested_destination=host3" in hop.args["spec_obj"]
        assert instance(cloud, server["id"]).host == "host3"
        spec = RequestSpec.get_by_instance_uuid(cloud.db, server["id"])
        assert (spec.requested_destination, spec.ignore_hosts) == (None, None)


def test_live_migration_retries_a_third_host_when_the_first_precheck_fails():
    with CloudFixture(hosts=HOSTS3) as cloud:
        [server] = boot(cloud)
        with precheck_fails(cloud, "host2"):
            live_migrate(cloud, server["id"])
        [failed] = hops(cloud, "check_can_live_migrate_destination", topic="compute.host2")
        assert isinstance(failed.error, exception.MigrationPreCheckError)
        assert instance(cloud, server["id"]).host == "host3"
        assert migrations(cloud, server["id"])[0].status == "completed"
        assert list(allocations(cloud, server["id"])) == ["host3"]
        assert used_on(cloud, "host2") == {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0}


def test_the_failed_destinations_claim_is_removed_before_the_next_try():
    with CloudFixture(hosts=HOSTS3) as cloud:
        [server] = boot(cloud)
        mark = cloud.trace.mark()
        with precheck_fails(cloud, "host2"):
            live_migrate(cloud, server["id"])
        removal = [h for h in hops(cloud, "put_allocations", since=mark)
                   if h.source == "conductor"]
        assert [h.args["providers"] for h in removal] == ["[]"]
        selects = hops(cloud, "select_destinations", since=mark)
        assert removal[0].seq > selects[0].seq and removal[0].seq < selects[1].seq
        assert "ignore_hosts=['host1', 'host2']" in selects[1].args["spec_obj"]


def test_migrate_max_retries_zero_gives_max_retries_exceeded_and_keeps_the_server():
    with CloudFixture(hosts=HOSTS3, config=Config(migrate_max_retries=0)) as cloud:
        [server] = boot(cloud)
        before = allocations(cloud, server["id"])
        with precheck_fails(cloud, "host2"):
            live_migrate(cloud, server["id"])
        [hop] = hops(cloud, "live_migrate_instance")
        assert isinstance(hop.error, exception.MaxRetriesExceeded)
        [migration] = migrations(cloud, server["id"])
        assert migration.status == "error"
        view = cloud.admin_api.get_server(server["id"])
        assert (view["status"], view["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", "host1")
        assert view["OS-EXT-STS:task_state"] is None
        assert allocations(cloud, server["id"]) == before == {"host1": before["host1"]}
        assert allocations(cloud, migration.uuid) == {}


def test_no_host_left_after_retries_is_no_valid_host_and_keeps_the_server():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        before = allocations(cloud, server["id"])
        with precheck_fails(cloud, "host2"):
            live_migrate(cloud, server["id"])
        [hop] = hops(cloud, "live_migrate_instance")
        assert type(hop.error) is exception.NoValidHost
        assert migrations(cloud, server["id"])[0].status == "error"
        assert instance(cloud, server["id"]).host == "host1"
        assert allocations(cloud, server["id"]) == before


# Live migration: forced host


def test_a_forced_host_bypasses_the_scheduler_but_claims_in_placement():
    with CloudFixture(hosts=HOSTS3) as cloud:
        [server] = boot(cloud)
        mark = cloud.trace.mark()
        live_migrate(cloud, server["id"], host="host3", force=True)
        assert hops(cloud, "select_destinations", since=mark) == []
        [claim] = [h for h in hops(cloud, "put_allocations", since=mark)
                   if h.source == "conductor"]
        assert claim.args["providers"] == f"[{rp_uuid(cloud, 'host3')[:8]}]"
        assert claim.error is None
        assert instance(cloud, server["id"]).host == "host3"
        assert list(allocations(cloud, server["id"])) == ["host3"]


def test_a_forced_host_without_the_memory_is_refused_before_any_claim():
    # The conductor's own memory check comes before placement is asked.
    with CloudFixture() as cloud:
        servers = boot(cloud, count=2, flavor=make_flavor(cloud, **LARGE))
        source, full = (s["OS-EXT-SRV-ATTR:host"] for s in servers)
        before = {s["id"]: allocations(cloud, s["id"]) for s in servers}
        mark = cloud.trace.mark()
        live_migrate(cloud, servers[0]["id"], host=full, force=True)
        [hop] = hops(cloud, "live_migrate_instance")
        assert isinstance(hop.error, exception.MigrationPreCheckError)
        assert "Lack of memory" in str(hop.error)
        assert not hops(cloud, "put_allocations", since=mark)
        assert migrations(cloud, servers[0]["id"])[0].status == "error"
        assert instance(cloud, servers[0]["id"]).host == source
        assert {s["id"]: allocations(cloud, s["id"]) for s in servers} == before


def test_a_forced_host_whose_precheck_fails_gives_its_claim_back():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        with precheck_fails(cloud, "host2"):
            live_migrate(cloud, server["id"], host="host2", force=True)
        assert isinstance(hops(cloud, "live_migrate_instance")[0].error,
                          exception.MigrationPreCheckError)
        assert list(allocations(cloud, server["id"])) == ["host1"]
        assert used_on(cloud, "host2")["MEMORY_MB"] == 0


def test_a_forced_migration_to_the_source_host_is_refused():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        before = allocations(cloud, server["id"])
        live_migrate(cloud, server["id"], host="host1", force=True)
        assert isinstance(hops(cloud, "live_migrate_instance")[0].error,
                          exception.UnableToMigrateToSelf)
        assert migrations(cloud, server["id"])[0].status == "error"
        assert allocations(cloud, server["id"]) == before


# Live migration: other failures


def test_a_down_source_host_fails_before_touching_allocations():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        before = allocations(cloud, server["id"])
        host1 = cloud.admin_api.get_services(host="host1")[0]["id"]
        cloud.admin_api.put_service(host1, {"forced_down": True})
        mark = cloud.trace.mark()
        live_migrate(cloud, server["id"])
        assert isinstance(hops(cloud, "live_migrate_instance")[0].error,
                          exception.ComputeServiceUnavailable)
        assert hops(cloud, "move_allocations", since=mark) == []
        assert allocations(cloud, server["id"]) == before
        assert cloud.admin_api.get_server(server["id"])["status"] == "ACTIVE"


def test_an_unexpected_error_puts_the_server_in_error_as_a_migration_error():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        before = allocations(cloud, server["id"])
        with precheck_fails(cloud, "host2", RuntimeError("libvirt exploded")):
            live_migrate(cloud, server["id"])
        error = hops(cloud, "live_migrate_instance")[0].error
        assert isinstance(error, exception.MigrationError)
        assert "libvirt exploded" in str(error)
        assert instance(cloud, server["id"]).vm_state == "error"
        assert migrations(cloud, server["id"])[0].status == "error"
        assert allocations(cloud, server["id"]) == before


def test_pike_scheduler_fails_a_live_migration_of_a_multi_created_server():
    with CloudFixture(scheduler="pike-16.0.0") as cloud:
        servers = boot(cloud, count=2)
        before = {s["id"]: allocations(cloud, s["id"]) for s in servers}
        live_migrate(cloud, servers[0]["id"])
        assert isinstance(hops(cloud, "live_migrate_instance")[0].error,
                          exception.NoValidHost)
        assert migrations(cloud, servers[0]["id"])[0].status == "error"
        assert {s["id"]: allocations(cloud, s["id"]) for s in servers} == before


def test_fixed_scheduler_live_migrates_a_multi_created_server():
    with CloudFixture(scheduler="fixed") as cloud:
        servers = boot(cloud, count=2)
        live_migrate(cloud, servers[0]["id"])
        assert migrations(cloud, servers[0]["id"])[0].status == "completed"
        assert instance(cloud, servers[0]["id"]).host == servers[1]["OS-EXT-SRV-ATTR:host"]
