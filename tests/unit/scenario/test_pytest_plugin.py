"""The pytest plug-in: nova_cloud fixtures and the --harness-scheduler option."""

import pytest

MOVE_ONE_OF_TWO = """
IMAGE = "155d900f-4e14-4e4c-a73d-069cbf4541e6"


def test_move_one_of_two(nova_cloud, harness_scheduler):
    api = nova_cloud.admin_api
    flavor = api.post_flavor(
        {"flavor": {"name": "small", "vcpus": 1, "ram": 512, "disk": 1}})["id"]
    reservation = api.post_server({"server": {
        "name": "s", "flavorRef": flavor, "imageRef": IMAGE, "networks": "none",
        "min_count": "2", "return_reservation_id": "True"}})["reservation_id"]
    servers = api.get_servers(search_opts={"reservation_id": reservation})
    assert [s["status"] for s in servers] == ["ACTIVE", "ACTIVE"]
    server = servers[0]
    source = server["OS-EXT-SRV-ATTR:host"]
    target = "host1" if source == "host2" else "host2"
    api.post_server_action(
        server["id"], {"os-migrateLive": {"block_migration": "auto", "host": target}})
    [migration] = api.get_migrations()
    assert migration["status"] == "completed", harness_scheduler
    assert api.get_server(server["id"])["OS-EXT-SRV-ATTR:host"] == target
"""


@pytest.fixture
def move_test(pytester):
    pytester.makepyfile(test_move=MOVE_ONE_OF_TWO)
    return pytester


def test_nova_cloud_moves_a_server_on_the_default_scheduler(move_test):
    result = move_test.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_nova_cloud_runs_the_scheduler_given_on_the_command_line(move_test):
    result = move_test.runpytest_subprocess("-p", "no:cacheprovider",
                                            "--harness-scheduler", "pike-16.0.0")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 'error' == 'completed'*"])
    # The failure shows the cloud's trace and why, as the TestCase's details do.
    result.stdout.fnmatch_lines(["*harness trace*", "*select_destinations*",
                                 "*harness why*", "*RequestSpec.num_instances = 2*"])


def test_a_passing_test_shows_no_trace(move_test):
    result = move_test.runpytest_subprocess("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=1)
    assert "harness trace" not in result.stdout.str()


def test_an_unknown_harness_scheduler_is_a_usage_error(move_test):
    result = move_test.runpytest_subprocess("-p", "no:cacheprovider",
                                            "--harness-scheduler", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--harness-scheduler: unknown scheduler 'nope'*"])


def test_make_nova_cloud_builds_the_hosts_asked_for(pytester):
    pytester.makepyfile(test_hosts="""
        def test_three_hosts(make_nova_cloud):
            cloud = make_nova_cloud(hosts=["a", "b", "c"], scheduler="pike-16.0.0")
            assert sorted(cloud.computes) == ["a", "b", "c"]
            assert type(cloud.scheduler_manager).__name__ == "PikeSchedulerManager"
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


LEAVES_AN_ORPHAN = """
def test_leaves_an_orphan(nova_cloud):
    provider = next(iter(nova_cloud.placement.providers))
    nova_cloud.placement.put_allocations(
        "0ddba11-orphan", {provider: {"resources": {"VCPU": 1}}}, "p", None, None)
"""


def test_nova_cloud_checks_the_invariants_when_the_test_is_done(pytester):
    pytester.makepyfile(test_orphan=LEAVES_AN_ORPHAN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*InvariantViolation*", "*consumer 0ddba11-orphan*"])
