"""``python -m harness``: exit codes, what is printed, and that bad input runs nothing."""

import os
import re
import signal
import sys
import threading
import time

import pytest

from harness import cli
from harness.cli import main
from harness.parallel import in_order
from tests.unit.scenario.builders import EXPECTS_BUG, HEADER, MOVES, line_of, write

BAD = HEADER.replace('flavor = "small"', 'flavor = "large"') + (
    '\n[[steps]]\naction = "live-migrate"\nserver = 0\nhost = "host9"\n')
FLAVOR_LINE, HOST_LINE = line_of(BAD, '"large"'), line_of(BAD, '"host9"')


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_nothing_ran(out: str, err: str) -> None:
    assert not any(line.startswith(("Running", "Comparing", "PASS", "FAIL", "SAME"))
                   for line in out.splitlines())
    assert "Traceback" not in out + err


# Which files


def test_without_paths_the_scenarios_directory_here_is_run(tmp_path, monkeypatch, capsys):
    write(tmp_path / "scenarios" / "demo" / "moves.toml", MOVES)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "run")
    assert code == 0, out
    assert "PASS demo/moves  (2 steps, " in out
    assert out.splitlines()[-1] == "1 scenario(s): 1 passed, 0 failed"


def test_without_paths_or_scenarios_directory_it_is_a_usage_error(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "run")
    assert code == 2
    assert "no scenarios/ directory here" in err
    assert_nothing_ran(out, err)


def test_an_empty_directory_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, "run", str(tmp_path / "empty"))
    assert code == 2
    assert f"no scenario files (*.toml) in {tmp_path / 'empty'}" in err
    assert_nothing_ran(out, err)


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path, capsys):
    write(tmp_path / "ok.toml", MOVES)
    code, out, err = run(capsys, "run", str(tmp_path / "ok.toml"), str(tmp_path / "nope"))
    assert code == 2
    assert f"{tmp_path / 'nope'}: no such file or directory" in err
    assert_nothing_ran(out, err)


def test_one_invalid_file_among_valid_ones_runs_nothing_and_reports_all_problems(
        tmp_path, capsys):
    root = tmp_path / "scenarios"
    write(root / "a_ok.toml", MOVES)
    bad = write(root / "b_bad.toml", BAD)
    write(root / "c_ok.toml", MOVES)
    code, out, err = run(capsys, "run", str(root))
    assert code == 2
    assert_nothing_ran(out, err)
    assert f"{bad}:{FLAVOR_LINE}: steps[0].flavor: unknown flavor 'large'" in err
    assert (f"{bad}:{HOST_LINE}: steps[1].host: expected @other, @source or one of "
            "['host1', 'host2']") in err


def test_ids_are_paths_below_the_nearest_scenarios_folder(tmp_path, capsys):
    path = write(tmp_path / "scenarios" / "outer" / "scenarios" / "grp" / "moves.toml", MOVES)
    code, out, _ = run(capsys, "list", str(path))
    assert code == 0
    assert out == "grp/moves: One of two servers created together moves  [bug 1718455]\n"


def test_outside_a_scenarios_folder_ids_are_below_the_directory_given(tmp_path, capsys):
    write(tmp_path / "mine" / "grp" / "moves.toml", MOVES.replace('bugs = ["1718455"]\n', ""))
    code, out, _ = run(capsys, "list", str(tmp_path / "mine"))
    assert (code, out) == (0, "grp/moves: One of two servers created together moves\n")


def test_list_prints_each_id_and_title_in_order(tmp_path, capsys):
    root = tmp_path / "scenarios"
    write(root / "b" / "two.toml", MOVES.replace("One of two", "Second"))
    write(root / "a.toml", MOVES)
    code, out, _ = run(capsys, "list", str(root))
    assert code == 0
    assert out.splitlines() == [
        "a: One of two servers created together moves  [bug 1718455]",
        "b/two: Second servers created together moves  [bug 1718455]"]


def test_list_of_an_invalid_file_is_a_usage_error(tmp_path, capsys):
    bad = write(tmp_path / "scenarios" / "bad.toml", BAD)
    code, out, err = run(capsys, "list", str(bad))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {bad}:{FLAVOR_LINE}: ")


