"""The scenarios as unittest tests (harness.scenario_tests, tests/scenarios) on the fake
cloud: one test per scenario with a stable id, a failure that reads as ``harness run``'s,
the settings refused as ``run`` refuses them, and stestr running it as .stestr.conf says."""

import os
import subprocess
import sys
import unittest
from pathlib import Path

import pytest

from harness.backends.nova import environment
from harness.cli import UsageError
from harness.scenario.loader import discover
from harness.scenario_tests import Settings, method_name, scenario_test_case

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BUG_1718455 = sorted((SCENARIOS / "bug_1718455").glob("*.toml"))
MODULE = "tests.scenarios.test_scenarios"


def run_suite(settings):
    case = scenario_test_case(settings, MODULE)
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    return result


def failures(result):
    return {test.id().rpartition(".")[2]: text for test, text in result.failures}


def test_one_test_per_scenario_named_by_its_path():
    case = scenario_test_case(Settings(SCENARIOS, backend="fake"), MODULE)
    names = unittest.defaultTestLoader.getTestCaseNames(case)
    files = discover([SCENARIOS])
    assert len(names) == len(files) > 80
    assert "test_bug_1718455__live_migrate_to_other_host" in names
    assert case("test_bug_1718455__live_migrate_to_other_host").id() == (
        f"{MODULE}.ScenarioTest.test_bug_1718455__live_migrate_to_other_host")
    assert method_name("a-b/c.d") == "test_a_b__c_d"


def test_every_scenario_passes_on_the_fixed_scheduler():
    result = run_suite(Settings(SCENARIOS, backend="fake"))
    assert result.wasSuccessful(), failures(result)
    assert result.testsRun == len(discover([SCENARIOS]))


def test_on_pike_each_bug_scenario_fails_with_the_run_commands_report():
    result = run_suite(Settings(SCENARIOS / "bug_1718455", backend="fake",
                                scheduler="pike-16.0.0"))
    failed = failures(result)
    assert sorted(failed) == sorted(f"test_bug_1718455__{p.stem}" for p in BUG_1718455)
    text = failed["test_bug_1718455__live_migrate_to_other_host"]
    assert "AssertionError: FAIL bug_1718455/live_migrate_to_other_host  (2 steps, " in text
    assert "migration.status: expected 'completed', observed 'error'" in text
    assert "1 host(s) selected, 2 required" in text and "bug #1718455" in text
    assert "conductor -> scheduler.select_destinations" in text  # the trace
    # Only the report: no frames of the harness in front of it.
    assert "Traceback" not in text


def test_an_injected_bug_fails_the_scenarios_that_catch_it():
    result = run_suite(Settings(SCENARIOS / "bug_1561357", backend="fake",
                                inject="bug-1561357"))
    assert result.testsRun == len(failures(result)) >= 1


def test_a_backend_that_cannot_run_fails_each_test_with_the_reason(monkeypatch):
    def unavailable():
        raise environment.NovaUnavailable("nova is not installed: pip install ...")

    monkeypatch.setattr(environment, "prepare", unavailable)
    result = run_suite(Settings(SCENARIOS / "bug_1561357"))
    assert set(failures(result).values()) == {
        "AssertionError: the nova backend cannot run: nova is not installed: pip install ...\n"}


@pytest.mark.parametrize(("environ", "message"), [
    ({}, None),
    ({"HARNESS_BACKEND": "vmware"}, "HARNESS_BACKEND=vmware: expected one of fake, nova"),
    ({"HARNESS_INJECT": "bug-0"}, "HARNESS_INJECT=bug-0: expected one of"),
    ({"HARNESS_SCHEDULER": "pike-16.0.0"}, "the nova backend runs the installed Nova's"),
    ({"HARNESS_BACKEND": "fake", "HARNESS_SCHEDULER": "nope"}, "unknown scheduler 'nope'"),
])
def test_settings_are_refused_as_the_run_command_refuses_them(environ, message):
    if message is None:
        settings = Settings.from_environ(environ, SCENARIOS)
        assert settings == Settings(SCENARIOS, "nova", "fixed", None)
    else:
        with pytest.raises(UsageError, match=message):
            Settings.from_environ(environ, SCENARIOS)


def stestr(tmp_path, *args, **environ):
    """stestr as tox runs it, from the checkout (its .stestr.conf), its repository in
    tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(HARNESS_BACKEND="fake", **environ)
    return subprocess.run(
        [sys.executable, "-m", "stestr", "--repo-url", str(tmp_path), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_stestr_spreads_the_scenarios_and_reports_each_failure(tmp_path):
    run = stestr(tmp_path, "run", "--concurrency", "2", HARNESS_SCHEDULER="pike-16.0.0")
    assert run.returncode == 1, run.stderr
    for path in BUG_1718455:
        test_id = f"{MODULE}.ScenarioTest.test_bug_1718455__{path.stem}"
        assert f"{test_id} [" in run.stdout and f"{test_id}\n" in run.stdout
    assert "AssertionError: FAIL bug_1718455/live_migrate_to_other_host" in run.stdout
    assert "RequestSpec.num_instances = 2" in run.stdout
    assert f"Ran: {len(discover([SCENARIOS]))} tests" in run.stdout
    assert "Worker 1 (" in run.stdout

    passing = stestr(tmp_path, "run", "--concurrency", "2", "bug_1718455")
    assert passing.returncode == 0, passing.stdout
    assert f"Passed: {len(BUG_1718455)}\n" in passing.stdout
