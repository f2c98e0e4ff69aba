"""Small helpers shared by the fake cloud's unit tests."""

from __future__ import annotations

import copy
from typing import Any

from harness.cloud.api.client import TestOpenStackClient
from harness.cloud.context import get_admin_context
from harness.cloud.objects import ComputeNode, Flavor, Instance, Migration, RequestSpec, Service
from harness.cloud.placement import PlacementService
from harness.cloud.rpc import Hop
from harness.cloud.virt import NodeResources
from harness.fixtures import CloudFixture, HostSpec

IMAGE = "155d900f-4e14-4e4c-a73d-069cbf4541e6"
SMALL = {"name": "small", "vcpus": 1, "ram": 512, "disk": 1}
# A default host has (8192 - 512) MB to give: one LARGE server fits, two do not.
LARGE = {"name": "large", "vcpus": 1, "ram": 4096, "disk": 1}


def make_flavor(cloud: CloudFixture, **spec: Any) -> str:
    return cloud.admin_api.post_flavor({"flavor": {**SMALL, **spec}})["id"]


def boot(cloud: CloudFixture, count: int = 1, flavor: str | None = None,
         api: Any = None, group: str | None = None) -> list[dict[str, Any]]:
    """Create ``count`` servers in one request (in server group ``group``, a uuid);
    their admin views, by launch index."""
    api = api or cloud.admin_api
    hints = {"os:scheduler_hints": {"group": group}} if group else {}
    response = api.post_server({"server": {
        "name": "server", "imageRef": IMAGE, "flavorRef": flavor or make_flavor(cloud),
        "min_count": count, "return_reservation_id": True}, **hints})
    servers = cloud.admin_api.get_servers(
        search_opts={"reservation_id": response["reservation_id"]})
    return sorted(servers, key=lambda s: s["OS-EXT-SRV-ATTR:launch_index"])


def ranked(*names: str) -> list[HostSpec]:
    """Hosts the weighers rank in the order given: each has 1 GB more RAM than the next,
    so ties (broken by compute node UUID) never decide where a server goes."""
    return [HostSpec(name, {name: NodeResources(memory_mb=8192 + 1024 * (len(names) - i))})
            for i, name in enumerate(names)]


def live_migrate(cloud: CloudFixture, server_id: str, host: str | None = None,
                 api: Any = None, **extra: Any) -> None:
    """POST os-migrateLive; with ``force``, at 2.67, the last microversion that has it."""
    api = api or cloud.admin_api
    if "force" in extra:
        api = TestOpenStackClient(api.rpc, api.context, microversion="2.67")
    api.post_server_action(
        server_id, {"os-migrateLive": {"block_migration": "auto", "host": host, **extra}})


def rp_uuid(cloud: CloudFixture, node: str) -> str:
    return cloud.db.get(ComputeNode, node).uuid


def allocations(cloud: CloudFixture, consumer_uuid: str) -> dict[str, dict[str, int]]:
    """A consumer's allocations in placement, keyed by provider name."""
    consumer = cloud.placement.consumers.get(consumer_uuid)
    if consumer is None:
        return {}
    names = {rp.uuid: rp.name for rp in cloud.placement.providers.values()}
    return {names[rp]: dict(resources) for rp, resources in consumer.allocations.items()}


def used_on(cloud: CloudFixture, node: str) -> dict[str, int]:
    return cloud.placement.get_usages(rp_uuid(cloud, node))


def placement_state(placement: PlacementService) -> Any:
    return copy.deepcopy((placement.providers, placement.consumers))


def instance(cloud: CloudFixture, uuid: str) -> Instance:
    return Instance.get_by_uuid(cloud.db, uuid)


def migrations(cloud: CloudFixture, instance_uuid: str) -> list[Migration]:
    return cloud.db.query(Migration, instance_uuid=instance_uuid)


def service(cloud: CloudFixture, host: str) -> Service:
    return cloud.db.get(Service, host)


def hops(cloud: CloudFixture, method: str, since: int = 0,
         topic: str | None = None) -> list[Hop]:
    return [h for h in cloud.trace.since(since)
            if h.method == method and (topic is None or h.topic == topic)]


def request_spec(num_instances: int = 1, memory_mb: int = 512, **fields: Any) -> RequestSpec:
    flavor = Flavor(flavorid="f1", name="f1", vcpus=1, memory_mb=memory_mb, root_gb=1)
    return RequestSpec(instance_uuid=uuid_n(0), flavor=flavor, num_instances=num_instances,
                       project_id="fake-project", user_id="fake-user", **fields)


def uuid_n(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def select(cloud: CloudFixture, spec: RequestSpec, instance_uuids: list[str],
           alternates: bool = False) -> list[list[Any]]:
    """Ask the scheduler over the bus, as the conductor does."""
    return cloud.bus.client("test").call(
        "scheduler", "select_destinations", context=get_admin_context(), spec_obj=spec,
        instance_uuids=instance_uuids, return_objects=True, return_alternates=alternates)


def hosts_of(selections: list[list[Any]]) -> list[list[str]]:
    return [[s.service_host for s in host_list] for host_list in selections]
