"""Loading scenario files: typed values from good ones, located problems from bad ones."""

from pathlib import Path

import pytest

from harness.scenario.loader import (
    KeyLines,
    ScenarioError,
    StepLoader,
    discover,
    load_data,
    load_scenario,
)
from harness.scenario.model import (
    FlavorDef,
    HostDef,
    MigrationExpect,
    ServerExpect,
)
from harness.scenario.steps import CreateStep, LiveMigrateStep, SetServiceStep
from tests.unit.scenario.builders import HEADER, MOVES, line_of, write


def problems(path: Path) -> list[str]:
    """Every problem of a file as ``line: key.path: message``."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.path == path
    return [p.render(Path("")).removeprefix(".:") for p in caught.value.problems]


# Loading a valid file


def test_a_valid_file_gives_a_scenario_with_typed_steps(tmp_path):
    text = MOVES + '\n[[steps]]\naction = "set-service"\nhost = "host2"\ndisabled = true\n'
    scenario = load_scenario(write(tmp_path / "moves.toml", text))

    assert scenario.title == "One of two servers created together moves"
    assert scenario.bugs == ("1718455",)
    assert scenario.cloud.hosts == (HostDef("host1"), HostDef("host2"))
    assert scenario.cloud.flavors == (FlavorDef("small", 1, 512, 1),)
    create, move, service = scenario.steps
    assert isinstance(create, CreateStep)
    assert (create.index, create.flavor, create.count, create.actor) == (0, "small", 2, "admin")
    assert isinstance(move, LiveMigrateStep)
    assert (move.index, move.server, move.host, move.block_migration) == (1, 0, "@other", None)
    assert move.expect.migration == MigrationExpect(
        status="completed", source="@source", dest="@target")
    assert move.expect.server == ServerExpect(status="ACTIVE", host="@target")
    assert isinstance(service, SetServiceStep)
    assert (service.host, service.disabled, service.forced_down) == ("host2", True, None)


def test_an_absent_expectation_defaults_to_no_error_and_consistent_allocations(tmp_path):
    scenario = load_scenario(write(tmp_path / "s.toml", HEADER))
    expect = scenario.steps[0].expect
    assert (expect.error, expect.allocations) == ("none", "consistent")
    assert (expect.api_status, expect.server, expect.migration, expect.request_spec) == (
        None, None, None, None)


def test_host_tables_override_only_the_sizes_they_name(tmp_path):
    text = HEADER.replace('hosts = ["host1", "host2"]',
                          'hosts = ["host1", { name = "host2", vcpus = 64 }]')
    host1, host2 = load_scenario(write(tmp_path / "s.toml", text)).cloud.hosts
    assert (host2.name, host2.vcpus) == ("host2", 64)
    assert host2.memory_mb == host1.memory_mb


def test_user_actor_and_false_migration_are_kept(tmp_path):
    text = HEADER + ('\n[[steps]]\naction = "live-migrate"\nserver = 1\nas = "user"\n'
                     'expect = { api_status = 403, migration = false }\n')
    move = load_scenario(write(tmp_path / "s.toml", text)).steps[1]
    assert (move.actor, move.expect.api_status, move.expect.migration) == ("user", 403, False)


def test_the_id_is_the_path_below_the_root_without_suffix(tmp_path):
    root = tmp_path / "scenarios"
    path = write(root / "bug_1" / "deep" / "case.toml", HEADER)
    assert load_scenario(path, root).id == "bug_1/deep/case"
    assert load_scenario(path).id == "case"
    assert load_scenario(path, tmp_path / "elsewhere").id == "case"


# TOML syntax


def test_a_toml_syntax_error_names_its_line(tmp_path):
    path = write(tmp_path / "s.toml", HEADER + '\n[[steps]\naction = "create"\n')
    [problem] = problems(path)
    assert problem.startswith(f"{line_of(HEADER, 'count = 2') + 2}: not valid TOML")


# Schema


@pytest.mark.parametrize("tail, key", [
    ('[[steps]]\naction = "live-migrate"\nserver = 0\n[steps.expect]\n'
     'migration = { status = "finishd" }\n', 'migration = {'),
    ('[[steps]]\naction = "live-migrate"\nserver = 0\n[steps.expect.migration]\n'
     'status = "finishd"\n', 'status = "finishd"'),
    ('[[steps]]\naction = "live-migrate"\nserver = 0\n'
     'expect = { migration = { status = "finishd" } }\n', 'expect = {'),
], ids=["inline-table", "sub-table", "inline-in-step"])
def test_a_bad_enum_value_names_its_key_path_line_and_the_allowed_values(tmp_path, tail, key):
    text = HEADER + "\n" + tail
    [problem] = problems(write(tmp_path / "s.toml", text))
    assert problem.startswith(f"{line_of(text, key)}: steps[1].expect.migration.status: "
                              "'finishd' is not one of ['accepted', ")
    assert "'completed'" in problem and "'error'" in problem


def test_a_key_of_the_second_step_is_located_in_the_second_array_table(tmp_path):
    text = HEADER + '\n[[steps]]\naction = "live-migrate"\nserver = "zero"\n'
    assert problems(write(tmp_path / "s.toml", text)) == [
        f"{line_of(text, 'zero')}: steps[1].server: 'zero' is not of type 'integer' "
        "(expected a server, numbered from 0 in launch order)"]


def test_a_one_of_error_reports_the_branch_the_author_meant(tmp_path):
    text = HEADER.replace('hosts = ["host1", "host2"]',
                          'hosts = ["host1", { name = "host2", vcpus = "eight" }]')
    assert problems(write(tmp_path / "s.toml", text)) == [
        f"{line_of(text, 'eight')}: cloud.hosts[1].vcpus: 'eight' is not of type 'integer'"]


def test_an_unknown_key_in_a_host_table_is_reported_as_such(tmp_path):
    # Both oneOf branches fail at cloud.hosts[1]; the table branch is the one meant.
    text = HEADER.replace('hosts = ["host1", "host2"]',
                          'hosts = ["host1", { name = "host2", cpus = 8 }]')
    [problem] = problems(write(tmp_path / "s.toml", text))
    assert problem.startswith(f"{line_of(text, 'cpus = 8')}: cloud.hosts[1]: ")
    assert "'cpus' was unexpected" in problem


def test_an_unknown_key_in_a_migration_expectation_is_reported_as_such(tmp_path):
    text = HEADER + ('\n[[steps]]\naction = "live-migrate"\nserver = 0\n[steps.expect]\n'
                     'migration = { state = "completed" }\n')
    [problem] = problems(write(tmp_path / "s.toml", text))
    assert problem.startswith(f"{line_of(text, 'state')}: steps[1].expect.migration: ")
    assert "'state' was unexpected" in problem


def test_every_schema_problem_of_a_file_is_reported(tmp_path):
    text = HEADER.replace('title = "One', 'titel = "One').replace(
        'count = 2', 'count = 0\ncolour = "red"')
    found = problems(write(tmp_path / "s.toml", text))
    assert len(found) == 4, found
    joined = "\n".join(found)
    assert f"{line_of(text, 'count = 0')}: steps[0].count: 0 is less than the minimum" in joined
    assert "'colour' was unexpected" in joined
    assert "scenario: 'title' is a required property" in joined
    assert "'titel' was unexpected" in joined


# References between parts


REFERENCE_CASES = {
    "unknown-flavor": (
        HEADER.replace('flavor = "small"', 'flavor = "large"'),
        'flavor = "large"', "steps[0].flavor: unknown flavor 'large'; expected one of ['small']"),
    "server-not-created-yet": (
        HEADER + '\n[[steps]]\naction = "live-migrate"\nserver = 2\n',
        "server = 2", "steps[1].server: server 2 is not created by an earlier step; "
                      "expected a number from 0 to 1"),
    "server-before-any-create": (
        HEADER.split("[[steps]]")[0] + '[[steps]]\naction = "live-migrate"\nserver = 0\n',
        "server = 0", "steps[0].server: no server exists yet: expected a create step"),
    "undefined-host": (
        HEADER + '\n[[steps]]\naction = "live-migrate"\nserver = 0\nhost = "host9"\n',
        'host = "host9"', "steps[1].host: expected @other, @source or one of ['host1', 'host2']"),
    "undefined-service-host": (
        HEADER + '\n[[steps]]\naction = "set-service"\nhost = "host9"\ndisabled = true\n',
        'host = "host9"', "steps[1].host: expected one of ['host1', 'host2']"),
    "other-with-three-hosts": (
        HEADER.replace('"host2"]', '"host2", "host3"]')
        + '\n[[steps]]\naction = "live-migrate"\nserver = 0\nhost = "@other"\n',
        'host = "@other"', "steps[1].host: @other needs a cloud of exactly two hosts"),
    "target-without-host": (
        HEADER + '\n[[steps]]\naction = "live-migrate"\nserver = 0\n'
                 '[steps.expect]\nserver = { host = "@target" }\n',
        '"@target"', "steps[1].expect.server.host: @target has no meaning in a live-migrate "
                     "step here; expected a host name, none, @not-source, @other, @source"),
    "duplicate-host": (
        HEADER.replace('"host2"]', '"host2", "host1"]'),
        "hosts = ", "cloud.hosts[2]: duplicate name 'host1'"),
    "memory-not-above-reserved": (
        HEADER.replace('"host2"]', '{ name = "host2", memory_mb = 512 }]'),
        "hosts = ", "cloud.hosts[1]: memory_mb = 512 is not above reserved_host_memory_mb "
                    "= 512: placement refuses such an inventory"),
    "migration-on-create": (
        HEADER + '[steps.expect]\nmigration = { status = "completed" }\n',
        "migration = ", "steps[0].expect.migration: a create step creates no migration"),
    "source-on-create": (
        HEADER + '[steps.expect]\nserver = { host = "@source" }\n',
        "server = ", "steps[0].expect.server.host: @source has no meaning in a create step"),
}


@pytest.mark.parametrize("text, fragment, message", REFERENCE_CASES.values(),
                         ids=REFERENCE_CASES.keys())
def test_a_reference_problem_is_located_and_explained(tmp_path, text, fragment, message):
    [problem] = problems(write(tmp_path / "s.toml", text))
    assert problem.startswith(f"{line_of(text, fragment)}: {message}"), problem


def test_every_reference_problem_of_a_file_is_reported(tmp_path):
    text = HEADER.replace('flavor = "small"', 'flavor = "large"') + (
        '\n[[steps]]\naction = "live-migrate"\nserver = 5\nhost = "host9"\n'
        '\n[[steps]]\naction = "set-service"\nhost = "host7"\ndisabled = true\n')
    found = problems(write(tmp_path / "s.toml", text))
    assert [p.split(": ")[1] for p in found] == [
        "steps[0].flavor", "steps[1].server", "steps[1].host", "steps[2].host"]


def test_the_rendered_error_names_the_file_and_line_of_each_problem(tmp_path):
    text = HEADER.replace('flavor = "small"', 'flavor = "large"')
    path = write(tmp_path / "s.toml", text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:{line_of(text, 'large')}: steps[0].flavor: ")


# Files that cannot be read


def test_a_non_utf8_file_is_a_scenario_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(HEADER.replace("One", "\xc9t\xe9").encode("latin-1"))
    [problem] = problems(path)
    assert problem.startswith(" cannot read:")


@pytest.mark.parametrize("name", ["missing.toml", "a_directory.toml"])
def test_a_missing_or_unreadable_path_is_a_scenario_error(tmp_path, name):
    (tmp_path / "a_directory.toml").mkdir()
    [problem] = problems(tmp_path / name)
    assert problem.startswith(" cannot read:")


# discover


def test_discover_recurses_into_directories_and_sorts(tmp_path):
    for name in ("b.toml", "a/z.toml", "a/c.toml", "a/notes.txt"):
        write(tmp_path / "dir" / name, "")
    single = write(tmp_path / "single.txt", "")
    assert discover([single, tmp_path / "dir"]) == [
        single, *(tmp_path / "dir" / n for n in ("a/c.toml", "a/z.toml", "b.toml"))]


def test_discover_rejects_a_path_that_does_not_exist(tmp_path):
    with pytest.raises(ScenarioError, match="no such file or directory"):
        discover([tmp_path / "nope"])


# KeyLines

KEYLINES_TEXT = """\
[scenario]
title = "t"

