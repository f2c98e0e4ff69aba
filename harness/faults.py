"""Faults a scenario can give a service, the same way on both backends.

Each fault point is a method that, once the fault is set, raises what Nova's
own tests make it raise: upstream's regression tests stub
``ComputeManager._prep_resize`` with a bare Exception (test_bug_1718512) and
the driver's destination check with MigrationPreCheckError. The method is
replaced on one object of one cloud (a host's compute manager or driver, the
scheduler's manager, the conductor's client for calls to one host), so other
hosts and other clouds are untouched, and a restarted compute (a new manager)
comes back without it. The method is one the service calls itself, never an
RPC endpoint's: Nova 34's RPC server keeps the endpoint methods it has looked
up once, and would not see the replacement.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, Protocol

# Whose method fails: a host's compute "manager" or its virt "driver"; the
# "scheduler" service's manager (no host); "conductor-rpc", the conductor's RPC
# client for compute, whose call fails when it is addressed to the host; or
# "placement-claim", the placement client the scheduler and the conductor claim
# with, whose claims on the host race another consumer.
Target = Literal["manager", "driver", "scheduler", "conductor-rpc", "placement-claim"]


@dataclass(frozen=True)
class FaultPoint:
    name: str
    target: Target
    method: str
    # An exception class the backend can name (see ErrorClass), or None for a bare
    # Exception.
    error: str | None
    effect: str
    # conductor-rpc: the position of the destination host among the call's arguments.
    host_argument: int | None = None

    @property
    def on_host(self) -> bool:
        """Whether the fault is given to one host (else to the scheduler)."""
        return self.target != "scheduler"


FAULT_POINTS: dict[str, FaultPoint] = {p.name: p for p in (
    FaultPoint("prep_resize", "manager", "_prep_resize", None,
               "the host fails to prepare a resize or cold migration it was chosen for: "
               "the compute asks the conductor to try the next alternate"),
    FaultPoint("resize_instance", "driver", "migrate_disk_and_power_off", None,
               "the host, the source of a resize or cold migration, fails to move the "
               "server's disk off: the server goes to ERROR where it was, with its "
               "allocation back on the source, and the migration to error"),
    FaultPoint("finish_resize", "driver", "finish_migration", None,
               "the host, the destination of a resize or cold migration, fails to finish "
               "it: the server goes to ERROR on the destination, the source's allocation "
               "is deleted (a hard reboot recovers it there), and the migration to error"),
    FaultPoint("live_migration_check", "driver", "check_can_live_migrate_destination",
               "MigrationPreCheckError",
               "the host refuses to be a live migration's destination: the conductor "
               "asks the scheduler again, ignoring it"),
    FaultPoint("live_migration_check_timeout", "conductor-rpc",
               "check_can_live_migrate_destination", "MessagingTimeout",
               "the host stops answering: the conductor's call to check it as a live "
               "migration's destination times out, and the conductor asks the scheduler "
               "again, ignoring it", host_argument=2),
    FaultPoint("claim_taken", "placement-claim", "claim_resources", None,
               "between the scheduler's choice of the host and its claim there, another "
               "consumer takes the host's free memory (and gives it back right after): "
               "placement refuses the claim (409) and the scheduler claims its next host"),
    FaultPoint("claim_consumer_conflict", "placement-claim", "claim_resources", None,
               "between the read and the write of a claim on the host, another writer "
               "changes the server's own allocations (a consumer generation conflict): "
               "placement refuses the claim (409) and the claim raises "
               "AllocationUpdateFailed"),
    FaultPoint("pre_live_migration", "driver", "pre_live_migration", None,
               "the host, chosen as a live migration's destination, fails to prepare "
               "for it: the source rolls the migration back"),
    FaultPoint("select_destinations", "scheduler", "_schedule", None,
               "the scheduler raises an unexpected error for every request: a live "
               "migration puts the server in ERROR, a cold migration or resize leaves it "
               "as it was; both end the migration in error"),
)}

# Finds an exception class by name in what the backend raises: its exception
# module, then its messaging library's. Each takes the message as its one argument.
ErrorClass = Callable[[str], type[Exception]]

# What every injected fault's message says, so that explanations can tell it apart.
INJECTED = "injected fault at"


class PlacementPort(Protocol):
    """What racing a claim needs of placement, as each backend reaches it."""

    def provider_host(self, provider_uuid: str) -> str:
        """The host of a compute node's resource provider."""

    def free_memory(self, provider_uuid: str) -> tuple[int, int]:
        """The provider's free MEMORY_MB, and the most one allocation may take."""

    def consumer(self, consumer_uuid: str) -> dict[str, Any]:
        """GET /allocations/{consumer}: its allocations, consumer_generation (None for
        a consumer that holds nothing), project_id and user_id."""

    def put_allocations(self, consumer_uuid: str, allocations: dict[str, Any],
                        project_id: str | None, user_id: str | None,
                        generation: int | None) -> None:
        """PUT /allocations/{consumer}."""

    def delete_allocations(self, consumer_uuid: str) -> None:
        """DELETE /allocations/{consumer}."""


# Who races: a user of another project, known to no scenario.
_RACER_PROJECT, _RACER_USER = "racing-project", "racing-user"


