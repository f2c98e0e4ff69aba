"""The runner: error classes from tracebacks, and what it records on the fake cloud."""

import traceback
from pathlib import Path

import pytest

from harness.backends.fake import FakeCloudBackend, FakeCloudHandle
from harness.cloud import exception
from harness.cloud.api.client import TestOpenStackClient
from harness.scenario.checks import check
from harness.scenario.errors import exception_class
from harness.scenario.loader import load_scenario
from harness.scenario.runner import StepRunner, run_scenario
from tests.unit.scenario.builders import HEADER, MOVES, SCENARIO, SMALL, write

ROOT = Path(__file__).resolve().parents[3]


def formatted(exc: BaseException) -> str:
    """The traceback Python prints for ``exc``, ending with its ``Class: message`` line."""
    try:
        raise exc
    except BaseException as raised:
        return "".join(traceback.format_exception(raised))


def no_valid_host(reason: str) -> None:
    raise exception.NoValidHost(reason=reason)


def frames_only() -> str:
    """What Nova records for an action event: the stack frames, no final line."""
    try:
        no_valid_host("1 host, 2 required")
    except exception.NoValidHost as raised:
        return "".join(traceback.format_tb(raised.__traceback__))


def chained() -> str:
    try:
        try:
            {}["host3"]
        except KeyError as exc:
            raise RuntimeError("lookup failed") from exc
    except RuntimeError as raised:
        return "".join(traceback.format_exception(raised))


def error_class(traceback_text: str | None, details: str | None = None) -> str | None:
    return exception_class(traceback_text, details, exception)


# exception_class


@pytest.mark.parametrize("text, name", [
    ('Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n'
     "harness.cloud.exception.NoValidHost: No valid host was found.\n", "NoValidHost"),
    ("ValueError: bad value\n", "ValueError"),
    ("", None),
    ("no exception here\n", None),
], ids=["dotted-with-message", "bare", "empty", "prose"])
def test_exception_class_reads_the_class_line(text, name):
    assert error_class(text) == name


def test_exception_class_of_an_exception_without_message():
    text = ('Traceback (most recent call last):\n  File "plugin.py", line 9, in select\n'
            "    raise Boom\nplugin.errors.Boom\n")
    assert error_class(text) == "Boom"


def test_exception_class_of_a_real_traceback():
    assert error_class(formatted(ValueError("no host"))) == "ValueError"


def test_exception_class_of_a_chained_traceback_is_the_last_one_raised():
    text = chained()
    assert "KeyError" in text and "direct cause" in text
    assert error_class(text) == "RuntimeError"


def test_exception_class_of_stack_frames_is_the_innermost_raise():
    text = frames_only()
    assert "NoValidHost: " not in text
    assert error_class(text) == "NoValidHost"


@pytest.mark.parametrize("details, name", [
    ("No valid host was found. There are not enough hosts available.", "NoValidHost"),
    ("Exceeded maximum number of retries. Exhausted all hosts", "MaxRetriesExceeded"),
    ("Migration pre-check error: host1 is down", "MigrationPreCheckError"),
    ("something else entirely", None),
])
def test_exception_class_from_the_message_alone(details, name):
    assert error_class(None, details) == name


def test_a_non_nova_error_is_its_class_name_as_nova_records_it():
    # exception_to_dict: an exception that is not Nova's is recorded by class name,
    # and a template of fields alone ("%(detail)s") must not claim it.
    frames = "  File \"manager.py\", line 598, in _legacy_find_hosts\n    x = a[1]\n"
    assert error_class(frames, "IndexError") == "IndexError"
    assert error_class(None, "KeyError") == "KeyError"


def test_exception_class_with_a_message_of_several_lines():
    text = formatted(ValueError("No valid host was found.\nReason: 1 host, 2 required"))
    assert error_class(text) == "ValueError"


# run_scenario on the fake cloud


def run(tmp_path, text, scheduler="fixed"):
    scenario = load_scenario(write(tmp_path / "s.toml", text))
    return scenario, run_scenario(scenario, FakeCloudBackend(), scheduler)