# Exit codes of runs


@pytest.mark.parametrize("text, scheduler, code, status", [
    (MOVES, "fixed", 0, "PASS"),
    (MOVES, "pike-16.0.0", 1, "FAIL"),
    (EXPECTS_BUG, "pike-16.0.0", 0, "PASS"),
    (EXPECTS_BUG, "fixed", 1, "FAIL"),
], ids=["moves-on-fixed", "moves-on-pike", "bug-on-pike", "bug-on-fixed"])
def test_the_exit_code_says_whether_every_expectation_was_met(
        tmp_path, capsys, text, scheduler, code, status):
    path = write(tmp_path / "scenarios" / "case.toml", text)
    got, out, _ = run(capsys, "run", str(path), "--scheduler", scheduler)
    assert got == code, out
    assert f"{status} case  (2 steps, " in out


def test_a_bug_expecting_scenario_on_the_fixed_scheduler_says_what_changed(tmp_path, capsys):
    path = write(tmp_path / "scenarios" / "case.toml", EXPECTS_BUG)
    _, out, _ = run(capsys, "run", str(path), "--scheduler", "fixed")
    assert "error: expected NoValidHost, observed none" in out
    assert "migration.status: expected 'error', observed 'completed'" in out


def test_trace_prints_the_hops_of_a_passing_run(tmp_path, capsys):
    path = write(tmp_path / "scenarios" / "case.toml", MOVES)
    code, out, _ = run(capsys, "run", str(path), "--trace")
    assert code == 0
    assert "admin -> osapi_compute.post_server(" in out
    assert "conductor -> scheduler.select_destinations(" in out


def test_without_trace_a_passing_run_prints_no_hops(tmp_path, capsys):
    path = write(tmp_path / "scenarios" / "case.toml", MOVES)
    _, out, _ = run(capsys, "run", str(path))
    assert "->" not in out


def test_junit_xml_is_written_for_a_passing_run(tmp_path, capsys):
    path = write(tmp_path / "scenarios" / "case.toml", MOVES)
    code, _, _ = run(capsys, "run", str(path), "--junit-xml", str(tmp_path / "r" / "j.xml"))
    assert code == 0
    assert 'tests="1" failures="0"' in (tmp_path / "r" / "j.xml").read_text()


# run, and diff with the fake cloud standing in for Nova (its fixture is below).
WRITING_JUNIT = pytest.mark.parametrize("command", [["run"], ["diff", "-j", "1"]],
                                        ids=["run", "diff"])


@WRITING_JUNIT
def test_a_junit_xml_path_nothing_can_be_written_to_is_refused_before_the_run(
        tmp_path, capsys, fake_for_nova, command):
    path = write(tmp_path / "scenarios" / "case.toml", MOVES)
    a_file = write(tmp_path / "a-file", "")
    for junit, message in ((tmp_path, f"--junit-xml {tmp_path}: a directory"),
                           (a_file / "j.xml", f"--junit-xml {a_file / 'j.xml'}: {a_file} is "
                                              "not a directory")):
        code, out, err = run(capsys, *command, str(path), "--junit-xml", str(junit))
        assert code == 2
        assert f"error: {message}" in err
        assert_nothing_ran(out, err)


@WRITING_JUNIT
def test_a_junit_file_not_written_after_the_run_says_so_after_the_results(
        tmp_path, capsys, monkeypatch, fake_for_nova, command):
    path = write(tmp_path / "scenarios" / "case.toml", MOVES)

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("harness.cli.write_junit", disk_full)
    code, out, err = run(capsys, *command, str(path), "--junit-xml", str(tmp_path / "j.xml"))
    assert code == 2
    assert out.splitlines()[-1] == {"run": "1 scenario(s): 1 passed, 0 failed",
                                    "diff": "1 scenario(s): 1 the same on both, 0 different"
                                    }[command[0]]
    assert err == (f"error: --junit-xml {tmp_path / 'j.xml'}: not written ([Errno 28] No "
                   "space left on device); the results are above\n")


