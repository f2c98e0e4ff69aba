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
