"""The scheduler: candidates, filters, weighers, claims, alternates, and its drivers."""

from unittest import mock

import pytest

from harness.cloud import exception
from harness.cloud.conf import Config
from harness.cloud.objects import Destination
from harness.cloud.scheduler import host_manager
from harness.cloud.scheduler.drivers import (
    PikeSchedulerManager,
    SchedulerLoadError,
    load_scheduler,
)
from harness.cloud.scheduler.manager import SchedulerManager
from harness.cloud.virt import NodeResources
from harness.fixtures import CloudFixture, HostSpec
from tests.unit.cloud.helpers import (
    LARGE,
    allocations,
    boot,
    hops,
    hosts_of,
    instance,
    live_migrate,
    ranked,
    request_spec,
    rp_uuid,
    select,
    service,
    uuid_n,
)

HOSTS3 = ("host1", "host2", "host3")
HOSTS4 = ("host1", "host2", "host3", "host4")


def test_a_two_server_multi_create_is_spread_over_two_hosts():
    with CloudFixture() as cloud:
        servers = boot(cloud, count=2)
        assert sorted(s["OS-EXT-SRV-ATTR:host"] for s in servers) == ["host1", "host2"]


def test_a_later_server_goes_to_the_host_with_more_free_resources():
    with CloudFixture() as cloud:
        [first] = boot(cloud)
        [second] = boot(cloud)
        assert first["OS-EXT-SRV-ATTR:host"] != second["OS-EXT-SRV-ATTR:host"]


def test_the_host_with_most_free_resources_is_selected():
    with CloudFixture(hosts=ranked("host2", "host3", "host1")) as cloud:
        assert hosts_of(select(cloud, request_spec(), [uuid_n(1)])) == [["host2"]]


def test_negative_weight_multipliers_stack_servers_on_one_host():
    config = Config(weight_multipliers={"RAMWeigher": -1.0, "CPUWeigher": -1.0,
                                        "DiskWeigher": -1.0})
    with CloudFixture(config=config) as cloud:
        servers = boot(cloud, count=2)
        assert len({s["OS-EXT-SRV-ATTR:host"] for s in servers}) == 1


def test_ignore_hosts_excludes_those_hosts():
    with CloudFixture(hosts=HOSTS3) as cloud:
        selections = select(cloud, request_spec(ignore_hosts=["HOST1", "host2"]), [uuid_n(1)])
        assert hosts_of(selections) == [["host3"]]


def test_requested_destination_limits_candidates_and_hosts_to_it():
    with CloudFixture(hosts=HOSTS3) as cloud:
        spec = request_spec(requested_destination=Destination(host="host3"))
        assert hosts_of(select(cloud, spec, [uuid_n(1)])) == [["host3"]]
        [query] = hops(cloud, "get_allocation_candidates")
        assert query.args["in_tree"] == rp_uuid(cloud, "host3")[:8]


def test_requested_destination_with_several_nodes_filters_on_the_host():
    nodes = {"host3-a": NodeResources(), "host3-b": NodeResources()}
    with CloudFixture(hosts=[*ranked("host1", "host2"), HostSpec("host3", nodes)]) as cloud:
        spec = request_spec(requested_destination=Destination(host="host3"))
        assert hosts_of(select(cloud, spec, [uuid_n(1)])) == [["host3"]]
        [query] = hops(cloud, "get_allocation_candidates")
        assert "in_tree" not in query.args


def test_a_requested_destination_that_is_ignored_leaves_no_valid_host():
    with CloudFixture() as cloud:
        spec = request_spec(requested_destination=Destination(host="host2"),
                            ignore_hosts=["host2"])
        with pytest.raises(exception.NoValidHost):
            select(cloud, spec, [uuid_n(1)])
        assert cloud.placement.consumers == {}


