"""Where an evacuated server's hold on its source goes, step after step, and what
placement must then hold (``checks.expected_allocations`` with ``SourceHolds``).

Each test is a sequence of states after steps, as a scenario in
``scenarios/evacuate/`` leads to them (each SAME on Nova 34): host1 failed and
server 0 was evacuated to host2.
"""

from harness.scenario.checks import expected_allocations
from harness.scenario.holds import SourceHolds
from harness.scenario.outcome import MigrationState, ServerState
from tests.unit.scenario.builders import SMALL

MEDIUM = {"VCPU": 2, "MEMORY_MB": 1024, "DISK_GB": 1}
RESOURCES = {"small": SMALL, "medium": MEDIUM}


def server(host: str | None, flavor: str = "small", index: int = 0) -> ServerState:
    return ServerState(index=index, name=f"server-{index + 1}", status="ACTIVE", host=host,
                       node=host, task_state=None, flavor=flavor)


def migration(type: str, status: str, source: str, dest: str, index: int = 0,
              flavor: str = "small") -> MigrationState:
    return MigrationState(type=type, status=status, source=source, dest=dest,
                          source_node=source, dest_node=dest, server=index, flavor=flavor)


def evacuated(status: str = "done", source: str = "host1", dest: str = "host2",
              index: int = 0) -> MigrationState:
    return migration("evacuation", status, source, dest, index)


def expected(*states: tuple[tuple[ServerState, ...], tuple[MigrationState, ...]]):
    """What placement must hold after the last of ``states``, followed from the first."""
    servers, migrations = states[-1]
    return expected_allocations(RESOURCES.__getitem__, servers, migrations,
                                SourceHolds.followed(states))


EVACUATED = ((server("host2"),), (evacuated(),))


def test_an_evacuated_server_holds_its_source_until_it_restarts():
    assert expected(EVACUATED) == {"server 0": {"host1": SMALL, "host2": SMALL}}
    restarted = ((server("host2"),), (evacuated("completed"),))
    assert expected(EVACUATED, restarted) == {"server 0": {"host2": SMALL}}


def test_a_server_evacuated_twice_holds_both_sources_until_each_restarts():
    again = ((server("host3"),), (evacuated(), evacuated(source="host2", dest="host3")))
    assert expected(EVACUATED, again) == {
        "server 0": {"host1": SMALL, "host2": SMALL, "host3": SMALL}}
    first_back = ((server("host3"),),
                  (evacuated("completed"), evacuated(source="host2", dest="host3")))
    assert expected(EVACUATED, again, first_back) == {
        "server 0": {"host2": SMALL, "host3": SMALL}}


def test_a_completed_live_migration_takes_the_hold_away():
    # replace_allocation_with_migration moved both; _post_live_migration deleted them.
    moved = ((server("host3"),),
             (evacuated(), migration("live-migration", "completed", "host2", "host3")))
    assert expected(EVACUATED, moved) == {"server 0": {"host3": SMALL}}


def test_a_live_migration_rolled_back_gives_the_hold_back():
    failed = ((server("host2"),),
              (evacuated(), migration("live-migration", "failed", "host2", "host3")))
    assert expected(EVACUATED, failed) == {"server 0": {"host1": SMALL, "host2": SMALL}}


def test_a_resize_waiting_holds_both_hosts_as_the_migration_until_confirmed():
    waiting = ((server("host3", "medium"),),
               (evacuated(), migration("resize", "finished", "host2", "host3")))
    assert expected(EVACUATED, waiting) == {
        "server 0": {"host3": MEDIUM},
        "migration of server 0": {"host1": SMALL, "host2": SMALL}}
    confirmed = ((server("host3", "medium"),),
                 (evacuated(), migration("resize", "confirmed", "host2", "host3")))
    assert expected(EVACUATED, waiting, confirmed) == {"server 0": {"host3": MEDIUM}}


def test_a_reverted_resize_gives_the_hold_back_until_the_source_restarts():
    waiting = ((server("host3", "medium"),),
               (evacuated(), migration("resize", "finished", "host2", "host3")))
    reverted = ((server("host2"),),
                (evacuated(), migration("resize", "reverted", "host2", "host3")))
    restarted = ((server("host2"),),
                 (evacuated("completed"), migration("resize", "reverted", "host2", "host3")))
    assert expected(EVACUATED, waiting, reverted) == {
        "server 0": {"host1": SMALL, "host2": SMALL}}
    assert expected(EVACUATED, waiting, reverted, restarted) == {"server 0": {"host2": SMALL}}


def test_a_source_restarting_while_the_migration_holds_it_leaves_it_there():
    # _destroy_evacuated_instances removes the node from the server's own allocations.
    waiting = ((server("host3", "medium"),),
               (evacuated(), migration("resize", "finished", "host2", "host3")))
    restarted = ((server("host3", "medium"),),
                 (evacuated("completed"), migration("resize", "finished", "host2", "host3")))
    reverted = ((server("host2"),),
                (evacuated("completed"), migration("resize", "reverted", "host2", "host3")))
    assert expected(EVACUATED, waiting, restarted) == expected(EVACUATED, waiting)
    # The revert gives it back to the server for good: the evacuation is completed.
    assert expected(EVACUATED, waiting, restarted, reverted, reverted) == {
        "server 0": {"host1": SMALL, "host2": SMALL}}


def test_a_move_that_failed_deletes_the_hold_only_if_the_server_left():
    left = ((server("host3"),),
            (evacuated(), migration("migration", "error", "host2", "host3")))
    stayed = ((server("host2"),),
              (evacuated(), migration("migration", "error", "host2", "host3")))
    assert expected(EVACUATED, left) == {"server 0": {"host3": SMALL}}
    assert expected(EVACUATED, stayed) == {"server 0": {"host1": SMALL, "host2": SMALL}}


def test_an_offload_drops_the_hold_for_good():
    offloaded = ((server(None),), (evacuated(),))
    unshelved = ((server("host3"),), (evacuated(),))
    assert expected(EVACUATED, offloaded) == {}
    assert expected(EVACUATED, offloaded, unshelved) == {"server 0": {"host3": SMALL}}


def test_each_server_keeps_its_own_holds():
    both = ((server("host2"), server("host2", index=1)),
            (evacuated(), evacuated(index=1)))
    one_moved = ((server("host3"), server("host2", index=1)),
                 (evacuated(), evacuated(index=1),
                  migration("live-migration", "completed", "host2", "host3")))
    assert expected(both, one_moved) == {
        "server 0": {"host3": SMALL}, "server 1": {"host1": SMALL, "host2": SMALL}}


def test_without_the_steps_the_state_alone_is_followed_in_order():
    # The audit's case: a confirmed move after the evacuation took the hold away.
    servers = (server("host3"),)
    migrations = (evacuated(), migration("migration", "confirmed", "host2", "host3"))
    assert expected_allocations(RESOURCES.__getitem__, servers, migrations) == {
        "server 0": {"host3": SMALL}}
    assert expected_allocations(RESOURCES.__getitem__, (server("host2"),),
                                (evacuated(),)) == {"server 0": {"host1": SMALL,
                                                                 "host2": SMALL}}
