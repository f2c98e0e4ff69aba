"""How the API reaches the conductor: nova/conductor/api.py, ComputeTaskAPI."""

from __future__ import annotations

from typing import Any

from harness.cloud.context import RequestContext
from harness.cloud.objects import Flavor, Instance, RequestSpec, Selection
from harness.cloud.rpc import RPCClient


class ComputeTaskAPI:
    def __init__(self, rpc: RPCClient) -> None:
        self.rpc = rpc

    def schedule_and_build_instances(self, context: RequestContext,
                                     request_specs: list[RequestSpec]) -> None:
        self.rpc.cast("conductor", "schedule_and_build_instances",
                      trace={"instances": [s.instance_uuid for s in request_specs]},
                      context=context, request_specs=request_specs)

    def live_migrate_instance(self, context: RequestContext, instance: Instance,
                              host_name: str | None, block_migration: Any,
                              request_spec: RequestSpec, async_: bool = True) -> None:
        """Since microversion 2.34 a cast: the API answers 202 and a failure shows only
        in the migration record and instance actions. Before, a call whose failure
        the API answers with 400."""
        trace = {"instance": instance, "host": host_name, "request_spec": request_spec}
        kwargs = {"context": context, "instance": instance,
                  "scheduler_hint": {"host": host_name},
                  "block_migration": block_migration, "request_spec": request_spec}
        if async_:
            self.rpc.cast("conductor", "live_migrate_instance", trace=trace, **kwargs)
        else:
            self.rpc.call("conductor", "migrate_server", trace=trace, live=True, flavor=None,
                          **kwargs)

    def resize_instance(self, context: RequestContext, instance: Instance,
                        scheduler_hint: dict[str, Any], flavor: Flavor,
                        request_spec: RequestSpec, host_list: list[Selection] | None = None
                        ) -> None:
        """Cold migration and resize: the API casts to the conductor's migrate_server; a
        compute rescheduling onto the ``host_list`` alternates calls it, to learn whether
        one was found."""
        send = self.rpc.cast if host_list is None else self.rpc.call
        send("conductor", "migrate_server",
             trace={"instance": instance, "flavor": flavor.name, "request_spec": request_spec},
             context=context, instance=instance, scheduler_hint=scheduler_hint, live=False,
             flavor=flavor, block_migration=None, request_spec=request_spec,
             host_list=host_list)

    def rebuild_instance(self, context: RequestContext, instance: Instance,
                         image_ref: str | None, orig_image_ref: str | None, recreate: bool,
                         host: str | None, request_spec: RequestSpec,
                         target_state: str | None = None) -> None:
        """Evacuate (recreate) and rebuild; ``target_state`` "stopped" from 2.95."""
        self.rpc.cast("conductor", "rebuild_instance",
                      trace={"instance": instance, "recreate": recreate, "host": host,
                             "request_spec": request_spec},
                      context=context, instance=instance, image_ref=image_ref,
                      orig_image_ref=orig_image_ref, recreate=recreate, host=host,
                      request_spec=request_spec, target_state=target_state)

    def build_instances(self, context: RequestContext, instance: Instance,
                        request_spec: RequestSpec, host_list: list[Selection]) -> None:
        """A compute's build failed and may be retried on the alternates."""
        self.rpc.cast("conductor", "build_instances",
                      trace={"instance": instance, "alternates": host_list},
                      context=context, instance=instance, request_spec=request_spec,
                      host_list=host_list)

    def unshelve_instance(self, context: RequestContext, instance: Instance,
                          request_spec: RequestSpec) -> None:
        self.rpc.cast("conductor", "unshelve_instance",
                      trace={"instance": instance, "request_spec": request_spec},
                      context=context, instance=instance, request_spec=request_spec)
