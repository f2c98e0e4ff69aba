"""Command line: ``python -m harness run|diff|list [SCENARIO_OR_DIR ...]``,
``python -m harness explain SCENARIO``, and ``python -m harness explore``
(harness.explore).

Exit codes: 0 every scenario met its expectations (``diff``: no difference),
1 some did not (or differ), 2 the command or an input was wrong: then
nothing is run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from harness.backends import BACKENDS
from harness.backends.base import Backend, BackendUnavailable, NotApplicable
from harness.cloud.scheduler.drivers import (
    BUILTIN_SCHEDULERS,
    DEFAULT_SCHEDULER,
    SchedulerLoadError,
    load_scheduler,
)
from harness.explore import DEFAULT_EXAMPLES, DEFAULT_OUT, DEFAULT_STEPS
from harness.inject import KNOWN_BUGS
from harness.parallel import Backends, WorkerDied, can_copy_this_process, in_order
from harness.scenario.checks import Verdict, check
from harness.scenario.diff import Difference, diff
from harness.scenario.loader import ScenarioError, discover, load_scenario
from harness.scenario.model import Scenario
from harness.scenario.outcome import Outcome
from harness.scenario.report import HumanReport, explain_text, failure_text, indent, write_junit
from harness.scenario.runner import run_scenario

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# Stopped by Ctrl-C, as a shell reports a command SIGINT ended (128 + 2).
EXIT_INTERRUPTED = 130
# The scheduler to run when --scheduler is not given, as tox passes it to the gate.
SCHEDULER_ENV = "HARNESS_SCHEDULER"
DEFAULT_SCENARIOS = Path("scenarios")


class UsageError(Exception):
    """Bad command line or input: reported in one message, exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Regression harness for the Nova scheduler (bug #1718455 and family).")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run scenarios and judge them")
    _add_paths(run)
    run.add_argument("--backend", default="fake", choices=BACKENDS,
                     help="fake: the built-in cloud (default); nova: the installed Nova")
    run.add_argument("--scheduler", default=os.environ.get(SCHEDULER_ENV, DEFAULT_SCHEDULER),
                     help=f"fake backend: {' | '.join(BUILTIN_SCHEDULERS)} | "
                          f"package.module:Class (default: ${SCHEDULER_ENV}, else "
                          f"{DEFAULT_SCHEDULER})")
    _add_inject(run)
    run.add_argument("--junit-xml", type=Path, metavar="PATH",
                     help="also write a JUnit XML report to PATH")
    run.add_argument("--trace", action="store_true",
                     help="print every step's trace, not only failing ones")
    _add_jobs(run, "the number of CPUs; for the fake cloud, 1 where worker processes "
                   "cannot start as copies of this one (not Linux, another thread "
                   "running, or Nova imported)")

    compare = commands.add_parser(
        "diff", help="run scenarios on the fake cloud and on Nova, report differences")
    _add_paths(compare)
    _add_inject(compare)
    compare.add_argument("--must-pass", action="store_true",
                         help="also fail (exit 1) unless every scenario passes on Nova, as "
                              "run --backend nova judges it: the catalogue run on Nova and "
                              "the comparison in one pass")
    compare.add_argument("--junit-xml", type=Path, metavar="PATH",
                         help="also write the JUnit XML report of the scenarios on Nova, the "
                              "one run --backend nova --junit-xml writes")
    _add_jobs(compare, "the number of CPUs")

    explaining = commands.add_parser(
        "explain", help="run one scenario and print, for each select_destinations call, "
                        "the hosts placement offered, each filter's verdict on each host, "
                        "the weights and the hosts selected")
    explaining.add_argument("scenario", type=Path, metavar="SCENARIO")
    explaining.add_argument("--step", type=_positive, metavar="N",
                            help="only step N (from 1)")
    explaining.add_argument("--backend", default="fake", choices=BACKENDS)
    explaining.add_argument("--scheduler", default=run.get_default("scheduler"),
                            help="as for run")
    _add_inject(explaining)
    _add_explore(commands)

    listing = commands.add_parser("list", help="validate scenarios and list them")
    _add_paths(listing)
    listing.add_argument("--bugs", action="store_true",
                         help="list the known bugs (--inject), each with the field it leaves "
                              "stale, the moves it breaks and the scenarios that catch it")
    return parser


def _add_explore(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    explore = commands.add_parser(
        "explore", help="generate scenarios, judge them by invariants and oracles, and write "
                        "each one that fails as a scenario file")
    explore.add_argument("--backend", default="fake", choices=BACKENDS,
                         help="the cloud to generate on (default: fake)")
    explore.add_argument("--scheduler", default=os.environ.get(SCHEDULER_ENV, DEFAULT_SCHEDULER),
                         help="fake backend: as for run")
    _add_inject(explore)
    explore.add_argument("--examples", type=_positive, default=DEFAULT_EXAMPLES, metavar="N",
                         help=f"generate up to N scenarios (default: {DEFAULT_EXAMPLES})")
    explore.add_argument("--steps", type=_positive, default=DEFAULT_STEPS, metavar="N",
                         help=f"at most N steps a scenario (default: {DEFAULT_STEPS})")
    explore.add_argument("--seed", type=int, metavar="S",
                         help="the same seed generates the same scenarios (default: random, "
                              "printed)")
    explore.add_argument("--max-seconds", type=_positive, metavar="T",
                         help="stop after T seconds, writing what was found so far")
    explore.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                         help=f"where to write the scenarios found (default: {DEFAULT_OUT}/)")
    explore.add_argument("--diff", action="store_true",
                         help="also run each scenario on Nova and report each difference "
                              "with the fake cloud")
    explore.add_argument("--first", action="store_true",
                         help="stop searching at the first failing scenario, shrink it and "
                              "write it alone; else search on for a while for other oracles "
                              "broken, and write each")
    explore.add_argument("--no-shrink", action="store_true",
                         help="write what is found as found, without shrinking it (faster, "
                              "on Nova above all)")
    explore.add_argument("--no-faults", action="store_true",
                         help="generate no compute-fault steps")


def _cmd_explore(args: argparse.Namespace) -> int:
    # Imported on use: it brings hypothesis, which run does not need.
    from harness.explore.command import cmd_explore

    return cmd_explore(args)


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="SCENARIO_OR_DIR",
                        help=f"scenario files or directories (default: {DEFAULT_SCENARIOS}/)")


