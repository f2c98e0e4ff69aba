"""The built-in fake cloud as a backend for scenarios."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
from harness.fixtures import OTHER_PROJECT, CloudFixture, HostSpec
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
    poll_interval = 0.0
    exception_module = exception

    def __init__(self, cloud: CloudFixture) -> None:
        self.cloud = cloud
        self.admin_api = cloud.admin_api
        self.api = cloud.api
        self.clients = {"admin": cloud.admin_api, "user": cloud.api,
                        "manager": cloud.manager_api, "reader": cloud.reader_api,
                        "other": cloud.other_api}

    def request_spec(self, server_id: str) -> RequestSpecState:
        return request_spec_state(RequestSpec.get_by_instance_uuid(self.cloud.db, server_id))

    def allocations(self) -> RawAllocations:
        providers = self.cloud.placement.providers
        return {consumer_uuid: {providers[rp].name: dict(resources)
                                for rp, resources in consumer.allocations.items()}
                for consumer_uuid, consumer in self.cloud.placement.consumers.items()}

    def capacities(self) -> Capacities:
        return {provider.name: {rc: inventory.capacity
                                for rc, inventory in provider.inventories.items()}
                for provider in self.cloud.placement.providers.values()}

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
            set_fault(owner, point, host, active, _error_class, _Racer(cloud.placement))

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


class _Racer:
    """Another project's consumer, allocating straight in the fake placement."""

    def __init__(self, placement: PlacementService) -> None:
        self.placement = placement

    def provider_host(self, provider_uuid: str) -> str:
        return self.placement.providers[provider_uuid].name

    def take_free_space(self, provider_uuid: str) -> Callable[[], None]:
        memory = self.placement.providers[provider_uuid].inventories["MEMORY_MB"]
        free = memory.capacity - self.placement.usage(provider_uuid, "MEMORY_MB")
        taken = []
        while free > 0:
            amount = min(free, memory.total if memory.max_unit is None else memory.max_unit)
            taken.append(str(uuid.uuid4()))
            self.placement.put_allocations(
                taken[-1], {provider_uuid: {"resources": {"MEMORY_MB": amount}}},
                OTHER_PROJECT, None, None)
            free -= amount

        def give_back() -> None:
            for consumer in taken:
                self.placement.delete_allocations(consumer)

        return give_back

    def consumer_generation(self, consumer_uuid: str) -> int | None:
        generation: int | None = self.placement.get_allocations_for_consumer(
            consumer_uuid)["consumer_generation"]
        return generation

    def write_consumer(self, consumer_uuid: str, provider_uuid: str) -> Callable[[], None]:
        current = self.placement.get_allocations_for_consumer(consumer_uuid)
        if current["allocations"]:
            self.placement.put_allocations(
                consumer_uuid, current["allocations"], current["project_id"],
                current["user_id"], current["consumer_generation"])
            return lambda: None
        self.placement.put_allocations(
            consumer_uuid, {provider_uuid: {"resources": {"MEMORY_MB": 1}}},
            OTHER_PROJECT, None, None)
        return lambda: self.placement.delete_allocations(consumer_uuid)


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
