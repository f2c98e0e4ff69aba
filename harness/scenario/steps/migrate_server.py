"""Moves of the migrate_server controller: live migration (``os-migrateLive``) and
cold migration (``migrate``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.steps.base import HOST_REF, ServerActionStep

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class LiveMigrateStep(ServerActionStep):
    ASKS_SCHEDULER: ClassVar[bool] = True
    ACTION: ClassVar[str] = "live-migrate"
    INSTANCE_ACTION: ClassVar[str] = "live-migration"
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "host": HOST_REF,
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

    host: str | None = None
    block_migration: bool | str = "auto"
    force: bool = False

    def target_ref(self) -> str | None:
        return self.host

    def describe(self) -> str:
        target = f"to {self.host}" if self.host else "(scheduler picks the host)"
        forced = " forced" if self.force else ""
        return f"live-migrate server {self.server} {target}{forced}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"block_migration": self.block_migration, "host": target}
        if self.force:
            body["force"] = True
        return {"os-migrateLive": body}


@dataclass(frozen=True, kw_only=True)
class MigrateStep(ServerActionStep):
    """Cold migration: the conductor's MigrationTask asks the scheduler for a new host
    (with the server's own flavor); the server then waits in VERIFY_RESIZE."""

    ASKS_SCHEDULER: ClassVar[bool] = True
    ACTION: ClassVar[str] = "migrate"
    INSTANCE_ACTION: ClassVar[str] = "migrate"
    PROPERTIES: ClassVar[dict[str, Any]] = {"host": HOST_REF}

    # A target host is read from microversion 2.56 (admin only); before, ignored.
    host: str | None = None

    def target_ref(self) -> str | None:
        return self.host

    def describe(self) -> str:
        target = f"to {self.host}" if self.host else "(scheduler picks the host)"
        return f"cold-migrate server {self.server} {target}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"migrate": {"host": target} if target else None}
