"""What exploring found: each broken oracle with the scenario that shows it.

A finding is raised inside the state machine as an exception, so that hypothesis
sees the example fail and shrinks it. Each oracle has an exception class of its
own: hypothesis tells failures apart by their type and where they were raised, so
two oracles broken are two findings, each shrunk on its own. Every failing example
it runs, while searching and while shrinking, is also recorded here; the smallest
per oracle is what gets written out, so a search cut short by its time budget
still leaves the best example found so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.explore.oracles import ORACLES, Violation


@dataclass(frozen=True)
class Found:
    violation: Violation
    # The scenario's [scenario] and [cloud] tables, and its steps up to the violation.
    header: dict[str, Any]
    steps: tuple[dict[str, Any], ...]

    @property
    def size(self) -> tuple[int, int]:
        """Smaller is simpler: fewer steps, then less data."""
        return len(self.steps), len(repr(self.steps)) + len(repr(self.header))


class Finding(Exception):
    """An oracle broken in a generated example (see FINDING_TYPES)."""

    def __init__(self, found: Found) -> None:
        super().__init__(found.violation.render())
        self.found = found


# One exception class per oracle, so that hypothesis keeps them apart.
FINDING_TYPES: dict[str, type[Finding]] = {
    oracle: type(f"Found_{oracle.replace('-', '_')}", (Finding,), {}) for oracle in ORACLES}


class Findings:
    """The smallest example seen for each oracle broken, in the order first seen."""

    def __init__(self) -> None:
        self.best: dict[str, Found] = {}
        self.failing_runs = 0

    def record(self, found: Found) -> Finding:
        """Keep ``found`` if it is the first or the smallest for its oracle (ties go to
        the later: hypothesis only tries a failing example smaller than its best);
        the exception to raise for it."""
        self.failing_runs += 1
        oracle = found.violation.oracle
        best = self.best.get(oracle)
        if best is None or found.size[0] <= best.size[0]:
            self.best[oracle] = found
        return FINDING_TYPES[oracle](found)
