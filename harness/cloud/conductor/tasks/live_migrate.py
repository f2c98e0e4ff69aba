"""The conductor's live-migration task (nova/conductor/tasks/live_migrate.py).

Without a forced destination the scheduler is asked for ONE instance, the one
being moved, with ``ignore_hosts`` seeded with the source and with the
instance's persisted RequestSpec, which still says how many servers were
created together: the setting of bug #1718455.
"""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.compute.rpcapi import ComputeRPCAPI
from harness.cloud.conductor.tasks import migrate
from harness.cloud.conductor.tasks.base import TaskBase
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import (
    ComputeNode,
    Destination,
    Instance,
    Migration,
    RequestSpec,
    Selection,
    Service,
)
from harness.cloud.rpc import MessagingTimeout
from harness.cloud.scheduler import utils as scheduler_utils
from harness.cloud.scheduler.client import SchedulerQueryClient, SchedulerReportClient
from harness.cloud.virt import POWER_STATE_RUNNING


class LiveMigrationTask(TaskBase):
    def __init__(
        self,
        context: RequestContext,
        instance: Instance,
        destination: str | None,
        block_migration: Any,
        migration: Migration,
        compute_rpcapi: ComputeRPCAPI,
        query_client: SchedulerQueryClient,
        report_client: SchedulerReportClient,
        db: Database,
        config: Config,
        request_spec: RequestSpec,
    ) -> None:
        super().__init__(context, instance)
        self.destination = destination
        self.block_migration = block_migration
        self.migration = migration
        self.source = instance.host
        self.migrate_data: dict[str, Any] = {}
        self.limits: dict[str, Any] | None = None
        self.compute_rpcapi = compute_rpcapi
        self.query_client = query_client
        self.report_client = report_client
        self.db = db
        self.config = config
        self.request_spec = request_spec
        self._source_cn: ComputeNode | None = None
        self._held_allocations: dict[str, Any] | None = None

    def _execute(self) -> None:
        self._check_instance_is_active()
        self._check_host_is_up(self.source)
        self._source_cn, self._held_allocations = migrate.replace_allocation_with_migration(
            self.context, self.db, self.report_client, self.instance, self.migration)

        if not self.destination:
            # No host, or a host that is not forced: the scheduler decides,
            # with any requested host as requested_destination.
            self.destination, dest_node, self.limits = self._find_destination()
        else:
            self._check_destination_is_not_source()
            self._check_host_is_up(self.destination)
            self._check_destination_has_enough_memory()
            forced_node = self._claim_on_forced_destination()
            try:
                self._call_livem_checks_on_host(self.destination)
            except Exception:
                self._remove_host_allocations(forced_node.uuid)
                raise
            dest_node = forced_node.hypervisor_hostname

        self.migration.source_node = self.instance.node
        self.migration.dest_node = dest_node
        self.migration.dest_compute = self.destination
        self.migration.save()
        self.compute_rpcapi.live_migration(
            self.context, self.instance, self.destination, self.migration, self.migrate_data)

    def rollback(self, ex: Exception) -> None:
        if self._held_allocations:
            migrate.revert_allocation_for_migration(
                self.context, self.report_client, self.instance, self.migration)

    def _check_instance_is_active(self) -> None:
        if self.instance.power_state != POWER_STATE_RUNNING:
            raise exception.InstanceInvalidState(
                instance_uuid=self.instance.uuid, attr="power_state",
                state=self.instance.power_state, method="live migrate")

    def _check_host_is_up(self, host: str | None) -> None:
        services = self.db.query(Service, host=host)
        if not services or not services[0].is_up:
            raise exception.ComputeServiceUnavailable(host=host)

    def _check_destination_is_not_source(self) -> None:
        if self.destination == self.source:
            raise exception.UnableToMigrateToSelf(
                instance_id=self.instance.uuid, host=self.destination)

    def _check_destination_has_enough_memory(self) -> None:
        """The old RAMFilter's arithmetic on the destination's compute node record, which
        a forced host must pass: what it may still take must exceed the server's memory
        (a flavor that would fill it exactly is refused, though placement would fit it)."""
        nodes = self.db.query(ComputeNode, host=self.destination)
        if not nodes:
            raise exception.ComputeHostNotFound(host=self.destination)
        compute = nodes[0]
        avail = (compute.memory_mb * compute.ram_allocation_ratio
                 - (compute.memory_mb - compute.free_ram_mb))
        mem_inst = self.instance.flavor.memory_mb
        if not mem_inst or avail <= mem_inst:
            raise exception.MigrationPreCheckError(
                reason=f"Unable to migrate {self.instance.uuid} to {self.destination}: "
                       f"Lack of memory(host:{avail} <= instance:{mem_inst})")

    def _claim_on_forced_destination(self) -> ComputeNode:
        """The forced path bypasses the scheduler but still claims in placement."""
        nodes = self.db.query(ComputeNode, host=self.destination)
        if not nodes:
            raise exception.ComputeHostNotFound(host=self.destination)
        dest_node = nodes[0]
        # What the instance held, all of it, now held by the migration.
        scheduler_utils.claim_resources_on_destination(
            self.context, self.report_client, self.instance,
            self.db.get(ComputeNode, self.instance.node), dest_node,
            source_allocations=self._held_allocations)
        return dest_node

    def _call_livem_checks_on_host(self, destination: str) -> None:
        try:
            self.migrate_data = self.compute_rpcapi.check_can_live_migrate_destination(
                self.context, self.instance, destination, self.block_migration,
                self.migration, self.limits)
        except MessagingTimeout as ex:
            raise exception.MigrationPreCheckError(
                "Timeout while checking if we can live migrate to host: "
                       f"{destination}") from ex

    def _get_request_spec_for_select_destinations(self) -> RequestSpec:
        request_spec = self.request_spec
        request_spec.reset_forced_destinations()
        scheduler_utils.setup_instance_group(self.db, request_spec)
        if request_spec.requested_destination is None:
            request_spec.requested_destination = Destination(cell="cell1")
        else:
            request_spec.requested_destination.cell = "cell1"
        request_spec.project_id = request_spec.project_id or self.instance.project_id
        request_spec.user_id = request_spec.user_id or self.instance.user_id
        return request_spec

    def _find_destination(self) -> tuple[str, str, dict[str, Any] | None]:
        attempted_hosts = [self.source]
        request_spec = self._get_request_spec_for_select_destinations()
        selection: Selection | None = None
        while selection is None:
            self._check_not_over_max_retries(attempted_hosts)
            request_spec.ignore_hosts = list(attempted_hosts)
            selection = self.query_client.select_destinations(
                self.context, request_spec, [self.instance.uuid],
                return_objects=True, return_alternates=False)[0][0]
            try:
                self.limits = selection.limits
                self._call_livem_checks_on_host(selection.service_host)
            except (exception.Invalid, exception.MigrationPreCheckError):
                attempted_hosts.append(selection.service_host)
                self._remove_host_allocations(selection.compute_node_uuid)
                selection = None
                self.limits = None
        return selection.service_host, selection.nodename, selection.limits

    def _remove_host_allocations(self, compute_node_uuid: str) -> None:
        self.report_client.remove_provider_tree_from_instance_allocation(
            self.context, self.instance.uuid, compute_node_uuid)

    def _check_not_over_max_retries(self, attempted_hosts: list[str]) -> None:
        if self.config.migrate_max_retries == -1:
            return
        retries = len(attempted_hosts) - 1
        if retries > self.config.migrate_max_retries:
            self.migration.status = "failed"
            self.migration.save()
            raise exception.MaxRetriesExceeded(
                reason=f"Exceeded max scheduling retries {retries} for instance "
                       f"{self.instance.uuid} during live migration")

