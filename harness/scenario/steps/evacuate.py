"""evacuate: rebuild a server on another host while its own compute is down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.steps.base import ForceableMoveStep, at_least

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class EvacuateStep(ForceableMoveStep):
    """Without a host (or with one not forced) the conductor asks the scheduler, with
    the source ignored; a forced host bypasses it. From 2.95 the server ends stopped."""

    ACTION: ClassVar[str] = "evacuate"
    VERB: ClassVar[str] = "evacuate"
    INSTANCE_ACTION: ClassVar[str] = "evacuate"
    SUCCESS_STATUS: ClassVar[int | None] = 200
    FORCE_FROM: ClassVar[tuple[int, int]] = (2, 29)

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        """As each microversion takes it: onSharedStorage until 2.13 (the fake driver's
        and Nova's fake virt driver's disks are not shared)."""
        body: dict[str, Any] = {}
        if not at_least(self.microversion, (2, 14)):
            body["onSharedStorage"] = False
        if target:
            body["host"] = target
        if self.force:
            body["force"] = True
        return {"evacuate": body}