@pytest.mark.parametrize("update", [{"status": "disabled"}, {"forced_down": True}])
def test_a_disabled_or_forced_down_service_is_filtered_out(update):
    with CloudFixture() as cloud:
        cloud.admin_api.put_service(service(cloud, "host1").uuid, update)
        selections = select(cloud, request_spec(), [uuid_n(1), uuid_n(2)])
        assert hosts_of(selections) == [["host2"], ["host2"]]


def test_only_disabled_hosts_leave_no_valid_host():
    with CloudFixture(hosts=["host1"]) as cloud:
        cloud.admin_api.put_service(service(cloud, "host1").uuid, {"status": "disabled"})
        with pytest.raises(exception.NoValidHost):
            select(cloud, request_spec(), [uuid_n(1)])


def test_forced_hosts_skip_the_filters():
    with CloudFixture() as cloud:
        cloud.admin_api.put_service(service(cloud, "host2").uuid, {"forced_down": True})
        selections = select(cloud, request_spec(force_hosts=["host2"]), [uuid_n(1)])
        assert hosts_of(selections) == [["host2"]]


def test_a_disabled_host_is_never_a_candidate_not_even_forced():
    # compute_status_filter: placement is asked for providers without the trait the
    # disabled service's compute put on them.
    with CloudFixture() as cloud:
        cloud.admin_api.put_service(service(cloud, "host2").uuid, {"status": "disabled"})
        with pytest.raises(exception.NoValidHost):
            select(cloud, request_spec(force_hosts=["host2"]), [uuid_n(1)])
        cloud.admin_api.put_service(service(cloud, "host2").uuid, {"status": "enabled"})
        assert hosts_of(select(cloud, request_spec(force_hosts=["host2"]), [uuid_n(1)])) == [
            ["host2"]]


def test_a_host_disabled_while_down_gets_the_trait_when_its_compute_starts():
    with CloudFixture() as cloud:
        host2 = service(cloud, "host2").uuid
        cloud.admin_api.put_service(host2, {"forced_down": True})
        cloud.admin_api.put_service(host2, {"status": "disabled"})
        rp = rp_uuid(cloud, "host2")
        assert "COMPUTE_STATUS_DISABLED" not in cloud.placement.get_traits(rp)
        cloud.computes["host2"].init_host()
        assert "COMPUTE_STATUS_DISABLED" in cloud.placement.get_traits(rp)


def test_forced_nodes_skip_the_filters():
    with CloudFixture() as cloud:
        cloud.admin_api.put_service(service(cloud, "host2").uuid, {"forced_down": True})
        selections = select(cloud, request_spec(force_nodes=["host2"]), [uuid_n(1)])
        assert hosts_of(selections) == [["host2"]]


def test_too_few_hosts_raise_no_valid_host_and_the_claims_made_are_deleted():
    with CloudFixture() as cloud:
        spec = request_spec(num_instances=3, memory_mb=LARGE["ram"])
        with pytest.raises(exception.NoValidHost, match="not enough hosts"):
            select(cloud, spec, [uuid_n(1), uuid_n(2), uuid_n(3)])
        claims = [h for h in hops(cloud, "put_allocations") if h.error is None]
        assert len(claims) == 2  # two were claimed before the third found no room
        assert [h.args["consumer"] for h in hops(cloud, "delete_allocations")] == [
            uuid_n(1)[:8], uuid_n(2)[:8]]
        assert cloud.placement.consumers == {}


def test_no_allocation_candidates_raise_no_valid_host_without_claiming():
    with CloudFixture() as cloud:
        with pytest.raises(exception.NoValidHost):
            select(cloud, request_spec(memory_mb=100000), [uuid_n(1)])
        assert hops(cloud, "put_allocations") == []


def test_pike_driver_refuses_a_one_instance_move_of_a_two_instance_spec():
    with CloudFixture(scheduler="pike-16.0.0") as cloud:
        with pytest.raises(exception.NoValidHost):
            select(cloud, request_spec(num_instances=2), [uuid_n(1)])
        assert allocations(cloud, uuid_n(1)) == {}


