"""What a step's own outcome says went wrong, whatever the backend."""

import dataclasses

import pytest

from harness.scenario.model import Expect
from harness.scenario.steps import MigrateStep
from tests.unit.scenario.builders import create, server, step_outcome


def in_group(group: str | None):
    return dataclasses.replace(create(count=2), group=group)


def test_a_crashed_create_into_a_group_names_the_bug_that_leaves_it_without_members():
    [line] = in_group("loose").explain(step_outcome(in_group("loose"), api_status=500))
    assert "server group loose" in line
    assert "RequestSpec.instance_group.members = None" in line
    assert "bug #1815153" in line


@pytest.mark.parametrize("group, status", [(None, 500), ("loose", 202), ("loose", 403)])
def test_other_creates_explain_nothing_of_their_own(group, status):
    assert in_group(group).explain(step_outcome(in_group(group), api_status=status)) == []


def migrate(host: str | None = "host2") -> MigrateStep:
    return MigrateStep(index=1, expect=Expect(), actor="admin", server=0, host=host)


def test_a_move_that_lands_away_from_its_target_says_the_destination_was_lost():
    outcome = step_outcome(migrate(), servers=(server(host="host3"),),
                           refs={"@target": "host2"})
    [line] = migrate().explain(outcome)
    assert "asked for host2 but the server went to host3" in line
    assert "RequestSpec.requested_destination" in line


@pytest.mark.parametrize("landed, status", [("host2", 202), ("host3", 400), (None, 202)])
def test_a_move_that_reached_its_target_or_was_refused_explains_nothing(landed, status):
    outcome = step_outcome(migrate(), api_status=status, servers=(server(host=landed),),
                           refs={"@target": "host2"})
    assert migrate().explain(outcome) == []


def test_a_move_without_a_target_explains_nothing():
    outcome = step_outcome(migrate(None), servers=(server(host="host3"),),
                           refs={"@target": None})
    assert migrate(None).explain(outcome) == []


def test_a_move_whose_microversion_does_not_read_the_host_explains_nothing():
    # Before 2.56 Nova does not read a cold migration's host: landing away is no loss.
    old = dataclasses.replace(migrate(), microversion="2.55")
    outcome = step_outcome(old, servers=(server(host="host3"),), refs={"@target": "host2"})
    assert old.explain(outcome) == []
    assert old.describe() == "cold-migrate server 0 to host2 (not read at 2.55)"
