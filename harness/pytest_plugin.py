"""pytest fixtures for the fake cloud (loaded automatically once the harness is installed).

- ``nova_cloud``: a running two-host cloud (host1, host2), cleaned up after the test: a
  ``harness.fixtures.CloudFixture`` whose ``admin_api`` and ``api`` (and ``manager_api``,
  ``reader_api``) are clients with the methods of Nova's functional-test client;
  its cleanup fails the test if the cloud was left in a state no Nova shows
  (harness.audit: the invariants the scenarios are checked against);
- ``make_nova_cloud``: a factory, ``make_nova_cloud(hosts=[...], scheduler=...,
  config=harness.cloud.conf.Config(...))``, returning another such CloudFixture;
- ``--harness-scheduler NAME``: the scheduler both run by default, so the same
  tests can gate a scheduler plug-in: ``pytest --harness-scheduler pkg.mod:Class``.

A test that fails shows, below its traceback, each cloud's message trace and why
its errors happened ("harness trace" and "harness why" sections), as the
harness's TestCase attaches them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import pytest

from harness.cloud.explain import explain
from harness.cloud.scheduler.drivers import DEFAULT_SCHEDULER, SchedulerLoadError, load_scheduler
from harness.fixtures import CloudFixture, HostSpec

# The clouds a test started, for its report if it fails.
_CLOUDS = pytest.StashKey[list[CloudFixture]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("nova-scheduler-harness").addoption(
        "--harness-scheduler", default=DEFAULT_SCHEDULER, metavar="NAME",
        help="scheduler for the nova_cloud fixtures: fixed, pike-16.0.0 or "
             f"package.module:Class (default: {DEFAULT_SCHEDULER})")


def pytest_configure(config: pytest.Config) -> None:
    try:
        load_scheduler(config.getoption("--harness-scheduler"))
    except SchedulerLoadError as exc:
        raise pytest.UsageError(f"--harness-scheduler: {exc}") from exc


@pytest.fixture
def harness_scheduler(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--harness-scheduler")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and report.when == "call":
        for n, cloud in enumerate(item.stash.get(_CLOUDS, []), start=1):
            name = "harness" if n == 1 else f"harness cloud {n}"
            report.sections.append((f"{name} trace", cloud.bus.trace.render()))
            reasons = explain(cloud.bus.trace.hops)
            if reasons:
                report.sections.append((f"{name} why", "\n".join(reasons)))
    return report


@pytest.fixture
def make_nova_cloud(request: pytest.FixtureRequest, harness_scheduler: str
                    ) -> Iterator[Callable[..., CloudFixture]]:
    started = request.node.stash.setdefault(_CLOUDS, [])

    def make(hosts: Iterable[HostSpec | str] = ("host1", "host2"),
             scheduler: Any = None, **kwargs: Any) -> CloudFixture:
        kwargs.setdefault("check_invariants", True)
        cloud = CloudFixture(hosts, scheduler=scheduler or harness_scheduler, **kwargs)
        cloud.setUp()
        started.append(cloud)
        return cloud

    yield make
    for cloud in reversed(started):
        cloud.cleanUp()


@pytest.fixture
def nova_cloud(make_nova_cloud: Callable[..., CloudFixture]) -> CloudFixture:
    return make_nova_cloud()
