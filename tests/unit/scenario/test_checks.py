"""Judging outcomes built by hand against expectations: each kind of Mismatch."""

import dataclasses

import pytest

from harness.scenario.checks import expected_allocations
from harness.scenario.holds import SourceHolds
from harness.scenario.model import Expect, MigrationExpect, RequestSpecExpect, ServerExpect
from harness.scenario.outcome import MigrationState, RequestSpecState
from harness.scenario.steps import EvacuateStep, ShelveStep, UnshelveStep
from tests.unit.scenario.builders import (
    SMALL,
    create,
    live_migrate,
    server,
    set_service,
    step_outcome,
    verdict,
)

REFS = {"@source": "host1", "@target": "host2"}


def mismatches(step, **fields) -> list[str]:
    [step_verdict] = verdict(step_outcome(step, **fields)).steps
    return [m.render() for m in step_verdict.mismatches]


def moved(expect: Expect, host: str | None = "host2", migration: MigrationState | None = None,
          **fields) -> list[str]:
    """Mismatches of a live migration of server 0 from host1 to host2 (by default)."""
    # A server without a host is one whose build failed.
    placed = server(0, host, status="ACTIVE" if host else "ERROR")
    return mismatches(live_migrate(expect), servers=(placed,), refs=dict(REFS),
                      migration=migration, **fields)


def migration(status="completed", source="host1", dest="host2") -> MigrationState:
    return MigrationState(type="live-migration", status=status, source=source, dest=dest)


# api_status


@pytest.mark.parametrize("step, status", [
    (create(), 202), (live_migrate(), 202), (set_service(), 200)])
def test_without_an_api_status_each_action_expects_its_success_status(step, status):
    assert mismatches(step, api_status=status) == []
    assert mismatches(step, api_status=500, api_message="boom") == [
        f"api_status: expected {status}, observed 500 (boom)"]


def test_an_explicit_api_status_replaces_the_default():
    expect = Expect(api_status=403)
    assert mismatches(live_migrate(expect), api_status=403) == []
    assert mismatches(live_migrate(expect), api_status=202) == [
        "api_status: expected 403, observed 202"]


# error


def test_an_error_fails_a_step_that_expects_none():
    assert mismatches(live_migrate(), error_class="NoValidHost", error_message="No hosts") == [
        "error: expected none, observed NoValidHost: No hosts"]


def test_a_named_error_must_happen():
    expect = Expect(error="NoValidHost")
    assert mismatches(live_migrate(expect), error_class="NoValidHost", error_message="x") == []
    assert mismatches(live_migrate(expect)) == ["error: expected NoValidHost, observed none"]
    assert mismatches(live_migrate(expect), error_class="MigrationPreCheckError",
                      error_message="y") == [
        "error: expected NoValidHost, observed MigrationPreCheckError: y"]


# server


@pytest.mark.parametrize("ref, host", [
    ("@target", "host2"), ("@not-source", "host2"), ("@source", "host1"), ("host2", "host2")])
def test_a_server_host_reference_resolves_to_the_steps_hosts(ref, host):
    assert moved(Expect(server=ServerExpect(host=ref)), host=host) == []


@pytest.mark.parametrize("ref, host", [
    (("host2", "host3"), "host2"), (("@source", "host3"), "host1"), ("!host1", "host2"),
    ("!@source", "host2"), ("!none", "host1")])
def test_a_server_host_may_be_one_of_several_or_any_but_one(ref, host):
    assert moved(Expect(server=ServerExpect(host=ref)), host=host) == []


