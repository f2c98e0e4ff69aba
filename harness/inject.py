"""Known bugs, put back into the code under test for one run, in memory.

``--inject BUG`` rebuilds one function from its source with one expression
changed back to what the buggy release had, puts it on its class for the
duration of a ``with`` block, and restores the original after; nothing on
disk is touched. Each bug has two injections: one for real Nova, one for
the fake cloud's copy of the same code, so ``diff --inject BUG`` compares
the two with the same bug. If an expression is not found exactly once (the
installed Nova changed), the injection refuses rather than test nothing.

Injections patch classes, so they apply to services already running; the
nova one must be applied after Nova's test packages are imported, so that
the rebuilt function closes over the same monkey-patched module globals.
"""

from __future__ import annotations
import __future__

import contextlib
import importlib
import inspect
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


class InjectionError(Exception):
    """The code does not contain the expression an injection replaces."""


@dataclass(frozen=True)
class Injection:
    module: str
    cls: str
    method: str
    fixed: str
    buggy: str

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        owner = getattr(importlib.import_module(self.module), self.cls)
        original = owner.__dict__[self.method]
        setattr(owner, self.method, _rebuild(original, self.fixed, self.buggy))
        try:
            yield
        finally:
            setattr(owner, self.method, original)


@dataclass(frozen=True)
class KnownBug:
    name: str
    # The Launchpad bug: scenarios listing it in their ``bugs`` must fail with it.
    number: str
    summary: str
    nova: Injection
    fake: Injection


KNOWN_BUGS: dict[str, KnownBug] = {bug.name: bug for bug in (
    KnownBug(
        name="pike-16.0.0",
        number="1718455",
        summary="bug #1718455: the scheduler requires RequestSpec.num_instances hosts instead "
                "of one per instance UUID it was given",
        nova=Injection(
            "nova.scheduler.manager", "SchedulerManager", "_schedule",
            fixed=("num_instances = (len(instance_uuids) if instance_uuids\n"
                   "                         else spec_obj.num_instances)"),
            buggy="num_instances = spec_obj.num_instances"),
        fake=Injection(
            "harness.cloud.scheduler.manager", "SchedulerManager",
            "_num_instances_to_schedule",
            fixed="return len(instance_uuids) if instance_uuids else spec_obj.num_instances",
            buggy="return spec_obj.num_instances"),
    ),
    KnownBug(
        name="bug-1561357",
        number="1561357",
        summary="bug #1561357: a live migration reuses the hosts forced when the server "
                "was created (availability_zone 'nova:host')",
        nova=Injection(
            "nova.conductor.tasks.live_migrate", "LiveMigrationTask",
            "_get_request_spec_for_select_destinations",
            fixed="request_spec.reset_forced_destinations()",
            buggy="pass"),
        fake=Injection(
            "harness.cloud.conductor.tasks.live_migrate", "LiveMigrationTask",
            "_get_request_spec_for_select_destinations",
            fixed="request_spec.reset_forced_destinations()",
            buggy="pass"),
    ),
)}


def bug_injection(name: str | None, backend: str) -> contextlib.AbstractContextManager[None]:
    """What puts bug ``name`` into ``backend`` ("nova" or "fake") for a ``with`` block;
    nothing for None. An unknown name is a KeyError naming the known ones."""
    if name is None:
        return contextlib.nullcontext()
    if name not in KNOWN_BUGS:
        raise KeyError(f"unknown injection {name!r}; known: {', '.join(KNOWN_BUGS)}")
    return getattr(KNOWN_BUGS[name], backend).applied()


def _rebuild(function: Callable[..., Any], old: str, new: str) -> Callable[..., Any]:
    lines, first_line = inspect.getsourcelines(function)
    source = "".join(lines)
    if source.count(old) != 1:
        raise InjectionError(
            f"expected the expression {old!r} exactly once in {function.__qualname__}, "
            f"found it {source.count(old)} time(s): this code differs from the one the "
            "injection was written for")
    # Same line count and a padded start: tracebacks point at the real lines.
    new += "\n" * (old.count("\n") - new.count("\n"))
    source = "\n" * (first_line - 1) + textwrap.dedent(source.replace(old, new))
    namespace: dict[str, Any] = {}
    # Annotations stay strings, as under "from __future__ import annotations".
    code = compile(source, inspect.getsourcefile(function) or "<injected>", "exec",
                   flags=__future__.annotations.compiler_flag, dont_inherit=True)
    exec(code, function.__globals__, namespace)
    rebuilt = namespace[function.__name__]
    rebuilt.__qualname__ = function.__qualname__
    rebuilt.__module__ = function.__module__
    return rebuilt