def test_created_servers_are_numbered_in_launch_order(tmp_path, monkeypatch):
    listed = TestOpenStackClient.get_servers
    monkeypatch.setattr(TestOpenStackClient, "get_servers",
                        lambda self, *a, **k: list(reversed(listed(self, *a, **k))))
    _, outcome = run(tmp_path, HEADER.replace("count = 2", "count = 3"))
    [created] = outcome.steps
    assert [(s.index, s.name) for s in created.servers] == [
        (0, "server-1"), (1, "server-2"), (2, "server-3")]
    assert created.all_servers == created.servers
    assert {i: s.num_instances for i, s in created.request_specs.items()} == {0: 3, 1: 3, 2: 3}


def test_other_resolves_to_the_host_the_server_is_not_on(tmp_path):
    _, outcome = run(tmp_path, MOVES)
    created, moved = outcome.steps
    source = created.servers[0].host
    [target] = {"host1", "host2"} - {source}
    assert moved.refs == {"@source": source, "@target": target, "@other": target}
    assert (moved.migration.source, moved.migration.dest) == (source, target)
    assert moved.servers[0].host == target
    assert f"action=os-migrateLive, block_migration=auto, host={target})" in moved.trace


def test_after_a_completed_move_only_the_servers_hold_allocations(tmp_path):
    _, outcome = run(tmp_path, MOVES)
    created, moved = outcome.steps
    assert set(created.allocations) == {"server 0", "server 1"}
    assert moved.allocations == {
        "server 0": {moved.servers[0].host: SMALL},
        "server 1": {created.servers[1].host: SMALL}}
    assert check(outcome).passed


class StubCloud:
    """Just enough of a CloudHandle for StepRunner's bookkeeping."""

    def __init__(self, allocations, migrations):
        self._allocations, self._migrations = allocations, migrations
        self.admin_api = self

    def post_flavor(self, body):
        return {"id": body["flavor"]["name"]}

    def get_migrations(self):
        return self._migrations

    def allocations(self):
        return self._allocations


def test_allocation_consumers_are_labelled_by_server_and_migration():
    cloud = StubCloud(
        allocations={"uuid-a": {"host1": SMALL}, "mig-1": {"host2": SMALL},
                     "uuid-b": {"host2": SMALL}, "0123456789abcdef": {"host1": SMALL}},
        migrations=[{"uuid": "mig-1", "instance_uuid": "uuid-a"},
                    {"uuid": "mig-x", "instance_uuid": "not-ours"}])
    runner = StepRunner(SCENARIO, cloud)
    runner.add_servers(["uuid-a", "uuid-b"], 2)
    assert runner._allocations(runner.migrations()) == {
        "server 0": {"host1": SMALL}, "migration of server 0": {"host2": SMALL},
        "server 1": {"host2": SMALL}, "consumer 01234567": {"host1": SMALL}}


def test_a_user_cannot_live_migrate_and_no_migration_is_made(tmp_path):
    text = HEADER + '\n[[steps]]\naction = "live-migrate"\nserver = 0\nas = "user"\n'
    _, outcome = run(tmp_path, text)
    moved = outcome.steps[1]
    assert moved.api_status == 403
    assert "os-migrate-server:migrate_live" in moved.api_message
    assert moved.migration is None
    assert (moved.error_class, moved.settled) == (None, True)
    assert moved.servers[0].host == outcome.steps[0].servers[0].host


def test_disabling_the_only_other_host_leaves_no_valid_host(tmp_path):
    text = HEADER + (
        '\n[[steps]]\naction = "set-service"\nhost = "host2"\ndisabled = true\n'
        '\n[[steps]]\naction = "live-migrate"\nserver = 0\n')
    _, outcome = run(tmp_path, text)
    created, disabled, moved = outcome.steps
    assert disabled.api_status == 200
    assert (moved.api_status, moved.error_class) == (202, "NoValidHost")
    assert moved.migration.status == "error"
    assert moved.servers[0].host == created.servers[0].host
    why = "\n".join(moved.explanation)
    assert "0 host(s) selected, 1 required" in why
    assert "hosts passed the filters" in why and "placement" in why


def test_a_failed_move_on_pike_records_the_error_and_keeps_the_server(tmp_path):
    _, outcome = run(tmp_path, MOVES, scheduler="pike-16.0.0")
    created, moved = outcome.steps
    assert (moved.error_class, moved.migration.status) == ("NoValidHost", "error")
    assert moved.servers[0].host == moved.refs["@source"] == created.servers[0].host
    assert "migration of server 0" not in moved.allocations
    assert "RequestSpec.num_instances = 2" in "\n".join(moved.explanation)


