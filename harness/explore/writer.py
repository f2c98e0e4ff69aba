"""Writing a finding out as an ordinary scenario file, and checking that it catches
what it was found with.

The file is the shrunk example's cloud and steps, up to the step that broke the
oracle, with expectations. Generated steps expect nothing, but a scenario file's
step expects success unless told otherwise, so every step gets the API status
and error that the *reference* code gives it: the same backend, the fixed
scheduler, no injection (for a difference with Nova, Nova). The last step also
gets what the oracle says the correct outcome needs: the twin's outcome of the
move (``same-as-created-alone``), the per-request fields empty, the named host,
the reference's hosts for an anti-affinity create. The harness's invariants need
nothing written: every run checks them.

Then the file is loaded as ``run`` loads it and run twice: with the code it was
found on it must fail, on the reference code it must pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from harness.backends.base import Backend
from harness.explore.findings import Found
from harness.explore.oracles import (
    ANTI_AFFINITY,
    EXPECTED_ERRORS,
    NAMED_HOST,
    SAME_ON_NOVA,
    failed,
)
from harness.explore.session import run_steps
from harness.scenario.checks import Verdict, check
from harness.scenario.diff import interchangeable
from harness.scenario.loader import load_data, load_scenario
from harness.scenario.outcome import StepOutcome
from harness.scenario.runner import run_scenario


@dataclass(frozen=True)
class Setup:
    """Code under test on a backend, as a run names it."""

    backend: Backend
    scheduler: str
    label: str


@dataclass(frozen=True)
class Written:
    path: Path
    found: Found
    # The file's verdict on the code it was found on (it must fail), and on the
    # reference code (it must pass; None when they are the same code), with their labels.
    on_found: Verdict
    on_reference: Verdict | None
    found_on: str
    reference: str | None

    @property
    def catches(self) -> bool:
        return not self.on_found.passed and (self.on_reference is None
                                              or self.on_reference.passed)


class NotWritten(Exception):
    """A finding that could not be written: its text, so that it is not lost."""

    def __init__(self, path: Path, text: str, error: OSError) -> None:
        super().__init__(f"could not write {path}: {error}")
        self.path = path
        self.text = text


def hypothesis_release() -> str:
    """What a seed replays with: another release of hypothesis draws other examples from
    the same seed."""
    return version("hypothesis")


def write_found(found: Found, directory: Path, name: str, explored: Setup,
                reference: Setup | None, command: str, bugs: tuple[str, ...] = ()
                ) -> Written:
    """Write ``found`` to ``directory``/``name``.toml (numbered if taken), run it on
    ``explored`` and ``reference``, and say how it went."""
    steps = [dict(raw) for raw in found.steps]
    runs_on = reference or explored
    outcomes = run_steps(found.header, steps, runs_on.backend, runs_on.scheduler)
    comments = []
    for i, raw in enumerate(steps):
        result = outcomes[i] if i < len(outcomes) else None
        expect = _observed(result) if result is not None else {}
        if i == len(steps) - 1:
            expect = _last_expect(found, result, expect, reference is not None)
        if expect:
            raw["expect"] = expect
        comments.append(f"step {i + 1}: " + (result.step.describe_outcome(result)
                                             if result is not None else raw["action"]))
    text = _toml(found, steps, comments, command, explored, reference, bugs)
    path = directory / f"{name}.toml"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = _free(directory, name)
        with path.open("x", encoding="utf-8") as file:
            try:
                file.write(text)
            except OSError:
                # A file cut short (a full disk) would load as another scenario.
                path.unlink()
                raise
    except OSError as exc:
        raise NotWritten(path, text, exc) from exc
    scenario = load_scenario(path)
    on_found = check(run_scenario(scenario, explored.backend, explored.scheduler))
    on_reference = (check(run_scenario(scenario, reference.backend, reference.scheduler))
                    if reference is not None else None)
    return Written(path, found, on_found, on_reference, explored.label,
                   reference.label if reference is not None else None)


def _observed(result: StepOutcome) -> dict[str, Any]:
    """What a step must say so that its outcome on the reference code meets it."""
    expect: dict[str, Any] = {}
    if result.api_status != result.step.SUCCESS_STATUS:
        expect["api_status"] = result.api_status
    if result.error_class is not None:
        expect["error"] = result.error_class
    return expect


def _last_expect(found: Found, result: StepOutcome | None, observed: dict[str, Any],
                 has_reference: bool) -> dict[str, Any]:
    """The violating step's expectations: the reference's outcome (when there is one
    apart from the code it was found on), and what the oracle knows is correct."""
    violation = found.violation
    expect = dict(observed) if has_reference else {}
    if result is not None and has_reference:
        if violation.oracle == NAMED_HOST and not failed(result):
            expect["server"] = {"host": "@target"}
        elif violation.oracle == ANTI_AFFINITY and result.servers:
            expect["servers"] = [{"host": s.host or "none"} for s in result.servers]
        elif violation.oracle == SAME_ON_NOVA:
            scenario = load_data({**found.header, "steps": list(found.steps)},
                                 Path("found.toml"), "found")
            unnamed = {h.name for hosts in interchangeable(scenario).values() for h in hosts}
            expect.update(_shown(result, unnamed))
    elif violation.oracle == NAMED_HOST:
        expect["server"] = {"host": "@target"}
    elif violation.oracle == EXPECTED_ERRORS:
        expect["error"] = "none"
    expect.update(violation.expect)
    if expect.get("error") == "none":
        del expect["error"]
    return expect


def _shown(result: StepOutcome, unnamed: set[str]) -> dict[str, Any]:
    """A step's outcome in the keys ``diff`` compares that expectations can check; not
    the hosts that are ``unnamed`` (alike, and named by no step: either may be picked,
    and an expectation would name them)."""
    expect: dict[str, Any] = {}
    if result.servers and result.step.ACTS_ON_SERVERS:
        servers = [{"status": s.status} if s.host in unnamed else
                   {"status": s.status, "host": s.host or "none"} for s in result.servers]
        if len(servers) == 1:
            expect["server"] = servers[0]
        else:
            expect["servers"] = servers
    if result.migration is not None:
        expect["migration"] = {"status": result.migration.status,
                               "type": result.migration.type}
    return expect


def _free(directory: Path, name: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    path, number = directory / f"{name}.toml", 1
    while path.exists():
        number += 1
        path = directory / f"{name}-{number}.toml"
    return path


def _toml(found: Found, steps: list[dict[str, Any]], comments: list[str], command: str,
          explored: Setup, reference: Setup | None, bugs: tuple[str, ...]) -> str:
    violation = found.violation
    if reference is not None:
        verdict = (f"With {explored.label} this scenario fails; with {reference.label} it "
                   "passes.")
    else:
        verdict = (f"It fails on {explored.label}, the reference code itself: a bug in it "
                   "(or in the fake cloud), or an oracle that is wrong; see README.md, "
                   "Exploring.")
    description = "\n".join([
        f"Found by `{command}`: the oracle {violation.oracle}, broken at step "
        f"{violation.step + 1}.", violation.what, *violation.details, "", verdict])
    lines = [
        f"# Found by {command} (hypothesis {hypothesis_release()})",
        f"# {violation.oracle}: {_one_line(violation.what)}",
        "",
        "[scenario]",
        f"title = {_value(f'Found by explore: {violation.oracle} at step {violation.step + 1}')}",
        *([f"bugs = {_value(list(bugs))}"] if bugs else []),
        f"description = '''\n{_literal(description)}\n'''",
        "",
        "[cloud]",
        *(f"{key} = {_value(value)}" for key, value in found.header["cloud"].items()),
    ]
    for comment, raw in zip(comments, steps, strict=True):
        lines += ["", f"# {_one_line(comment)}", "[[steps]]"]
        lines += [f"{key} = {_value(value)}" for key, value in raw.items() if key != "expect"]
        if raw.get("expect"):
            lines.append("[steps.expect]")
            lines += [f"{key} = {_value(value)}" for key, value in raw["expect"].items()]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    """TOML for the values a scenario holds: strings (as JSON's, which TOML reads),
    numbers, booleans, arrays, and tables written inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def _literal(text: str) -> str:
    """Text for a multi-line literal string: no ''' and no control characters."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text).replace("'''", "' ' '")
    return "\n".join(line.rstrip() for line in text.splitlines())


def _one_line(text: str) -> str:
    return " ".join(text.split())
