"""Hostile input, generated: whatever a scenario file holds, the loader gives a
Scenario or a ScenarioError naming the file and the key or line (never another
exception), the CLI exits 2 with one clear message and runs nothing, a scenario
that loads runs to a verdict without crashing the harness, and the fake API
answers a malformed request with a 4xx, never a 500 or a Python exception."""

from __future__ import annotations

import io
import json
import math
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.backends.fake import FakeCloudBackend
from harness.cli import main, run_and_check
from harness.cloud.api.client import OpenStackApiException
from harness.fixtures import CloudFixture
from harness.scenario import loader
from harness.scenario.loader import ScenarioError, load_scenario, scenario_schema
from tests.unit.scenario.builders import MOVES

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
VALID = [tomllib.loads(p.read_text()) for p in (
    SCENARIOS / "bug_1718455" / "live_migrate_to_other_host.toml",
    SCENARIOS / "resize" / "usage_while_waiting_to_confirm.toml",
    SCENARIOS / "server_groups" / "anti_affinity_max_per_host.toml",
)]
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**63, max_value=2**63 - 1),
    st.floats(allow_nan=False), st.text(max_size=40),
    st.sampled_from(["", "host1", "@other", "@source", "small", "live-migrate", "create",
                     "ACTIVE", "NoValidHost", "x" * 5000, "ünïcødé ☃", "\x00", "-1"]),
    st.sampled_from([0, -1, 1, 2, 10**9, 101, 1001, 2**31]))
values = st.recursive(
    scalars.filter(lambda v: v is not None),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(min_size=1, max_size=12), inner,
                                            max_size=4)),
    max_leaves=8)


def toml_value(value: Any) -> str:
    """A value as inline TOML (tables inline, so any nesting is one line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(data: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(key)} = {toml_value(value)}\n" for key, value in data.items())


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped scenario with a few values replaced, keys dropped or keys added."""
    data = json.loads(json.dumps(draw(st.sampled_from(VALID))))
    for _ in range(draw(st.integers(1, 3))):
        node: Any = data
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node) if isinstance(node, dict)
                                       else range(len(node))))
            if not isinstance(node[key], (dict, list)):
                break
            node = node[key]
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            action = draw(st.sampled_from(["replace", "drop", "add"]))
            if action == "replace":
                node[key] = draw(values)
            elif action == "drop":
                del node[key]
            else:
                node[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif isinstance(node, list) and node:
            node[draw(st.integers(0, len(node) - 1))] = draw(values)
    return data


@contextmanager
def written(content: bytes) -> Iterator[Path]:
    """A scenario file holding ``content``, removed afterwards (hypothesis runs each
    test's body many times, so pytest's per-test tmp_path cannot serve)."""
    with tempfile.TemporaryDirectory(prefix="bad-input-") as directory:
        path = Path(directory) / "scenario.toml"
        path.write_bytes(content)
        yield path


def assert_clear(error: ScenarioError, path: Path) -> None:
    text = str(error)
    assert str(path) in text
    assert "Traceback" not in text
    assert all(problem.message for problem in error.problems)


@SETTINGS
@given(st.binary(max_size=600))
def test_any_bytes_load_as_a_scenario_or_a_clear_error(content):
    with written(content) as path:
        try:
            load_scenario(path)
        except ScenarioError as error:
            assert_clear(error, path)


@SETTINGS
@given(mutated_scenarios())
def test_a_mutated_scenario_loads_and_runs_or_is_refused_clearly(data):
    with written(toml_document(data).encode()) as path:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            assert_clear(error, path)
            return
    verdict = run_and_check(scenario, FakeCloudBackend(), "fixed")
    assert verdict.error is None, verdict.error


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_scenarios())
def test_the_cli_refuses_a_bad_file_with_exit_2_and_runs_nothing(data):
    with written(toml_document(data).encode()) as path:
        try:
            load_scenario(path)
        except ScenarioError:
            pass
        else:
            return
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["run", str(path)])
    assert code == 2
    assert out.getvalue() == ""
    assert err.getvalue().startswith("error: ") and str(path) in err.getvalue()
    assert "Traceback" not in err.getvalue()


actions = st.dictionaries(
    st.sampled_from(["os-migrateLive", "migrate", "resize", "confirmResize", "revertResize",
                     "evacuate", "shelve", "unshelve", "rebuild", "os-stop", "os-start", "x"]),
    values, max_size=2)
creates = st.fixed_dictionaries({"server": st.dictionaries(
    st.sampled_from(["name", "flavorRef", "min_count", "max_count", "imageRef",
                     "availability_zone", "return_reservation_id", "networks", "junk"]),
    st.one_of(values, st.just("1")), max_size=6)})
microversions = st.sampled_from(["2.1", "2.25", "2.30", "2.56", "2.68", "latest"])


def assert_4xx(exc: OpenStackApiException) -> None:
    assert 400 <= exc.response.status_code < 500, (exc.response.status_code, str(exc))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(creates, microversions)
def test_the_fake_api_answers_a_malformed_create_with_a_4xx(body, microversion):
    with CloudFixture() as cloud:
        cloud.admin_api.post_flavor({"flavor": {"name": "f", "id": "1", "vcpus": 1,
                                                "ram": 512, "disk": 1}})
        cloud.admin_api.microversion = microversion
        try:
            cloud.admin_api.post_server(body)
        except OpenStackApiException as exc:
            assert_4xx(exc)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions, microversions)
def test_the_fake_api_answers_a_malformed_server_action_with_a_4xx(body, microversion):
    with CloudFixture() as cloud:
        flavor = cloud.admin_api.post_flavor(
            {"flavor": {"name": "f", "vcpus": 1, "ram": 512, "disk": 1}})["id"]
        server = cloud.admin_api.post_server({"server": {"name": "s", "flavorRef": flavor}})
        cloud.admin_api.microversion = microversion
        try:
            cloud.admin_api.post_server_action(server["id"], body)
        except OpenStackApiException as exc:
            assert_4xx(exc)
        assert cloud.admin_api.get_server(server["id"])["id"] == server["id"]


# A reference beside other keywords (here a description): an error inside what it
# names is that schema's error, whatever the keywords beside it say.
BAD_ZONE = tomllib.loads(MOVES + 'request_spec = { availability_zone = "no zone!" }\n')
WHOLE_SCHEMA = scenario_schema()
AS_WRITTEN = jsonschema.validators.validator_for(WHOLE_SCHEMA)(WHOLE_SCHEMA)


@SETTINGS
@given(mutated_scenarios())
@example(BAD_ZONE)
def test_the_loader_finds_what_the_whole_schema_as_written_finds(data):
    # The loader checks each step with its own type's part of the schema, its
    # references put in place; the schema as published must say the same.
    assert loader._file_problems(data) == loader._schema_problems(data, AS_WRITTEN)
