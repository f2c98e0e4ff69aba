"""A compute host (nova/compute/manager.py, ComputeManager) on the fake virt driver.

At start it registers its service, its compute nodes and their resource
providers and inventories in placement, as the resource tracker does; at a
restart it cleans up what was evacuated away while it was down. It builds
instances; the moves it takes part in live in one module each
(live_migration, resize, rebuild, shelve), composed here into the one class
Nova has, so every RPC method keeps Nova's name.
"""

from __future__ import annotations

from harness.cloud import exception
from harness.cloud.compute import utils as compute_utils
from harness.cloud.compute.live_migration import LiveMigrationMixin
from harness.cloud.compute.rebuild import RebuildMixin
from harness.cloud.compute.resize import ResizeMixin
from harness.cloud.compute.resource_tracker import ResourceTracker
from harness.cloud.compute.rpcapi import ComputeRPCAPI
from harness.cloud.compute.shelve import ShelveMixin
from harness.cloud.conductor.api import ComputeTaskAPI
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext, get_admin_context
from harness.cloud.db import Database
from harness.cloud.instance_actions import event_reporter
from harness.cloud.objects import (
    MIGRATION_OVER_STATUSES,
    ComputeNode,
    Instance,
    InstanceGroup,
    Migration,
    RequestSpec,
    Selection,
    Service,
)
from harness.cloud.placement import COMPUTE_STATUS_DISABLED, Inventory
from harness.cloud.rpc import RPCClient
from harness.cloud.scheduler.client import SchedulerQueryClient, SchedulerReportClient
from harness.cloud.virt import POWER_STATE_RUNNING, FakeDriver, NodeResources


