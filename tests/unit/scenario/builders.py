"""Scenario texts and hand-built outcomes shared by the scenario unit tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.scenario.checks import Verdict, check
from harness.scenario.model import (
    CloudDef,
    Expect,
    FlavorDef,
    HostDef,
    Scenario,
)
from harness.scenario.outcome import Outcome, ServerState, StepOutcome
from harness.scenario.steps import CreateStep, LiveMigrateStep, SetServiceStep

HEADER = """\
[scenario]
title = "One of two servers created together moves"
bugs = ["1718455"]

[cloud]
hosts = ["host1", "host2"]
flavors = [{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 }]

[[steps]]
action = "create"
flavor = "small"
count = 2
"""

# The move succeeds: what the fixed scheduler does.
MOVES = HEADER + """
[[steps]]
action = "live-migrate"
server = 0
host = "@other"
[steps.expect]
migration = { status = "completed", source = "@source", dest = "@target" }
server = { status = "ACTIVE", host = "@target" }
"""

# The move fails as bug #1718455 makes it fail: what Pike 16.0.0 does.
EXPECTS_BUG = HEADER + """
[[steps]]
action = "live-migrate"
server = 0
host = "@other"
[steps.expect]
error = "NoValidHost"
migration = { status = "error" }
server = { status = "ACTIVE", host = "@source" }
"""


def line_of(text: str, fragment: str) -> int:
    """The 1-based number of the only line of ``text`` containing ``fragment``."""
    [number] = [n for n, line in enumerate(text.splitlines(), 1) if fragment in line]
    return number


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


SMALL = {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}
# A default host's provider (8 vCPUs at 4.0, 8192 MB less 512 reserved, 100 GB).
CAPACITY = {"VCPU": 32, "MEMORY_MB": 7680, "DISK_GB": 100}

SCENARIO = Scenario(
    id="group/sub/name", path=Path("scenarios/group/sub/name.toml"), title="t",
    cloud=CloudDef(hosts=(HostDef("host1"), HostDef("host2")),
                   flavors=(FlavorDef("small", 1, 512, 1),)),
    steps=())


def create(expect: Expect | None = None, count: int = 1, index: int = 0) -> CreateStep:
    return CreateStep(index=index, expect=expect or Expect(), actor="admin", flavor="small",
                      count=count)


def live_migrate(expect: Expect | None = None, host: str | None = "@other",
                 index: int = 1) -> LiveMigrateStep:
    return LiveMigrateStep(index=index, expect=expect or Expect(), actor="admin", server=0,
                           host=host)


def set_service(expect: Expect | None = None, index: int = 0) -> SetServiceStep:
    return SetServiceStep(index=index, expect=expect or Expect(), actor="admin",
                          host="host2", disabled=True)


VM_STATES = {"ACTIVE": "active", "ERROR": "error", "SHUTOFF": "stopped",
             "VERIFY_RESIZE": "resized", "SHELVED_OFFLOADED": "shelved_offloaded"}


def server(index: int = 0, host: str | None = "host1", status: str = "ACTIVE") -> ServerState:
    return ServerState(index=index, name=f"server-{index + 1}", status=status, host=host,
                       node=host, task_state=None, flavor="small", vm_state=VM_STATES[status])


def step_outcome(step, **fields) -> StepOutcome:
    """A step's outcome that meets every default expectation unless ``fields`` say otherwise:
    the success status, no error, each server holding its flavor on its host, and hosts
    of the default size."""
    fields.setdefault("api_status", step.SUCCESS_STATUS)
    fields.setdefault("all_servers", fields.get("servers", ()))
    fields.setdefault("allocations", {f"server {s.index}": {s.node: dict(SMALL)}
                                      for s in fields["all_servers"] if s.node})
    fields.setdefault("capacities", {h: dict(CAPACITY) for h in ("host1", "host2")})
    return StepOutcome(step=step, **fields)


def verdict(*results: StepOutcome, scenario: Scenario = SCENARIO,
            seconds: float = 0.012) -> Verdict:
    scenario = dataclasses.replace(scenario, steps=tuple(r.step for r in results))
    return check(Outcome(scenario=scenario, backend="fake", scheduler="fixed",
                         steps=list(results), seconds=seconds))
