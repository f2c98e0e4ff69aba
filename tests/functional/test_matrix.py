"""The gate's matrix on the fake cloud: every shipped scenario, with each known bug
put back (the pike-16.0.0 scheduler driver, and every --inject), passes exactly when
it is not tagged with that bug. tests/nova asserts the same matrix on real Nova."""

from pathlib import Path

import pytest

from harness.backends.fake import FakeCloudBackend
from harness.inject import KNOWN_BUGS
from harness.scenario.checks import check
from harness.scenario.diff import diff
from harness.scenario.loader import discover, load_scenario
from harness.scenario.runner import run_scenario
from harness.scenario.steps import STEP_TYPES

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = [load_scenario(p, SCENARIOS) for p in discover([SCENARIOS])]
# (label, scheduler driver, injection, the bug it puts back)
BUGGY = [("pike-16.0.0 driver", "pike-16.0.0", None, "1718455")] + [
    (f"--inject {bug.name}", "fixed", bug.name, bug.number) for bug in KNOWN_BUGS.values()]
MOVES = sorted(a for a, cls in STEP_TYPES.items() if cls.ASKS_SCHEDULER)


def verdict(scenario, scheduler="fixed", inject=None):
    return check(run_scenario(scenario, FakeCloudBackend(inject=inject), scheduler))


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda s: s.id)
def test_every_scenario_passes_on_the_fixed_code(scenario):
    result = verdict(scenario)
    assert result.passed, [m.render() for s in result.failed_steps for m in s.mismatches]


@pytest.mark.parametrize("label, scheduler, inject, bug", BUGGY, ids=[b[0] for b in BUGGY])
@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda s: s.id)
def test_a_bug_fails_exactly_the_scenarios_tagged_with_it(scenario, label, scheduler,
                                                          inject, bug):
    result = verdict(scenario, scheduler, inject)
    assert result.passed is (bug not in scenario.bugs), label
    if not result.passed:
        why = "\n".join(line for s in result.failed_steps for line in s.outcome.explanation)
        assert f"bug #{bug}" in why


def failing_moves(scheduler, inject=None):
    """{move action: [scenario ids]} of the moves that do not do what they should."""
    found: dict[str, list[str]] = {}
    for scenario in SHIPPED:
        for step in verdict(scenario, scheduler, inject).failed_steps:
            if step.outcome.step.ASKS_SCHEDULER:
                found.setdefault(step.outcome.step.ACTION, []).append(scenario.id)
    return found


def test_bug_1718455_is_caught_on_every_path_that_asks_the_scheduler():
    # A path with no failing scenario is a path the gate is blind to.
    assert sorted(KNOWN_BUGS["pike-16.0.0"].moves) == MOVES
    for scheduler, inject in (("pike-16.0.0", None), ("fixed", "pike-16.0.0")):
        assert sorted(failing_moves(scheduler, inject)) == MOVES


@pytest.mark.parametrize("bug", KNOWN_BUGS.values(), ids=lambda b: b.name)
def test_every_known_bug_breaks_a_scenario_on_each_move_it_names(bug):
    assert set(bug.moves) <= set(failing_moves("fixed", bug.name)), bug.moves


def test_every_path_fails_with_the_persisted_count_named():
    for scenario in SHIPPED:
        if "1718455" not in scenario.bugs:
            continue
        result = verdict(scenario, "pike-16.0.0")
        first = result.failed_steps[0].outcome
        assert first.step.ASKS_SCHEDULER, scenario.id
        assert any("RequestSpec.num_instances = " in line and "bug #1718455" in line
                   for line in first.explanation), (scenario.id, first.explanation)


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda s: s.id)
def test_no_scenario_depends_on_how_a_weight_tie_is_broken(scenario):
    # Nova takes equally weighed hosts in compute node UUID order, which is random:
    # a scenario whose outcome changes when ties break the other way would pass or
    # fail on Nova by chance. Hosts alike and never named may swap (diff renames them).
    for _, scheduler, inject, _ in [("fixed", "fixed", None, None), *BUGGY]:
        usual = run_scenario(scenario, FakeCloudBackend(inject=inject), scheduler)
        other = run_scenario(scenario, FakeCloudBackend(inject=inject, reverse_ties=True),
                             scheduler)
        assert diff(usual, other) == [], (scheduler, inject)
