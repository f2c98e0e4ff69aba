"""Stopping and starting a server (os-stop, os-start): a stopped server's moves end
stopped, and some moves refuse it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.steps.base import ServerActionStep

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class StopStep(ServerActionStep):
    ACTION: ClassVar[str] = "stop"
    INSTANCE_ACTION: ClassVar[str] = "stop"

    def describe(self) -> str:
        return f"stop server {self.server}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"os-stop": None}


@dataclass(frozen=True, kw_only=True)
class StartStep(ServerActionStep):
    ACTION: ClassVar[str] = "start"
    INSTANCE_ACTION: ClassVar[str] = "start"

    def describe(self) -> str:
        return f"start server {self.server}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"os-start": None}
