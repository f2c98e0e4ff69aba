"""Scheduler helpers (nova/scheduler/utils.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import ComputeNode, RequestSpec
from harness.cloud.placement import Resources
from harness.cloud.scheduler.client import SchedulerReportClient


@dataclass
class ResourceRequest:
    resources: Resources
    in_tree: str | None = None


def resources_from_flavor(flavor: Any) -> Resources:
    disk_gb = flavor.root_gb + flavor.ephemeral_gb + (flavor.swap + 1023) // 1024
    amounts = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": disk_gb}
    return {rc: amount for rc, amount in amounts.items() if amount}


def resources_from_request_spec(db: Database, spec_obj: RequestSpec) -> ResourceRequest:
    """The placement query for a request, limited to the requested destination's
    provider tree when it names exactly one compute node, as Nova does."""
    request = ResourceRequest(resources_from_flavor(spec_obj.flavor))
    destination = spec_obj.requested_destination
    if destination is not None and destination.host:
        nodes = [n for n in db.query(ComputeNode, host=destination.host)
                 if not destination.node or n.hypervisor_hostname == destination.node]
        if len(nodes) == 1:
            request.in_tree = nodes[0].uuid
    return request


def claim_resources(
    context: RequestContext,
    client: SchedulerReportClient,
    spec_obj: RequestSpec,
    instance_uuid: str,
    alloc_req: dict[str, Any],
) -> bool:
    """Claim the allocation request for the instance, a new consumer in placement."""
    return client.claim_resources(
        context, instance_uuid, alloc_req,
        project_id=spec_obj.project_id,
        user_id=spec_obj.user_id or context.user_id,
        consumer_generation=None,
    )
