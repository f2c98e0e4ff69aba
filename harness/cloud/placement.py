"""A fake placement service: providers, inventories, candidates and allocations.

Behaves as the placement API does for what Nova's scheduler and conductor use:
one root provider per compute node, capacity = (total - reserved) *
allocation_ratio, allocation candidates only where every requested class
fits, and allocation writes that are all-or-nothing: a write that would exceed
capacity or that carries a stale consumer generation is refused with a
conflict and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.cloud import exception

ALLOCATION_REQUEST_VERSION = "1.36"

Resources = dict[str, int]
# {rp_uuid: {"resources": {resource_class: amount}}}, as the placement API has it.
Allocations = dict[str, dict[str, Resources]]


class AllocationConflict(exception.Conflict):
    msg_fmt = "Unable to allocate inventory for consumer %(consumer_uuid)s: %(reason)s"


class ConsumerGenerationConflict(AllocationConflict):
    msg_fmt = "Consumer generation conflict for %(consumer_uuid)s: %(reason)s"


# os_traits.COMPUTE_STATUS_DISABLED: on the providers of a disabled compute service.
COMPUTE_STATUS_DISABLED = "COMPUTE_STATUS_DISABLED"


@dataclass
class Inventory:
    total: int
    reserved: int = 0
    min_unit: int = 1
    max_unit: int | None = None
    step_size: int = 1
    allocation_ratio: float = 1.0

    @property
    def capacity(self) -> int:
        return int((self.total - self.reserved) * self.allocation_ratio)

    def accepts(self, amount: int) -> bool:
        max_unit = self.total if self.max_unit is None else self.max_unit
        return self.min_unit <= amount <= max_unit and amount % self.step_size == 0


@dataclass
class ResourceProvider:
    uuid: str
    name: str
    generation: int = 0
    inventories: dict[str, Inventory] = field(default_factory=dict)
    traits: set[str] = field(default_factory=set)


@dataclass
class Consumer:
    project_id: str | None
    user_id: str | None
    generation: int = 0
    allocations: dict[str, Resources] = field(default_factory=dict)


class PlacementService:
    """The endpoint behind the ``placement`` topic."""

    def __init__(self) -> None:
        self.providers: dict[str, ResourceProvider] = {}
        self.consumers: dict[str, Consumer] = {}
        # What the consumers use of each provider, by resource class: kept as they
        # change, so that a claim costs the same with 10 consumers or 10,000.
        self._usages: dict[str, dict[str, int]] = {}
        self._provider_names: set[str] = set()

    # Providers and inventories

    def create_resource_provider(self, uuid: str, name: str) -> None:
        if uuid in self.providers or name in self._provider_names:
            raise exception.Conflict(f"resource provider {name} ({uuid}) already exists")
        self.providers[uuid] = ResourceProvider(uuid=uuid, name=name)
        self._provider_names.add(name)

    def set_inventory(self, rp_uuid: str, inventories: dict[str, Inventory]) -> None:
        provider = self._provider(rp_uuid)
        for rc, inventory in inventories.items():
            if self.usage(rp_uuid, rc) > inventory.capacity:
                raise exception.Conflict(
                    f"inventory of {rc} on {provider.name} would be below its usage"
                )
        provider.inventories = dict(inventories)
        provider.generation += 1

    def get_traits(self, rp_uuid: str) -> set[str]:
        return set(self._provider(rp_uuid).traits)

    def set_traits(self, rp_uuid: str, traits: set[str]) -> None:
        provider = self._provider(rp_uuid)
        provider.traits = set(traits)
        provider.generation += 1

    def usage(self, rp_uuid: str, resource_class: str) -> int:
        return self._usages.get(rp_uuid, {}).get(resource_class, 0)

    def get_usages(self, rp_uuid: str) -> Resources:
        provider = self._provider(rp_uuid)
        return {rc: self.usage(rp_uuid, rc) for rc in provider.inventories}

    # Views by provider name, as the harness observes placement

    def allocations_by_name(self) -> dict[str, dict[str, Resources]]:
        """Every consumer's allocations, keyed by consumer UUID then provider name."""
        return {consumer_uuid: {self.providers[rp].name: dict(resources)
                                for rp, resources in consumer.allocations.items()}
                for consumer_uuid, consumer in self.consumers.items()}

    def capacities_by_name(self) -> dict[str, Resources]:
        """Every provider's capacity by resource class, keyed by provider name."""
        return {provider.name: {rc: inventory.capacity
                                for rc, inventory in provider.inventories.items()}
                for provider in self.providers.values()}

    # Allocation candidates

    def get_allocation_candidates(
        self, resources: Resources, in_tree: str | None = None,
        forbidden: frozenset[str] = frozenset(),
    ) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
        """GET /allocation_candidates: (allocation_requests, provider_summaries, version);
        no provider with a ``forbidden`` trait."""
        alloc_reqs: list[dict[str, Any]] = []
        summaries: dict[str, Any] = {}
        for provider in self.providers.values():
            if in_tree is not None and provider.uuid != in_tree:
                continue
            if provider.traits & forbidden:
                continue
            if not self._fits(provider, resources):
                continue
            alloc_reqs.append({
                "allocations": {provider.uuid: {"resources": dict(resources)}},
                "mappings": {"": [provider.uuid]},
            })
            summaries[provider.uuid] = {
                "resources": {
                    rc: {"capacity": inv.capacity, "used": self.usage(provider.uuid, rc)}
                    for rc, inv in provider.inventories.items()
                },
                "traits": sorted(provider.traits),
                "parent_provider_uuid": None,
                "root_provider_uuid": provider.uuid,
            }
        return alloc_reqs, summaries, ALLOCATION_REQUEST_VERSION

    def _fits(self, provider: ResourceProvider, resources: Resources) -> bool:
        for rc, amount in resources.items():
            inventory = provider.inventories.get(rc)
            if inventory is None or not inventory.accepts(amount):
                return False
            if self.usage(provider.uuid, rc) + amount > inventory.capacity:
                return False
        return True

    # Allocations

    def get_allocations_for_consumer(self, consumer_uuid: str) -> dict[str, Any]:
        consumer = self.consumers.get(consumer_uuid)
        if consumer is None:
            return {"allocations": {}, "consumer_generation": None}
        return {
            "allocations": {
                rp: {"resources": dict(res)} for rp, res in consumer.allocations.items()
            },
            "consumer_generation": consumer.generation,
            "project_id": consumer.project_id,
            "user_id": consumer.user_id,
        }

    def put_allocations(
        self,
        consumer_uuid: str,
        allocations: Allocations,
        project_id: str | None,
        user_id: str | None,
        consumer_generation: int | None,
    ) -> None:
        """PUT /allocations/{consumer}: replace the consumer's allocations, or refuse."""
        self._write({consumer_uuid: (allocations, project_id, user_id, consumer_generation)})

    def move_allocations(self, source_consumer: str, target_consumer: str) -> bool:
        """POST /allocations: the target's allocations become the source's; the
        source is left with none. False when the source holds nothing."""
        source = self.consumers.get(source_consumer)
        if source is None or not source.allocations:
            return False
        target = self.consumers.get(target_consumer)
        moved = {rp: {"resources": dict(res)} for rp, res in source.allocations.items()}
        self._write({
            source_consumer: ({}, source.project_id, source.user_id, source.generation),
            target_consumer: (moved, source.project_id, source.user_id,
                              target.generation if target else None),
        })
        return True

    def delete_allocations(self, consumer_uuid: str) -> None:
        self._apply({consumer_uuid: None})

    def _write(self, writes: dict[str, tuple[Allocations, str | None, str | None, int | None]]
               ) -> None:
        """Check every consumer's write against generations and capacity, then apply all."""
        staged: dict[str, Consumer | None] = {}
        for consumer_uuid, (allocations, project_id, user_id, generation) in writes.items():
            current = self.consumers.get(consumer_uuid)
            current_generation = current.generation if current else None
            if generation != current_generation:
                raise ConsumerGenerationConflict(
                    consumer_uuid=consumer_uuid,
                    reason=f"expected {generation}, placement has {current_generation}",
                )
            resources = {rp: dict(alloc["resources"]) for rp, alloc in allocations.items()}
            staged[consumer_uuid] = Consumer(
                project_id=project_id,
                user_id=user_id,
                generation=(current_generation or 0) + 1,
                allocations=resources,
            ) if resources else None
        self._check_capacity(staged)
        self._apply(staged)

    def _apply(self, staged: dict[str, Consumer | None]) -> None:
        for consumer_uuid, consumer in staged.items():
            old = self.consumers.get(consumer_uuid)
            if old is not None:
                self._count(old, -1)
            if consumer is None:
                self.consumers.pop(consumer_uuid, None)
            else:
                self.consumers[consumer_uuid] = consumer
                self._count(consumer, 1)

    def _count(self, consumer: Consumer, sign: int) -> None:
        for rp_uuid, resources in consumer.allocations.items():
            usages = self._usages.setdefault(rp_uuid, {})
            for rc, amount in resources.items():
                usages[rc] = usages.get(rc, 0) + sign * amount

    def _check_capacity(self, staged: dict[str, Consumer | None]) -> None:
        for consumer_uuid, consumer in staged.items():
            for rp_uuid, resources in (consumer.allocations if consumer else {}).items():
                provider = self._provider(rp_uuid)
                for rc, amount in resources.items():
                    inventory = provider.inventories.get(rc)
                    if inventory is not None and not inventory.accepts(amount):
                        raise AllocationConflict(
                            consumer_uuid=consumer_uuid,
                            reason=f"{rc}={amount} on {provider.name} violates min_unit, "
                                   "max_unit or step_size")
        # Usage after the writes: what is used now, less what the written consumers
        # held, plus what they will hold.
        touched = {rp for c in staged.values() if c is not None for rp in c.allocations}
        after = {rp: dict(self._usages.get(rp, {})) for rp in touched}
        for consumer_uuid, consumer in staged.items():
            for sign, holder in ((-1, self.consumers.get(consumer_uuid)), (1, consumer)):
                for rp_uuid, resources in (holder.allocations if holder else {}).items():
                    usages = after.get(rp_uuid)
                    for rc, amount in resources.items() if usages is not None else ():
                        usages[rc] = usages.get(rc, 0) + sign * amount
        for rp_uuid, usages in after.items():
            provider = self._provider(rp_uuid)
            for rc, used in usages.items():
                inventory = provider.inventories.get(rc)
                if used and (inventory is None or used > inventory.capacity):
                    consumer = next(iter(staged))
                    capacity = 0 if inventory is None else inventory.capacity
                    raise AllocationConflict(
                        consumer_uuid=consumer,
                        reason=f"{rc} on {provider.name}: {used} needed, capacity {capacity}",
                    )

    def _provider(self, rp_uuid: str) -> ResourceProvider:
        try:
            return self.providers[rp_uuid]
        except KeyError:
            raise exception.NotFound(f"resource provider {rp_uuid} not found") from None
