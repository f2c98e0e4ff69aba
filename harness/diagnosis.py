"""Sentences that explain a NoValidHost, from the numbers behind it.

Both backends feed this: the fake cloud from the notes its scheduler leaves
in the trace, real Nova from its scheduler's log. The bug #1718455 signature
is: hosts required == RequestSpec.num_instances != instances asked for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SchedulingFacts:
    asked: int | None = None          # instance UUIDs select_destinations was given
    persisted: int | None = None      # RequestSpec.num_instances
    selected: int | None = None       # hosts selected and claimed
    required: int | None = None       # hosts _ensure_sufficient_hosts required
    no_candidates: bool = False       # placement offered nothing
    forced_hosts: tuple[str, ...] = ()    # RequestSpec.force_hosts of the request
    ignored_hosts: tuple[str, ...] = ()   # RequestSpec.ignore_hosts of the request


_PERSISTED_COUNT = (
    "the number of servers created together in the original request, persisted with the "
    "RequestSpec and reused by this move. The count must come from the instance UUIDs "
    "being scheduled (bug #1718455).")


def explain_scheduler_crash(where: str, error: str, facts: SchedulingFacts) -> str:
    """The scheduler raised something that is not a Nova error."""
    if facts.asked is not None and facts.persisted not in (None, facts.asked):
        return (f"{where} raised {error}. It was asked to place {facts.asked} instance(s) but "
                f"counted RequestSpec.num_instances = {facts.persisted} and ran past the "
                f"instance UUIDs it was given: {_PERSISTED_COUNT}")
    return (f"{where} raised {error}. That is not a Nova error: probably a bug in the code "
            "under test (a plugged scheduler?).")


def explain_no_valid_host(where: str, facts: SchedulingFacts) -> str:
    if facts.no_candidates:
        return (f"{where}: placement offered no allocation candidates: no host, or not "
                "the requested one, has room for the flavor.")
    if facts.selected is None or facts.required is None:
        return f"{where}."
    line = f"{where}: {facts.selected} host(s) selected, {facts.required} required."
    if facts.required == facts.persisted and facts.required != facts.asked:
        line += (
            f" It was asked to place {facts.asked} instance(s) but required "
            f"RequestSpec.num_instances = {facts.persisted}: {_PERSISTED_COUNT}")
    elif facts.forced_hosts and set(facts.forced_hosts) <= set(facts.ignored_hosts):
        line += (
            f" The request forces hosts {list(facts.forced_hosts)} and ignores "
            f"{list(facts.ignored_hosts)}: no host can pass. The forced hosts were persisted "
            "when the server was created with a forced host, and a move must reset them "
            "(bug #1561357).")
    elif facts.selected < facts.required:
        line += " Fewer hosts passed the filters (or could be claimed in placement) than needed."
    return line
