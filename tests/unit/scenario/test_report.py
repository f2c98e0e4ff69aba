"""The human report and the JUnit XML file, from verdicts built by hand."""

import dataclasses
import io
import xml.etree.ElementTree as ET

import pytest

from harness.scenario.checks import Verdict
from harness.scenario.outcome import MigrationState
from harness.scenario.report import HumanReport, explain_text, failure_text, write_junit
from harness.verdicts import SchedulingCall
from tests.unit.scenario.builders import (
    SCENARIO,
    create,
    live_migrate,
    server,
    step_outcome,
    verdict,
)

CREATE_TRACE = " 1 admin -> osapi_compute.post_server(name=server) => 202"
MOVE_TRACE = (" 7 admin -> osapi_compute.post_server_action(action=os-migrateLive) => 202\n"
              " 9   conductor -> scheduler.select_destinations() !! NoValidHost: no")
WHY = "NoValidHost raised by the scheduler (hop 9): 1 host(s) selected, 2 required."


def passing(scenario_id="group/ok", seconds=0.0042):
    scenario = dataclasses.replace(SCENARIO, id=scenario_id)
    return verdict(step_outcome(create(), servers=(server(0),), trace=CREATE_TRACE),
                   scenario=scenario, seconds=seconds)


def failing(scenario_id="group/sub/bad"):
    scenario = dataclasses.replace(SCENARIO, id=scenario_id)
    moved = step_outcome(
        live_migrate(), servers=(server(0),), refs={"@source": "host1", "@target": "host2"},
        error_class="NoValidHost", error_message="No valid host was found.",
        migration=MigrationState("live-migration", "error", "host1", None),
        trace=MOVE_TRACE, explanation=(WHY,))
    return verdict(step_outcome(create(), servers=(server(0),), trace=CREATE_TRACE), moved,
                   scenario=scenario)


def human(*verdicts, show_traces=False) -> list[str]:
    out = io.StringIO()
    report = HumanReport(out, show_traces=show_traces)
    report.start(len(verdicts), "fake", "pike-16.0.0")
    for judged in verdicts:
        report.scenario(judged)
    report.finish(list(verdicts))
    return out.getvalue().splitlines()


# Human report


def test_the_human_report_has_a_line_per_scenario_and_a_summary():
    lines = human(passing(), failing())
    assert lines[0] == "Running 2 scenario(s) on the fake backend with scheduler pike-16.0.0"
    assert lines[1] == "PASS group/ok  (1 steps, 4.2 ms)"
    assert lines[2].startswith("FAIL group/sub/bad  (2 steps, ")
    assert lines[-1] == "2 scenario(s): 1 passed, 1 failed"


def test_a_failure_shows_the_step_mismatches_why_and_trace():
    lines = human(failing())
    start = lines.index("  step 2: live-migrate server 0 to @other (host2)")
    assert lines[start + 1:start + 8] == [
        "    error: expected none, observed NoValidHost: No valid host was found.",
        "    why:",
        f"      {WHY}",
        "    trace of step 2:",
        *(f"      {line}" for line in MOVE_TRACE.splitlines()),
        "1 scenario(s): 0 passed, 1 failed",
    ]
    assert not any("step 1" in line for line in lines), "step 1 met its expectations"


def test_passing_scenarios_show_no_trace_by_default():
    assert not any(CREATE_TRACE.strip() in line for line in human(passing()))


def test_trace_option_shows_the_steps_of_passing_scenarios():
    lines = human(passing(), show_traces=True)
    assert "  step 1: create 1 x small in one request: server 0 on host1" in lines
    assert f"    {CREATE_TRACE}" in lines


def test_failure_text_can_leave_out_the_trace():
    text = failure_text(failing(), with_trace=False)
    assert "error: expected none" in text and WHY in text
    assert "trace of step" not in text and "select_destinations" not in text


# JUnit XML


def test_junit_xml_counts_and_names_the_scenarios(tmp_path):
    path = tmp_path / "out" / "junit.xml"
    write_junit(path, [passing("top"), failing()], "fake", "pike-16.0.0")

    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    [suite] = root
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors")) \
        == ("nova-scheduler-harness.fake", "2", "1", "0")
    assert suite.find("properties/property").attrib == {
        "name": "scheduler", "value": "pike-16.0.0"}
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("scenarios", "top"), ("scenarios.group.sub", "bad")]
    assert cases[0].find("failure") is None


def test_a_junit_failure_carries_the_first_mismatch_and_the_details(tmp_path):
    path = tmp_path / "junit.xml"
    judged = failing()
    write_junit(path, [judged], "fake", "fixed")

    failure = ET.parse(path).getroot().find("testsuite/testcase/failure")
    assert failure.get("message") == (
        "error: expected none, observed NoValidHost: No valid host was found.")
    assert failure.get("type") == "ScenarioFailed"
    assert failure.text == failure_text(judged)


