"""What the scheduler decided in each select_destinations call, host by host.

Both backends record the same thing: the fake cloud's scheduler as it runs
(harness.cloud.scheduler), Nova's through read-only hooks on its host manager,
filter and weigher handlers (harness.backends.nova.scheduling). ``harness
explain`` prints it, ``diff`` compares it, and a failing step's "why" quotes
the part that decided the outcome (harness.scenario.why).

Hosts go by name, never by provider UUID, so two clouds' records compare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Why a filter removed a host, in the words both backends use: Nova's filters log
# their reasons in sentences that name the host state, mapped to these.
SERVICE_DISABLED = "service disabled"
SERVICE_DOWN = "service down"

# The host manager's own checks of the RequestSpec, before any filter, in Nova's order.
REQUESTED_DESTINATION = "RequestSpec.requested_destination"
IGNORE_HOSTS = "RequestSpec.ignore_hosts"
FORCE_HOSTS = "RequestSpec.force_hosts"
FORCE_NODES = "RequestSpec.force_nodes"


@dataclass
class FilterVerdict:
    """One filter, or one of the host manager's RequestSpec checks, over one pass's
    hosts: those it removed, each with the reason Nova logs (None where it logs none)."""

    name: str
    removed: dict[str, str | None] = field(default_factory=dict)
    # For the anti-affinity filter: the group's members the scheduler counted on each
    # host it removed. The scheduler's view of a host is what its compute last
    # reported, which can differ from the database; recorded as instance UUIDs, named
    # ("server 0") by the runner, which knows the scenario's servers.
    counted: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def why_removed(self, host: str) -> str:
        """Why it removed ``host``, in a sentence's words; "" when nothing says."""
        parts = [self.removed[host] or ""]
        if host in self.counted:
            parts.append(f"the scheduler counts {', '.join(self.counted[host])} "
                         "of the group there")
        return "; ".join(p for p in parts if p)


@dataclass(slots=True)
class HostWeight:
    host: str
    weight: float
    # Each weigher's share of the weight (multiplier * normalized value), those not 0,
    # by weigher name (Nova's order of weighers is its modules' order on disk).
    scores: tuple[tuple[str, float], ...] = ()


@dataclass
class SortPass:
    """One _get_sorted_hosts: the hosts for the index-th instance of the call (a
    repeated index: for its alternates), narrowed, filtered and weighed."""

    index: int
    hosts: tuple[str, ...]
    checks: list[FilterVerdict] = field(default_factory=list)
    filters: list[FilterVerdict] = field(default_factory=list)
    # False when the filters did not run: forced hosts skip them, and Nova stops
    # when ignore_hosts left nothing.
    filtered: bool = True
    # Best first; None when no host was left to weigh.
    weighed: list[HostWeight] | None = None


@dataclass
class SchedulingCall:
    """One select_destinations call."""

    asked: int                       # instance UUIDs it was given
    num_instances: int | None        # RequestSpec.num_instances
    alternates: bool                 # whether the caller wants alternates
    # RequestSpec.force_hosts and ignore_hosts as the call was given them (the host
    # manager's log names only the hosts they removed from those still left).
    force_hosts: tuple[str, ...] = ()
    ignore_hosts: tuple[str, ...] = ()
    # Hosts with allocation candidates, as the host manager loaded them; None until
    # then (placement offered nothing, or the call failed before).
    offered: tuple[str, ...] | None = None
    # False for a rebuild: no placement query, every host is checked.
    placement: bool = True
    no_candidates: bool = False
    passes: list[SortPass] = field(default_factory=list)
    # Hosts selected (and claimed) and hosts required, as _ensure_sufficient_hosts
    # compared them.
    selected: int | None = None
    required: int | None = None
    # For each instance: the selected host and its alternates.
    selections: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    error: str | None = None         # the exception's class
    error_message: str | None = None

    def start_pass(self, index: int, hosts: tuple[str, ...]) -> SortPass:
        self.passes.append(SortPass(index, hosts))
        return self.passes[-1]


def narrowed(name: str, before: list[Any], after: list[Any]) -> FilterVerdict | None:
    """The verdict of a RequestSpec check that kept ``after`` of the host states
    ``before``; None when it removed nothing."""
    kept = {id(h) for h in after}
    removed = {h.host: None for h in before if id(h) not in kept}
    return FilterVerdict(name, removed) if removed else None


def render(call: SchedulingCall, number: int) -> list[str]:
    """The call as `harness explain` prints it."""
    counts = (f"{call.required} host(s) required, {call.selected} selected"
              if call.required is not None else "")
    lines = [f"select_destinations #{number}: {call.asked} instance(s) asked; "
             f"RequestSpec.num_instances = {call.num_instances}"
             + (f"; {counts}" if counts else "")]
    body = [_offered(call)]
    for i, sort_pass in enumerate(call.passes):
        heading = _pass_heading(call, i)
        inner = list(_render_pass(sort_pass))
        if heading:
            body.append(heading)
            body.extend(f"  {line}" for line in inner)
        else:
            body.extend(inner)
    body.extend(_render_selections(call))
    if call.error:
        body.append(f"raised {call.error}: {(call.error_message or '').strip()}")
    return lines + [f"  {line}" for line in body]


