"""What Nova's scheduler decided in each select_destinations call, read as it runs.

Read-only hooks, installed for the life of one cloud through its TestCase's
fixtures (so they undo themselves): each wraps one method of Nova's scheduler,
calls it unchanged and notes what went in and came out, into the record the
fake cloud's scheduler keeps too (harness.verdicts). Nothing of Nova's logic is
copied: the hosts come from the host manager's own HostStates, the reasons and
the weighers' scores from the debug lines Nova's filters and weight handler
log while the hooks run, the group members the anti-affinity filter counted on
a host from the host state and the request spec it compared, and the host
counts from the scheduler's own log line.

Imported by harness.backends.nova.cloud only: the hooked classes are Nova's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fixtures
from nova import filters as nova_filters
from nova import weights as nova_weights
from nova.scheduler import filters as host_filters
from nova.scheduler import host_manager, manager
from nova.scheduler.filters import affinity_filter
from oslo_messaging.rpc.dispatcher import ExpectedException

from harness import verdicts
from harness.backends.nova.logs import (
    HOST_COUNTS,
    NO_CANDIDATES,
    filter_reason,
    weigher_scores,
)


@dataclass
class _Call:
    """The select_destinations call a thread is in, with Nova's log records since."""

    record: verdicts.SchedulingCall
    records: list[logging.LogRecord] = field(default_factory=list)
    # The host states the filter handler was given in the current pass (None: not
    # called), and the verdict of the filter running.
    entering: list[Any] | None = None
    verdict: verdicts.FilterVerdict | None = None


