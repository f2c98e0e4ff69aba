"""The protocol between the scenario runner and a cloud to run scenarios on.

A backend opens a cloud for a scenario; the runner drives it only through
the compute API clients (the same JSON a Nova user sends, with the method
names of Nova's functional test client) and observes the few things the API
does not show: the persisted RequestSpec and placement allocations.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any, Protocol

from harness.faults import FaultPoint
from harness.scenario.model import Scenario
from harness.scenario.outcome import RequestSpecState
from harness.verdicts import SchedulingCall

# consumer UUID -> provider name -> resource class -> amount
RawAllocations = dict[str, dict[str, dict[str, int]]]
# provider name -> resource class -> what placement lets be used: (total - reserved)
# * allocation_ratio
Capacities = dict[str, dict[str, int]]


class BackendUnavailable(Exception):
    """The backend cannot run here (missing dependency, unsupported request)."""


class NotApplicable(Exception):
    """This scenario asks for what the backend's release does not have (a microversion
    newer than its API's): a real difference of that release, reported as such rather
    than as a failure. The message says what is missing."""


class CloudHandle(Protocol):
    admin_api: Any
    api: Any
    # The API client of each actor a step may be sent as ("admin", "user", ...).
    clients: dict[str, Any]
    image_ref: str
    # Another image, for a rebuild that changes it.
    other_image_ref: str
    # Exceptions the API clients raise for error responses (with .response.status_code).
    api_errors: tuple[type[Exception], ...]
    # How long to wait for a step to settle. A cloud whose API calls return with
    # the work done (the fake one) waits 0.
    poll_timeout: float
    # The module whose exception classes name the errors (nova.exception for Nova).
    exception_module: ModuleType

    def pause(self) -> None:
        """Between two looks of a wait: let the cloud work."""

    def at_rest(self) -> bool:
        """Whether the cloud has come to rest: nothing left to run could change what
        a look sees, so what it reads is one moment, and the last."""

    def request_spec(self, server_id: str) -> RequestSpecState:
        """The server's RequestSpec as persisted."""

    def allocations(self) -> RawAllocations:
        """Every consumer's allocations, by provider name."""

    def capacities(self) -> Capacities:
        """Every provider's capacity, by resource class."""

    def restart_compute(self, host: str) -> None:
        """Restart nova-compute on ``host``, as an operator would."""

    def set_fault(self, point: FaultPoint, host: str | None, active: bool) -> None:
        """Make ``point`` fail from now on (for ``host``, unless it is the scheduler's),
        or stop failing."""

    def mark(self) -> Any:
        """A point in the cloud's record of events, for trace_since/explain_since."""

    def trace_since(self, mark: Any) -> str:
        """What the services did since the mark, for a reader."""

    def explain_since(self, mark: Any) -> list[str]:
        """Why things failed since the mark, as far as the cloud can tell."""

    def scheduling_since(self, mark: Any) -> list[SchedulingCall]:
        """What the scheduler decided in each select_destinations call since the mark."""


class Backend(Protocol):
    name: str

    def prepare(self) -> None:
        """Check the backend can run, before any scenario; raise BackendUnavailable if not."""

    def open(self, scenario: Scenario, scheduler: str) -> AbstractContextManager[CloudHandle]:
        """A cloud built as the scenario says, torn down when the context exits."""


def request_spec_state(spec: Any) -> RequestSpecState:
    """What a RequestSpec object (Nova's or the fake cloud's) holds of interest, as
    loaded from the database: unset and empty values alike are empty."""
    destination = _field(spec, "requested_destination")
    return RequestSpecState(
        num_instances=spec.num_instances,
        flavor=spec.flavor.name,
        availability_zone=_field(spec, "availability_zone"),
        force_hosts=tuple(_field(spec, "force_hosts") or ()),
        ignore_hosts=tuple(_field(spec, "ignore_hosts") or ()),
        requested_destination=_field(destination, "host") if destination else None,
        retry=_retried_hosts(_field(spec, "retry")))


def _field(obj: Any, name: str) -> Any:
    """A field's value, or None when it is not set: reading an unset field of a Nova
    object tries to lazy-load it, and a Destination cannot."""
    is_set = getattr(obj, "obj_attr_is_set", None)
    if is_set is not None and not is_set(name):
        return None
    return getattr(obj, name, None)


def _retried_hosts(retry: Any) -> tuple[str, ...]:
    """SchedulerRetries.hosts: Nova's are ComputeNodes, the fake cloud's [host, node]."""
    hosts = _field(retry, "hosts") or ()
    return tuple(h[0] if isinstance(h, list | tuple) else h.host for h in hosts)
