"""The compute API (nova/compute/api.py, API): what a request does before the conductor.

Each method checks what Nova checks synchronously (instance state, hosts,
flavors, services), prepares the RequestSpec the way Nova does for that
action (and persists only what Nova persists), records the instance action,
and casts to the conductor or a compute. Failures raised here are the ones
the REST API answers with an error status; everything after the cast shows
only in migrations, instance actions and faults.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.cloud import exception, quota
from harness.cloud.api import policy
from harness.cloud.compute.rpcapi import ComputeRPCAPI
from harness.cloud.conductor.api import ComputeTaskAPI
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext, get_admin_context
from harness.cloud.db import Database
from harness.cloud.instance_actions import record_action_start
from harness.cloud.objects import (
    ComputeNode,
    Destination,
    Flavor,
    Instance,
    InstanceGroup,
    Migration,
    RequestSpec,
    Service,
)
from harness.cloud.rpc import RPCClient
from harness.cloud.scheduler.client import SchedulerReportClient

GiB = 1024 ** 3

# nova.compute.vm_states / task_states used by the checks below.
ACTIVE, STOPPED, PAUSED, ERROR = "active", "stopped", "paused", "error"
RESIZED, SHELVED, SHELVED_OFFLOADED = "resized", "shelved", "shelved_offloaded"


def check_instance_state(instance: Instance, vm_state: Sequence[str] | None,
                         method: str, task_state: Sequence[str | None] | None = (None,)) -> None:
    """nova.compute.api.check_instance_state: vm_state first, then task_state."""
    if vm_state is not None and instance.vm_state not in vm_state:
        raise exception.InstanceInvalidState(
            instance_uuid=instance.uuid, attr="vm_state", state=instance.vm_state,
            method=method)
    if task_state is not None and instance.task_state not in task_state:
        raise exception.InstanceInvalidState(
            instance_uuid=instance.uuid, attr="task_state", state=instance.task_state,
            method=method)


class API:
    def __init__(self, rpc: RPCClient, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.compute_task_api = ComputeTaskAPI(rpc)
        self.compute_rpcapi = ComputeRPCAPI(rpc)
        self.reportclient = SchedulerReportClient(rpc)

    # Create

    def create(
        self,
        context: RequestContext,
        flavor: Flavor,
        image_ref: str,
        name: str,
        min_count: int,
        max_count: int,
        scheduler_hints: dict[str, list[str]],
        availability_zone: str | None = None,
        forced_host: str | None = None,
        instance_group: InstanceGroup | None = None,
    ) -> tuple[list[Instance], str]:
        """Persist one RequestSpec and one instance per server, then cast to the conductor.

        Every RequestSpec records num_instances = the size of the batch: that is
        how the conductor knows how many were created together, and it is what
        stays in the database for later moves of any one of them. So does a
        host forced with availability_zone "nova:host" (force_hosts). A server
        group named by the ``group`` hint gets each server as a member.
        """
        self._validate_flavor_image(context, flavor)
        num_instances = quota.check_num_instances_quota(
            self.db, self.config.quota, context.project_id, flavor, min_count, max_count)
        reservation_id = "r-" + self.db.new_uuid()[:8]
        request_specs: list[RequestSpec] = []
        instances: list[Instance] = []
        try:
            for index in range(num_instances):
                request_spec, instance = self._provision_instance(
                    context, flavor, image_ref, name, index, num_instances, reservation_id,
                    scheduler_hints, availability_zone, forced_host, instance_group)
                request_specs.append(request_spec)
                instances.append(instance)
        except exception.OverQuota:
            # Nothing of the request is left behind, as Nova destroys its build requests.
            self._unprovision(request_specs, instances, instance_group)
            raise
        self.compute_task_api.schedule_and_build_instances(context, request_specs)
        return instances, reservation_id

    @staticmethod
    def _validate_flavor_image(context: RequestContext, flavor: Flavor,
                               image_min_disk: int = 0) -> None:
        """_validate_flavor_image_nostatus for the harness's images (GlanceFixture's: no
        min_ram, min_disk 0, a few MiB, so never larger than a disk of 1 GiB): the
        flavor's disk against the min_disk given (a resize: the one the server keeps),
        and a zero disk, which only the admin may boot an image on."""
        if flavor.root_gb:
            if image_min_disk > flavor.root_gb:
                raise exception.FlavorDiskSmallerThanMinDisk(
                    flavor_size=flavor.root_gb * GiB, image_min_disk=image_min_disk * GiB)
        elif not policy.check(context, "os_compute_api:servers:create:zero_disk_flavor"):
            raise exception.BootFromVolumeRequiredForZeroDiskFlavor()

    def _provision_instance(
        self, context: RequestContext, flavor: Flavor, image_ref: str, name: str, index: int,
        num_instances: int, reservation_id: str, scheduler_hints: dict[str, list[str]],
        availability_zone: str | None, forced_host: str | None,
        instance_group: InstanceGroup | None,
    ) -> tuple[RequestSpec, Instance]:
        instance_uuid = self.db.new_uuid()
        request_spec = RequestSpec(
            instance_uuid=instance_uuid,
            flavor=flavor,
            num_instances=num_instances,
            image={"id": image_ref},
            project_id=context.project_id,
            user_id=context.user_id,
            scheduler_hints=scheduler_hints,
            availability_zone=availability_zone,
            force_hosts=[forced_host] if forced_host else None,
            # The group itself, as RequestSpec.from_components keeps it.
            instance_group=instance_group,
        )
        request_spec.create(self.db)
        if instance_group is not None:
            try:
                # Counted from the members the group in memory holds: None only if a
                # save cleared the spec's group (bug #1815153), a TypeError (a 500).
                quota.check_server_group_members(self.db, self.config.quota,
                                                 instance_group, context.user_id)
            except exception.OverQuota:
                request_spec.destroy()
                raise exception.OverQuota("Quota exceeded, too many servers in group") from None
        instance = Instance(
            uuid=instance_uuid,
            display_name=name if num_instances == 1 else f"{name}-{index + 1}",
            flavor=flavor,
            project_id=context.project_id,
            user_id=context.user_id,
            reservation_id=reservation_id,
            launch_index=index,
            image_ref=image_ref,
            image_min_disk=flavor.root_gb,
        )
        instance.create(self.db)
        if instance_group is not None:
            stored = InstanceGroup.get_by_uuid(self.db, instance_group.uuid)
            stored.members = [*(stored.members or []), instance_uuid]
            stored.save()
            # The members added in this request, for the next quota check.
            instance_group.members.extend([instance_uuid])  # type: ignore[union-attr]
        record_action_start(self.db, context, instance_uuid, "create")
        return request_spec, instance

    def _unprovision(self, request_specs: list[RequestSpec], instances: list[Instance],
                     instance_group: InstanceGroup | None) -> None:
        for obj in (*request_specs, *instances):
            obj.destroy()
        if instance_group is not None:
            stored = InstanceGroup.get_by_uuid(self.db, instance_group.uuid)
            stored.members = [m for m in stored.members or ()
                              if m not in {i.uuid for i in instances}]
            stored.save()

    # Stop and start

    def stop(self, context: RequestContext, instance: Instance) -> None:
        check_instance_state(instance, [ACTIVE, ERROR], "stop")
        self._check_instance_host(instance)
        instance.task_state = "powering-off"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "stop")
        self.compute_rpcapi.stop_instance(context, instance)

    def start(self, context: RequestContext, instance: Instance) -> None:
        check_instance_state(instance, [STOPPED], "start")
        self._check_instance_host(instance)
        instance.task_state = "powering-on"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "start")
        self.compute_rpcapi.start_instance(context, instance)

    # Delete

    def delete(self, context: RequestContext, instance: Instance) -> None:
        """API._delete: in any state. A server on a compute that is up is deleted there
        (a resized one confirmed first, so that its source gives back what the
        migration held); otherwise here, with its allocations."""
        original_task_state = instance.task_state
        instance.task_state = "deleting"
        instance.save()
        if instance.host is None:
            self._local_delete(instance)
            return
        if instance.vm_state == RESIZED:
            self._confirm_resize_on_deleting(context, instance)
        services = self.db.query(Service, host=instance.host)
        if services and services[0].is_up:
            if original_task_state == "deleting":
                return
            record_action_start(self.db, context, instance.uuid, "delete")
            self.compute_rpcapi.terminate_instance(context, instance)
        else:
            self._local_delete(instance)
            record_action_start(self.db, context, instance.uuid, "delete")

    def _confirm_resize_on_deleting(self, context: RequestContext, instance: Instance) -> None:
        for status in ("finished", "confirming"):
            try:
                migration = self._migration_by_status(instance, status)
            except exception.MigrationNotFoundByStatus:
                continue
            record_action_start(self.db, context, instance.uuid, "confirmResize")
            self.compute_rpcapi.confirm_resize(context, instance, migration,
                                               migration.source_compute, cast=False)
            return

    def _local_delete(self, instance: Instance) -> None:
        """_local_delete and _local_delete_cleanup: no compute to ask."""
        self.reportclient.delete_allocation_for_instance(get_admin_context(), instance.uuid)
        instance.destroy()

    # Live migration (migrate_server)

    def live_migrate(
        self,
        context: RequestContext,
        instance: Instance,
        block_migration: Any,
        host_name: str | None,
        force: bool | None = False,
        async_: bool = True,
    ) -> None:
        """``force`` is None below 2.30: a host given then is forced, as with force=True."""
        check_instance_state(instance, [ACTIVE, PAUSED], "live migrate")
        nodes = self._nodes(host_name) if host_name else []
        request_spec = RequestSpec.get_by_instance_uuid(self.db, instance.uuid)

        instance.task_state = "migrating"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "live-migration")

        if host_name and force is False:
            # A host that is not forced is a hint: the scheduler still decides,
            # only considering that host.
            request_spec.requested_destination = Destination(
                host=nodes[0].host, node=nodes[0].hypervisor_hostname)
            host_name = None
        self.compute_task_api.live_migrate_instance(
            context, instance, host_name, block_migration, request_spec, async_)

    # Cold migration and resize (both are nova.compute.api.API.resize)

    def resize(self, context: RequestContext, instance: Instance,
               flavor_id: str | None = None, host_name: str | None = None) -> None:
        """Without a flavor a cold migration, with one a resize; the conductor schedules."""
        method = "resize" if flavor_id else "migrate"
        check_instance_state(instance, [ACTIVE, STOPPED], method)
        self._check_instance_host(instance, check_is_up=True)
        node = self._validate_host_for_cold_migrate(instance, host_name) if host_name else None
        current_flavor = instance.flavor
        if not flavor_id:
            new_flavor = current_flavor
        else:
            try:
                new_flavor = self.db.get(Flavor, str(flavor_id))
            except exception.ObjectNotFound:
                raise exception.FlavorNotFound(flavor_id=flavor_id) from None
            # Only a volume-backed server (none here) may resize to a zero disk.
            if new_flavor.root_gb == 0 and current_flavor.root_gb != 0:
                raise exception.CannotResizeDisk(
                    reason="Resize to zero disk flavor is not allowed.")
        same_flavor = current_flavor.id == new_flavor.id
        if same_flavor and flavor_id:
            raise exception.CannotResizeToSameFlavor()
        if flavor_id:
            quota.check_upsize(self.db, self.config.quota, instance.project_id,
                               current_flavor, new_flavor)
        if not same_flavor:
            self._validate_flavor_image(context, new_flavor, instance.image_min_disk)

        # The fake driver does not report COMPUTE_SAME_HOST_COLD_MIGRATE, so a cold
        # migration always leaves the host; a resize may stay if nova.conf allows it.
        allow_same_host = not same_flavor and self.config.allow_resize_to_same_host
        request_spec = RequestSpec.get_by_instance_uuid(self.db, instance.uuid)
        request_spec.ignore_hosts = [] if allow_same_host else [instance.host]

        instance.task_state = "resize_prep"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, method)

        request_spec.requested_destination = (
            Destination(host=node.host, node=node.hypervisor_hostname) if node
            else Destination())
        self.compute_task_api.resize_instance(
            context, instance, {"filter_properties": {
                "ignore_hosts": list(request_spec.ignore_hosts)}},
            new_flavor, request_spec)

    def _validate_host_for_cold_migrate(self, instance: Instance, host_name: str
                                        ) -> ComputeNode:
        if host_name == instance.host:
            raise exception.CannotMigrateToSameHost()
        return self._nodes(host_name)[0]

    def confirm_resize(self, context: RequestContext, instance: Instance) -> None:
        check_instance_state(instance, [RESIZED], "confirmResize")
        migration = self._migration_by_status(instance, "finished")
        source = self.db.query(Service, host=migration.source_compute)
        if not source or not source[0].is_up:
            raise exception.ServiceUnavailable()
        migration.status = "confirming"
        migration.save()
        record_action_start(self.db, context, instance.uuid, "confirmResize")
        self.compute_rpcapi.confirm_resize(context, instance, migration,
                                           migration.source_compute)

    def revert_resize(self, context: RequestContext, instance: Instance) -> None:
        check_instance_state(instance, [RESIZED], "revertResize")
        migration = self._migration_by_status(instance, "finished")
        request_spec = RequestSpec.get_by_instance_uuid(self.db, instance.uuid)
        # The conductor pointed the RequestSpec at the new flavor; later moves
        # must schedule the flavor the server goes back to.
        old_flavor = instance.old_flavor or instance.flavor
        # After a resize down, going back may not fit the quota any more. The
        # controller does not expect OverQuota here: Nova answers it with a 500.
        quota.check_upsize(self.db, self.config.quota, instance.project_id, instance.flavor,
                           old_flavor)
        if request_spec.flavor.flavorid != old_flavor.flavorid:
            request_spec.flavor = old_flavor
            request_spec.save()
        instance.task_state = "resize_reverting"
        instance.save(expected_task_state=[None])
        migration.status = "reverting"
        migration.save()
        record_action_start(self.db, context, instance.uuid, "revertResize")
        self.compute_rpcapi.revert_resize(context, instance, migration,
                                          migration.dest_compute, request_spec)

    def _migration_by_status(self, instance: Instance, status: str) -> Migration:
        for migration in reversed(self.db.query(Migration, instance_uuid=instance.uuid,
                                                status=status)):
            return migration
        raise exception.MigrationNotFoundByStatus(instance_id=instance.uuid, status=status)

    # Evacuate

    def evacuate(self, context: RequestContext, instance: Instance, host: str | None,
                 force: bool | None = False, target_state: str | None = None) -> None:
        """Rebuild the server elsewhere; its compute must be down. ``force`` is None
        below 2.29, where a host given is forced; ``target_state`` is "stopped" from 2.95."""
        check_instance_state(instance, [ACTIVE, STOPPED, ERROR], "evacuate", task_state=None)
        services = self.db.query(Service, host=instance.host)
        if services and services[0].is_up:
            raise exception.ComputeServiceInUse(host=instance.host)
        request_spec = RequestSpec.get_by_instance_uuid(self.db, instance.uuid)

        instance.task_state = "rebuilding"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "evacuate")
        # A tombstone the source compute finds and cleans up when it comes back.
        Migration(
            uuid=self.db.new_uuid(), instance_uuid=instance.uuid,
            migration_type="evacuation", status="accepted",
            source_compute=instance.host, source_node=instance.node, dest_compute=host,
            project_id=instance.project_id, user_id=instance.user_id,
        ).create(self.db)

        if force is False and host:
            node = self._nodes(host)[0]
            request_spec.requested_destination = Destination(
                host=node.host, node=node.hypervisor_hostname)
            host = None
        self.compute_task_api.rebuild_instance(
            context, instance, image_ref=None, orig_image_ref=None, recreate=True,
            host=host, request_spec=request_spec, target_state=target_state)

    # Rebuild

    def rebuild(self, context: RequestContext, instance: Instance, image_href: str) -> None:
        """A new image is checked by the scheduler against the server's own host."""
        check_instance_state(instance, [ACTIVE, STOPPED, ERROR], "rebuild")
        self._validate_flavor_image(context, instance.flavor)
        orig_image_ref = instance.image_ref
        request_spec = RequestSpec.get_by_instance_uuid(self.db, instance.uuid)
        instance.task_state = "rebuilding"
        instance.image_ref = image_href
        # _reset_image_metadata: the image's properties again, with today's flavor.
        instance.image_min_disk = instance.flavor.root_gb
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "rebuild")

        host: str | None = instance.host
        if orig_image_ref != image_href:
            request_spec.image = {"id": image_href}
            request_spec.save()
            # Not persisted: they only steer this request to the server's own node.
            request_spec.scheduler_hints = {**request_spec.scheduler_hints,
                                            "_nova_check_type": ["rebuild"]}
            request_spec.force_hosts = [instance.host] if instance.host else None
            request_spec.force_nodes = [instance.node] if instance.node else None
            host = None
        self.compute_task_api.rebuild_instance(
            context, instance, image_ref=image_href, orig_image_ref=orig_image_ref,
            recreate=False, host=host, request_spec=request_spec)

    # Shelve

    def shelve(self, context: RequestContext, instance: Instance) -> None:
        check_instance_state(instance, [ACTIVE, STOPPED, PAUSED, "suspended"], "shelve")
        instance.task_state = "shelving"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "shelve")
        self.compute_rpcapi.shelve_instance(context, instance,
                                            image_id=self.db.new_uuid())

    def shelve_offload(self, context: RequestContext, instance: Instance) -> None:
        check_instance_state(instance, [SHELVED], "shelveOffload")
        instance.task_state = "shelving_offloading"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "shelveOffload")
        self.compute_rpcapi.shelve_offload_instance(context, instance)

    def unshelve(self, context: RequestContext, instance: Instance,
                 new_az: str | None = None, az_passed: bool = False,
                 host: str | None = None) -> None:
        """``az_passed`` with ``new_az`` None unpins the server from its zone (2.91)."""
        check_instance_state(instance, [SHELVED, SHELVED_OFFLOADED], "unshelve")
        request_spec = RequestSpec.get_by_instance_uuid(self.db, instance.uuid)
        if (az_passed or host) and instance.vm_state != SHELVED_OFFLOADED:
            raise exception.UnshelveInstanceInvalidState(
                state=instance.vm_state, instance_uuid=instance.uuid)
        if az_passed and new_az and new_az != "nova":
            raise exception.InvalidRequest(
                "The requested availability zone is not available")
        expected_az = new_az if az_passed else request_spec.availability_zone
        if host:
            # Checked here, after the state checks, as Nova does.
            policy.authorize(context, "os_compute_api:os-shelve:unshelve_to_host",
                             instance.project_id)
            self._nodes(host)
            if expected_az is not None and expected_az != "nova":
                raise exception.UnshelveHostNotInAZ(host=host, availability_zone=expected_az)
        request_spec.availability_zone = expected_az
        if host:
            request_spec.requested_destination = Destination(host=host)
        request_spec.save()

        instance.task_state = "unshelving"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "unshelve")
        self.compute_task_api.unshelve_instance(context, instance, request_spec)

    # Helpers

    def _nodes(self, host: str) -> list[ComputeNode]:
        nodes = self.db.query(ComputeNode, host=host)
        if not nodes:
            raise exception.ComputeHostNotFound(host=host)
        return nodes

    def _check_instance_host(self, instance: Instance, check_is_up: bool = False) -> None:
        """nova.compute.api.check_instance_host: the server must be on a host (that is
        up, if asked)."""
        if not instance.host:
            raise exception.InstanceNotReady(instance_id=instance.uuid)
        if not check_is_up:
            return
        services = self.db.query(Service, host=instance.host)
        if not services or not services[0].is_up:
            raise exception.ServiceUnavailable()

