"""diff(): outcomes compared field by field, up to renaming interchangeable hosts."""

import dataclasses

from harness.scenario.diff import diff
from harness.scenario.model import (
    CloudDef,
    Expect,
    FlavorDef,
    HostDef,
)
from harness.scenario.outcome import (
    MigrationState,
    Outcome,
    RequestSpecState,
    ServerState,
    StepOutcome,
)
from harness.scenario.steps import CreateStep, LiveMigrateStep
from harness.verdicts import FilterVerdict, HostWeight, SchedulingCall
from tests.unit.scenario.builders import SCENARIO, SMALL

CREATE = CreateStep(index=0, expect=Expect(), actor="admin", flavor="small", count=2)
MOVE = LiveMigrateStep(index=1, expect=Expect(), actor="admin", server=0)
SPEC = RequestSpecState(num_instances=2, flavor="small")


def server(index, host):
    return ServerState(index=index, name=f"server-{index + 1}", status="ACTIVE", host=host,
                       node=host, task_state=None, flavor="small")


def outcome(first, second, moved_to, scenario=SCENARIO, migration_status="completed"):
    """Two servers created on ``first`` and ``second``; server 0 moved to ``moved_to``."""
    created = StepOutcome(step=CREATE, api_status=202,
                          servers=(server(0, first), server(1, second)),
                          request_specs={0: SPEC, 1: SPEC},
                          allocations={"server 0": {first: SMALL}, "server 1": {second: SMALL}})
    moved = StepOutcome(step=MOVE, api_status=202, servers=(server(0, moved_to),),
                        migration=MigrationState("live-migration", migration_status, first,
                                                 moved_to),
                        request_specs={0: SPEC},
                        allocations={"server 0": {moved_to: SMALL},
                                     "server 1": {second: SMALL}})
    steps = (CREATE, MOVE)
    return Outcome(scenario=dataclasses.replace(scenario, steps=steps), backend="x",
                   scheduler="fixed", steps=[created, moved])


def test_the_same_outcome_has_no_differences():
    assert diff(outcome("host1", "host2", "host2"), outcome("host1", "host2", "host2")) == []


def test_mirror_images_on_identical_unnamed_hosts_are_the_same():
    # Nova takes equally weighed hosts in compute node UUID order: either is right.
    assert diff(outcome("host1", "host2", "host2"), outcome("host2", "host1", "host1")) == []


def test_both_servers_on_one_host_differs_from_one_on_each():
    differences = diff(outcome("host1", "host2", "host2"), outcome("host1", "host1", "host2"))
    assert {d.what for d in differences} >= {"server 1.host", "allocations of server 1"}


def test_a_different_migration_status_is_reported_with_its_step():
    [difference] = [d for d in diff(outcome("host1", "host2", "host2"),
                                    outcome("host1", "host2", "host2",
                                            migration_status="error"))
                    if d.what == "migration.status"]
    assert (difference.step, difference.left, difference.right) == (1, "completed", "error")


def test_hosts_of_different_sizes_are_not_interchangeable():
    sized = dataclasses.replace(SCENARIO, cloud=CloudDef(
        hosts=(HostDef("host1"), HostDef("host2", memory_mb=1024)),
        flavors=(FlavorDef("small", 1, 512, 1),)))
    differences = diff(outcome("host1", "host2", "host2", sized),
                       outcome("host2", "host1", "host1", sized))
    assert any(d.what == "server 0.host" for d in differences)


def test_a_host_the_scenario_names_is_not_renamed():
    named = dataclasses.replace(MOVE, host="host2")
    left, right = outcome("host1", "host2", "host2"), outcome("host2", "host1", "host1")
    for o in (left, right):
        o.scenario = dataclasses.replace(o.scenario, steps=(CREATE, named))
    assert any(d.what == "server 0.host" for d in diff(left, right))


def test_an_allocation_only_one_side_has_is_a_difference():
    left, right = outcome("host1", "host2", "host2"), outcome("host1", "host2", "host2")
    right.steps[1].allocations["migration of server 0"] = {"host1": SMALL}
    [difference] = diff(left, right)
    assert (difference.what, difference.left) == ("allocations of migration of server 0", None)


def test_a_different_provider_capacity_is_a_difference():
    left, right = outcome("host1", "host2", "host2"), outcome("host1", "host2", "host2")
    capacity = {"VCPU": 32, "MEMORY_MB": 7680, "DISK_GB": 100}
    left.steps[0].capacities = {"host1": capacity, "host2": capacity}
    right.steps[0].capacities = {"host1": capacity, "host2": {**capacity, "MEMORY_MB": 8192}}
    [difference] = diff(left, right)
    assert (difference.step, difference.what) == (0, "capacity of host2")
    assert (difference.left["MEMORY_MB"], difference.right["MEMORY_MB"]) == (7680, 8192)


def moved_by(removed: dict, offered=("host1", "host2"), weights=(("host2", 0.0),),
             selected="host2") -> SchedulingCall:
    """The live migration's select_destinations call, as a backend records it."""
    call = SchedulingCall(asked=1, num_instances=2, alternates=False, offered=offered,
                          selected=1, required=1, selections=[(selected, ())])
    sort_pass = call.start_pass(0, offered)
    sort_pass.checks = [FilterVerdict("RequestSpec.ignore_hosts", {"host1": None})]
    sort_pass.filters = [FilterVerdict("ComputeFilter", removed)]
    sort_pass.weighed = [HostWeight(h, w) for h, w in weights]
    return call


