"""The same scenarios on real Nova (the installed package): they pass with Nova's
scheduler, each known bug injected fails exactly the scenarios tagged with it, and
the fake cloud agrees with Nova on every observation, with and without each bug.
With a bug put back, the scenarios tagged with it run (HARNESS_NOVA_MATRIX=family:
those tagged with any bug, full: the whole catalogue; tests.nova.outcomes).
Needs the nova extra (tox -e functional-nova).
"""

import gc
import io
import time
from contextlib import redirect_stdout

import pytest

from harness.backends import get_backend
from harness.backends.nova.quiet import at_rest, until_quiet
from harness.cli import main
from harness.inject import KNOWN_BUGS
from harness.scenario.checks import check
from harness.scenario.diff import diff
from harness.scenario.loader import load_scenario
from harness.scenario.runner import run_scenario
from harness.scenario.steps import STEP_TYPES
from tests.nova.outcomes import SCENARIOS, SHIPPED, injected, run_workers

EXAMPLES = SCENARIOS.parent / "examples"
UPSTREAM = SCENARIOS / "bug_1718455" / "live_migrate_to_other_host.toml"
CASES = [(bug, s) for bug in KNOWN_BUGS.values() for s in injected(bug.name)]


def case_id(case):
    bug, scenario = case
    return f"{bug.name}-{scenario.id}"


@pytest.fixture(scope="module")
def catalogue_outcomes(tmp_path_factory):
    """The catalogue on Nova as installed and with each known bug, in parallel."""
    return run_workers([None, *KNOWN_BUGS], tmp_path_factory.mktemp("nova-workers"))


@pytest.fixture(scope="module")
def nova_outcomes(catalogue_outcomes):
    return catalogue_outcomes[None]


@pytest.fixture(scope="module")
def injected_outcomes(catalogue_outcomes):
    """{(bug name, scenario id): outcome} on Nova with each known bug put back."""
    return {(bug, scenario_id): outcome
            for bug in KNOWN_BUGS
            for scenario_id, outcome in catalogue_outcomes[bug].items()}


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda s: s.id)
def test_every_scenario_passes_on_nova(scenario, nova_outcomes):
    verdict = check(nova_outcomes[scenario.id])
    assert verdict.passed, [m.render() for s in verdict.failed_steps for m in s.mismatches]


@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda s: s.id)
def test_the_fake_cloud_agrees_with_nova(scenario, nova_outcomes):
    fake = run_scenario(scenario, get_backend("fake"), "fixed")
    assert diff(fake, nova_outcomes[scenario.id]) == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_with_a_bug_injected_the_fake_cloud_still_agrees_with_nova(case, injected_outcomes):
    bug, scenario = case
    fake = run_scenario(scenario, get_backend("fake", inject=bug.name), "fixed")
    assert diff(fake, injected_outcomes[bug.name, scenario.id]) == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_an_injected_bug_fails_exactly_the_scenarios_written_for_it(case, injected_outcomes):
    bug, scenario = case
    verdict = check(injected_outcomes[bug.name, scenario.id])
    catches = bug.number in scenario.bugs
    assert verdict.passed is not catches
    if catches:
        failed = verdict.failed_steps[0].outcome
        # A move that asks the scheduler, or the create a multi-create bug breaks.
        assert failed.step.ASKS_SCHEDULER or failed.step.ACTION == "create"
        why = [line for step in verdict.failed_steps for line in step.outcome.explanation]
        assert any(f"bug #{bug.number}" in line for line in why)


def test_bug_1718455_is_caught_on_every_path_that_asks_the_scheduler(injected_outcomes):
    caught = set()
    for scenario in injected("pike-16.0.0"):
        verdict = check(injected_outcomes["pike-16.0.0", scenario.id])
        if not verdict.passed:
            caught.add(verdict.failed_steps[0].outcome.step.ACTION)
    assert caught == {a for a, cls in STEP_TYPES.items() if cls.ASKS_SCHEDULER}


def test_a_failed_move_is_seen_in_its_terminal_state_not_at_a_timeout(injected_outcomes):
    # Only a rebuild is left stuck (Nova leaves the server in REBUILD when its
    # scheduler crashes); every other failed move ends where a user can see it.
    for scenario in injected("pike-16.0.0"):
        for result in injected_outcomes["pike-16.0.0", scenario.id].steps:
            if not result.settled:
                assert result.step.ACTION == "rebuild", scenario.id


