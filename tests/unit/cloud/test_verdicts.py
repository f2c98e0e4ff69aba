"""The fake scheduler's record of each select_destinations call: the hosts placement
offered, each filter's verdicts with Nova's reasons, the weights, the hosts selected."""

import pytest

from harness.cloud import exception
from harness.cloud.conf import Config
from harness.cloud.objects import Destination
from harness.fixtures import CloudFixture
from harness.verdicts import SERVICE_DOWN, SchedulingCall, render
from tests.unit.cloud.helpers import boot, hops, ranked, request_spec, select, service, uuid_n

HOSTS3 = ("host1", "host2", "host3")
NOVAS_FILTERS = ["ComputeFilter", "ComputeCapabilitiesFilter", "ImagePropertiesFilter",
                 "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter"]


def calls(cloud) -> list[SchedulingCall]:
    return [hop.facts["scheduling"] for hop in hops(cloud, "select_destinations")]


def removed(call, index=0):
    """{filter or check: {host: reason}} of the call's ``index``-th pass, those that
    removed any."""
    sort_pass = call.passes[index]
    return {v.name: v.removed for v in (*sort_pass.checks, *sort_pass.filters) if v.removed}


def test_a_move_records_the_hosts_offered_each_filter_the_weights_and_the_pick():
    with CloudFixture(hosts=ranked(*HOSTS3)) as cloud:
        select(cloud, request_spec(num_instances=2), [uuid_n(1)], alternates=True)
        [call] = calls(cloud)
        assert (call.asked, call.num_instances, call.alternates) == (1, 2, True)
        assert sorted(call.offered) == list(HOSTS3)
        [sort_pass] = call.passes
        assert [v.name for v in sort_pass.filters] == NOVAS_FILTERS
        assert [w.host for w in sort_pass.weighed] == list(HOSTS3)
        assert dict(sort_pass.weighed[0].scores) == {"CPUWeigher": 1.0, "RAMWeigher": 1.0}
        assert (call.selected, call.required) == (1, 1)
        assert call.selections == [("host1", ("host2", "host3"))]


def test_a_down_host_is_removed_by_the_compute_filter_with_nova_s_reason():
    with CloudFixture(hosts=ranked(*HOSTS3)) as cloud:
        # A forced-down compute cannot mark its provider disabled: placement still
        # offers it, and the ComputeFilter removes it.
        cloud.admin_api.put_service(service(cloud, "host1").uuid, {"forced_down": True})
        select(cloud, request_spec(), [uuid_n(1)])
        [call] = calls(cloud)
        assert removed(call) == {"ComputeFilter": {"host1": SERVICE_DOWN}}
        assert call.selections == [("host2", ())]
        assert "  ComputeFilter: host1 removed: service down" in render(call, 1)


def test_the_host_manager_s_own_checks_are_verdicts_too():
    with CloudFixture(hosts=HOSTS3) as cloud:
        select(cloud, request_spec(ignore_hosts=["HOST1"],
                                   requested_destination=Destination(host="host2")),
               [uuid_n(1)])
        [call] = calls(cloud)
        # The destination narrows placement's query to host2's tree: nothing else offered.
        assert call.offered == ("host2",)
        assert removed(call) == {}
    with CloudFixture(hosts=HOSTS3) as cloud:
        select(cloud, request_spec(ignore_hosts=["HOST1", "host3"]), [uuid_n(1)])
        assert removed(calls(cloud)[0]) == {"RequestSpec.ignore_hosts": {"host1": None,
                                                                          "host3": None}}


def test_ignoring_every_host_runs_no_filter_as_in_nova():
    with CloudFixture() as cloud:
        with pytest.raises(exception.NoValidHost):
            select(cloud, request_spec(ignore_hosts=["host1", "host2"]), [uuid_n(1)])
        [call] = calls(cloud)
        [sort_pass] = call.passes
        assert (sort_pass.filtered, sort_pass.filters, sort_pass.weighed) == (False, [], None)
        assert (call.selected, call.required, call.error) == (0, 1, "NoValidHost")
        assert "filters not run: no host left" in "\n".join(render(call, 1))


def test_a_forced_host_skips_the_filters():
    with CloudFixture(hosts=HOSTS3) as cloud:
        select(cloud, request_spec(force_hosts=["host3"]), [uuid_n(1)])
        [sort_pass] = calls(cloud)[0].passes
        assert sort_pass.filtered is False
        assert sort_pass.filters == []
        assert [w.host for w in sort_pass.weighed] == ["host3"]


