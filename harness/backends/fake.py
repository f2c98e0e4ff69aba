"""The built-in fake cloud as a backend for scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.backends.base import Capacities, RawAllocations, request_spec_state
from harness.cloud import exception, rpc
from harness.cloud.api.client import API_TOPIC, OpenStackApiException
from harness.cloud.conf import DEFAULT_QUOTA, Config
from harness.cloud.explain import explain
from harness.cloud.objects import RequestSpec
from harness.cloud.placement import PlacementService
from harness.cloud.rpc import Hop
from harness.cloud.scheduler.weights import MULTIPLIER_OPTIONS
from harness.cloud.virt import NodeResources
from harness.faults import FaultPoint, set_fault
from harness.fixtures import CloudFixture, HostSpec
from harness.inject import bug_injection
from harness.scenario.model import HostDef, Scenario
from harness.scenario.outcome import RequestSpecState
from harness.verdicts import SchedulingCall


def host_spec(host: HostDef) -> HostSpec:
    return HostSpec(host.name, {host.name: NodeResources(
        vcpus=host.vcpus, memory_mb=host.memory_mb, local_gb=host.disk_gb,
        reserved_host_memory_mb=host.reserved_host_memory_mb,
        cpu_allocation_ratio=host.cpu_allocation_ratio,
        ram_allocation_ratio=host.ram_allocation_ratio,
        disk_allocation_ratio=host.disk_allocation_ratio)})


class FakeCloudHandle:
    # Glance's fixture image in Nova's tests; the fake cloud accepts any image.
    image_ref = "155d900f-4e14-4e4c-a73d-069cbf4541e6"
    other_image_ref = "a2459075-d96c-40d5-893e-577ff92e721c"
    api_errors = (OpenStackApiException,)
    # Casts run to completion before the API answers: nothing to wait for.
    poll_timeout = 0.0
    exception_module = exception

    def __init__(self, cloud: CloudFixture) -> None:
        self.cloud = cloud
        self.admin_api = cloud.admin_api
        self.api = cloud.api
        self.clients = {"admin": cloud.admin_api, "user": cloud.api,
                        "manager": cloud.manager_api, "reader": cloud.reader_api,
                        "other": cloud.other_api}

    def pause(self) -> None:
        """Nothing runs once the API has answered: nothing to wait for."""

    def at_rest(self) -> bool:
        """Always: the cloud changes only while it answers a request."""
        return True

    def request_spec(self, server_id: str) -> RequestSpecState:
        return request_spec_state(RequestSpec.get_by_instance_uuid(self.cloud.db, server_id))

    def allocations(self) -> RawAllocations:
        return self.cloud.placement.allocations_by_name()

    def capacities(self) -> Capacities:
        return self.cloud.placement.capacities_by_name()

    def restart_compute(self, host: str) -> None:
        self.cloud.computes[host].init_host()

    def set_fault(self, point: FaultPoint, host: str | None, active: bool) -> None:
        cloud = self.cloud
        owners = {
            "manager": lambda: [cloud.computes[host or ""]],
            "driver": lambda: [cloud.computes[host or ""].driver],
            "scheduler": lambda: [cloud.scheduler_manager],
            "conductor-rpc": lambda: [cloud.conductor_manager.compute_rpcapi],
            # Nova's services share one report client; here each has its own.
            "placement-claim": lambda: [cloud.scheduler_manager.placement_client,
                                        cloud.conductor_manager.report_client],
        }
        for owner in owners[point.target]():
            set_fault(owner, point, host, active, _error_class, _Placement(cloud.placement))

    def mark(self) -> int:
        return self.cloud.trace.mark()

    def trace_since(self, mark: int) -> str:
        return self.cloud.trace.render([h for h in self.cloud.trace.since(mark)
                                        if not _is_observation(h)])

    def explain_since(self, mark: int) -> list[str]:
        return explain(self.cloud.trace.since(mark))

    def scheduling_since(self, mark: int) -> list[SchedulingCall]:
        return [hop.facts["scheduling"] for hop in self.cloud.trace.since(mark)
                if "scheduling" in hop.facts]


class _Placement:
    """The fake placement as harness.faults races it: straight on the service."""

    def __init__(self, placement: PlacementService) -> None:
        self.service = placement

    def provider_host(self, provider_uuid: str) -> str:
        return self.service.providers[provider_uuid].name

    def free_memory(self, provider_uuid: str) -> tuple[int, int]:
        memory = self.service.providers[provider_uuid].inventories["MEMORY_MB"]
        free = memory.capacity - self.service.usage(provider_uuid, "MEMORY_MB")
        return free, memory.total if memory.max_unit is None else memory.max_unit

    def consumer(self, consumer_uuid: str) -> dict[str, Any]:
        return self.service.get_allocations_for_consumer(consumer_uuid)

    def put_allocations(self, consumer_uuid: str, allocations: dict[str, Any],
                        project_id: str | None, user_id: str | None,
                        generation: int | None) -> None:
        self.service.put_allocations(consumer_uuid, allocations, project_id, user_id,
                                     generation)

    def delete_allocations(self, consumer_uuid: str) -> None:
        self.service.delete_allocations(consumer_uuid)


def _error_class(name: str) -> type[Exception]:
    found: type[Exception] = getattr(exception, name, None) or getattr(rpc, name)
    return found


def _is_observation(hop: Hop) -> bool:
    """The runner's own reads through the API: not part of what the step did."""
    return hop.topic == API_TOPIC and hop.method.startswith("get_")


class FakeCloudBackend:
    name = "fake"

    def __init__(self, inject: str | None = None, reverse_ties: bool = False) -> None:
        self.inject = inject
        # Equally weighed hosts taken the other way round (see Config.reverse_host_order).
        self.reverse_ties = reverse_ties

    def prepare(self) -> None:
        """The fake cloud needs nothing beyond the harness itself."""

    @contextmanager
    def open(self, scenario: Scenario, scheduler: str) -> Iterator[FakeCloudHandle]:
        injection = bug_injection(self.inject, "fake")
        options = scenario.cloud.config
        config = Config(
            allow_resize_to_same_host=options.allow_resize_to_same_host,
            shelved_offload_time=options.shelved_offload_time,
            disable_group_policy_check_upcall=options.disable_group_policy_check_upcall,
            quota={**DEFAULT_QUOTA, **options.quota},
            max_attempts=options.max_attempts,
            **({"enabled_filters": options.enabled_filters} if options.enabled_filters else {}),
            weight_multipliers={**Config().weight_multipliers, **{
                MULTIPLIER_OPTIONS[option]: value
                for option, value in options.weight_multipliers.items()}},
            reverse_host_order=self.reverse_ties)
        with injection, CloudFixture([host_spec(h) for h in scenario.cloud.hosts],
                                     scheduler=scheduler, config=config) as cloud:
            yield FakeCloudHandle(cloud)
