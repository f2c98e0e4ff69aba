"""The catalogue on the fake cloud many times in one process: every run must pass and
give exactly the first run's outcomes (no flake), and the process must not grow
(nothing left behind by a run). Exit 1 if either fails.

    python -m tests.stress [--repeat 200] [SCENARIO_OR_DIR ...]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

from harness.backends.fake import FakeCloudBackend
from harness.cli import load_all
from harness.scenario.checks import check
from harness.scenario.diff import diff
from harness.scenario.runner import run_scenario

# Objects the process may gain after its warm-up runs (caches filling up: compiled
# regular expressions, interned strings); a leak of one object per scenario run
# would exceed it within 200 repeats of the catalogue.
ALLOWED_GROWTH = 2000
WARM_UP = 5


def live_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


def rss_mib() -> float:
    """The process's resident memory now (Linux), or 0 where it cannot be read."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * 4096 / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")])
    args = parser.parse_args(argv)
    scenarios = load_all(args.paths)
    backend = FakeCloudBackend()
    first = {s.id: run_scenario(s, backend, "fixed") for s in scenarios}
    failed = [s.id for s in scenarios if not check(first[s.id]).passed]
    flakes: list[str] = []
    started = time.perf_counter()
    objects_after_warm_up = rss_after_warm_up = 0.0
    for repeat in range(2, args.repeat + 1):
        for scenario in scenarios:
            outcome = run_scenario(scenario, backend, "fixed")
            if not check(outcome).passed or diff(first[scenario.id], outcome):
                flakes.append(f"run {repeat}: {scenario.id}")
        if repeat == WARM_UP:
            objects_after_warm_up, rss_after_warm_up = live_objects(), rss_mib()
        if repeat % 20 == 0:
            print(f"{repeat}/{args.repeat} runs of {len(scenarios)} scenarios, "
                  f"{len(flakes)} flake(s), {time.perf_counter() - started:.0f} s",
                  flush=True)
    growth = live_objects() - objects_after_warm_up
    print(f"{args.repeat} runs x {len(scenarios)} scenarios = "
          f"{args.repeat * len(scenarios)} scenario runs in "
          f"{time.perf_counter() - started:.0f} s")
    print(f"failing on the first run: {len(failed)}; flakes after it: {len(flakes)}")
    print(f"live objects after run {WARM_UP}: {objects_after_warm_up:.0f}, at the end: "
          f"{objects_after_warm_up + growth:.0f} (growth {growth:+.0f}, allowed "
          f"{ALLOWED_GROWTH}); resident memory {rss_after_warm_up:.1f} -> {rss_mib():.1f} MiB")
    for line in (failed + flakes)[:20]:
        print(f"  {line}")
    return 1 if failed or flakes or growth > ALLOWED_GROWTH else 0


if __name__ == "__main__":
    sys.exit(main())
