"""What a run of a scenario leads to, as a user or operator could observe it.

Both backends produce these same values, so expectations are checks on one
Outcome and ``diff`` is a comparison of two. Nothing here names a UUID:
servers are numbered in launch order, providers go by name, consumers by the
server they belong to, so two clouds' outcomes can be compared directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.scenario.model import Scenario, Step

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


@dataclass(frozen=True)
class MigrationState:
    type: str
    status: str
    source: str | None
    dest: str | None


@dataclass
class StepOutcome:
    step: Step
    api_status: int
    api_message: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    # The servers this step acted on, after it.
    servers: tuple[ServerState, ...] = ()
    # Every server of the scenario after the step, for allocation checks.
    all_servers: tuple[ServerState, ...] = ()
    migration: MigrationState | None = None
    num_instances: dict[int, int] = field(default_factory=dict)
    allocations: Allocations = field(default_factory=dict)
    # Host references as resolved for this step: @source, @target.
    refs: dict[str, str | None] = field(default_factory=dict)
    # Did the step settle (the fake cloud always does; real Nova may time out)?
    settled: bool = True
    trace: str = ""
    explanation: tuple[str, ...] = ()


@dataclass
class Outcome:
    scenario: Scenario
    backend: str
    scheduler: str
    steps: list[StepOutcome] = field(default_factory=list)
    seconds: float = 0.0
