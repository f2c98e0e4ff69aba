"""The gate's oracle: a move of a server created with others (``count > 1``), or on
a forced host, must not fail where the same move of servers created alone succeeds.

How it is judged: the scenario's *twin* is the same steps with every such create
replaced by lone creates of the same flavor, in the same order (so the servers get
the same numbers), a forced host replaced by the other hosts disabled around the
creates (so they land where the forced ones did, through the scheduler, with
nothing forced persisted). The twin runs on a fresh cloud of the same backend and
code under test. Each move of such a server that asks the scheduler is compared
with the twin's same move, if and only if both clouds were in the same observable
state just before it (every server's status, host, flavor and task, every
migration): a multi-create can place servers differently from lone creates, and
a comparison from different states would prove nothing. The oracle is broken
when the original move fails and the twin's succeeds.

When: on the fake cloud, right after each move that failed, so that a failing
example stops at the move (what follows it cannot fail first, and shrinking keeps
to it); on Nova, which holds one cloud at a time in a process, once the scenario
is over, one replay serving every move in it. A twin is replayed only for a move
that failed: only such a move can break the oracle. Why the whole observable
state and not only the moved server: the scheduler's answer depends on every
host's usage. Correct code reads nothing from a RequestSpec that the twin's
differ in (``num_instances``, ``force_hosts``) for a move, so on correct code the
two agree (2,000 generated examples on the fixed scheduler: no difference).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.backends.base import Backend
from harness.explore.oracles import CREATED_ALONE, Violation, failed
from harness.explore.session import CreateRecord, RawStep, Session, run_steps
from harness.scenario.outcome import StepOutcome
from harness.scenario.steps import STEP_TYPES


@dataclass(frozen=True)
class Twin:
    steps: tuple[RawStep, ...]
    # Original step index -> the twin's step that stands for it (for a replaced
    # create, its last lone create).
    index: dict[int, int]
    # The original steps to compare: moves of servers whose create differs.
    compared: tuple[int, ...]


def make_twin(steps: Sequence[RawStep], creates: dict[int, CreateRecord]) -> Twin | None:
    """The twin of ``steps`` (``creates``: server number -> the create that made it);
    None when no move in it has anything to compare."""
    by_step = {record.step: record for record in creates.values()}
    compared = tuple(
        i for i, raw in enumerate(steps)
        if STEP_TYPES[raw["action"]].ASKS_SCHEDULER and raw.get("server") in creates
        and creates[raw["server"]].differs_alone)
    if not compared:
        return None
    twin: list[RawStep] = []
    index: dict[int, int] = {}
    for i, raw in enumerate(steps[:compared[-1] + 1]):
        record = by_step.get(i)
        if record is not None and record.differs_alone:
            twin.extend(_alone(raw, record))
        else:
            twin.append(raw)
        index[i] = len(twin) - 1
    return Twin(tuple(twin), index, compared)


def _alone(raw: RawStep, record: CreateRecord) -> list[RawStep]:
    single = {k: v for k, v in raw.items() if k not in ("count", "min_count",
                                                        "availability_zone")}
    pins = record.others_enabled if record.forced_host else ()
    return [*({"action": "set-service", "host": h, "disabled": True} for h in pins),
            *[dict(single) for _ in range(record.count)],
            *({"action": "set-service", "host": h, "disabled": False} for h in pins)]


def compare_alone(session: Session, backend: Backend, scheduler: str,
                  last_only: bool = False) -> Violation | None:
    """Run the twin of the session's scenario and compare each move it has to compare
    (``last_only``: only its last step, if it is one); the first move that fails where
    the twin's succeeded, from the same state. Only a move that failed can break the
    oracle, so without one nothing is replayed: on correct code, seldom anything."""
    twin = make_twin(session.steps, session.model.created_by)
    if twin is None:
        return None
    last = len(session.steps) - 1
    compared = [i for i in twin.compared
                if i < len(session.outcomes) and failed(session.outcomes[i])
                and (i == last or not last_only)]
    if not compared:
        return None
    twin_outcomes = run_steps(session.data, twin.steps[:twin.index[compared[-1]] + 1],
                              backend, scheduler)
    for i in compared:
        j = twin.index[i]
        if j >= len(twin_outcomes) or i >= len(session.outcomes):
            break
        if i == 0 or _state(session.outcomes[i - 1]) != _state(twin_outcomes[j - 1]):
            continue
        ours, alone = session.outcomes[i], twin_outcomes[j]
        if failed(ours) and not failed(alone):
            server = ours.step.server  # type: ignore[attr-defined]
            record = session.model.created_by[server]
            how = " ".join(filter(None, (
                "created" if record.count == 1 else f"one of {record.count} created together",
                record.forced_host and f"on forced host {record.forced_host}")))
            return Violation(
                CREATED_ALONE, i,
                f"{ours.step.describe_outcome(ours)} failed for server {server}, {how}; "
                "the same move of servers created alone, from the same state, succeeded",
                (f"this scenario: {_summary(ours)}",
                 f"created alone: {_summary(alone)}", *ours.explanation),
                _expect_of(alone))
    return None


def _state(result: StepOutcome) -> tuple[Any, ...]:
    """The cloud as a user sees it after a step (server names aside: a batch's are
    numbered)."""
    return (tuple((s.index, s.status, s.host, s.vm_state, s.task_state, s.flavor)
                  for s in result.all_servers),
            tuple((m.type, m.status, m.source, m.dest, m.server)
                  for m in result.all_migrations))


def _summary(result: StepOutcome) -> str:
    parts = [f"api {result.api_status}", f"error {result.error_class or 'none'}"]
    if result.migration is not None:
        parts.append(f"migration {result.migration.status}")
    parts.extend(f"server {s.index} {s.status} on {s.host}" for s in result.servers)
    return ", ".join(parts)


def _expect_of(result: StepOutcome) -> dict[str, Any]:
    """The twin's outcome of the move as [steps.expect] keys: what the move of a server
    created with others must lead to as well."""
    expect: dict[str, Any] = {}
    if result.api_status != result.step.SUCCESS_STATUS:
        expect["api_status"] = result.api_status
    expect["error"] = result.error_class or "none"
    if result.migration is not None:
        expect["migration"] = {"status": result.migration.status}
    if result.servers:
        expect["server"] = {"status": result.servers[0].status}
    return expect
