"""Moves of the migrate_server controller: live migration (``os-migrateLive``) and
cold migration (``migrate``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.steps.base import MoveStep

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class LiveMigrateStep(MoveStep):
    ACTION: ClassVar[str] = "live-migrate"
    VERB: ClassVar[str] = "live-migrate"
    INSTANCE_ACTION: ClassVar[str] = "live-migration"
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "block_migration": {"enum": [True, False, "auto"]},
        "force": {"type": "boolean"},
        # Narrower than other actions': the harness sends os-migrateLive as from
        # 2.30 (block_migration "auto", force).
        "microversion": {
            "description": "a compute API microversion from 2.30 (os-migrateLive with force) "
                           "on, or latest",
            "type": "string",
            "pattern": r"^(latest|2\.(3[0-9]|[4-9][0-9]|10[0-4]))$",
        },
    }

    block_migration: bool | str = "auto"
    force: bool = False

    def forced(self) -> bool:
        return self.force

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"block_migration": self.block_migration, "host": target}
        if self.force:
            body["force"] = True
        return {"os-migrateLive": body}


@dataclass(frozen=True, kw_only=True)
class MigrateStep(MoveStep):
    """Cold migration: the conductor's MigrationTask asks the scheduler for a new host
    (with the server's own flavor); the server then waits in VERIFY_RESIZE. A target
    host is read from microversion 2.56 (admin only); before, it is ignored."""

    ACTION: ClassVar[str] = "migrate"
    VERB: ClassVar[str] = "cold-migrate"
    INSTANCE_ACTION: ClassVar[str] = "migrate"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"migrate": {"host": target} if target else None}