@pytest.mark.parametrize("ref, host, expected", [
    (("host2", "host3"), "host1", "one of host2, host3"),
    (("@source", "host3"), "host2", "one of host1 (@source), host3"),
    ("!host2", "host2", "a host other than host2"),
    ("!@target", "host2", "a host other than host2 (@target)"),
    ("!host2", None, "a host other than host2"),
    ("!none", None, "a host other than none"),
    ("@source", "host2", "host1 (@source)"),
    ("@target", "host1", "host2 (@target)"),
    ("@not-source", "host1", "a host other than host1 (@not-source)"),
    ("@not-source", None, "a host other than host1 (@not-source)"),
    ("host2", "host1", "host2"),
])
def test_a_server_on_another_host_is_a_mismatch(ref, host, expected):
    assert moved(Expect(server=ServerExpect(host=ref)), host=host) == [
        f"server.host: expected {expected}, observed {host or 'none'}"]


def test_a_server_status_is_checked_on_every_server_the_step_made():
    expect = Expect(server=ServerExpect(status="ACTIVE"))
    servers = (server(0), server(1, host=None, status="ERROR"))
    assert mismatches(create(expect, count=2), servers=servers) == [
        "server 1.status: expected ACTIVE, observed ERROR"]


# migration


def test_migration_false_rejects_any_migration():
    expect = Expect(migration=False)
    assert moved(expect, host="host1") == []
    assert moved(expect, host="host1", migration=migration("error", dest=None)) == [
        "migration: expected none to be created, observed a live-migration in status error"]


def test_an_unchecked_migration_may_exist():
    assert moved(Expect(), migration=migration()) == []


def test_an_expected_migration_must_exist():
    expect = Expect(migration=MigrationExpect(status="completed"))
    assert moved(expect, host="host1") == [
        "migration: expected a migration record, observed none was created"]


def test_every_migration_field_is_compared():
    expect = Expect(migration=MigrationExpect(
        status="completed", type="live-migration", source="@source", dest="@target"))
    assert moved(expect, migration=migration()) == []
    wrong = MigrationState(type="migration", status="error", source="host2", dest=None)
    assert moved(expect, host="host1", migration=wrong) == [
        "migration.status: expected 'completed', observed 'error'",
        "migration.type: expected 'live-migration', observed 'migration'",
        "migration.source: expected host1 (@source), observed host2",
        "migration.dest: expected host2 (@target), observed none",
    ]


def test_a_migration_dest_may_be_any_host_but_the_source():
    expect = Expect(migration=MigrationExpect(dest="@not-source"))
    assert moved(expect, migration=migration(dest="host2")) == []
    assert moved(expect, migration=migration(dest="host1")) == [
        "migration.dest: expected a host other than host1 (@not-source), observed host1"]


# request_spec


def spec(num_instances=2, **fields):
    return RequestSpecState(num_instances=num_instances, flavor="small", **fields)


def test_num_instances_is_compared_for_each_server():
    expect = Expect(request_spec=RequestSpecExpect(num_instances=2))
    servers = (server(0), server(1, host="host2"))
    assert mismatches(create(expect, count=2), servers=servers,
                      request_specs={0: spec(), 1: spec()}) == []
    assert mismatches(create(expect, count=2), servers=servers,
                      request_specs={0: spec(), 1: spec(1)}) == [
        "request_spec.num_instances of server 1: expected 2, observed 1"]


def test_persisted_host_lists_compare_as_sets_and_none_means_unset():
    expect = Expect(request_spec=RequestSpecExpect(
        ignore_hosts=(), force_hosts=("host2", "host1"), requested_destination="none",
        availability_zone="none"))
    assert moved(expect, request_specs={0: spec(force_hosts=("host1", "host2"))}) == []
    assert moved(expect, request_specs={0: spec(
        force_hosts=("host1",), ignore_hosts=("host1",), requested_destination="host2",
        availability_zone="nova")}) == [
        "request_spec.availability_zone of server 0: expected none, observed nova",
        "request_spec.force_hosts of server 0: expected ['host1', 'host2'], observed ['host1']",
        "request_spec.ignore_hosts of server 0: expected [], observed ['host1']",
        "request_spec.requested_destination of server 0: expected none, observed host2",
        # ... and, whatever the scenario expects, no per-request field is persisted.
        "invariant per-request-fields-not-persisted: server 0 RequestSpec.ignore_hosts: "
        "expected not persisted (bug #1669054 persisted it), observed ['host1']",
        "invariant per-request-fields-not-persisted: server 0 "
        "RequestSpec.requested_destination: expected not persisted (bug #1797580 persisted "
        "it), observed 'host2'"]