class Racer:
    """Another placement user, racing claims: the same moves on either backend."""

    def __init__(self, placement: PlacementPort) -> None:
        self.placement = placement

    def provider_host(self, provider_uuid: str) -> str:
        return self.placement.provider_host(provider_uuid)

    def take_free_space(self, provider_uuid: str) -> Callable[[], None]:
        """Allocate the provider's free memory to other consumers; the callable gives
        it back."""
        free, max_unit = self.placement.free_memory(provider_uuid)
        taken = []
        while free > 0:
            amount = min(free, max_unit)
            taken.append(str(uuid.uuid4()))
            self.placement.put_allocations(
                taken[-1], {provider_uuid: {"resources": {"MEMORY_MB": amount}}},
                _RACER_PROJECT, _RACER_USER, None)
            free -= amount

        def give_back() -> None:
            for consumer in taken:
                self.placement.delete_allocations(consumer)

        return give_back

    def consumer_generation(self, consumer_uuid: str) -> int | None:
        generation: int | None = self.placement.consumer(consumer_uuid).get("consumer_generation")
        return generation

    def write_consumer(self, consumer_uuid: str, provider_uuid: str) -> Callable[[], None]:
        """Write the consumer's allocations: the same again if it holds some (its
        generation moves on), else 1 MB on the provider, which the callable gives back."""
        current = self.placement.consumer(consumer_uuid)
        if current["allocations"]:
            self.placement.put_allocations(
                consumer_uuid, {rp: {"resources": dict(a["resources"])}
                                for rp, a in current["allocations"].items()},
                current["project_id"], current["user_id"], current["consumer_generation"])
            return lambda: None
        self.placement.put_allocations(
            consumer_uuid, {provider_uuid: {"resources": {"MEMORY_MB": 1}}},
            _RACER_PROJECT, _RACER_USER, None)
        return lambda: self.placement.delete_allocations(consumer_uuid)


def set_fault(owner: Any, point: FaultPoint, host: str | None, active: bool,
              error_class: ErrorClass, placement: PlacementPort | None = None) -> None:
    """Make ``point``'s method of ``owner`` fail (for ``host``, when the owner serves
    every host), or stop failing once no host is left; a placement-claim point races
    its claims through ``placement``."""
    if point.target in ("manager", "driver", "scheduler"):
        if active:
            setattr(owner, point.method, _raising(point, host, error_class))
        else:
            owner.__dict__.pop(point.method, None)
        return
    wrapper = owner.__dict__.get(point.method)
    if not isinstance(wrapper, _ForHosts):
        if not active:
            return
        original = getattr(owner, point.method)
        if point.target == "placement-claim":
            if placement is None:
                raise ValueError(f"{point.name} races through placement: none given")
            wrapper = _CLAIM_RACES[point.name](original, Racer(placement))
        else:
            wrapper = _FailingForHosts(original, point, error_class)
        setattr(owner, point.method, wrapper)
    if active:
        wrapper.hosts.add(host or "")
        return
    wrapper.hosts.discard(host or "")
    if not wrapper.hosts:
        owner.__dict__.pop(point.method)


def _message(point: FaultPoint, host: str | None) -> str:
    return f"{host or 'scheduler'}: {INJECTED} {point.name}"


def _raising(point: FaultPoint, host: str | None,
             error_class: ErrorClass) -> Callable[..., NoReturn]:
    message = _message(point, host)

    def fail(*args: Any, **kwargs: Any) -> NoReturn:
        raise _error(point, error_class)(message)

    return fail


def _error(point: FaultPoint, error_class: ErrorClass) -> type[Exception]:
    return Exception if point.error is None else error_class(point.error)


class _ForHosts:
    """A client's method that misbehaves for the given hosts only."""

    def __init__(self, original: Callable[..., Any]) -> None:
        self.original = original
        self.hosts: set[str] = set()


class _FailingForHosts(_ForHosts):
    """Calls addressed to the hosts fail; the others go through."""

    def __init__(self, original: Callable[..., Any], point: FaultPoint,
                 error_class: ErrorClass) -> None:
        super().__init__(original)
        self.point, self.error_class = point, error_class

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        host = args[self.point.host_argument or 0]
        if host in self.hosts:
            raise _error(self.point, self.error_class)(_message(self.point, host))
        return self.original(*args, **kwargs)


class _RacedClaims(_ForHosts):
    """claim_resources, losing a race on the hosts' providers: another consumer takes
    the free space just before the claim, and gives it back once it is refused."""

    def __init__(self, original: Callable[..., Any], racer: Racer) -> None:
        super().__init__(original)
        self.racer = racer

    def _raced(self, alloc_request: dict[str, Any]) -> list[str]:
        return [provider for provider in alloc_request["allocations"]
                if self.racer.provider_host(provider) in self.hosts]

    def __call__(self, context: Any, consumer_uuid: str, alloc_request: dict[str, Any],
                 *args: Any, **kwargs: Any) -> Any:
        releases = [self.racer.take_free_space(p) for p in self._raced(alloc_request)]
        try:
            return self.original(context, consumer_uuid, alloc_request, *args, **kwargs)
        finally:
            for release in releases:
                release()


class _ConflictedClaims(_RacedClaims):
    """claim_resources on the hosts' providers, with the server's own allocations
    written by another between the claim's read and its write. The read cannot be
    reached from here, so the claim is given the generation it would have read:
    Nova's report client sends the generation an allocation request carries."""

    def __call__(self, context: Any, consumer_uuid: str, alloc_request: dict[str, Any],
                 *args: Any, **kwargs: Any) -> Any:
        raced = self._raced(alloc_request)
        if not raced:
            return self.original(context, consumer_uuid, alloc_request, *args, **kwargs)
        read = self.racer.consumer_generation(consumer_uuid)
        release = self.racer.write_consumer(consumer_uuid, raced[0])
        try:
            return self.original(context, consumer_uuid,
                                 {**alloc_request, "consumer_generation": read},
                                 *args, **kwargs)
        finally:
            release()


_CLAIM_RACES: dict[str, type[_RacedClaims]] = {
    "claim_taken": _RacedClaims, "claim_consumer_conflict": _ConflictedClaims}
