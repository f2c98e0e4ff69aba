"""The stale-field tracker: which step persisted a per-request field, and which failed
move read it back."""

from harness.scenario.outcome import RequestSpecState
from harness.scenario.stale import StaleFieldTracker, StaleFlavorTracker
from tests.unit.scenario.builders import server


def spec(**fields) -> RequestSpecState:
    return RequestSpecState(**{"num_instances": 1, "flavor": "small", **fields})


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


def test_a_move_that_claims_a_stale_flavor_says_which_step_left_it():
    tracker = StaleFlavorTracker()
    small = (server(0, "host1"),)
    assert tracker.observe(0, "create", [], small, {0: spec()}) == []
    # The resize failed after its scheduler answered: the server stays small.
    assert tracker.observe(2, "resize server 0 to medium", [0], small,
                           {0: spec(flavor="medium")}) == []
    # A step that scheduled no server of it, or another server, is not explained by it.
    assert tracker.observe(3, "stop server 0", [], small, {0: spec(flavor="medium")}) == []
    assert tracker.observe(4, "evacuate server 1", [1], small,
                           {0: spec(flavor="medium")}) == []
    [line] = tracker.observe(5, "evacuate server 0", [0], small, {0: spec(flavor="medium")})
    assert line.startswith("Server 0's RequestSpec has flavor medium, left by step 3 (resize "
                           "server 0 to medium) while the server stayed small: this step's "
                           "scheduler claimed medium for it.")


def test_a_flavor_put_back_in_the_request_spec_is_forgotten():
    tracker = StaleFlavorTracker()
    small = (server(0, "host1"),)
    tracker.observe(2, "resize server 0 to medium", [0], small, {0: spec(flavor="medium")})
    tracker.observe(3, "resize server 0 to small", [0], small, {0: spec()})
    assert tracker.observe(4, "live-migrate server 0", [0], small, {0: spec()}) == []
