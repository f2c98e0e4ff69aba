"""The resource tracker of one compute (nova/compute/resource_tracker.py).

A compute node record is what the host's resource tracker last wrote: its usage
(reservations, the instances it tracks, the moves it tracks) and its stats (how
many instances, how many of them in I/O-heavy states). The scheduler weighs hosts
by those records, so they decide where a later untargeted request goes.

Like Nova's, the tracker counts in memory and changes a record only at the
moments Nova's does: a full recount from the database at start-up and, on the
source, at the end of a live migration (Nova also recounts in a periodic task,
which its functional tests, and so the fake cloud, never run); otherwise a
claim adds and a few events take away. So records go stale exactly where Nova's
do: the destination of a live migration does not count the instance; the source
of a confirmed resize still counts it in its stats; an instance's state in the
stats is the one it had when it was claimed (a build counts as I/O until the next
recount).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.cloud.db import Database
from harness.cloud.objects import (
    MIGRATION_OVER_STATUSES,
    ComputeNode,
    Flavor,
    Instance,
    Migration,
)
from harness.cloud.virt import NodeResources

_MOVES = ("migration", "resize", "live-migration")
# nova.compute.stats.Stats.io_workload: builds, and these task states.
_IO_TASK_STATES = frozenset({"resize_migrating", "rebuilding", "resize_prep", "image_snapshot",
                             "image_backup", "rescuing", "unshelving"})


def _removable(vm_state: str, task_state: str | None) -> bool:
    """nova.compute.vm_states.allow_resource_removal."""
    return vm_state == "deleted" or (vm_state == "shelved_offloaded"
                                     and task_state != "spawning")


@dataclass
class _NodeUsage:
    """What the tracker counts on one node, as it will write it."""

    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int
    # nova.compute.stats.Stats: each instance's (vm_state, task_state) when last seen.
    states: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def add(self, flavor: Flavor, sign: int = 1) -> None:
        self.vcpus_used += sign * flavor.vcpus
        self.memory_mb_used += sign * flavor.memory_mb
        self.local_gb_used += sign * (flavor.root_gb + flavor.ephemeral_gb)

    @property
    def io_workload(self) -> int:
        return sum(1 for vm_state, task_state in self.states.values()
                   if vm_state == "building" or task_state in _IO_TASK_STATES)


class ResourceTracker:
    def __init__(self, db: Database, host: str, nodes: dict[str, NodeResources]) -> None:
        self.db = db
        self.host = host
        self.nodes = nodes
        self._usage: dict[str, _NodeUsage] = {}
        self.tracked_instances: set[str] = set()
        # instance uuid -> the node whose usage counts the move
        self.tracked_migrations: dict[str, str] = {}

    def update_available_resource(self, nodename: str) -> None:
        """The full recount: the node's instances as the database has them, and the
        moves in progress to or from it."""
        reserved = self.nodes[nodename]
        usage = self._usage[nodename] = _NodeUsage(
            vcpus_used=reserved.reserved_host_cpus,
            memory_mb_used=reserved.reserved_host_memory_mb,
            local_gb_used=reserved.reserved_host_disk_mb // 1024)
        # Nova forgets every node's tracked instances and moves here, not only this
        # node's (a host has one node in the fake cloud).
        self.tracked_instances.clear()
        self.tracked_migrations.clear()
        on_node = [i for i in self.db.query(Instance, host=self.host, node=nodename)
                   if not _removable(i.vm_state, i.task_state)]
        for instance in on_node:
            self.tracked_instances.add(instance.uuid)
            usage.states[instance.uuid] = (instance.vm_state, instance.task_state)
            usage.add(instance.flavor)
        for migration in self.db.query(Migration):
            # A resize waiting to be confirmed ("finished") still keeps its claims.
            if (migration.migration_type not in _MOVES
                    or migration.status in MIGRATION_OVER_STATUSES):
                continue
            instance = Instance.get_by_uuid(self.db, migration.instance_uuid)
            if instance.node == nodename:
                if migration.source_node != migration.dest_node:
                    continue
                # A resize on one node counts both flavors: the one it is not yet or
                # no longer using comes from the move.
                finished = (instance.new_flavor is not None
                            and instance.flavor.flavorid == instance.new_flavor.flavorid)
                usage.add((instance.old_flavor if finished else instance.new_flavor)
                          or instance.flavor)
            elif migration.source_node == nodename:
                usage.add(instance.old_flavor or instance.flavor)
            elif migration.dest_node == nodename:
                usage.add(instance.new_flavor or instance.flavor)
            else:
                continue
            self.tracked_migrations[instance.uuid] = nodename
        self._save(nodename)

    def instance_claim(self, instance: Instance, nodename: str) -> None:
        """A build or unshelve here: the instance is tracked, in the state it has now."""
        self._update_usage_from_instance(instance, nodename)
        self._save(nodename)

    def abort_instance_claim(self, instance: Instance, nodename: str) -> None:
        self._update_usage_from_instance(instance, nodename, removed=True)
        self._save(nodename)

    def update_usage(self, instance: Instance) -> None:
        """A tracked instance changed (deleted, shelved away): its stats follow, and it
        stops counting once its resources may be freed. Untracked ones are ignored."""
        if instance.node in self._usage and instance.uuid in self.tracked_instances:
            self._update_usage_from_instance(instance, instance.node)
            self._save(instance.node)

    def move_claim(self, instance: Instance, migration: Migration, nodename: str,
                   new_flavor: Flavor) -> None:
        """A resize, cold migration or evacuation to this node: the move is tracked
        here with the flavor the instance will have (the stats do not change)."""
        incoming = migration.dest_node == nodename
        same_node = incoming and migration.source_node == nodename
        if same_node or (incoming and instance.uuid not in self.tracked_instances):
            self._usage[nodename].add(new_flavor)
        self.tracked_migrations[instance.uuid] = nodename
        self._save(nodename)

    def drop_move_claim(self, instance: Instance, nodename: str | None,
                        flavor: Flavor | None) -> None:
        """_drop_move_claim: the flavor's usage comes off the node whether or not the
        move was tracked here, and the instance is no longer tracked (its stats stay)."""
        if nodename not in self._usage:
            return
        if flavor is not None:
            self._usage[nodename].add(flavor, sign=-1)
            self._save(nodename)
        self.tracked_migrations.pop(instance.uuid, None)
        self.tracked_instances.discard(instance.uuid)

    def _update_usage_from_instance(self, instance: Instance, nodename: str,
                                    removed: bool = False) -> None:
        usage = self._usage[nodename]
        new = instance.uuid not in self.tracked_instances
        removed = not new and (removed or _removable(instance.vm_state, instance.task_state))
        if new:
            self.tracked_instances.add(instance.uuid)
            usage.add(instance.flavor)
        if removed:
            self.tracked_instances.remove(instance.uuid)
            usage.add(instance.flavor, sign=-1)
            usage.states.pop(instance.uuid, None)
        else:
            usage.states[instance.uuid] = (instance.vm_state, instance.task_state)

    def _save(self, nodename: str) -> None:
        usage = self._usage[nodename]
        node = self.db.get(ComputeNode, nodename)
        node.vcpus_used = usage.vcpus_used
        node.memory_mb_used = usage.memory_mb_used
        node.local_gb_used = usage.local_gb_used
        node.num_instances = len(usage.states)
        node.io_workload = usage.io_workload
        node.save()
