"""``python -m harness explore``: the command line around ``search.explore`` and
``writer.write_found``. Exit codes as ``run``'s: 0 nothing found, 1 something
found (each written out), 2 a bad command line or a backend that cannot run here.

hypothesis is imported only once the command line is known to be good, so that
``--help`` and usage errors need no more than ``run`` does.
"""

from __future__ import annotations

import argparse
import random
import shlex
import sys

from harness.backends.base import Backend, BackendUnavailable
from harness.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError, check_can_write
from harness.cloud.scheduler.drivers import DEFAULT_SCHEDULER, SchedulerLoadError, load_scheduler
from harness.explore import DEFAULT_STEPS
from harness.explore.findings import Found
from harness.explore.oracles import SAME_ON_NOVA
from harness.explore.writer import (
    NotWritten,
    Setup,
    Written,
    hypothesis_release,
    write_found,
)
from harness.inject import KNOWN_BUGS
from harness.parallel import Backends
from harness.scenario.checks import Verdict

# The scheduler that is bug #1718455 itself (harness/cloud/scheduler/drivers.py).
_PIKE = "pike-16.0.0"


def cmd_explore(args: argparse.Namespace) -> int:
    _check(args)
    try:
        from harness.explore.search import ExploreOptions, explore
    except ImportError as exc:
        raise UsageError(f"explore needs hypothesis ({exc}): pip install "
                         "'nova-scheduler-harness[explore]'") from exc
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    backends = Backends(args.inject)
    backend = _prepared(backends, args.backend)
    if args.diff:
        _prepared(backends, "nova")
    label = _label(args.backend, args.scheduler, args.inject)
    print(f"Exploring on {label}: up to {args.examples} examples of up to {args.steps} "
          f"steps, seed {seed} (hypothesis {hypothesis_release()})"
          + (", each also run on Nova" if args.diff else "")
          + (f", for at most {args.max_seconds:g} s" if args.max_seconds else ""),
          file=sys.stderr, flush=True)
    options = ExploreOptions(
        backend=args.backend, scheduler=args.scheduler, inject=args.inject,
        examples=args.examples, seed=seed, max_seconds=args.max_seconds, diff=args.diff,
        faults=not args.no_faults, steps=args.steps, first=args.first,
        shrink=not args.no_shrink)
    result = explore(options, backends)
    stats = result.stats
    print(f"{stats.examples} example(s), {stats.steps} steps, {len(stats.sequences)} distinct "
          f"step sequences, {len(stats.paths)} distinct paths, in {stats.seconds:.1f} s; "
          f"{len(result.found)} finding(s)"
          + (" (time budget spent)" if result.timed_out else "")
          + (" (interrupted)" if result.interrupted else "") + stats.reference_note())
    if result.compared is not None:
        compared, ties = result.compared
        print(f"{compared} scenario run(s) compared with Nova; {ties} not, their outcome "
              "depending on how a weight tie is broken (Nova breaks it at random)")
    if result.flaky:
        print(f"note: {result.flaky} (a finding that did not fail again when rerun: the "
              "code under test is not deterministic)")
    explored = Setup(backend, args.scheduler, label)
    reference = None
    if args.inject or args.scheduler != DEFAULT_SCHEDULER:
        reference = Setup(_prepared(Backends(None), args.backend), DEFAULT_SCHEDULER,
                          _label(args.backend, DEFAULT_SCHEDULER, None))
    for found in result.found:
        if found.violation.oracle == SAME_ON_NOVA:
            # Nova is the reference: the file expects what it does.
            setups = (Setup(backends.get("fake"), DEFAULT_SCHEDULER,
                            _label("fake", DEFAULT_SCHEDULER, args.inject)),
                      Setup(backends.get("nova"), DEFAULT_SCHEDULER,
                            _label("nova", DEFAULT_SCHEDULER, args.inject)))
        else:
            setups = (explored, reference)
        try:
            written = write_found(
                found, args.out,
                f"{_name(args.scheduler, args.inject)}-{found.violation.oracle}",
                *setups, command=_command(args, seed), bugs=_bugs(args.scheduler, args.inject))
        except NotWritten as exc:
            _report_found(found)
            print(f"  {exc}; the scenario found, to keep:\n{exc.text}", end="")
            continue
        _report(written, args)
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if result.found else EXIT_OK


