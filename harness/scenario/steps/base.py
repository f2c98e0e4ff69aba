"""What every step type has, and the flow every server action shares.

A step type is one class: its keys (a JSON schema fragment), the names its
keys must refer to, how it is described, and how it runs: the request it
sends, what it waits for and what it observes. Adding a step type is adding
a class here or beside it and listing it in ``harness.scenario.steps``; the
loader, the schema, the runner, the checks and ``diff`` need no change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from harness.cloud.objects import MIGRATION_RESTING_STATUSES
from harness.scenario.model import NO_HOST, Actor, Expect
from harness.scenario.outcome import StepOutcome

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner

KeyPath = tuple[str | int, ...]
# A problem with a step's keys: where below the step, and what was expected.
Reference = tuple[KeyPath, str]

MICROVERSION: dict[str, Any] = {
    "description": "a compute API microversion (2.1 to 2.104) or latest",
    "type": "string",
    "pattern": r"^(latest|2\.([1-9]|[1-9][0-9]|10[0-4]))$",
}
SERVER_INDEX: dict[str, Any] = {
    "description": "a server, numbered from 0 in launch order",
    "type": "integer", "minimum": 0,
}
HOST_REF: dict[str, Any] = {"$ref": "#/$defs/host_ref"}


def at_least(microversion: str | None, minimum: tuple[int, int]) -> bool:
    """Whether a step's microversion (None: the default, the newest) is ``minimum`` or
    later."""
    if microversion in (None, "latest"):
        return True
    major, minor = str(microversion).split(".")
    return (int(major), int(minor)) >= minimum


@dataclass
class Names:
    """What a step's keys may refer to, as loading walks the steps in order."""

    hosts: list[str]
    flavors: list[str]
    servers: int = 0
    groups: list[str] = field(default_factory=list)
    # Deleted servers, and the step (numbered from 1) that deleted each.
    deleted: dict[int, int] = field(default_factory=dict)

    def group(self, key: str, name: str) -> Iterator[Reference]:
        if name not in self.groups:
            known = f"one of {self.groups}" if self.groups else "a create-server-group step before"
            yield (key,), f"unknown server group {name!r}; expected {known}"

    def server(self, index: int, deleted_too: bool = False) -> Iterator[Reference]:
        """A server an earlier step created (and, unless ``deleted_too``, none deleted)."""
        if index >= self.servers:
            yield ("server",), _no_such_server(index, self.servers)
        elif index in self.deleted and not deleted_too:
            yield ("server",), (f"server {index} is deleted by step {self.deleted[index]}; "
                                "expected a server that still exists")

    def host(self, key: str, host: str | None, refs_allowed: bool = True) -> Iterator[Reference]:
        """A host name, or (for a server's move) @other or @source."""
        if host is None:
            return
        if host == "@other" and refs_allowed:
            if len(self.hosts) != 2:
                yield (key,), "@other needs a cloud of exactly two hosts; expected a host name"
        elif host == "@source" and refs_allowed:
            return
        elif host not in self.hosts:
            also = "@other, @source or " if refs_allowed else ""
            yield (key,), f"expected {also}one of {self.hosts}"

    def flavor(self, key: str, name: str) -> Iterator[Reference]:
        if name not in self.flavors:
            yield (key,), f"unknown flavor {name!r}; expected one of {self.flavors}"


def never_created(index: int) -> str:
    return f"server {index} was never created: an earlier step failed"


def _no_such_server(index: int, created: int) -> str:
    if not created:
        return "no server exists yet: expected a create step before this one"
    expected = "0" if created == 1 else f"a number from 0 to {created - 1}"
    return f"server {index} is not created by an earlier step; expected {expected}"


