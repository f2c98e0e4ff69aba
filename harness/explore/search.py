"""Driving the state machine: hypothesis run programmatically (not through pytest),
with a seed, an example count and a time budget, and what it found collected.

Settings, and why: no example database (a run depends on its seed alone, and
leaves nothing behind); no deadline and no health checks (a step on Nova takes
seconds, and the machine filters by preconditions on purpose); quiet (the
findings are reported as scenario files, not as hypothesis's program); several
bugs reported apart (one per oracle); the phases that generate and shrink only.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test

from harness.cloud.scheduler.drivers import DEFAULT_SCHEDULER
from harness.explore import DEFAULT_EXAMPLES, DEFAULT_STEPS
from harness.explore.findings import Finding, Findings, Found
from harness.explore.machine import CloudMachine, Explorer, OutOfTime
from harness.explore.progress import Stats
from harness.explore.reference import Reference
from harness.parallel import Backends


@dataclass(frozen=True)
class ExploreOptions:
    backend: str = "fake"
    scheduler: str = DEFAULT_SCHEDULER
    inject: str | None = None
    examples: int = DEFAULT_EXAMPLES
    seed: int = 0
    max_seconds: float | None = None
    # Also compare each example with Nova (harness.explore.diffing).
    diff: bool = False
    # Whether examples may set compute faults.
    faults: bool = True
    # The most rules an example runs (an operator's recovery is two steps).
    steps: int = DEFAULT_STEPS
    # Stop searching at the first failing example (then shrink it): a run that is
    # deterministic to the end, where searching on for more findings stops on a timer.
    first: bool = False
    # Shrink what is found (off: faster, the scenario written is as found).
    shrink: bool = True


@dataclass
class ExploreResult:
    found: list[Found]
    stats: Stats
    timed_out: bool = False
    # Stopped by Ctrl-C: what was found by then is still written.
    interrupted: bool = False
    # Set when hypothesis saw an example fail and then pass (nondeterminism).
    flaky: str | None = None
    # With --diff: how many scenarios were compared with Nova, and how many were not,
    # their outcome depending on a weight tie.
    compared: tuple[int, int] | None = None


def explore(options: ExploreOptions, backends: Backends,
            progress: TextIO | None = sys.stderr) -> ExploreResult:
    """Generate, run and judge up to ``options.examples`` scenarios; what broke an
    oracle, each the smallest example seen."""
    from harness.explore.twin import compare_alone

    # Nova never runs in this process (harness.explore.worker): on the nova backend
    # the fake cloud, with the same injection, drives the state machine and each
    # scenario it generated is judged on Nova.
    on_nova = options.backend == "nova"
    backends.get(options.backend)  # checks that it can run here
    driver = backends.get("fake")
    stats = Stats(progress)
    findings = Findings()
    explorer = Explorer(
        driver, options.scheduler, findings, stats,
        deadline=(time.monotonic() + options.max_seconds) if options.max_seconds else None,
        faults=options.faults, judge=not on_nova)
    if not on_nova and (options.inject is not None or options.scheduler != DEFAULT_SCHEDULER):
        explorer.reference = Reference(Backends(None).get("fake"), DEFAULT_SCHEDULER)
    worker = None
    if on_nova:
        from harness.explore.worker import NovaWorker

        worker = NovaWorker(options.inject)
        explorer.after.append(
            lambda session: worker.judge(session.header, session.steps, options.scheduler))
    else:
        explorer.per_step.append(
            lambda session: compare_alone(session, driver, options.scheduler, last_only=True))
    comparer = None
    if options.diff:
        from harness.explore.diffing import NovaComparer

        comparer = NovaComparer(backends, options.scheduler)
        explorer.after.append(comparer.compare)

    def machine() -> CloudMachine:
        return CloudMachine(explorer)

    machine = hypothesis.seed(options.seed)(machine)
    result = ExploreResult([], stats)
    try:
        run_state_machine_as_test(machine, settings=settings(
            max_examples=options.examples, stateful_step_count=options.steps,
            database=None, deadline=None, suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet, print_blob=False,
            report_multiple_bugs=not options.first,
            phases=(Phase.explicit, Phase.generate, *([Phase.shrink] if options.shrink else []))))
    except OutOfTime:
        result.timed_out = True
    except KeyboardInterrupt:
        result.interrupted = True
    except Flaky as exc:
        # Cut short in an example that hypothesis had run further before, hypothesis
        # finds the data it drew inconsistent while the OutOfTime goes by.
        if _during(exc, OutOfTime):
            result.timed_out = True
        else:
            result.flaky = str(exc).splitlines()[0]
    except Exception as exc:
        # What hypothesis raises at the end is the findings, alone or in a group;
        # anything else is the explorer's own bug.
        if not all(isinstance(e, Finding) for e in _leaves(exc)):
            raise
    finally:
        for closing in (comparer, worker):
            if closing is not None:
                closing.close()
    if comparer is not None:
        result.compared = (comparer.compared, comparer.ties)
    result.found = list(findings.best.values())
    if options.first and result.found:
        # hypothesis shrank one failure, slipping to any other oracle's when smaller:
        # the others recorded on the way are not shrunk, and not what was asked for.
        result.found = [min(result.found, key=lambda found: found.size)]
    return result


def _during(exc: BaseException | None, kind: type[BaseException]) -> bool:
    """Whether ``exc`` was raised while handling an exception of ``kind``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return True
        seen.add(id(exc))
        exc = exc.__context__
    return False


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions in an exception group (duck-typed: on Python 3.10 hypothesis
    raises the backport's), or the exception itself."""
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, tuple):
        return [leaf for e in inner for leaf in _leaves(e)]
    return [exc]
