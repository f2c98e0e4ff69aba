"""Benchmark of the fake cloud: prints figures and their ratio to the targets.

    python bench/bench_fake.py [--repeat N]

Targets (from the project's issue "Fast at every size"): the upstream scenario on the
fake cloud 1,000 times faster than Nova's own regression test (2.54 s measured there,
so 2.5 ms; ``bench_backends.py`` measures both side by side), and ``python -m harness
run`` over the whole catalogue within 0.3 s of a bare interpreter's start-up. A
benchmark, not a test: it reports, it never fails on a slow machine. Bytecode is
compiled first, as an installed package has it.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = ROOT / "scenarios" / "bug_1718455" / "live_migrate_to_other_host.toml"
SCENARIO_TARGET_S = 0.0025
CLI_OVER_START_TARGET_S = 0.3


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


def time_loading(repeat: int) -> list[float]:
    """Loading and validating the whole catalogue, each time as a new command would
    (its validators built anew)."""
    from harness.cli import load_all
    from harness.scenario import loader

    times = []
    for _ in range(repeat):
        for built in (loader._file_validator, loader._step_validator,
                      loader._published_schema, loader._inlined_definition):
            built.cache_clear()
        started = time.perf_counter()
        load_all([ROOT / "scenarios"])
        times.append(time.perf_counter() - started)
    return times


def time_commands(commands: list[list[str]], repeat: int) -> list[list[float]]:
    """Each command's wall time, ``repeat`` times, the commands taken in turn."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for args, seconds in zip(commands, times, strict=True):
            started = time.perf_counter()
            subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
            seconds.append(time.perf_counter() - started)
    return times


def time_command(args: list[str], repeat: int) -> list[float]:
    return time_commands([args], repeat)[0]


def row(name: str, times: list[float], target: float | None = None) -> str:
    median = statistics.median(times)
    line = (f"{name:<44} median {median * 1000:8.1f} ms   min {min(times) * 1000:8.1f} ms"
            f"   n={len(times)}")
    if target is not None:
        line += f"   {median / target:5.2f} x target ({target * 1000:g} ms)"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    python = sys.executable
    compileall.compile_dir(ROOT / "harness", quiet=1)
    processes = max(3, args.repeat // 10)
    bare = time_command([python, "-c", "pass"], processes)
    imports = time_command([python, "-c", "import harness.cli"], processes)
    scenario = time_scenario(args.repeat)
    loading = time_loading(processes)
    cli, serial = time_commands([[python, "-m", "harness", "run"],
                                 [python, "-m", "harness", "run", "-j", "1"]], processes)
    over_start = [run - statistics.median(bare) for run in cli]
    print(row("bare interpreter start-up", bare))
    print(row("import harness.cli (new process)", imports))
    print(row("upstream scenario, fake cloud, after import", scenario, SCENARIO_TARGET_S))
    print(row("loading the catalogue, after import", loading))
    print(row("python -m harness run (all scenarios)", cli))
    print(row("  the same, less the bare start-up", over_start, CLI_OVER_START_TARGET_S))
    print(row("python -m harness run -j 1 (one process)", serial))
    print(f"{'one process / a worker per CPU (default)':<44} "
          f"{statistics.median(serial) / statistics.median(cli):8.2f} x")
    print(f"{'share of the CLI run spent importing':<44} "
          f"{statistics.median(imports) / statistics.median(cli):8.0%}")


if __name__ == "__main__":
    main()