def test_fixed_driver_places_a_one_instance_move_of_a_two_instance_spec():
    with CloudFixture(scheduler="fixed") as cloud:
        [[selected]] = hosts_of(select(cloud, request_spec(num_instances=2), [uuid_n(1)]))
        assert list(allocations(cloud, uuid_n(1))) == [selected]


def test_the_scheduler_notes_the_numbers_behind_its_decision():
    with CloudFixture() as cloud:
        select(cloud, request_spec(num_instances=2), [uuid_n(1)])
        [hop] = hops(cloud, "select_destinations")
        call = hop.facts.pop("scheduling")
        assert (call.asked, call.num_instances, call.selected, call.required) == (1, 2, 1, 1)
        assert (call.force_hosts, call.ignore_hosts) == ((), ())
        assert hop.facts == {"requested_instances": 1, "spec_num_instances": 2,
                             "selected_hosts": 1, "required_count": 1}


def test_alternates_are_max_attempts_minus_one_and_never_the_selected_host():
    with CloudFixture(hosts=HOSTS4) as cloud:
        [host_list] = hosts_of(select(cloud, request_spec(), [uuid_n(1)], alternates=True))
        assert len(host_list) == 3
        assert host_list[0] not in host_list[1:]
        assert len(set(host_list)) == 3


def test_alternates_of_a_multi_create_exclude_every_selected_host():
    with CloudFixture(hosts=HOSTS4, config=Config(max_attempts=4)) as cloud:
        lists = hosts_of(select(cloud, request_spec(), [uuid_n(1), uuid_n(2)],
                                alternates=True))
        selected = {lists[0][0], lists[1][0]}
        assert len(selected) == 2
        assert all(len(hl) == 3 and not selected & set(hl[1:]) for hl in lists)


def test_alternates_are_not_claimed():
    with CloudFixture(hosts=HOSTS3) as cloud:
        [host_list] = hosts_of(select(cloud, request_spec(), [uuid_n(1)], alternates=True))
        assert list(allocations(cloud, uuid_n(1))) == [host_list[0]]
        assert len(cloud.placement.consumers) == 1


@pytest.mark.parametrize("max_attempts, expected", [(1, 1), (2, 2), (5, 3)])
def test_the_number_of_alternates_is_capped_by_max_attempts_and_hosts(max_attempts, expected):
    with CloudFixture(hosts=HOSTS3, config=Config(max_attempts=max_attempts)) as cloud:
        [host_list] = select(cloud, request_spec(), [uuid_n(1)], alternates=True)
        assert len(host_list) == expected


def test_without_return_alternates_only_the_selected_host_is_returned():
    with CloudFixture(hosts=HOSTS3) as cloud:
        assert len(select(cloud, request_spec(), [uuid_n(1)])[0]) == 1


def test_a_claim_refused_by_placement_falls_through_to_the_next_host():
    with CloudFixture(hosts=ranked("host1", "host2")) as cloud:
        real = cloud.placement.get_allocation_candidates
        host1 = rp_uuid(cloud, "host1")

        def candidates_then_race(*args, **kwargs):
            # Another scheduler fills host1 after the candidates were computed.
            result = real(*args, **kwargs)
            cloud.placement.put_allocations(
                "racer", {host1: {"resources": {"MEMORY_MB": 9728}}}, "p", "u", None)
            return result

        with mock.patch.object(cloud.placement, "get_allocation_candidates",
                               side_effect=candidates_then_race):
            assert hosts_of(select(cloud, request_spec(), [uuid_n(1)])) == [["host2"]]
        refused = [h for h in hops(cloud, "put_allocations") if h.error is not None]
        assert [h.args["providers"] for h in refused] == [f"[{host1[:8]}]"]
        assert list(allocations(cloud, uuid_n(1))) == ["host2"]