# allocations


def test_a_leaked_migration_allocation_is_a_mismatch():
    leaked = {"server 0": {"host2": dict(SMALL)}, "migration of server 0": {"host1": dict(SMALL)}}
    assert moved(Expect(), allocations=leaked) == [
        "allocations of migration of server 0: expected none, "
        "observed host1: DISK_GB=1, MEMORY_MB=512, VCPU=1"]


def test_an_allocation_on_the_wrong_host_is_a_mismatch():
    assert moved(Expect(), allocations={"server 0": {"host1": dict(SMALL)}}) == [
        "allocations of server 0: expected host2: DISK_GB=1, MEMORY_MB=512, VCPU=1, "
        "observed host1: DISK_GB=1, MEMORY_MB=512, VCPU=1"]


def test_a_missing_allocation_is_a_mismatch():
    assert moved(Expect(), allocations={}) == [
        "allocations of server 0: expected host2: DISK_GB=1, MEMORY_MB=512, VCPU=1, "
        "observed none"]


def test_a_consumer_with_no_providers_holds_nothing():
    assert moved(Expect(), allocations={"server 0": {"host2": dict(SMALL)},
                                        "migration of server 0": {}}) == []


def test_unchecked_allocations_are_not_compared():
    leaked = {"server 0": {"host1": dict(SMALL)}, "migration of server 0": {"host2": SMALL}}
    assert moved(Expect(allocations="unchecked"), allocations=leaked) == []


def test_allocations_cover_every_server_not_only_the_ones_acted_on():
    others = (server(0, "host2"), server(1, "host1"))
    assert moved(Expect(), all_servers=others,
                 allocations={"server 0": {"host2": dict(SMALL)}}) == [
        "allocations of server 1: expected host1: DISK_GB=1, MEMORY_MB=512, VCPU=1, "
        "observed none"]


def test_an_evacuations_hold_on_its_source_is_followed_through_the_steps():
    # Evacuated from host1 to host2, offloaded, unshelved on host2 before host1 restarted:
    # the offload deleted the hold, which the state after the unshelve does not show.
    evacuation = MigrationState(type="evacuation", status="done", source="host1",
                                dest="host2", source_node="host1", dest_node="host2",
                                server=0, flavor="small")
    on_host2 = server(0, "host2", status="SHUTOFF")
    evacuated = step_outcome(
        EvacuateStep(index=0, expect=Expect(), server=0), servers=(on_host2,),
        all_migrations=(evacuation,),
        allocations={"server 0": {"host1": dict(SMALL), "host2": dict(SMALL)}})
    offloaded = step_outcome(ShelveStep(index=1, expect=Expect(), server=0),
                             servers=(server(0, None, status="SHELVED_OFFLOADED"),),
                             all_migrations=(evacuation,))
    unshelved = step_outcome(UnshelveStep(index=2, expect=Expect(), server=0),
                             servers=(server(0, "host2"),), all_migrations=(evacuation,))
    assert verdict(evacuated, offloaded, unshelved).passed
    [*_, without_the_offload] = verdict(evacuated, unshelved).steps
    assert [m.render() for m in without_the_offload.mismatches] == [
        "allocations of server 0: expected host1: DISK_GB=1, MEMORY_MB=512, VCPU=1; "
        "host2: DISK_GB=1, MEMORY_MB=512, VCPU=1, observed host2: DISK_GB=1, "
        "MEMORY_MB=512, VCPU=1"]


