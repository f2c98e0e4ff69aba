"""The resource tracker's count of a node (nova/compute/resource_tracker.py).

A compute node record's usage is what the host's resource tracker counts:
its reservations, the instances on the node, and the moves in progress that
involve it (an outgoing resize or cold migration still uses the old flavor
on the source until it is confirmed, an incoming one the new flavor on the
destination). The scheduler weighs hosts by these records, so they decide
where a later untargeted move goes.
"""

from __future__ import annotations

from harness.cloud.db import Database
from harness.cloud.objects import (
    MIGRATION_RESTING_STATUSES,
    ComputeNode,
    Flavor,
    Instance,
    Migration,
)
from harness.cloud.virt import NodeResources

# Resize and live-migration statuses in which the RT still tracks the move; a
# resize waiting to be confirmed ("finished") keeps its source claim.
_TRACKED = ("finished",)
_MOVES = ("migration", "resize", "live-migration")


def update_usage(db: Database, nodename: str, reserved: NodeResources) -> None:
    """Recount ``nodename`` and save its compute node record."""
    flavors = _flavors_on(db, nodename)
    node = db.get(ComputeNode, nodename)
    node.vcpus_used = reserved.reserved_host_cpus + sum(f.vcpus for f in flavors)
    node.memory_mb_used = reserved.reserved_host_memory_mb + sum(f.memory_mb for f in flavors)
    node.local_gb_used = reserved.reserved_host_disk_mb // 1024 + sum(
        f.root_gb + f.ephemeral_gb for f in flavors)
    node.save()


def _flavors_on(db: Database, nodename: str) -> list[Flavor]:
    in_progress = [m for m in db.query(Migration)
                   if m.migration_type in _MOVES
                   and (m.status not in MIGRATION_RESTING_STATUSES or m.status in _TRACKED)]
    flavors = [Flavor.from_primitive(flavor)
               for flavor in db.column(Instance, "flavor", node=nodename)]
    for migration in in_progress:
        instance = Instance.get_by_uuid(db, migration.instance_uuid)
        if instance.node == nodename:
            continue
        if migration.source_node == nodename:
            flavors.append(instance.old_flavor or instance.flavor)
        elif migration.dest_node == nodename:
            flavors.append(instance.new_flavor or instance.flavor)
    return flavors
