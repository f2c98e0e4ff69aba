"""Moves of the migrate_server controller: live migration (``os-migrateLive``) and
cold migration (``migrate``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.steps.base import ForceableMoveStep, MoveStep, at_least

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class LiveMigrateStep(ForceableMoveStep):
    ACTION: ClassVar[str] = "live-migrate"
    VERB: ClassVar[str] = "live-migrate"
    INSTANCE_ACTION: ClassVar[str] = "live-migration"
    FORCE_FROM: ClassVar[tuple[int, int]] = (2, 30)
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "block_migration": {"description": 'default: "auto" from 2.25, false before',
                            "enum": [True, False, "auto"]},
    }

    block_migration: bool | str | None = None

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        """As each microversion takes it: disk_over_commit until 2.24, "auto" from 2.25."""
        auto = at_least(self.microversion, (2, 25))
        default = "auto" if auto else False
        body: dict[str, Any] = {
            "block_migration": default if self.block_migration is None else self.block_migration,
            "host": target}
        if not auto:
            body["disk_over_commit"] = False
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

    def reads_host(self) -> bool:
        return at_least(self.microversion, (2, 56))

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"migrate": {"host": target} if target else None}
