"""Why a step failed, read from the trace: the explanation a failing run prints.

The scheduler notes the numbers behind its decision on the message it is
handling (instances asked for, RequestSpec.num_instances, hosts selected and
required); this module turns them into sentences, naming bug #1718455 when
the numbers show its signature.
"""

from __future__ import annotations

from harness.cloud import exception
from harness.cloud.rpc import Hop


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
        elif not isinstance(hop.error, exception.NovaException):
            lines.append(
                f"{hop.topic}.{hop.method} (hop {hop.seq}) raised "
                f"{type(hop.error).__name__}: {hop.error}. That is not a Nova error: "
                "probably a bug in the code under test (a plugged scheduler?).")
    return list(reversed(lines))


def _explain_no_valid_host(hop: Hop) -> str:
    facts = hop.facts
    where = f"NoValidHost raised by the scheduler (hop {hop.seq})"
    if facts.get("allocation_candidates") == 0:
        return (f"{where}: placement offered no allocation candidates: no host, or not "
                "the requested one, has room for the flavor.")
    selected, required = facts.get("selected_hosts"), facts.get("required_count")
    if selected is None or required is None:
        return f"{where}."
    asked, persisted = facts.get("requested_instances"), facts.get("spec_num_instances")
    line = f"{where}: {selected} host(s) selected, {required} required."
    if required == persisted and required != asked:
        line += (
            f" It was asked to place {asked} instance(s) but required "
            f"RequestSpec.num_instances = {persisted}: the number of servers created "
            "together in the original request, persisted with the RequestSpec and reused "
            "by this move. The count must come from the instance UUIDs being scheduled "
            "(bug #1718455).")
    elif selected < required:
        line += " Fewer hosts passed the filters (or could be claimed in placement) than needed."
    return line