def test_novas_verdicts_carry_the_reason_its_filter_logged(nova_outcomes):
    # Step 4 creates a server while host1's service is forced down: placement still
    # offers host1 (a down compute cannot mark its provider disabled), and Nova's
    # ComputeFilter logs that it has not been heard from.
    outcome = nova_outcomes["resource_tracker/evacuated_host_recounts_when_it_restarts"]
    [call] = outcome.steps[3].scheduling
    assert call.passes[0].filters[0].name == "ComputeFilter"
    assert call.passes[0].filters[0].removed == {"host1": "service down"}


def test_explain_prints_novas_verdicts():
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["explain", "--backend", "nova", "--inject", "pike-16.0.0", "--step", "2",
                     str(UPSTREAM)])
    assert code == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == ("FAIL bug_1718455/live_migrate_to_other_host on the nova backend "
                        "with scheduler installed Nova + pike-16.0.0")
    assert lines[2] == ("  select_destinations #1: 1 instance(s) asked; "
                        "RequestSpec.num_instances = 2; 2 host(s) required, 1 selected")
    # The other host, whichever server 0 went to: the two are alike.
    assert ("    placement offered: host1" in lines) != ("    placement offered: host2" in lines)
    assert "    raised NoValidHost: No valid host was found. There are not enough hosts " \
           "available." in lines


def test_the_pike_failure_is_explained_from_novas_log(injected_outcomes):
    outcome = injected_outcomes["pike-16.0.0", "bug_1718455/live_migrate_to_other_host"]
    assert any("bug #1718455" in line for line in outcome.steps[-1].explanation)


def test_a_fault_the_scenario_injected_is_explained_as_such_not_as_a_crash(nova_outcomes):
    # The compute's fault is logged after the move's select_destinations: it used to
    # be put down to the scheduler ("not a Nova error").
    outcome = nova_outcomes["faults/cold_migration_destination_fails"]
    why = outcome.steps[-1].explanation
    assert why == ("nova.compute.manager logged the fault the scenario injected: "
                   "host2: injected fault at finish_resize.",)


def test_the_injection_is_undone_after_the_run():
    # Nova's test packages first, as a run imports them: they patch the process.
    import harness.backends.nova.cloud  # noqa: F401  # isort: skip
    from nova.scheduler import manager

    original = manager.SchedulerManager.__dict__["_schedule"]
    with KNOWN_BUGS["pike-16.0.0"].nova.applied():
        assert manager.SchedulerManager.__dict__["_schedule"] is not original
    assert manager.SchedulerManager.__dict__["_schedule"] is original


def test_the_cli_runs_the_nova_backend_with_an_injection():
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["run", "--backend", "nova", "--inject", "pike-16.0.0",
                     str(UPSTREAM)])
    assert code == 1
    assert "observed NoValidHost" in out.getvalue()
    assert "Nova's scheduler: 1 host(s) selected, 2 required" in out.getvalue()


def test_a_plugin_scheduler_is_refused_on_nova(capsys):
    assert main(["run", "--backend", "nova", "--scheduler", "pike-16.0.0",
                 str(SCENARIOS)]) == 2
    assert "use --inject" in capsys.readouterr().err


def test_a_scenario_expecting_a_bug_passes_on_nova_while_it_is_injected_and_not_after():
    example = EXAMPLES / "expect_bug_1669054.toml"
    scenario = load_scenario(example, EXAMPLES)
    with_bug = check(run_scenario(scenario, get_backend("nova", inject="bug-1669054"), "fixed"))
    assert with_bug.passed
    fixed = check(run_scenario(scenario, get_backend("nova"), "fixed"))
    assert not fixed.passed
    assert [s.outcome.step.ACTION for s in fixed.failed_steps] == ["unshelve"]