def test_junit_system_out_holds_the_trace_of_every_step(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(path, [failing()], "fake", "fixed")

    out = ET.parse(path).getroot().find("testsuite/testcase/system-out").text
    assert "step 1: create 1 x small in one request: server 0 on host1" in out
    assert CREATE_TRACE in out and MOVE_TRACE in out


def test_junit_system_out_holds_every_select_destinations_call(tmp_path):
    judged = failing()
    record = SchedulingCall(asked=1, num_instances=2, alternates=False, offered=("host2",),
                            selected=1, required=2, error="NoValidHost",
                            error_message="No valid host was found.")
    judged.outcome.steps[1].scheduling = (record,)
    path = tmp_path / "junit.xml"
    write_junit(path, [judged], "fake", "fixed")

    out = ET.parse(path).getroot().find("testsuite/testcase/system-out").text
    assert (f"{MOVE_TRACE}\nselect_destinations #1: 1 instance(s) asked; RequestSpec."
            "num_instances = 2; 2 host(s) required, 1 selected\n  placement offered: host2\n"
            "  raised NoValidHost: No valid host was found.") in out


def test_explain_text_prints_each_step_s_calls_and_what_it_did_not_meet():
    text = explain_text(failing())
    assert text.splitlines() == [
        "step 1: create 1 x small in one request: server 0 on host1",
        "  no select_destinations call",
        "step 2: live-migrate server 0 to @other (host2)",
        "  no select_destinations call",
        "  error: expected none, observed NoValidHost: No valid host was found."]
    assert explain_text(failing(), step=1).splitlines() == text.splitlines()[:2]


def test_a_failed_junit_write_leaves_the_previous_report_untouched(tmp_path, monkeypatch):
    path = tmp_path / "junit.xml"
    path.write_text("previous report")

    def write_half_then_fail(self, file, *args, **kwargs):
        file.write(b"<?xml version='1.0'")
        raise OSError("disk full")

    monkeypatch.setattr(ET.ElementTree, "write", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_junit(path, [passing()], "fake", "fixed")
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]
    assert path.read_text() == "previous report"


def test_a_failed_junit_write_creates_no_file(tmp_path, monkeypatch):
    def fail(self, file, *args, **kwargs):
        file.write(b"<testsuites")
        raise KeyboardInterrupt

    monkeypatch.setattr(ET.ElementTree, "write", fail)
    with pytest.raises(KeyboardInterrupt):
        write_junit(tmp_path / "junit.xml", [passing()], "fake", "fixed")
    assert list(tmp_path.iterdir()) == []


def test_a_junit_write_replaces_an_existing_report(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text("previous report")
    write_junit(path, [passing()], "fake", "fixed")
    assert ET.parse(path).getroot().find("testsuite").get("tests") == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["junit.xml"]


def test_the_junit_time_is_the_scenarios_seconds(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(path, [passing(seconds=1.5), passing("b", seconds=0.25)], "fake", "fixed")
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite.get("time") == "1.750"
    assert [c.get("time") for c in suite.iter("testcase")] == ["1.500", "0.250"]


# A scenario the backend's release cannot run


def not_applicable(scenario_id="group/new"):
    scenario = dataclasses.replace(SCENARIO, id=scenario_id)
    return Verdict(scenario, None, not_applicable="not applicable on nova 31.3.1: max "
                   "microversion 2.100, the scenario asks for 2.101")


def test_a_not_applicable_scenario_says_why_and_is_counted_apart():
    lines = human(passing(), not_applicable(), failing())
    assert lines[2] == ("N/A  group/new  (not applicable on nova 31.3.1: max microversion "
                        "2.100, the scenario asks for 2.101)")
    assert lines[-1] == "3 scenario(s): 1 passed, 1 failed, 1 not applicable"


def test_a_not_applicable_scenario_is_skipped_in_junit(tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(path, [passing(), not_applicable()], "nova", "installed Nova")
    [suite] = ET.parse(path).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "0", "1")
    assert "max microversion 2.100" in suite.findall("testcase")[1].find("skipped").get(
        "message")


def test_diff_prints_a_not_applicable_scenario_and_does_not_count_it(capsys):
    from harness.cli import _report_comparison

    applicable = passing("group/new")
    assert _report_comparison(applicable.scenario, applicable, not_applicable(), None) is False
    assert capsys.readouterr().out == (
        "N/A group/new  (not applicable on nova 31.3.1: max microversion 2.100, the "
        "scenario asks for 2.101)\n")
