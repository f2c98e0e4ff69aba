"""The conductor (nova/conductor/manager.py, ComputeTaskManager).

Every move of an existing server that needs a host asks the scheduler for
ONE instance UUID, the server being moved, with that server's persisted
RequestSpec: live migration and cold migration/resize through their tasks,
evacuate and rebuild (new image) and unshelve through _schedule_instances.
"""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.compute import utils as compute_utils
from harness.cloud.compute.rpcapi import ComputeRPCAPI
from harness.cloud.conductor.tasks.live_migrate import LiveMigrationTask
from harness.cloud.conductor.tasks.migrate import MigrationTask
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.instance_actions import event_reporter, record_event_failure
from harness.cloud.objects import (
    ComputeNode,
    Destination,
    Flavor,
    Instance,
    Migration,
    RequestSpec,
    Selection,
)
from harness.cloud.rpc import RPCClient
from harness.cloud.scheduler import utils as scheduler_utils
from harness.cloud.scheduler.client import SchedulerQueryClient, SchedulerReportClient

# The errors a live migration expects; anything else also puts the server in ERROR.
EXPECTED_LIVE_MIGRATION_ERRORS = (
    exception.NoValidHost,
    exception.ComputeHostNotFound,
    exception.ComputeServiceUnavailable,
    exception.UnableToMigrateToSelf,
    exception.InstanceInvalidState,
    exception.MigrationPreCheckError,
)


