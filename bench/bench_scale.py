"""How the fake cloud's cost grows with hosts and with the size of a multi-create.

    python bench/bench_scale.py [--hosts 2,100,1000,2000,5000] [--servers 10,100,500,1000]

Each point is one scenario run start to finish (cloud set-up, a create, a live
migration of one of its servers, the checks), timed once after a warm-up. The
host sweep creates 2 servers on N hosts; the batch sweep creates N servers in one
request on 10 hosts big enough for 1,000. The "per unit" column divides the time
by N: flat means linear cost. The process's peak resident memory so far is printed
too (sizes grow, so it is the largest run's). A benchmark, not a test: it
reports, it never fails.
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
from pathlib import Path

from harness.backends.fake import FakeCloudBackend
from harness.scenario.checks import check
from harness.scenario.loader import load_scenario
from harness.scenario.report import failure_text
from harness.scenario.runner import run_scenario

SCENARIO = """\
[scenario]
title = "{hosts} hosts, a multi-create of {servers}, one server live-migrated"

[cloud]
hosts = [{host_list}]
flavors = [{{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 }}]
config = {{ quota = {{ instances = -1, cores = -1, ram = -1 }} }}

[[steps]]
action = "create"
flavor = "small"
count = {servers}
[steps.expect]
server = {{ status = "ACTIVE" }}
request_spec = {{ num_instances = {servers} }}

[[steps]]
action = "live-migrate"
server = 0
[steps.expect]
migration = {{ status = "completed" }}
server = {{ status = "ACTIVE" }}
"""
BIG_HOST = '{{ name = "host{n}", vcpus = 64, memory_mb = 131072, disk_gb = 2000 }}'


def measure(directory: Path, hosts: int, servers: int, big: bool = False
            ) -> tuple[float, float]:
    """Seconds for one run, and the process's peak resident MiB so far."""
    path = directory / f"scale_{hosts}_{servers}.toml"
    host = BIG_HOST if big else '"host{n}"'
    host_list = ", ".join(host.format(n=n) for n in range(1, hosts + 1))
    path.write_text(SCENARIO.format(hosts=hosts, servers=servers, host_list=host_list))
    scenario = load_scenario(path, directory)
    gc.collect()
    started = time.perf_counter()
    verdict = check(run_scenario(scenario, FakeCloudBackend(), "fixed"))
    elapsed = time.perf_counter() - started
    if not verdict.passed:
        raise SystemExit(failure_text(verdict, with_trace=False))
    # ru_maxrss is in KiB on Linux.
    return elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=sizes, default=[2, 100, 1000, 2000, 5000])
    parser.add_argument("--servers", type=sizes, default=[10, 100, 500, 1000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        measure(directory, 2, 2)
        print(f"{'hosts':>6} {'servers':>8} {'seconds':>9} {'peak RSS MiB':>13} "
              f"{'ms per unit':>12}")
        for hosts in args.hosts:
            elapsed, peak = measure(directory, hosts, 2)
            print(f"{hosts:>6} {2:>8} {elapsed:9.3f} {peak:13.1f} "
                  f"{elapsed * 1000 / hosts:12.3f}  per host")
        for servers in args.servers:
            elapsed, peak = measure(directory, 10, servers, big=True)
            print(f"{10:>6} {servers:>8} {elapsed:9.3f} {peak:13.1f} "
                  f"{elapsed * 1000 / servers:12.3f}  per server")


if __name__ == "__main__":
    main()
