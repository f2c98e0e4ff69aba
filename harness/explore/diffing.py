"""``explore --diff``: each generated scenario also run on Nova, and the fake cloud's
outcome compared with Nova's, as ``harness diff`` compares a file's.

The scenario is generated and judged on the fake cloud as usual; once it is over,
the same data, loaded as a file would be, runs on the installed Nova (with the
same injection, if any) in a worker process (``harness.explore.worker``).
Outcomes are compared by ``harness.scenario.diff`` (hosts defined alike and never
named compared up to renaming). The fake cloud also runs it with weight ties
broken the other way: a scenario whose outcome changes with that depends on a
tie, which Nova breaks at random, so it proves nothing about the fake cloud and is
not reported (it is counted). The first step that differs ends the scenario
written out.
"""

from __future__ import annotations

import traceback
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from harness.explore.oracles import SAME_ON_NOVA, Violation
from harness.explore.session import Session
from harness.explore.worker import NovaWorker
from harness.parallel import Backends
from harness.scenario.diff import Difference, diff
from harness.scenario.loader import load_data
from harness.scenario.outcome import Outcome, StepOutcome
from harness.scenario.runner import run_scenario


class NovaComparer:
    def __init__(self, backends: Backends, scheduler: str) -> None:
        self.backends = backends
        self.scheduler = scheduler
        backends.get("nova")  # checks that Nova can run here, without importing it
        self._worker = NovaWorker(backends.inject)
        self.compared = 0
        self.ties = 0
        # The fake cloud's outcome of the scenario compared last.
        self._last: Outcome | None = None

    def compare(self, session: Session) -> Violation | None:
        if not session.outcomes:
            return None
        differences = self._differences(session.data, list(session.outcomes))
        if isinstance(differences, Violation) or not differences:
            return differences or None
        # Checked again on the scenario as it will be written, up to the step that
        # differs: hosts that later steps name are not interchangeable in the whole
        # scenario, and a tie between them that renaming would have absorbed shows
        # as a difference; in the scenario written, they are.
        step = differences[0].step
        data = {**session.data, "steps": session.data["steps"][:step + 1]}
        differences = self._differences(data, None)
        if isinstance(differences, Violation) or not differences:
            return differences or None
        step = differences[0].step
        shown = [d for d in differences if d.step == step]
        return Violation(
            SAME_ON_NOVA, step, f"{self._described(step)}: the fake cloud and Nova "
            "differ", tuple(f"{d.what}: fake {d.left!r}, nova {d.right!r}" for d in shown))

    def _differences(self, data: dict[str, Any], outcomes: list[StepOutcome] | None
                     ) -> list[Difference] | Violation | None:
        """How the scenario's outcome on Nova differs from the fake cloud's (given, or
        run here), up to renaming hosts alike; None when it depends on a weight tie."""
        scenario = load_data(data, Path("generated.toml"), "generated")
        fake = (Outcome(scenario, "fake", self.scheduler, outcomes) if outcomes is not None
                else run_scenario(scenario, self.backends.get("fake"), self.scheduler))
        self._last = fake
        other_ties = run_scenario(scenario, self.backends.get("fake", reverse_ties=True),
                                  self.scheduler)
        if diff(fake, other_ties):
            self.ties += 1
            return None
        try:
            nova = self._worker.run(scenario, self.scheduler)
        except BrokenProcessPool:
            raise
        except Exception as exc:
            # A scenario must run to a verdict on either backend.
            return Violation(SAME_ON_NOVA, len(scenario.steps) - 1,
                             "the run on Nova broke", tuple(
                                 "".join(traceback.format_exception(exc)).splitlines()[-3:]))
        self.compared += 1
        return diff(fake, nova)

    def _described(self, step: int) -> str:
        assert self._last is not None
        result = self._last.steps[step]
        return result.step.describe_outcome(result)

    def close(self) -> None:
        self._worker.close()
