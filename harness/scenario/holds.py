"""Which evacuation sources each server still holds in placement, followed step by step.

An evacuation claims its destination on top of what the server holds
(``SchedulerReportClient.claim_resources``: ``_move_operation_alloc_request``), so
the server keeps its flavor on the source node until that compute restarts and
removes the node from the server's allocations (``ComputeManager.
_destroy_evacuated_instances``: ``remove_provider_tree_from_instance_allocation``;
the evacuation goes from "done" to "completed"). Until then the hold goes
wherever the server's allocations go (nova/conductor/tasks, nova/compute/manager.py):

- a live or cold migration or a resize moves all of them to the migration
  (``replace_allocation_with_migration``), which holds them while it runs;
- when it ends they are deleted with the migration's (a live migration completed,
  a resize confirmed, or one whose destination failed to finish it and now has the
  server: ``_delete_allocation_after_move``), or moved back to the server (a revert,
  a rollback, a failure before the server left: ``_revert_allocation``,
  ``revert_allocation_for_migration``);
- a shelve offload deletes every allocation of the server
  (``delete_allocation_for_shelve_offloaded_instance``), and so does a delete.

The source's restart removes its node from the server's own allocations only: a
hold that a migration has at that moment stays with it, and a revert then gives it
back to the server for good (nothing removes it once the evacuation is completed,
until the server moves on, is offloaded or is deleted).

What decides this is the order of events, which the state after a step does not
show (a server unshelved since its evacuation looks like one never shelved), so
the holds are followed through the state after each step in turn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from harness.cloud.objects import MIGRATION_TERMINAL_STATUSES
from harness.scenario.outcome import MigrationState, ServerState

# node -> the name of the flavor held there
Held = dict[str, str]


@dataclass
class SourceHolds:
    """The evacuation sources held for each server (by its index), beyond the node the
    server is on or the source of its move in progress."""

    # Held by the server itself.
    by_server: dict[int, Held] = field(default_factory=dict)
    # Held by the server's move in progress (a migration consumer of its own).
    by_move: dict[int, Held] = field(default_factory=dict)
    # Each migration's status when last observed, by (server, its n-th migration).
    _statuses: dict[tuple[int, int], str] = field(default_factory=dict)

    @classmethod
    def followed(cls, states: Iterable[tuple[tuple[ServerState, ...],
                                             tuple[MigrationState, ...]]]) -> SourceHolds:
        """The holds after the steps whose states (every server and every migration,
        oldest first, after each step) are given in order."""
        holds = cls()
        for servers, migrations in states:
            holds.observe(servers, migrations)
        return holds

    def observe(self, servers: tuple[ServerState, ...],
                migrations: tuple[MigrationState, ...]) -> None:
        """Follow what the next step did, from the state it left."""
        nodes = {server.index: server.node for server in servers}
        statuses: dict[tuple[int, int], str] = {}
        counts: dict[int, int] = {}
        for migration in migrations:
            if migration.server not in nodes:
                continue
            nth = counts[migration.server] = counts.get(migration.server, -1) + 1
            key = (migration.server, nth)
            statuses[key] = migration.status
            before = self._statuses.get(key)
            if before != migration.status:
                self._follow(migration, migration.server, before, nodes[migration.server])
        self._statuses = statuses
        for held in (self.by_server, self.by_move):
            for index in [i for i in held if i not in nodes]:
                del held[index]     # deleted, and its allocations with it
        for index, node in nodes.items():
            if node is None:
                self.by_server.pop(index, None)     # offloaded: every allocation deleted

    def _follow(self, migration: MigrationState, server: int, before: str | None,
                node: str | None) -> None:
        """A migration of ``server`` changed status (``before``: None if it is new);
        ``node`` is where the server is now."""
        if migration.type == "evacuation":
            source = migration.source_node
            if source is None:
                return
            if migration.status == "done" and migration.flavor:
                self.by_server.setdefault(server, {})[source] = migration.flavor
            elif before == "done":
                # The source restarted: its node leaves the server's own allocations.
                self.by_server.get(server, {}).pop(source, None)
            return
        if before is None:
            self.by_move[server] = self.by_server.pop(server, {})
        if migration.status in MIGRATION_TERMINAL_STATUSES:
            held = self.by_move.pop(server, {})
            if not _took_the_server(migration, node):
                self.by_server[server] = held


def _took_the_server(migration: MigrationState, node: str | None) -> bool:
    """Whether a move that ended has the server and deleted what the migration held:
    a live migration completed, a resize confirmed, or one whose destination failed
    to finish it (Nova's finish_resize leaves the server there, in ERROR)."""
    if migration.status in ("completed", "confirmed"):
        return True
    return (migration.status == "error" and node is not None
            and node == migration.dest_node != migration.source_node)
