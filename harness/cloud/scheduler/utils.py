"""Scheduler helpers (nova/scheduler/utils.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.cloud import exception
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import ComputeNode, Destination, Instance, InstanceGroup, RequestSpec
from harness.cloud.placement import COMPUTE_STATUS_DISABLED, Resources
from harness.cloud.scheduler.client import SchedulerReportClient


@dataclass
class ResourceRequest:
    resources: Resources
    in_tree: str | None = None
    # request_filter.compute_status_filter, a pre-filter Nova always applies: no
    # provider of a disabled compute service, whatever the enabled filters.
    forbidden: frozenset[str] = frozenset({COMPUTE_STATUS_DISABLED})


def resources_from_flavor(flavor: Any) -> Resources:
    disk_gb = flavor.root_gb + flavor.ephemeral_gb + (flavor.swap + 1023) // 1024
    amounts = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": disk_gb}
    return {rc: amount for rc, amount in amounts.items() if amount}


def request_is_rebuild(spec_obj: RequestSpec) -> bool:
    """A rebuild with a new image: checked on the server's host, without placement."""
    return spec_obj.scheduler_hints.get("_nova_check_type") == ["rebuild"]


def resources_from_request_spec(db: Database, spec_obj: RequestSpec) -> ResourceRequest:
    """The placement query for a request, limited to the provider tree of the requested
    destination (or else the forced host) when it names exactly one compute node; no
    such node at all is NoValidHost, as in Nova."""
    request = ResourceRequest(resources_from_flavor(spec_obj.flavor))
    destination = spec_obj.requested_destination or Destination()
    # The requested destination wins over forced hosts or nodes persisted long ago.
    host = destination.host or (spec_obj.force_hosts or [None])[0]
    node = destination.node or (spec_obj.force_nodes or [None])[0]
    if host or node:
        nodes = [n for n in db.query(ComputeNode)
                 if (not host or n.host == host) and (not node or n.hypervisor_hostname == node)]
        if not nodes:
            raise exception.NoValidHost(reason=f"No such host - host: {host} node: {node} ")
        if len(nodes) == 1:
            request.in_tree = nodes[0].uuid
    return request


def claim_resources_on_destination(
    context: RequestContext, client: SchedulerReportClient, instance: Instance,
    source_node: ComputeNode, dest_node: ComputeNode,
    source_allocations: dict[str, Any] | None = None,
) -> None:
    """Copy the instance's source allocation to a forced destination (the scheduler is
    bypassed); the instance consumer then holds both unless they were already moved.
    ``source_allocations`` are all the instance's (a live migration gives those it
    moved to the migration; a forced evacuation reads them)."""
    consumer_generation = None
    if not source_allocations:
        current = client.get_allocs_for_consumer(context, instance.uuid)
        source_allocations = current["allocations"]
        consumer_generation = current["consumer_generation"]
    # Nova cannot tell which of several providers' allocations a forced destination
    # needs, so it refuses: an evacuated server still holding its evacuation's source
    # cannot be forced anywhere until that compute restarts.
    if len(source_allocations) > 1:
        raise exception.NoValidHost(
            reason=f"Unable to move instance {instance.uuid} to host {dest_node.host}. The "
                   "instance has complex allocations on the source host so move cannot be "
                   "forced.")
    resources = source_allocations.get(source_node.uuid, {}).get("resources", {})
    alloc_request = {"allocations": {dest_node.uuid: {"resources": dict(resources)}}}
    if not client.claim_resources(context, instance.uuid, alloc_request, instance.project_id,
                                  instance.user_id, consumer_generation=consumer_generation):
        raise exception.NoValidHost(
            reason=f"Unable to move instance {instance.uuid} to host {dest_node.host}. There "
                   "is not enough capacity on the host for the instance.")


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


def setup_instance_group(db: Database, request_spec: RequestSpec) -> None:
    """scheduler_utils.setup_instance_group: for this request, the hosts the server
    group's members are on now, its members and its policy (never persisted)."""
    group = request_spec.instance_group
    if group is None:
        return
    try:
        details = InstanceGroup.get_by_instance_uuid(db, request_spec.instance_uuid)
    except exception.InstanceGroupNotFound:
        return
    group.hosts = sorted(set(group.hosts or ()) | set(details.get_hosts(db)))
    group.policy = details.policy
    group.members = list(details.members or ())
