"""The fake virt driver (nova/virt/fake.py): every hypervisor step succeeds.

Tests make a step fail by patching the driver method of one host, e.g.
``mock.patch.object(cloud.computes['host2'].driver, 'check_can_live_migrate_destination',
side_effect=exception.MigrationPreCheckError(reason='...'))``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.cloud import exception
from harness.cloud.objects import Instance

# nova.compute.power_state
POWER_STATE_RUNNING = 1
POWER_STATE_SHUTDOWN = 4


@dataclass(frozen=True)
class NodeResources:
    """What a node reports: its size, reservations and allocation ratios."""

    vcpus: int = 8
    memory_mb: int = 8192
    local_gb: int = 100
    reserved_host_memory_mb: int = 512
    reserved_host_disk_mb: int = 0
    reserved_host_cpus: int = 0
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0


class FakeDriver:
    def __init__(self, host: str, nodes: dict[str, NodeResources]) -> None:
        self.host = host
        self.nodes = nodes
        self.instances: dict[str, str] = {}  # uuid -> node

    # nova.virt.fake.FakeDriver does not move disks between its own nodes.
    supports_migrate_to_same_host = False

    def spawn(self, instance: Instance, node: str) -> None:
        self.instances[instance.uuid] = node

    def destroy(self, instance: Instance) -> None:
        self.instances.pop(instance.uuid, None)

    def instance_exists(self, instance: Instance) -> bool:
        """Whether this host still has the guest: Nova's fake driver keeps a live
        migration's on its source (only the live-migration driver variant drops it)."""
        return instance.uuid in self.instances

    def power_off(self, instance: Instance) -> None:
        """The fake guest has no power state of its own; a host without the guest (a
        resize whose destination failed to finish it) has nothing to power off."""
        self._require_guest(instance)

    def power_on(self, instance: Instance) -> None:
        self._require_guest(instance)

    def _require_guest(self, instance: Instance) -> None:
        if instance.uuid not in self.instances:
            raise exception.InstanceNotFound(instance_id=instance.uuid)

    def snapshot(self, instance: Instance, image_id: str) -> None:
        """Shelving snapshots the guest; the fake cloud accepts any image."""

    # Cold migration and resize

    def migrate_disk_and_power_off(self, instance: Instance, dest: str) -> None:
        """The fake guest has no disk to copy."""

    def finish_migration(self, instance: Instance, node: str) -> None:
        self.instances[instance.uuid] = node

    def confirm_migration(self, instance: Instance, same_host: bool) -> None:
        if not same_host:
            self.destroy(instance)

    def finish_revert_migration(self, instance: Instance, node: str) -> None:
        self.instances[instance.uuid] = node

    def check_can_live_migrate_destination(self, instance: Instance, block_migration: Any
                                           ) -> dict[str, Any]:
        return {"block_migration": block_migration in (True, "auto")}

    def check_can_live_migrate_source(self, instance: Instance, dest_check_data: dict[str, Any]
                                      ) -> dict[str, Any]:
        return dict(dest_check_data, is_shared_instance_path=False)

    def pre_live_migration(self, instance: Instance, migrate_data: dict[str, Any]
                           ) -> dict[str, Any]:
        return migrate_data

    def live_migration(
        self,
        instance: Instance,
        dest: str,
        post_method: Callable[..., None],
        recover_method: Callable[..., None],
        migrate_data: dict[str, Any],
    ) -> None:
        post_method(instance, dest, migrate_data)

    def post_live_migration_at_destination(self, instance: Instance, node: str) -> None:
        self.instances[instance.uuid] = node