class ComputeTaskManager:
    def __init__(self, rpc: RPCClient, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.compute_rpcapi = ComputeRPCAPI(rpc)
        self.query_client = SchedulerQueryClient(rpc)
        self.report_client = SchedulerReportClient(rpc)

    # Build

    def schedule_and_build_instances(self, context: RequestContext,
                                     request_specs: list[RequestSpec]) -> None:
        """Place all instances of one create request with ONE scheduler call."""
        instance_uuids = [spec.instance_uuid for spec in request_specs]
        try:
            host_lists = self._schedule_instances(context, request_specs[0], instance_uuids,
                                                  return_alternates=True)
        except Exception as exc:
            # _bury_in_cell0: each server in ERROR with its fault, and its create
            # action's failed event.
            for uuid in instance_uuids:
                self._set_vm_state_and_notify(uuid, exc, vm_state="error", task_state=None)
                record_event_failure(self.db, context, uuid,
                                     "conductor_schedule_and_build_instances", "conductor", exc)
            return
        for request_spec, host_list in zip(request_specs, host_lists, strict=True):
            instance = Instance.get_by_uuid(self.db, request_spec.instance_uuid)
            selected, *alternates = host_list
            self.compute_rpcapi.build_and_run_instance(
                context, instance, selected.service_host, selected.nodename, request_spec,
                alternates)

    def build_instances(self, context: RequestContext, instance: Instance,
                        request_spec: RequestSpec, host_list: list[Selection]) -> None:
        """A build rescheduled by its compute: claim the alternates in turn and build on
        the first that can be claimed; none left is MaxRetriesExceeded (ERROR)."""
        while host_list:
            selected = host_list.pop(0)
            if selected.allocation_request is None or scheduler_utils.claim_resources(
                    context.elevated(), self.report_client, request_spec, instance.uuid,
                    selected.allocation_request):
                self.compute_rpcapi.build_and_run_instance(
                    context, instance, selected.service_host, selected.nodename,
                    request_spec, host_list)
                return
        exc = exception.MaxRetriesExceeded(
            reason=f"Exhausted all hosts available for retrying build failures for "
                   f"instance {instance.uuid}.")
        self._set_vm_state_and_notify(instance.uuid, exc, vm_state="error", task_state=None)

    def _set_vm_state_and_notify(self, instance_uuid: str, exc: Exception,
                                 **updates: Any) -> None:
        """scheduler_utils.set_vm_state_and_notify: the states given, and a fault."""
        instance = Instance.get_by_uuid(self.db, instance_uuid)
        for name, value in updates.items():
            setattr(instance, name, value)
        compute_utils.add_instance_fault_from_exc(instance, exc)
        instance.save()

    def _schedule_instances(self, context: RequestContext, request_spec: RequestSpec,
                            instance_uuids: list[str], return_alternates: bool = False
                            ) -> list[list[Selection]]:
        scheduler_utils.setup_instance_group(self.db, request_spec)
        return self.query_client.select_destinations(
            context, request_spec, instance_uuids, return_objects=True,
            return_alternates=return_alternates)

    @staticmethod
    def _restrict_request_spec_to_cell(request_spec: RequestSpec) -> None:
        """Moves stay in the server's cell (the fake cloud has one)."""
        if request_spec.requested_destination is None:
            request_spec.requested_destination = Destination()
        request_spec.requested_destination.cell = "cell1"

    # Live and cold migration

    def live_migrate_instance(self, context: RequestContext, instance: Instance,
                              scheduler_hint: dict[str, Any], block_migration: Any,
                              request_spec: RequestSpec) -> None:
        with event_reporter(self.db, context, instance.uuid,
                            "conductor_live_migrate_instance"):
            self._live_migrate(context, instance, scheduler_hint, block_migration,
                               request_spec)

    def migrate_server(self, context: RequestContext, instance: Instance,
                       scheduler_hint: dict[str, Any], live: bool, flavor: Flavor | None,
                       block_migration: Any, request_spec: RequestSpec,
                       host_list: list[Selection] | None = None) -> None:
        """A live migration before 2.34 (a call), or a cold migration or resize."""
        with event_reporter(self.db, context, instance.uuid, "conductor_migrate_server"):
            if live:
                self._live_migrate(context, instance, scheduler_hint, block_migration,
                                   request_spec)
                return
            assert flavor is not None
            with event_reporter(self.db, context, instance.uuid, "cold_migrate"):
                self._cold_migrate(context, instance, flavor, request_spec, host_list)

    def _live_migrate(self, context: RequestContext, instance: Instance,
                      scheduler_hint: dict[str, Any], block_migration: Any,
                      request_spec: RequestSpec) -> None:
        destination = scheduler_hint.get("host")
        migration = Migration(
            uuid=self.db.new_uuid(),
            instance_uuid=instance.uuid,
            migration_type="live-migration",
            status="accepted",
            source_compute=instance.host,
            dest_compute=destination,
            old_instance_type_id=instance.flavor.id,
            new_instance_type_id=instance.flavor.id,
            project_id=instance.project_id,
            user_id=instance.user_id,
        )
        migration.create(self.db)
        task = LiveMigrationTask(
            context, instance, destination, block_migration, migration,
            self.compute_rpcapi, self.query_client, self.report_client, self.db,
            self.config, request_spec)
        try:
            task.execute()
        except EXPECTED_LIVE_MIGRATION_ERRORS as ex:
            self._set_vm_state_and_notify(instance.uuid, ex, vm_state=instance.vm_state,
                                          task_state=None)
            migration.status = "error"
            migration.save()
            raise
        except Exception as ex:
            self._set_vm_state_and_notify(instance.uuid, ex, vm_state="error",
                                          task_state=None)
            migration.status = "error"
            migration.save()
            raise exception.MigrationError(reason=str(ex)) from ex

    def _cold_migrate(self, context: RequestContext, instance: Instance, flavor: Flavor,
                      request_spec: RequestSpec, host_list: list[Selection] | None) -> None:
        # A resize schedules the new flavor; it stays in the RequestSpec for later moves.
        request_spec.flavor = flavor
        task = MigrationTask(context, instance, flavor, request_spec, self.compute_rpcapi,
                             self.query_client, self.report_client, self.db, self.config,
                             host_list)
        try:
            task.execute()
        except exception.NoValidHost as ex:
            self._set_vm_state_and_notify(instance.uuid, ex,
                                          vm_state=instance.vm_state or "active",
                                          task_state=None)
            what = "cold migrate" if flavor.id == instance.flavor.id else "resize"
            raise exception.NoValidHost(reason=f"No valid host found for {what}") from ex
        except Exception as ex:
            current = Instance.get_by_uuid(self.db, instance.uuid)
            self._set_vm_state_and_notify(instance.uuid, ex, vm_state=current.vm_state,
                                          task_state=None)
            raise
        # The whole spec is written, forced hosts (reset for this request) included.
        if request_spec.obj_what_changed():
            request_spec.save()

    # Evacuate and rebuild

    def rebuild_instance(self, context: RequestContext, instance: Instance,
                         image_ref: str | None, orig_image_ref: str | None, recreate: bool,
                         host: str | None, request_spec: RequestSpec,
                         target_state: str | None = None) -> None:
        """Evacuate (``recreate``) or rebuild. A host given is used as it is (a forced
        evacuation, or a rebuild with the same image); else the scheduler picks."""
        with event_reporter(self.db, context, instance.uuid, "rebuild_server"):
            migrations = self.db.query(Migration, instance_uuid=instance.uuid,
                                       status="accepted")
            migration = migrations[-1] if migrations else None
            node: str | None = None
            if host:
                if host != instance.host:
                    self._allocate_for_evacuate_dest_host(context, instance, host, migration)
            else:
                if recreate:
                    request_spec.ignore_hosts = [instance.host] if instance.host else []
                    request_spec.reset_forced_destinations()
                try:
                    self._restrict_request_spec_to_cell(request_spec)
                    selection = self._schedule_instances(
                        context, request_spec, [instance.uuid], return_alternates=False)[0][0]
                    host, node = selection.service_host, selection.nodename
                except (exception.NoValidHost, exception.AllocationUpdateFailed) as ex:
                    if migration is not None:
                        migration.status = "error"
                        migration.save()
                    if orig_image_ref and orig_image_ref != image_ref:
                        instance.image_ref = orig_image_ref
                        instance.save()
                    self._set_vm_state_and_notify(instance.uuid, ex, vm_state="error",
                                                  task_state=None)
                    raise
            instance.availability_zone = "nova"
            self.compute_rpcapi.rebuild_instance(
                context, instance, host, node, image_ref, orig_image_ref, recreate,
                migration, request_spec, target_state)

    def _allocate_for_evacuate_dest_host(self, context: RequestContext, instance: Instance,
                                         host: str, migration: Migration | None) -> None:
        """A forced evacuation bypasses the scheduler: copy the source allocation to the
        destination for the instance, which then holds both."""
        try:
            source_node = self.db.get(ComputeNode, instance.node)
            dest_nodes = self.db.query(ComputeNode, host=host)
            if not dest_nodes:
                raise exception.ComputeHostNotFound(host=host)
            scheduler_utils.claim_resources_on_destination(
                context, self.report_client, instance, source_node, dest_nodes[0])
        except exception.AllocationUpdateFailed as ex:
            self._fail_forced_evacuation(instance, migration, ex, vm_state="error")
            raise
        except (exception.NoValidHost, exception.ComputeHostNotFound) as ex:
            self._fail_forced_evacuation(instance, migration, ex, vm_state=instance.vm_state)
            raise

    def _fail_forced_evacuation(self, instance: Instance, migration: Migration | None,
                                ex: Exception, vm_state: str) -> None:
        if migration is not None:
            migration.status = "error"
            migration.save()
        self._set_vm_state_and_notify(instance.uuid, ex, vm_state=vm_state, task_state=None)

    # Unshelve

    def unshelve_instance(self, context: RequestContext, instance: Instance,
                          request_spec: RequestSpec) -> None:
        if instance.vm_state == "shelved":
            # Never left its host: start it there, no scheduling.
            instance.task_state = "powering-on"
            instance.save(expected_task_state=["unshelving"])
            self.compute_rpcapi.start_instance(context, instance)
            return
        if instance.vm_state != "shelved_offloaded":
            instance.vm_state = "error"
            instance.save()
            return
        with event_reporter(self.db, context, instance.uuid, "get_image_info"):
            pass  # The snapshot exists: the fake cloud's images always do.
        try:
            with event_reporter(self.db, context, instance.uuid, "schedule_instances"):
                request_spec.reset_forced_destinations()
                self._restrict_request_spec_to_cell(request_spec)
                request_spec.project_id = request_spec.project_id or instance.project_id
                request_spec.user_id = request_spec.user_id or instance.user_id
                selection = self._schedule_instances(
                    context, request_spec, [instance.uuid], return_alternates=False)[0][0]
                instance.availability_zone = "nova"
                self.compute_rpcapi.unshelve_instance(
                    context, instance, selection.service_host, selection.nodename,
                    request_spec)
        except exception.NoValidHost:
            # Stays offloaded, without a fault; only the action's event says why.
            instance.task_state = None
            instance.save()
        except Exception:
            instance.task_state = None
            instance.save()
            raise