[cloud]
hosts = ["host1", { name = "host2", vcpus = 2 }]

[[steps]]
action = "create"

[[steps]]  # the move
action = "live-migrate"
[steps.expect]
server = { status = "ACTIVE", host = "host2" }
[steps.expect.migration]
status = "completed"

[[steps]]
action = "live-migrate"
expect.api_status = 202
"""


@pytest.mark.parametrize("key_path, line", [
    (("scenario",), 1),
    (("scenario", "title"), 2),
    (("cloud", "hosts"), 5),
    (("cloud", "hosts", 1), 5),
    (("cloud", "hosts", 1, "vcpus"), 5),
    (("steps", 0), 7),
    (("steps", 0, "action"), 8),
    (("steps", 1), 10),
    (("steps", 1, "action"), 11),
    (("steps", 1, "expect"), 12),
    (("steps", 1, "expect", "server", "host"), 13),
    (("steps", 1, "expect", "migration"), 14),
    (("steps", 1, "expect", "migration", "status"), 15),
    (("steps", 2, "action"), 18),
])
def test_keylines_finds_the_line_that_defines_a_key(key_path, line):
    assert KeyLines(KEYLINES_TEXT).find(key_path) == line


@pytest.mark.parametrize("key_path, line", [
    (("steps", 1, "expect", "request_spec", "num_instances"), 12),
    (("steps", 0, "expect", "error"), 7),
    (("cloud", "flavors", 0), 4),
])
def test_keylines_falls_back_to_the_nearest_known_parent(key_path, line):
    assert KeyLines(KEYLINES_TEXT).find(key_path) == line


def test_keylines_knows_nothing_of_keys_outside_every_table():
    assert KeyLines(KEYLINES_TEXT).find(("nowhere", 3)) is None


def test_keylines_locates_a_dotted_key():
    # ``expect.api_status = 202`` defines steps[2].expect.api_status on line 19.
    assert KeyLines(KEYLINES_TEXT).find(("steps", 2, "expect", "api_status")) == 19


# The move step types


def test_every_move_loads_with_its_keys(tmp_path):
    text = HEADER.replace(
        'flavors = [{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 }]',
        'flavors = [{ name = "small", vcpus = 1, memory_mb = 512, disk_gb = 1 },\n'
        '           { name = "medium", vcpus = 2, memory_mb = 1024, disk_gb = 1 }]\n'
        'config = { allow_resize_to_same_host = true, shelved_offload_time = -1 }') + """
