"""Comparing two Outcomes of one scenario, step by step.

Compared: the API status, the error class, each acted-on server's status,
vm and task state, host, node and flavor, the migration (type, status, source
and dest hosts and nodes), the persisted RequestSpec fields, every
consumer's allocations and every provider's capacity, and what the scheduler
decided in each select_destinations call (harness.verdicts: the hosts placement
offered, each filter's verdicts, the weights, the hosts selected). Error
messages are not: their wording is not part of the contract.

Hosts that the scenario defines identically and never names are
interchangeable: when Nova weighs them equal it takes them in compute node
UUID order, which is random. Outcomes are compared up to a renaming of such
hosts: each outcome's hosts are renamed in order of first appearance, so
"server 0 on host2, server 1 on host1" equals "server 0 on host1, server 1
on host2", while "both on one host" still differs from "one on each".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from harness import verdicts
from harness.scenario.model import HostDef, Scenario
from harness.scenario.outcome import MigrationState, Outcome, StepOutcome


@dataclass(frozen=True)
class Difference:
    step: int
    what: str
    left: Any
    right: Any


def diff(left: Outcome, right: Outcome) -> list[Difference]:
    rename_left, rename_right = (_canonical_names(o) for o in (left, right))
    differences = []
    for a, b in zip(left.steps, right.steps, strict=True):
        seen_a, seen_b = dict(_observations(a, rename_left)), dict(_observations(b, rename_right))
        for what in [*seen_a, *(k for k in seen_b if k not in seen_a)]:
            if seen_a.get(what) != seen_b.get(what):
                differences.append(Difference(a.step.index, what, seen_a.get(what),
                                              seen_b.get(what)))
    return differences


def _observations(step: StepOutcome, rename: dict[str, str]) -> Iterator[tuple[str, Any]]:
    def host(name: str | None) -> str | None:
        return rename.get(name, name) if name is not None else None

    yield "api_status", step.api_status
    yield "error", step.error_class
    for server in step.servers:
        yield f"server {server.index}.status", server.status
        yield f"server {server.index}.vm_state", server.vm_state
        yield f"server {server.index}.task_state", server.task_state
        yield f"server {server.index}.host", host(server.host)
        yield f"server {server.index}.node", host(server.node)
        yield f"server {server.index}.flavor", server.flavor
    def renamed(m: MigrationState) -> MigrationState:
        return dataclasses.replace(
            m, source=host(m.source), dest=host(m.dest), source_node=host(m.source_node),
            dest_node=host(m.dest_node))

    if step.migration is None:
        yield "migration", None
    else:
        migration = renamed(step.migration)
        for field in fields(migration):
            yield f"migration.{field.name}", getattr(migration, field.name)
    # Every earlier migration too: a step may move one on (a restart completes an
    # evacuation).
    for i, m in enumerate(step.all_migrations):
        yield f"migrations[{i}] ({m.type} of server {m.server})", (
            m.status, host(m.source), host(m.dest))
    for index, spec in sorted(step.request_specs.items()):
        spec = dataclasses.replace(
            spec, force_hosts=tuple(sorted(map(host, spec.force_hosts))),
            ignore_hosts=tuple(sorted(map(host, spec.ignore_hosts))),
            requested_destination=host(spec.requested_destination))
        for field in fields(spec):
            yield f"server {index} request_spec.{field.name}", getattr(spec, field.name)
    for action in step.actions:
        yield f"instance action {action.action}", action.events
    for consumer, providers in sorted(step.allocations.items()):
        if providers:
            yield f"allocations of {consumer}", {host(p): r for p, r in providers.items()}
    # Not renamed: hosts alike have the same capacity, whichever was picked.
    for provider, capacity in sorted(step.capacities.items()):
        yield f"capacity of {provider}", capacity
    yield "select_destinations calls", len(step.scheduling)
    for number, call in enumerate(step.scheduling, 1):
        yield from verdicts.observations(call, f"select_destinations #{number}", host)


def _canonical_names(outcome: Outcome) -> dict[str, str]:
    """host name -> the name its interchangeable class gives it in this outcome."""
    classes = interchangeable(outcome.scenario)
    unused = {key: sorted(h.name for h in hosts) for key, hosts in classes.items()}
    class_of = {h.name: key for key, hosts in classes.items() for h in hosts}
    rename: dict[str, str] = {}
    for name in _hosts_in_order(outcome):
        if name in class_of and name not in rename:
            rename[name] = unused[class_of[name]].pop(0)
    # The rest were never used: alike and untouched, in whatever order. The
    # scheduler's verdicts name them too.
    for key, hosts in classes.items():
        for name in sorted(h.name for h in hosts if h.name not in rename):
            rename[name] = unused[key].pop(0)
    return rename


def interchangeable(scenario: Scenario) -> dict[HostDef, list[HostDef]]:
    """Classes of hosts defined alike that the scenario never names (two or more each)."""
    named = {host for step in scenario.steps for host in step.named_hosts()}
    for step in scenario.steps:
        expect = step.expect
        if expect.server is not None:
            named.add(expect.server.host)
        if expect.migration:
            named.update((expect.migration.source, expect.migration.dest))
    classes: dict[HostDef, list[HostDef]] = {}
    for host in scenario.cloud.hosts:
        if host.name not in named:
            classes.setdefault(dataclasses.replace(host, name=""), []).append(host)
    return {key: hosts for key, hosts in classes.items() if len(hosts) > 1}


def _hosts_in_order(outcome: Outcome) -> Iterator[str]:
    for step in outcome.steps:
        for server in step.servers:
            if server.host:
                yield server.host
        if step.migration is not None:
            yield from (h for h in (step.migration.source, step.migration.dest) if h)
        for _, providers in sorted(step.allocations.items()):
            yield from sorted(providers)