def test_a_server_left_in_error_by_its_destinations_finish_resize_holds_the_new_flavor():
    medium = {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 5}
    resources = {"small": SMALL, "medium": medium}.__getitem__

    def resize(status: str, dest: str = "host2", finished: bool = True) -> MigrationState:
        return MigrationState(type="resize", status=status, source="host1", dest=dest,
                              source_node="host1", dest_node=dest, server=0, flavor="small",
                              dest_flavor="medium" if finished else None)

    # finish_resize failed on host2: the server is there in its old flavor.
    assert expected_allocations(resources, (server(0, "host2", "ERROR"),),
                                (resize("error"),)) == {"server 0": {"host2": medium}}
    # So on the same host.
    assert expected_allocations(resources, (server(0, "host1", "ERROR"),),
                                (resize("error", dest="host1"),)) == {
        "server 0": {"host1": medium}}
    # resize_instance failed on host1, before any finish_resize: both flavors given
    # back, on another host or the same.
    for dest in ("host2", "host1"):
        assert expected_allocations(resources, (server(0, "host1", "ERROR"),),
                                    (resize("error", dest, finished=False),)) == {
            "server 0": {"host1": SMALL}}
    # Confirmed: the server shows the new flavor itself.
    confirmed = dataclasses.replace(server(0, "host2"), flavor="medium")
    assert expected_allocations(resources, (confirmed,), (resize("confirmed"),)) == {
        "server 0": {"host2": medium}}
    # Evacuated since: its own flavor again (Nova claims the RequestSpec's, which a
    # failed resize leaves new: the invariant flags that, and "why" says so).
    def evacuation(status: str, dest: str) -> MigrationState:
        return MigrationState(type="evacuation", status=status, source="host2", dest=dest,
                              source_node="host2", dest_node=dest, server=0, flavor="small")

    assert expected_allocations(resources, (server(0, "host1"),),
                                (resize("error"), evacuation("completed", "host1"))) == {
        "server 0": {"host1": SMALL}}
    # An evacuation that failed on its destination leaves it holding what it held.
    assert expected_allocations(resources, (server(0, "host2", "ERROR"),),
                                (resize("error"), evacuation("error", "host3"))) == {
        "server 0": {"host2": medium}}


def test_each_steps_state_is_followed_once_not_once_per_later_step(monkeypatch):
    observed = []
    observe = SourceHolds.observe

    def recorded(self, servers, migrations):
        observed.append(servers)
        observe(self, servers, migrations)

    monkeypatch.setattr(SourceHolds, "observe", recorded)
    states = [(server(0, host),) for host in ("host1", "host2", "host1", "host2")]
    assert verdict(*(step_outcome(live_migrate(), servers=state, refs=dict(REFS))
                     for state in states)).passed
    assert observed == states


# settled


def test_a_step_that_did_not_settle_is_a_mismatch():
    assert moved(Expect(), migration=migration(), settled=False) == [
        "settled: expected the step to finish, "
        "observed it was still in progress when the wait ended"]


# Verdict


def test_a_verdict_fails_with_the_steps_that_have_mismatches():
    good = step_outcome(create(), servers=(server(0),))
    bad = step_outcome(live_migrate(), servers=(server(0),), api_status=500,
                       refs=dict(REFS))
    judged = verdict(good, bad)
    assert not judged.passed
    assert [s.outcome for s in judged.failed_steps] == [bad]
    assert [len(s.mismatches) for s in judged.steps] == [0, 1]


def test_a_verdict_with_no_mismatch_passes():
    judged = verdict(step_outcome(create(), servers=(server(0),)))
    assert judged.passed
    assert judged.failed_steps == []


def test_a_create_that_made_fewer_servers_than_expected_is_a_mismatch():
    step = dataclasses.replace(create(count=2), expect=Expect(servers=(
        ServerExpect(status="ACTIVE"), ServerExpect(status="ACTIVE"))))
    result = verdict(step_outcome(step, servers=(server(0),)))
    assert [m.render() for m in result.steps[0].mismatches] == [
        "servers: expected 2 server(s), observed 1"]


# error_message and usage