# Command line syntax


@pytest.mark.parametrize("argv", [[], ["run", "--no-such-option"], ["frobnicate"]])
def test_a_bad_command_line_exits_2_with_usage(capsys, argv):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "usage: python -m harness" in capsys.readouterr().err


def test_list_bugs_names_each_known_bug_its_field_and_the_scenarios_that_catch_it(
        tmp_path, capsys):
    write(tmp_path / "scenarios" / "a.toml", MOVES)
    code, out, _ = run(capsys, "list", "--bugs", str(tmp_path / "scenarios"))
    assert code == 0
    pike = out.split("bug-1561357:")[0]
    assert pike.startswith("pike-16.0.0: bug #1718455\n")
    assert "stale field: RequestSpec.num_instances" in pike
    assert "caught by:   a\n" in pike
    assert "caught by:   no scenario here" in out.split("bug-1561357:")[1]


def test_harness_scheduler_in_the_environment_is_the_default_scheduler(
        tmp_path, capsys, monkeypatch):
    path = write(tmp_path / "moves.toml", MOVES)
    monkeypatch.setenv("HARNESS_SCHEDULER", "pike-16.0.0")
    code, out, _ = run(capsys, "run", str(path))
    assert code == 1
    assert "with scheduler pike-16.0.0" in out
    code, out, _ = run(capsys, "run", str(path), "--scheduler", "fixed")
    assert code == 0


def test_a_bad_harness_scheduler_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HARNESS_SCHEDULER", "nope")
    code, _, err = run(capsys, "run", str(write(tmp_path / "m.toml", MOVES)))
    assert code == 2 and "unknown scheduler 'nope'" in err


# diff, with the fake cloud standing in for Nova


@pytest.fixture
def fake_for_nova(monkeypatch):
    """In this process only: diff's tests run it with -j 1."""
    from harness import parallel
    from harness.backends.fake import FakeCloudBackend

    real = parallel.get_backend
    monkeypatch.setattr(parallel, "get_backend", lambda name, inject=None: (
        FakeCloudBackend(inject) if name == "nova" else real(name, inject)))


def test_diff_of_agreeing_backends_says_same(tmp_path, capsys, fake_for_nova):
    code, out, _ = run(capsys, "diff", "-j", "1", str(write(tmp_path / "moves.toml", MOVES)))
    assert code == 0, out
    assert out.splitlines()[1].startswith("SAME moves  (fake ")


def test_diff_counts_a_scenario_nova_fails_and_must_pass_fails_on_it(tmp_path, capsys,
                                                                     fake_for_nova):
    # Fails on both backends alike: the same, and without --must-pass no failure of diff.
    path = str(write(tmp_path / "bug.toml", EXPECTS_BUG))
    code, out, _ = run(capsys, "diff", "-j", "1", path)
    assert code == 0, out
    assert out.splitlines()[1].startswith("SAME bug  (fake ")
    assert out.splitlines()[2:] == ["1 scenario(s): 1 the same on both, 0 different; 1 did "
                                    "not pass on Nova"]
    code, out, _ = run(capsys, "diff", "-j", "1", "--must-pass", path)
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith("SAME bug  (fake ")
    assert lines[2:4] == ["  fails on Nova:", "    step 2: live-migrate server 0 to @other "
                                              "(host2)"]
    assert "      error: expected NoValidHost, observed none" in lines, out


def test_diff_must_pass_passes_when_every_scenario_passes_on_nova(tmp_path, capsys,
                                                                  fake_for_nova):
    code, out, _ = run(capsys, "diff", "-j", "1", "--must-pass",
                       str(write(tmp_path / "moves.toml", MOVES)))
    assert code == 0, out
    assert out.splitlines()[-1] == "1 scenario(s): 1 the same on both, 0 different"


