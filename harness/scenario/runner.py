"""Runs a scenario's steps on a cloud and records what each led to.

The runner does what a user would: it calls the compute API with the
scenario's requests, waits for the cloud to settle, and reads the result
back through the API (servers, migrations, instance actions). It never
judges; that is harness.scenario.checks' work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from harness.backends.base import Backend, CloudHandle
from harness.cloud.objects import MIGRATION_TERMINAL_STATUSES
from harness.scenario.errors import exception_class
from harness.scenario.model import (
    CreateStep,
    LiveMigrateStep,
    Scenario,
    SetServiceStep,
    Step,
)
from harness.scenario.outcome import (
    Allocations,
    MigrationState,
    Outcome,
    ServerState,
    StepOutcome,
)

T = TypeVar("T")


def run_scenario(scenario: Scenario, backend: Backend, scheduler: str) -> Outcome:
    started = time.perf_counter()
    outcome = Outcome(scenario=scenario, backend=backend.name, scheduler=scheduler)
    with backend.open(scenario, scheduler) as cloud:
        runner = _Runner(scenario, cloud)
        for step in scenario.steps:
            outcome.steps.append(runner.run_step(step))
    outcome.seconds = time.perf_counter() - started
    return outcome


class _Runner:
    def __init__(self, scenario: Scenario, cloud: CloudHandle) -> None:
        self.scenario = scenario
        self.cloud = cloud
        self.flavor_ids = {
            f.name: cloud.admin_api.post_flavor({"flavor": {
                "name": f.name, "vcpus": f.vcpus, "ram": f.memory_mb, "disk": f.disk_gb,
            }})["id"]
            for f in scenario.cloud.flavors
        }
        self.server_ids: list[str] = []
        self.server_flavors: list[str] = []

    def run_step(self, step: Step) -> StepOutcome:
        mark = self.cloud.mark()
        if isinstance(step, CreateStep):
            result = self._create(step)
        elif isinstance(step, LiveMigrateStep):
            result = self._live_migrate(step)
        elif isinstance(step, SetServiceStep):
            result = self._set_service(step)
        else:  # pragma: no cover - the loader only builds the steps above
            raise TypeError(f"no runner for {type(step).__name__}")
        result.all_servers = tuple(self._server_state(i) for i in range(len(self.server_ids)))
        result.allocations = self._allocations()
        result.trace = self.cloud.trace_since(mark)
        result.explanation = tuple(self.cloud.explain_since(mark))
        return result

    # Steps

    def _create(self, step: CreateStep) -> StepOutcome:
        body = {"server": {
            "name": step.name, "flavorRef": self.flavor_ids[step.flavor],
            "imageRef": self.cloud.image_ref, "networks": "none",
            "min_count": str(step.count), "return_reservation_id": "True",
        }}
        if step.availability_zone is not None:
            body["server"]["availability_zone"] = step.availability_zone
        status, message, response = self._request(
            step, lambda api: api.post_server(body))
        if response is None:
            return StepOutcome(step=step, api_status=status, api_message=message)
        reservation_id = response["reservation_id"]

        def servers_built() -> list[dict[str, Any]] | None:
            servers = self.cloud.admin_api.get_servers(
                detail=True, search_opts={"reservation_id": reservation_id})
            if len(servers) == step.count and all(s["status"] != "BUILD" for s in servers):
                return servers
            return None

        servers, settled = self._wait(servers_built)
        if servers is None:
            servers = self.cloud.admin_api.get_servers(
                detail=True, search_opts={"reservation_id": reservation_id})
        first = len(self.server_ids)
        for server in sorted(servers, key=lambda s: s["OS-EXT-SRV-ATTR:launch_index"]):
            self.server_ids.append(server["id"])
            self.server_flavors.append(step.flavor)
        indexes = range(first, len(self.server_ids))
        error_class, error_message = self._create_error(servers)
        return StepOutcome(
            step=step, api_status=status, error_class=error_class, error_message=error_message,
            servers=tuple(self._server_state(i) for i in indexes),
            num_instances={i: self.cloud.num_instances(self.server_ids[i]) for i in indexes},
            settled=settled,
        )

    def _live_migrate(self, step: LiveMigrateStep) -> StepOutcome:
        server_id = self.server_ids[step.server]
        source = self._server_state(step.server).host
        target = self._resolve_target(step.host, source)
        before = {m["id"] for m in self._migrations(server_id)}
        body = {"os-migrateLive": {"block_migration": step.block_migration, "host": target}}
        if step.force:
            body["os-migrateLive"]["force"] = True
        status, message, _ = self._request(
            step, lambda api: api.post_server_action(server_id, body),
            microversion=step.microversion)

        def new_migration() -> dict[str, Any] | None:
            """The migration this step created, if it has one."""
            return next((m for m in self._migrations(server_id) if m["id"] not in before), None)

        def migration_done() -> dict[str, Any] | None:
            migration = new_migration()
            if (migration is not None and migration["status"] in MIGRATION_TERMINAL_STATUSES
                    and self.cloud.admin_api.get_server(server_id)["OS-EXT-STS:task_state"]
                    is None):
                return migration
            return None

        migration, settled = (None, True) if message else self._wait(migration_done)
        if migration is None:
            migration = new_migration()
        error_class, error_message = self._action_error(server_id, "live-migration",
                                                        skip=message is not None)
        return StepOutcome(
            step=step, api_status=status, api_message=message,
            error_class=error_class, error_message=error_message,
            servers=(self._server_state(step.server),),
            migration=None if migration is None else MigrationState(
                type=migration["migration_type"], status=migration["status"],
                source=migration["source_compute"], dest=migration["dest_compute"]),
            num_instances={step.server: self.cloud.num_instances(server_id)},
            refs={"@source": source, "@target": target},
            settled=settled,
        )

    def _set_service(self, step: SetServiceStep) -> StepOutcome:
        services = self.cloud.admin_api.get_services(host=step.host, binary="nova-compute")
        update = {k: v for k, v in (("forced_down", step.forced_down),) if v is not None}
        if step.disabled is not None:
            update["status"] = "disabled" if step.disabled else "enabled"
        status, message, _ = self._request(
            step, lambda api: api.put_service(services[0]["id"], update))
        return StepOutcome(step=step, api_status=status, api_message=message)

    # Helpers

    def _request(self, step: Step, call: Callable[[Any], T],
                 microversion: str | None = None) -> tuple[int, str | None, T | None]:
        api = self.cloud.admin_api if step.actor == "admin" else self.cloud.api
        default_microversion = api.microversion
        api.microversion = microversion or default_microversion
        try:
            return step.SUCCESS_STATUS, None, call(api)
        except self.cloud.api_errors as exc:
            return exc.response.status_code, str(exc), None
        finally:
            api.microversion = default_microversion

    def _wait(self, condition: Callable[[], T | None]) -> tuple[T | None, bool]:
        """Poll until ``condition`` gives a value; (value, True), or (None, False) on timeout."""
        deadline = time.monotonic() + self.cloud.poll_timeout
        while True:
            value = condition()
            if value is not None:
                return value, True
            if time.monotonic() >= deadline:
                return None, False
            time.sleep(self.cloud.poll_interval)

    def _resolve_target(self, host: str | None, source: str | None) -> str | None:
        if host != "@other":
            return host
        return next(h.name for h in self.scenario.cloud.hosts if h.name != source)

    def _migrations(self, server_id: str) -> list[dict[str, Any]]:
        return [m for m in self.cloud.admin_api.get_migrations()
                if m["instance_uuid"] == server_id]

    def _server_state(self, index: int) -> ServerState:
        server = self.cloud.admin_api.get_server(self.server_ids[index])
        return ServerState(
            index=index, name=server["name"], status=server["status"],
            host=server["OS-EXT-SRV-ATTR:host"],
            node=server["OS-EXT-SRV-ATTR:hypervisor_hostname"],
            task_state=server["OS-EXT-STS:task_state"], flavor=self.server_flavors[index])

    def _allocations(self) -> Allocations:
        labels = {uuid: f"server {i}" for i, uuid in enumerate(self.server_ids)}
        for migration in self.cloud.admin_api.get_migrations():
            owner = labels.get(migration["instance_uuid"])
            if owner is not None:
                labels[migration["uuid"]] = f"migration of {owner}"
        return {labels.get(consumer, f"consumer {consumer[:8]}"): providers
                for consumer, providers in self.cloud.allocations().items()}

    def _create_error(self, servers: list[dict[str, Any]]) -> tuple[str | None, str | None]:
        for server in servers:
            fault = server.get("fault")
            if fault:
                return (self._error_class(fault.get("details"), fault["message"]),
                        fault["message"])
        return None, None

    def _error_class(self, traceback_text: str | None, details: str | None) -> str:
        return exception_class(traceback_text, details, self.cloud.exception_module) or "unknown"

    def _action_error(self, server_id: str, action_name: str, skip: bool
                      ) -> tuple[str | None, str | None]:
        """The error recorded by the newest ``action_name`` action on the server, if any."""
        if skip:
            return None, None
        for action in self.cloud.admin_api.get_instance_actions(server_id):
            if action["action"] != action_name:
                continue
            details = self.cloud.admin_api.get_instance_action_details(
                server_id, action["request_id"])
            for event in details["events"]:
                if event["result"] == "Error":
                    return (self._error_class(event.get("traceback"), event.get("details")),
                            event.get("details") or "")
            return None, None
        return None, None

