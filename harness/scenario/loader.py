"""Finding, reading and validating scenario files.

A file is checked in three passes: TOML syntax, the JSON schema
(schema.json), then references between its parts (flavors, hosts, servers).
Every problem is reported as ``file:line: key.path: what was expected``;
nothing is run from a file that has one.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from harness.scenario.model import (
    NO_HOST,
    CloudDef,
    ConfigDef,
    Expect,
    FlavorDef,
    HostDef,
    MigrationExpect,
    RequestSpecExpect,
    Scenario,
    ServerExpect,
)
from harness.scenario.steps import STEP_TYPES
from harness.scenario.steps.base import KeyPath, Names, Step

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class Problem:
    key_path: KeyPath
    message: str
    line: int | None = None

    def render(self, path: Path) -> str:
        where = f"{path}:{self.line}" if self.line else str(path)
        key = _dotted(self.key_path)
        return f"{where}: {key + ': ' if key else ''}{self.message}"


class ScenarioError(Exception):
    """A scenario file that cannot be run, with every problem found in it."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(p.render(path) for p in problems))


def discover(paths: Iterable[Path]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, directories searched for *.toml."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob("*.toml")))
        elif path.is_file():
            found.append(path)
        else:
            raise ScenarioError(path, [Problem((), "no such file or directory")])
    return found


def load_scenario(path: Path, root: Path | None = None) -> Scenario:
    """Read and validate one file; its id is its path below ``root``, without .toml."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, [Problem((), f"cannot read: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        raise ScenarioError(path, [Problem(
            (), f"not valid TOML: {exc}", int(match.group(1)) if match else None)]) from None
    return load_data(data, path, _scenario_id(path, root), text)


def load_data(data: dict[str, Any], path: Path, scenario_id: str, text: str | None = None
              ) -> Scenario:
    """A scenario from a file's parsed TOML, validated as ``load_scenario`` validates a
    file (``text``: the file's text, to give each problem its line)."""
    problems = _file_problems(data) or _reference_problems(data)
    if problems:
        lines = KeyLines(text or "")
        raise ScenarioError(path, [
            Problem(p.key_path, p.message, lines.find(p.key_path)) for p in problems])
    return _build(data, path, scenario_id)


class StepLoader:
    """A scenario's steps validated and built one at a time, with the checks
    ``load_data`` makes of a whole file (schema, then references to what earlier steps
    made), for scenarios generated step by step (``harness.explore``): each step is
    checked when it is added, so the data is a valid file at every point, at the cost
    of one step's checks rather than the whole file's each time."""

    def __init__(self, data: dict[str, Any], path: Path) -> None:
        """``data``: the scenario's ``scenario`` and ``cloud`` tables; its steps, if any,
        are added as by ``add``."""
        self.path = path
        self.data: dict[str, Any] = {**data, "steps": []}
        # The header is checked with an empty step list, which is no problem yet.
        problems = [p for p in _file_problems(self.data) if p.key_path != ("steps",)]
        problems = problems or _cloud_problems(self.data)
        if problems:
            raise ScenarioError(path, problems)
        self._hosts = _host_names(self.data)
        self._names = Names(self._hosts, [f["name"] for f in self.data["cloud"]["flavors"]])
        # The cloud as a Scenario (without steps): what a backend opens.
        self.scenario = _build(self.data, path, path.stem)
        for raw in data.get("steps", ()):
            self.add(raw)

    def add(self, raw: dict[str, Any]) -> Step:
        """Check one more step against the schema and what the steps before it made;
        append it to ``data`` and return it built. A problem is a ScenarioError and
        leaves ``data`` as it was."""
        index = len(self.data["steps"])
        problems = _step_schema_problems(index, raw)
        names = copy.deepcopy(self._names)
        if not problems:
            step = _build_step(index, raw)
            problems = list(_step_problems(index, step, raw, names, self._hosts))
        if problems:
            raise ScenarioError(self.path, problems)
        self._names = names
        self.data["steps"].append(raw)
        return step


def _action(raw: Any) -> str | None:
    action = raw.get("action") if isinstance(raw, dict) else None
    return action if isinstance(action, str) else None


def _scenario_id(path: Path, root: Path | None) -> str:
    try:
        relative = path.resolve().relative_to(root.resolve()) if root else Path(path.name)
    except ValueError:
        relative = Path(path.name)
    return relative.with_suffix("").as_posix()


def scenario_schema() -> dict[str, Any]:
    """schema.json, with each step type's keys as one branch of ``$defs.step``."""
    schema = json.loads(resources.files("harness.scenario").joinpath("schema.json").read_text())
    schema["$defs"]["step"] = {
        "type": "object",
        "required": ["action"],
        "properties": {"action": {"enum": list(STEP_TYPES)}},
        "allOf": [{"if": {"properties": {"action": {"const": action}}},
                   "then": step_type.json_schema()}
                  for action, step_type in STEP_TYPES.items()],
    }
    return schema


@cache
def _file_validator() -> jsonschema.protocols.Validator:
    """The whole schema but for what each step holds, which ``_step_validator`` checks:
    one step type's branch rather than every type's ``if`` (a third of ``harness run``
    was the file checks before)."""
    schema = _inlined({key: value for key, value in _published_schema().items()
                       if key != "$defs"})
    schema["properties"]["steps"]["items"] = True
    return jsonschema.validators.validator_for(schema)(schema)


@cache
def _step_validator(action: str | None) -> jsonschema.protocols.Validator:
    """The schema of one step: its action's branch of ``$defs.step`` (what the whole
    schema checks it with), or all of ``$defs.step`` for a step whose action is missing
    or unknown (the "expected one of" problem)."""
    branch = ({"$ref": "#/$defs/step"} if action not in STEP_TYPES
              else {"type": "object", **STEP_TYPES[action].json_schema()})
    step = _inlined({"$schema": _published_schema()["$schema"], **branch})
    return jsonschema.validators.validator_for(step)(step)


@cache
def _published_schema() -> dict[str, Any]:
    """``scenario_schema()``, read once for every validator; never changed (``_inlined``
    copies what it is given)."""
    return scenario_schema()


def _inlined(node: Any) -> Any:
    """A copy of ``node`` with each ``$ref`` to the schema's ``$defs`` replaced by what it
    names (a third of the checks' time went to looking them up). A reference beside
    other keywords becomes an ``allOf`` of one, which keeps what the reference meant
    and the schema an error points to."""
    if isinstance(node, list):
        return [_inlined(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" not in node:
        return {key: _inlined(value) for key, value in node.items()}
    target = _inlined_definition(node["$ref"].removeprefix("#/$defs/"))
    rest = {key: _inlined(value) for key, value in node.items() if key != "$ref"}
    return {**rest, "allOf": [*rest.get("allOf", ()), target]} if rest else target


@cache
def _inlined_definition(name: str) -> Any:
    """One of the schema's ``$defs``, inlined once and shared by every validator that
    refers to it (a validator never changes its schema)."""
    return _inlined(_published_schema()["$defs"][name])


def _file_problems(data: dict[str, Any]) -> list[Problem]:
    """What ``scenario_schema()`` finds wrong with a whole file."""
    problems = _schema_problems(data, _file_validator())
    steps = data.get("steps")
    for index, raw in enumerate(steps if isinstance(steps, list) else ()):
        problems.extend(_step_schema_problems(index, raw))
    return sorted(problems, key=lambda p: [str(k) for k in p.key_path])


def _step_schema_problems(index: int, raw: Any) -> list[Problem]:
    return [Problem(("steps", index, *p.key_path), p.message)
            for p in _schema_problems(raw, _step_validator(_action(raw)))]


def _schema_problems(data: Any, validator: jsonschema.protocols.Validator) -> list[Problem]:
    problems = []
    for error in validator.iter_errors(data):
        # A oneOf error wraps one error per branch; the deepest is the branch
        # the author meant ("vcpus must be an integer", not "host must be a string").
        # On a tie, an error about the content beats "wrong type"/"not the
        # constant": those only say the author meant the other branch.
        specific = max(_leaves(error), key=lambda e: (len(e.absolute_path),
                                                      e.validator not in ("type", "const")))
        problems.append(Problem(tuple(specific.absolute_path), _expected(specific)))
    return sorted(problems, key=lambda p: [str(k) for k in p.key_path])


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    if not error.context:
        yield error
    for sub in error.context:
        yield from _leaves(sub)


def _expected(error: jsonschema.ValidationError) -> str:
    if error.validator == "oneOf" and not error.context:
        # Valid under more than one branch: keys that exclude each other.
        keys = [k for branch in error.validator_value for k in branch.get("required", ())]
        return f"expected exactly one of {', '.join(keys)}"
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    return f"{error.message} (expected {description})" if description else error.message


def _reference_problems(data: dict[str, Any]) -> list[Problem]:
    """What the schema cannot see: names that must refer to something defined."""
    problems = _cloud_problems(data)
    hosts = _host_names(data)
    names = Names(hosts, [f["name"] for f in data["cloud"]["flavors"]])
    for i, raw in enumerate(data["steps"]):
        problems.extend(_step_problems(i, _build_step(i, raw), raw, names, hosts))
    return problems


def _host_names(data: dict[str, Any]) -> list[str]:
    return [h if isinstance(h, str) else h["name"] for h in data["cloud"]["hosts"]]


def _cloud_problems(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    flavors = [f["name"] for f in data["cloud"]["flavors"]]
    for kind, names in (("hosts", _host_names(data)), ("flavors", flavors)):
        for i, name in enumerate(names):
            if name in names[:i]:
                problems.append(Problem(("cloud", kind, i), f"duplicate name {name!r}"))
    for i, host in enumerate(data["cloud"]["hosts"]):
        if isinstance(host, dict):
            problems.extend(_memory_problems(("cloud", "hosts", i), host))
    return problems


def _memory_problems(at: KeyPath, host: dict[str, Any]) -> Iterator[Problem]:
    """Placement refuses a MEMORY_MB inventory whose reserved is not below its total
    (InvalidInventoryCapacity), so such a host would have no memory to offer."""
    default = HostDef(name="")
    memory = host.get("memory_mb", default.memory_mb)
    reserved = host.get("reserved_host_memory_mb", default.reserved_host_memory_mb)
    if memory <= reserved:
        yield Problem(at, f"memory_mb = {memory} is not above reserved_host_memory_mb = "
                          f"{reserved}: placement refuses such an inventory")


def _step_problems(index: int, step: Step, raw: dict[str, Any], names: Names,
                   hosts: list[str]) -> Iterator[Problem]:
    """Step ``index``'s references, with ``names`` as the steps before it left them
    (updated with what this one makes)."""
    at: KeyPath = ("steps", index)
    yield from (Problem((*at, *key), message) for key, message in step.references(names))
    yield from _expect_problems(at, step, raw.get("expect", {}), hosts)


def _expect_problems(at: KeyPath, step: Step, expect: dict[str, Any], hosts: list[str]
                     ) -> Iterator[Problem]:
    allowed = step.expectation_refs()
    if len(hosts) != 2:
        allowed.discard("@other")
    refs = list(_host_refs(("server", "host"), expect.get("server", {}).get("host")))
    for i, server in enumerate(expect.get("servers", ())):
        refs += _host_refs(("servers", i, "host"), server.get("host"))
    counts = step.may_act_on()
    if "servers" in expect and len(expect["servers"]) not in counts:
        acts_on = (f"{counts[0]} to {counts[-1]}" if len(counts) > 1 else str(counts[0]))
        yield Problem((*at, "expect", "servers"),
                      f"a {step.ACTION} step acts on {acts_on} server(s); expected "
                      f"as many entries, found {len(expect['servers'])}")
    if isinstance(expect.get("migration"), dict):
        refs += [(("migration", k), expect["migration"].get(k)) for k in ("source", "dest")]
    for key, ref in refs:
        if ref is None or ref == NO_HOST:
            continue
        if ref.startswith("@") and ref not in allowed:
            also = "".join(f", {a}" for a in sorted(allowed))
            yield Problem((*at, "expect", *key),
                          f"{ref} has no meaning in a {step.ACTION} step here; "
                          f"expected a host name, none{also}")
        elif not ref.startswith("@") and ref not in hosts:
            yield Problem((*at, "expect", *key), f"expected one of {hosts} or none")
    spec = expect.get("request_spec", {})
    for key in ("force_hosts", "ignore_hosts", "retry"):
        for i, host in enumerate(spec.get(key, ())):
            if host not in hosts:
                yield Problem((*at, "expect", "request_spec", key, i),
                              f"expected one of {hosts}")
    for host in expect.get("usage", {}):
        if host not in hosts:
            yield Problem((*at, "expect", "usage", host), f"expected one of {hosts}")
    destination = spec.get("requested_destination")
    if destination is not None and destination != NO_HOST and destination not in hosts:
        yield Problem((*at, "expect", "request_spec", "requested_destination"),
                      f"expected one of {hosts} or none")
    if step.MIGRATION is None and expect.get("migration"):
        yield Problem((*at, "expect", "migration"), f"a {step.ACTION} step creates no "
                      "migration; expected false or nothing")
    if not step.ACTS_ON_SERVERS:
        for key in ("server", "servers", "request_spec"):
            if key in expect:
                yield Problem((*at, "expect", key), f"a {step.ACTION} step acts on no server")


def _build(data: dict[str, Any], path: Path, scenario_id: str) -> Scenario:
    meta = data["scenario"]
    cloud = CloudDef(
        hosts=tuple(HostDef(name=h) if isinstance(h, str) else HostDef(**h)
                    for h in data["cloud"]["hosts"]),
        flavors=tuple(FlavorDef(**f) for f in data["cloud"]["flavors"]),
        config=_config(data["cloud"].get("config", {})),
    )
    return Scenario(
        id=scenario_id, path=path, title=meta["title"], cloud=cloud,
        steps=tuple(_build_step(i, s) for i, s in enumerate(data["steps"])),
        description=meta.get("description", ""), bugs=tuple(meta.get("bugs", ())),
        expect_bug=meta.get("expect_bug"),
    )


def _build_step(index: int, raw: dict[str, Any]) -> Step:
    params = {k: v for k, v in raw.items() if k not in ("action", "expect", "as")}
    return STEP_TYPES[raw["action"]](index=index, expect=_build_expect(raw.get("expect", {})),
                                     actor=raw.get("as", "admin"), **params)


def _build_expect(raw: dict[str, Any]) -> Expect:
    migration = raw.get("migration")
    return Expect(
        api_status=raw.get("api_status"),
        error=raw.get("error", "none"),
        server=_build_server_expect(raw["server"]) if "server" in raw else None,
        servers=tuple(_build_server_expect(s) for s in raw["servers"])
        if "servers" in raw else None,
        migration=MigrationExpect(**migration) if isinstance(migration, dict) else migration,
        request_spec=_build_request_spec_expect(raw["request_spec"])
        if "request_spec" in raw else None,
        allocations=raw.get("allocations", "consistent"),
        error_message=raw.get("error_message"),
        usage=raw.get("usage"),
    )


def _build_server_expect(raw: dict[str, Any]) -> ServerExpect:
    host = raw.get("host")
    return ServerExpect(**{**raw, "host": tuple(host) if isinstance(host, list) else host})


def _build_request_spec_expect(raw: dict[str, Any]) -> RequestSpecExpect:
    lists = {k: tuple(v) for k, v in raw.items() if isinstance(v, list)}
    return RequestSpecExpect(**{**raw, **lists})


def _dotted(key_path: KeyPath) -> str:
    out = ""
    for key in key_path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


class KeyLines:
    """Which line of a TOML text defines a key path, as far as a line scan can tell.

    Knows tables, arrays of tables, ``key = value`` lines and inline tables
    and arrays on one line; a path it cannot place exactly gets the line of
    its nearest known parent.
    """

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r'^\s*("?[A-Za-z0-9_.-]+"?)\s*=\s*(.*)$')
    _INLINE_KEY = re.compile(r'([A-Za-z0-9_-]+)\s*=')

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        counts: dict[KeyPath, int] = {}
        table: KeyPath = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            if header:
                table = self._resolve(header.group(2).split("."), counts,
                                      is_array=header.group(1) == "[[")
                self.lines.setdefault(table, number)
                continue
            key = self._KEY.match(line)
            if key and not line.lstrip().startswith("#"):
                path = table
                for part in key.group(1).strip('"').split("."):  # dotted keys: a.b = 1
                    path = (*path, part)
                    self.lines.setdefault(path, number)
                self._inline(path, key.group(2), number)

    def _resolve(self, parts: list[str], counts: dict[KeyPath, int], is_array: bool
                 ) -> KeyPath:
        resolved: KeyPath = ()
        for i, part in enumerate(parts):
            resolved = (*resolved, part.strip().strip('"'))
            last = i == len(parts) - 1
            if last and is_array:
                counts[resolved] = counts.get(resolved, 0) + 1
            if resolved in counts:
                resolved = (*resolved, counts[resolved] - 1)
        return resolved

    def _inline(self, path: KeyPath, value: str, number: int) -> None:
        if value.startswith("{"):
            for inner in self._INLINE_KEY.findall(value):
                self.lines.setdefault((*path, inner), number)
        elif value.startswith("[") and value.rstrip().endswith("]"):
            for i in range(value.count(",") + 1):
                self.lines.setdefault((*path, i), number)

    def find(self, key_path: KeyPath) -> int | None:
        for end in range(len(key_path), -1, -1):
            if key_path[:end] in self.lines:
                return self.lines[key_path[:end]]
        return None


def _config(data: dict[str, Any]) -> ConfigDef:
    if "enabled_filters" in data:
        data = {**data, "enabled_filters": tuple(data["enabled_filters"])}
    return ConfigDef(**data)


def _host_refs(key: KeyPath, host: str | list[str] | None) -> Iterator[tuple[KeyPath, str]]:
    """The host references in a server's expected host: itself, the one after "!", or
    each of a list."""
    if isinstance(host, list):
        yield from (((*key, i), ref) for i, ref in enumerate(host))
    elif host is not None:
        yield key, host.removeprefix("!")