def test_steps_on_a_server_group_an_earlier_step_failed_to_create_fail_cleanly(tmp_path):
    text = HEADER.split("[[steps]]")[0] + """
[[steps]]
action = "create-server-group"
name = "spread"
policy = "anti-affinity"
max_server_per_host = 2
microversion = "2.63"

[[steps]]
action = "create"
flavor = "small"
group = "spread"

[[steps]]
action = "delete-server-group"
name = "spread"
"""
    _, outcome = run(tmp_path, text)
    made, created, deleted = outcome.steps
    assert made.api_status == 400  # rules came with 2.64
    never = "server group spread was never created: an earlier step failed"
    assert (created.api_status, created.api_message) == (None, never)
    assert (deleted.api_status, deleted.api_message) == (None, never)


def test_a_deleted_server_group_is_gone_and_its_members_stay(tmp_path):
    text = HEADER.split("[[steps]]")[0] + """
[[steps]]
action = "create-server-group"
name = "spread"
policy = "anti-affinity"

[[steps]]
action = "create"
flavor = "small"
group = "spread"

[[steps]]
action = "delete-server-group"
name = "spread"

[[steps]]
action = "delete-server-group"
name = "spread"
[steps.expect]
api_status = 404
"""
    _, outcome = run(tmp_path, text)
    assert check(outcome).passed
    assert [s.api_status for s in outcome.steps[2:]] == [204, 404]
    assert outcome.steps[3].all_servers[0].status == "ACTIVE"


def test_a_step_on_a_server_an_earlier_step_failed_to_create_fails_cleanly(tmp_path):
    text = HEADER.replace('count = 2', 'count = 2\navailability_zone = "elsewhere"') + """
[[steps]]
action = "live-migrate"
server = 0

[[steps]]
action = "set-service"
server = 1
disabled = true
"""
    _, outcome = run(tmp_path, text)
    verdict = check(outcome)
    created, moved, service = outcome.steps
    assert created.api_status == 400
    assert (moved.api_status, moved.api_message) == (
        None, "server 0 was never created: an earlier step failed")
    assert service.api_message == "server 1 was never on a host: an earlier step failed"
    assert verdict.steps[1].mismatches[0].render().startswith(
        "api_status: expected 202, observed None (server 0 was never created")


def test_a_refused_create_keeps_its_server_numbers(tmp_path):
    text = HEADER.replace('count = 2', 'count = 2\navailability_zone = "elsewhere"') + """
[[steps]]
action = "create"
flavor = "small"

[[steps]]
action = "live-migrate"
server = 2
host = "@other"
"""
    _, outcome = run(tmp_path, text)
    refused, created, moved = outcome.steps
    assert refused.api_status == 400
    assert [s.index for s in created.servers] == [2]
    assert moved.servers[0].index == 2 and moved.servers[0].host != created.servers[0].host
    assert [s.index for s in moved.all_servers] == [2]


def without_fault(servers):
    return [{k: v for k, v in s.items() if k != "fault"} for s in servers]


def test_a_failed_create_is_read_once_its_fault_is_written(tmp_path, monkeypatch):
    # Nova saves a failed build in ERROR, then writes its fault: the first read of
    # the server here is one between the two writes. Its listing never shows the
    # fault, as before nova 33 for a server buried in cell0.
    listed, shown = TestOpenStackClient.get_servers, TestOpenStackClient.get_server
    reads: list[str] = []

    def between_the_two_writes(self, server_id):
        reads.append(server_id)
        server = shown(self, server_id)
        return without_fault([server])[0] if len(reads) == 1 else server

    monkeypatch.setattr(TestOpenStackClient, "get_servers",
                        lambda self, *a, **k: without_fault(listed(self, *a, **k)))
    monkeypatch.setattr(TestOpenStackClient, "get_server", between_the_two_writes)
    # As on Nova, where the step polls while the cloud works; the fake cloud's
    # answers are final at once.
    monkeypatch.setattr(FakeCloudHandle, "poll_timeout", 10.0)
    monkeypatch.setattr(FakeCloudHandle, "at_rest", lambda self: False)
    text = HEADER.replace('hosts = ["host1", "host2"]',
                          'hosts = [{ name = "host1", memory_mb = 1024 }]')
    [created] = run(tmp_path, text)[1].steps
    assert len(reads) > 2
    assert created.settled
    assert {s.status for s in created.servers} == {"ERROR"}
    assert (created.error_class, created.error_message) == (
        "NoValidHost", "No valid host was found. There are not enough hosts available.")


