"""How the API reaches the conductor: nova/conductor/api.py, ComputeTaskAPI."""

from __future__ import annotations

from typing import Any

from harness.cloud.context import RequestContext
from harness.cloud.objects import Instance, RequestSpec
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
                              request_spec: RequestSpec) -> None:
        # Since microversion 2.34 this is a cast: the API answers 202 and any
        # failure is only visible in the migration record and instance actions.
        self.rpc.cast("conductor", "live_migrate_instance",
                      trace={"instance": instance, "host": host_name,
                             "request_spec": request_spec},
                      context=context, instance=instance,
                      scheduler_hint={"host": host_name},
                      block_migration=block_migration, request_spec=request_spec)
