"""What a generated scenario is judged by, step by step. No generated step says what
it expects, so each oracle is a rule that holds whatever the steps were:

- ``invariant``: the harness's own (``harness.scenario.invariants``, placement
  consistent with what Nova keeps, the step settled), checked after every step of
  every scenario.
- ``per-request-field-persisted``: Nova 34 never writes ``ignore_hosts``,
  ``requested_destination`` or ``retry`` into a RequestSpec (it clears them on save);
  every bug of the stale-RequestSpec family started with one of them persisted.
- ``named-host-honoured``: a move that names a host, unforced, either goes there or
  fails: the scheduler is limited to it (``requested_destination``).
- ``expected-errors-only``: a step fails, if at all, with an error Nova gives for a
  cloud that cannot do it (no valid host, retries used up, a destination refusing,
  its late group check too);
  anything else (an IndexError, a group not found, the API's 500) is code breaking,
  but for the 500 Nova itself answers a live migration before 2.34 that the late group
  check refused.
  Not judged once the scenario has set a compute fault: faults fail things on purpose.
- ``anti-affinity-on-create``: a server created into an anti-affinity group does not
  land on a host that holds another member.
- ``runs-to-a-verdict``: running a step never crashes the harness or the fake cloud.
- ``same-as-created-alone`` (the gate's oracle, in ``harness.explore.twin``): a move of
  a server created with others, or on a forced host, does not fail where the same
  move of servers created alone succeeds.
- ``same-on-nova`` (``--diff``, in ``harness.explore.diffing``): the fake cloud and
  Nova give the same outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.explore.session import Session
from harness.scenario.checks import UNSETTLED, what_always_holds
from harness.scenario.outcome import StepOutcome
from harness.scenario.stale import persisted_fields
from harness.scenario.steps import LiveMigrateStep
from harness.scenario.steps.base import MoveStep, at_least

INVARIANT = "invariant"
PER_REQUEST_FIELD = "per-request-field-persisted"
NAMED_HOST = "named-host-honoured"
EXPECTED_ERRORS = "expected-errors-only"
ANTI_AFFINITY = "anti-affinity-on-create"
CRASH = "runs-to-a-verdict"
CREATED_ALONE = "same-as-created-alone"
SAME_ON_NOVA = "same-on-nova"

ORACLES = (INVARIANT, PER_REQUEST_FIELD, NAMED_HOST, EXPECTED_ERRORS, ANTI_AFFINITY, CRASH,
           CREATED_ALONE, SAME_ON_NOVA)

# Errors Nova gives for a request the cloud cannot satisfy, as opposed to code that
# broke. The fixed code, explored, fails steps with these and no others.
# GroupAffinityViolation: the destination's late group check refused a move the
# scheduler allowed (it counts a resize waiting to be confirmed on its source; the
# filter sees the server on its destination only), with no alternate left.
# InstanceExists: an evacuation to the host a live migration left the server's guest
# on (Nova's fake driver keeps it there; the scheduler does not know).
CLOUD_CANNOT = frozenset({"NoValidHost", "MaxRetriesExceeded", "MigrationPreCheckError",
                          "ComputeServiceUnavailable", "GroupAffinityViolation",
                          "InstanceExists"})


@dataclass(frozen=True)
class Violation:
    """One oracle broken at one step of a generated scenario."""

    oracle: str
    # The step (0-based) that shows it: the scenario written out ends there.
    step: int
    what: str
    details: tuple[str, ...] = ()
    # What the step's [steps.expect] must say for the correct outcome, when the oracle
    # knows it; the writer takes the rest from a run on the reference code.
    expect: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        return "\n".join([f"{self.oracle}: {self.what}", *(f"  {d}" for d in self.details)])


def failed(result: StepOutcome) -> bool:
    """Whether a step failed, in any way a user would see."""
    return (result.error_class is not None
            or (result.api_status is None and result.api_message is not None)
            or (result.api_status or 0) >= 400
            or (result.migration is not None and result.migration.status in ("error", "failed"))
            or any(s.status == "ERROR" for s in result.servers))


def check_step(session: Session, result: StepOutcome) -> Violation | None:
    """The first oracle the step breaks, if any. A persisted per-request field is also
    an invariant's; its own oracle goes first, as it knows the expectation to write."""
    for oracle in (_per_request_fields, _invariants, _named_host, _expected_errors,
                   _anti_affinity):
        violation = next(oracle(session, result), None)
        if violation is not None:
            return violation
    return None


