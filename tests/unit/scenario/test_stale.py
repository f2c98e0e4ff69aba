"""The stale-field tracker: which step persisted a per-request field, and which failed
move read it back."""

from harness.scenario.outcome import RequestSpecState
from harness.scenario.stale import StaleFieldTracker


def spec(**fields) -> RequestSpecState:
    return RequestSpecState(num_instances=1, flavor="small", **fields)


def test_a_persisted_per_request_field_is_reported_once_with_its_bug():
    tracker = StaleFieldTracker()
    assert tracker.observe(0, "create", {}, {0: spec()}, []) == []
    [line] = tracker.observe(1, "resize server 0 to medium", {0: spec()},
                             {0: spec(ignore_hosts=("host1",))}, [])
    assert line.startswith("This step persisted RequestSpec.ignore_hosts = ['host1'] for "
                           "server 0.")
    assert "bug #1669054" in line
    # Still there after the next step: not reported again.
    assert tracker.observe(2, "confirm", {0: spec(ignore_hosts=("host1",))},
                           {0: spec(ignore_hosts=("host1",))}, []) == []


def test_a_failed_move_of_a_server_with_a_stale_field_says_where_it_came_from():
    tracker = StaleFieldTracker()
    stale = spec(requested_destination="host2")
    tracker.observe(3, "cold-migrate server 0 to host2", {0: spec()}, {0: stale}, [])
    [line] = tracker.observe(5, "live-migrate server 0", {0: stale}, {0: stale}, [0])
    assert line == ("Server 0's RequestSpec was read back with requested_destination = "
                    "'host2', persisted by step 4 (cold-migrate server 0 to host2): a value "
                    "meant for that request only, steering this one (bug #1797580).")
    # Another server's failure is not explained by it.
    assert tracker.observe(6, "live-migrate server 1", {0: stale, 1: spec()},
                           {0: stale, 1: spec()}, [1]) == []


def test_a_field_cleared_again_is_forgotten():
    tracker = StaleFieldTracker()
    tracker.observe(1, "resize", {0: spec()}, {0: spec(retry=("host2",))}, [])
    tracker.observe(2, "migrate", {0: spec(retry=("host2",))}, {0: spec()}, [])
    assert tracker.observe(3, "live-migrate", {0: spec()}, {0: spec()}, [0]) == []
