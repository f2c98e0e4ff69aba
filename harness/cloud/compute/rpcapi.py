"""How services reach a compute host: nova/compute/rpcapi.py (topic compute.<host>)."""

from __future__ import annotations

from typing import Any

from harness.cloud.context import RequestContext
from harness.cloud.objects import Flavor, Instance, Migration, RequestSpec, Selection
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

    # Cold migration and resize: prep on the destination, resize on the source,
    # finish on the destination; confirm on the source, revert on the destination.

    def prep_resize(self, context: RequestContext, instance: Instance, flavor: Flavor,
                    host: str, migration: Migration, request_spec: RequestSpec,
                    filter_properties: dict[str, Any], node: str,
                    host_list: list[Selection] | None) -> None:
        self.rpc.cast(compute_topic(host), "prep_resize",
                      trace={"instance": instance, "flavor": flavor.name, "node": node},
                      context=context, instance=instance, flavor=flavor, migration=migration,
                      request_spec=request_spec, filter_properties=filter_properties,
                      node=node, host_list=host_list)

    def resize_instance(self, context: RequestContext, instance: Instance,
                        migration: Migration, flavor: Flavor, request_spec: RequestSpec
                        ) -> None:
        self.rpc.cast(compute_topic(migration.source_compute or ""), "resize_instance",
                      trace={"instance": instance},
                      context=context, instance=instance, migration=migration,
                      flavor=flavor, request_spec=request_spec)

    def finish_resize(self, context: RequestContext, instance: Instance,
                      migration: Migration, host: str) -> None:
        self.rpc.cast(compute_topic(host), "finish_resize", trace={"instance": instance},
                      context=context, instance=instance, migration=migration)

    def confirm_resize(self, context: RequestContext, instance: Instance,
                       migration: Migration, host: str | None, cast: bool = True) -> None:
        send = self.rpc.cast if cast else self.rpc.call
        send(compute_topic(host or ""), "confirm_resize", trace={"instance": instance},
             context=context, instance=instance, migration=migration)

    def set_host_enabled(self, context: RequestContext, host: str, enabled: bool) -> None:
        self.rpc.call(compute_topic(host), "set_host_enabled", trace={"enabled": enabled},
                      context=context, enabled=enabled)

    def terminate_instance(self, context: RequestContext, instance: Instance) -> None:
        self.rpc.cast(compute_topic(instance.host or ""), "terminate_instance",
                      trace={"instance": instance}, context=context, instance=instance)

    def revert_resize(self, context: RequestContext, instance: Instance,
                      migration: Migration, host: str | None, request_spec: RequestSpec
                      ) -> None:
        self.rpc.cast(compute_topic(host or ""), "revert_resize",
                      trace={"instance": instance},
                      context=context, instance=instance, migration=migration,
                      request_spec=request_spec)

    def finish_revert_resize(self, context: RequestContext, instance: Instance,
                             migration: Migration, host: str) -> None:
        self.rpc.cast(compute_topic(host), "finish_revert_resize",
                      trace={"instance": instance},
                      context=context, instance=instance, migration=migration)

    # Evacuate and rebuild

    def rebuild_instance(self, context: RequestContext, instance: Instance, host: str,
                         node: str | None, image_ref: str | None, orig_image_ref: str | None,
                         recreate: bool, migration: Migration | None,
                         request_spec: RequestSpec, target_state: str | None = None) -> None:
        self.rpc.cast(compute_topic(host), "rebuild_instance",
                      trace={"instance": instance, "recreate": recreate, "node": node},
                      context=context, instance=instance, node=node, image_ref=image_ref,
                      orig_image_ref=orig_image_ref, recreate=recreate, migration=migration,
                      request_spec=request_spec, target_state=target_state)

    # Shelve

    def shelve_instance(self, context: RequestContext, instance: Instance, image_id: str
                        ) -> None:
        self.rpc.cast(compute_topic(instance.host or ""), "shelve_instance",
                      trace={"instance": instance},
                      context=context, instance=instance, image_id=image_id)

    def shelve_offload_instance(self, context: RequestContext, instance: Instance) -> None:
        self.rpc.cast(compute_topic(instance.host or ""), "shelve_offload_instance",
                      trace={"instance": instance}, context=context, instance=instance)

    def unshelve_instance(self, context: RequestContext, instance: Instance, host: str,
                          node: str, request_spec: RequestSpec) -> None:
        self.rpc.cast(compute_topic(host), "unshelve_instance",
                      trace={"instance": instance, "node": node},
                      context=context, instance=instance, node=node,
                      request_spec=request_spec)

    def stop_instance(self, context: RequestContext, instance: Instance) -> None:
        self.rpc.cast(compute_topic(instance.host or ""), "stop_instance",
                      trace={"instance": instance}, context=context, instance=instance)

    def start_instance(self, context: RequestContext, instance: Instance) -> None:
        self.rpc.cast(compute_topic(instance.host or ""), "start_instance",
                      trace={"instance": instance}, context=context, instance=instance)