def _invariants(session: Session, result: StepOutcome) -> Iterator[Violation]:
    before = session.outcomes[-2] if len(session.outcomes) > 1 else None
    mismatches = list(what_always_holds(session.cloud, result, before, session.holds))
    if not result.settled:
        # Checked of every step too: one whose server keeps a task never ends.
        mismatches.insert(0, UNSETTLED)
    if mismatches:
        yield Violation(INVARIANT, result.step.index, mismatches[0].what.split(":")[0],
                        tuple(m.render() for m in mismatches) + result.explanation)


def _per_request_fields(session: Session, result: StepOutcome) -> Iterator[Violation]:
    leaked: dict[str, Any] = {}
    lines = []
    for index, spec in sorted(result.request_specs.items()):
        for name, value in persisted_fields(spec).items():
            leaked[name] = "none" if name == "requested_destination" else []
            lines.append(f"server {index}: RequestSpec.{name} = {value!r} persisted")
    if leaked:
        yield Violation(PER_REQUEST_FIELD, result.step.index,
                        f"{result.step.describe_outcome(result)} persisted "
                        f"{', '.join(sorted(leaked))}", tuple(lines) + result.explanation,
                        {"request_spec": leaked})


def _named_host(session: Session, result: StepOutcome) -> Iterator[Violation]:
    step = result.step
    if (not isinstance(step, MoveStep) or step.host is None or step.forced()
            or not step.reads_host()):
        return
    target = result.refs.get("@target")
    landed = result.servers[0].host if result.servers else None
    if not failed(result) and landed != target:
        yield Violation(NAMED_HOST, step.index,
                        f"{step.describe_outcome(result)} succeeded on {landed}",
                        result.explanation)


def _expected_errors(session: Session, result: StepOutcome) -> Iterator[Violation]:
    if session.model.ever_faulted:
        return
    if result.api_status == 500 and not _refused_late_before_2_34(result):
        yield Violation(EXPECTED_ERRORS, result.step.index,
                        f"{result.step.describe_outcome(result)}: the API answered 500",
                        (result.api_message or "", *result.explanation))
    elif result.error_class is not None and result.error_class not in CLOUD_CANNOT:
        yield Violation(EXPECTED_ERRORS, result.step.index,
                        f"{result.step.describe_outcome(result)} failed with "
                        f"{result.error_class}",
                        (result.error_message or "", *result.explanation))


def _refused_late_before_2_34(result: StepOutcome) -> bool:
    """A live migration before 2.34, which the API answers only once the conductor is
    done, refused by the destination's late group check: Nova 34's conductor takes
    that GroupAffinityViolation for an unexpected error and raises MigrationError, which
    the API answers with a 500 (server_groups/forced_live_migration_refused_before_2_34)."""
    step = result.step
    return (isinstance(step, LiveMigrateStep) and not at_least(step.microversion, (2, 34))
            and result.error_class == "GroupAffinityViolation")


def _anti_affinity(session: Session, result: StepOutcome) -> Iterator[Violation]:
    group = getattr(result.step, "group", None)
    model = session.model
    if result.step.ACTION != "create" or model.groups.get(group) != "anti-affinity":
        return
    hosts = {i: model.servers[i].host for i in model.members(group)}
    for server in result.servers:
        crowd = sorted(i for i, host in hosts.items()
                       if host is not None and host == server.host and i != server.index)
        if crowd:
            yield Violation(ANTI_AFFINITY, result.step.index,
                            f"server {server.index} of anti-affinity group {group} was "
                            f"created on {server.host}, which holds server(s) {crowd}",
                            result.explanation)
            return
