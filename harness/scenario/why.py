"""The decisive part of a step's scheduling, in sentences for "why".

Two things decide where a move or build goes: a select_destinations call that
raised (which hosts placement offered, what became of each, and the host
count), and, when the server did not end on the host the scenario expected,
what the scheduler did with that host. Both come from the verdicts each
backend records (harness.verdicts), so they read the same on either.
"""

from __future__ import annotations

from collections.abc import Iterator

from harness.scenario.model import NO_HOST, ServerExpect
from harness.scenario.outcome import ServerState, StepOutcome
from harness.verdicts import SchedulingCall, fate


def explain_scheduling(result: StepOutcome) -> list[str]:
    lines = [_failed(call, number) for number, call in enumerate(result.scheduling, 1)
             if call.error is not None]
    expected = result.step.expect
    wanted = ([expected.server] * len(result.servers) if expected.server is not None
              else list(expected.servers or ()))
    for want, server in zip(wanted, result.servers, strict=False):
        lines.extend(_elsewhere(result, want, server))
    return lines


def _failed(call: SchedulingCall, number: int) -> str:
    where = f"select_destinations #{number} raised {call.error}"
    if call.no_candidates:
        return f"{where}: placement offered no host for the flavor."
    if call.offered is None:
        return f"{where} before it considered any host."
    parts = [f"placement offered {', '.join(sorted(call.offered)) or 'no host'}"
             if call.placement else f"it checked {', '.join(sorted(call.offered))}"]
    parts.extend(fate(call, host) for host in sorted(call.offered))
    if call.selected is not None:
        parts.append(f"{call.selected} host(s) selected, {call.required} required")
    return f"{where}: {'; '.join(parts)}."


def _elsewhere(result: StepOutcome, want: ServerExpect, server: ServerState
               ) -> Iterator[str]:
    """What the last call that weighed the expected host did with it, when the server
    is not there; nothing for an expectation that names no one host."""
    ref = want.host
    if not isinstance(ref, str) or ref.startswith("!") or ref in (NO_HOST, "@not-source"):
        return
    host = result.refs.get(ref, ref)
    if host is None or host == server.host:
        return
    for number in range(len(result.scheduling), 0, -1):
        call = result.scheduling[number - 1]
        if call.offered is not None and host in call.offered:
            # A call that raised has its own sentence, with every host's fate.
            if call.error is None:
                yield (f"The scenario expected server {server.index} on {host}: in "
                       f"select_destinations #{number}, {fate(call, host)}.")
            return
    if result.scheduling:
        yield (f"The scenario expected server {server.index} on {host}: placement never "
               "offered it (no room for the flavor there, or its service is disabled).")
