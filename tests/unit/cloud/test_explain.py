"""explain(): one sentence per error in a trace, saying why it happened."""

from unittest import mock

from harness.cloud.conf import DEFAULT_QUOTA, Config
from harness.cloud.explain import explain
from harness.cloud.scheduler.manager import SchedulerManager
from harness.fixtures import CloudFixture
from tests.unit.cloud.helpers import LARGE, boot, live_migrate, make_flavor, ranked


class BrokenScheduler(SchedulerManager):
    """A plug-in with a plain Python bug."""

    def _get_sorted_hosts(self, spec_obj, host_states, index):
        return host_states.sort_by_weight()


def errored(cloud, since=0):
    return [h for h in cloud.trace.since(since) if h.error is not None]


def test_nothing_to_explain_after_a_successful_run():
    with CloudFixture() as cloud:
        boot(cloud, count=2)
        assert explain(cloud.trace.hops) == []


def test_the_pike_signature_is_explained_as_bug_1718455():
    with CloudFixture(scheduler="pike-16.0.0") as cloud:
        servers = boot(cloud, count=2)
        mark = cloud.trace.mark()
        live_migrate(cloud, servers[0]["id"])
        [line] = explain(cloud.trace.since(mark))
        assert line.startswith("NoValidHost raised by the scheduler (hop ")
        assert "1 host(s) selected, 2 required" in line
        assert "asked to place 1 instance(s)" in line
        assert "RequestSpec.num_instances = 2" in line
        assert line.endswith("(bug #1718455).")


def test_one_line_per_error_though_it_travels_up_several_hops():
    with CloudFixture(scheduler="pike-16.0.0") as cloud:
        servers = boot(cloud, count=2)
        live_migrate(cloud, servers[0]["id"])
        hops = errored(cloud)
        assert [h.method for h in hops] == ["live_migrate_instance", "select_destinations"]
        assert hops[0].error is hops[1].error
        [line] = explain(cloud.trace.hops)
        assert f"(hop {hops[1].seq})" in line


def test_each_failed_request_gets_its_own_line_in_order():
    with CloudFixture(scheduler="pike-16.0.0") as cloud:
        servers = boot(cloud, count=2)
        live_migrate(cloud, servers[0]["id"])
        live_migrate(cloud, servers[1]["id"])
        selects = [h.seq for h in errored(cloud) if h.method == "select_destinations"]
        lines = explain(cloud.trace.hops)
        assert [f"(hop {seq})" in line for seq, line in zip(selects, lines, strict=True)] == [
            True, True]


def test_no_allocation_candidates_are_explained():
    # RAM past any host's, and past the default quota: the quota is lifted.
    with CloudFixture(config=Config(quota={**DEFAULT_QUOTA, "ram": -1})) as cloud:
        boot(cloud, flavor=make_flavor(cloud, ram=100000))
        [line] = explain(cloud.trace.hops)
        assert "placement offered no allocation candidates" in line


def test_too_few_hosts_for_a_multi_create_are_explained_without_the_bug():
    with CloudFixture() as cloud:
        boot(cloud, count=3, flavor=make_flavor(cloud, **LARGE))
        [line] = explain(cloud.trace.hops)
        assert "2 host(s) selected, 3 required" in line
        assert "Fewer hosts passed the filters" in line
        assert "1718455" not in line


def test_a_non_nova_exception_is_called_not_a_nova_error():
    with CloudFixture(hosts=ranked("host1", "host2"), scheduler=BrokenScheduler) as cloud:
        [server] = boot(cloud)
        assert server["status"] == "ERROR"
        [line] = explain(cloud.trace.hops)
        assert "scheduler.select_destinations" in line
        assert "raised AttributeError" in line
        assert "That is not a Nova error" in line


def test_a_non_nova_exception_wrapped_by_the_conductor_still_gives_one_line():
    with CloudFixture(hosts=ranked("host1", "host2")) as cloud:
        [server] = boot(cloud)
        mark = cloud.trace.mark()
        with mock.patch.object(cloud.scheduler_manager, "_get_sorted_hosts",
                               side_effect=AttributeError("oops")):
            live_migrate(cloud, server["id"])
        assert [type(h.error).__name__ for h in errored(cloud, mark)] == [
            "MigrationError", "AttributeError"]
        [line] = explain(cloud.trace.since(mark))
        assert "not a Nova error" in line


def test_a_non_nova_error_is_explained_once_where_it_was_first_raised():
    with CloudFixture() as cloud:
        flavor = make_flavor(cloud)
        with mock.patch.object(cloud.placement, "get_allocation_candidates",
                               side_effect=KeyError("VCPU")):
            boot(cloud, flavor=flavor)
        hops = errored(cloud)
        assert [h.method for h in hops] == ["select_destinations", "get_allocation_candidates"]
        [line] = explain(cloud.trace.hops)
        assert line.startswith(f"placement.get_allocation_candidates (hop {hops[1].seq}) "
                               "raised KeyError")
