"""The gate has teeth: the shipped scenarios PASS on the fixed scheduler and FAIL,
with NoValidHost and an explanation, on the Pike 16.0.0 scheduler."""

import io
import xml.etree.ElementTree as ET
from contextlib import redirect_stdout
from functools import partial
from pathlib import Path

import pytest
import testtools

from harness.backends.fake import FakeCloudBackend
from harness.cli import main
from harness.scenario.checks import check, expected_allocations, flavor_resources
from harness.scenario.loader import load_scenario
from harness.scenario.runner import run_scenario
from tests.functional.regressions import test_bug_1718455

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUG_SCENARIOS = sorted((SCENARIOS / "bug_1718455").glob("*.toml"))
# The upstream test's move, in two steps: create a batch, live-migrate one.
LIVE_MIGRATIONS = [p for p in BUG_SCENARIOS if p.stem.startswith("live_migrate_")]


def run_cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def test_every_shipped_scenario_passes_on_the_fixed_scheduler():
    code, out = run_cli("run", str(SCENARIOS), "--scheduler", "fixed")
    assert code == 0, out
    assert "FAIL" not in out


def test_the_bug_scenarios_fail_on_pike_with_an_explanation(tmp_path):
    junit = tmp_path / "report" / "junit.xml"
    code, out = run_cli("run", str(SCENARIOS / "bug_1718455"), "--scheduler", "pike-16.0.0",
                        "--junit-xml", str(junit))
    assert code == 1
    assert out.count("FAIL bug_1718455/") == len(BUG_SCENARIOS) >= 2
    assert "observed NoValidHost" in out
    assert "migration.status: expected 'completed', observed 'error'" in out
    assert "1 host(s) selected, 2 required" in out
    assert "RequestSpec.num_instances = 2" in out and "bug #1718455" in out
    assert "conductor -> scheduler.select_destinations" in out  # the trace is printed
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == str(len(BUG_SCENARIOS))
    assert all(case.find("failure") is not None for case in suite.iter("testcase"))


@pytest.mark.parametrize("path", LIVE_MIGRATIONS, ids=lambda p: p.stem)
def test_on_pike_the_failed_move_leaves_everything_as_it_was(path):
    scenario = load_scenario(path, SCENARIOS)
    outcome = run_scenario(scenario, FakeCloudBackend(), "pike-16.0.0")
    created = next(s for s in outcome.steps if s.step.ACTION == "create")
    moved = outcome.steps[-1]
    migration = moved.step
    source = created.servers[migration.server].host

    assert moved.api_status == 202
    assert moved.error_class == "NoValidHost"
    assert moved.migration.status == "error"
    assert moved.migration.type == "live-migration"
    server = moved.servers[0]
    assert (server.status, server.host, server.task_state) == ("ACTIVE", source, None)
    # Its allocations are intact: exactly its flavor on its source host, and
    # nothing held by the failed migration or left on the other host.
    assert moved.allocations == expected_allocations(
        partial(flavor_resources, scenario), moved.all_servers)
    assert moved.allocations[f"server {migration.server}"] == {
        source: {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}}
    assert moved.request_specs[migration.server].num_instances == created.step.count != 1
    assert not check(outcome).passed


@pytest.mark.parametrize("path", LIVE_MIGRATIONS, ids=lambda p: p.stem)
def test_on_the_fixed_scheduler_the_server_moves(path):
    scenario = load_scenario(path, SCENARIOS)
    outcome = run_scenario(scenario, FakeCloudBackend(), "fixed")
    moved = outcome.steps[-1]
    created = next(s for s in outcome.steps if s.step.ACTION == "create")
    source = created.servers[moved.step.server].host
    assert moved.error_class is None
    assert moved.migration.status == "completed"
    assert moved.servers[0].host not in (None, source)
    assert moved.request_specs[moved.step.server].num_instances == created.step.count
    assert check(outcome).passed


def run_regression_test(scheduler):
    cls = test_bug_1718455.TestLiveMigrateOneOfConcurrentlyCreatedInstances
    case = type("Case", (cls,), {"scheduler": scheduler})(
        "test_live_migrate_one_multi_created_instance")
    result = testtools.TestResult()
    case.run(result)
    return case, result


def test_the_regression_test_passes_on_fixed():
    _, result = run_regression_test("fixed")
    assert result.wasSuccessful(), result.errors + result.failures


def test_the_regression_test_fails_fast_on_pike_and_says_why():
    case, result = run_regression_test("pike-16.0.0")
    assert not result.wasSuccessful()
    [(_, message)] = result.failures
    assert "ended in status 'error'" in message
    details = case.getDetails()
    assert "bug #1718455" in details["why"].as_text()
    assert "select_destinations" in details["rpc-trace"].as_text()


def test_a_plugged_scheduler_with_pikes_check_is_caught():
    code, out = run_cli("run", str(SCENARIOS / "bug_1718455"),
                        "--scheduler", "tests.functional.plugin_schedulers:PikeStyleCheck")
    assert code == 1
    assert "observed NoValidHost" in out


def test_a_plugged_scheduler_that_crashes_is_reported_as_not_a_nova_error():
    code, out = run_cli("run", str(SCENARIOS / "bug_1718455"),
                        "--scheduler", "tests.functional.plugin_schedulers:Broken")
    assert code == 1
    assert "AttributeError" in out and "not a Nova error" in out


@pytest.mark.parametrize("name, message", [
    ("nope", "unknown scheduler 'nope'"),
    ("tests.functional.no_such_module:X", "cannot import scheduler module"),
    ("tests.functional.plugin_schedulers:Missing", "has no attribute 'Missing'"),
    ("tests.functional.plugin_schedulers:NOT_A_SCHEDULER", "is not a subclass"),
])
def test_a_bad_scheduler_is_a_usage_error(name, message, capsys):
    assert main(["run", str(SCENARIOS), "--scheduler", name]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_plugged_scheduler_that_makes_a_retry_loop_fails_instead_of_hanging():
    from unittest import mock

    from harness.cloud import exception
    from harness.fixtures import CloudFixture
    from tests.functional.plugin_schedulers import IgnoresIgnoreHosts

    with CloudFixture(scheduler=IgnoresIgnoreHosts) as cloud:
        flavor = cloud.admin_api.post_flavor(
            {"flavor": {"name": "f", "vcpus": 1, "ram": 512, "disk": 1}})["id"]
        server = cloud.admin_api.post_server({"server": {"name": "s", "flavorRef": flavor}})
        source = cloud.admin_api.get_server(server["id"])["OS-EXT-SRV-ATTR:host"]
        other = next(h for h in cloud.computes if h != source)
        def refuse(*args: object, **kwargs: object) -> None:
            raise exception.MigrationPreCheckError(reason="not today")

        with mock.patch.object(cloud.computes[other].driver,
                               "check_can_live_migrate_destination", side_effect=refuse):
            cloud.admin_api.post_server_action(
                server["id"], {"os-migrateLive": {"block_migration": "auto", "host": None}})
        [migration] = cloud.admin_api.get_migrations()
        assert migration["status"] == "error"
        assert "looping" in cloud.trace.render()
