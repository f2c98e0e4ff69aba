"""The shipped scenarios' outcomes on Nova, once with Nova as installed and once with
each known bug put back, computed in worker processes, as many at a time as there
are cores: each run is one Nova process of its own, so runs share nothing but the
files they write (Nova's services are single-threaded green threads; two of them
in one process would only take turns).

``python -m tests.nova.outcomes BUG OUT`` is one worker: the catalogue on Nova as
installed ("-"), or with BUG injected on ``injected(BUG)``, its outcomes
pickled to OUT.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

from harness.backends import get_backend
from harness.inject import KNOWN_BUGS
from harness.scenario.loader import discover, load_scenario
from harness.scenario.model import Scenario
from harness.scenario.outcome import Outcome
from harness.scenario.runner import run_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
SHIPPED = [load_scenario(p, SCENARIOS) for p in discover([SCENARIOS])]
# Which scenarios run with each known bug put back (HARNESS_NOVA_MATRIX): "own",
# the default, those tagged with that bug; "family", those tagged with any bug;
# "full", the whole catalogue (about five times the time of "own"). Either way the
# fake cloud's matrix (tests/functional) is the whole catalogue with every bug, and
# the whole catalogue runs once on Nova as installed.
MATRIX = os.environ.get("HARNESS_NOVA_MATRIX", "own")
if MATRIX not in ("own", "family", "full"):
    raise ValueError(f"HARNESS_NOVA_MATRIX={MATRIX!r}: expected own, family or full")


def injected(bug: str) -> list[Scenario]:
    """The scenarios that run on Nova with ``bug`` put back."""
    number = KNOWN_BUGS[bug].number
    return [s for s in SHIPPED
            if MATRIX == "full" or (s.bugs if MATRIX == "family" else number in s.bugs)]
NO_BUG = "-"


def run_catalogue(bug: str | None) -> dict[str, Outcome]:
    """The catalogue on Nova as installed, or ``injected(bug)`` with ``bug`` put back."""
    backend = get_backend("nova", inject=bug)
    return {s.id: run_scenario(s, backend, "fixed")
            for s in (SHIPPED if bug is None else injected(bug))}


def run_workers(bugs: list[str | None], workdir: Path,
                workers: int | None = None) -> dict[str | None, dict[str, Outcome]]:
    """{bug or None: {scenario id: outcome}}, one worker process per entry of ``bugs``,
    at most ``workers`` (HARNESS_NOVA_WORKERS, or the number of cores) at a time.
    A worker that fails is an error carrying the end of its log."""
    workers = workers or int(os.environ.get("HARNESS_NOVA_WORKERS") or os.cpu_count() or 1)
    waiting = list(bugs)
    running: dict[str | None, subprocess.Popen[bytes]] = {}
    results: dict[str | None, dict[str, Outcome]] = {}
    while waiting or running:
        while waiting and len(running) < workers:
            bug = waiting.pop(0)
            name = bug or NO_BUG
            with open(workdir / f"{name}.log", "wb") as log:
                running[bug] = subprocess.Popen(
                    [sys.executable, "-m", "tests.nova.outcomes", name,
                     str(workdir / f"{name}.pickle")],
                    cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        for bug, process in list(running.items()):
            if process.poll() is None:
                continue
            del running[bug]
            name = bug or NO_BUG
            if process.returncode != 0:
                for other in running.values():
                    other.kill()
                tail = (workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the Nova worker for {name} exited with "
                                   f"{process.returncode}:\n{tail}")
            results[bug] = pickle.loads((workdir / f"{name}.pickle").read_bytes())
        time.sleep(0.2)
    return results


def main(argv: list[str]) -> int:
    bug, out = argv
    outcomes = run_catalogue(None if bug == NO_BUG else bug)
    Path(out).write_bytes(pickle.dumps(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