def test_diff_writes_the_junit_file_run_on_nova_writes(tmp_path, capsys, fake_for_nova):
    for name, text in (("a_moves", MOVES), ("b_bug", EXPECTS_BUG)):
        write(tmp_path / "scenarios" / f"{name}.toml", text)
    scenarios = str(tmp_path / "scenarios")
    code, _, _ = run(capsys, "run", "--backend", "nova", "-j", "1", scenarios,
                     "--junit-xml", str(tmp_path / "run.xml"))
    assert code == 1
    code, out, _ = run(capsys, "diff", "-j", "1", scenarios,
                       "--junit-xml", str(tmp_path / "diff.xml"))
    assert code == 0, out
    written = _timeless((tmp_path / "diff.xml").read_text())
    assert 'tests="2" failures="1"' in written
    assert written == _timeless((tmp_path / "run.xml").read_text())


def test_diff_names_a_scenario_whose_outcome_hangs_on_a_weight_tie(tmp_path, capsys,
                                                                   fake_for_nova):
    tie = HEADER.replace("count = 2", "count = 1") + (
        '[steps.expect]\nserver = { host = "host1" }\n')
    code, out, _ = run(capsys, "diff", "-j", "1", str(write(tmp_path / "tie.toml", tie)))
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith("TIE tie  (fake ")
    assert "depends on how the scheduler breaks a weight tie" in lines[2]
    assert "server 0.host: fake 'host1', ties reversed 'host2'" in out


# -j: worker processes


def _timeless(text: str) -> str:
    """A report or JUnit file without its timings, which differ from run to run."""
    return re.sub(r'\d+\.\d+ m?s\)|time="[\d.]+"|timestamp="[^"]*"', "", text)


def test_a_run_in_workers_reports_what_a_serial_run_does_in_the_same_order(tmp_path, capsys):
    for name, text in (("a_moves", MOVES), ("b_bug", EXPECTS_BUG), ("c_moves", MOVES)):
        write(tmp_path / "scenarios" / f"{name}.toml", text)
    reports = {}
    for jobs in ("1", "2"):
        junit = tmp_path / f"junit-{jobs}.xml"
        code, out, err = run(capsys, "run", "-j", jobs, "--junit-xml", str(junit),
                             str(tmp_path / "scenarios"))
        assert code == 1, out + err
        reports[jobs] = (_timeless(out), _timeless(junit.read_text()))
    assert reports["2"] == reports["1"]
    assert [line.split()[:2] for line in reports["2"][0].splitlines()
            if line.startswith(("PASS", "FAIL"))] == [
        ["PASS", "a_moves"], ["FAIL", "b_bug"], ["PASS", "c_moves"]]


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_below_one_or_not_a_number_are_a_usage_error(tmp_path, capsys, jobs):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "-j", jobs, str(write(tmp_path / "m.toml", MOVES))])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert f"expected a whole number of at least 1, got '{jobs}'" in err
    assert_nothing_ran(out, err)


def _dies_in_a_worker(backends: object, item: int) -> int:
    if item == 1:
        os._exit(9)
    return item


@pytest.mark.parametrize("fake_only", [False, True], ids=["fresh", "copies"])
def test_a_worker_that_dies_is_reported_not_waited_for(fake_only):
    from harness.parallel import Backends, WorkerDied, in_order

    with pytest.raises(WorkerDied, match="run again with -j 1"):
        list(in_order(_dies_in_a_worker, [0, 1, 2], Backends(), jobs=2, fake_only=fake_only))


def _ran_in_a_worker(backends: object, item: tuple[str, int]) -> int:
    record, number = item
    with open(record, "a") as file:
        file.write(f"{number}\n")
    time.sleep(0.05)
    return number


@pytest.mark.parametrize("fake_only", [False, True], ids=["fresh", "copies"])
def test_work_stopped_early_leaves_what_had_not_started_unrun(tmp_path, fake_only):
    # As after Ctrl-C, or a caller that stops reading: the pool is not drained.
    from harness.parallel import Backends, in_order

    record = tmp_path / "ran"
    results = in_order(_ran_in_a_worker, [(str(record), n) for n in range(40)], Backends(),
                       jobs=2, fake_only=fake_only)
    assert next(results) == 0
    results.close()
    assert len(record.read_text().split()) < 10


def _interrupted_in_a_worker(backends: object, item: int) -> int:
    os.kill(os.getpid(), signal.SIGINT)
    return item