def _add_jobs(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "-j", "--jobs", type=_positive, metavar="N",
        help=f"run scenarios in N worker processes; the report is the same, in the same "
             f"order (default: {default})")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _add_inject(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inject", choices=sorted(KNOWN_BUGS), metavar="BUG",
        help="put a known bug back into the code under test for this run, in memory: "
             "into Nova (nova backend) or the fake cloud's copy of the same code. Known: "
             + "; ".join(f"{b.name} ({b.summary})" for b in KNOWN_BUGS.values()))


def load_all(paths: Sequence[Path]) -> list[Scenario]:
    """Every scenario named, all validated before any runs; every problem reported."""
    if not paths:
        if not DEFAULT_SCENARIOS.is_dir():
            raise UsageError(f"no {DEFAULT_SCENARIOS}/ directory here: give scenario files "
                             "or directories, or run from the harness checkout")
        paths = [DEFAULT_SCENARIOS]
    scenarios, errors = [], []
    for path in paths:
        try:
            files = discover([path])
        except ScenarioError as exc:
            errors.append(str(exc))
            continue
        for file in files:
            try:
                scenarios.append(load_scenario(file, _id_root(path, file)))
            except ScenarioError as exc:
                errors.append(str(exc))
    if errors:
        raise UsageError("\n".join(errors))
    if not scenarios:
        raise UsageError(f"no scenario files (*.toml) in {', '.join(map(str, paths))}")
    return scenarios


def _id_root(argument: Path, file: Path) -> Path:
    """Ids are paths below the nearest scenarios/ folder, however the file was named;
    elsewhere, below the directory given (or the file's own directory)."""
    for parent in file.resolve().parents:
        if parent.name == DEFAULT_SCENARIOS.name:
            return parent
    return argument if argument.is_dir() else file.parent


def _prepared(backends: Backends, name: str) -> Backend:
    try:
        return backends.get(name)
    except BackendUnavailable as exc:
        raise UsageError(str(exc)) from exc


def run_and_check(scenario: Scenario, backend: Backend, scheduler: str) -> Verdict:
    """Run one scenario; a crash of the run is that scenario's ERROR, not the command's."""
    started = time.perf_counter()
    try:
        return check(run_scenario(scenario, backend, scheduler))
    except BackendUnavailable as exc:
        raise UsageError(str(exc)) from exc
    except NotApplicable as exc:
        return Verdict(scenario, None, not_applicable=str(exc),
                       seconds=time.perf_counter() - started)
    except Exception:
        return Verdict(scenario, None, error=traceback.format_exc(),
                       seconds=time.perf_counter() - started)


def _cpus() -> int:
    return os.cpu_count() or 1


def check_scheduler(backend: str, scheduler: str) -> None:
    """The scheduler ``run`` is asked for can run on the backend: UsageError if not."""
    if backend == "nova" and scheduler != DEFAULT_SCHEDULER:
        raise UsageError("the nova backend runs the installed Nova's scheduler: --scheduler "
                         "is for the fake cloud; use --inject to re-introduce a known bug")
    try:
        load_scheduler(scheduler)
    except SchedulerLoadError as exc:
        raise UsageError(f"--scheduler: {exc}") from exc