def test_unknown_filters_and_weighers_in_the_config_are_refused():
    with pytest.raises(ValueError, match="unknown filter"):
        host_manager.HostManager(None, Config(enabled_filters=("NUMAFilter",)))
    with pytest.raises(ValueError, match="unknown weighers"):
        host_manager.HostManager(None, Config(weight_multipliers={"MetricsWeigher": 1.0}))


# Drivers


def test_builtin_drivers_load_by_name():
    assert load_scheduler("fixed") is SchedulerManager
    assert load_scheduler("pike-16.0.0") is PikeSchedulerManager


def test_a_plugin_loads_as_module_colon_class():
    cls = load_scheduler("tests.functional.plugin_schedulers:PikeStyleCheck")
    assert issubclass(cls, SchedulerManager) and cls.__name__ == "PikeStyleCheck"


@pytest.mark.parametrize("name, message", [
    ("queens", "unknown scheduler 'queens'"),
    ("no_such_module_xyz:Cls", "cannot import scheduler module 'no_such_module_xyz'"),
    ("tests.functional.plugin_schedulers:Missing", "has no attribute 'Missing'"),
    ("tests.functional.plugin_schedulers:NOT_A_SCHEDULER", "is not a subclass"),
])
def test_a_bad_scheduler_name_raises_a_load_error_saying_why(name, message):
    with pytest.raises(SchedulerLoadError, match=message):
        load_scheduler(name)


def _instances_seen(cloud: CloudFixture) -> dict[str, set[str]]:
    """Each host's instances as the scheduler's filters would see them now."""
    manager = cloud.scheduler_manager.host_manager
    return {h.host: set(h.instances)
            for h in manager.get_host_states_by_uuids(None, None, request_spec())}


def test_a_host_that_reported_one_instance_is_read_from_the_database_until_it_reports_again():
    with CloudFixture(hosts=ranked("host1", "host2")) as cloud:
        manager = cloud.scheduler_manager.host_manager
        [server] = boot(cloud)
        # The build's report of one instance, from a host the scheduler did not know:
        # Nova reads that host from the database then, and for every request after.
        assert not manager._instance_info["host1"].updated
        assert _instances_seen(cloud)["host1"] == {server["id"]}
        instance(cloud, server["id"]).destroy()  # gone without a report
        assert _instances_seen(cloud)["host1"] == set()


def test_a_known_host_s_reports_are_trusted_stale_or_not():
    with CloudFixture(hosts=ranked("host1", "host2")) as cloud:
        manager = cloud.scheduler_manager.host_manager
        [server] = boot(cloud)
        manager.update_instance_info("host1", ["elsewhere"])
        assert manager._instance_info["host1"].updated
        instance(cloud, server["id"]).destroy()  # no report of it
        assert _instances_seen(cloud)["host1"] == {server["id"], "elsewhere"}
        manager.delete_instance_info("host1", "elsewhere")
        assert _instances_seen(cloud)["host1"] == {server["id"]}


def test_an_unknown_host_s_list_of_several_is_taken_as_it_is():
    with CloudFixture(hosts=ranked("host1", "host2")) as cloud:
        manager = cloud.scheduler_manager.host_manager
        manager.update_instance_info("host2", ["a", "b"])
        assert _instances_seen(cloud)["host2"] == {"a", "b"}
        # A delete from an unknown host: re-read from the database, and not trusted.
        manager.delete_instance_info("host1", "a")
        assert not manager._instance_info["host1"].updated


def test_a_live_migration_s_source_reports_the_server_it_no_longer_has():
    with CloudFixture(hosts=ranked("host1", "host2")) as cloud:
        [server] = boot(cloud)
        mark = cloud.trace.mark()
        live_migrate(cloud, server["id"])
        [report] = hops(cloud, "update_instance_info", since=mark)
        assert report.source == "compute.host1"
        assert report.args == {"host_name": "host1", "instance_info": f"[{server['id'][:8]}]"}
        assert instance(cloud, server["id"]).host == "host2"
        assert _instances_seen(cloud) == {"host1": {server["id"]}, "host2": {server["id"]}}