class ComputeManager(LiveMigrationMixin, ResizeMixin, RebuildMixin, ShelveMixin):
    def __init__(self, host: str, driver: FakeDriver, rpc: RPCClient, db: Database,
                 config: Config | None = None) -> None:
        self.host = host
        self.driver = driver
        self.db = db
        self.config = config or Config()
        self.compute_rpcapi = ComputeRPCAPI(rpc)
        self.compute_task_api = ComputeTaskAPI(rpc)
        self.reportclient = SchedulerReportClient(rpc)
        self.query_client = SchedulerQueryClient(rpc)
        self.trace = rpc.bus.trace

    # Start-up: the resource tracker's view of this host

    def init_host(self) -> None:
        """Start (or restart) the service: a new resource tracker, which recounts every
        node once the rest of start-up is done (pre_start_hook)."""
        context = get_admin_context()
        self.rt = ResourceTracker(self.db, self.host, self.driver.nodes)
        instances = self.db.query(Instance, host=self.host)
        if not self.db.query(Service, host=self.host):
            Service(host=self.host, uuid=self.db.new_uuid()).create(self.db)
        for nodename, resources in self.driver.nodes.items():
            if self.db.query(ComputeNode, hypervisor_hostname=nodename):
                continue
            node = ComputeNode(
                uuid=self.db.new_uuid(),
                host=self.host,
                hypervisor_hostname=nodename,
                vcpus=resources.vcpus,
                memory_mb=resources.memory_mb,
                local_gb=resources.local_gb,
            )
            node.create(self.db)
            self.reportclient.ensure_resource_provider(context, node.uuid, nodename)
            self.reportclient.set_inventory_for_provider(
                context, node.uuid, _inventories(resources))
        # The trait follows the service's disabled flag, which may have changed while
        # this compute was down (the API tells only a compute that is up).
        service = self.db.query(Service, host=self.host)[0]
        self._update_compute_provider_status(context, enabled=not service.disabled)
        self._destroy_evacuated_instances(context)
        for nodename in self.driver.nodes:
            self.rt.update_available_resource(nodename)
        if instances:
            # Only with something to send: a new host may not be mapped to a cell yet.
            self._update_scheduler_instance_info(context, instances)

    def set_host_enabled(self, context: RequestContext, enabled: bool) -> None:
        """The API enabled or disabled this compute's service."""
        self._update_compute_provider_status(context, enabled)

    def _update_compute_provider_status(self, context: RequestContext, enabled: bool) -> None:
        """COMPUTE_STATUS_DISABLED on each node's provider while the service is disabled,
        so that the scheduler's pre-filter leaves them out."""
        for nodename in self.driver.nodes:
            rp_uuid = self.db.get(ComputeNode, nodename).uuid
            traits = self.reportclient.get_provider_traits(context, rp_uuid)
            wanted = (traits - {COMPUTE_STATUS_DISABLED} if enabled
                      else traits | {COMPUTE_STATUS_DISABLED})
            if wanted != traits:
                self.reportclient.set_traits_for_provider(context, rp_uuid, wanted)

    def _destroy_evacuated_instances(self, context: RequestContext) -> None:
        """Servers evacuated away while this host was down: drop their guest and their
        allocation here; the evacuation is complete."""
        for migration in self.db.query(Migration, source_compute=self.host,
                                       migration_type="evacuation"):
            if migration.status not in ("accepted", "pre-migrating", "done"):
                continue
            self.driver.destroy(Instance.get_by_uuid(self.db, migration.instance_uuid))
            if migration.source_node:
                source = self.db.get(ComputeNode, migration.source_node)
                self.reportclient.remove_provider_tree_from_instance_allocation(
                    context, migration.instance_uuid, source.uuid)
            migration.status = "completed"
            migration.save()

    # Build

    def build_and_run_instance(self, context: RequestContext, instance: Instance, node: str,
                               request_spec: RequestSpec, host_list: list[Selection]) -> None:
        """Build on ``node``; ``host_list`` holds the alternates for a reschedule."""
        # Nova records the event of _do_build_and_run_instance, under its own name.
        with event_reporter(self.db, context, instance.uuid,
                            "compute__do_build_and_run_instance", self.host):
            try:
                self._build_and_run_instance(context, instance, node, request_spec)
            except exception.RescheduledException as exc:
                self._reschedule_build(context, instance, node, request_spec, host_list, exc)

    def _build_and_run_instance(self, context: RequestContext, instance: Instance, node: str,
                                request_spec: RequestSpec) -> None:
        # The resource tracker's instance claim puts the server on this host first;
        # the group policy is checked after it, as in Nova.
        instance.host = self.host
        instance.node = node
        instance.save()
        self.rt.instance_claim(instance, node)
        try:
            self._validate_instance_group_policy(instance, request_spec.scheduler_hints)
        except exception.GroupAffinityViolation as exc:
            self.rt.abort_instance_claim(instance, node)
            raise exception.RescheduledByPolicyException(
                instance_uuid=instance.uuid, reason=exc.format_message()) from exc
        self.driver.spawn(instance, node)
        instance.vm_state = "active"
        instance.task_state = None
        instance.power_state = POWER_STATE_RUNNING
        instance.save()
        self._update_scheduler_instance_info(context, [instance])

    def _reschedule_build(self, context: RequestContext, instance: Instance, node: str,
                          request_spec: RequestSpec, host_list: list[Selection],
                          exc: exception.RescheduledException) -> None:
        """Give the claim back and let the conductor try the alternates; without retries
        ([scheduler] max_attempts = 1) the server goes to ERROR."""
        instance.host = None
        instance.node = None
        if self.config.max_attempts <= 1:
            compute_utils.add_instance_fault_from_exc(instance, exc)
            instance.vm_state = "error"
            instance.task_state = None
            instance.save()
            return
        instance.task_state = "scheduling"
        instance.save()
        self.reportclient.delete_allocation_for_instance(context, instance.uuid)
        self.compute_task_api.build_instances(context, instance, request_spec, host_list)

    # Delete

    def terminate_instance(self, context: RequestContext, instance: Instance) -> None:
        """_delete_instance: the guest goes, then the server's allocations and the
        server itself (_complete_deletion)."""
        with event_reporter(self.db, context, instance.uuid, "compute_terminate_instance",
                            self.host):
            self.driver.destroy(instance)
            self.reportclient.delete_allocation_for_instance(context, instance.uuid)
            Instance.get_by_uuid(self.db, instance.uuid).destroy()
            # _complete_deletion
            instance.vm_state = "deleted"
            instance.task_state = None
            self._update_resource_tracker(instance)
            self._delete_scheduler_instance_info(context, instance.uuid)

    def _validate_instance_group_policy(
            self, instance: Instance,
            scheduler_hints: dict[str, list[str]] | None = None) -> None:
        """The late check of a server group: the one named by the ``group`` hint of a
        build, a cold migration or resize, or an evacuation; without hints (a live
        migration, even a forced one), the group the server is a member of. The
        scheduler decided it, but two requests may have raced, and a forced live
        migration never asked it. The API takes only a group's uuid as the hint."""
        if self.config.disable_group_policy_check_upcall:
            return
        if scheduler_hints is not None:
            if not scheduler_hints.get("group"):
                return
            hint = scheduler_hints["group"][0]
            try:
                group = InstanceGroup.get_by_uuid(self.db, hint)
            except exception.InstanceGroupNotFound:
                return
        else:
            try:
                group = InstanceGroup.get_by_instance_uuid(self.db, instance.uuid)
            except exception.InstanceGroupNotFound:
                return
        members = set(group.members or ()) - {instance.uuid}
        if group.policy == "anti-affinity":
            on_host = {i.uuid for i in self.db.query(Instance, host=self.host)}
            # A move to or from this host counts until it is over: a resize waiting
            # to be confirmed still holds its source.
            moving_here = {m.instance_uuid for m in self.db.query(Migration)
                           if self.host in (m.source_compute, m.dest_compute)
                           and m.status not in MIGRATION_OVER_STATUSES}
            if len((on_host | moving_here) & members) >= int(
                    group.rules.get("max_server_per_host", 1)):
                raise exception.GroupAffinityViolation(policy="Anti-affinity")
        elif group.policy == "affinity":
            hosts = group.get_hosts(self.db, exclude=[instance.uuid])
            if hosts and self.host not in hosts:
                raise exception.GroupAffinityViolation(policy="Affinity")


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

