"""The conductor (nova/conductor/manager.py, ComputeTaskManager)."""

from __future__ import annotations

import traceback
from typing import Any

from harness.cloud import exception
from harness.cloud.compute.rpcapi import ComputeRPCAPI
from harness.cloud.conductor.tasks.live_migrate import LiveMigrationTask
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.instance_actions import event_reporter
from harness.cloud.objects import Instance, Migration, RequestSpec
from harness.cloud.rpc import RPCClient
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

    def schedule_and_build_instances(self, context: RequestContext,
                                     request_specs: list[RequestSpec]) -> None:
        """Place all instances of one create request with ONE scheduler call."""
        instance_uuids = [spec.instance_uuid for spec in request_specs]
        try:
            host_lists = self.query_client.select_destinations(
                context, request_specs[0], instance_uuids,
                return_objects=True, return_alternates=True)
        except Exception as exc:
            self._bury_in_cell0(instance_uuids, exc)
            return
        for request_spec, host_list in zip(request_specs, host_lists, strict=True):
            instance = Instance.get_by_uuid(self.db, request_spec.instance_uuid)
            selected = host_list[0]
            self.compute_rpcapi.build_and_run_instance(
                context, instance, selected.service_host, selected.nodename, request_spec,
                host_list)

    def _bury_in_cell0(self, instance_uuids: list[str], exc: Exception) -> None:
        """Scheduling failed: every instance of the request goes to ERROR with a fault."""
        message = (exc.format_message() if isinstance(exc, exception.NovaException)
                   else str(exc))
        for uuid in instance_uuids:
            instance = Instance.get_by_uuid(self.db, uuid)
            instance.vm_state = "error"
            instance.task_state = None
            instance.fault = {
                "code": getattr(exc, "code", 500),
                "message": message,
                "details": "".join(traceback.format_tb(exc.__traceback__)),
            }
            instance.save()

    def live_migrate_instance(self, context: RequestContext, instance: Instance,
                              scheduler_hint: dict[str, Any], block_migration: Any,
                              request_spec: RequestSpec) -> None:
        with event_reporter(self.db, context, instance.uuid,
                            "conductor_live_migrate_instance"):
            self._live_migrate(context, instance, scheduler_hint, block_migration,
                               request_spec)

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
        except EXPECTED_LIVE_MIGRATION_ERRORS:
            self._set_vm_state(instance, vm_state=instance.vm_state)
            migration.status = "error"
            migration.save()
            raise
        except Exception as ex:
            self._set_vm_state(instance, vm_state="error")
            migration.status = "error"
            migration.save()
            raise exception.MigrationError(reason=str(ex)) from ex

    def _set_vm_state(self, instance: Instance, vm_state: str) -> None:
        instance.vm_state = vm_state
        instance.task_state = None
        instance.save(expected_task_state=["migrating"])