@dataclass(frozen=True, kw_only=True)
class Step:
    ACTION: ClassVar[str]
    # The API's status code when it accepts the step's request; None for a step
    # that is not an API request (an operator restarting a service).
    SUCCESS_STATUS: ClassVar[int | None] = 202
    # JSON schema of the step's own keys; "action", "as" and "expect" are every step's.
    PROPERTIES: ClassVar[dict[str, Any]] = {}
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    # Whether the step makes a migration record, acts on the newest one, or neither.
    MIGRATION: ClassVar[Literal["creates", "acts-on"] | None] = None
    # Whether it acts on servers (and so may expect server and request_spec values).
    ACTS_ON_SERVERS: ClassVar[bool] = True
    # Whether Nova may ask the scheduler for a host for an existing server on this
    # action: a path bug #1718455 and its family reach, that the gate must cover.
    ASKS_SCHEDULER: ClassVar[bool] = False

    index: int
    expect: Expect
    actor: Actor = "admin"

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The "then" of this action's branch in the scenario schema."""
        return {
            "required": list(cls.REQUIRED),
            "additionalProperties": False,
            "properties": {"action": True, **cls.PROPERTIES,
                           "as": {"$ref": "#/$defs/actor"},
                           "expect": {"$ref": "#/$defs/expect"}},
        }

    def references(self, names: Names) -> Iterator[Reference]:
        """Problems with what the step's keys name; may record what it creates."""
        return iter(())

    def expectation_refs(self) -> set[str]:
        """The host references (``@...``) its expectations may use."""
        return set()

    def acted_on(self) -> int:
        """How many servers the step acts on."""
        return 1 if self.ACTS_ON_SERVERS else 0

    def may_act_on(self) -> range:
        """How many servers the step may end up acting on."""
        return range(self.acted_on(), self.acted_on() + 1)

    def named_hosts(self) -> set[str]:
        """Hosts the step's own keys name."""
        return set()

    def flavor_after(self, server: int, flavor: str | None) -> str | None:
        """The flavor a move this step begins takes ``server``, now of ``flavor``, to."""
        return flavor

    def describe(self) -> str:
        raise NotImplementedError

    def describe_outcome(self, result: StepOutcome) -> str:
        """The step as it ran, with its host references resolved."""
        return self.describe()

    def explain(self, result: StepOutcome) -> list[str]:
        """What the step's own outcome says went wrong, whatever the backend."""
        return []

    def run(self, runner: StepRunner) -> StepOutcome:
        """Send the step's request (``runner.request``), wait for it to settle
        (``runner.wait``) and report what it did. The runner reads each thing once
        between changes to the cloud: a step that changes it other than by a request
        calls ``runner.changed()``."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class ServerActionStep(Step):
    """A ``POST /servers/{id}/action``: send the action, wait until the server has no
    task in progress and its migration rests, then observe what it led to."""

    # The action os-instance-actions records, where an asynchronous failure shows.
    INSTANCE_ACTION: ClassVar[str]
    MIGRATION = "creates"

    server: int
    microversion: str | None = None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = super().json_schema()
        schema["required"] = ["server", *schema["required"]]
        # The subclass's own keys win: an action may narrow the microversions.
        schema["properties"] = {"server": SERVER_INDEX, "microversion": MICROVERSION,
                                **schema["properties"]}
        return schema

    def references(self, names: Names) -> Iterator[Reference]:
        yield from names.server(self.server)
        yield from names.host("host", self.target_ref())

    def target_ref(self) -> str | None:
        """The host the step asks for, as written (a name or @other); None if none."""
        return None

    def expectation_refs(self) -> set[str]:
        refs = {"@source", "@not-source", "@other"}
        return refs | {"@target"} if self.target_ref() else refs

    def named_hosts(self) -> set[str]:
        host = self.target_ref()
        return {host} if host and not host.startswith("@") else set()

    def describe_outcome(self, result: StepOutcome) -> str:
        text = self.describe()
        host = self.target_ref()
        if host and host.startswith("@"):
            text += f" ({result.refs.get('@target')})"
        return text

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        """The action's request body, with the target host resolved."""
        raise NotImplementedError

    def run(self, runner: StepRunner) -> StepOutcome:
        if not runner.created(self.server):
            return StepOutcome(step=self, api_status=None, api_message=never_created(self.server))
        server_id = runner.server_id(self.server)
        source = runner.last_host(self.server)
        ref = self.target_ref()
        target = runner.resolve_host(ref, source) if ref else None
        before = {m["uuid"] for m in runner.migrations(server_id)}
        known_actions = runner.action_ids(server_id)
        status, message, _ = runner.request(
            self, lambda api: api.post_server_action(server_id, self.body(runner, target)),
            self.microversion)
        settled = True
        if message is None:
            _, settled = runner.wait(
                lambda: self._settled(runner, server_id, before, known_actions))
        migration = self._migration(runner, server_id, before)
        actions = runner.new_actions(server_id, known_actions)
        # Refused before any action was recorded, nothing failed but the request;
        # a request answered with an error after its action was recorded (a call to
        # the conductor) failed where the action's events say.
        error_class, error_message = (
            runner.action_error(server_id, self.INSTANCE_ACTION)
            if any(a.action == self.INSTANCE_ACTION for a in actions) else (None, None))
        return StepOutcome(
            step=self, api_status=status, api_message=message,
            error_class=error_class, error_message=error_message,
            servers=(runner.server_state(self.server),),
            migration=None if migration is None else runner.migration_state(migration),
            request_specs={self.server: runner.cloud.request_spec(server_id)},
            actions=actions,
            refs={"@source": source, "@target": target,
                  "@other": runner.other_host(source)}, settled=settled)

    def _migration(self, runner: StepRunner, server_id: str, before: set[str]
                   ) -> dict[str, Any] | None:
        """The migration this step made or, for one that acts on it, the newest."""
        migrations = runner.migrations(server_id)
        new = [m for m in migrations if m["uuid"] not in before]
        if new or self.MIGRATION == "creates":
            return new[0] if new else None
        return migrations[0] if migrations and self.MIGRATION == "acts-on" else None

    def _settled(self, runner: StepRunner, server_id: str, before: set[str],
                 known_actions: set[str]) -> bool | None:
        server = runner.server(server_id)
        if server["OS-EXT-STS:task_state"] is not None:
            return None
        migration = self._migration(runner, server_id, before)
        if migration is not None and migration["status"] not in MIGRATION_RESTING_STATUSES:
            return None
        # A compute records its event's result after the method that changed the
        # server and migration has returned: wait for it too. (An event started twice,
        # by a retry, keeps one unfinished row: Nova finishes the first of its name.)
        for action in runner.new_actions(server_id, known_actions):
            finished = {name for name, result in action.events if result is not None}
            if any(name not in finished for name, _ in action.events):
                return None
        return True


