"""Scenarios as unittest tests, one test per scenario, for stestr and other unittest runners.

OpenStack's CI runs Python tests with stestr, which spreads the tests of a suite over
worker processes by their recorded times: a scenario must be a test of its own for that.
``tests/scenarios`` builds the suite from the environment (``tox -e functional-nova-stestr``).
Each process prepares its backend once, as ``harness run -j N``'s workers do; every
scenario still gets a fresh cloud. A failing test fails with the text ``harness run``
prints for it: the mismatches, why, and the trace.
"""

from __future__ import annotations

import io
import re
import unittest
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.backends import BACKENDS
from harness.backends.base import BackendUnavailable
from harness.cli import SCHEDULER_ENV, UsageError, check_scheduler, load_all, run_and_check
from harness.cloud.scheduler.drivers import DEFAULT_SCHEDULER
from harness.inject import KNOWN_BUGS
from harness.parallel import Backends
from harness.scenario.model import Scenario
from harness.scenario.report import HumanReport

BACKEND_ENV = "HARNESS_BACKEND"
# The known bug to put back, as ``run --inject`` takes it.
INJECT_ENV = "HARNESS_INJECT"
# A scenario directory or file, instead of the checkout's scenarios/.
SCENARIOS_ENV = "HARNESS_SCENARIOS"
# unittest leaves this module's frames out of a failure's traceback: the failure
# text is the report, the frames that raised it would only bury it.
__unittest = True


@dataclass(frozen=True)
class Settings:
    """What to run: the options of ``harness run``, from environment variables."""

    scenarios: Path
    backend: str = "nova"
    scheduler: str = DEFAULT_SCHEDULER
    inject: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], scenarios: Path) -> Settings:
        """Settings from HARNESS_BACKEND (default nova), HARNESS_SCHEDULER,
        HARNESS_INJECT and HARNESS_SCENARIOS (default ``scenarios``); UsageError if
        one is wrong, as ``harness run`` refuses such a command line."""
        settings = cls(Path(environ.get(SCENARIOS_ENV) or scenarios),
                       environ.get(BACKEND_ENV) or cls.backend,
                       environ.get(SCHEDULER_ENV) or DEFAULT_SCHEDULER,
                       environ.get(INJECT_ENV) or None)
        if settings.backend not in BACKENDS:
            raise UsageError(f"{BACKEND_ENV}={settings.backend}: expected one of "
                             f"{', '.join(BACKENDS)}")
        if settings.inject is not None and settings.inject not in KNOWN_BUGS:
            raise UsageError(f"{INJECT_ENV}={settings.inject}: expected one of "
                             f"{', '.join(sorted(KNOWN_BUGS))}")
        check_scheduler(settings.backend, settings.scheduler)
        return settings


def method_name(scenario_id: str) -> str:
    """``bug_1718455/live_migrate_to_other_host`` ->
    ``test_bug_1718455__live_migrate_to_other_host``: stable across runs, so stestr's
    recorded times keep matching their tests."""
    return "test_" + re.sub(r"\W", "_", scenario_id.replace("/", "__"))


def scenario_test_case(settings: Settings, module: str) -> type[unittest.TestCase]:
    """A TestCase class, ``module.ScenarioTest``, with a test method per scenario in
    ``settings.scenarios``, all validated first (UsageError naming every bad file)."""
    backends = Backends(settings.inject)
    methods: dict[str, Callable[[unittest.TestCase], None]] = {}
    for scenario in load_all([settings.scenarios]):
        method = method_name(scenario.id)
        if method in methods:
            raise UsageError(f"{scenario.id}: its test name {method} is another scenario's")
        methods[method] = _scenario_test(scenario, backends, settings)
    return type("ScenarioTest", (unittest.TestCase,),
                {"__module__": module, "__qualname__": "ScenarioTest", **methods})


def _scenario_test(scenario: Scenario, backends: Backends,
                   settings: Settings) -> Callable[[unittest.TestCase], None]:
    def test(self: unittest.TestCase) -> None:
        try:
            verdict = run_and_check(scenario, backends.get(settings.backend),
                                    settings.scheduler)
        except (BackendUnavailable, UsageError) as exc:
            # Every test of a backend that cannot run here fails with its reason.
            raise self.failureException(str(exc)) from None
        if verdict.not_applicable is not None:
            # That Nova's release lacks what the scenario asks for: a skip, with why.
            self.skipTest(verdict.not_applicable)
        if not verdict.passed:
            report = io.StringIO()
            HumanReport(report).scenario(verdict)
            self.fail(report.getvalue())

    test.__doc__ = scenario.title
    return test
