"""Steps on services: enable/disable and force down (os-services), an operator's
restart of nova-compute, and a fault on a host's compute. Each names its host, or
a server whose host (now, or last) it is: "the compute service of server 0's
host". And a fault in nova-scheduler, which names no host."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.faults import FAULT_POINTS
from harness.scenario.outcome import StepOutcome
from harness.scenario.steps.base import SERVER_INDEX, Names, Reference, Step

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class ServiceStep(Step):
    ACTS_ON_SERVERS: ClassVar[bool] = False

    host: str | None = None
    server: int | None = None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = super().json_schema()
        schema["properties"] = {
            "host": {"$ref": "#/$defs/name"},
            "server": {**SERVER_INDEX, "description": "the server whose host it is"},
            **schema["properties"]}
        which = "a host, or a server whose host it is"
        schema["oneOf"] = [{"required": ["host"], "description": which},
                           {"required": ["server"], "description": which}]
        return schema

    def references(self, names: Names) -> Iterator[Reference]:
        if self.server is not None:
            return names.server(self.server, deleted_too=True)
        return names.host("host", self.host, refs_allowed=False)

    def named_hosts(self) -> set[str]:
        return {self.host} if self.host else set()

    def where(self) -> str:
        return self.host or f"the host of server {self.server}"

    def describe_outcome(self, result: StepOutcome) -> str:
        text = self.describe()
        if self.host is None:
            text += f" ({result.refs.get('@target')})"
        return text

    def resolve_host(self, runner: StepRunner) -> str | None:
        if self.server is None:
            return self.host
        return runner.last_host(self.server)

    def not_run(self) -> StepOutcome:
        """The outcome of a step naming a server that was never on a host."""
        return StepOutcome(step=self, api_status=None, api_message=(
            f"server {self.server} was never on a host: an earlier step failed"))


@dataclass(frozen=True, kw_only=True)
class SetServiceStep(ServiceStep):
    ACTION: ClassVar[str] = "set-service"
    SUCCESS_STATUS: ClassVar[int | None] = 200
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "disabled": {"type": "boolean"},
        "forced_down": {"type": "boolean"},
    }

    disabled: bool | None = None
    forced_down: bool | None = None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = super().json_schema()
        change = "a change: disabled and/or forced_down"
        schema["anyOf"] = [{"required": ["disabled"], "description": change},
                           {"required": ["forced_down"], "description": change}]
        return schema

    def describe(self) -> str:
        changes = [f"{k}={v}" for k, v in (("disabled", self.disabled),
                                             ("forced_down", self.forced_down)) if v is not None]
        return f"set compute service on {self.where()}: {', '.join(changes)}"

    def run(self, runner: StepRunner) -> StepOutcome:
        host = self.resolve_host(runner)
        if host is None:
            return self.not_run()
        services = runner.cloud.admin_api.get_services(host=host, binary="nova-compute")
        update: dict[str, Any] = {k: v for k, v in (("forced_down", self.forced_down),)
                                  if v is not None}
        if self.disabled is not None:
            update["status"] = "disabled" if self.disabled else "enabled"
        status, message, _ = runner.request(
            self, lambda api: api.put_service(services[0]["id"], update))
        return StepOutcome(step=self, api_status=status, api_message=message,
                           refs={"@target": host})


@dataclass(frozen=True, kw_only=True)
class RestartComputeStep(ServiceStep):
    """An operator restarts nova-compute on a host. At start-up it cleans up what was
    evacuated away while it was down: the guest, the source allocation, and the
    evacuation's migration goes from "done" to "completed"."""

    ACTION: ClassVar[str] = "restart-compute"
    SUCCESS_STATUS: ClassVar[int | None] = None

    def describe(self) -> str:
        return f"restart nova-compute on {self.where()}"

    def run(self, runner: StepRunner) -> StepOutcome:
        host = self.resolve_host(runner)
        if host is None:
            return self.not_run()
        runner.cloud.restart_compute(host)
        runner.changed()
        return StepOutcome(step=self, api_status=None, refs={"@target": host})


def _fault_points(on_host: bool) -> dict[str, Any]:
    points = [p for p in FAULT_POINTS.values() if p.on_host == on_host]
    return {"description": "where it fails: " + "; ".join(
        f"{p.name}: {p.effect}" for p in points), "enum": [p.name for p in points]}


@dataclass(frozen=True, kw_only=True)
class _FaultSwitch:
    """A fault point turned on from a step on, or off again (``active = false``)."""

    SUCCESS_STATUS: ClassVar[int | None] = None
    REQUIRED = ("at",)

    at: str
    active: bool = True

    def switched(self, service: str) -> str:
        return f"{service} {'fails' if self.active else 'no longer fails'} at {self.at}"


@dataclass(frozen=True, kw_only=True)
class ComputeFaultStep(_FaultSwitch, ServiceStep):
    """A fault on a host's compute, from this step on (or off again), as Nova's own tests
    stub one: see harness.faults for what each point does."""

    ACTION: ClassVar[str] = "compute-fault"
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "at": _fault_points(on_host=True), "active": {"type": "boolean"}}

    def describe(self) -> str:
        return self.switched(f"nova-compute on {self.where()}")

    def run(self, runner: StepRunner) -> StepOutcome:
        host = self.resolve_host(runner)
        if host is None:
            return self.not_run()
        runner.cloud.set_fault(FAULT_POINTS[self.at], host, self.active)
        return StepOutcome(step=self, api_status=None, refs={"@target": host})


@dataclass(frozen=True, kw_only=True)
class SchedulerFaultStep(_FaultSwitch, Step):
    """A fault in nova-scheduler, from this step on (or off again)."""

    ACTION: ClassVar[str] = "scheduler-fault"
    ACTS_ON_SERVERS: ClassVar[bool] = False
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "at": _fault_points(on_host=False), "active": {"type": "boolean"}}

    def describe(self) -> str:
        return self.switched("nova-scheduler")

    def run(self, runner: StepRunner) -> StepOutcome:
        runner.cloud.set_fault(FAULT_POINTS[self.at], None, self.active)
        return StepOutcome(step=self, api_status=None)
