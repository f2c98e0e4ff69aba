"""evacuate: rebuild a server on another host while its own compute is down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.steps.base import MoveStep

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class EvacuateStep(MoveStep):
    """Without a host (or with one not forced) the conductor asks the scheduler, with
    the source ignored; a forced host bypasses it. From 2.95 the server ends stopped."""

    ACTION: ClassVar[str] = "evacuate"
    VERB: ClassVar[str] = "evacuate"
    INSTANCE_ACTION: ClassVar[str] = "evacuate"
    SUCCESS_STATUS: ClassVar[int | None] = 200
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "force": {"type": "boolean"},
        # The harness sends the body of 2.14 on (no onSharedStorage).
        "microversion": {
            "description": "a compute API microversion from 2.14 on, or latest",
            "type": "string",
            "pattern": r"^(latest|2\.(1[4-9]|[2-9][0-9]|10[0-4]))$",
        },
    }

    force: bool = False

    def forced(self) -> bool:
        return self.force

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if target:
            body["host"] = target
        if self.force:
            body["force"] = True
        return {"evacuate": body}