def test_an_error_message_must_contain_the_text_given():
    expect = Expect(error="NoValidHost", error_message="not enough hosts")
    assert moved(expect, error_class="NoValidHost",
                 error_message="No valid host. There are not enough hosts available.") == []
    assert moved(expect, error_class="NoValidHost", error_message="No valid host.") == [
        "error_message: expected a message containing 'not enough hosts', "
        "observed 'No valid host.'"]


def test_an_api_refusal_is_the_message_of_a_step_with_no_error():
    expect = Expect(api_status=403, error_message="too many")
    assert moved(expect, api_status=403, api_message="Quota exceeded, too many servers") == []


def test_usage_sums_every_consumer_on_the_host():
    allocations = {"server 0": {"host2": dict(SMALL)},
                   "migration of server 0": {"host1": dict(SMALL)}}
    expect = Expect(usage={"host1": {"VCPU": 1}, "host2": {"VCPU": 1, "MEMORY_MB": 512}},
                    allocations="unchecked")
    assert moved(expect, allocations=allocations) == []
    assert moved(Expect(usage={"host1": {"VCPU": 0}}, allocations="unchecked"),
                 allocations=allocations) == ["usage on host1.VCPU: expected 0, observed 1"]


# invariants: checked after every step, whatever the step expects


def test_a_server_on_a_host_the_scenario_does_not_have_breaks_an_invariant():
    stray = dataclasses.replace(server(0), host="host9", node="host9")
    # (Placement knows no such provider either: its capacity there is nothing.)
    assert mismatches(create(), servers=(stray,))[0] == (
        "invariant server-on-a-known-node: server 0: expected host/node one of host1/host1, "
        "host2/host2, observed host host9, node host9")


def test_a_server_whose_node_is_not_its_hosts_breaks_an_invariant():
    split = dataclasses.replace(server(0), node="host2")
    assert mismatches(create(), servers=(split,)) == [
        "invariant server-on-a-known-node: server 0: expected host/node one of host1/host1, "
        "host2/host2, observed host host1, node host2"]


@pytest.mark.parametrize("status, broken", [("ACTIVE", True), ("ERROR", False),
                                            ("SHELVED_OFFLOADED", False)])
def test_only_a_server_that_cannot_be_hostless_breaks_an_invariant_without_a_host(
        status, broken):
    found = mismatches(create(), servers=(server(0, host=None, status=status),))
    assert found == ([
        "invariant server-on-a-known-node: server 0: expected a host, or a vm_state of "
        "building, error, shelved_offloaded, observed no host in vm_state active"]
        if broken else [])


def test_a_task_state_left_after_the_step_settled_breaks_an_invariant():
    busy = dataclasses.replace(server(1, host="host2"), task_state="resize_prep")
    assert mismatches(create(), servers=(server(0),), all_servers=(server(0), busy)) == [
        "invariant no-task-state-left: server 1: expected task_state None once the step "
        "settled, observed task_state resize_prep (ACTIVE)"]


def test_a_step_that_did_not_settle_is_reported_once_not_as_an_invariant_too():
    busy = dataclasses.replace(server(0), task_state="migrating")
    assert mismatches(create(), servers=(busy,), settled=False) == [
        "settled: expected the step to finish, observed it was still in progress when the "
        "wait ended"]


def test_usage_above_a_providers_capacity_breaks_an_invariant():
    crowded = {f"server {i}": {"host1": {"VCPU": 1, "MEMORY_MB": 4096, "DISK_GB": 1}}
               for i in range(2)}
    servers = (server(0), server(1))
    found = mismatches(create(count=2), servers=servers, allocations=crowded,
                       capacities={"host1": {"VCPU": 32, "MEMORY_MB": 7680, "DISK_GB": 100}})
    assert "invariant usage-within-capacity: host1.MEMORY_MB: expected at most 7680, " \
           "observed 8192 allocated" in found
    assert not [m for m in found if "usage-within-capacity: host1.VCPU" in m]