def with_call(o: Outcome, call: SchedulingCall) -> Outcome:
    o.steps[1].scheduling = (call,)
    return o


def test_the_same_verdicts_have_no_differences_up_to_renaming():
    left = with_call(outcome("host1", "host2", "host2"), moved_by({}))
    right = with_call(outcome("host2", "host1", "host1"), moved_by(
        {}, offered=("host2", "host1"), weights=(("host1", 0.0),), selected="host1"))
    right.steps[1].scheduling[0].passes[0].checks[0].removed = {"host2": None}
    assert diff(left, right) == []


def test_a_filter_verdict_only_one_side_has_is_a_difference():
    left = with_call(outcome("host1", "host2", "host2"), moved_by({}))
    right = with_call(outcome("host1", "host2", "host2"), moved_by({"host3": "service down"}))
    [difference] = diff(left, right)
    assert difference.what == "select_destinations #1 pass 1 ComputeFilter"
    assert (difference.left, difference.right) == ({}, {"host3": "service down"})


def test_the_group_members_counted_on_a_removed_host_are_compared():
    def counting(*members: str) -> Outcome:
        call = moved_by({})
        call.passes[0].filters.append(FilterVerdict(
            "ServerGroupAntiAffinityFilter", {"host1": None}, {"host1": members}))
        return with_call(outcome("host1", "host2", "host2"), call)

    assert diff(counting("server 0"), counting("server 0")) == []
    [difference] = diff(counting("server 0"), counting("server 0 (now on host3)"))
    assert difference.what == "select_destinations #1 pass 1 ServerGroupAntiAffinityFilter counted"
    assert (difference.left, difference.right) == ({"host1": ("server 0",)},
                                                   {"host1": ("server 0 (now on host3)",)})


def test_the_forced_and_ignored_hosts_the_scheduler_was_given_are_compared_renamed():
    def given(ignored: tuple[str, ...], forced: tuple[str, ...] = ()) -> SchedulingCall:
        call = moved_by({})
        call.ignore_hosts, call.force_hosts = ignored, forced
        return call

    left = with_call(outcome("host1", "host2", "host2"), given(("host1",)))
    right = with_call(outcome("host2", "host1", "host1"), given(("host2",)))
    right.steps[1].scheduling[0].passes[0].checks[0].removed = {"host2": None}
    right.steps[1].scheduling[0].passes[0].weighed = [HostWeight("host1", 0.0)]
    right.steps[1].scheduling[0].selections = [("host1", ())]
    right.steps[1].scheduling[0].offered = ("host2", "host1")
    assert diff(left, right) == []
    right = with_call(outcome("host1", "host2", "host2"), given(("host1",), ("host1",)))
    [difference] = diff(left, right)
    assert difference.what == "select_destinations #1 hosts forced, ignored"
    assert (difference.left, difference.right) == (((), ("host1",)), (("host1",), ("host1",)))


def test_weights_are_compared_rounded_and_scores_by_weigher():
    left = with_call(outcome("host1", "host2", "host2"), moved_by({}))
    right = with_call(outcome("host1", "host2", "host2"), moved_by({}))
    right.steps[1].scheduling[0].passes[0].weighed = [HostWeight("host2", 1e-9)]
    assert diff(left, right) == []
    right.steps[1].scheduling[0].passes[0].weighed = [
        HostWeight("host2", 0.0, (("RAMWeigher", 1.0), ("IoOpsWeigher", -1.0)))]
    [difference] = diff(left, right)
    assert difference.what == "select_destinations #1 pass 1 weighed"


def test_a_missing_call_is_a_difference():
    left = with_call(outcome("host1", "host2", "host2"), moved_by({}))
    right = outcome("host1", "host2", "host2")
    assert {"select_destinations calls", "select_destinations #1 selected"} <= {
        d.what for d in diff(left, right)}


def test_hosts_alike_that_no_server_uses_are_renamed_too():
    # Four hosts alike: the servers on host1 and host2 in one outcome, on host3 and
    # host4 in the other. The verdicts also name the two hosts nothing used, which
    # must not take the names the used ones were given.
    four = dataclasses.replace(SCENARIO, cloud=CloudDef(
        hosts=tuple(HostDef(f"host{i}") for i in range(1, 5)),
        flavors=(FlavorDef("small", 1, 512, 1),)))
    hosts = ("host1", "host2", "host3", "host4")
    left = with_call(outcome("host1", "host2", "host2", four), moved_by(
        {}, offered=hosts, weights=(("host3", 2.0), ("host4", 2.0), ("host2", 1.0))))
    right = with_call(outcome("host3", "host4", "host4", four), moved_by(
        {}, offered=hosts, weights=(("host1", 2.0), ("host2", 2.0), ("host4", 1.0)),
        selected="host4"))
    right.steps[1].scheduling[0].passes[0].checks[0].removed = {"host3": None}
    assert diff(left, right) == []