@dataclass(frozen=True, kw_only=True)
class MoveStep(ServerActionStep):
    """A move that may name the host to go to; without one the scheduler picks."""

    ASKS_SCHEDULER: ClassVar[bool] = True
    # How the step describes itself: "<VERB> server N to <host>".
    VERB: ClassVar[str]

    host: str | None = None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = super().json_schema()
        schema["properties"] = {"host": HOST_REF, **schema["properties"]}
        return schema

    def target_ref(self) -> str | None:
        return self.host

    def forced(self) -> bool:
        """Whether the host is forced (the scheduler bypassed)."""
        return False

    def reads_host(self) -> bool:
        """Whether the API reads a named host at the step's microversion (some older
        ones ignore it)."""
        return True

    def explain(self, result: StepOutcome) -> list[str]:
        target = result.refs.get("@target")
        landed = result.servers[0].host if result.servers else None
        if (target is None or self.forced() or not self.reads_host()
                or result.error_class is not None
                or (result.api_status or 0) >= 400 or landed in (None, target)):
            return []
        return [f"The step asked for {target} but the server went to {landed}: the "
                "scheduler was not limited to the requested host, so "
                "RequestSpec.requested_destination did not reach it (cleared in memory by "
                "a save before scheduling, bug #1815153, or dropped on its way, bug "
                "#1702454)."]

    def describe(self) -> str:
        target = f"to {self.host}" if self.host else "(scheduler picks the host)"
        if self.forced():
            target += " forced"
        elif self.host and not self.reads_host():
            target += f" (not read at {self.microversion})"
        return f"{self.VERB} server {self.server} {target}"


@dataclass(frozen=True, kw_only=True)
class ForceableMoveStep(MoveStep):
    """A move whose named host may be forced: always before FORCE_FROM, with "force"
    from it to 2.67, never from 2.68."""

    FORCE_FROM: ClassVar[tuple[int, int]]

    force: bool = False

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = super().json_schema()
        since = "{}.{}".format(*cls.FORCE_FROM)
        schema["properties"]["force"] = {
            "description": f"bypass the scheduler for the host ({since} to 2.67); "
                           f"before {since} a host is always forced",
            "type": "boolean"}
        return schema

    @classmethod
    def takes_force(cls, microversion: str | None) -> bool:
        """Whether the request body takes "force" at ``microversion``."""
        return at_least(microversion, cls.FORCE_FROM) and not at_least(microversion, (2, 68))

    def forced(self) -> bool:
        return self.force or (self.host is not None
                              and not at_least(self.microversion, self.FORCE_FROM))


def host_matches(ref: str | tuple[str, ...], host: str | None,
                 refs: dict[str, str | None]) -> bool:
    """Whether an expectation's host (a name, a reference or "none"; "!" and one of
    those: not it; a tuple: any one of them) matches ``host``."""
    if isinstance(ref, tuple):
        return any(host_matches(one, host, refs) for one in ref)
    if ref.startswith("!"):
        return host is not None and not host_matches(ref[1:], host, refs)
    if ref == NO_HOST:
        return host is None
    if ref == "@not-source":
        return host is not None and host != refs.get("@source")
    return host == refs.get(ref, ref)