def recording_reads(monkeypatch, calls):
    """Record each read of the admin's API as (method, first argument), and each time
    the runner is told the cloud changed as a None."""
    def recorder(name):
        read = getattr(TestOpenStackClient, name)

        def recorded(self, *args):
            calls.append((name, args[0] if args else None))
            return read(self, *args)
        return recorded

    for name in ("get_server", "get_migrations", "get_instance_actions",
                 "get_instance_action_details"):
        monkeypatch.setattr(TestOpenStackClient, name, recorder(name))
    changed = StepRunner.changed

    def recorded_change(self):
        calls.append(None)
        changed(self)
    monkeypatch.setattr(StepRunner, "changed", recorded_change)


@pytest.mark.parametrize("at_rest, server_reads, migration_reads", [
    # The wait's look at the moved server was made at rest: it is the step's read.
    (True, 4, 2),
    # Made while the cloud worked: once settled, the step reads the server again,
    # and each step starts with reads of its own.
    (False, 5, 4),
])
def test_a_step_reads_each_thing_once_between_changes(tmp_path, monkeypatch, at_rest,
                                                      server_reads, migration_reads):
    calls: list[tuple[str, str | None] | None] = []
    recording_reads(monkeypatch, calls)
    monkeypatch.setattr(FakeCloudHandle, "at_rest", lambda self: at_rest)
    _, outcome = run(tmp_path, MOVES)
    assert check(outcome).passed
    moments: list[list[tuple[str, str | None]]] = [[]]
    for call in calls:
        if call is None:
            moments.append([])
        else:
            moments[-1].append(call)
    assert all(len(set(reads)) == len(reads) for reads in moments), moments
    # Before, the create step and the runner's observation after it each read both
    # servers, and the move read its server and its actions twice once settled.
    assert sum(1 for call in calls if call and call[0] == "get_server") == server_reads
    # At rest, what the create step read last is what the move reads first.
    assert sum(1 for call in calls if call and call[0] == "get_migrations") == migration_reads


def test_a_step_reports_what_it_reads_once_settled_not_while_polling(tmp_path, monkeypatch):
    # On Nova a poll's reads are not one moment: its read of the server may be older
    # than its read of the migration that says the move is done. Here every read made
    # while polling shows the server on a host it has left.
    polling = [False]
    wait, shown = StepRunner.wait, TestOpenStackClient.get_server

    def marked_wait(self, condition):
        def marked():
            polling[0] = True
            try:
                return condition()
            finally:
                polling[0] = False
        return wait(self, marked)

    def older_while_polling(self, server_id):
        server = shown(self, server_id)
        return {**server, "OS-EXT-SRV-ATTR:host": "gone"} if polling[0] else server

    monkeypatch.setattr(StepRunner, "wait", marked_wait)
    monkeypatch.setattr(TestOpenStackClient, "get_server", older_while_polling)
    monkeypatch.setattr(FakeCloudHandle, "poll_timeout", 10.0)
    monkeypatch.setattr(FakeCloudHandle, "at_rest", lambda self: False)
    _, outcome = run(tmp_path, MOVES)
    created, moved = outcome.steps
    assert {s.host for s in (*created.servers, *moved.servers, *moved.all_servers)} == {
        "host1", "host2"}
    assert check(outcome).passed


class Resting:
    """A cloud that works until its ``rests_at``-th pause between looks, then rests."""

    def __init__(self, rests_at: int) -> None:
        self.rests_at = rests_at
        self.pauses = 0

    def pause(self) -> None:
        self.pauses += 1

    def at_rest(self) -> bool:
        return self.pauses >= self.rests_at


@pytest.fixture
def waiting_runner(tmp_path):
    """A runner on a cloud that rests from its ``rests_at``-th pause on."""
    scenario = load_scenario(write(tmp_path / "s.toml", MOVES))
    with FakeCloudBackend().open(scenario, "fixed") as cloud:
        cloud.poll_timeout = 60.0

        def runner(rests_at: int) -> StepRunner:
            resting = Resting(rests_at)
            cloud.pause, cloud.at_rest = resting.pause, resting.at_rest
            return StepRunner(scenario, cloud)
        yield runner


