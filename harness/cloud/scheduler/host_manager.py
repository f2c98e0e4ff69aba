"""HostState and HostManager (nova/scheduler/host_manager.py).

The host manager turns compute nodes into HostState objects and narrows them
down for one request: requested destination, ignored hosts, forced hosts and
nodes (in that order, as Nova does), then the enabled filters, then weighers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness import verdicts
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import ComputeNode, Instance, RequestSpec, Service
from harness.cloud.scheduler import filters, weights


@dataclass(eq=False)
class HostState:
    host: str
    nodename: str
    uuid: str
    service_up: bool
    service_disabled: bool
    vcpus_total: int
    vcpus_used: int
    total_usable_ram_mb: int
    free_ram_mb: int
    free_disk_mb: int
    cpu_allocation_ratio: float
    ram_allocation_ratio: float
    disk_allocation_ratio: float
    hypervisor_type: str
    hypervisor_version: int
    cell_uuid: str | None = None
    num_instances: int = 0
    # Moves and builds in progress here; the IoOpsWeigher prefers fewer.
    num_io_ops: int = 0
    instances: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    allocation_candidates: list[dict[str, Any]] = field(default_factory=list)
    updated: bool | None = True

    @classmethod
    def from_compute_node(cls, node: ComputeNode, service: Service,
                          instances: dict[str, Any] | None = None) -> HostState:
        return cls(
            host=node.host,
            nodename=node.hypervisor_hostname,
            uuid=node.uuid,
            service_up=service.is_up,
            service_disabled=service.disabled,
            vcpus_total=node.vcpus,
            vcpus_used=node.vcpus_used,
            total_usable_ram_mb=node.memory_mb,
            free_ram_mb=node.free_ram_mb,
            # Nova trusts the driver's disk_available_least when it is lower.
            free_disk_mb=min(node.disk_available_least, node.free_disk_gb) * 1024,
            cpu_allocation_ratio=node.cpu_allocation_ratio,
            ram_allocation_ratio=node.ram_allocation_ratio,
            disk_allocation_ratio=node.disk_allocation_ratio,
            hypervisor_type=node.hypervisor_type,
            hypervisor_version=node.hypervisor_version,
            num_instances=node.num_instances,
            num_io_ops=node.io_workload,
            # Nova keys them by instance UUID; the group filters only use the keys.
            # Not a copy: a multi-create's picks add to a host's reported instances.
            instances={} if instances is None else instances,
        )

    def consume_from_request(self, spec_obj: RequestSpec) -> None:
        """Account for an instance placed here, so later picks in the request see it."""
        flavor = spec_obj.flavor
        self.free_ram_mb -= flavor.memory_mb
        self.free_disk_mb -= (flavor.root_gb + flavor.ephemeral_gb) * 1024 + flavor.swap
        self.vcpus_used += flavor.vcpus
        self.num_instances += 1
        # "there is always an IO operation because we want to move the instance"
        self.num_io_ops += 1

    def __trace__(self) -> str:
        return self.host if self.host == self.nodename else f"{self.host}/{self.nodename}"

    def __repr__(self) -> str:
        # As Nova's HostState prints itself in the scheduler's debug lines.
        return (f"({self.host}, {self.nodename}) ram: {self.free_ram_mb}MB disk: "
                f"{self.free_disk_mb}MB io_ops: {self.num_io_ops} instances: "
                f"{self.num_instances}")


@dataclass
class HostInstances:
    """What the scheduler holds of one host's instances (Nova's ``_instance_info``
    entry): the instances, keyed by UUID, and whether they came from its compute's
    updates (trusted from then on, stale or not) or from the database (read again
    for each request)."""

    instances: dict[str, Any]
    updated: bool


class HostManager:
    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        # Empty when the scheduler starts, before any compute: Nova's
        # _async_init_instance_info finds no instance then.
        self._instance_info: dict[str, HostInstances] = {}
        self.enabled_filters = [filters.get_filter(name) for name in config.enabled_filters]
        self.weighers = weights.get_weighers(config.weight_multipliers)
        # The record of the select_destinations call being handled, which the
        # scheduler sets: what each pass of filters and weighers decides goes there.
        self.call: verdicts.SchedulingCall | None = None

    def get_host_states_by_uuids(
        self, context: RequestContext, compute_uuids: list[str] | None, spec_obj: RequestSpec
    ) -> Iterator[HostState]:
        services = {s.host: s for s in self.db.query(Service)}
        in_db: dict[str, dict[str, Any]] = {}
        for instance in self.db.query(Instance):
            if instance.host is not None:
                in_db.setdefault(instance.host, {})[instance.uuid] = True
        # Nova reads them with "WHERE uuid IN (...)" through a unique index on
        # uuid, so hosts that weigh the same are taken in compute node UUID order.
        for node in sorted(self.db.query(ComputeNode), key=lambda n: n.uuid,
                           reverse=self.config.reverse_host_order):
            if compute_uuids is not None and node.uuid not in compute_uuids:
                continue
            service = services.get(node.host)
            if service is not None:
                yield HostState.from_compute_node(
                    node, service, self._get_instance_info(node.host, in_db))

    # The computes' reports of their instances (track_instance_changes): each build,
    # rebuild, finished resize or unshelve adds a server to its host, a confirmed
    # resize, shelve-offload or delete takes it off, and a live migration's source
    # adds the server to the source, where it is no longer (Nova's
    # _post_live_migration sends it with its own host). Nothing else corrects them:
    # Nova's tests run no periodic sync_instance_info.

    def _get_instance_info(self, host: str,
                           in_db: dict[str, dict[str, Any]]) -> dict[str, Any]:
        info = self._instance_info.get(host)
        if info is not None and info.updated:
            return info.instances
        return dict(in_db.get(host, {}))

    def _recreate_instance_info(self, host: str) -> None:
        self._instance_info[host] = HostInstances(
            dict.fromkeys((i.uuid for i in self.db.query(Instance, host=host)), True),
            updated=False)

    def update_instance_info(self, host_name: str, instance_uuids: list[str]) -> None:
        info = self._instance_info.get(host_name)
        if info is not None:
            info.instances.update(dict.fromkeys(instance_uuids, True))
            info.updated = True
        elif len(instance_uuids) > 1:
            # A compute's start-up sends its whole list: taken as it is.
            self._instance_info[host_name] = HostInstances(
                dict.fromkeys(instance_uuids, True), updated=True)
        else:
            self._recreate_instance_info(host_name)

    def delete_instance_info(self, host_name: str, instance_uuid: str) -> None:
        info = self._instance_info.get(host_name)
        if info is not None:
            info.instances.pop(instance_uuid, None)
            info.updated = True
        else:
            self._recreate_instance_info(host_name)

    def get_filtered_hosts(
        self, hosts: Iterable[HostState], spec_obj: RequestSpec, index: int = 0
    ) -> list[HostState]:
        hosts = list(hosts)
        # Recorded whether or not a call is, so the code below has one path.
        sort_pass = verdicts.SortPass(index, tuple(h.host for h in hosts))
        if self.call is not None:
            self.call.passes.append(sort_pass)

        def check(name: str, kept: list[HostState]) -> list[HostState]:
            verdict = verdicts.narrowed(name, hosts, kept)
            if verdict is not None:
                sort_pass.checks.append(verdict)
            return kept

        requested = spec_obj.requested_destination
        if requested is not None and requested.host:
            hosts = check(verdicts.REQUESTED_DESTINATION, [
                h for h in hosts if h.host == requested.host
                and (not requested.node or h.nodename == requested.node)])
        ignore_hosts = [h.lower() for h in spec_obj.ignore_hosts or []]
        force_hosts = [h.lower() for h in spec_obj.force_hosts or []]
        force_nodes = spec_obj.force_nodes or []
        if ignore_hosts:
            hosts = check(verdicts.IGNORE_HOSTS,
                          [h for h in hosts if h.host.lower() not in ignore_hosts])
            if not hosts:
                sort_pass.filtered = False
                return []
        if force_hosts:
            hosts = check(verdicts.FORCE_HOSTS,
                          [h for h in hosts if h.host.lower() in force_hosts])
        if force_nodes:
            hosts = check(verdicts.FORCE_NODES, [h for h in hosts if h.nodename in force_nodes])
        check_type = spec_obj.scheduler_hints.get("_nova_check_type")
        if (force_hosts or force_nodes) and not check_type:
            # Forcing a host or node skips the filters, as in Nova.
            sort_pass.filtered = False
            return hosts
        for host_filter in self.enabled_filters:
            if not host_filter.run_filter_for_index(index):
                continue
            passed = host_filter.filter_all(hosts, spec_obj)
            kept = {id(h) for h in passed}
            refused = [h for h in hosts if id(h) not in kept]
            verdict = verdicts.FilterVerdict(type(host_filter).__name__, {
                h.host: host_filter.reason(h, spec_obj) for h in refused})
            for h in refused:
                counted = host_filter.counted(h, spec_obj)
                if counted is not None:
                    verdict.counted[h.host] = counted
            sort_pass.filters.append(verdict)
            hosts = passed
            # Nova stops at the first filter that leaves no host.
            if not hosts:
                break
        return hosts

    def get_weighed_hosts(
        self, hosts: list[HostState], spec_obj: RequestSpec
    ) -> list[weights.WeighedHost]:
        weighed = weights.weigh(self.weighers, hosts, spec_obj)
        if self.call is not None and self.call.passes:
            self.call.passes[-1].weighed = [
                verdicts.HostWeight(w.obj.host, w.weight, tuple(sorted(w.scores.items())))
                for w in weighed]
        return weighed
