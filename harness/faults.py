"""Faults a scenario can give a compute host, the same way on both backends.

Each fault point is a method of the compute manager or of its virt driver that,
once the fault is set, raises what Nova's own tests make it raise: upstream's
regression tests stub ``ComputeManager._prep_resize`` with a bare Exception
(test_bug_1718512) and the driver's destination check with
MigrationPreCheckError. The method is replaced on that one host's manager or
driver object, so other hosts and other clouds are untouched, and a restarted
compute (a new manager) comes back without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NoReturn


@dataclass(frozen=True)
class FaultPoint:
    name: str
    # "manager" (the compute manager) or "driver" (its virt driver)
    target: str
    method: str
    # A class of the backend's exception module, or None for a bare Exception.
    error: str | None
    effect: str


FAULT_POINTS: dict[str, FaultPoint] = {p.name: p for p in (
    FaultPoint("prep_resize", "manager", "_prep_resize", None,
               "the host fails to prepare a resize or cold migration it was chosen for: "
               "the compute asks the conductor to try the next alternate"),
    FaultPoint("live_migration_check", "driver", "check_can_live_migrate_destination",
               "MigrationPreCheckError",
               "the host refuses to be a live migration's destination: the conductor "
               "asks the scheduler again, ignoring it"),
    FaultPoint("pre_live_migration", "driver", "pre_live_migration", None,
               "the host, chosen as a live migration's destination, fails to prepare "
               "for it: the source rolls the migration back"),
)}


def set_fault(manager: Any, point: FaultPoint, host: str, active: bool,
              exceptions: ModuleType) -> None:
    """Make ``point`` fail on the compute ``manager`` of ``host``, or stop failing."""
    owner = manager if point.target == "manager" else manager.driver
    if active:
        setattr(owner, point.method, _raising(point, host, exceptions))
    else:
        owner.__dict__.pop(point.method, None)


# What every injected fault's message says, so that explanations can tell it apart.
INJECTED = "injected fault at"


def _raising(point: FaultPoint, host: str, exceptions: ModuleType) -> Callable[..., NoReturn]:
    message = f"{host}: {INJECTED} {point.name}"

    def fail(*args: Any, **kwargs: Any) -> NoReturn:
        if point.error is None:
            raise Exception(message)
        raise getattr(exceptions, point.error)(reason=message)

    return fail
