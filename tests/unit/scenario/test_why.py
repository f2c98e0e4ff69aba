"""The decisive part of a step's scheduling, for "why": from the verdicts any backend
records, built by hand here."""

from harness.scenario.model import Expect, ServerExpect
from harness.scenario.why import explain_scheduling
from harness.verdicts import SERVICE_DOWN, FilterVerdict, HostWeight, SchedulingCall
from tests.unit.scenario.builders import live_migrate, server, step_outcome


def call(removed=None, weighed=(("host2", 1.0), ("host3", 0.5)), selected="host2",
         error=None) -> SchedulingCall:
    """A live migration off host1 on a three-host cloud."""
    record = SchedulingCall(asked=1, num_instances=2, alternates=False,
                            offered=("host1", "host2", "host3"),
                            selected=0 if error else 1, required=1, error=error,
                            selections=[] if error else [(selected, ())])
    sort_pass = record.start_pass(0, record.offered)
    sort_pass.checks = [FilterVerdict("RequestSpec.ignore_hosts", {"host1": None})]
    sort_pass.filters = [FilterVerdict("ComputeFilter", removed or {})]
    sort_pass.weighed = [HostWeight(h, w) for h, w in weighed] if weighed else None
    return record


def moved(record: SchedulingCall, landed: str | None, expected: str = "@target"):
    step = live_migrate(Expect(server=ServerExpect(host=expected)), host=None)
    return step_outcome(step, servers=(server(host=landed),), scheduling=(record,),
                        refs={"@source": "host1", "@target": "host3"})


def test_the_expected_host_removed_by_a_filter_is_named_with_the_reason():
    record = call(removed={"host3": SERVICE_DOWN}, weighed=(("host2", 0.0),))
    assert explain_scheduling(moved(record, "host2")) == [
        "The scenario expected server 0 on host3: in select_destinations #1, host3 was "
        "removed by ComputeFilter: service down."]


def test_the_expected_host_removed_by_anti_affinity_names_the_members_counted_there():
    record = call(weighed=(("host2", 0.0),))
    record.passes[0].filters.append(FilterVerdict(
        "ServerGroupAntiAffinityFilter", {"host3": None},
        {"host3": ("server 1", "server 2 (now on host1)")}))
    assert explain_scheduling(moved(record, "host2")) == [
        "The scenario expected server 0 on host3: in select_destinations #1, host3 was "
        "removed by ServerGroupAntiAffinityFilter: the scheduler counts server 1, server 2 "
        "(now on host1) of the group there."]


def test_the_expected_host_weighed_lower_is_named_with_both_weights():
    assert explain_scheduling(moved(call(), "host2")) == [
        "The scenario expected server 0 on host3: in select_destinations #1, host3 "
        "weighed 0.50, below host2 1.00."]


def test_the_expected_host_placement_never_offered():
    record = call()
    record.offered = ("host1", "host2")
    [line] = explain_scheduling(moved(record, "host2"))
    assert line.startswith("The scenario expected server 0 on host3: placement never "
                           "offered it")


def test_a_call_that_raised_says_what_became_of_every_host_and_the_count():
    record = call(removed={"host2": SERVICE_DOWN, "host3": SERVICE_DOWN}, weighed=(),
                  error="NoValidHost")
    assert explain_scheduling(moved(record, "host1")) == [
        "select_destinations #1 raised NoValidHost: placement offered host1, host2, host3; "
        "host1 was removed by RequestSpec.ignore_hosts; host2 was removed by "
        "ComputeFilter: service down; host3 was removed by ComputeFilter: service down; "
        "0 host(s) selected, 1 required."]


def test_placement_offering_nothing_is_said_once():
    record = SchedulingCall(asked=1, num_instances=1, alternates=False, no_candidates=True,
                            error="NoValidHost")
    assert explain_scheduling(moved(record, "host1")) == [
        "select_destinations #1 raised NoValidHost: placement offered no host for the "
        "flavor.",
        "The scenario expected server 0 on host3: placement never offered it (no room for "
        "the flavor there, or its service is disabled)."]


def test_a_server_where_expected_or_an_open_expectation_explains_nothing():
    assert explain_scheduling(moved(call(), "host3")) == []
    assert explain_scheduling(moved(call(), "host2", expected="!host1")) == []