@pytest.mark.parametrize("fake_only", [False, True], ids=["fresh", "copies"])
def test_ctrl_c_leaves_each_worker_to_finish_its_scenario(fake_only):
    # Ctrl-C reaches the workers too; the command alone decides what stops.
    from harness.parallel import Backends, in_order

    assert list(in_order(_interrupted_in_a_worker, [0, 1, 2], Backends(), jobs=2,
                         fake_only=fake_only)) == [0, 1, 2]


def test_an_interrupted_run_sums_up_what_ran_and_writes_no_junit_file(
        tmp_path, capsys, monkeypatch):
    paths = [write(tmp_path / "scenarios" / f"{n}.toml", MOVES) for n in "ab"]
    real = cli._run_task

    def interrupted_at_the_second(backends, task):
        if task.scenario.id == "b":
            raise KeyboardInterrupt
        return real(backends, task)

    monkeypatch.setattr(cli, "_run_task", interrupted_at_the_second)
    junit = tmp_path / "j.xml"
    code, out, err = run(capsys, "run", "-j", "1", *map(str, paths), "--junit-xml", str(junit))
    assert code == 130
    assert out.splitlines()[-1] == "1 scenario(s): 1 passed, 0 failed"
    assert err == "interrupted: 1 of 2 scenario(s) were run\n"
    assert not junit.exists()


def test_an_interrupted_diff_says_how_many_it_compared_and_writes_no_junit_file(
        tmp_path, capsys, monkeypatch, fake_for_nova):
    paths = [write(tmp_path / "scenarios" / f"{n}.toml", MOVES) for n in "ab"]
    real = cli._compare_task

    def interrupted_at_the_second(backends, scenario):
        if scenario.id == "b":
            raise KeyboardInterrupt
        return real(backends, scenario)

    monkeypatch.setattr(cli, "_compare_task", interrupted_at_the_second)
    junit = tmp_path / "j.xml"
    code, out, err = run(capsys, "diff", "-j", "1", *map(str, paths), "--junit-xml",
                         str(junit))
    assert code == 130
    assert out.splitlines()[-1].startswith("SAME a  (fake ")
    assert err == "interrupted: 1 of 2 scenario(s) were compared, 0 different\n"
    assert not junit.exists()


def _pid(backends: object, item: int) -> int:
    return os.getpid()


def test_one_item_runs_here_unless_isolated():
    from harness.parallel import Backends, in_order

    assert list(in_order(_pid, [0], Backends(), jobs=2)) == [os.getpid()]
    assert list(in_order(_pid, [0], Backends(), jobs=2, isolate=True)) != [os.getpid()]


# Set by a test while it runs: a worker that is a copy of this process sees it, a
# fresh interpreter sees the value the module is imported with.
_SET_WHILE_RUNNING = "imported"


def _what_the_worker_sees(backends: object, item: int) -> tuple[int, str, int]:
    return item, _SET_WHILE_RUNNING, os.getpid()


@pytest.mark.parametrize("fake_only, other_thread, copies", [
    (True, False, True), (False, False, False), (True, True, False)])
def test_fake_only_work_starts_workers_as_copies_of_this_process_unless_a_thread_runs(
        monkeypatch, fake_only, other_thread, copies):
    from harness.parallel import Backends

    monkeypatch.setattr(sys.modules[__name__], "_SET_WHILE_RUNNING", "set")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    if other_thread:
        thread.start()
    try:
        seen = list(in_order(_what_the_worker_sees, [0, 1, 2], Backends(), jobs=2,
                             fake_only=fake_only))
    finally:
        stop.set()
        if other_thread:
            # Gone before the next test asks whether this process can be copied.
            thread.join()
    assert [item for item, _, _ in seen] == [0, 1, 2]
    assert os.getpid() not in {pid for _, _, pid in seen}
    assert {state for _, state, _ in seen} == {"set" if copies else "imported"}


@pytest.mark.parametrize("backend, copies, expected", [
    ("fake", True, 3), ("fake", False, 1), ("nova", False, 3)])
