"""pytest fixtures for the fake cloud (loaded automatically once the harness is installed).

- ``nova_cloud``: a running two-host cloud (host1, host2), cleaned up after the test;
- ``make_nova_cloud``: a factory, ``make_nova_cloud(hosts=[...], scheduler=...)``;
- ``--harness-scheduler NAME``: the scheduler both run by default, so the same
  tests can gate a scheduler plug-in: ``pytest --harness-scheduler pkg.mod:Class``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from harness.cloud.scheduler.drivers import DEFAULT_SCHEDULER, SchedulerLoadError, load_scheduler
from harness.fixtures import CloudFixture, HostSpec


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


@pytest.fixture
def make_nova_cloud(harness_scheduler: str) -> Iterator[Callable[..., CloudFixture]]:
    started: list[CloudFixture] = []

    def make(hosts: Iterable[HostSpec | str] = ("host1", "host2"),
             scheduler: Any = None, **kwargs: Any) -> CloudFixture:
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
