"""What every part of the compute manager shares: its host, driver and clients, and
powering a server off and on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from harness.cloud.instance_actions import event_reporter
from harness.cloud.virt import POWER_STATE_RUNNING, POWER_STATE_SHUTDOWN

if TYPE_CHECKING:
    from harness.cloud.compute.resource_tracker import ResourceTracker
    from harness.cloud.compute.rpcapi import ComputeRPCAPI
    from harness.cloud.conductor.api import ComputeTaskAPI
    from harness.cloud.conf import Config
    from harness.cloud.context import RequestContext
    from harness.cloud.db import Database
    from harness.cloud.objects import Instance
    from harness.cloud.rpc import Trace
    from harness.cloud.scheduler.client import SchedulerQueryClient, SchedulerReportClient
    from harness.cloud.virt import FakeDriver


class ComputeBase:
    host: str
    driver: FakeDriver
    db: Database
    config: Config
    compute_rpcapi: ComputeRPCAPI
    compute_task_api: ComputeTaskAPI
    reportclient: SchedulerReportClient
    query_client: SchedulerQueryClient
    rt: ResourceTracker
    trace: Trace

    def _validate_instance_group_policy(
            self, instance: Instance,
            scheduler_hints: dict[str, list[str]] | None = None) -> None:
        raise NotImplementedError

    def _update_resource_tracker(self, instance: Instance) -> None:
        """Let the resource tracker know that an instance of this host changed state:
        as Nova's _instance_update does, which reverts_task_state calls on a failure,
        so a failed move's source stops counting the server's build as an I/O op."""
        if instance.host == self.host:
            self.rt.update_usage(instance)

    def _update_scheduler_instance_info(self, context: RequestContext,
                                        instances: list[Instance]) -> None:
        """Tell the scheduler these instances are on this host (as a live migration's
        source says of the server that has just left it)."""
        self.query_client.update_instance_info(context, self.host, [i.uuid for i in instances])

    def _delete_scheduler_instance_info(self, context: RequestContext,
                                        instance_uuid: str) -> None:
        self.query_client.delete_instance_info(context, self.host, instance_uuid)

    @contextmanager
    def _reverts_task_state(self, instance: Instance) -> Iterator[None]:
        """Nova's reverts_task_state: a failure leaves the server without a task, in
        whatever vm_state it had."""
        try:
            yield
        except Exception:
            instance.task_state = None
            instance.save()
            self._update_resource_tracker(instance)
            raise

    def stop_instance(self, context: RequestContext, instance: Instance) -> None:
        with self._reverts_task_state(instance), event_reporter(
                self.db, context, instance.uuid, "compute_stop_instance", self.host):
            self.driver.power_off(instance)
            instance.power_state = POWER_STATE_SHUTDOWN
            instance.vm_state = "stopped"
            instance.task_state = None
            instance.save(expected_task_state=["powering-off"])

    def start_instance(self, context: RequestContext, instance: Instance) -> None:
        with self._reverts_task_state(instance), event_reporter(
                self.db, context, instance.uuid, "compute_start_instance", self.host):
            self.driver.power_on(instance)
            instance.power_state = POWER_STATE_RUNNING
            instance.vm_state = "active"
            instance.task_state = None
            instance.save(expected_task_state=["powering-on"])
