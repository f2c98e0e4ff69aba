"""Which scheduler the fake cloud runs: built-in drivers and user plug-ins.

The contract for a plug-in (``--scheduler package.module:Class``): a subclass
of ``harness.cloud.scheduler.manager.SchedulerManager`` that overrides the
methods its patch changes, keeping their signatures. The harness constructs
it as ``Class(rpc, db, config, trace)`` and serves it on the ``scheduler``
topic, so conductor calls reach its ``select_destinations`` exactly as Nova's
conductor reaches Nova's scheduler.
"""

from __future__ import annotations

import importlib

from harness.cloud.objects import RequestSpec
from harness.cloud.scheduler.manager import SchedulerManager


class PikeSchedulerManager(SchedulerManager):
    """Nova 16.0.0 (Pike): the host count comes from the persisted RequestSpec.

    Pike's FilterScheduler.select_destinations compared the hosts it selected
    with ``spec_obj.num_instances``. For a move of one server that was created
    with others (min_count > 1) that number is the size of the original batch,
    so one selected host never sufficed: NoValidHost (bug #1718455, fixed in
    16.0.2 and 17.0.0). Only the count is reverted; the rest is today's code,
    which is also what ``--inject pike-16.0.0`` does to real Nova.
    """

    def _num_instances_to_schedule(
        self, spec_obj: RequestSpec, instance_uuids: list[str] | None
    ) -> int:
        return spec_obj.num_instances


BUILTIN_SCHEDULERS: dict[str, type[SchedulerManager]] = {
    "fixed": SchedulerManager,
    "pike-16.0.0": PikeSchedulerManager,
}
DEFAULT_SCHEDULER = "fixed"


class SchedulerLoadError(Exception):
    """The --scheduler value names nothing usable; the message says why."""


def load_scheduler(name: str) -> type[SchedulerManager]:
    """A built-in driver by name, or a plug-in given as ``package.module:Class``."""
    if name in BUILTIN_SCHEDULERS:
        return BUILTIN_SCHEDULERS[name]
    if ":" not in name:
        raise SchedulerLoadError(
            f"unknown scheduler {name!r}: use one of {', '.join(BUILTIN_SCHEDULERS)} "
            "or a plug-in as package.module:Class")
    module_name, _, class_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise SchedulerLoadError(
            f"cannot import scheduler module {module_name!r}: "
            f"{type(exc).__name__}: {exc}") from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise SchedulerLoadError(f"module {module_name!r} has no attribute {class_name!r}")
    if not (isinstance(cls, type) and issubclass(cls, SchedulerManager)):
        raise SchedulerLoadError(
            f"{name} is not a subclass of harness.cloud.scheduler.manager.SchedulerManager")
    return cls
