"""Steps on compute services: enable/disable and force down (os-services), and an
operator's restart of nova-compute."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.outcome import StepOutcome
from harness.scenario.steps.base import Names, Reference, Step

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class SetServiceStep(Step):
    ACTION: ClassVar[str] = "set-service"
    SUCCESS_STATUS: ClassVar[int] = 200
    ACTS_ON_SERVERS: ClassVar[bool] = False
    REQUIRED = ("host",)
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "host": {"$ref": "#/$defs/name"},
        "disabled": {"type": "boolean"},
        "forced_down": {"type": "boolean"},
    }

    host: str
    disabled: bool | None = None
    forced_down: bool | None = None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        # action, host and at least one change.
        return {**super().json_schema(), "minProperties": 3}

    def references(self, names: Names) -> Iterator[Reference]:
        return names.host("host", self.host, other_allowed=False)

    def named_hosts(self) -> set[str]:
        return {self.host}

    def describe(self) -> str:
        changes = [f"{k}={v}" for k, v in (("disabled", self.disabled),
                                             ("forced_down", self.forced_down)) if v is not None]
        return f"set compute service on {self.host}: {', '.join(changes)}"

    def run(self, runner: StepRunner) -> StepOutcome:
        services = runner.cloud.admin_api.get_services(host=self.host, binary="nova-compute")
        update: dict[str, Any] = {k: v for k, v in (("forced_down", self.forced_down),)
                                  if v is not None}
        if self.disabled is not None:
            update["status"] = "disabled" if self.disabled else "enabled"
        status, message, _ = runner.request(
            self, lambda api: api.put_service(services[0]["id"], update))
        return StepOutcome(step=self, api_status=status, api_message=message)


@dataclass(frozen=True, kw_only=True)
class RestartComputeStep(Step):
    """An operator restarts nova-compute on a host. At start-up it cleans up what was
    evacuated away while it was down: the guest, the source allocation, and the
    evacuation's migration goes from "done" to "completed"."""

    ACTION: ClassVar[str] = "restart-compute"
    SUCCESS_STATUS: ClassVar[int | None] = None
    ACTS_ON_SERVERS: ClassVar[bool] = False
    REQUIRED = ("host",)
    PROPERTIES: ClassVar[dict[str, Any]] = {"host": {"$ref": "#/$defs/name"}}

    host: str

    def references(self, names: Names) -> Iterator[Reference]:
        return names.host("host", self.host, other_allowed=False)

    def named_hosts(self) -> set[str]:
        return {self.host}

    def describe(self) -> str:
        return f"restart nova-compute on {self.host}"

    def run(self, runner: StepRunner) -> StepOutcome:
        runner.cloud.restart_compute(self.host)
        return StepOutcome(step=self, api_status=None)
