"""Known bugs, put back into the code under test for one run, in memory.

``--inject BUG`` rebuilds each function the bug's fix changed from its source,
with the fix's expression changed back to what the buggy release had, puts it
on its class for the duration of a ``with`` block, and restores the original
after; nothing on disk is touched. Each bug has a patch for real Nova and one
for the fake cloud's copy of the same code, so ``diff --inject BUG`` compares
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
class Patch:
    """The injections that together put a bug back into one codebase: a fix may have
    changed more than one place (Nova 34 both clears per-request fields on save and
    refuses to load them back)."""

    injections: tuple[Injection, ...]

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for injection in self.injections:
                stack.enter_context(injection.applied())
            yield


@dataclass(frozen=True)
class KnownBug:
    name: str
    # The Launchpad bug: scenarios listing it in their ``bugs`` must fail with it.
    number: str
    summary: str
    # What went wrong, for a reader of ``list --bugs``: the request that leaves the
    # field behind (or the code that misreads it), the field, and the moves it breaks.
    operation: str
    field: str
    moves: tuple[str, ...]
    nova: Patch
    fake: Patch


def _patch(*injections: Injection) -> Patch:
    return Patch(injections)


_PER_REQUEST_SAVE = ("nova.objects.request_spec", "RequestSpec", "_get_update_primitives")
_PER_REQUEST_LOAD = ("nova.objects.request_spec", "RequestSpec", "_from_db_object")
_FAKE_SAVE = ("harness.cloud.objects", "RequestSpec", "to_db_primitive")
_FAKE_LOAD = ("harness.cloud.objects", "RequestSpec", "refresh_instance_group")

KNOWN_BUGS: dict[str, KnownBug] = {bug.name: bug for bug in (
    KnownBug(
        name="pike-16.0.0",
        number="1718455",
        summary="bug #1718455: the scheduler requires RequestSpec.num_instances hosts instead "
                "of one per instance UUID it was given",
        operation="a multi-create (min_count > 1) persists the size of the batch",
        field="num_instances",
        moves=("live-migrate", "migrate", "resize", "evacuate", "rebuild", "unshelve"),
        nova=_patch(Injection(
            "nova.scheduler.manager", "SchedulerManager", "_schedule",
            fixed=("num_instances = (len(instance_uuids) if instance_uuids\n"
                   "                         else spec_obj.num_instances)"),
            buggy="num_instances = spec_obj.num_instances")),
        fake=_patch(Injection(
            "harness.cloud.scheduler.manager", "SchedulerManager",
            "_num_instances_to_schedule",
            fixed="return len(instance_uuids) if instance_uuids else spec_obj.num_instances",
            buggy="return spec_obj.num_instances")),
    ),
    KnownBug(
        name="bug-1561357",
        number="1561357",
        summary="bug #1561357: a live migration reuses the hosts forced when the server "
                "was created (availability_zone 'nova:host')",
        operation="a create with a forced host (availability_zone 'nova:host') persists it",
        field="force_hosts",
        moves=("live-migrate",),
        nova=_patch(Injection(
            "nova.conductor.tasks.live_migrate", "LiveMigrationTask",
            "_get_request_spec_for_select_destinations",
            fixed="request_spec.reset_forced_destinations()",
            buggy="pass")),
        fake=_patch(Injection(
            "harness.cloud.conductor.tasks.live_migrate", "LiveMigrationTask",
            "_get_request_spec_for_select_destinations",
            fixed="request_spec.reset_forced_destinations()",
            buggy="pass")),
    ),
    KnownBug(
        name="bug-1781710",
        number="1781710",
        summary="bug #1781710: within a multi-create the scheduler does not count the "
                "servers it placed on a host, so an anti-affinity group's members can land "
                "together",
        operation="a multi-create into an anti-affinity server group (num_instances > 1, "
                  "instance_group)",
        field="instance_group",
        moves=(),
        nova=_patch(Injection(
            "nova.scheduler.manager", "SchedulerManager", "_consume_selected_host",
            fixed=("selected_host.instances[instance_uuid] = objects.Instance(\n"
                   "                    uuid=instance_uuid)"),
            buggy="pass")),
        fake=_patch(Injection(
            "harness.cloud.scheduler.manager", "SchedulerManager", "_consume_selected_host",
            fixed="selected_host.instances[instance_uuid] = instance_uuid",
            buggy="pass")),
    ),
    KnownBug(
        name="bug-1669054",
        number="1669054",
        summary="bug #1669054: a resize persists RequestSpec.ignore_hosts (its source host), "
                "and a later move that does not set its own ignores that host",
        operation="a resize or cold migration sets ignore_hosts = [source] and the conductor "
                  "saves the spec (for the new flavor)",
        field="ignore_hosts",
        moves=("unshelve", "rebuild"),
        nova=_patch(
            Injection(*_PER_REQUEST_SAVE,
                      fixed="'requested_resources', 'ignore_hosts'):",
                      buggy="'requested_resources'):"),
            Injection(*_PER_REQUEST_LOAD,
                      fixed="elif key in ('retry', 'ignore_hosts'):",
                      buggy="elif key in ('retry',):")),
        fake=_patch(Injection(
            *_FAKE_SAVE,
            fixed='for excluded in ("retry", "requested_destination", "ignore_hosts"):',
            buggy='for excluded in ("retry", "requested_destination"):')),
    ),
    KnownBug(
        name="bug-1815153",
        number="1815153",
        summary="bug #1815153: saving a RequestSpec clears its per-request fields in memory "
                "too, so a request that saves before it schedules loses its requested "
                "destination",
        operation="a request that saves the spec after setting requested_destination (an "
                  "unshelve to a named host saves it for the zone)",
        field="requested_destination",
        moves=("unshelve",),
        nova=_patch(Injection(*_PER_REQUEST_SAVE, fixed="spec = self.obj_clone()",
                              buggy="spec = self")),
        fake=_patch(Injection(*_FAKE_SAVE, fixed="spec = self.obj_clone()",
                              buggy="spec = self")),
    ),
    KnownBug(
        name="bug-1797580",
        number="1797580",
        summary="bug #1797580: a cold migration to a named host (2.56) persists "
                "RequestSpec.requested_destination, and a later move that names no host "
                "is pinned to that old target",
        operation="a cold migration or resize to a named host (2.56), or an unshelve to "
                  "one (2.91), saves the spec with requested_destination set",
        field="requested_destination",
        moves=("live-migrate", "evacuate", "unshelve"),
        nova=_patch(
            Injection(*_PER_REQUEST_SAVE,
                      fixed="for excluded in ('retry', 'requested_destination',",
                      buggy="for excluded in ('retry',"),
            Injection(*_PER_REQUEST_LOAD,
                      fixed="elif key in ('requested_destination', 'requested_resources',",
                      buggy="elif key in ('requested_resources',")),
        fake=_patch(Injection(
            *_FAKE_SAVE,
            fixed='for excluded in ("retry", "requested_destination", "ignore_hosts"):',
            buggy='for excluded in ("retry", "ignore_hosts"):')),
    ),
    KnownBug(
        name="bug-1890244",
        number="1890244",
        summary="bug #1890244: a RequestSpec whose server group was deleted keeps the group's "
                "scheduler hint, and the destination compute's late group check fails on it",
        operation="a create into a server group persists the hint scheduler_hints.group; "
                  "the group is deleted later",
        field="scheduler_hints.group",
        moves=("migrate", "evacuate"),
        nova=_patch(
            Injection(*_PER_REQUEST_LOAD,
                      fixed="spec.instance_group = None\n"
                            "                spec.scheduler_hints.pop('group', None)",
                      buggy="spec.instance_group = None"),
            Injection("nova.compute.manager", "ComputeManager",
                      "_validate_instance_group_policy",
                      fixed="try:\n"
                            "                    group = objects.InstanceGroup.get_by_hint(\n"
                            "                        context, group_hint\n"
                            "                    )\n"
                            "                except exception.InstanceGroupNotFound:\n"
                            "                    return",
                      buggy="group = objects.InstanceGroup.get_by_hint(context, group_hint)")),
        fake=_patch(
            Injection(*_FAKE_LOAD,
                      fixed='self.instance_group = None\n'
                            '            self.scheduler_hints.pop("group", None)',
                      buggy="self.instance_group = None"),
            Injection("harness.cloud.compute.manager", "ComputeManager",
                      "_validate_instance_group_policy",
                      fixed="try:\n"
                            "                group = InstanceGroup.get_by_uuid(self.db, hint)\n"
                            "            except exception.InstanceGroupNotFound:\n"
                            "                return",
                      buggy="group = InstanceGroup.get_by_uuid(self.db, hint)")),
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


def _rebuild(method: Any, old: str, new: str) -> Any:
    """``method`` (a function, or a staticmethod as found in a class's __dict__) with
    ``old`` replaced by ``new`` in its source, compiled in its own module's globals."""
    function: Callable[..., Any] = getattr(method, "__func__", method)
    if "__class__" in function.__code__.co_freevars:
        raise InjectionError(f"{function.__qualname__} uses super() without arguments, which "
                             "a function rebuilt outside its class cannot")
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
    inner = getattr(rebuilt, "__func__", rebuilt)  # the source keeps its decorators
    inner.__qualname__ = function.__qualname__
    inner.__module__ = function.__module__
    return rebuilt
