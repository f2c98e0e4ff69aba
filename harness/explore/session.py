"""One generated scenario run as it is generated: each step is validated and built by
the loader (``StepLoader``), run at once on an open cloud (``StepRunner``), and
what it led to is folded into a small model of the cloud that the state machine
draws the next step from.

The model is read from the step's outcome, never predicted: a step that the
cloud refused leaves the model as the cloud left it, so the next steps are drawn
from what is really there (which servers exist, in which state, on which host).
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.backends.base import Backend
from harness.scenario.holds import SourceHolds
from harness.scenario.loader import StepLoader, load_data
from harness.scenario.model import Scenario
from harness.scenario.outcome import ServerState, StepOutcome
from harness.scenario.runner import StepRunner
from harness.scenario.steps.base import Step

# A step's data as a scenario file has it: {"action": "create", "flavor": ..., ...}.
RawStep = dict[str, Any]


class StepCrashed(Exception):
    """The harness or the cloud raised while running a step (not an API error): the
    run of a scenario must end in a verdict, so this is a finding of its own."""

    def __init__(self, step: Step, text: str) -> None:
        super().__init__(text)
        self.step = step
        self.text = text


@dataclass(frozen=True)
class CreateRecord:
    """How a create step made its servers, for the twin that makes them alone."""

    step: int
    count: int
    # The host an admin forced (availability_zone "nova:host"), if any.
    forced_host: str | None
    # Hosts enabled and up when the step ran, other than the forced one: the twin
    # disables them around its creates to pin them to the forced host.
    others_enabled: tuple[str, ...]
    # The server group it put its servers in, if any.
    group: str | None = None

    @property
    def differs_alone(self) -> bool:
        """Whether its servers' RequestSpecs differ from a lone, unforced create's."""
        return self.count > 1 or self.forced_host is not None


@dataclass
class CloudModel:
    """What the explorer knows of the cloud after the last step."""

    hosts: tuple[str, ...]
    flavors: tuple[str, ...]
    # Server numbers taken so far (a create takes its count, made or not).
    slots: int = 0
    # Servers that exist, as the last step left them.
    servers: dict[int, ServerState] = field(default_factory=dict)
    # Server number -> the create step that made it.
    created_by: dict[int, CreateRecord] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)
    # Servers a delete step named: gone for the loader, whatever the API answered.
    deleted: set[int] = field(default_factory=set)
    # Server groups that exist: name -> policy; and every name a step used (a
    # scenario may not reuse one).
    groups: dict[str, str] = field(default_factory=dict)
    group_names: list[str] = field(default_factory=list)
    # Faults set on computes: (host, point).
    faults: set[tuple[str, str]] = field(default_factory=set)
    ever_faulted: bool = False

    def with_status(self, *statuses: str) -> list[int]:
        return sorted(i for i, s in self.servers.items() if s.status in statuses)

    def members(self, group: str) -> list[int]:
        """The existing servers that a create put in ``group``."""
        return sorted(i for i, record in self.created_by.items()
                      if record.group == group and i in self.servers)

    def up_and_enabled(self) -> list[str]:
        return [h for h in self.hosts if h not in self.disabled and h not in self.down]


class Session:
    """One scenario on one cloud, a step at a time; ``close`` tears the cloud down."""

    def __init__(self, header: dict[str, Any], backend: Backend, scheduler: str,
                 path: Path = Path("explore.toml")) -> None:
        self.loader = StepLoader(header, path)
        self.outcomes: list[StepOutcome] = []
        # The evacuation sources held, followed through every step so far.
        self.holds = SourceHolds()
        cloud = self.loader.data["cloud"]
        self.model = CloudModel(
            hosts=tuple(h if isinstance(h, str) else h["name"] for h in cloud["hosts"]),
            flavors=tuple(f["name"] for f in cloud["flavors"]))
        self._stack = contextlib.ExitStack()
        handle = self._stack.enter_context(backend.open(self.loader.scenario, scheduler))
        self.runner = StepRunner(self.loader.scenario, handle)

    @property
    def cloud(self) -> Scenario:
        """The scenario's cloud (its ``steps`` are empty: see ``steps``)."""
        return self.loader.scenario

    @property
    def steps(self) -> list[RawStep]:
        return self.loader.data["steps"]

    @property
    def data(self) -> dict[str, Any]:
        """The scenario so far, as a file would hold it."""
        return self.loader.data

    @property
    def header(self) -> dict[str, Any]:
        """The scenario's tables but its steps: [scenario] and [cloud]."""
        return {k: v for k, v in self.loader.data.items() if k != "steps"}

    def run(self, raw: RawStep) -> StepOutcome:
        """Validate, build and run one step; a ScenarioError for an invalid one (the
        explorer's own bug: it only draws valid steps)."""
        model = self.model
        step = self.loader.add(raw)
        # Recorded before the step runs: which hosts were there to pin a forced create.
        if raw["action"] == "create":
            forced = raw.get("availability_zone", "").partition(":")[2] or None
            record = CreateRecord(step.index, raw.get("count", 1), forced, tuple(
                h for h in model.up_and_enabled() if h != forced), raw.get("group"))
        try:
            result = self.runner.run_step(step)
        except Exception:
            raise StepCrashed(step, traceback.format_exc()) from None
        self.outcomes.append(result)
        self.holds.observe(result.all_servers, result.all_migrations)
        if raw["action"] == "create":
            for index in range(model.slots, model.slots + record.count):
                model.created_by[index] = record
            model.slots += record.count
        self._update(raw, result)
        return result

    def _update(self, raw: RawStep, result: StepOutcome) -> None:
        model = self.model
        action, ok = raw["action"], result.api_status is not None and result.api_status < 400
        if action == "delete":
            model.deleted.add(raw["server"])
        model.servers = {s.index: s for s in result.all_servers if s.index not in model.deleted}
        if action == "create-server-group":
            model.group_names.append(raw["name"])
        if action == "set-service" and ok:
            host = raw["host"]
            for flag, hosts in (("disabled", model.disabled), ("forced_down", model.down)):
                if raw.get(flag) is True:
                    hosts.add(host)
                elif raw.get(flag) is False:
                    hosts.discard(host)
        elif action == "create-server-group" and ok:
            model.groups[raw["name"]] = raw["policy"]
        elif action == "delete-server-group" and ok:
            model.groups.pop(raw["name"], None)
        elif action == "compute-fault":
            key = (raw["host"], raw["at"])
            if raw.get("active", True):
                model.faults.add(key)
                model.ever_faulted = True
            else:
                model.faults.discard(key)

    def close(self) -> None:
        self._stack.close()


def run_steps(header: dict[str, Any], steps: Sequence[RawStep], backend: Backend,
              scheduler: str) -> list[StepOutcome]:
    """Run ``steps`` on a fresh cloud of ``header``'s; the outcomes of those that ran (a
    step that crashes ends the run: what came before it still compares)."""
    scenario = load_data({**header, "steps": list(steps)}, Path("replay.toml"), "replay")
    outcomes: list[StepOutcome] = []
    with backend.open(scenario, scheduler) as cloud:
        runner = StepRunner(scenario, cloud)
        for step in scenario.steps:
            try:
                outcomes.append(runner.run_step(step))
            except Exception:
                break
    return outcomes
