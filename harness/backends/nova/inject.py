"""Re-introducing known bugs into the running Nova, in memory, for one run.

An injection rebuilds one function from its installed source with one
expression changed back to what the buggy release had, and puts it on the
class for the duration of a ``with`` block; nothing on disk is touched. If the
expression is not found exactly once (Nova changed), the injection refuses
rather than silently testing nothing.

Apply only after Nova's test packages are imported (monkey-patching done),
so the rebuilt function closes over the same, patched, module globals.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


class InjectionError(Exception):
    """The installed Nova does not contain the code an injection replaces."""


@dataclass(frozen=True)
class Injection:
    name: str
    summary: str
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


INJECTIONS: dict[str, Injection] = {
    injection.name: injection for injection in (
        Injection(
            name="pike-16.0.0",
            summary="bug #1718455: the scheduler requires RequestSpec.num_instances hosts "
                    "instead of one per instance UUID it was given",
            module="nova.scheduler.manager",
            cls="SchedulerManager",
            method="_schedule",
            fixed=("num_instances = (len(instance_uuids) if instance_uuids\n"
                   "                         else spec_obj.num_instances)"),
            buggy="num_instances = spec_obj.num_instances",
        ),
    )
}


def _rebuild(function: Callable[..., Any], old: str, new: str) -> Callable[..., Any]:
    lines, first_line = inspect.getsourcelines(function)
    source = "".join(lines)
    if source.count(old) != 1:
        raise InjectionError(
            f"expected the expression {old!r} exactly once in {function.__qualname__}, "
            f"found it {source.count(old)} time(s): this Nova differs from the one the "
            "injection was written for")
    # Same line count and a padded start: tracebacks point at the real lines.
    new += "\n" * (old.count("\n") - new.count("\n"))
    source = "\n" * (first_line - 1) + textwrap.dedent(source.replace(old, new))
    namespace: dict[str, Any] = {}
    exec(compile(source, inspect.getsourcefile(function) or "<injected>", "exec"),
         function.__globals__, namespace)
    rebuilt = namespace[function.__name__]
    rebuilt.__qualname__ = function.__qualname__
    rebuilt.__module__ = function.__module__
    return rebuilt