def _process_state() -> dict[str, object]:
    """What a scenario on Nova could leave behind in the process."""
    import logging
    import threading

    import nova.virt.fake
    from nova import conf, filters, weights
    from nova.scheduler import filters as host_filters
    from nova.scheduler import host_manager, manager
    from oslo_db.sqlalchemy import engines
    from oslo_messaging._drivers import impl_fake

    cfg = conf.CONF
    return {
        "log handlers": {name: len(logging.getLogger(name).handlers)
                         for name in ("", "nova", "oslo_messaging")},
        "drivers": sorted(n for n in vars(nova.virt.fake) if n.startswith("Harness_")),
        "options": (cfg.reserved_host_memory_mb, cfg.allow_resize_to_same_host,
                    cfg.shelved_offload_time, cfg.compute_driver,
                    cfg.workarounds.disable_group_policy_check_upcall,
                    cfg.scheduler.max_attempts, cfg.quota.instances, cfg.quota.cores,
                    cfg.filter_scheduler.ram_weight_multiplier,
                    tuple(cfg.filter_scheduler.enabled_filters),
                    cfg.oslo_policy.enforce_new_defaults),
        "threads": threading.active_count(),
        "collector": gc.get_threshold(),
        # Engines from the last clouds (harness.backends.nova.engines), undone too.
        "engine factory": engines.create_engine,
        # The bus's wake-ups (harness.backends.nova.bus), undone with the cloud.
        "bus": (impl_fake.time, impl_fake.FakeExchange.__dict__["deliver_message"],
                impl_fake.FakeListener.__dict__["stop"]),
        # The verdicts' hooks (harness.backends.nova.scheduling), undone with the cloud.
        "scheduler methods": (
            manager.SchedulerManager.__dict__["select_destinations"],
            host_manager.HostManager.__dict__["get_host_states_by_uuids"],
            host_manager.HostManager.__dict__["get_filtered_hosts"],
            filters.BaseFilterHandler.__dict__["get_filtered_objects"],
            filters.BaseFilter.__dict__["filter_all"],
            host_filters.BaseHostFilter.__dict__["_filter_one"],
            weights.BaseWeightHandler.__dict__["get_weighed_objects"]),
    }


def test_a_scenario_on_nova_leaves_nothing_behind_in_the_process():
    # Options, quotas, a fake driver per host, log handlers: each scenario sets them
    # up in its own cloud, and the next must find the process as the first did.
    scenario = load_scenario(SCENARIOS / "scheduler_options" / "stacking.toml", SCENARIOS)
    backend = get_backend("nova")
    assert check(run_scenario(scenario, backend, "fixed")).passed
    before = _process_state()
    for _ in range(2):
        assert check(run_scenario(scenario, backend, "fixed")).passed
        assert _process_state() == before


def test_each_cloud_has_new_databases_on_the_engines_the_last_one_gave_back():
    # The first cloud leaves servers, a migration, allocations and two providers in
    # its databases; the next, on the same engines, must see none of them.
    scenario = load_scenario(UPSTREAM, SCENARIOS)
    backend = get_backend("nova")
    assert check(run_scenario(scenario, backend, "fixed")).passed
    with backend.open(scenario, "fixed") as handle:
        cloud = handle.cloud
        assert cloud.engine_reuse.reused == len(cloud.engine_reuse.taken) >= 4
        assert handle.admin_api.get_servers(search_opts={"all_tenants": 1}) == []
        assert handle.admin_api.get_migrations() == []
        assert cloud.allocations() == {}
        assert sorted(p["name"] for p in cloud._providers()) == ["host1", "host2"]
        assert sorted(s["host"] for s in handle.admin_api.get_services(
            binary="nova-compute")) == ["host1", "host2"]