def _report_found(found: Found) -> None:
    violation = found.violation
    print(f"FOUND {violation.oracle}: step {violation.step + 1} of "
          f"{len(found.steps)}: {violation.what}")
    for line in violation.details[:4]:
        print(f"  {line}")


def _report(written: Written, args: argparse.Namespace) -> None:
    """What was found, where it was written, how it ran, and how to run it again."""
    violation = written.found.violation
    _report_found(written.found)
    print(f"  wrote {written.path}")
    verdicts = [f"on {written.found_on}: {_verdict(written.on_found)}"]
    if written.on_reference is not None:
        verdicts.append(f"on {written.reference}: {_verdict(written.on_reference)}")
    print(f"  {'; '.join(verdicts)}"
          + ("" if written.catches else "  (the file does not tell the two apart)"))
    if violation.oracle == SAME_ON_NOVA:
        again = ["diff", str(written.path)]
    else:
        again = ["run", str(written.path)]
        again += ["--backend", args.backend] if args.backend != "fake" else []
        again += ["--scheduler", args.scheduler] if args.scheduler != DEFAULT_SCHEDULER else []
    again += ["--inject", args.inject] if args.inject else []
    print(f"  {shlex.join(['python', '-m', 'harness', *again])}")


def _verdict(verdict: Verdict) -> str:
    return "PASS" if verdict.passed else "ERROR" if verdict.error else "FAIL"


def _check(args: argparse.Namespace) -> None:
    if args.backend == "nova" and args.scheduler != DEFAULT_SCHEDULER:
        raise UsageError("the nova backend runs the installed Nova's scheduler: --scheduler "
                         "is for the fake cloud; use --inject to re-introduce a known bug")
    if args.diff and (args.backend != "fake" or args.scheduler != DEFAULT_SCHEDULER):
        raise UsageError("--diff generates on the fake cloud with the fixed scheduler and "
                         "compares each scenario with Nova: leave out --backend and "
                         "--scheduler (--inject puts a bug into both)")
    try:
        load_scheduler(args.scheduler)
    except SchedulerLoadError as exc:
        raise UsageError(f"--scheduler: {exc}") from exc
    check_can_write(args.out, "--out", directory=True)


def _prepared(backends: Backends, name: str) -> Backend:
    try:
        return backends.get(name)
    except BackendUnavailable as exc:
        raise UsageError(str(exc)) from exc


def _label(backend: str, scheduler: str, inject: str | None) -> str:
    code = (f"the {scheduler} scheduler on the fake cloud" if backend == "fake"
            else "the installed Nova")
    return code + (f" + {inject}" if inject else "")


def _name(scheduler: str, inject: str | None) -> str:
    return inject or scheduler.rpartition(":")[2] or scheduler


def _bugs(scheduler: str, inject: str | None) -> tuple[str, ...]:
    """The bug a written scenario catches: the injection's, or the Pike scheduler's."""
    if inject:
        return (KNOWN_BUGS[inject].number,)
    return ("1718455",) if scheduler == _PIKE else ()


def _command(args: argparse.Namespace, seed: int) -> str:
    words = ["python", "-m", "harness", "explore"]
    if args.backend != "fake":
        words += ["--backend", args.backend]
    if args.scheduler != DEFAULT_SCHEDULER:
        words += ["--scheduler", args.scheduler]
    if args.inject:
        words += ["--inject", args.inject]
    if args.diff:
        words.append("--diff")
    words += ["--examples", str(args.examples), "--seed", str(seed)]
    if args.steps != DEFAULT_STEPS:
        words += ["--steps", str(args.steps)]
    for flag in ("first", "no_faults", "no_shrink"):
        if getattr(args, flag):
            words.append("--" + flag.replace("_", "-"))
    return shlex.join(words)