[[steps]]
action = "migrate"
server = 0
host = "@other"
microversion = "2.56"
[[steps]]
action = "confirm-resize"
server = 0
[[steps]]
action = "resize"
server = 1
flavor = "medium"
[steps.expect]
request_spec = { flavor = "medium", ignore_hosts = [], requested_destination = "none" }
[[steps]]
action = "revert-resize"
server = 1
[[steps]]
action = "set-service"
server = 0
forced_down = true
[[steps]]
action = "evacuate"
server = 0
host = "host2"
force = true
microversion = "2.67"
[[steps]]
action = "restart-compute"
host = "host1"
[[steps]]
action = "rebuild"
server = 1
image = "same"
[[steps]]
action = "shelve"
server = 1
[[steps]]
action = "shelve-offload"
server = 1
[[steps]]
action = "unshelve"
server = 1
availability_zone = "none"
host = "@source"
"""
    scenario = load_scenario(write(tmp_path / "moves.toml", text))
    assert scenario.cloud.config.allow_resize_to_same_host is True
    assert scenario.cloud.config.shelved_offload_time == -1
    actions = [(s.ACTION, getattr(s, "server", None)) for s in scenario.steps[1:]]
    assert actions == [("migrate", 0), ("confirm-resize", 0), ("resize", 1),
                       ("revert-resize", 1), ("set-service", 0), ("evacuate", 0),
                       ("restart-compute", None), ("rebuild", 1), ("shelve", 1),
                       ("shelve-offload", 1), ("unshelve", 1)]
    resize = scenario.steps[3]
    assert resize.expect.request_spec.ignore_hosts == ()
    assert resize.expect.request_spec.requested_destination == "none"
    evacuate, unshelve = scenario.steps[6], scenario.steps[-1]
    assert (evacuate.host, evacuate.force, evacuate.microversion) == ("host2", True, "2.67")
    assert (unshelve.availability_zone, unshelve.host) == ("none", "@source")


STEP_PROBLEMS = {
    "resize-without-flavor": ('action = "resize"\nserver = 0\n', None,
                              "steps[1]: 'flavor' is a required property"),
    "resize-to-unknown-flavor": ('action = "resize"\nserver = 0\nflavor = "huge"\n',
                                 'flavor = "huge"', "steps[1].flavor: unknown flavor 'huge'"),
    "evacuate-at-an-unknown-version": ('action = "evacuate"\nserver = 0\nmicroversion = "2.105"\n',
                                       "2.105", "steps[1].microversion: '2.105' does not match"),
    "rebuild-with-a-named-image": ('action = "rebuild"\nserver = 0\nimage = "cirros"\n',
                                   "cirros", "steps[1].image: 'cirros' is not one of"),
    "confirm-with-a-host": ('action = "confirm-resize"\nserver = 0\nhost = "host2"\n',
                            None, "steps[1]: Additional properties are not allowed "
                                  "('host' was unexpected)"),
    "service-by-host-and-server": (
        'action = "set-service"\nhost = "host1"\nserver = 0\ndisabled = true\n',
        None, "steps[1]: expected exactly one of host, server"),
    "service-without-a-change": ('action = "set-service"\nserver = 0\n', None,
                                 "steps[1]: 'disabled' is a required property (expected a "
                                 "change: disabled and/or forced_down)"),
    "restart-of-an-unknown-host": ('action = "restart-compute"\nhost = "host9"\n',
                                   'host = "host9"', "steps[1].host: expected one of"),
    "spec-expects-an-unknown-host": (
        'action = "migrate"\nserver = 0\n[steps.expect]\n'
        'request_spec = { ignore_hosts = ["host9"] }\n',
        "host9", "steps[1].expect.request_spec.ignore_hosts[0]: expected one of"),
    "usage-on-an-unknown-host": ('action = "migrate"\nserver = 0\n[steps.expect]\n'
                                 'usage = { host9 = { VCPU = 1 } }\n',
                                 "host9", "steps[1].expect.usage.host9: expected one of"),
    "not-an-unknown-host": ('action = "migrate"\nserver = 0\n[steps.expect]\n'
                            'server = { host = "!host9" }\n',
                            "host9", "steps[1].expect.server.host: expected one of"),
    "one-of-an-unknown-host": ('action = "migrate"\nserver = 0\n[steps.expect]\n'
                               'server = { host = ["host1", "host9"] }\n',
                               "host9", "steps[1].expect.server.host[1]: expected one of"),
    "migration-on-shelve": ('action = "shelve"\nserver = 0\n[steps.expect]\n'
                            'migration = { status = "done" }\n',
                            "migration = ", "steps[1].expect.migration: a shelve step creates "
                                            "no migration"),
    "unknown-group": ('action = "create"\nflavor = "small"\ngroup = "spread"\n',
                      'group = "spread"', "steps[1].group: unknown server group 'spread'; "
                                          "expected a create-server-group step before"),
    "group-twice": ('action = "create-server-group"\nname = "g"\npolicy = "affinity"\n'
                    '[[steps]]\naction = "create-server-group"\nname = "g"  # again\n'
                    'policy = "affinity"\n',
                    "# again", "steps[2].name: a server group named 'g' exists already"),
    "move-of-a-deleted-server": ('action = "delete"\nserver = 0\n[[steps]]\n'
                                 'action = "migrate"\nserver = 0  # gone\n',
                                 "# gone", "steps[2].server: server 0 is deleted by step 2; "
                                           "expected a server that still exists"),
    "delete-twice": ('action = "delete"\nserver = 1\n[[steps]]\n'
                     'action = "delete"\nserver = 1  # again\n',
                     "# again", "steps[2].server: server 1 is deleted by step 2"),
    "delete-unknown-group": ('action = "delete-server-group"\nname = "spread"\n',
                             'name = "spread"', "steps[1].name: unknown server group "
                                                "'spread'; expected a create-server-group"),
    "bad-policy": ('action = "create-server-group"\nname = "g"\npolicy = "spread"\n',
                   '"spread"', "steps[1].policy: 'spread' is not one of"),
    "min-count-above-count": ('action = "create"\nflavor = "small"\ncount = 2\nmin_count = 3\n',
                              "min_count = 3", "steps[1].min_count: expected at most count (2)"),
    "servers-count-with-min-count": (
        'action = "create"\nflavor = "small"\ncount = 3\nmin_count = 2\n[steps.expect]\n'
        'servers = [{ host = "host1" }]\n',
        "servers = ", "steps[1].expect.servers: a create step acts on 2 to 3 server(s); "
                      "expected as many entries, found 1"),
    "servers-count": ('action = "create"\nflavor = "small"\ncount = 2\n[steps.expect]\n'
                      'servers = [{ host = "host1" }]\n',
                      "servers = ", "steps[1].expect.servers: a create step acts on 2 "
                                    "server(s); expected as many entries, found 1"),
}


@pytest.mark.parametrize("step, fragment, message", STEP_PROBLEMS.values(),
                         ids=STEP_PROBLEMS.keys())
def test_a_bad_step_is_located_and_explained(tmp_path, step, fragment, message):
    text = HEADER + "\n[[steps]]\n" + step
    # A problem with the step as a whole is on its [[steps]] line.
    step_line = text.count("\n", 0, text.rindex("[[steps]]")) + 1
    line = line_of(text, fragment) if fragment else step_line
    [problem] = problems(write(tmp_path / "s.toml", text))
    assert problem.startswith(f"{line}: {message}"), problem



# Loading a generated scenario step by step (harness.explore)


def _header() -> dict:
    return {"scenario": {"title": "generated"},
            "cloud": {"hosts": ["host1", "host2"],
                      "flavors": [{"name": "small", "vcpus": 1, "memory_mb": 512,
                                   "disk_gb": 1}]}}


def test_a_step_loader_builds_each_step_as_the_whole_file_would_load(tmp_path):
    steps = [{"action": "create", "flavor": "small", "count": 2},
             {"action": "live-migrate", "server": 0, "host": "host2"},
             {"action": "delete", "server": 1}]
    loader = StepLoader(_header(), tmp_path / "g.toml")
    built = [loader.add(raw) for raw in steps]

    whole = load_data({**_header(), "steps": steps}, tmp_path / "g.toml", "g")
    assert tuple(built) == whole.steps
    assert loader.data == {**_header(), "steps": steps}
    assert loader.scenario.cloud == whole.cloud


@pytest.mark.parametrize("raw, problem", [
    ({"action": "live-migrate", "server": 5}, "steps[1].server: server 5 is not created"),
    ({"action": "delete", "server": 0, "host": "host1"}, "steps[1]: Additional properties"),
    ({"action": "resize", "server": 0, "flavor": "huge"}, "steps[1].flavor: unknown flavor"),
    ({"action": "teleport"}, "steps[1].action: 'teleport' is not one of"),
    ({"action": "create", "flavor": "small", "count": 0}, "steps[1].count: 0 is less"),
])
def test_a_step_loader_refuses_a_bad_step_as_the_file_loader_does_and_keeps_the_rest(
        tmp_path, raw, problem):
    loader = StepLoader(_header(), tmp_path / "g.toml")
    loader.add({"action": "create", "flavor": "small"})
    with pytest.raises(ScenarioError) as caught:
        loader.add(raw)
    assert problem in str(caught.value)
    assert len(loader.data["steps"]) == 1
    assert loader.add({"action": "delete", "server": 0}).index == 1


def test_a_step_loader_remembers_what_earlier_steps_deleted(tmp_path):
    loader = StepLoader(_header(), tmp_path / "g.toml")
    loader.add({"action": "create", "flavor": "small"})
    loader.add({"action": "delete", "server": 0})
    with pytest.raises(ScenarioError, match="server 0 is deleted by step 2"):
        loader.add({"action": "stop", "server": 0})


def test_a_step_loader_refuses_a_bad_cloud(tmp_path):
    header = _header()
    header["cloud"]["hosts"] = ["host1", "host1"]
    with pytest.raises(ScenarioError, match="duplicate name 'host1'"):
        StepLoader(header, tmp_path / "g.toml")
