"""Flipping a scenario that expected a bug: once the outcome turns correct, the
expectations to write instead, in the scenario file's own TOML.

Upstream regression tests land asserting the broken outcome and are flipped by
the fix; a scenario with ``expect_bug`` does the same. For each step that no
longer meets its (buggy) expectations, the keys it expected are written out with
the values observed, hosts as the references that name them.
"""

from __future__ import annotations

import json
from dataclasses import fields

from harness.scenario.checks import Verdict
from harness.scenario.diff import interchangeable
from harness.scenario.model import NO_HOST, MigrationExpect
from harness.scenario.outcome import StepOutcome


def flipped_expectations(verdict: Verdict) -> list[str]:
    """TOML for the ``[steps.expect]`` table of every step that failed."""
    lines: list[str] = []
    unnamed = {h.name for hosts in interchangeable(verdict.scenario).values() for h in hosts}
    for step_verdict in verdict.failed_steps:
        result = step_verdict.outcome
        lines.append(f"# step {result.step.index + 1}: {result.step.describe_outcome(result)}")
        lines.append("[steps.expect]")
        lines.extend(_expect_lines(result, unnamed))
    return lines


def _expect_lines(result: StepOutcome, unnamed: set[str]) -> list[str]:
    step, expect = result.step, result.step.expect
    lines = []
    if expect.api_status is not None or result.api_status != step.SUCCESS_STATUS:
        lines.append(f"api_status = {result.api_status}")
    if expect.error != "none" or result.error_class:
        lines.append(f"error = {_toml(result.error_class or 'none')}")
    if expect.server is not None and result.servers:
        server = result.servers[0]
        observed = {"status": server.status, "host": _host(server.host, result, unnamed),
                    "flavor": server.flavor, "vm_state": server.vm_state,
                    "task_state": server.task_state or NO_HOST}
        lines.append(_table("server", {f.name: observed[f.name] for f in fields(expect.server)
                                       if getattr(expect.server, f.name) is not None}))
    if expect.migration is not None:
        migration = result.migration
        if migration is None:
            lines.append("migration = false")
        else:
            wanted = expect.migration or MigrationExpect("", "", "", "")
            observed = {"status": migration.status, "type": migration.type,
                        "source": _host(migration.source, result, unnamed),
                        "dest": _host(migration.dest, result, unnamed)}
            lines.append(_table("migration", {f.name: observed[f.name] for f in fields(wanted)
                                              if getattr(wanted, f.name) is not None}))
    if expect.request_spec is not None and result.request_specs:
        spec = next(iter(result.request_specs.values()))
        lines.append(_table("request_spec", {
            f.name: _spec_value(getattr(spec, f.name)) for f in fields(expect.request_spec)
            if getattr(expect.request_spec, f.name) is not None}))
    if expect.allocations != "consistent":
        lines.append(f"allocations = {_toml(expect.allocations)}")
    return lines


def _host(host: str | None, result: StepOutcome, unnamed: set[str]) -> str:
    """A host by name, unless it is one of hosts alike that the scenario never names
    (either may be picked on real Nova): then as the reference that names it."""
    if host is None:
        return NO_HOST
    if host not in unnamed and result.refs.get("@target") != host:
        return host
    for ref in ("@target", "@source", "@other"):
        if result.refs.get(ref) == host:
            return ref
    return "@not-source" if host != result.refs.get("@source") else host


def _spec_value(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    return NO_HOST if value is None else value


def _table(name: str, values: dict[str, object]) -> str:
    return f"{name} = {{ {', '.join(f'{k} = {_toml(v)}' for k, v in values.items())} }}"


def _toml(value: object) -> str:
    # JSON strings, numbers, booleans and arrays of them are valid TOML.
    return json.dumps(value)
