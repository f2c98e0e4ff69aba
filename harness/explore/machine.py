"""The state machine that generates scenarios: a hypothesis ``RuleBasedStateMachine``
whose rules are the harness's steps.

An example is a cloud (2 to 4 hosts of three sizes, one or two flavors, two
nova.conf options) drawn by the ``initialize`` rule, then a sequence of rules, each
drawing a step from what the cloud holds now: a server to move is one that exists,
in a state the move takes; a host to name is one of the cloud's. A few rules are
two steps, as an operator or a user does them: a server group made for the
create that puts servers in it, a host forced down before its evacuation, a
failed compute restarted before it is forced up again. hypothesis picks among the
rules that apply (and, per example, leaves some out: its swarm testing).

Each step is built as the data a scenario file holds, validated and built by the
loader, and run at once (``harness.explore.session``); the oracles judge it before
the next is drawn, so a failing example stops at the step that shows it. The data
is the scenario: what is written out is exactly what ran.

Draws are made for shrinking: every choice is drawn whether it is used or not, and
as a number rather than from a list that depends on the steps before (``pick``),
so an example keeps its meaning when shrinking deletes steps or lowers a number;
and the first value of each is the plain case (no host named, no group, no forced
host, the newest microversion, the first flavor, the default host size, two hosts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from harness.backends.base import Backend
from harness.explore.findings import Findings, Found
from harness.explore.oracles import CRASH, Violation, check_step
from harness.explore.progress import Stats
from harness.explore.reference import Reference
from harness.explore.session import RawStep, Session, StepCrashed
from harness.scenario.steps import STEP_TYPES
from harness.scenario.steps.base import ForceableMoveStep

# Host sizes: Nova's defaults (a plain name), a small host that holds one "large"
# server, and a large one that weighs far better than the others.
HOST_SIZES: dict[str, dict[str, int]] = {
    "default": {},
    "small": {"vcpus": 4, "memory_mb": 4096},
    "large": {"vcpus": 16, "memory_mb": 16384, "disk_gb": 200},
}
# Flavors small enough that no quota (10 instances, 20 cores, 50 GiB of RAM) is ever
# reached by MAX_SERVERS of them: a refusal is then the scheduler's or the API's
# state checks, never the quota's.
FLAVORS: tuple[dict[str, Any], ...] = (
    {"name": "small", "vcpus": 1, "memory_mb": 512, "disk_gb": 1},
    {"name": "medium", "vcpus": 2, "memory_mb": 1024, "disk_gb": 5},
    {"name": "large", "vcpus": 2, "memory_mb": 3072, "disk_gb": 10},
)
MAX_SERVERS = 8
# The compute faults a scenario may set: those whose effect the README documents.
FAULTS = ("prep_resize", "live_migration_check", "pre_live_migration", "resize_instance",
          "finish_resize")
# The older microversions a move is drawn at (one move in four; the others take the
# newest). Each is the last of a range where the API takes the move differently.
# Live migration: force allowed (2.30 to 2.67), answered only once the conductor's
# checks end (until 2.33), a named host always forced (until 2.29), disk_over_commit
# (until 2.24). Cold migration: the host not read (until 2.55). Evacuation: force
# allowed and the server left running (2.29 to 2.67), a named host always forced
# (until 2.28), onSharedStorage (until 2.13). Unshelve: a host refused (2.77 to 2.90)
# or not read (until 2.76).
OLDER_MICROVERSIONS: dict[str, tuple[str, ...]] = {
    "live-migrate": ("2.67", "2.33", "2.29", "2.24"),
    "migrate": ("2.55",),
    "evacuate": ("2.67", "2.28", "2.13"),
    "unshelve": ("2.90", "2.76"),
}
GROUP_POLICIES = ("anti-affinity", "affinity")
MAX_GROUPS = 3
# Draws of one of several items are numbers below this (see pick).
PICK_RANGE = 12
T = TypeVar("T")


def pick(data: st.DataObject, items: Sequence[T], label: str) -> T:
    """One of ``items``, the first when shrunk. Drawn as a number taken modulo the
    count rather than from the list itself: the list depends on what earlier steps
    made, and a number stays valid when shrinking deletes those steps (it may then
    name another item, which shrinking keeps only if the example still fails)."""
    return items[data.draw(st.integers(0, PICK_RANGE - 1), label=label) % len(items)]


class OutOfTime(BaseException):
    """The --max-seconds budget is spent. A BaseException, so that hypothesis does not
    take it for a failure of the example: it ends the search at once."""


@st.composite
def clouds(draw: st.DrawFn) -> dict[str, Any]:
    """A [cloud] table: hosts named host1..hostN, flavors, options. Every size is drawn
    whatever the number of hosts (and so on): an example keeps its shape when
    shrinking lowers a number, and the draws after it still mean the same."""
    count = draw(st.integers(2, 4), label="hosts")
    sizes = [HOST_SIZES[draw(st.sampled_from(list(HOST_SIZES)), label="size")]
             for _ in range(4)]
    hosts = [{"name": f"host{n}", **size} if size else f"host{n}"
             for n, size in enumerate(sizes[:count], start=1)]
    flavors = [FLAVORS[draw(st.integers(0, len(FLAVORS) - 1), label="flavor")]]
    second = FLAVORS[draw(st.integers(0, len(FLAVORS) - 1), label="second flavor")]
    if draw(st.booleans(), label="two flavors") and second not in flavors:
        flavors.append(second)
    config = {}
    # Off, the computes' late check would hide a scheduler that breaks a group's policy.
    if draw(st.booleans(), label="no late group check"):
        config["disable_group_policy_check_upcall"] = True
    if draw(st.booleans(), label="resize to same host"):
        config["allow_resize_to_same_host"] = True
    cloud: dict[str, Any] = {"hosts": hosts, "flavors": sorted(flavors, key=FLAVORS.index)}
    if config:
        cloud["config"] = config
    return cloud


@dataclass
class Explorer:
    """What every example of one exploration shares."""

    backend: Backend
    scheduler: str
    findings: Findings
    stats: Stats
    # time.monotonic() past which no step starts (None: no budget).
    deadline: float | None = None
    # Oracles beyond oracles.check_step, judged after each step (the violation it shows,
    # if any) and once an example is over, its cloud closed (the first violation in the
    # whole scenario, if any).
    per_step: list[Callable[[Session], Violation | None]] = field(default_factory=list)
    after: list[Callable[[Session], Violation | None]] = field(default_factory=list)
    faults: bool = True
    # Whether the oracles judge the steps as they run here: not when the cloud here
    # only drives the machine and another judges (the nova backend).
    judge: bool = True
    # The reference code, when another is explored: what it shows too is not reported.
    reference: Reference | None = None

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OutOfTime


class CloudMachine(RuleBasedStateMachine):
    def __init__(self, explorer: Explorer) -> None:
        super().__init__()
        self.explorer = explorer
        self.session: Session | None = None
        # Set once this example has failed or was cut short: its teardown judges no more.
        self.done = False

    # The cloud

    @initialize(cloud=clouds())
    def open_cloud(self, cloud: dict[str, Any]) -> None:
        self.explorer.check_time()
        self.explorer.stats.example_started()
        header = {"scenario": {"title": "generated"}, "cloud": cloud}
        self.session = Session(header, self.explorer.backend, self.explorer.scheduler)

    def teardown(self) -> None:
        session = self.session
        if session is None:
            return
        session.close()
        self.explorer.stats.example_finished(session)
        if self.done:
            return
        for oracle in self.explorer.after:
            self.explorer.check_time()
            violation = oracle(session)
            if violation is not None:
                self._found(violation)

    # Running a step

    @property
    def model(self) -> Any:
        assert self.session is not None
        return self.session.model

    def _run(self, raw: RawStep) -> None:
        assert self.session is not None
        try:
            self.explorer.check_time()
        except OutOfTime:
            self.done = True
            raise
        try:
            result = self.session.run(raw)
        except StepCrashed as exc:
            if self.explorer.judge:
                self._found(Violation(CRASH, exc.step.index, f"{exc.step.describe()} crashed",
                                      tuple(exc.text.splitlines()[-3:])))
            # Driving only: an example the driver cannot run is not one to judge.
            self.done = True
            reject()
        if not self.explorer.judge:
            return
        violation = check_step(self.session, result)
        for oracle in self.explorer.per_step:
            violation = violation or oracle(self.session)
        if violation is not None:
            self._set_aside_if_the_reference_breaks_it(violation)
            self._found(violation)

    def _set_aside_if_the_reference_breaks_it(self, violation: Violation) -> None:
        """End the example, unreported, if the reference code breaks the same oracle on
        the same steps (harness.explore.reference): the violation is not the explored
        code's."""
        reference = self.explorer.reference
        if reference is None:
            return
        assert self.session is not None
        # The example ends here either way. Its cloud is closed first: a bug put back
        # stays in the code while the cloud it was put back for is open.
        self.session.close()
        if reference.shows(self.session, violation):
            self.explorer.stats.on_reference(violation.oracle)
            self.done = True
            reject()

    def _found(self, violation: Violation) -> None:
        assert self.session is not None
        self.done = True
        found = Found(violation, self.session.header,
                      tuple(self.session.steps[:violation.step + 1]))
        self.explorer.stats.found(violation.oracle)
        raise self.explorer.findings.record(found)

    def _server(self, data: st.DataObject, *statuses: str) -> int:
        """A server to act on: one in one of ``statuses``."""
        return pick(data, self.model.with_status(*statuses), "server")

    def _host(self, data: st.DataObject, hosts: list[str]) -> str | None:
        """A host to name, or (first, what shrinking goes to) none."""
        return pick(data, [None, *hosts], "host")

    def _others(self, server: int) -> list[str]:
        host = self.model.servers[server].host
        return [h for h in self.model.hosts if h != host]

    def _has(self, *statuses: str) -> bool:
        return self.session is not None and bool(self.model.with_status(*statuses))

    # Servers

    @precondition(lambda self: self.session is not None and self.model.slots < MAX_SERVERS)
    @rule(data=st.data())
    def create(self, data: st.DataObject) -> None:
        """One create request; in a server group (an existing one, or one made first,
        as its own step), or on a forced host, or neither (what shrinking goes to)."""
        model = self.model
        # Every choice is drawn whichever are used (see clouds).
        flavor = pick(data, model.flavors, "flavor")
        count = min(data.draw(st.integers(1, 3), label="count"), MAX_SERVERS - model.slots)
        min_count_1 = data.draw(st.booleans(), label="min_count 1")
        # Groups twice as likely as either other placement: their bugs need the longest
        # sequences (a group, its members, then what is done to them).
        placement = pick(data, ["anywhere", "group", "forced host", "group"], "placement")
        new = [f"new {policy}" for policy in GROUP_POLICIES
               if len(model.group_names) < MAX_GROUPS]
        group = pick(data, [*sorted(model.groups), *new] or ["none"], "group")
        forced = pick(data, model.hosts, "forced host")
        raw: RawStep = {"action": "create", "flavor": flavor}
        if count > 1:
            raw["count"] = count
            # max_count > 1 with min_count 1 is a multi-create too (num_instances = count).
            if min_count_1:
                raw["min_count"] = 1
        if placement == "group":
            if group.startswith("new "):
                name = f"group{len(model.group_names) + 1}"
                self._run({"action": "create-server-group", "name": name,
                           "policy": group.removeprefix("new ")})
                group = name
            if group in model.groups:
                raw["group"] = group
        elif placement == "forced host":
            raw["availability_zone"] = f"nova:{forced}"
        self._run(raw)

    @precondition(lambda self: self.session is not None and bool(self.model.servers))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        server = pick(data, sorted(self.model.servers), "server")
        self._run({"action": "delete", "server": server})

    @precondition(lambda self: self._has("ACTIVE", "SHUTOFF", "ERROR"))
    @rule(data=st.data())
    def stop_or_start(self, data: st.DataObject) -> None:
        """Nova stops a server in ERROR too (a failed move leaves it there)."""
        server = self._server(data, "ACTIVE", "SHUTOFF", "ERROR")
        action = "start" if self.model.servers[server].status == "SHUTOFF" else "stop"
        self._run({"action": action, "server": server})

    def _groups_with_members(self) -> list[str]:
        return [g for g in sorted(self.model.groups) if self.model.members(g)]

    @precondition(lambda self: self.session is not None and bool(self._groups_with_members()))
    @rule(data=st.data())
    def delete_server_group(self, data: st.DataObject) -> None:
        """A group goes while its members stay (an empty group's deletion shows nothing)."""
        name = pick(data, self._groups_with_members(), "group")
        self._run({"action": "delete-server-group", "name": name})

    # Moves

    @precondition(lambda self: self._has("ACTIVE"))
    @rule(data=st.data())
    def live_migrate(self, data: st.DataObject) -> None:
        server = self._server(data, "ACTIVE")
        self._move(data, "live-migrate", server, self._host(data, self._others(server)))

    @precondition(lambda self: self._has("ACTIVE", "SHUTOFF"))
    @rule(data=st.data())
    def migrate(self, data: st.DataObject) -> None:
        server = self._server(data, "ACTIVE", "SHUTOFF")
        self._move(data, "migrate", server, self._host(data, self._others(server)))

    @precondition(lambda self: self._has("ACTIVE", "SHUTOFF") and len(self.model.flavors) > 1)
    @rule(data=st.data())
    def resize(self, data: st.DataObject) -> None:
        server = self._server(data, "ACTIVE", "SHUTOFF")
        flavors = [f for f in self.model.flavors if f != self.model.servers[server].flavor]
        self._run({"action": "resize", "server": server,
                   "flavor": pick(data, flavors, "flavor")})

    @precondition(lambda self: self._has("VERIFY_RESIZE"))
    @rule(data=st.data(), revert=st.booleans())
    def finish_resize(self, data: st.DataObject, revert: bool) -> None:
        action = "revert-resize" if revert else "confirm-resize"
        self._run({"action": action, "server": self._server(data, "VERIFY_RESIZE")})

    @precondition(lambda self: self.session is not None
                  and bool(self.model.with_status("ACTIVE", "SHUTOFF")))
    @rule(data=st.data())
    def rebuild(self, data: st.DataObject) -> None:
        server = pick(data, self.model.with_status("ACTIVE", "SHUTOFF"), "server")
        self._run({"action": "rebuild", "server": server})

    @precondition(lambda self: self._has("ACTIVE", "SHUTOFF"))
    @rule(data=st.data())
    def shelve(self, data: st.DataObject) -> None:
        self._run({"action": "shelve", "server": self._server(data, "ACTIVE", "SHUTOFF")})

    @precondition(lambda self: self._has("SHELVED_OFFLOADED"))
    @rule(data=st.data())
    def unshelve(self, data: st.DataObject) -> None:
        server = self._server(data, "SHELVED_OFFLOADED")
        self._move(data, "unshelve", server, self._host(data, list(self.model.hosts)))

    @precondition(lambda self: self._has("ACTIVE", "SHUTOFF", "ERROR"))
    @rule(data=st.data())
    def evacuate(self, data: st.DataObject) -> None:
        """The server's host fails: the operator forces its service down (Nova refuses
        to evacuate from a host it thinks up), unless it is down already, and
        evacuates the server."""
        server = self._server(data, "ACTIVE", "SHUTOFF", "ERROR")
        source = self.model.servers[server].host
        if source is None:
            return
        if source not in self.model.down:
            self._run({"action": "set-service", "host": source, "forced_down": True})
        others = [h for h in self._others(server) if h not in self.model.down]
        self._move(data, "evacuate", server, self._host(data, others))

    def _move(self, data: st.DataObject, action: str, server: int, host: str | None
              ) -> None:
        """The move at the newest microversion (what shrinking goes to) or, one time in
        four, at an older one; a named host forced where that microversion lets it be."""
        older = pick(data, OLDER_MICROVERSIONS[action], "older microversion")
        microversion = older if data.draw(st.integers(0, 3), label="older") == 3 else None
        force = data.draw(st.booleans(), label="force")
        raw: RawStep = {"action": action, "server": server}
        if host is not None:
            raw["host"] = host
            step_type = STEP_TYPES[action]
            if (force and issubclass(step_type, ForceableMoveStep)
                    and step_type.takes_force(microversion)):
                raw["force"] = True
        if microversion is not None:
            raw["microversion"] = microversion
        self._run(raw)

    # Services

    @precondition(lambda self: self.session is not None)
    @rule(data=st.data())
    def set_service(self, data: st.DataObject) -> None:
        """Disable or enable a host's compute service. Drawn, not toggled: a toggle's
        meaning depends on the steps before it, which shrinking deletes."""
        host = pick(data, self.model.hosts, "host")
        enable = data.draw(st.booleans(), label="enable")
        self._run({"action": "set-service", "host": host, "disabled": not enable})

    @precondition(lambda self: self.session is not None and bool(self.model.down))
    @rule(data=st.data())
    def recover_host(self, data: st.DataObject) -> None:
        """The operator restarts the failed host's compute (which cleans up what was
        evacuated away), then lifts forced_down."""
        host = pick(data, sorted(self.model.down), "host")
        self._run({"action": "restart-compute", "host": host})
        self._run({"action": "set-service", "host": host, "forced_down": False})

    @precondition(lambda self: self.session is not None and self.explorer.faults)
    @rule(data=st.data())
    def compute_fault(self, data: st.DataObject) -> None:
        host = pick(data, self.model.hosts, "host")
        at = pick(data, FAULTS, "at")
        # Drawn, not toggled (see set_service); shrinking goes to the fault set.
        raw: RawStep = {"action": "compute-fault", "host": host, "at": at}
        if data.draw(st.booleans(), label="end it"):
            raw["active"] = False
        self._run(raw)
