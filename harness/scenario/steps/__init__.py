"""The step types a scenario can use, by action name."""

from __future__ import annotations

from harness.scenario.steps.base import Step
from harness.scenario.steps.evacuate import EvacuateStep
from harness.scenario.steps.migrate_server import LiveMigrateStep, MigrateStep
from harness.scenario.steps.power import StartStep, StopStep
from harness.scenario.steps.resize import (
    ConfirmResizeStep,
    RebuildStep,
    ResizeStep,
    RevertResizeStep,
)
from harness.scenario.steps.servers import (
    CreateServerGroupStep,
    CreateStep,
    DeleteServerGroupStep,
    DeleteStep,
)
from harness.scenario.steps.services import (
    ComputeFaultStep,
    RestartComputeStep,
    SchedulerFaultStep,
    SetServiceStep,
)
from harness.scenario.steps.shelve import ShelveOffloadStep, ShelveStep, UnshelveStep

STEP_TYPES: dict[str, type[Step]] = {cls.ACTION: cls for cls in (
    CreateStep,
    DeleteStep,
    StopStep,
    StartStep,
    CreateServerGroupStep,
    DeleteServerGroupStep,
    LiveMigrateStep,
    MigrateStep,
    ResizeStep,
    ConfirmResizeStep,
    RevertResizeStep,
    EvacuateStep,
    RebuildStep,
    ShelveStep,
    ShelveOffloadStep,
    UnshelveStep,
    SetServiceStep,
    RestartComputeStep,
    ComputeFaultStep,
    SchedulerFaultStep,
)}

__all__ = ["STEP_TYPES", "Step"]
