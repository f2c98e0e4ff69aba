"""The request bodies move steps send, as each microversion takes them."""

import pytest

from harness.scenario.model import Expect
from harness.scenario.steps import EvacuateStep, LiveMigrateStep


def live(microversion=None, **keys):
    return LiveMigrateStep(index=1, expect=Expect(), server=0, microversion=microversion,
                           **keys)


def evacuate(microversion=None, **keys):
    return EvacuateStep(index=1, expect=Expect(), server=0, microversion=microversion,
                        **keys)


@pytest.mark.parametrize("microversion, body", [
    (None, {"block_migration": "auto", "host": "host2"}),
    ("2.25", {"block_migration": "auto", "host": "host2"}),
    ("2.24", {"block_migration": False, "host": "host2", "disk_over_commit": False}),
    ("2.1", {"block_migration": False, "host": "host2", "disk_over_commit": False}),
])
def test_live_migration_sends_each_versions_keys(microversion, body):
    assert live(microversion).body(None, "host2") == {"os-migrateLive": body}


def test_a_block_migration_given_is_sent_as_given():
    assert live("2.1", block_migration=True).body(None, None)["os-migrateLive"][
        "block_migration"] is True


@pytest.mark.parametrize("microversion, host, force, forced", [
    (None, "host2", False, False), (None, "host2", True, True), ("2.30", "host2", False, False),
    ("2.29", "host2", False, True), ("2.1", None, False, False),
])
def test_a_live_migration_host_is_forced_before_2_30(microversion, host, force, forced):
    assert live(microversion, host=host, force=force).forced() is forced


@pytest.mark.parametrize("microversion, body", [
    (None, {"host": "host2"}), ("2.14", {"host": "host2"}),
    ("2.13", {"onSharedStorage": False, "host": "host2"}),
])
def test_evacuate_sends_on_shared_storage_before_2_14(microversion, body):
    assert evacuate(microversion).body(None, "host2") == {"evacuate": body}


@pytest.mark.parametrize("microversion, forced", [(None, False), ("2.29", False),
                                                  ("2.28", True)])
def test_an_evacuation_host_is_forced_before_2_29(microversion, forced):
    assert evacuate(microversion, host="host2").forced() is forced


@pytest.mark.parametrize("step_type, microversion, takes, forced", [
    (LiveMigrateStep, "2.29", False, True),
    (LiveMigrateStep, "2.30", True, False),
    (LiveMigrateStep, "2.67", True, False),
    (LiveMigrateStep, "2.68", False, False),
    (LiveMigrateStep, None, False, False),
    (EvacuateStep, "2.28", False, True),
    (EvacuateStep, "2.29", True, False),
    (EvacuateStep, "2.67", True, False),
    (EvacuateStep, "2.68", False, False),
])
def test_where_force_is_taken_and_where_a_named_host_is_forced_without_it(
        step_type, microversion, takes, forced):
    step = step_type(index=1, expect=Expect(), server=0, microversion=microversion,
                     host="host2")
    assert step_type.takes_force(microversion) is takes
    assert step.forced() is forced
    assert step_type(index=1, expect=Expect(), server=0, microversion=microversion).forced() \
        is False
