"""The nova backend's parts that run without Nova installed: bug injection's
source rebuild, the environment checks, and the CLI's refusals."""

import importlib
import importlib.metadata
import importlib.util
import logging
import sys
from pathlib import Path

import pytest

from harness.backends.base import NotApplicable
from harness.backends.nova import check_applicable, environment
from harness.backends.nova.logs import filter_reason, weigher_scores
from harness.cli import main
from harness.inject import KNOWN_BUGS, Injection, InjectionError, _rebuild
from harness.scenario.loader import load_scenario
from tests.nova import injections

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def schedule(spec, uuids):
    count = len(uuids) if uuids else spec
    return count


def test_rebuild_replaces_the_one_expression():
    rebuilt = _rebuild(schedule, "len(uuids) if uuids else spec", "spec")
    assert schedule(2, ["a"]) == 1
    assert rebuilt(2, ["a"]) == 2
    assert rebuilt.__qualname__ == schedule.__qualname__


def test_rebuild_refuses_when_the_expression_is_not_there():
    with pytest.raises(InjectionError, match="exactly once"):
        _rebuild(schedule, "spec_obj.num_instances", "1")


def test_an_injection_is_undone_even_when_the_run_fails(monkeypatch, tmp_path):
    (tmp_path / "fake_nova_scheduler.py").write_text(
        "class Manager:\n    def count(self, uuids):\n        return len(uuids)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fake_nova_scheduler", raising=False)
    module = importlib.import_module("fake_nova_scheduler")
    injection = Injection("fake_nova_scheduler", "Manager", "count",
                          fixed="return len(uuids)", buggy="return 2")
    original = module.Manager.__dict__["count"]
    with pytest.raises(RuntimeError), injection.applied():
        assert module.Manager().count(["a"]) == 2
        raise RuntimeError("the scenario broke")
    assert module.Manager.__dict__["count"] is original


@pytest.mark.parametrize("bug", KNOWN_BUGS.values(), ids=lambda b: b.name)
def test_every_fake_cloud_injection_finds_its_expression(bug):
    with bug.fake.applied():
        pass


def test_the_pike_injection_and_the_pike_driver_count_alike():
    from harness.cloud.objects import Flavor, RequestSpec
    from harness.cloud.scheduler.drivers import PikeSchedulerManager
    from harness.cloud.scheduler.manager import SchedulerManager

    spec = RequestSpec(instance_uuid="a", flavor=Flavor("1", "f", 1, 512, 1), num_instances=2)
    count = SchedulerManager._num_instances_to_schedule
    assert count(None, spec, ["a"]) == 1
    with KNOWN_BUGS["pike-16.0.0"].fake.applied():
        injected = SchedulerManager._num_instances_to_schedule(None, spec, ["a"])
    assert injected == PikeSchedulerManager._num_instances_to_schedule(None, spec, ["a"]) == 2
    assert SchedulerManager._num_instances_to_schedule is count


def test_prepare_says_what_to_install_when_nova_is_missing(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 11, 0))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(environment.NovaUnavailable, match=r"nova is not installed.*\[nova\]"):
        environment.prepare()


def test_prepare_refuses_sqlalchemy_2_1(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 11, 0))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.1.0")
    with pytest.raises(environment.NovaUnavailable, match=r"SQLAlchemy 2\.1\.0"):
        environment.prepare()


def test_api_paste_config_points_at_the_installed_file(monkeypatch, tmp_path):
    package = tmp_path / "site-packages" / "nova"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    installed = tmp_path / "etc" / "nova" / "api-paste.ini"
    installed.parent.mkdir(parents=True)
    installed.write_text("[composite:osapi_compute]\n")
    spec = importlib.util.spec_from_file_location("nova", package / "__init__.py")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert environment.api_paste_config() == installed


def test_a_source_checkout_needs_no_paste_fix(monkeypatch, tmp_path):
    package = tmp_path / "nova"
    package.mkdir()
    (package / "__init__.py").write_text("")
    beside = tmp_path / "etc" / "nova" / "api-paste.ini"
    beside.parent.mkdir(parents=True)
    beside.write_text("")
    spec = importlib.util.spec_from_file_location("nova", package / "__init__.py")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    assert environment.api_paste_config() is None


def test_the_cli_reports_an_unusable_nova_backend_as_a_usage_error(monkeypatch, capsys):
    def unavailable():
        raise environment.NovaUnavailable("nova is not installed: pip install ...")
    monkeypatch.setattr(environment, "prepare", unavailable)
    assert main(["run", "--backend", "nova", str(SCENARIOS)]) == 2
    err = capsys.readouterr().err
    assert "the nova backend cannot run: nova is not installed" in err
    assert "Traceback" not in err


def test_the_cli_refuses_a_scheduler_plugin_on_nova(capsys):
    assert main(["run", "--backend", "nova", "--scheduler", "pike-16.0.0", str(SCENARIOS)]) == 2
    assert "use --inject" in capsys.readouterr().err


def test_inject_on_the_fake_backend_puts_the_bug_into_the_fake_cloud(capsys):
    assert main(["run", "--inject", "pike-16.0.0", str(SCENARIOS / "bug_1718455")]) == 1
    out = capsys.readouterr().out
    assert "with scheduler fixed + pike-16.0.0" in out and "bug #1718455" in out


