"""The step types a scenario can use, by action name."""

from __future__ import annotations

from harness.scenario.steps.base import Step
from harness.scenario.steps.migrate_server import LiveMigrateStep
from harness.scenario.steps.servers import CreateStep
from harness.scenario.steps.services import SetServiceStep

STEP_TYPES: dict[str, type[Step]] = {cls.ACTION: cls for cls in (
    CreateStep,
    LiveMigrateStep,
    SetServiceStep,
)}

__all__ = ["STEP_TYPES", "CreateStep", "LiveMigrateStep", "SetServiceStep", "Step"]
