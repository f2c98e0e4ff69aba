"""Counting what exploring reached, and saying so while it runs.

A *sequence* is an example's actions in order ("create, live-migrate, delete");
a *path* is the same with how each step ended ("create ok, live-migrate
NoValidHost, delete ok"): two examples that took the same path exercised the same
code in the same order, whatever their hosts and flavors. Both are counted as
distinct values, searching and shrinking alike.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TextIO

from harness.explore.session import Session
from harness.scenario.outcome import StepOutcome


def ending(result: StepOutcome) -> str:
    """How a step ended, in a word: ok, an error class, or the API's status."""
    if result.error_class is not None:
        return result.error_class
    if result.api_status is not None and result.api_status >= 400:
        return str(result.api_status)
    return "ok"


class Stats:
    def __init__(self, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.stream = stream
        self.every = every
        self.started = time.monotonic()
        self._last_line = self.started
        self.examples = 0
        self.steps = 0
        self.sequences: set[tuple[str, ...]] = set()
        self.paths: set[tuple[str, ...]] = set()
        self.endings: Counter[str] = Counter()
        # Failing examples per oracle (shrinking re-runs count too), and when each
        # oracle first failed: (examples run, seconds).
        self.failures: Counter[str] = Counter()
        self.first_found: dict[str, tuple[int, float]] = {}
        # Failing examples per oracle that the reference code fails the same way.
        self.reference_own: Counter[str] = Counter()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def example_started(self) -> None:
        self.examples += 1
        now = time.monotonic()
        if self.stream is not None and now - self._last_line >= self.every:
            self._last_line = now
            print(f"explore: {self.line()}", file=self.stream, flush=True)

    def example_finished(self, session: Session) -> None:
        actions = tuple(raw["action"] for raw in session.steps)
        self.steps += len(session.outcomes)
        self.sequences.add(actions)
        self.paths.add(tuple(f"{a} {ending(r)}" for a, r in zip(actions, session.outcomes,
                                                                strict=False)))
        self.endings.update(f"{a} {ending(r)}" for a, r in zip(actions, session.outcomes,
                                                               strict=False))

    def found(self, oracle: str) -> None:
        self.failures[oracle] += 1
        self.first_found.setdefault(oracle, (self.examples, self.seconds))

    def on_reference(self, oracle: str) -> None:
        self.reference_own[oracle] += 1

    def line(self) -> str:
        found = ", ".join(f"{oracle} x{n}" for oracle, n in self.failures.items()) or "none"
        return (f"{self.examples} examples, {self.steps} steps, {len(self.sequences)} "
                f"distinct step sequences, {len(self.paths)} distinct paths, "
                f"{self.seconds:.1f} s; failing: {found}{self.reference_note()}")

    def reference_note(self) -> str:
        """What the reference code failed the same way, if anything (not findings)."""
        if not self.reference_own:
            return ""
        own = ", ".join(f"{oracle} x{n}" for oracle, n in self.reference_own.items())
        return f"; failing on the reference code too, so not reported: {own}"