def test_a_wait_ends_unsettled_at_the_first_look_after_the_cloud_came_to_rest(
        waiting_runner):
    runner = waiting_runner(rests_at=3)
    looks: list[None] = []
    assert runner.wait(lambda: looks.append(None)) == (None, False)
    # Two looks while it worked, one after each pause: the last read it at rest.
    assert len(looks) == 4


def test_a_wait_looks_until_it_settles_while_the_cloud_works(waiting_runner):
    runner = waiting_runner(rests_at=100)
    looks: list[None] = []

    def settled_at_the_fifth_look():
        looks.append(None)
        return "settled" if len(looks) == 5 else None

    assert runner.wait(settled_at_the_fifth_look) == ("settled", True)
    assert len(looks) == 5


@pytest.mark.parametrize("rests, why", [
    (True, "the cloud came to rest with it unfinished"),
    (False, "had not finished after 0 s while the cloud still worked"),
])
def test_a_step_that_never_settled_says_why_its_wait_ended(tmp_path, monkeypatch, rests, why):
    shown = TestOpenStackClient.get_server

    def still_migrating(self, server_id):
        return {**shown(self, server_id), "OS-EXT-STS:task_state": "migrating"}

    monkeypatch.setattr(TestOpenStackClient, "get_server", still_migrating)
    monkeypatch.setattr(FakeCloudHandle, "at_rest", lambda self: rests)
    created, moved = run(tmp_path, MOVES)[1].steps
    assert created.settled and not any(why in line for line in created.explanation)
    assert not moved.settled
    assert any(why in line for line in moved.explanation)


STALE_GROUP = """\
[scenario]
title = "The anti-affinity group's next server, after a member moved and another was deleted"

[cloud]
hosts = [{ name = "host1", memory_mb = 9728 }, { name = "host2", memory_mb = 8704 },
         { name = "host3", memory_mb = 8192 }]
flavors = [{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 }]
config = { weight_multipliers = { ram_weight_multiplier = -1.0 } }

[[steps]]
action = "create-server-group"
name = "g"
policy = "anti-affinity"

[[steps]]
action = "create"
flavor = "small"
group = "g"
[steps.expect]
server = { host = "host3" }

[[steps]]
action = "create"
flavor = "small"
group = "g"
[steps.expect]
server = { host = "host2" }

[[steps]]
action = "live-migrate"
server = 0
host = "host1"

[[steps]]
action = "delete"
server = 1

[[steps]]
action = "create"
flavor = "small"
group = "g"

[[steps]]
action = "delete"
server = 0

[[steps]]
action = "create"
flavor = "small"
group = "g"
"""


def test_the_members_anti_affinity_counted_are_named_with_where_they_really_are(tmp_path):
    # Stacking: each new member goes to the smallest host it may. host3's report still
    # lists server 0 after its live migration to host1, and after its delete there;
    # host2's report of server 1's delete takes it off host2's list.
    _, outcome = run(tmp_path, STALE_GROUP)

    def counted(step: int) -> dict[str, tuple[str, ...]]:
        [sort_pass] = outcome.steps[step].scheduling[0].passes
        [verdict] = [v for v in sort_pass.filters if v.name == "ServerGroupAntiAffinityFilter"]
        return verdict.counted

    assert [outcome.steps[i].servers[0].host for i in (5, 7)] == ["host2", "host1"]
    assert counted(5) == {"host1": ("server 0",), "host3": ("server 0 (now on host1)",)}
    assert counted(7) == {"host2": ("server 2",), "host3": ("server 0 (deleted)",)}


def test_an_evacuation_that_claims_a_failed_resizes_flavor_says_which_step_left_it():
    example = ROOT / "examples" / "failed_resize_leaves_its_flavor.toml"
    outcome = run_scenario(load_scenario(example), FakeCloudBackend(), "fixed")
    *_, resize, _, evacuation = outcome.steps
    assert not any("RequestSpec has flavor" in line for line in resize.explanation)
    assert [line for line in evacuation.explanation if "RequestSpec has flavor" in line] == [
        "Server 0's RequestSpec has flavor medium, left by step 5 (resize server 0 to "
        "medium) while the server stayed small: this step's scheduler claimed medium for "
        "it. Nova 34 does the same (examples/failed_resize_leaves_its_flavor): a stale "
        "RequestSpec of the family, in Nova."]
