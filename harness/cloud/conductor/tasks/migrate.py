"""Cold migration and resize (nova/conductor/tasks/migrate.py, MigrationTask).

The task resets forced hosts, moves the instance's source allocation to the
migration record, asks the scheduler for ONE instance (the one being moved)
with alternates, and casts prep_resize to the chosen host. A reschedule
(the destination failed prep_resize) claims the alternates from the first
call instead of asking the scheduler again. During a move the migration
holds the source allocation and the instance the destination's; reverting
gives the source allocation back to the instance.
"""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.compute.rpcapi import ComputeRPCAPI
from harness.cloud.conductor.tasks.base import TaskBase
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import (
    ComputeNode,
    Destination,
    Flavor,
    Instance,
    Migration,
    RequestSpec,
    Selection,
)
from harness.cloud.scheduler import utils as scheduler_utils
from harness.cloud.scheduler.client import SchedulerQueryClient, SchedulerReportClient


def replace_allocation_with_migration(
    context: RequestContext, db: Database, reportclient: SchedulerReportClient,
    instance: Instance, migration: Migration,
) -> tuple[ComputeNode | None, dict[str, Any] | None]:
    try:
        source_cn = db.get(ComputeNode, instance.node)
    except exception.ObjectNotFound:
        raise exception.ComputeHostNotFound(host=instance.host) from None
    orig_alloc = reportclient.get_allocs_for_consumer(context, instance.uuid)["allocations"]
    if not orig_alloc.get(source_cn.uuid, {}).get("resources"):
        return None, None
    if not reportclient.move_allocations(context, instance.uuid, migration.uuid):
        raise exception.NoValidHost(reason="Unable to replace instance claim on source")
    return source_cn, orig_alloc


def revert_allocation_for_migration(
    context: RequestContext, reportclient: SchedulerReportClient,
    instance: Instance, migration: Migration,
) -> None:
    """Give the source allocation back to the instance, replacing any other claim."""
    reportclient.move_allocations(context, migration.uuid, instance.uuid)


class MigrationTask(TaskBase):
    def __init__(
        self,
        context: RequestContext,
        instance: Instance,
        flavor: Flavor,
        request_spec: RequestSpec,
        compute_rpcapi: ComputeRPCAPI,
        query_client: SchedulerQueryClient,
        report_client: SchedulerReportClient,
        db: Database,
        config: Config,
        host_list: list[Selection] | None = None,
    ) -> None:
        super().__init__(context, instance)
        self.flavor = flavor
        self.request_spec = request_spec
        self.compute_rpcapi = compute_rpcapi
        self.query_client = query_client
        self.reportclient = report_client
        self.db = db
        self.config = config
        self.host_list = host_list
        self._migration: Migration | None = None
        self._held_allocations: dict[str, Any] | None = None

    def _preallocate_migration(self) -> Migration:
        migration_type = ("resize" if self.instance.flavor.id != self.flavor.id
                          else "migration")
        # A reschedule reuses the record of the first attempt.
        existing = self.db.query(Migration, instance_uuid=self.instance.uuid,
                                 migration_type=migration_type, status="pre-migrating")
        if existing:
            migration = existing[0]
        else:
            migration = Migration(
                uuid=self.db.new_uuid(), instance_uuid=self.instance.uuid,
                migration_type=migration_type, status="pre-migrating",
                source_compute=self.instance.host, source_node=self.instance.node,
                old_instance_type_id=self.instance.flavor.id,
                new_instance_type_id=self.flavor.id,
                project_id=self.instance.project_id, user_id=self.instance.user_id)
            migration.create(self.db)
        self._migration = migration
        _, self._held_allocations = replace_allocation_with_migration(
            self.context, self.db, self.reportclient, self.instance, migration)
        return migration

    def _execute(self) -> None:
        # Before the retry decision: a server created on a forced host must
        # still be reschedulable.
        self.request_spec.reset_forced_destinations()
        scheduler_utils.setup_instance_group(self.db, self.request_spec)
        destination = self.request_spec.requested_destination
        targeted = destination is not None and bool(destination.host)
        # A targeted move is not retried elsewhere (populate_retry is skipped).
        filter_properties: dict[str, Any] = {}
        if not targeted and self.config.max_attempts > 1:
            filter_properties["retry"] = {"num_attempts": 1, "hosts": []}
        if destination is None:
            self.request_spec.requested_destination = destination = Destination()
        destination.cell = "cell1"
        self.request_spec.retry = None

        migration = self._preallocate_migration()
        self.request_spec.project_id = self.request_spec.project_id or self.instance.project_id
        self.request_spec.user_id = self.request_spec.user_id or self.instance.user_id
        selection = self._schedule() if self.host_list is None else self._reschedule()
        if "retry" in filter_properties:
            filter_properties["retry"]["hosts"].append(
                [selection.service_host, selection.nodename])
        self.instance.availability_zone = "nova"
        self.compute_rpcapi.prep_resize(
            self.context, self.instance, self.flavor, selection.service_host, migration,
            self.request_spec, filter_properties, selection.nodename, self.host_list)

    def _schedule(self) -> Selection:
        selection_lists = self.query_client.select_destinations(
            self.context, self.request_spec, [self.instance.uuid],
            return_objects=True, return_alternates=True)
        selection_list = selection_lists[0]
        # The scheduler claimed the first; the rest are alternates for a reschedule.
        self.host_list = selection_list[1:]
        return selection_list[0]

    def _reschedule(self) -> Selection:
        """Claim the alternates in turn; the first that fits is the new destination."""
        assert self.host_list is not None
        while self.host_list:
            selection = self.host_list.pop(0)
            if selection.allocation_request is None or scheduler_utils.claim_resources(
                    self.context.elevated(), self.reportclient, self.request_spec,
                    self.instance.uuid, selection.allocation_request):
                return selection
        raise exception.MaxRetriesExceeded(
            reason=f"Exhausted all hosts available for retrying build failures for "
                   f"instance {self.instance.uuid}.")

    def rollback(self, ex: Exception) -> None:
        if self._migration is not None:
            self._migration.status = "error"
            self._migration.save()
        if self._held_allocations and self._migration is not None:
            revert_allocation_for_migration(
                self.context, self.reportclient, self.instance, self._migration)
