"""The stress check (python -m tests.stress) fails on a flake and on a leak."""

from pathlib import Path
from unittest import mock

from tests.stress import __main__ as stress

SCENARIO = str(Path(__file__).resolve().parents[2] / "scenarios" / "bug_1718455"
               / "live_migrate_to_other_host.toml")


def test_a_steady_catalogue_passes(capsys):
    assert stress.main(["--repeat", "8", SCENARIO]) == 0
    assert "flakes after it: 0" in capsys.readouterr().out


def test_an_outcome_that_changes_from_one_run_to_another_is_a_flake(capsys):
    real_run, runs = stress.run_scenario, []

    def drifting_run(scenario, backend, scheduler):
        outcome = real_run(scenario, backend, scheduler)
        runs.append(outcome)
        if len(runs) == 5:
            outcome.steps[-1].migration = None
        return outcome

    with mock.patch.object(stress, "run_scenario", drifting_run):
        assert stress.main(["--repeat", "8", SCENARIO]) == 1
    out = capsys.readouterr().out
    assert "flakes after it: 1" in out
    assert "run 5: bug_1718455/live_migrate_to_other_host" in out


def test_a_run_that_leaves_objects_behind_is_a_leak(capsys):
    real_run, kept = stress.run_scenario, []

    def leaking_run(scenario, backend, scheduler):
        kept.extend([] for _ in range(500))
        return real_run(scenario, backend, scheduler)

    with mock.patch.object(stress, "run_scenario", leaking_run):
        assert stress.main(["--repeat", "12", SCENARIO]) == 1
    out = capsys.readouterr().out
    assert "flakes after it: 0" in out and "allowed 2000" in out