def test_a_cloud_on_nova_collects_cycles_less_often_and_puts_the_collector_back():
    from harness.backends.nova.cloud import COLLECTOR_THRESHOLD

    scenario = load_scenario(UPSTREAM, SCENARIOS)
    before = gc.get_threshold()
    with get_backend("nova").open(scenario, "fixed"):
        assert gc.get_threshold() == (COLLECTOR_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before


def test_a_delivery_wakes_the_listeners_of_novas_bus():
    # oslo.messaging's fake driver has a listener with empty queues sleep 50 ms
    # between looks; in a cloud, a message delivered ends that sleep.
    import threading

    from oslo_messaging._drivers import impl_fake

    from harness.backends.nova.bus import WakeOnDelivery

    woken = threading.Event()

    def listener():
        impl_fake.time.sleep(60)
        woken.set()

    with WakeOnDelivery():
        sleeping = threading.Thread(target=listener)
        sleeping.start()
        exchange = impl_fake.FakeExchange("harness-test")
        # Again until it wakes: one delivered before it fell asleep wakes nobody.
        for _ in range(500):
            exchange.deliver_message("topic", {}, {"method": "ping"})
            if woken.wait(0.01):
                break
        sleeping.join(10)
    assert woken.is_set()
    assert exchange.poll(impl_fake.oslo_messaging.Target(topic="topic"), None)[1] == {
        "method": "ping"}



@pytest.fixture
def eventlet():
    """eventlet, once Nova's test packages have patched the process with it."""
    import harness.backends.nova.cloud  # noqa: F401  # isort: skip
    import eventlet
    return eventlet


def test_a_pause_between_polls_lasts_until_novas_green_threads_have_run(eventlet):
    # A build or a move is green threads handing work to each other; the runner
    # looks at the cloud once none of them has anything left to run.
    steps: list[int] = []

    def working():
        for step in range(200):
            steps.append(step)
            eventlet.sleep(0)

    worker = eventlet.spawn(working)
    until_quiet(0, 60)
    assert len(steps) == 200
    worker.wait()


def test_a_pause_ends_at_its_limit_when_a_green_thread_never_rests(eventlet):
    resting = [False]
    # So that a pause without a limit ends too, and the test says so.
    gives_up = time.monotonic() + 10

    def spinning():
        while not resting[0] and time.monotonic() < gives_up:
            eventlet.sleep(0)

    spinner = eventlet.spawn(spinning)
    until_quiet(0, 0.05)
    assert not spinner.dead
    resting[0] = True
    spinner.wait()


def _timer_of(thread):
    """The hub's timer that will wake ``thread``."""
    from eventlet import hubs

    hub = hubs.get_hub()
    return next(timer for _, timer in (*hub.timers, *hub.next_timers)
                if not timer.called and getattr(timer.tpl[0], "__self__", None) is thread)


def test_a_listeners_nap_and_a_heartbeats_sleep_are_services_at_rest_other_sleeps_not(
        eventlet):
    from oslo_service import loopingcall

    from harness.backends.nova.bus import DeliveryClock
    from harness.backends.nova.quiet import _idling

    def nova_waits_for_something():
        time.sleep(30)

    napping = eventlet.spawn(DeliveryClock().sleep, 30)
    heartbeat = loopingcall.FixedIntervalLoopingCall(lambda: None)
    heartbeat.start(30, initial_delay=30)
    working = eventlet.spawn(nova_waits_for_something)
    try:
        eventlet.sleep(0)
        assert _idling(_timer_of(napping))
        assert _idling(_timer_of(heartbeat._thread))
        assert not _idling(_timer_of(working))
    finally:
        heartbeat.stop()
        for thread in (napping, heartbeat._thread, working):
            thread.kill()


def test_nova_is_at_rest_only_with_no_thread_ready_and_none_asleep_but_services_idling(
        eventlet):
    from harness.backends.nova.bus import DeliveryClock

    def nova_waits_for_something():
        time.sleep(30)

    eventlet.sleep(0)
    assert at_rest()
    napping = eventlet.spawn(DeliveryClock().sleep, 30)
    ready = eventlet.spawn(lambda: None)
    try:
        assert not at_rest()
        eventlet.sleep(0)
        assert at_rest()
        working = eventlet.spawn(nova_waits_for_something)
        eventlet.sleep(0)
        assert not at_rest()
        working.kill()
        assert at_rest()
    finally:
        for thread in (napping, ready):
            thread.kill()


def test_a_step_that_can_never_settle_is_reported_once_nova_is_at_rest(monkeypatch):
    # With the Pike bug Nova's scheduler crashes on a rebuild, and Nova leaves the
    # server in REBUILD for good: nothing left to run will settle the step.
    monkeypatch.setenv("HARNESS_NOVA_SETTLE_SECONDS", "300")
    scenario = load_scenario(SCENARIOS / "bug_1718455" / "rebuild_one_of_two.toml",
                             SCENARIOS)
    with KNOWN_BUGS["pike-16.0.0"].nova.applied():
        outcome = run_scenario(scenario, get_backend("nova"), "fixed")
    assert [step.settled for step in outcome.steps] == [True, False]
    # At the timeout it would have taken five minutes.
    assert outcome.seconds < 150
