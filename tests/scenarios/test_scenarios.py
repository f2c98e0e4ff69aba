"""Every scenario as a test of its own, for stestr (``.stestr.conf``):
``HARNESS_BACKEND=nova stestr run`` on real Nova, ``HARNESS_BACKEND=fake`` on the fake
cloud; HARNESS_SCHEDULER, HARNESS_INJECT and HARNESS_SCENARIOS as
``harness.scenario_tests.Settings`` reads them."""

import os
from pathlib import Path

from harness.scenario_tests import Settings, scenario_test_case

ScenarioTest = scenario_test_case(
    Settings.from_environ(os.environ, Path(__file__).resolve().parents[2] / "scenarios"),
    __name__)
