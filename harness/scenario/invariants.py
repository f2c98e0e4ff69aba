"""What must hold after every step of every scenario, whatever the scenario expects.

A scenario's expectations say what its author thought of; these say what no
correct Nova ever shows, so a broken scheduler, conductor or compute (or a broken
fake cloud) is caught even by scenarios that were not written for it. Each
violation fails the step with the invariant's name and the values that broke it.
Placement's side is checked exactly by ``checks.expected_allocations`` (every
server holds its flavor on its node, a move in progress holds the source as its
own consumer, nothing else holds anything, a finished migration holds nothing);
here is the rest, and that a request refused as forbidden changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from harness.scenario.mismatch import Mismatch
from harness.scenario.outcome import Allocations, ServerState, StepOutcome
from harness.scenario.stale import PER_REQUEST_FIELDS, persisted_fields

# Servers that may have no host: never placed, or shelved away (Nova clears the host).
_HOSTLESS_VM_STATES = ("building", "error", "shelved_offloaded")


def violations(nodes: Mapping[str, Collection[str]], result: StepOutcome,
               before: StepOutcome | None = None,
               expected_bug: str | None = None) -> Iterator[Mismatch]:
    """What is wrong after the step ``result`` in a cloud of the given hosts' nodes;
    ``before`` is the step before it. A scenario that expects a bug (``expected_bug``)
    expects the field it leaks persisted."""
    yield from state_violations(nodes, result.all_servers, result.allocations,
                                result.capacities, settled=result.settled)
    yield from _per_request_fields_not_persisted(result, expected_bug)
    if before is not None and result.api_status == 403:
        yield from _refused_request_changes_nothing(before, result)


def state_violations(nodes: Mapping[str, Collection[str]], servers: tuple[ServerState, ...],
                     allocations: Allocations, capacities: Mapping[str, Mapping[str, int]],
                     settled: bool = True) -> Iterator[Mismatch]:
    """What is wrong with a cloud's state, whatever led to it."""
    yield from _servers_on_known_nodes(nodes, servers)
    if settled:
        yield from _no_task_state_left(servers)
    yield from _usage_within_capacity(allocations, capacities)


def _servers_on_known_nodes(nodes: Mapping[str, Collection[str]],
                            servers: tuple[ServerState, ...]) -> Iterator[Mismatch]:
    """Every server is on one host and one of that host's nodes (a host of a scenario
    has one node, named as the host), or on none in a state that has none."""
    for server in servers:
        what = f"invariant server-on-a-known-node: server {server.index}"
        if server.host is None and server.node is None:
            if server.vm_state not in _HOSTLESS_VM_STATES:
                yield Mismatch(what, f"a host, or a vm_state of {', '.join(_HOSTLESS_VM_STATES)}",
                               f"no host in vm_state {server.vm_state}")
        elif server.node not in nodes.get(server.host or "", ()):
            known = ", ".join(f"{host}/{node}" for host in sorted(nodes)
                              for node in sorted(nodes[host]))
            yield Mismatch(what, f"host/node one of {known}",
                           f"host {server.host}, node {server.node}")


def _no_task_state_left(servers: tuple[ServerState, ...]) -> Iterator[Mismatch]:
    """Once a step has settled, no server is still in the middle of a task."""
    for server in servers:
        if server.task_state is not None:
            yield Mismatch(f"invariant no-task-state-left: server {server.index}",
                           "task_state None once the step settled",
                           f"task_state {server.task_state} ({server.status})")


def _usage_within_capacity(allocations: Allocations,
                           capacities: Mapping[str, Mapping[str, int]]) -> Iterator[Mismatch]:
    """No provider has more allocated than its capacity."""
    used: dict[str, dict[str, int]] = {}
    for providers in allocations.values():
        for provider, resources in providers.items():
            for rc, amount in resources.items():
                used.setdefault(provider, {})[rc] = used.get(provider, {}).get(rc, 0) + amount
    for provider, resources in sorted(used.items()):
        capacity = capacities.get(provider, {})
        for rc, amount in sorted(resources.items()):
            if amount > capacity.get(rc, 0):
                yield Mismatch(f"invariant usage-within-capacity: {provider}.{rc}",
                               f"at most {capacity.get(rc, 0)}", f"{amount} allocated")


def _per_request_fields_not_persisted(result: StepOutcome,
                                      expected_bug: str | None) -> Iterator[Mismatch]:
    """A RequestSpec as persisted never holds what Nova keeps for one request only
    (ignore_hosts, requested_destination, retry): each of them, leaked, was a bug of
    the stale-RequestSpec family."""
    for index, spec in sorted(result.request_specs.items()):
        for name, value in persisted_fields(spec).items():
            bug = PER_REQUEST_FIELDS[name]
            if bug != expected_bug:
                yield Mismatch(
                    f"invariant per-request-fields-not-persisted: server {index} "
                    f"RequestSpec.{name}", f"not persisted (bug #{bug} persisted it)",
                    repr(list(value) if isinstance(value, tuple) else value))


def _refused_request_changes_nothing(before: StepOutcome,
                                     result: StepOutcome) -> Iterator[Mismatch]:
    """A request refused as forbidden (403: policy, or a quota) leaves everything as it
    was after the step before: every server, every migration, placement, and no
    instance action recorded."""
    what = "invariant refused-request-changes-nothing"
    if result.actions:
        yield Mismatch(f"{what}: instance actions", "none recorded",
                       ", ".join(action.action for action in result.actions))
    old_servers = {server.index: server for server in before.all_servers}
    for server in result.all_servers:
        if old_servers.get(server.index) != server:
            yield Mismatch(f"{what}: server {server.index}",
                           str(old_servers.get(server.index)), str(server))
    if before.all_migrations != result.all_migrations:
        yield Mismatch(f"{what}: migrations", str(before.all_migrations),
                       str(result.all_migrations))
    for consumer in sorted(before.allocations.keys() | result.allocations.keys()):
        old, new = before.allocations.get(consumer), result.allocations.get(consumer)
        if old != new:
            yield Mismatch(f"{what}: allocations of {consumer}", str(old), str(new))
