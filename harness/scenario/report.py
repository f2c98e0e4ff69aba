"""Reports of a run: a human summary (streamed as scenarios finish) and JUnit XML."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TextIO

from harness.scenario.checks import Verdict
from harness.scenario.flip import flipped_expectations
from harness.scenario.outcome import StepOutcome
from harness.verdicts import render


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def scheduling_lines(result: StepOutcome) -> list[str]:
    """Every select_destinations call of the step: hosts offered, each filter's
    verdicts, the weights, the hosts selected."""
    return [line for number, call in enumerate(result.scheduling, 1)
            for line in render(call, number)]


def explain_text(verdict: Verdict, step: int | None = None) -> str:
    """What `harness explain` prints: each step's (or step ``step``'s, from 1)
    select_destinations calls, and what the step did not meet."""
    if verdict.error is not None or verdict.outcome is None:
        return f"the run broke: {verdict.error}"
    mismatches = {s.outcome.step.index: s.mismatches for s in verdict.steps}
    parts = []
    for result in verdict.outcome.steps:
        if step is not None and result.step.index + 1 != step:
            continue
        parts.append(f"step {result.step.index + 1}: {result.step.describe_outcome(result)}")
        parts.extend(f"  {line}" for line in scheduling_lines(result)
                     or ["no select_destinations call"])
        parts.extend(f"  {m.render()}" for m in mismatches.get(result.step.index, ()))
    return "\n".join(parts)


def failure_text(verdict: Verdict, with_trace: bool = True) -> str:
    """What went wrong, why, and the trace of the steps that did not meet expectations."""
    if verdict.error is not None:
        return f"the run broke: {verdict.error}"
    parts = []
    bug = verdict.scenario.expect_bug
    if bug is not None:
        parts.append(f"bug #{bug} fixed? The scenario expects its buggy outcome and did not "
                     "see it: flip this scenario. Drop expect_bug, add the bug to bugs, and "
                     "write these expectations instead:")
        parts.extend(f"  {line}" for line in flipped_expectations(verdict))
        parts.append("What changed:")
    for step_verdict in verdict.failed_steps:
        result = step_verdict.outcome
        parts.append(f"step {result.step.index + 1}: {result.step.describe_outcome(result)}")
        parts.extend(f"  {m.render()}" for m in step_verdict.mismatches)
        if result.explanation:
            parts.append("  why:")
            parts.extend(f"    {line}" for line in result.explanation)
        if with_trace and result.trace:
            parts.append(f"  trace of step {result.step.index + 1}:")
            parts.append(indent(result.trace, "    "))
    return "\n".join(parts)


class HumanReport:
    def __init__(self, stream: TextIO, show_traces: bool = False) -> None:
        self.stream = stream
        self.show_traces = show_traces

    def start(self, count: int, backend: str, scheduler: str) -> None:
        self._write(f"Running {count} scenario(s) on the {backend} backend "
                    f"with scheduler {scheduler}")

    def scenario(self, verdict: Verdict) -> None:
        if verdict.not_applicable is not None:
            self._write(f"N/A  {verdict.scenario.id}  ({verdict.not_applicable})")
            return
        status = ("ERROR" if verdict.error is not None else
                  "PASS" if verdict.passed else "FAIL")
        self._write(f"{status} {verdict.scenario.id}  ({len(verdict.scenario.steps)} steps, "
                    f"{verdict.seconds * 1000:.1f} ms)")
        if verdict.passed and verdict.scenario.expect_bug:
            self._write(f"  bug #{verdict.scenario.expect_bug} still present: the steps saw "
                        "the buggy outcome they expect")
        elif verdict.passed and verdict.outcome is not None:
            for result in verdict.outcome.steps:
                if result.error_class:
                    self._write(f"  step {result.step.index + 1}: {result.error_class}, as "
                                "the scenario expects (an expected failure, not a "
                                "regression)")
        if not verdict.passed:
            self._write(indent(failure_text(verdict), "  "))
        elif self.show_traces and verdict.outcome is not None:
            for result in verdict.outcome.steps:
                self._write(f"  step {result.step.index + 1}: "
                            f"{result.step.describe_outcome(result)}")
                self._write(indent(result.trace, "    "))

    def finish(self, verdicts: list[Verdict]) -> None:
        failed = [v for v in verdicts if not v.passed]
        skipped = sum(v.not_applicable is not None for v in verdicts)
        self._write(f"{len(verdicts)} scenario(s): {len(verdicts) - len(failed) - skipped} "
                    f"passed, {len(failed)} failed"
                    + (f", {skipped} not applicable" if skipped else ""))

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def write_junit(path: Path, verdicts: list[Verdict], backend: str, scheduler: str) -> None:
    """Write JUnit XML atomically: a reader never sees half a file."""
    # Here, not at the top: a run without --junit-xml has no use for it.
    import xml.etree.ElementTree as ET

    suite = ET.Element("testsuite", {
        "name": f"nova-scheduler-harness.{backend}",
        "tests": str(len(verdicts)),
        "failures": str(sum(not v.passed and v.error is None for v in verdicts)),
        "errors": str(sum(v.error is not None for v in verdicts)),
        "skipped": str(sum(v.not_applicable is not None for v in verdicts)),
        "time": f"{sum(v.seconds for v in verdicts):.3f}",
    })
    ET.SubElement(ET.SubElement(suite, "properties"), "property",
                  {"name": "scheduler", "value": scheduler})
    for verdict in verdicts:
        scenario = verdict.scenario
        group, _, name = scenario.id.rpartition("/")
        case = ET.SubElement(suite, "testcase", {
            "classname": "scenarios" + ("." + group.replace("/", ".") if group else ""),
            "name": name,
            "file": str(scenario.path),
            "time": f"{verdict.seconds:.3f}",
        })
        if verdict.not_applicable is not None:
            ET.SubElement(case, "skipped", {"message": verdict.not_applicable})
        elif verdict.error is not None:
            error = ET.SubElement(case, "error", {"message": verdict.error.splitlines()[-1],
                                                  "type": "RunBroke"})
            error.text = verdict.error
        elif not verdict.passed:
            first = verdict.failed_steps[0].mismatches[0].render()
            failure = ET.SubElement(case, "failure", {"message": first, "type": "ScenarioFailed"})
            failure.text = failure_text(verdict)
        if verdict.outcome is not None:
            ET.SubElement(case, "system-out").text = "\n\n".join(
                f"step {r.step.index + 1}: {r.step.describe_outcome(r)}\n{r.trace}"
                + "".join(f"\n{line}" for line in scheduling_lines(r))
                for r in verdict.outcome.steps)
    tree = ET.ElementTree(ET.Element("testsuites"))
    tree.getroot().append(suite)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            tree.write(handle, encoding="utf-8", xml_declaration=True)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
