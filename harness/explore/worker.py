"""Nova, for the explorer, in a worker process of its own.

Importing Nova's test packages patches the process it happens in (eventlet), and
a Nova cloud's fixtures do not survive hypothesis running around them: the second
cloud opened in a process where hypothesis runs fails in placement's database
fixture. Nova is also not deterministic where the fake cloud is (it breaks weight
ties in random compute node UUID order), and hypothesis needs the steps it draws
to depend on nothing but its own choices. So the explorer never runs Nova itself:
the fake cloud (with the same injection) drives the state machine, and each
scenario it generated is sent here, to run on Nova (``--diff``) or to be judged
on Nova by the same oracles (``--backend nova``).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from harness.explore.oracles import CRASH, Violation, check_step
from harness.explore.session import RawStep, Session, StepCrashed
from harness.parallel import Backends, leave_interrupts_to_the_command
from harness.scenario.model import Scenario
from harness.scenario.outcome import Outcome
from harness.scenario.runner import run_scenario


class NovaWorker:
    """One worker process with Nova (and ``inject`` put into it), for the explorer's
    whole run; each call opens a fresh cloud there."""

    def __init__(self, inject: str | None) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start, initargs=(inject,))

    def run(self, scenario: Scenario, scheduler: str) -> Outcome:
        """The scenario's outcome on Nova."""
        return self._pool.submit(_run, scenario, scheduler).result()

    def judge(self, header: dict[str, Any], steps: Sequence[RawStep], scheduler: str
              ) -> Violation | None:
        """The steps run on Nova one by one and judged as the explorer judges them on
        the fake cloud: the first violation, if any."""
        return self._pool.submit(_judge, header, list(steps), scheduler).result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


# The worker's backends (set by _start, in the worker only).
_backends: Backends | None = None


def _start(inject: str | None) -> None:
    global _backends
    leave_interrupts_to_the_command()
    _backends = Backends(inject)


def _run(scenario: Scenario, scheduler: str) -> Outcome:
    assert _backends is not None, "only called in the worker process"
    return run_scenario(scenario, _backends.get("nova"), scheduler)


def _judge(header: dict[str, Any], steps: list[RawStep], scheduler: str) -> Violation | None:
    from harness.explore.twin import compare_alone

    assert _backends is not None, "only called in the worker process"
    nova = _backends.get("nova")
    session = Session(header, nova, scheduler)
    try:
        for raw in steps:
            try:
                result = session.run(raw)
            except StepCrashed as exc:
                return Violation(CRASH, exc.step.index, f"{exc.step.describe()} crashed",
                                 tuple(exc.text.splitlines()[-3:]))
            violation = check_step(session, result)
            if violation is not None:
                return violation
    finally:
        session.close()
    return compare_alone(session, nova, scheduler)
