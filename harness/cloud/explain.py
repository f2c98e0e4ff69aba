"""Why a step failed, read from the fake cloud's trace.

The scheduler notes the numbers behind its decision on the message it is
handling (instances asked for, RequestSpec.num_instances, hosts selected and
required); harness.diagnosis turns them into sentences.
"""

from __future__ import annotations

from harness.cloud import exception
from harness.cloud.rpc import Hop
from harness.diagnosis import SchedulingFacts, explain_no_valid_host, explain_scheduler_crash
from harness.faults import INJECTED


def explain(hops: list[Hop]) -> list[str]:
    lines: list[str] = []
    seen: set[int] = set()
    # An error travels up through every hop that did not handle it; walking
    # backwards finds where each one was raised first.
    for hop in reversed(hops):
        if hop.error is None or id(hop.error) in seen:
            continue
        seen.add(id(hop.error))
        if isinstance(hop.error, exception.NoValidHost) and hop.method == "select_destinations":
            lines.append(_explain_no_valid_host(hop))
        elif INJECTED in str(hop.error):
            lines.append(f"{hop.topic}.{hop.method} (hop {hop.seq}) raised the fault the "
                         f"scenario injected: {hop.error}.")
        elif not isinstance(hop.error, exception.NovaException):
            lines.append(explain_scheduler_crash(
                f"{hop.topic}.{hop.method} (hop {hop.seq})",
                f"{type(hop.error).__name__}: {hop.error}", _facts(hop)))
    return list(reversed(lines))


def _explain_no_valid_host(hop: Hop) -> str:
    return explain_no_valid_host(f"NoValidHost raised by the scheduler (hop {hop.seq})",
                                 _facts(hop))


def _facts(hop: Hop) -> SchedulingFacts:
    facts = hop.facts
    call = facts.get("scheduling")
    return SchedulingFacts(asked=facts.get("requested_instances"),
                        persisted=facts.get("spec_num_instances"),
                        selected=facts.get("selected_hosts"),
                        required=facts.get("required_count"),
                        no_candidates=facts.get("allocation_candidates") == 0,
                        forced_hosts=call.force_hosts if call else (),
                        ignored_hosts=call.ignore_hosts if call else ())
