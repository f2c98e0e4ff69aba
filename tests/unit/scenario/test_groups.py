"""The group-policy watcher: crowded anti-affinity groups, and the bug #1781710
signature when one request crowded them."""

from harness.scenario.groups import GroupPolicyWatcher
from harness.scenario.outcome import ServerState
from tests.unit.scenario.builders import live_migrate, step_outcome


def servers(*hosts):
    return tuple(ServerState(index=i, name=f"s{i}", status="ACTIVE", host=h, node=h,
                             task_state=None, flavor="small") for i, h in enumerate(hosts))


def test_members_of_one_request_on_one_host_name_the_multi_create_bug():
    watcher = GroupPolicyWatcher()
    watcher.created("spread", "anti-affinity", None)
    watcher.joined("spread", range(0, 2))
    [line] = watcher.explain(servers("host1", "host1"), {0, 1})
    assert line.startswith("Servers [0, 1] of anti-affinity group 'spread' are on host1 "
                           "together (at most 1 per host).")
    assert "bug #1781710" in line


def test_members_crowded_by_separate_requests_are_reported_without_the_bug():
    watcher = GroupPolicyWatcher()
    watcher.created("spread", "anti-affinity", 2)
    watcher.joined("spread", range(0, 3))
    assert watcher.explain(servers("host1", "host1", "host2"), {0, 1, 2}) == []
    [line] = watcher.explain(servers("host1", "host1", "host1"), {2})
    assert "at most 2 per host" in line and "bug #1781710" not in line


def test_soft_anti_affinity_crowding_is_only_news_within_one_request():
    watcher = GroupPolicyWatcher()
    watcher.created("loose", "soft-anti-affinity", None)
    watcher.joined("loose", range(0, 2))
    assert watcher.explain(servers("host1", "host1"), {1}) == []
    [line] = watcher.explain(servers("host1", "host1"), {0, 1})
    assert "soft policy allows it only when no other host has room" in line


def failed_move(error_class, *moved):
    return step_outcome(live_migrate(), servers=tuple(servers(*moved)),
                        error_class=error_class)


def test_a_move_that_cannot_find_a_deleted_group_names_the_stale_hint():
    watcher = GroupPolicyWatcher()
    watcher.created("spread", "anti-affinity", None)
    watcher.joined("spread", range(0, 1))
    watcher.deleted("spread", 3)
    [line] = watcher.explain_lost_group(failed_move("InstanceGroupNotFound", "host1"))
    assert "group 'spread', which step 3 deleted" in line
    assert "scheduler_hints.group" in line and "bug #1890244" in line


def test_only_members_of_a_deleted_group_failing_to_find_it_are_explained():
    watcher = GroupPolicyWatcher()
    watcher.created("spread", "anti-affinity", None)
    watcher.joined("spread", range(1, 2))
    assert watcher.explain_lost_group(failed_move("InstanceGroupNotFound", "host1")) == []
    watcher.deleted("spread", 3)
    assert watcher.explain_lost_group(failed_move("InstanceGroupNotFound", "host1")) == []
    assert watcher.explain_lost_group(failed_move("NoValidHost", "host1", "host1")) == []
    [line] = watcher.explain_lost_group(failed_move("InstanceGroupNotFound", "host1", "host1"))
    assert line.startswith("Server 1 ")


def test_a_deleted_group_no_longer_has_a_policy_to_keep():
    watcher = GroupPolicyWatcher()
    watcher.created("spread", "anti-affinity", None)
    watcher.joined("spread", range(0, 2))
    watcher.deleted("spread", 2)
    assert watcher.explain(servers("host1", "host1"), {0, 1}) == []
