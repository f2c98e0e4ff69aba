"""The invariants checked after every step catch what they are for: each is broken
on purpose in the fake cloud, and a scenario that expects nothing about it fails
with the invariant's name and the values; the same scenario passes unbroken."""

from pathlib import Path
from unittest import mock

import pytest

from harness.backends.fake import FakeCloudBackend
from harness.cloud.api import policy
from harness.cloud.api.migrate_server import MigrateServerController
from harness.cloud.api.servers import get_instance
from harness.cloud.compute.live_migration import LiveMigrationMixin
from harness.cloud.compute.manager import ComputeManager
from harness.cloud.placement import PlacementService
from harness.scenario.checks import check
from harness.scenario.loader import load_scenario
from harness.scenario.runner import run_scenario

LIVE_MIGRATION = """\
[scenario]
title = "A live migration that expects only its status"

[cloud]
hosts = ["host1", "host2"]
flavors = [{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 }]

[[steps]]
action = "create"
flavor = "small"

[[steps]]
action = "live-migrate"
server = 0
[steps.expect]
migration = { status = "completed" }
"""

# Five servers of 512 MB forced onto a host with room for three.
OVERFULL = """\
[scenario]
title = "Creates forced onto one small host"

[cloud]
hosts = [{ name = "host1", memory_mb = 2048 }, "host2"]
flavors = [{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 }]

[[steps]]
action = "create"
flavor = "small"
count = 5
availability_zone = "nova:host1"
[steps.expect]
error = "any"
"""


def failures(tmp_path: Path, text: str, inject: str | None = None) -> list[str]:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    verdict = check(run_scenario(load_scenario(path), FakeCloudBackend(inject=inject),
                                 "fixed"))
    return [m.render() for step in verdict.failed_steps for m in step.mismatches]


def _post_at_destination_keeping(*kept: str):
    """post_live_migration_at_destination, broken: the fields named keep the value they
    had before the migration."""
    real = LiveMigrationMixin.post_live_migration_at_destination

    def broken(self, context, instance, migration):
        before = {name: getattr(instance, name) for name in kept}
        real(self, context, instance, migration)
        current = type(instance).get_by_uuid(self.db, instance.uuid)
        for name, value in before.items():
            setattr(current, name, value)
        current.save()
    return broken


def test_a_server_whose_node_was_not_moved_with_it_breaks_server_on_a_known_node(tmp_path):
    assert failures(tmp_path, LIVE_MIGRATION) == []
    with mock.patch.object(LiveMigrationMixin, "post_live_migration_at_destination",
                           _post_at_destination_keeping("node")):
        found = failures(tmp_path, LIVE_MIGRATION)
    assert any(m.startswith("invariant server-on-a-known-node: server 0") and
               "observed host host2, node host1" in m for m in found), found


def _build_leaving_task_state(task_state: str):
    """_build_and_run_instance, broken: the server is ACTIVE but keeps a task state."""
    real = ComputeManager._build_and_run_instance

    def broken(self, context, instance, node, request_spec):
        real(self, context, instance, node, request_spec)
        instance.task_state = task_state
        instance.save()
    return broken


def test_a_task_state_left_behind_breaks_no_task_state_left(tmp_path):
    assert failures(tmp_path, LIVE_MIGRATION) == []
    with mock.patch.object(ComputeManager, "_build_and_run_instance",
                           _build_leaving_task_state("spawning")):
        found = failures(tmp_path, LIVE_MIGRATION)
    assert ("invariant no-task-state-left: server 0: expected task_state None once the "
            "step settled, observed task_state spawning (ACTIVE)") in found, found


def test_placement_that_overcommits_breaks_usage_within_capacity(tmp_path):
    # Placement refuses the fourth and fifth claims; the build of the batch fails.
    assert failures(tmp_path, OVERFULL.replace('error = "any"', 'error = "NoValidHost"')) == []
    with mock.patch.object(PlacementService, "_fits", lambda self, provider, resources: True), \
            mock.patch.object(PlacementService, "_check_capacity", lambda self, staged: None):
        found = failures(tmp_path, OVERFULL.replace('error = "any"\n', ""))
    assert ("invariant usage-within-capacity: host1.MEMORY_MB: expected at most 1536, "
            "observed 2560 allocated") in found, found


@pytest.mark.parametrize("expect", ['allocations = "unchecked"',
                                    'server = { host = "@not-source" }'])
def test_invariants_hold_whatever_the_scenario_expects(tmp_path, expect):
    text = LIVE_MIGRATION.replace('migration = { status = "completed" }', expect)
    assert failures(tmp_path, text) == []
    with mock.patch.object(ComputeManager, "_build_and_run_instance",
                           _build_leaving_task_state("spawning")):
        found = failures(tmp_path, text)
    assert any(m.startswith("invariant no-task-state-left") for m in found), found


MEMBER_MIGRATES = """\
[scenario]
title = "A project member may not cold-migrate"

[cloud]
hosts = ["host1", "host2"]
flavors = [{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 }]

[[steps]]
action = "create"
flavor = "small"
as = "user"

[[steps]]
action = "migrate"
server = 0
as = "user"
[steps.expect]
api_status = 403
"""


def _migrate_then_authorize(self, context, server_id, body, version):
    """The migrate action, broken: the move is sent before the policy is checked."""
    instance = get_instance(self.db, context, server_id)
    self.compute_api.resize(context, instance, host_name=None)
    policy.authorize(context, "os_compute_api:os-migrate-server:migrate", instance.project_id)


def test_a_forbidden_request_that_changed_something_breaks_refused_request_changes_nothing(
        tmp_path):
    assert failures(tmp_path, MEMBER_MIGRATES) == []
    with mock.patch.object(MigrateServerController, "_migrate", _migrate_then_authorize):
        found = failures(tmp_path, MEMBER_MIGRATES)
    assert any(m.startswith("invariant refused-request-changes-nothing: server 0") and
               "VERIFY_RESIZE" in m for m in found), found
    assert any(m.startswith("invariant refused-request-changes-nothing: instance actions")
               for m in found), found


COLD_MIGRATION = LIVE_MIGRATION.replace('action = "live-migrate"', 'action = "migrate"').replace(
    'migration = { status = "completed" }', 'migration = { status = "finished" }')


def test_a_conductor_that_persists_ignore_hosts_breaks_per_request_fields_not_persisted(
        tmp_path):
    # The conductor of bug #1669054 saves the spec with ignore_hosts = [source] for
    # the new flavor; no later step reads it back, yet the step that wrote it fails.
    assert failures(tmp_path, COLD_MIGRATION) == []
    found = failures(tmp_path, COLD_MIGRATION, inject="bug-1669054")
    wanted = ("invariant per-request-fields-not-persisted: server 0 RequestSpec.ignore_hosts: "
              "expected not persisted")
    assert any(m.startswith(wanted) for m in found), found
