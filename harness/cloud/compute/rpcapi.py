"""How services reach a compute host: nova/compute/rpcapi.py (topic compute.<host>)."""

from __future__ import annotations

from typing import Any

from harness.cloud.context import RequestContext
from harness.cloud.objects import Instance, Migration, RequestSpec, Selection
from harness.cloud.rpc import RPCClient


def compute_topic(host: str) -> str:
    return f"compute.{host}"


class ComputeRPCAPI:
    def __init__(self, rpc: RPCClient) -> None:
        self.rpc = rpc

    def build_and_run_instance(self, context: RequestContext, instance: Instance, host: str,
                               node: str, request_spec: RequestSpec,
                               host_list: list[Selection]) -> None:
        self.rpc.cast(compute_topic(host), "build_and_run_instance",
                      trace={"instance": instance, "node": node},
                      context=context, instance=instance, node=node,
                      request_spec=request_spec, host_list=host_list)

    def check_can_live_migrate_destination(
        self, context: RequestContext, instance: Instance, destination: str,
        block_migration: Any, migration: Migration, limits: dict[str, Any] | None,
    ) -> dict[str, Any]:
        return self.rpc.call(compute_topic(destination), "check_can_live_migrate_destination",
                             trace={"instance": instance},
                             context=context, instance=instance,
                             block_migration=block_migration, migration=migration,
                             limits=limits)

    def check_can_live_migrate_source(self, context: RequestContext, instance: Instance,
                                      dest_check_data: dict[str, Any]) -> dict[str, Any]:
        return self.rpc.call(compute_topic(instance.host), "check_can_live_migrate_source",
                             trace={"instance": instance},
                             context=context, instance=instance,
                             dest_check_data=dest_check_data)

    def live_migration(self, context: RequestContext, instance: Instance, dest: str,
                       migration: Migration, migrate_data: dict[str, Any]) -> None:
        self.rpc.cast(compute_topic(instance.host), "live_migration",
                      trace={"instance": instance, "dest": dest},
                      context=context, instance=instance, dest=dest, migration=migration,
                      migrate_data=migrate_data)

    def pre_live_migration(self, context: RequestContext, instance: Instance, host: str,
                           migrate_data: dict[str, Any]) -> dict[str, Any]:
        return self.rpc.call(compute_topic(host), "pre_live_migration",
                             trace={"instance": instance},
                             context=context, instance=instance, migrate_data=migrate_data)

    def post_live_migration_at_destination(self, context: RequestContext, instance: Instance,
                                           host: str, migration: Migration) -> None:
        self.rpc.call(compute_topic(host), "post_live_migration_at_destination",
                      trace={"instance": instance},
                      context=context, instance=instance, migration=migration)

    def rollback_live_migration_at_destination(self, context: RequestContext,
                                               instance: Instance, host: str) -> None:
        self.rpc.cast(compute_topic(host), "rollback_live_migration_at_destination",
                      trace={"instance": instance}, context=context, instance=instance)