def check_can_write(path: Path, option: str, *, directory: bool) -> None:
    """UsageError unless what a run writes at its end (a run may take an hour) can be
    written: ``path``, a directory or a file, or the directories to be made for it."""
    if path.exists() and path.is_dir() != directory:
        raise UsageError(f"{option} {path}: "
                         + ("not a directory" if directory else "a directory"))
    existing = path if directory else path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option} {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write in {existing}")


def cmd_run(args: argparse.Namespace) -> int:
    scheduler = args.scheduler
    check_scheduler(args.backend, scheduler)
    if args.junit_xml:
        check_can_write(args.junit_xml, "--junit-xml", directory=False)
    scenarios = load_all(args.paths)
    backends = Backends(args.inject)
    backend = _prepared(backends, args.backend)
    label = (scheduler if args.backend == "fake" else "installed Nova") + (
        f" + {args.inject}" if args.inject else "")
    report = HumanReport(sys.stdout, show_traces=args.trace)
    report.start(len(scenarios), backend.name, label)
    fake_only = args.backend == "fake"
    jobs = args.jobs or (_cpus() if not fake_only or can_copy_this_process() else 1)
    tasks = [_RunTask(scenario, args.backend, scheduler) for scenario in scenarios]
    verdicts = []
    try:
        for verdict in in_order(_run_task, tasks, backends, jobs, fake_only=fake_only):
            verdicts.append(verdict)
            report.scenario(verdict)
    except WorkerDied as exc:
        print(f"error: {exc}; {len(verdicts)} of {len(scenarios)} scenario(s) were run",
              file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        # The summary of what ran; no JUnit file, which would read as a whole run.
        report.finish(verdicts)
        print(f"interrupted: {len(verdicts)} of {len(scenarios)} scenario(s) were run",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    report.finish(verdicts)
    if args.junit_xml and not _junit_written(args.junit_xml, verdicts, backend.name, label):
        return EXIT_USAGE
    return EXIT_OK if all(v.passed for v in verdicts) else EXIT_FAILED


def _junit_written(path: Path, verdicts: list[Verdict], backend: str, label: str) -> bool:
    """Write the JUnit file at the end of a run; when it cannot be, say so after the
    results already printed."""
    try:
        write_junit(path, verdicts, backend, label)
    except OSError as exc:
        print(f"error: --junit-xml {path}: not written ({exc}); the results are above",
              file=sys.stderr)
        return False
    return True


class _RunTask(NamedTuple):
    scenario: Scenario
    backend: str
    scheduler: str


def _run_task(backends: Backends, task: _RunTask) -> Verdict:
    """One scenario, here or in a worker process."""
    return run_and_check(task.scenario, _prepared(backends, task.backend), task.scheduler)


class _Comparison(NamedTuple):
    fake: Verdict
    nova: Verdict
    # The fake cloud's outcome with weight ties broken the other way.
    other_ties: Outcome | None


def _compare_task(backends: Backends, scenario: Scenario) -> _Comparison:
    """One scenario on both backends (and on the fake cloud with ties reversed)."""
    fake = run_and_check(scenario, _prepared(backends, "fake"), DEFAULT_SCHEDULER)
    nova = run_and_check(scenario, _prepared(backends, "nova"), DEFAULT_SCHEDULER)
    other_ties = None
    if fake.error is None and nova.error is None and nova.not_applicable is None:
        other_ties = run_scenario(scenario, backends.get("fake", reverse_ties=True),
                                  DEFAULT_SCHEDULER)
    return _Comparison(fake, nova, other_ties)


def cmd_diff(args: argparse.Namespace) -> int:
    if args.junit_xml:
        check_can_write(args.junit_xml, "--junit-xml", directory=False)
    scenarios = load_all(args.paths)
    backends = Backends(args.inject)
    _prepared(backends, "fake")
    nova = _prepared(backends, "nova")
    injected = f" + {args.inject}" if args.inject else ""
    print(f"Comparing {len(scenarios)} scenario(s): fake cloud{injected} vs installed "
          f"Nova{injected}", flush=True)
    differing = 0
    on_nova: list[Verdict] = []
    try:
        for left, right, other_ties in in_order(_compare_task, scenarios, backends,
                                                args.jobs or _cpus()):
            differing += _report_comparison(left.scenario, left, right, other_ties)
            if args.must_pass and right.error is None and not right.passed:
                print("  fails on Nova:\n" + indent(failure_text(right), "    "),
                      flush=True)
            on_nova.append(right)
    except WorkerDied as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"interrupted: {len(on_nova)} of {len(scenarios)} scenario(s) were compared, "
              f"{differing} different", file=sys.stderr)
        return EXIT_INTERRUPTED
    not_applicable = sum(v.not_applicable is not None for v in on_nova)
    failing = sum(not v.passed for v in on_nova)
    print(f"{len(scenarios)} scenario(s): {len(scenarios) - differing - not_applicable} the "
          f"same on both, {differing} different"
          + (f", {not_applicable} not applicable on this Nova" if not_applicable else "")
          + (f"; {failing} did not pass on Nova" if failing else ""))
    if args.junit_xml and not _junit_written(args.junit_xml, on_nova, nova.name,
                                             f"installed Nova{injected}"):
        return EXIT_USAGE
    return EXIT_FAILED if differing or (args.must_pass and failing) else EXIT_OK


def _report_comparison(scenario: Scenario, left: Verdict, right: Verdict,
                       other_ties: Outcome | None) -> bool:
    """Print one scenario's comparison; whether the backends differ."""
    broken = [f"{name}: {v.error}" for name, v in (("fake", left), ("nova", right))
              if v.error is not None]
    if broken:
        print(f"ERROR {scenario.id}\n" + "\n".join(broken), flush=True)
        return True
    if right.not_applicable is not None:
        # Nothing to compare: that Nova cannot run it (not a difference of the fake cloud).
        print(f"N/A {scenario.id}  ({right.not_applicable})", flush=True)
        return False
    assert left.outcome is not None and right.outcome is not None and other_ties is not None
    # Nova breaks a weight tie at random: an outcome that changes with the tie is
    # the scenario's problem, not the fake cloud's, and is reported as such.
    by_tie = diff(left.outcome, other_ties)
    differences = by_tie or diff(left.outcome, right.outcome)
    verdict = "TIE" if by_tie else "DIFF" if differences else "SAME"
    print(f"{verdict} {scenario.id}  (fake {left.seconds * 1000:.0f} ms, nova "
          f"{right.seconds * 1000:.0f} ms)", flush=True)
    if by_tie:
        print("  the outcome depends on how the scheduler breaks a weight tie, which "
              "Nova does at random (in compute node UUID order); name the host, or "
              "make the hosts differ. With ties broken the other way:", flush=True)
    for line in _render_differences(left, differences, "ties reversed" if by_tie
                                    else "nova"):
        print(f"  {line}", flush=True)
    return bool(differences)


def _render_differences(verdict: Verdict, differences: list[Difference],
                        other: str) -> list[str]:
    assert verdict.outcome is not None
    lines, last_step = [], None
    for d in differences:
        if d.step != last_step:
            result = verdict.outcome.steps[d.step]
            lines.append(f"step {d.step + 1}: {result.step.describe_outcome(result)}")
            last_step = d.step
        lines.append(f"  {d.what}: fake {d.left!r}, {other} {d.right!r}")
    return lines


def cmd_explain(args: argparse.Namespace) -> int:
    check_scheduler(args.backend, args.scheduler)
    if not args.scenario.is_file():
        raise UsageError(f"{args.scenario}: not a scenario file")
    [scenario] = load_all([args.scenario])
    if args.step is not None and args.step > len(scenario.steps):
        raise UsageError(f"--step {args.step}: {scenario.id} has {len(scenario.steps)} "
                         "step(s)")
    backend = _prepared(Backends(args.inject), args.backend)
    verdict = run_and_check(scenario, backend, args.scheduler)
    label = (args.scheduler if args.backend == "fake" else "installed Nova") + (
        f" + {args.inject}" if args.inject else "")
    status = "ERROR" if verdict.error else "PASS" if verdict.passed else "FAIL"
    print(f"{status} {scenario.id} on the {backend.name} backend with scheduler {label}")
    print(explain_text(verdict, args.step))
    return EXIT_OK if verdict.passed else EXIT_FAILED


def cmd_list(args: argparse.Namespace) -> int:
    scenarios = load_all(args.paths)
    if args.bugs:
        for bug in KNOWN_BUGS.values():
            catching = [s.id for s in scenarios if bug.number in s.bugs]
            print(f"{bug.name}: bug #{bug.number}\n"
                  f"  stale field: RequestSpec.{bug.field}\n"
                  f"  left by:     {bug.operation}\n"
                  f"  breaks:      {', '.join(bug.moves) or 'the request that persists it'}\n"
                  f"  caught by:   {', '.join(catching) or 'no scenario here'}")
        return EXIT_OK
    for scenario in scenarios:
        bugs = f"  [bug {', '.join(scenario.bugs)}]" if scenario.bugs else ""
        print(f"{scenario.id}: {scenario.title}{bugs}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"run": cmd_run, "diff": cmd_diff, "list": cmd_list,
                "explain": cmd_explain, "explore": _cmd_explore}[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
