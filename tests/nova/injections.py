"""Each known bug put back into the installed Nova, on the scenarios written to catch it:
the cheap check of the injections on one Nova release (tox -e functional-nova-<release>),
where tests/nova runs each bug's scenarios and diffs them (tests.nova.outcomes).

    python -m tests.nova.injections [-j N] [--per-bug N|all] [BUG ...]

For each bug: APPLIED when every scenario tagged with it fails with "why" naming the
bug; REFUSED when the release's code does not hold the expression the injection
replaces (InjectionError: the injection cannot say anything about that release, and
says why); otherwise MISSED, naming the scenarios that passed. A scenario the release
cannot run (not applicable) is left out. Exit 1 if any bug is MISSED.
"""

from __future__ import annotations

import argparse
import sys
import time

from harness.cli import _positive, _run_task, _RunTask
from harness.inject import KNOWN_BUGS, KnownBug
from harness.parallel import Backends, in_order
from harness.scenario.checks import Verdict
from tests.nova.outcomes import SHIPPED


def _caught(verdict: Verdict, bug: KnownBug) -> bool:
    why = [line for step in verdict.failed_steps for line in step.outcome.explanation]
    return any(f"bug #{bug.number}" in line for line in why)


def check_bug(bug: KnownBug, jobs: int, per_bug: int | None = None) -> tuple[str, str]:
    """(APPLIED, REFUSED or MISSED, the detail) for one bug on the installed Nova, on its
    scenarios (the first ``per_bug`` of them, for a quicker look)."""
    tagged = [s for s in SHIPPED if bug.number in s.bugs][:per_bug]
    verdicts = list(in_order(_run_task, [_RunTask(s, "nova", "fixed") for s in tagged],
                             Backends(bug.name), jobs, isolate=jobs > 1))
    refused = [v.error for v in verdicts if v.error and "InjectionError" in v.error]
    if refused:
        return "REFUSED", refused[0].strip().splitlines()[-1]
    runs = [v for v in verdicts if v.not_applicable is None]
    missed = [v.scenario.id for v in runs if v.error or not _caught(v, bug)]
    if missed:
        return "MISSED", f"{len(missed)} of {len(runs)} not caught: {', '.join(missed)}"
    return "APPLIED", f"caught by {len(runs)} scenario(s)"


def _count_or_all(text: str) -> int | None:
    if text == "all":
        return None
    try:
        return _positive(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a number above 0 or 'all', not {text!r}") from None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.nova.injections")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--per-bug", type=_count_or_all, metavar="N", default=None,
                        help="only the first N scenarios of each bug (default: all)")
    parser.add_argument("bugs", nargs="*", choices=[[], *KNOWN_BUGS], metavar="BUG",
                        help="the known bugs to check (default: all)")
    args = parser.parse_args(argv)
    results = []
    for bug in [KNOWN_BUGS[name] for name in args.bugs or KNOWN_BUGS]:
        started = time.perf_counter()
        status, detail = check_bug(bug, args.jobs, args.per_bug)
        results.append(status)
        print(f"{status} {bug.name}  ({detail}; {time.perf_counter() - started:.0f} s)",
              flush=True)
    print(f"{len(results)} injection(s): {results.count('APPLIED')} applied, "
          f"{results.count('REFUSED')} refused, {results.count('MISSED')} missed")
    return 1 if "MISSED" in results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
