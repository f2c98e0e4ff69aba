"""The compute API (nova/compute/api.py, API): what a request does before the conductor."""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.conductor.api import ComputeTaskAPI
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.instance_actions import record_action_start
from harness.cloud.objects import ComputeNode, Destination, Flavor, Instance, RequestSpec
from harness.cloud.rpc import RPCClient


class API:
    def __init__(self, rpc: RPCClient, db: Database) -> None:
        self.db = db
        self.compute_task_api = ComputeTaskAPI(rpc)

    def create(
        self,
        context: RequestContext,
        flavor: Flavor,
        image_ref: str,
        name: str,
        min_count: int,
        max_count: int,
        scheduler_hints: dict[str, list[str]],
        forced_host: str | None = None,
    ) -> tuple[list[Instance], str]:
        """Persist one RequestSpec and one instance per server, then cast to the conductor.

        Every RequestSpec records num_instances = the size of the batch: that is
        how the conductor knows how many were created together, and it is what
        stays in the database for later moves of any one of them. So does a
        host forced with availability_zone "nova:host" (force_hosts).
        """
        num_instances = max_count  # The fake cloud has no quota to clamp it.
        reservation_id = "r-" + self.db.new_uuid()[:8]
        request_specs: list[RequestSpec] = []
        instances: list[Instance] = []
        for index in range(num_instances):
            instance_uuid = self.db.new_uuid()
            request_spec = RequestSpec(
                instance_uuid=instance_uuid,
                flavor=flavor,
                num_instances=num_instances,
                image={"id": image_ref},
                project_id=context.project_id,
                user_id=context.user_id,
                scheduler_hints=scheduler_hints,
                force_hosts=[forced_host] if forced_host else None,
            )
            request_spec.create(self.db)
            instance = Instance(
                uuid=instance_uuid,
                display_name=name if num_instances == 1 else f"{name}-{index + 1}",
                flavor=flavor,
                project_id=context.project_id,
                user_id=context.user_id,
                reservation_id=reservation_id,
                launch_index=index,
                image_ref=image_ref,
            )
            instance.create(self.db)
            record_action_start(self.db, context, instance_uuid, "create")
            request_specs.append(request_spec)
            instances.append(instance)
        self.compute_task_api.schedule_and_build_instances(context, request_specs)
        return instances, reservation_id

    def live_migrate(
        self,
        context: RequestContext,
        instance: Instance,
        block_migration: Any,
        host_name: str | None,
        force: bool = False,
    ) -> None:
        nodes = []
        if host_name:
            nodes = self.db.query(ComputeNode, host=host_name)
            if not nodes:
                raise exception.ComputeHostNotFound(host=host_name)
        if instance.vm_state not in ("active", "paused") or instance.task_state is not None:
            raise exception.InstanceInvalidState(
                instance_uuid=instance.uuid, attr="vm_state/task_state",
                state=f"{instance.vm_state}/{instance.task_state}", method="live migrate")
        request_spec = RequestSpec.get_by_instance_uuid(self.db, instance.uuid)

        instance.task_state = "migrating"
        instance.save(expected_task_state=[None])
        record_action_start(self.db, context, instance.uuid, "live-migration")

        if host_name and not force:
            # A host that is not forced is a hint: the scheduler still decides,
            # only considering that host.
            request_spec.requested_destination = Destination(
                host=nodes[0].host, node=nodes[0].hypervisor_hostname)
            host_name = None
        self.compute_task_api.live_migrate_instance(
            context, instance, host_name, block_migration, request_spec)