def _offered(call: SchedulingCall) -> str:
    if call.no_candidates:
        return "placement offered: nothing (no allocation candidates)"
    if call.offered is None:
        return "no host considered"
    hosts = ", ".join(sorted(call.offered)) or "none"
    if not call.placement:
        return f"no placement query (a rebuild checks the server's host): every host: {hosts}"
    return f"placement offered: {hosts}"


def _pass_heading(call: SchedulingCall, i: int) -> str:
    """Nova sorts the hosts once per instance and, for several instances with
    alternates, once more for the alternates (the same index again)."""
    if len(call.passes) == 1:
        return ""
    sort_pass = call.passes[i]
    if i > 0 and call.passes[i - 1].index == sort_pass.index:
        return "for the alternates:"
    return f"for instance {sort_pass.index + 1} of {call.asked}:"


def _render_pass(sort_pass: SortPass) -> Iterator[str]:
    yield from _removals(sort_pass.checks)
    left = [h for h in sort_pass.hosts
            if not any(h in v.removed for v in sort_pass.checks)]
    if not sort_pass.filtered:
        yield ("filters skipped: the request forces its host" if left
               else "filters not run: no host left")
    # Filters that removed nothing share a line: most do, most of the time.
    passing: list[str] = []
    for verdict in sort_pass.filters:
        if not verdict.removed:
            passing.append(verdict.name)
            continue
        if passing:
            yield f"{', '.join(passing)}: all {len(left)} host(s) passed"
            passing = []
        yield from _removals([verdict])
        left = [h for h in left if h not in verdict.removed]
    if passing:
        yield f"{', '.join(passing)}: all {len(left)} host(s) passed"
    if sort_pass.weighed is not None:
        yield "weighed: " + _render_weights(sort_pass.weighed)


def _removals(verdicts: list[FilterVerdict]) -> Iterator[str]:
    for verdict in verdicts:
        for host in verdict.removed:
            reason = verdict.why_removed(host)
            yield f"{verdict.name}: {host} removed" + (f": {reason}" if reason else "")


def _render_weights(weighed: list[HostWeight]) -> str:
    if len(weighed) == 1:
        return f"{weighed[0].host} (the only host: not weighed)"
    return ", ".join(
        f"{w.host} {w.weight:.2f}"
        + (" (" + ", ".join(f"{name} {score:.2f}" for name, score in w.scores) + ")"
           if w.scores else "")
        for w in weighed)


def _render_selections(call: SchedulingCall) -> Iterator[str]:
    if call.error and not call.selections:
        return
    for i, (host, alternates) in enumerate(call.selections):
        who = f"instance {i + 1}: " if len(call.selections) > 1 else ""
        alts = ", ".join(alternates) or "none"
        yield f"selected: {who}{host}; alternates: {alts}" if call.alternates else (
            f"selected: {who}{host}")


def fate(call: SchedulingCall, host: str) -> str:
    """What the call did with ``host``, one of the hosts it considered, in a sentence's
    words: the last pass that had it decides."""
    for sort_pass in reversed(call.passes):
        if host not in sort_pass.hosts:
            continue
        for verdict in (*sort_pass.checks, *sort_pass.filters):
            if host in verdict.removed:
                reason = verdict.why_removed(host)
                return f"{host} was removed by {verdict.name}" + (
                    f": {reason}" if reason else "")
        weighed = sort_pass.weighed or []
        if host in (s for s, _ in call.selections) or (weighed and weighed[0].host == host):
            return f"{host} was selected"
        for w in weighed:
            if w.host == host:
                return (f"{host} weighed {w.weight:.2f}, below {weighed[0].host} "
                        f"{weighed[0].weight:.2f}")
        return f"{host} passed the filters"
    return f"{host} was never filtered"


def observations(call: SchedulingCall, prefix: str,
                 host: Callable[[str], str | None]) -> Iterator[tuple[str, Any]]:
    """What ``diff`` compares of a call: hosts renamed by ``host``, sets sorted,
    weights rounded (the two clouds add the same scores in a different order)."""
    def names(hosts: Any) -> tuple[str | None, ...]:
        return tuple(sorted(map(host, hosts), key=str))

    yield f"{prefix} asked", (call.asked, call.num_instances, call.alternates)
    yield f"{prefix} hosts forced, ignored", (names(call.force_hosts), names(call.ignore_hosts))
    yield f"{prefix} hosts selected, required", (call.selected, call.required)
    yield f"{prefix} error", call.error
    yield f"{prefix} placement offered", (
        call.no_candidates, call.placement, None if call.offered is None
        else names(call.offered))
    for i, sort_pass in enumerate(call.passes):
        where = f"{prefix} pass {i + 1}"
        yield f"{where} instance, hosts", (sort_pass.index, names(sort_pass.hosts),
                                           sort_pass.filtered)
        for verdict in (*sort_pass.checks, *sort_pass.filters):
            yield f"{where} {verdict.name}", dict(sorted(
                ((host(h), r) for h, r in verdict.removed.items()), key=str))
            if verdict.counted:
                yield f"{where} {verdict.name} counted", dict(sorted(
                    ((host(h), members) for h, members in verdict.counted.items()),
                    key=str))
        yield f"{where} weighed", None if sort_pass.weighed is None else dict(sorted(
            ((host(w.host), (round(w.weight, 6),
                             tuple(sorted((n, round(s, 6)) for n, s in w.scores))))
             for w in sort_pass.weighed), key=str))
    yield f"{prefix} selected", tuple((host(h), names(alts)) for h, alts in call.selections)
