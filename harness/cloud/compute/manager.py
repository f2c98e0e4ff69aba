"""A compute host (nova/compute/manager.py, ComputeManager) on the fake virt driver.

At start it registers its service, its compute nodes and their resource
providers and inventories in placement, as the resource tracker does. It
builds instances and runs the steps of a live migration in Nova's order:
check destination (which checks the source), then on the source
live_migration -> pre_live_migration on the destination -> the driver's
migration -> _post_live_migration -> post_live_migration_at_destination.
"""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.compute.rpcapi import ComputeRPCAPI
from harness.cloud.context import RequestContext, get_admin_context
from harness.cloud.db import Database
from harness.cloud.instance_actions import event_reporter
from harness.cloud.objects import (
    ComputeNode,
    Instance,
    Migration,
    RequestSpec,
    Selection,
    Service,
)
from harness.cloud.placement import Inventory
from harness.cloud.rpc import RPCClient
from harness.cloud.scheduler.client import SchedulerReportClient
from harness.cloud.virt import POWER_STATE_RUNNING, FakeDriver, NodeResources


class ComputeManager:
    def __init__(self, host: str, driver: FakeDriver, rpc: RPCClient, db: Database) -> None:
        self.host = host
        self.driver = driver
        self.db = db
        self.compute_rpcapi = ComputeRPCAPI(rpc)
        self.reportclient = SchedulerReportClient(rpc)

    # Start-up: the resource tracker's view of this host

    def init_host(self) -> None:
        context = get_admin_context()
        if not self.db.query(Service, host=self.host):
            Service(host=self.host, uuid=self.db.new_uuid()).create(self.db)
        for nodename, resources in self.driver.nodes.items():
            node = ComputeNode(
                uuid=self.db.new_uuid(),
                host=self.host,
                hypervisor_hostname=nodename,
                vcpus=resources.vcpus,
                memory_mb=resources.memory_mb,
                local_gb=resources.local_gb,
                cpu_allocation_ratio=resources.cpu_allocation_ratio,
                ram_allocation_ratio=resources.ram_allocation_ratio,
                disk_allocation_ratio=resources.disk_allocation_ratio,
            )
            node.create(self.db)
            self.reportclient.ensure_resource_provider(context, node.uuid, nodename)
            self.reportclient.set_inventory_for_provider(
                context, node.uuid, _inventories(resources))
            self._update_available_resource(nodename)

    def _update_available_resource(self, nodename: str) -> None:
        """Recount a node's usage from the instances on it."""
        node = self.db.get(ComputeNode, nodename)
        resources = self.driver.nodes[nodename]
        flavors = [i.flavor for i in self.db.query(Instance, host=self.host, node=nodename)]
        node.vcpus_used = resources.reserved_host_cpus + sum(f.vcpus for f in flavors)
        node.memory_mb_used = resources.reserved_host_memory_mb + sum(
            f.memory_mb for f in flavors)
        node.local_gb_used = resources.reserved_host_disk_mb // 1024 + sum(
            f.root_gb + f.ephemeral_gb for f in flavors)
        node.save()

    # Build

    def build_and_run_instance(self, context: RequestContext, instance: Instance, node: str,
                               request_spec: RequestSpec, host_list: list[Selection]) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_build_and_run_instance",
                            self.host):
            self.driver.spawn(instance, node)
            instance.host = self.host
            instance.node = node
            instance.vm_state = "active"
            instance.task_state = None
            instance.power_state = POWER_STATE_RUNNING
            instance.save()
            self._update_available_resource(node)

    # Live migration

    def check_can_live_migrate_destination(
        self, context: RequestContext, instance: Instance, block_migration: Any,
        migration: Migration, limits: dict[str, Any] | None,
    ) -> dict[str, Any]:
        with event_reporter(self.db, context, instance.uuid,
                            "compute_check_can_live_migrate_destination", self.host):
            dest_check_data = self.driver.check_can_live_migrate_destination(
                instance, block_migration)
            return self.compute_rpcapi.check_can_live_migrate_source(
                context, instance, dest_check_data)

    def check_can_live_migrate_source(self, context: RequestContext, instance: Instance,
                                      dest_check_data: dict[str, Any]) -> dict[str, Any]:
        with event_reporter(self.db, context, instance.uuid,
                            "compute_check_can_live_migrate_source", self.host):
            return self.driver.check_can_live_migrate_source(instance, dest_check_data)

    def pre_live_migration(self, context: RequestContext, instance: Instance,
                           migrate_data: dict[str, Any]) -> dict[str, Any]:
        with event_reporter(self.db, context, instance.uuid, "compute_pre_live_migration",
                            self.host):
            return self.driver.pre_live_migration(instance, migrate_data)

    def live_migration(self, context: RequestContext, instance: Instance, dest: str,
                       migration: Migration, migrate_data: dict[str, Any]) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_live_migration",
                            self.host):
            migration.status = "queued"
            migration.save()
            self._do_live_migration(context, instance, dest, migration, migrate_data)

    def _do_live_migration(self, context: RequestContext, instance: Instance, dest: str,
                           migration: Migration, migrate_data: dict[str, Any]) -> None:
        migration.status = "preparing"
        migration.save()
        try:
            migrate_data = self.compute_rpcapi.pre_live_migration(
                context, instance, dest, migrate_data)
        except Exception:
            self._rollback_live_migration(context, instance, dest, migration)
            raise
        migration.status = "running"
        migration.save()

        def post_method(instance: Instance, dest: str, migrate_data: dict[str, Any]) -> None:
            self._post_live_migration(context, instance, dest, migration)

        def recover_method(instance: Instance, dest: str) -> None:
            self._rollback_live_migration(context, instance, dest, migration)

        self.driver.live_migration(instance, dest, post_method, recover_method, migrate_data)

    def _post_live_migration(self, context: RequestContext, instance: Instance, dest: str,
                             migration: Migration) -> None:
        self.compute_rpcapi.post_live_migration_at_destination(
            context, instance, dest, migration)
        migration.status = "completed"
        migration.save()
        # The source allocation was held by the migration; the move is done.
        self.reportclient.delete_allocation_for_instance(context, migration.uuid)
        self._update_available_resource(instance.node)

    def post_live_migration_at_destination(self, context: RequestContext, instance: Instance,
                                           migration: Migration) -> None:
        with event_reporter(self.db, context, instance.uuid,
                            "compute_post_live_migration_at_destination", self.host):
            self.driver.post_live_migration_at_destination(instance, migration.dest_node)
            instance.host = self.host
            instance.node = migration.dest_node
            instance.power_state = POWER_STATE_RUNNING
            instance.task_state = None
            instance.save(expected_task_state=["migrating"])
            self._update_available_resource(migration.dest_node)

    def _rollback_live_migration(self, context: RequestContext, instance: Instance, dest: str,
                                 migration: Migration) -> None:
        """Give the source allocation back to the instance and end the migration in error."""
        if not self.reportclient.move_allocations(context, migration.uuid, instance.uuid):
            raise exception.MigrationError(
                reason=f"unable to revert the allocation of migration {migration.uuid}")
        instance.task_state = None
        instance.save()
        migration.status = "error"
        migration.save()
        self.compute_rpcapi.rollback_live_migration_at_destination(context, instance, dest)

    def rollback_live_migration_at_destination(self, context: RequestContext,
                                               instance: Instance) -> None:
        self.driver.instances.pop(instance.uuid, None)


def _inventories(resources: NodeResources) -> dict[str, Inventory]:
    return {
        "VCPU": Inventory(total=resources.vcpus, reserved=resources.reserved_host_cpus,
                          allocation_ratio=resources.cpu_allocation_ratio),
        "MEMORY_MB": Inventory(total=resources.memory_mb,
                               reserved=resources.reserved_host_memory_mb,
                               allocation_ratio=resources.ram_allocation_ratio),
        "DISK_GB": Inventory(total=resources.local_gb,
                             reserved=resources.reserved_host_disk_mb // 1024,
                             allocation_ratio=resources.disk_allocation_ratio),
    }
