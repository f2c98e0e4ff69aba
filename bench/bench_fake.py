"""Benchmark of the fake cloud: prints figures and their ratio to the targets.

    python bench/bench_fake.py [--repeat N]

Targets (from the project's issue #2): the upstream scenario on the fake cloud
under 20 ms once imported, and ``python -m harness run`` under 1 s start to
finish. A benchmark, not a test: it reports, it never fails on a slow machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = ROOT / "scenarios" / "bug_1718455" / "live_migrate_to_other_host.toml"
SCENARIO_TARGET_S = 0.020
CLI_TARGET_S = 1.0


def time_scenario(repeat: int) -> list[float]:
    from harness.backends.fake import FakeCloudBackend
    from harness.scenario.checks import check
    from harness.scenario.loader import load_scenario
    from harness.scenario.runner import run_scenario

    scenario = load_scenario(UPSTREAM, ROOT / "scenarios")
    backend = FakeCloudBackend()
    check(run_scenario(scenario, backend, "fixed"))  # warm caches, as after import
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        verdict = check(run_scenario(scenario, backend, "fixed"))
        times.append(time.perf_counter() - started)
        assert verdict.passed, "the upstream scenario must pass on the fixed scheduler"
    return times


def time_command(args: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def row(name: str, times: list[float], target: float | None = None) -> str:
    median = statistics.median(times)
    line = (f"{name:<44} median {median * 1000:8.1f} ms   min {min(times) * 1000:8.1f} ms"
            f"   n={len(times)}")
    if target is not None:
        line += f"   {median / target:5.2f} x target ({target * 1000:.0f} ms)"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    python = sys.executable
    imports = time_command([python, "-c", "import harness.cli"], max(3, args.repeat // 10))
    scenario = time_scenario(args.repeat)
    cli = time_command([python, "-m", "harness", "run"], max(3, args.repeat // 10))
    print(row("import harness.cli (new process)", imports))
    print(row("upstream scenario, fake cloud, after import", scenario, SCENARIO_TARGET_S))
    print(row("python -m harness run (all scenarios)", cli, CLI_TARGET_S))
    print(f"{'share of the CLI run spent importing':<44} "
          f"{statistics.median(imports) / statistics.median(cli):8.0%}")


if __name__ == "__main__":
    main()
