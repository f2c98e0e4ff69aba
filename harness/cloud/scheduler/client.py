"""How services reach the scheduler and placement: Nova's SchedulerQueryClient
(nova/scheduler/client/query.py) and SchedulerReportClient (report.py).
"""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.context import RequestContext
from harness.cloud.objects import RequestSpec, Selection
from harness.cloud.placement import (
    AllocationConflict,
    Allocations,
    ConsumerGenerationConflict,
    Inventory,
    Resources,
)
from harness.cloud.rpc import RPCClient, summarize


def _resources_by_rp(allocations: dict[str, Any]) -> dict[str, Resources]:
    return {rp: alloc["resources"] for rp, alloc in allocations["allocations"].items()}


def _summarize_candidates(result: tuple[list[dict[str, Any]], dict[str, Any], str]) -> str:
    alloc_reqs = result[0]
    providers = [rp for ar in alloc_reqs for rp in ar["allocations"]]
    return f"{len(alloc_reqs)} candidate(s) {summarize(providers)}"


class SchedulerQueryClient:
    def __init__(self, rpc: RPCClient) -> None:
        self.rpc = rpc

    def select_destinations(
        self,
        context: RequestContext,
        spec_obj: RequestSpec,
        instance_uuids: list[str],
        return_objects: bool = True,
        return_alternates: bool = False,
    ) -> list[list[Selection]]:
        return self.rpc.call(
            "scheduler", "select_destinations",
            trace={"spec_obj": spec_obj, "instance_uuids": instance_uuids,
                   "return_alternates": return_alternates},
            context=context, spec_obj=spec_obj, instance_uuids=instance_uuids,
            return_objects=return_objects, return_alternates=return_alternates,
        )

    # Nova casts these to every scheduler (fanout); a compute does not wait.

    def update_instance_info(self, context: RequestContext, host_name: str,
                             instance_uuids: list[str]) -> None:
        self.rpc.cast("scheduler", "update_instance_info",
                      trace={"host_name": host_name, "instance_info": instance_uuids},
                      context=context, host_name=host_name, instance_info=instance_uuids)

    def delete_instance_info(self, context: RequestContext, host_name: str,
                             instance_uuid: str) -> None:
        self.rpc.cast("scheduler", "delete_instance_info",
                      trace={"host_name": host_name, "instance_uuid": instance_uuid},
                      context=context, host_name=host_name, instance_uuid=instance_uuid)


class SchedulerReportClient:
    def __init__(self, rpc: RPCClient) -> None:
        self.rpc = rpc

    def ensure_resource_provider(self, context: RequestContext, uuid: str, name: str) -> None:
        self.rpc.call("placement", "create_resource_provider", trace={"name": name},
                      uuid=uuid, name=name)

    def set_inventory_for_provider(
        self, context: RequestContext, rp_uuid: str, inventories: dict[str, Inventory]
    ) -> None:
        self.rpc.call("placement", "set_inventory",
                      trace={"rp": rp_uuid, "classes": sorted(inventories)},
                      rp_uuid=rp_uuid, inventories=inventories)

    def get_allocation_candidates(
        self, context: RequestContext, resources: Resources, in_tree: str | None = None,
        forbidden: frozenset[str] = frozenset(),
    ) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
        trace: dict[str, Any] = dict(resources)
        if in_tree:
            trace["in_tree"] = in_tree
        return self.rpc.call("placement", "get_allocation_candidates", trace=trace,
                             trace_result=_summarize_candidates,
                             resources=resources, in_tree=in_tree, forbidden=forbidden)

    def get_provider_traits(self, context: RequestContext, rp_uuid: str) -> set[str]:
        return self.rpc.call("placement", "get_traits", trace={"rp": rp_uuid},
                             rp_uuid=rp_uuid)

    def set_traits_for_provider(self, context: RequestContext, rp_uuid: str,
                                traits: set[str]) -> None:
        self.rpc.call("placement", "set_traits", trace={"rp": rp_uuid, "traits": sorted(traits)},
                      rp_uuid=rp_uuid, traits=traits)

    def get_allocs_for_consumer(self, context: RequestContext, consumer_uuid: str
                                ) -> dict[str, Any]:
        return self.rpc.call("placement", "get_allocations_for_consumer",
                             trace={"consumer": consumer_uuid},
                             trace_result=lambda r: summarize(_resources_by_rp(r)),
                             consumer_uuid=consumer_uuid)

    def claim_resources(
        self,
        context: RequestContext,
        consumer_uuid: str,
        alloc_request: dict[str, Any],
        project_id: str | None,
        user_id: str | None,
        consumer_generation: int | None = None,
    ) -> bool:
        """PUT the allocation request for the consumer; False when placement refuses.

        A consumer that already holds allocations (an evacuated server) keeps
        them and gets the new ones on top, as Nova's _move_operation_alloc_request
        doubles up a move's allocations: at the generation the allocation request
        carries, if any, else at the one just read.
        """
        allocations: Allocations = {rp: {"resources": dict(a["resources"])}
                                    for rp, a in alloc_request["allocations"].items()}
        current = self.get_allocs_for_consumer(context, consumer_uuid)
        if current["allocations"]:
            allocations = {**allocations, **current["allocations"]}
            consumer_generation = alloc_request.get("consumer_generation",
                                                    current["consumer_generation"])
        try:
            self.rpc.call("placement", "put_allocations",
                          trace={"consumer": consumer_uuid, "providers": list(allocations)},
                          consumer_uuid=consumer_uuid, allocations=allocations,
                          project_id=project_id, user_id=user_id,
                          consumer_generation=consumer_generation)
        except ConsumerGenerationConflict as exc:
            raise exception.AllocationUpdateFailed(
                consumer_uuid=consumer_uuid, error=str(exc)) from exc
        except AllocationConflict:
            return False
        return True

    def move_allocations(self, context: RequestContext, source_consumer_uuid: str,
                         target_consumer_uuid: str) -> bool:
        return self.rpc.call("placement", "move_allocations",
                             trace={"source": source_consumer_uuid,
                                    "target": target_consumer_uuid},
                             source_consumer=source_consumer_uuid,
                             target_consumer=target_consumer_uuid)

    def delete_allocation_for_instance(self, context: RequestContext, uuid: str) -> None:
        self.rpc.call("placement", "delete_allocations", trace={"consumer": uuid},
                      consumer_uuid=uuid)

    def remove_provider_tree_from_instance_allocation(
        self, context: RequestContext, consumer_uuid: str, root_rp_uuid: str
    ) -> None:
        """Drop one provider from a consumer's allocations, keeping the rest."""
        current = self.get_allocs_for_consumer(context, consumer_uuid)
        remaining = {rp: alloc for rp, alloc in current["allocations"].items()
                     if rp != root_rp_uuid}
        if remaining == current["allocations"]:
            return
        self.rpc.call("placement", "put_allocations",
                      trace={"consumer": consumer_uuid, "providers": list(remaining)},
                      consumer_uuid=consumer_uuid, allocations=remaining,
                      project_id=current.get("project_id"), user_id=current.get("user_id"),
                      consumer_generation=current["consumer_generation"])
