"""Command line: ``python -m harness run|list [SCENARIO_OR_DIR ...]``.

Exit codes: 0 every scenario met its expectations, 1 some did not, 2 the
command or an input was wrong (nothing is run then).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.backends import BACKENDS, get_backend
from harness.cloud.scheduler.drivers import (
    BUILTIN_SCHEDULERS,
    DEFAULT_SCHEDULER,
    SchedulerLoadError,
    load_scheduler,
)
from harness.scenario.checks import Verdict, check
from harness.scenario.loader import ScenarioError, discover, load_scenario
from harness.scenario.model import Scenario
from harness.scenario.report import HumanReport, write_junit
from harness.scenario.runner import run_scenario

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
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
    run.add_argument("--scheduler", default=DEFAULT_SCHEDULER,
                     help=f"{' | '.join(BUILTIN_SCHEDULERS)} | package.module:Class "
                          f"(default: {DEFAULT_SCHEDULER})")
    run.add_argument("--backend", default="fake", choices=sorted(BACKENDS),
                     help="the cloud to run on (default: fake, the built-in cloud)")
    run.add_argument("--junit-xml", type=Path, metavar="PATH",
                     help="also write a JUnit XML report to PATH")
    run.add_argument("--trace", action="store_true",
                     help="print every step's message trace, not only failing ones")

    listing = commands.add_parser("list", help="validate scenarios and list them")
    _add_paths(listing)
    return parser


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="SCENARIO_OR_DIR",
                        help=f"scenario files or directories (default: {DEFAULT_SCENARIOS}/)")


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


def cmd_run(args: argparse.Namespace) -> int:
    try:
        load_scheduler(args.scheduler)
    except SchedulerLoadError as exc:
        raise UsageError(f"--scheduler: {exc}") from exc
    scenarios = load_all(args.paths)
    backend = get_backend(args.backend)
    report = HumanReport(sys.stdout, show_traces=args.trace)
    report.start(len(scenarios), backend.name, args.scheduler)
    verdicts: list[Verdict] = []
    for scenario in scenarios:
        verdict = check(run_scenario(scenario, backend, args.scheduler))
        verdicts.append(verdict)
        report.scenario(verdict)
    report.finish(verdicts)
    if args.junit_xml:
        write_junit(args.junit_xml, verdicts, backend.name, args.scheduler)
    return EXIT_OK if all(v.passed for v in verdicts) else EXIT_FAILED


def cmd_list(args: argparse.Namespace) -> int:
    for scenario in load_all(args.paths):
        bugs = f"  [bug {', '.join(scenario.bugs)}]" if scenario.bugs else ""
        print(f"{scenario.id}: {scenario.title}{bugs}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"run": cmd_run, "list": cmd_list}[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
