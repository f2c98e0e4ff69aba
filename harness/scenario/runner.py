"""Runs a scenario's steps on a cloud and records what each led to.

The runner does what a user would: each step sends its request to the
compute API, waits for the cloud to settle, and reads the result back through
the API (servers, migrations, instance actions). After every step the runner
observes the whole cloud the same way, whatever the step was. It never
judges; that is harness.scenario.checks' work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from harness.backends.base import Backend, CloudHandle
from harness.scenario.errors import exception_class
from harness.scenario.groups import GroupPolicyWatcher
from harness.scenario.model import Scenario
from harness.scenario.outcome import (
    ActionState,
    Allocations,
    MigrationState,
    Outcome,
    RequestSpecState,
    ServerState,
    StepOutcome,
    ran_finish_resize,
)
from harness.scenario.stale import StaleFieldTracker, StaleFlavorTracker
from harness.scenario.steps.base import Step
from harness.scenario.why import explain_scheduling
from harness.verdicts import SchedulingCall

T = TypeVar("T")


def run_scenario(scenario: Scenario, backend: Backend, scheduler: str) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome(scenario=scenario, backend=backend.name, scheduler=scheduler)
    with backend.open(scenario, scheduler) as cloud:
        runner = StepRunner(scenario, cloud)
        for step in scenario.steps:
            outcome.steps.append(runner.run_step(step))
    outcome.seconds = time.perf_counter() - started
    return outcome


class StepRunner:
    """One scenario's run on one cloud: what its steps act on and how they observe."""

    def __init__(self, scenario: Scenario, cloud: CloudHandle) -> None:
        self.scenario = scenario
        self.cloud = cloud
        self.flavor_ids = {
            f.name: cloud.admin_api.post_flavor({"flavor": {
                "name": f.name, "vcpus": f.vcpus, "ram": f.memory_mb, "disk": f.disk_gb,
            }})["id"]
            for f in scenario.cloud.flavors
        }
        self._server_ids: list[str | None] = []
        # Servers a delete step removed: no longer observed.
        self._deleted: set[int] = set()
        # Server groups by the name the scenario gives them.
        self.group_ids: dict[str, str] = {}
        self.groups = GroupPolicyWatcher()
        # Every server as the previous step left it.
        self._servers: tuple[ServerState, ...] = ()
        self._last_hosts: dict[int, str] = {}
        # migration uuid -> the flavor its server had when it began, and the one it
        # gave the server on its destination (MigrationState.dest_flavor)
        self._migration_flavors: dict[str, tuple[str | None, str | None]] = {}
        # Every server's persisted RequestSpec as the previous step left it.
        self._specs: dict[int, RequestSpecState] = {}
        self._stale = StaleFieldTracker()
        self._stale_flavors = StaleFlavorTracker()
        # What has been read since the cloud last changed (see ``changed``), and
        # whether it was at rest then.
        self._reads: dict[tuple[str, ...], Any] = {}
        self._at_rest = False
        # Why the step's last wait ended without it settling.
        self._unsettled: str | None = None

    def run_step(self, step: Step) -> StepOutcome:
        self._read_again_unless_at_rest()
        self._unsettled = None
        mark = self.cloud.mark()
        flavors_before = {s.index: s.flavor for s in self._servers}
        result = step.run(self)
        self._servers = result.all_servers = tuple(
            self.server_state(i) for i, _ in self._made())
        for server in result.all_servers:
            if server.host is not None:
                self._last_hosts[server.index] = server.host
        migrations = self.migrations()
        for migration in migrations:
            server = self._server_index(migration["instance_uuid"])
            if migration["uuid"] not in self._migration_flavors:
                old = flavors_before.get(server)
                self._migration_flavors[migration["uuid"]] = (
                    old, step.flavor_after(server, old) if ran_finish_resize(result.actions)
                    else None)
        result.all_migrations = tuple(self.migration_state(m) for m in reversed(migrations))
        result.allocations = self._allocations(migrations)
        result.capacities = self.cloud.capacities()
        result.trace = self.cloud.trace_since(mark)
        result.scheduling = tuple(self.cloud.scheduling_since(mark))
        self._name_counted_members(result.scheduling)
        specs_before, self._specs = self._specs, {
            i: self.cloud.request_spec(server_id) for i, server_id in self._made()}
        failed = result.error_class is not None or (result.api_status or 0) >= 400
        described = step.describe_outcome(result)
        acted_on = [s.index for s in result.servers]
        result.explanation = (*self.cloud.explain_since(mark), *self._stale.observe(
            step.index, described, specs_before, self._specs, acted_on if failed else []),
            *self._stale_flavors.observe(step.index, described,
                                         acted_on if result.scheduling else [],
                                         result.all_servers, self._specs),
            *self.groups.explain(result.all_servers, {s.index for s in result.servers}),
            *self.groups.explain_lost_group(result),
            *step.explain(result), *explain_scheduling(result),
            *_unexpected_api_error(result),
            *([self._unsettled] if self._unsettled and not result.settled else []))
        return result

    def _name_counted_members(self, calls: tuple[SchedulingCall, ...]) -> None:
        """Name the group members the anti-affinity filter counted on the hosts it
        removed ("server 0"), saying where a server is when it is not on that host:
        the scheduler counts what each host's compute last reported."""
        for call in calls:
            for sort_pass in call.passes:
                for verdict in sort_pass.filters:
                    verdict.counted = {host: tuple(
                        self._member(i, host) for i in sorted(
                            (self._server_index(m) if m in self._server_ids else None
                             for m in members),
                            key=lambda i: (i is None, i or 0)))
                        for host, members in verdict.counted.items()}

    def _member(self, index: int | None, counted_on: str) -> str:
        if index is None:
            return "a server the scenario did not make"
        if index in self._deleted:
            return f"server {index} (deleted)"
        now = next((s.host for s in self._servers if s.index == index), None)
        if now is None:
            return f"server {index} (on no host now)"
        return f"server {index}" + (f" (now on {now})" if now != counted_on else "")

    # What steps act on

    def add_servers(self, server_ids: Iterable[str], slots: int) -> range:
        """Number the servers a create step made after the existing ones; their indexes.
        The step takes ``slots`` numbers (its count, as the scenario numbers servers),
        whether the request made that many, fewer (a quota) or none."""
        first = len(self._server_ids)
        made = list(server_ids)
        self._server_ids.extend([*made, *[None] * (slots - len(made))])
        return range(first, first + len(made))

    def created(self, index: int) -> bool:
        """Whether a create step made server ``index`` (it may have failed)."""
        return index < len(self._server_ids) and self._server_ids[index] is not None

    def server_id(self, index: int) -> str:
        server_id = self._server_ids[index]
        if server_id is None:
            raise KeyError(f"server {index} was never created")
        return server_id

    def _made(self) -> Iterator[tuple[int, str]]:
        """(index, id) of every server the scenario's create steps made and still has."""
        return ((i, s) for i, s in enumerate(self._server_ids)
                if s is not None and i not in self._deleted)

    def gone(self, index: int) -> bool | None:
        """True once the API no longer knows the server (None until then); from then on
        it is not observed."""
        try:
            self.cloud.admin_api.get_server(self.server_id(index))
        except self.cloud.api_errors as exc:
            if exc.response.status_code != 404:
                raise
            self._deleted.add(index)
            return True
        return None

    def last_host(self, index: int) -> str | None:
        """The server's host now, or the one it was on last (once shelve-offloaded)."""
        return self._last_hosts.get(index)

    def resolve_host(self, ref: str, source: str | None) -> str | None:
        """A host a step names: a name, @source (the server's host) or @other."""
        if ref == "@source":
            return source
        if ref != "@other":
            return ref
        return self.other_host(source)

    def other_host(self, source: str | None) -> str | None:
        """The only host of a two-host cloud that is not ``source``."""
        others = [h.name for h in self.scenario.cloud.hosts if h.name != source]
        return others[0] if len(others) == 1 else None

    # Requests

    def request(self, step: Step, call: Callable[[Any], T],
                microversion: str | None = None) -> tuple[int, str | None, T | None]:
        """Send ``call`` as the step's actor: (status, error message or None, response)."""
        api = self.cloud.clients[step.actor]
        default_microversion = api.microversion
        api.microversion = microversion or default_microversion
        try:
            return step.SUCCESS_STATUS, None, call(api)
        except self.cloud.api_errors as exc:
            return exc.response.status_code, str(exc), None
        finally:
            api.microversion = default_microversion
            self.changed()

    def wait(self, condition: Callable[[], T | None]) -> tuple[T | None, bool]:
        """Poll until ``condition`` gives a value: (value, True). (None, False) once a
        poll made with the cloud at rest finds none (nothing left to run could change
        what it read), or at the timeout."""
        deadline = time.monotonic() + self.cloud.poll_timeout
        try:
            while True:
                self.changed()
                value = condition()
                if value is not None:
                    return value, True
                if self._at_rest:
                    self._unsettled = _AT_REST
                    return None, False
                if time.monotonic() >= deadline:
                    self._unsettled = _TIMED_OUT.format(seconds=self.cloud.poll_timeout)
                    return None, False
                self.cloud.pause()
        finally:
            # What a poll read while the cloud worked is not what the step reports:
            # its reads are not one moment (on Nova, a server read before its
            # migration may already be older than the migration that says the move
            # is done).
            self._read_again_unless_at_rest()

    # Observations. Between two changes to the cloud each thing is read from the API
    # once, so a server, a migration or an action is not read four times per step
    # (on Nova, a read is tens of milliseconds of its own work).

    def changed(self) -> None:
        """The cloud may have changed: reads from now on go to the API again. Called
        for every request and every poll of a wait; a step that changes the cloud
        another way (a compute restart) calls it too."""
        self._reads.clear()
        # At rest, nothing runs until the next request: the reads from now on are of
        # one moment, and stay true until then.
        self._at_rest = self.cloud.at_rest()

    def _read_again_unless_at_rest(self) -> None:
        """At the end of a wait and the start of a step: reads made while the cloud
        worked may be of different moments, and older than the cloud is now."""
        if not self._at_rest:
            self.changed()

    def _read(self, key: tuple[str, ...], fetch: Callable[[], T]) -> T:
        if key not in self._reads:
            self._reads[key] = fetch()
        return self._reads[key]

    def server(self, server_id: str) -> dict[str, Any]:
        """The server as the admin's API shows it (GET /servers/{id})."""
        return self._read(("server", server_id),
                          lambda: self.cloud.admin_api.get_server(server_id))

    def server_state(self, index: int) -> ServerState:
        server = self.server(self.server_id(index))
        return ServerState(
            index=index, name=server["name"], status=server["status"],
            host=server["OS-EXT-SRV-ATTR:host"],
            node=server["OS-EXT-SRV-ATTR:hypervisor_hostname"],
            task_state=server["OS-EXT-STS:task_state"],
            vm_state=server["OS-EXT-STS:vm_state"],
            flavor=server["flavor"]["original_name"])

    def migrations(self, server_id: str | None = None) -> list[dict[str, Any]]:
        """The migrations of one server, or of every server of the scenario; newest first."""
        ours = {server_id} if server_id else {s for _, s in self._made()}
        return [m for m in self._read(("migrations",), self.cloud.admin_api.get_migrations)
                if m["instance_uuid"] in ours]

    def migration_state(self, migration: dict[str, Any]) -> MigrationState:
        old, dest = self._migration_flavors.get(migration["uuid"], (None, None))
        return MigrationState(
            type=migration["migration_type"], status=migration["status"],
            source=migration["source_compute"], dest=migration["dest_compute"],
            source_node=migration["source_node"], dest_node=migration["dest_node"],
            server=self._server_index(migration["instance_uuid"]),
            flavor=old, dest_flavor=dest)

    def _server_index(self, server_id: str) -> int:
        return self._server_ids.index(server_id)

    def _allocations(self, migrations: list[dict[str, Any]]) -> Allocations:
        labels = {uuid: f"server {i}" for i, uuid in self._made()}
        for migration in migrations:
            labels[migration["uuid"]] = f"migration of {labels[migration['instance_uuid']]}"
        return {labels.get(consumer, f"consumer {consumer[:8]}"): providers
                for consumer, providers in self.cloud.allocations().items()}

    def fault_error(self, servers: list[dict[str, Any]]) -> tuple[str | None, str | None]:
        """The error class and message of the first server with a fault."""
        for server in servers:
            fault = server.get("fault")
            if fault:
                return (self._error_class(fault.get("details"), fault["message"]),
                        fault["message"])
        return None, None

    def action_ids(self, server_id: str) -> set[str]:
        """The request ids of the server's instance actions so far."""
        return {a["request_id"] for a in self._instance_actions(server_id)}

    def new_actions(self, server_id: str, known: set[str]) -> tuple[ActionState, ...]:
        """The server's instance actions not in ``known``, oldest first, with their events."""
        actions = []
        for action in reversed(self._instance_actions(server_id)):
            if action["request_id"] in known:
                continue
            details = self._action_details(server_id, action["request_id"])
            actions.append(ActionState(action["action"], tuple(sorted(
                ((e["event"], e["result"]) for e in details["events"]),
                key=lambda event: (event[0], event[1] or "")))))
        return tuple(actions)

    def action_error(self, server_id: str, action_name: str) -> tuple[str | None, str | None]:
        """The error recorded by the newest ``action_name`` action on the server, if any."""
        for action in self._instance_actions(server_id):
            if action["action"] != action_name:
                continue
            details = self._action_details(server_id, action["request_id"])
            for event in details["events"]:
                if event["result"] == "Error":
                    return (self._error_class(event.get("traceback"), event.get("details")),
                            event.get("details") or "")
            return None, None
        return None, None

    def _instance_actions(self, server_id: str) -> list[dict[str, Any]]:
        return self._read(("actions", server_id),
                          lambda: self.cloud.admin_api.get_instance_actions(server_id))

    def _action_details(self, server_id: str, request_id: str) -> dict[str, Any]:
        return self._read(("action", server_id, request_id),
                          lambda: self.cloud.admin_api.get_instance_action_details(
                              server_id, request_id))

    def _error_class(self, traceback_text: str | None, details: str | None) -> str:
        return exception_class(traceback_text, details, self.cloud.exception_module) or "unknown"


_AT_REST = ("The step never finished: the cloud came to rest with it unfinished (nothing "
            "left to run, no message waiting), so nothing would have finished it. A "
            "server keeps its task state, or a migration or an action its status, after "
            "an error nobody handled.")
_TIMED_OUT = ("The step had not finished after {seconds:g} s while the cloud still worked: "
              "a slow machine (HARNESS_NOVA_SETTLE_SECONDS gives Nova longer) or a service "
              "that never rests.")


def _unexpected_api_error(result: StepOutcome) -> list[str]:
    if result.api_status != 500:
        return []
    return [f"The API answered 500: its code raised an error it does not expect "
            f"({(result.api_message or '').splitlines()[-1]}), a bug in the code under "
            "test rather than a refusal of the request."]