def test_inject_applies_to_a_plugged_scheduler_too(capsys):
    # The plug-in inherits the host count: the injection reaches it.
    assert main(["run", "--inject", "pike-16.0.0", "--scheduler",
                 "tests.functional.plugin_schedulers:IgnoresIgnoreHosts",
                 str(SCENARIOS / "bug_1718455" / "live_migrate_to_other_host.toml")]) == 1
    assert "observed NoValidHost" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["abc", "0", "-5", "4000", ""])
def test_a_bad_settle_timeout_is_refused_before_anything_runs(value, monkeypatch, capsys):
    monkeypatch.setenv("HARNESS_NOVA_SETTLE_SECONDS", value)
    assert main(["run", str(SCENARIOS / "bug_1718455"), "--backend", "nova"]) == 2
    assert "HARNESS_NOVA_SETTLE_SECONDS" in capsys.readouterr().err


def test_the_settle_timeout_is_read_from_the_environment(monkeypatch):
    from harness.backends.nova import _settle_seconds

    monkeypatch.setenv("HARNESS_NOVA_SETTLE_SECONDS", "42.5")
    assert _settle_seconds() == 42.5
    monkeypatch.delenv("HARNESS_NOVA_SETTLE_SECONDS")
    assert _settle_seconds() == 10.0


# Nova's scheduler log, read back for the verdicts (harness.backends.nova.logs): the
# lines below are Nova 34's, as its filters and weight handler format them.

def _records(*messages: str) -> list[logging.LogRecord]:
    return [logging.LogRecord("nova", logging.DEBUG, "", 0, m, None, None) for m in messages]


def test_the_compute_filter_s_log_lines_become_the_reasons_the_fake_cloud_gives():
    state = "(host2, host2) ram: 7680MB disk: 0MB io_ops: 0 instances: 0, allocation_candidates: 1"
    assert filter_reason(_records(f"{state} is disabled, reason: None")) == "service disabled"
    assert filter_reason(_records(f"{state} has not been heard from in a while")) == (
        "service down")


def test_a_group_filter_s_check_line_is_no_reason():
    assert filter_reason(_records(
        "Group anti-affinity: check if the number of servers from group 6b1f on host "
        "host1 is less than 1.")) is None


def test_weigher_scores_are_read_from_the_weight_handler_s_score_lines():
    records = _records(
        "RAMWeigher: raw weights {('host1', 'host1'): 7168, ('host2', 'host2'): 7680}",
        "RAMWeigher: score (multiplier * weight) {('host1', 'host1'): '1.0 * "
        "0.9333333333333333', ('host2', 'host2'): '1.0 * 1.0'}",
        "IoOpsWeigher: score (multiplier * weight) {('host1', 'host1'): '-1.0 * 1.0', "
        "('host2', 'host2'): '-1.0 * 0'}")
    assert weigher_scores(records) == {
        "host1": [("RAMWeigher", 0.9333333333333333), ("IoOpsWeigher", -1.0)],
        "host2": [("RAMWeigher", 1.0)]}


def test_a_step_at_a_microversion_the_release_lacks_makes_the_scenario_not_applicable():
    scenario = load_scenario(
        SCENARIOS / "bug_1718455" / "unshelve_one_of_two_to_host.toml", SCENARIOS)
    asked = {getattr(s, "microversion", None) for s in scenario.steps} - {None, "latest"}
    assert asked == {"2.91"}
    check_applicable(scenario, "2.104", True, "34.0.0")
    check_applicable(scenario, "2.91", False, "30.0.0")
    with pytest.raises(NotApplicable, match=r"^not applicable on nova 29.0.0: max "
                       r"microversion 2.90, the scenario asks for 2.91$"):
        check_applicable(scenario, "2.90", True, "29.0.0")


def test_a_step_as_a_project_manager_is_not_applicable_where_nova_has_no_such_role():
    scenario = load_scenario(SCENARIOS / "policy" / "project_manager_and_reader.toml",
                             SCENARIOS)
    check_applicable(scenario, "2.104", True, "34.0.0")
    with pytest.raises(NotApplicable, match="no project manager role"):
        check_applicable(scenario, "2.100", False, "31.3.1")


def test_hosts_with_different_reserved_memory_are_not_applicable_on_nova(tmp_path):
    path = tmp_path / "reserved.toml"
    path.write_text('''[scenario]
title = "two reservations"

[cloud]
hosts = [{ name = "host1", reserved_host_memory_mb = 0 }, "host2"]
flavors = [{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 }]

[[steps]]
action = "create"
flavor = "small"
''')
    scenario = load_scenario(path)
    with pytest.raises(NotApplicable, match=r"^not applicable on nova 34.0.0: its computes "
                       r"share one process, so one reserved_host_memory_mb; the scenario "
                       r"asks for \[0, 512\]$"):
        check_applicable(scenario, "2.104", True, "34.0.0")


@pytest.mark.parametrize("text, count", [("2", 2), ("all", None)])
def test_the_release_check_takes_a_count_of_scenarios_per_bug_or_all(text, count):
    assert injections._count_or_all(text) == count


@pytest.mark.parametrize("text", ["0", "-1", "two", ""])
def test_the_release_check_refuses_a_bad_count_before_running(text, capsys):
    with pytest.raises(SystemExit) as exited:
        injections.main(["--per-bug", text])
    assert exited.value.code == 2
    assert f"expected a number above 0 or 'all', not {text!r}" in capsys.readouterr().err
