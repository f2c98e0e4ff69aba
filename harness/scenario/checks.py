"""Judging an Outcome against its scenario's expectations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from harness.cloud.objects import MIGRATION_TERMINAL_STATUSES
from harness.scenario import invariants
from harness.scenario.holds import Held, SourceHolds
from harness.scenario.mismatch import Mismatch
from harness.scenario.model import (
    NO_HOST,
    Expect,
    MigrationExpect,
    RequestSpecExpect,
    Scenario,
    ServerExpect,
)
from harness.scenario.outcome import (
    Allocations,
    MigrationState,
    Outcome,
    RequestSpecState,
    ServerState,
    StepOutcome,
)
from harness.scenario.steps.base import host_matches

# A step whose wait ended before it settled (the runner's explanation says why).
UNSETTLED = Mismatch("settled", "the step to finish",
                     "it was still in progress when the wait ended")


@dataclass
class StepVerdict:
    outcome: StepOutcome
    mismatches: list[Mismatch] = field(default_factory=list)


@dataclass
class Verdict:
    scenario: Scenario
    outcome: Outcome | None
    steps: list[StepVerdict] = field(default_factory=list)
    # Set when the run itself broke (a crash in the backend or the harness).
    error: str | None = None
    seconds: float = 0.0
    # Set when the backend's release cannot run the scenario (the reason): neither
    # passed nor failed, and not counted against the run.
    not_applicable: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not any(s.mismatches for s in self.steps)

    @property
    def failed_steps(self) -> list[StepVerdict]:
        return [s for s in self.steps if s.mismatches]


def check(outcome: Outcome) -> Verdict:
    verdicts = []
    before = None
    # Followed through each step's state once, in order.
    holds = SourceHolds()
    for result in outcome.steps:
        holds.observe(result.all_servers, result.all_migrations)
        verdicts.append(StepVerdict(result, list(
            _check_step(outcome.scenario, result, before, holds))))
        before = result
    return Verdict(outcome.scenario, outcome, verdicts, seconds=outcome.seconds)


def _check_step(scenario: Scenario, result: StepOutcome, before: StepOutcome | None,
                holds: SourceHolds) -> Iterator[Mismatch]:
    """The mismatches of ``result``, the step after ``before`` (see what_always_holds)."""
    step, expect = result.step, result.step.expect
    expected_status = expect.api_status or step.SUCCESS_STATUS
    if expected_status is None and result.api_message:
        yield Mismatch("step", "to run", result.api_message)
    if expected_status is not None and result.api_status != expected_status:
        observed = str(result.api_status)
        if result.api_message:
            observed += f" ({result.api_message})"
        yield Mismatch("api_status", str(expected_status), observed)
    if not result.settled:
        yield UNSETTLED
    observed_error = (f"{result.error_class}: {result.error_message}"
                      if result.error_class else "none")
    if (result.error_class or "none") != expect.error:
        yield Mismatch("error", expect.error, observed_error)
    message = result.error_message or result.api_message or ""
    if expect.error_message is not None and expect.error_message not in message:
        yield Mismatch("error_message", f"a message containing {expect.error_message!r}",
                       repr(message) if message else "no message")
    for host, wanted in (expect.usage or {}).items():
        used = _usage(result.allocations, host)
        for rc, amount in sorted(wanted.items()):
            if used.get(rc, 0) != amount:
                yield Mismatch(f"usage on {host}.{rc}", str(amount), str(used.get(rc, 0)))
    if expect.server is not None:
        for server in result.servers:
            yield from _check_server(expect.server, server, result, len(result.servers) > 1)
    if expect.servers is not None and len(expect.servers) != len(result.servers):
        yield Mismatch("servers", f"{len(expect.servers)} server(s)",
                       f"{len(result.servers)}")
    for wanted, server in zip(expect.servers or (), result.servers, strict=False):
        yield from _check_server(wanted, server, result, True)
    yield from _check_migration(expect, result)
    if expect.request_spec is not None:
        for index, spec in result.request_specs.items():
            yield from _check_request_spec(expect.request_spec, spec, index)
    yield from what_always_holds(scenario, result, before, holds)


def what_always_holds(scenario: Scenario, result: StepOutcome, before: StepOutcome | None,
                      holds: SourceHolds) -> Iterator[Mismatch]:
    """The checks of ``result`` (the step after ``before``, None for the first) that do
    not depend on what its scenario expects: placement consistent with what Nova keeps
    (unless the step says "unchecked") and the invariants. ``holds`` has followed the
    state after every step up to and including ``result``."""
    if result.step.expect.allocations == "consistent":
        yield from allocation_mismatches(
            expected_allocations(partial(flavor_resources, scenario), result.all_servers,
                                 result.all_migrations, holds),
            result.allocations)
    yield from invariants.violations(
        {host.name: {host.name} for host in scenario.cloud.hosts}, result, before,
        expected_bug=scenario.expect_bug)


def _check_server(expect: ServerExpect, server: ServerState, result: StepOutcome,
                  name_it: bool) -> Iterator[Mismatch]:
    prefix = f"server {server.index}" if name_it else "server"
    for what, want, got in (("status", expect.status, server.status),
                            ("flavor", expect.flavor, server.flavor),
                            ("vm_state", expect.vm_state, server.vm_state),
                            ("task_state", expect.task_state, server.task_state or "none")):
        if want is not None and want != got:
            yield Mismatch(f"{prefix}.{what}", want, got)
    if expect.host is not None and not host_matches(expect.host, server.host, result.refs):
        yield Mismatch(f"{prefix}.host", _describe_ref(expect.host, result),
                       server.host or NO_HOST)


def _check_request_spec(expect: RequestSpecExpect, spec: RequestSpecState, index: int
                        ) -> Iterator[Mismatch]:
    def shown(value: object) -> str:
        if isinstance(value, tuple | list):
            return repr(sorted(value))
        return NO_HOST if value is None else str(value)

    for name in ("num_instances", "flavor", "availability_zone", "force_hosts",
                 "ignore_hosts", "requested_destination", "retry"):
        want, got = getattr(expect, name), getattr(spec, name)
        if want is None:
            continue
        if isinstance(want, tuple):
            same = set(want) == set(got)
        else:
            same = (got is None) if want == NO_HOST else want == got
        if not same:
            yield Mismatch(f"request_spec.{name} of server {index}", shown(want), shown(got))


def _check_migration(expect: Expect, result: StepOutcome) -> Iterator[Mismatch]:
    migration = result.migration
    if expect.migration is False:
        if migration is not None:
            yield Mismatch("migration", "none to be created",
                           f"a {migration.type} in status {migration.status}")
        return
    if not isinstance(expect.migration, MigrationExpect):
        return
    if migration is None:
        yield Mismatch("migration", "a migration record", "none was created")
        return
    wanted = expect.migration
    for what, want, got in (("status", wanted.status, migration.status),
                            ("type", wanted.type, migration.type)):
        if want is not None and want != got:
            yield Mismatch(f"migration.{what}", repr(want), repr(got))
    for what, ref, got in (("source", wanted.source, migration.source),
                           ("dest", wanted.dest, migration.dest)):
        if ref is not None and not host_matches(ref, got, result.refs):
            yield Mismatch(f"migration.{what}", _describe_ref(ref, result), got or NO_HOST)


def _describe_ref(ref: str | tuple[str, ...], result: StepOutcome) -> str:
    if isinstance(ref, tuple):
        return "one of " + ", ".join(_describe_ref(one, result) for one in ref)
    if ref.startswith("!"):
        return f"a host other than {_describe_ref(ref[1:], result)}"
    if ref == "@not-source":
        return f"a host other than {result.refs.get('@source')} (@not-source)"
    if ref.startswith("@"):
        return f"{result.refs.get(ref)} ({ref})"
    return ref


def flavor_resources(scenario: Scenario, flavor_name: str) -> dict[str, int]:
    flavor = scenario.cloud.flavor(flavor_name)
    amounts = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": flavor.disk_gb}
    return {rc: amount for rc, amount in amounts.items() if amount}


def expected_allocations(resources_of: Callable[[str], dict[str, int]],
                         servers: tuple[ServerState, ...],
                         migrations: tuple[MigrationState, ...] = (),
                         holds: SourceHolds | None = None) -> Allocations:
    """What placement must hold, as Nova keeps it.

    Each server on a node holds exactly its flavor there, but for one whose move
    failed to finish on its destination: Nova puts the server's old flavor back
    and leaves it holding the new one there. A resize, cold or
    live migration in progress (or waiting to be confirmed) holds, as its own
    consumer, the flavor the server had before on the source node. An
    evacuation leaves the server holding its source node too, until the source
    compute comes back and cleans up (the migration goes from "done" to
    "completed"), unless the server moved on, was offloaded or deleted first:
    ``holds`` follows where each such hold went (``SourceHolds``, observed after
    every step up to this state; without it, this state alone is observed, as if
    each server's migrations had ended in turn with nothing in between). Nothing
    else holds anything.
    """
    if holds is None:
        holds = SourceHolds.followed([(servers, migrations)])
    expected: Allocations = {}
    for server in servers:
        if server.node is not None:
            expected[f"server {server.index}"] = {
                **_resources(resources_of, holds.by_server.get(server.index)),
                server.node: resources_of(_held_flavor(server, migrations))}
    for migration in migrations:
        if (migration.type == "evacuation" or migration.status in MIGRATION_TERMINAL_STATUSES
                or migration.server is None or migration.source_node is None
                or migration.flavor is None):
            continue
        expected[f"migration of server {migration.server}"] = {
            **_resources(resources_of, holds.by_move.get(migration.server)),
            migration.source_node: resources_of(migration.flavor)}
    return expected


def _held_flavor(server: ServerState, migrations: tuple[MigrationState, ...]) -> str:
    """The flavor ``server`` holds on its node: the new one if the last move to that
    node failed in the destination's finish_resize (which gives the server its old
    flavor back, not its allocation), else its own. A failure on the source before
    (resize_instance) gives both back, even on the same host; a later move that failed
    elsewhere leaves the server holding what it held."""
    arrival = next((m for m in reversed(migrations)
                    if m.server == server.index and m.dest_node == server.node), None)
    if arrival is not None and arrival.status == "error" and arrival.dest_flavor is not None:
        return arrival.dest_flavor
    return server.flavor


def _resources(resources_of: Callable[[str], dict[str, int]], held: Held | None
               ) -> dict[str, dict[str, int]]:
    """What ``held`` holds, by node."""
    return {node: resources_of(flavor) for node, flavor in (held or {}).items()}


def allocation_mismatches(expected: Allocations, allocations: Allocations
                          ) -> Iterator[Mismatch]:
    """Each consumer's difference between what placement must hold and what it holds."""
    observed = {consumer: providers for consumer, providers in allocations.items()
                if providers}
    for consumer in sorted(set(expected) | set(observed)):
        want, got = expected.get(consumer), observed.get(consumer)
        if want != got:
            yield Mismatch(f"allocations of {consumer}", _render_allocs(want),
                           _render_allocs(got))


def _render_allocs(allocs: dict[str, dict[str, int]] | None) -> str:
    if not allocs:
        return "none"
    return "; ".join(f"{provider}: " + ", ".join(f"{rc}={n}" for rc, n in sorted(res.items()))
                     for provider, res in sorted(allocs.items()))


def _usage(allocations: Allocations, host: str) -> dict[str, int]:
    """What every consumer holds on ``host``'s provider, by resource class."""
    used: dict[str, int] = {}
    for providers in allocations.values():
        for rc, amount in (providers.get(host) or {}).items():
            used[rc] = used.get(rc, 0) + amount
    return used