def test_filters_nova_runs_once_per_request_only_check_the_first_instance():
    with CloudFixture(hosts=HOSTS3) as cloud:
        boot(cloud, count=2)
        [call] = calls(cloud)
        first, second, alternates = call.passes
        assert [v.name for v in first.filters] == NOVAS_FILTERS
        assert [v.name for v in second.filters] == ["ServerGroupAntiAffinityFilter",
                                                     "ServerGroupAffinityFilter"]
        assert (first.index, second.index, alternates.index) == (0, 1, 1)


def test_a_lone_host_is_not_weighed_as_nova_leaves_it():
    with CloudFixture(hosts=("host1",)) as cloud:
        select(cloud, request_spec(), [uuid_n(1)])
        [sort_pass] = calls(cloud)[0].passes
        [weighed] = sort_pass.weighed
        assert (weighed.host, weighed.weight, weighed.scores) == ("host1", 0.0, ())
        assert "  weighed: host1 (the only host: not weighed)" in render(calls(cloud)[0], 1)


def test_a_full_anti_affinity_host_is_removed_without_a_reason_as_nova_logs_none():
    group = {"policy": "anti-affinity", "name": "g"}
    with CloudFixture(hosts=ranked("host1", "host2")) as cloud:
        group_id = cloud.admin_api.post_server_groups(group)["id"]
        cloud.admin_api.post_server({"server": {
            "name": "s", "imageRef": "155d900f-4e14-4e4c-a73d-069cbf4541e6",
            "flavorRef": cloud.admin_api.post_flavor({"flavor": {
                "name": "small", "vcpus": 1, "ram": 512, "disk": 1}})["id"],
            "min_count": 2}, "os:scheduler_hints": {"group": group_id}})
        [call] = calls(cloud)
        assert removed(call, 1) == {"ServerGroupAntiAffinityFilter": {"host1": None}}
        assert "ServerGroupAntiAffinityFilter: host1 removed" in "\n".join(render(call, 1))


def test_a_full_anti_affinity_host_records_the_members_the_scheduler_counted_there():
    with CloudFixture(hosts=ranked("host1", "host2")) as cloud:
        group_id = cloud.admin_api.post_server_groups(
            {"policy": "anti-affinity", "name": "g"})["id"]
        first = boot(cloud, group=group_id)[0]["id"]
        boot(cloud, group=group_id)
        verdict = calls(cloud)[-1].passes[0].filters[3]
        assert verdict.name == "ServerGroupAntiAffinityFilter"
        assert (verdict.removed, verdict.counted) == ({"host1": None}, {"host1": (first,)})
        assert (f"  ServerGroupAntiAffinityFilter: host1 removed: the scheduler counts {first} "
                "of the group there") in render(calls(cloud)[-1], 2)


def test_the_pike_driver_s_call_records_one_host_selected_two_required():
    with CloudFixture(scheduler="pike-16.0.0") as cloud:
        with pytest.raises(exception.NoValidHost):
            select(cloud, request_spec(num_instances=2), [uuid_n(1)])
        [call] = calls(cloud)
        assert (call.selected, call.required, call.error) == (1, 2, "NoValidHost")
        assert call.selections == []


def test_no_candidates_is_recorded_before_any_host_is_considered():
    with CloudFixture(hosts=("host1",)) as cloud:
        with pytest.raises(exception.NoValidHost):
            select(cloud, request_spec(memory_mb=100_000), [uuid_n(1)])
        [call] = calls(cloud)
        assert (call.no_candidates, call.offered, call.passes) == (True, None, [])
        assert render(call, 1)[1] == "  placement offered: nothing (no allocation candidates)"


def test_the_record_renders_as_explain_prints_it():
    config = Config(enabled_filters=("ComputeFilter",))
    with CloudFixture(hosts=ranked("host1", "host2"), config=config) as cloud:
        select(cloud, request_spec(), [uuid_n(1)])
        lines = render(calls(cloud)[0], 1)
    assert lines[:3] == [
        "select_destinations #1: 1 instance(s) asked; RequestSpec.num_instances = 1; "
        "1 host(s) required, 1 selected",
        "  placement offered: host1, host2",
        "  ComputeFilter: all 2 host(s) passed"]
    assert lines[3].startswith("  weighed: host1 2.00 (CPUWeigher 1.00, RAMWeigher 1.00), "
                               "host2 1.")
    assert lines[4:] == ["  selected: host1"]
