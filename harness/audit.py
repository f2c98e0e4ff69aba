"""The harness's invariants, checked on a fake cloud as it stands: what Python tests
get from their fixtures at cleanup, as scenarios get it after every step.

The cloud is read straight from its database and placement (its services may be
stopped already): every server on a known host and node or on none in a state
that has none, no task left, placement holding exactly what the servers and their
moves in progress should hold (no orphan consumer, no double claim, nothing held
by a finished migration), and no provider used beyond its capacity.

It sees the cloud once, not step by step: where an evacuation's hold on its source
went is read from each server's migrations in order (``expected_allocations``
without ``holds``), which cannot show a shelve offload between them, or a source
that restarted while a later move held its hold.
"""

from __future__ import annotations

import re

import fixtures

from harness.cloud.db import Database
from harness.cloud.objects import (
    ComputeNode,
    Flavor,
    Instance,
    InstanceAction,
    InstanceActionEvent,
    Migration,
)
from harness.cloud.placement import PlacementService
from harness.cloud.scheduler.utils import resources_from_flavor
from harness.scenario import invariants
from harness.scenario.checks import allocation_mismatches, expected_allocations
from harness.scenario.mismatch import Mismatch
from harness.scenario.outcome import FINISH_RESIZE_EVENT, MigrationState, ServerState

# A server as the invariants name it, by its index.
_SERVER = re.compile(r"\bserver (\d+)\b")


class InvariantViolation(AssertionError):
    """The cloud is in a state no correct Nova shows."""


def audit(db: Database, placement: PlacementService) -> list[Mismatch]:
    """What is wrong with the cloud now. Servers are numbered in creation order, and
    each mismatch names the server's UUID too."""
    instances = db.query(Instance)
    index = {instance.uuid: i for i, instance in enumerate(instances)}
    flavors = {flavor.id: flavor for flavor in db.query(Flavor)}
    servers = tuple(_server_state(i, instance) for i, instance in enumerate(instances))
    records = [m for m in db.query(Migration) if m.instance_uuid in index]
    finished = _finished_on_destination(db, records)
    migrations = tuple(_migration_state(m, index, flavors, finished) for m in records)
    allocations = _allocations(placement, index, records)
    nodes: dict[str, set[str]] = {}
    for node in db.query(ComputeNode):
        nodes.setdefault(node.host, set()).add(node.hypervisor_hostname)
    by_name = {flavor.name: resources_from_flavor(flavor) for flavor in flavors.values()}
    found = [*invariants.state_violations(nodes, servers, allocations,
                                          placement.capacities_by_name()),
             *allocation_mismatches(expected_allocations(by_name.__getitem__, servers,
                                                         migrations), allocations)]
    uuids = [instance.uuid for instance in instances]
    return [Mismatch(_SERVER.sub(lambda m: f"{m[0]} ({uuids[int(m[1])]})", mismatch.what),
                     mismatch.expected, mismatch.observed) for mismatch in found]


class InvariantsFixture(fixtures.Fixture):
    """At cleanup, after the services it was set up before have stopped, fails with
    every invariant the cloud breaks, by name and with the values."""

    def __init__(self, db: Database, placement: PlacementService) -> None:
        super().__init__()
        self.db, self.placement = db, placement

    def _setUp(self) -> None:
        self.addCleanup(self._check)

    def _check(self) -> None:
        found = audit(self.db, self.placement)
        if found:
            raise InvariantViolation("the cloud breaks the harness's invariants:\n" +
                                     "\n".join(f"  {m.render()}" for m in found))


def _server_state(index: int, instance: Instance) -> ServerState:
    return ServerState(index=index, name=instance.display_name,
                       status=instance.vm_state.upper(), host=instance.host,
                       node=instance.node, task_state=instance.task_state,
                       flavor=instance.flavor.name, vm_state=instance.vm_state)


def _finished_on_destination(db: Database, migrations: list[Migration]) -> set[str]:
    """The migrations, each a server's last resize or cold migration, whose destination
    ran finish_resize: the events of the server's last resize or migrate action."""
    last = {m.instance_uuid: m.uuid for m in migrations
            if m.migration_type in ("resize", "migration")}
    finished = set()
    for instance_uuid, migration_uuid in last.items():
        moves = [a for a in db.query(InstanceAction, instance_uuid=instance_uuid)
                 if a.action in ("resize", "migrate")]
        if moves and any(event.event == FINISH_RESIZE_EVENT
                         for event in db.query(InstanceActionEvent, action_id=moves[-1].id)):
            finished.add(migration_uuid)
    return finished


def _migration_state(migration: Migration, index: dict[str, int],
                     flavors: dict[int | None, Flavor], finished: set[str]) -> MigrationState:
    """``finished``: the migrations whose destination ran finish_resize."""
    old = flavors.get(migration.old_instance_type_id)
    new = flavors.get(migration.new_instance_type_id)
    return MigrationState(type=migration.migration_type, status=migration.status,
                          source=migration.source_compute, dest=migration.dest_compute,
                          source_node=migration.source_node, dest_node=migration.dest_node,
                          server=index[migration.instance_uuid],
                          flavor=old.name if old else None,
                          dest_flavor=new.name if new and migration.uuid in finished
                          else None)


def _allocations(placement: PlacementService, index: dict[str, int],
                 migrations: list[Migration]) -> dict[str, dict[str, dict[str, int]]]:
    labels = {uuid: f"server {i}" for uuid, i in index.items()}
    labels.update({m.uuid: f"migration of server {index[m.instance_uuid]}"
                   for m in migrations})
    return {labels.get(uuid, f"consumer {uuid}"): providers
            for uuid, providers in placement.allocations_by_name().items()}