class SchedulingRecorder(logging.Handler):
    """Installs the hooks; ``calls`` holds every call's record with the position of
    the cloud's log when it began."""

    def __init__(self, log_position: Callable[[], int]) -> None:
        super().__init__(logging.DEBUG)
        self.log_position = log_position
        self.calls: list[tuple[int, verdicts.SchedulingCall]] = []
        # Nova serves each message in a thread (or green thread) of its own.
        self._local = threading.local()

    def install(self, case: Any) -> None:
        hooks: list[tuple[Any, str, Callable[[Callable[..., Any]], Callable[..., Any]]]] = [
            (manager.SchedulerManager, "select_destinations", self._select_destinations),
            (host_manager.HostManager, "get_host_states_by_uuids", self._host_states),
            (host_manager.HostManager, "get_filtered_hosts", self._filtered_hosts),
            (nova_filters.BaseFilterHandler, "get_filtered_objects", self._filter_handler),
            (nova_filters.BaseFilter, "filter_all", self._filter_all),
            (host_filters.BaseHostFilter, "_filter_one", self._filter_one),
            (nova_weights.BaseWeightHandler, "get_weighed_objects", self._weighed),
        ]
        for owner, name, hook in hooks:
            path = f"{owner.__module__}.{owner.__qualname__}.{name}"
            case.useFixture(fixtures.MonkeyPatch(path, hook(owner.__dict__[name])))
        logger = logging.getLogger("nova")
        logger.addHandler(self)
        case.addCleanup(logger.removeHandler, self)

    def emit(self, record: logging.LogRecord) -> None:
        call = self._current()
        if call is not None:
            call.records.append(record)

    def _current(self) -> _Call | None:
        return getattr(self._local, "call", None)

    # The hooks: each takes the original method and returns its replacement.

    def _select_destinations(self, original: Callable[..., Any]) -> Callable[..., Any]:
        # Nova's signature (scheduler RPC API 4.5), spelled out: the method is
        # wrapped in oslo.messaging's expected_exceptions, which hides it.
        def select_destinations(
            scheduler: Any, context: Any, request_spec: Any = None,
            filter_properties: Any = None, spec_obj: Any = manager.SchedulerManager._sentinel,
            instance_uuids: Any = None, return_objects: bool = False,
            return_alternates: bool = False,
        ) -> Any:
            record = verdicts.SchedulingCall(
                len(instance_uuids or []), getattr(spec_obj, "num_instances", None),
                alternates=bool(return_alternates and return_objects),
                force_hosts=tuple(_field(spec_obj, "force_hosts") or ()),
                ignore_hosts=tuple(_field(spec_obj, "ignore_hosts") or ()))
            self.calls.append((self.log_position(), record))
            call = self._local.call = _Call(record)
            try:
                selections = original(scheduler, context, request_spec, filter_properties,
                                      spec_obj, instance_uuids, return_objects,
                                      return_alternates)
            except Exception as exc:
                # A NoValidHost crosses expected_exceptions wrapped.
                error = exc.exc_info[1] if isinstance(exc, ExpectedException) else exc
                record.error, record.error_message = type(error).__name__, str(error)
                _read_counts(call)
                raise
            finally:
                self._local.call = None
            record.selected = record.required = len(selections)
            record.selections = [
                (_host(s[0]), tuple(_host(a) for a in s[1:])) for s in selections]
            return selections

        return select_destinations

    def _host_states(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def get_host_states_by_uuids(hm: Any, context: Any, compute_uuids: Any,
                                     spec_obj: Any) -> Any:
            states = list(original(hm, context, compute_uuids, spec_obj))
            call = self._current()
            if call is not None:
                call.record.offered = tuple(s.host for s in states)
                call.record.placement = compute_uuids is not None
            return iter(states)

        return get_host_states_by_uuids

    def _filtered_hosts(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def get_filtered_hosts(hm: Any, hosts: Any, spec_obj: Any, index: int = 0) -> Any:
            call = self._current()
            if call is None:
                return original(hm, hosts, spec_obj, index)
            hosts = list(hosts)
            sort_pass = call.record.start_pass(index, tuple(h.host for h in hosts))
            call.entering = None
            result = list(original(hm, hosts, spec_obj, index))
            sort_pass.filtered = call.entering is not None
            left = result if call.entering is None else call.entering
            sort_pass.checks = _checks(spec_obj, hosts, left)
            return result

        return get_filtered_hosts

    def _filter_handler(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def get_filtered_objects(handler: Any, filters: Any, objs: Any, spec_obj: Any,
                                 index: int = 0) -> Any:
            call = self._current()
            if call is None:
                return original(handler, filters, objs, spec_obj, index)
            call.entering = list(objs)
            return original(handler, filters, call.entering, spec_obj, index)

        return get_filtered_objects

    def _filter_all(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def filter_all(filter_: Any, filter_obj_list: Any, spec_obj: Any) -> Any:
            call = self._current()
            if call is None or not call.record.passes:
                return original(filter_, filter_obj_list, spec_obj)
            verdict = call.verdict = verdicts.FilterVerdict(type(filter_).__name__)
            call.record.passes[-1].filters.append(verdict)
            # Run now rather than as the handler reads it, so that each host's
            # verdict is taken while this filter is the one running.
            try:
                return iter(list(original(filter_, filter_obj_list, spec_obj)))
            finally:
                call.verdict = None

        return filter_all

    def _filter_one(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def _filter_one(filter_: Any, obj: Any, spec: Any) -> Any:
            call = self._current()
            if call is None or call.verdict is None:
                return original(filter_, obj, spec)
            mark = len(call.records)
            passed = original(filter_, obj, spec)
            if not passed:
                call.verdict.removed[obj.host] = filter_reason(call.records[mark:])
                if isinstance(filter_, affinity_filter.ServerGroupAntiAffinityFilter):
                    # What the filter compared: the host state's instances, as the
                    # computes reported them, and the group's members.
                    call.verdict.counted[obj.host] = tuple(sorted(
                        set(obj.instances) & set(spec.instance_group.members)))
            return passed

        return _filter_one

    def _weighed(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def get_weighed_objects(handler: Any, weighers: Any, obj_list: Any,
                                weighing_properties: Any) -> Any:
            call = self._current()
            if call is None or not call.record.passes:
                return original(handler, weighers, obj_list, weighing_properties)
            mark = len(call.records)
            weighed = original(handler, weighers, obj_list, weighing_properties)
            scores = weigher_scores(call.records[mark:])
            call.record.passes[-1].weighed = [
                verdicts.HostWeight(w.obj.host, w.weight,
                                   tuple(sorted(scores.get(w.obj.host, ()))))
                for w in weighed]
            return weighed

        return get_weighed_objects


def _host(selection: Any) -> str:
    """A Selection's host; older conductors get dicts."""
    return selection["host"] if isinstance(selection, dict) else selection.service_host


def _read_counts(call: _Call) -> None:
    for record in call.records:
        message = record.getMessage()
        if NO_CANDIDATES in message:
            call.record.no_candidates = True
        elif match := HOST_COUNTS.search(message):
            call.record.selected, call.record.required = map(int, match.groups())


def _checks(spec_obj: Any, before: list[Any], left: list[Any]) -> list[verdicts.FilterVerdict]:
    """The host manager's RequestSpec checks that removed the hosts in ``before`` but
    not in ``left``, each host put down to the first check, in Nova's order, whose
    field rules it out (Nova logs the outcome, not which check removed which host)."""
    kept = {id(h) for h in left}
    removed = [h for h in before if id(h) not in kept]
    destination = _field(spec_obj, "requested_destination")
    ignored = {h.lower() for h in _field(spec_obj, "ignore_hosts") or ()}
    forced = {h.lower() for h in _field(spec_obj, "force_hosts") or ()}
    forced_nodes = set(_field(spec_obj, "force_nodes") or ())
    found: dict[str, verdicts.FilterVerdict] = {}
    for host in removed:
        if destination is not None and _field(destination, "host") and (
                host.host != destination.host
                or (_field(destination, "node") and host.nodename != destination.node)):
            name = verdicts.REQUESTED_DESTINATION
        elif host.host.lower() in ignored:
            name = verdicts.IGNORE_HOSTS
        elif forced and host.host.lower() not in forced:
            name = verdicts.FORCE_HOSTS
        elif forced_nodes:
            name = verdicts.FORCE_NODES
        else:
            continue
        found.setdefault(name, verdicts.FilterVerdict(name)).removed[host.host] = None
    order = (verdicts.REQUESTED_DESTINATION, verdicts.IGNORE_HOSTS, verdicts.FORCE_HOSTS,
             verdicts.FORCE_NODES)
    return [found[name] for name in order if name in found]


def _field(obj: Any, name: str) -> Any:
    """A Nova object's field, None when unset (reading it would try to lazy-load)."""
    return getattr(obj, name, None) if obj.obj_attr_is_set(name) else None