def test_without_j_a_run_takes_a_worker_per_cpu_unless_fake_workers_cannot_be_copies(
        tmp_path, capsys, monkeypatch, fake_for_nova, backend, copies, expected):
    import harness.cli

    asked = []

    def in_order_here(task, items, backends, jobs, fake_only=False):
        asked.append((jobs, fake_only))
        return in_order(task, items, backends, 1)

    monkeypatch.setattr(harness.cli, "_cpus", lambda: 3)
    monkeypatch.setattr(harness.cli, "can_copy_this_process", lambda: copies)
    monkeypatch.setattr(harness.cli, "in_order", in_order_here)
    code, out, _ = run(capsys, "run", "--backend", backend,
                       str(write(tmp_path / "m.toml", MOVES)))
    assert code == 0, out
    assert asked == [(expected, backend == "fake")]


def test_one_job_runs_here_with_the_given_backends():
    from harness.parallel import Backends, in_order

    backends = Backends()
    seen = list(in_order(lambda b, item: (b, item), [1, 2], backends, jobs=1))
    assert seen == [(backends, 1), (backends, 2)]


# explain


def test_explain_prints_each_step_s_select_destinations_calls(tmp_path, capsys):
    code, out, _ = run(capsys, "explain", str(write(tmp_path / "moves.toml", MOVES)))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "PASS moves on the fake backend with scheduler fixed"
    assert lines[1].startswith("step 1: create 2 x small in one request")
    assert lines[2] == ("  select_destinations #1: 2 instance(s) asked; "
                        "RequestSpec.num_instances = 2; 2 host(s) required, 2 selected")
    assert "    placement offered: host1, host2" in lines
    assert "    for instance 2 of 2:" in lines


def test_explain_of_one_failing_step_prints_its_calls_and_mismatches(tmp_path, capsys):
    code, out, _ = run(capsys, "explain", "--step", "2", "--scheduler", "pike-16.0.0",
                       str(write(tmp_path / "moves.toml", MOVES)))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "FAIL moves on the fake backend with scheduler pike-16.0.0"
    assert lines[1].startswith("step 2: live-migrate server 0")
    assert lines[2] == ("  select_destinations #1: 1 instance(s) asked; "
                        "RequestSpec.num_instances = 2; 2 host(s) required, 1 selected")
    assert "    raised NoValidHost: No valid host was found. There are not enough hosts " \
           "available." in lines
    assert any(line.startswith("  error: expected none, observed NoValidHost") for line in lines)
    assert not any(line.startswith("step 1") for line in lines)


def test_explain_with_an_injected_bug_runs_it(tmp_path, capsys):
    code, out, _ = run(capsys, "explain", "--inject", "pike-16.0.0",
                       str(write(tmp_path / "moves.toml", MOVES)))
    assert code == 1
    assert out.splitlines()[0] == ("FAIL moves on the fake backend with scheduler "
                                   "fixed + pike-16.0.0")


@pytest.mark.parametrize(("argv", "message"), [
    (["--step", "3"], "--step 3: moves has 2 step(s)"),
    (["--scheduler", "nope"], "--scheduler: unknown scheduler 'nope'"),
    (["--backend", "nova", "--scheduler", "pike-16.0.0"], "the nova backend runs"),
])
def test_explain_refuses_bad_input_and_runs_nothing(tmp_path, capsys, argv, message):
    code, out, err = run(capsys, "explain", str(write(tmp_path / "moves.toml", MOVES)), *argv)
    assert code == 2
    assert message in err
    assert out == ""


def test_explain_takes_one_scenario_file_not_a_directory(tmp_path, capsys):
    write(tmp_path / "moves.toml", MOVES)
    code, out, err = run(capsys, "explain", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}: not a scenario file" in err
    assert out == ""


@pytest.mark.parametrize("step", ["0", "two"])
def test_explain_s_step_must_be_a_step_number(tmp_path, capsys, step):
    with pytest.raises(SystemExit) as exit_:
        main(["explain", str(write(tmp_path / "moves.toml", MOVES)), "--step", step])
    assert exit_.value.code == 2
