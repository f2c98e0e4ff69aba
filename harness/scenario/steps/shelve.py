"""shelve, shelve-offload and unshelve. Unshelving an offloaded server is a move:
the conductor asks the scheduler for a host for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.model import NO_HOST
from harness.scenario.steps.base import MoveStep, ServerActionStep, at_least

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class ShelveStep(ServerActionStep):
    """Shelve; with shelved_offload_time 0 (Nova's default) also offload at once."""

    ACTION: ClassVar[str] = "shelve"
    INSTANCE_ACTION: ClassVar[str] = "shelve"
    MIGRATION = None

    def describe(self) -> str:
        return f"shelve server {self.server}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"shelve": None}


@dataclass(frozen=True, kw_only=True)
class ShelveOffloadStep(ServerActionStep):
    ACTION: ClassVar[str] = "shelve-offload"
    INSTANCE_ACTION: ClassVar[str] = "shelveOffload"
    MIGRATION = None

    def describe(self) -> str:
        return f"offload shelved server {self.server}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"shelveOffload": None}


@dataclass(frozen=True, kw_only=True)
class UnshelveStep(MoveStep):
    """Unshelve; into an availability zone from 2.77 ("none" unpins it, from 2.91), to a
    host from 2.91 (admin only)."""

    ACTION: ClassVar[str] = "unshelve"
    VERB: ClassVar[str] = "unshelve"
    INSTANCE_ACTION: ClassVar[str] = "unshelve"
    MIGRATION = None
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "availability_zone": {"description": "a zone name, or none to unpin",
                              "$ref": "#/$defs/name"},
    }

    availability_zone: str | None = None

    def describe(self) -> str:
        text = super().describe()
        if self.availability_zone is not None:
            text += f" in zone {self.availability_zone}"
        return text

    def reads_host(self) -> bool:
        """From 2.77 (2.77 to 2.90 refuse it)."""
        return at_least(self.microversion, (2, 77))

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.availability_zone is not None:
            body["availability_zone"] = (None if self.availability_zone == NO_HOST
                                         else self.availability_zone)
        if target:
            body["host"] = target
        return {"unshelve": body or None}
