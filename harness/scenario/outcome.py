"""What a run of a scenario leads to, as a user or operator could observe it.

Both backends produce these same values, so expectations are checks on one
Outcome and ``diff`` is a comparison of two. Nothing here names a UUID:
servers are numbered in launch order, providers go by name, consumers by the
server they belong to, so two clouds' outcomes can be compared directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.scenario.model import Scenario
from harness.verdicts import SchedulingCall

if TYPE_CHECKING:
    from harness.scenario.steps.base import Step

# consumer label ("server 0", "migration of server 0") -> provider name -> class -> amount
Allocations = dict[str, dict[str, dict[str, int]]]


@dataclass(frozen=True)
class ServerState:
    index: int
    name: str
    status: str
    host: str | None
    node: str | None
    task_state: str | None
    flavor: str
    vm_state: str = "active"


@dataclass(frozen=True)
class MigrationState:
    type: str
    status: str
    source: str | None
    dest: str | None
    source_node: str | None = None
    dest_node: str | None = None
    # The server it moves, and the flavor that server had when the move began
    # (what the migration holds in placement while it is in progress).
    server: int | None = None
    flavor: str | None = None
    # The flavor the move gave the server on its destination (a resize's new one,
    # else ``flavor``), once the destination's finish_resize ran; None before or
    # without one.
    dest_flavor: str | None = None


@dataclass(frozen=True)
class RequestSpecState:
    """A server's RequestSpec as persisted: what a later move of it reads back."""

    num_instances: int
    flavor: str
    availability_zone: str | None = None
    force_hosts: tuple[str, ...] = ()
    # Per-request fields: Nova 34 never persists them, so these stay empty
    # unless the code under test leaks them (the stale-RequestSpec family).
    ignore_hosts: tuple[str, ...] = ()
    requested_destination: str | None = None
    # The hosts a scheduling retry already tried.
    retry: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionState:
    """An instance action a step's request recorded, with its events' results
    (sorted: services record them concurrently in Nova)."""

    action: str
    events: tuple[tuple[str, str | None], ...]


# The instance action event of a destination's finish_resize (Nova's wrap_instance_event).
FINISH_RESIZE_EVENT = "compute_finish_resize"


def ran_finish_resize(actions: Iterable[ActionState]) -> bool:
    """Whether a destination's finish_resize ran for one of ``actions``."""
    return any(name == FINISH_RESIZE_EVENT for action in actions for name, _ in action.events)


@dataclass
class StepOutcome:
    step: Step
    # None for a step that is not an API request.
    api_status: int | None
    api_message: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    # The servers this step acted on, after it.
    servers: tuple[ServerState, ...] = ()
    # Every server of the scenario after the step, for allocation checks.
    all_servers: tuple[ServerState, ...] = ()
    # The migration the step created or acted on.
    migration: MigrationState | None = None
    # Every migration of the scenario's servers after the step, oldest first.
    all_migrations: tuple[MigrationState, ...] = ()
    # The persisted RequestSpec of each server the step acted on, after it.
    request_specs: dict[int, RequestSpecState] = field(default_factory=dict)
    # The instance actions the step's request recorded on the server it acted on.
    actions: tuple[ActionState, ...] = ()
    allocations: Allocations = field(default_factory=dict)
    # Every provider's capacity by resource class after the step (provider name -> rc).
    capacities: dict[str, dict[str, int]] = field(default_factory=dict)
    # Host references as resolved for this step: @source, @target.
    refs: dict[str, str | None] = field(default_factory=dict)
    # Did the step settle (the fake cloud always does; real Nova may time out)?
    settled: bool = True
    trace: str = ""
    explanation: tuple[str, ...] = ()
    # What the scheduler decided in each select_destinations call of the step.
    scheduling: tuple[SchedulingCall, ...] = ()


@dataclass
class Outcome:
    scenario: Scenario
    backend: str
    scheduler: str
    steps: list[StepOutcome] = field(default_factory=list)
    seconds: float = 0.0
