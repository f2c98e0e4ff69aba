"""Steps on the servers themselves and their groups: create (one request, ``count``
servers), delete, and create or delete a server group."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.outcome import StepOutcome
from harness.scenario.steps.base import (
    MICROVERSION,
    SERVER_INDEX,
    Names,
    Reference,
    Step,
    never_created,
)

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner

NAME: dict[str, Any] = {"$ref": "#/$defs/name"}


# Nova sets no maximum (the quota does); the harness refuses a batch it could not run
# in a gate's time rather than exhaust the machine.
MAX_COUNT = 1000


@dataclass(frozen=True, kw_only=True)
class CreateStep(Step):
    ACTION: ClassVar[str] = "create"
    REQUIRED = ("flavor",)
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "flavor": NAME,
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
        "min_count": {"description": "the fewest servers the request accepts (default: "
                                     "count); a quota may clamp the batch down to it",
                      "type": "integer", "minimum": 1, "maximum": MAX_COUNT},
        "name": NAME,
        "availability_zone": {
            "description": "zone, or zone:host to force the host (admin only), as the API "
                           "takes it",
            "type": "string",
            "pattern": "^[A-Za-z0-9._-]*(:[A-Za-z0-9._-]+)?$",
        },
        "group": {"description": "a server group made by a create-server-group step",
                  "$ref": "#/$defs/name"},
    }

    flavor: str
    count: int = 1
    min_count: int | None = None
    name: str = "server"
    # "zone" or "zone:host": the API's way to force a host (admin only).
    availability_zone: str | None = None
    # The server group to put the servers in (the scheduler hint "group").
    group: str | None = None

    def references(self, names: Names) -> Iterator[Reference]:
        yield from names.flavor("flavor", self.flavor)
        if self.group is not None:
            yield from names.group("group", self.group)
        if self.min_count is not None and self.min_count > self.count:
            yield ("min_count",), f"expected at most count ({self.count})"
        names.servers += self.count

    def acted_on(self) -> int:
        return self.count

    def may_act_on(self) -> range:
        return range(self.min_count or self.count, self.count + 1)

    def describe(self) -> str:
        group = f" in group {self.group}" if self.group else ""
        return f"create {self.count} x {self.flavor} in one request{group}"

    def describe_outcome(self, result: StepOutcome) -> str:
        text = self.describe()
        if result.servers:
            text += ": " + ", ".join(f"server {s.index} on {s.host}" for s in result.servers)
        return text

    def explain(self, result: StepOutcome) -> list[str]:
        if self.group is None or result.api_status != 500:
            return []
        # Nova's API saves each server's RequestSpec, then counts the group's members
        # for the server_group_members quota through the group that spec holds.
        return [f"A create into server group {self.group} crashed the API: after saving "
                "a server's RequestSpec Nova found the group it holds without members "
                "(RequestSpec.instance_group.members = None), the signature of a save "
                "that clears per-request fields in the request's own spec instead of "
                "in a copy (bug #1815153)."]

    def run(self, runner: StepRunner) -> StepOutcome:
        body = {"server": {
            "name": self.name, "flavorRef": runner.flavor_ids[self.flavor],
            "imageRef": runner.cloud.image_ref, "networks": "none",
            "min_count": str(self.min_count or self.count), "max_count": str(self.count),
            "return_reservation_id": "True",
        }}
        if self.availability_zone is not None:
            body["server"]["availability_zone"] = self.availability_zone
        if self.group is not None:
            if self.group not in runner.group_ids:
                runner.add_servers((), self.count)
                return StepOutcome(step=self, api_status=None,
                                   api_message=_never_created(self.group))
            body["os:scheduler_hints"] = {"group": runner.group_ids[self.group]}
        status, message, response = runner.request(self, lambda api: api.post_server(body))
        if response is None:
            runner.add_servers((), self.count)
            return StepOutcome(step=self, api_status=status, api_message=message)
        reservation_id = response["reservation_id"]

        def servers() -> list[dict[str, Any]]:
            # all_tenants: the step may have been sent by another project's member.
            return runner.cloud.admin_api.get_servers(
                detail=True, search_opts={"reservation_id": reservation_id,
                                          "all_tenants": "1"})

        def built() -> list[dict[str, Any]] | None:
            found = servers()
            # The API made every server of the request before it answered.
            if not found or any(s["status"] == "BUILD" for s in found):
                return None
            # A failed build is saved in ERROR before its fault is written
            # (scheduler_utils.set_vm_state_and_notify): wait for both. Read each
            # from its own cell: before nova 33 a listing shows no fault of a
            # server buried in cell0 (InstanceList.fill_faults read one cell).
            found = [runner.server(s["id"]) if s["status"] == "ERROR"
                     else s for s in found]
            return found if all(s["status"] != "ERROR" or s.get("fault")
                                 for s in found) else None

        found, settled = runner.wait(built)
        if found is None:
            found = servers()
        indexes = runner.add_servers(
            (s["id"] for s in sorted(found, key=lambda s: s["OS-EXT-SRV-ATTR:launch_index"])),
            self.count)
        if self.group is not None:
            runner.groups.joined(self.group, indexes)
        error_class, error_message = runner.fault_error(found)
        return StepOutcome(
            step=self, api_status=status, error_class=error_class, error_message=error_message,
            servers=tuple(runner.server_state(i) for i in indexes),
            request_specs={i: runner.cloud.request_spec(runner.server_id(i)) for i in indexes},
            actions=tuple(action for i in indexes
                          for action in runner.new_actions(runner.server_id(i), set())),
            settled=settled,
        )


@dataclass(frozen=True, kw_only=True)
class DeleteStep(Step):
    """DELETE /servers/{id}: the server goes, with its allocations (a resize waiting
    for its confirmation is confirmed first). Later steps may not name it, except to
    name the host it was on."""

    ACTION: ClassVar[str] = "delete"
    SUCCESS_STATUS: ClassVar[int | None] = 204
    # What it acts on is gone: nothing of it to expect.
    ACTS_ON_SERVERS: ClassVar[bool] = False
    REQUIRED = ("server",)
    PROPERTIES: ClassVar[dict[str, Any]] = {"server": SERVER_INDEX}

    server: int

    def references(self, names: Names) -> Iterator[Reference]:
        yield from names.server(self.server)
        names.deleted[self.server] = self.index + 1

    def describe(self) -> str:
        return f"delete server {self.server}"

    def run(self, runner: StepRunner) -> StepOutcome:
        if not runner.created(self.server):
            return StepOutcome(step=self, api_status=None, api_message=never_created(self.server))
        server_id = runner.server_id(self.server)
        status, message, _ = runner.request(self, lambda api: api.delete_server(server_id))
        settled = True
        if message is None:
            _, settled = runner.wait(lambda: runner.gone(self.server))
        return StepOutcome(step=self, api_status=status, api_message=message, settled=settled)


@dataclass(frozen=True, kw_only=True)
class CreateServerGroupStep(Step):
    """POST /os-server-groups: a server group that create steps name by ``name``."""

    ACTION: ClassVar[str] = "create-server-group"
    SUCCESS_STATUS: ClassVar[int | None] = 200
    ACTS_ON_SERVERS: ClassVar[bool] = False
    REQUIRED = ("name", "policy")
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "name": NAME,
        "policy": {"enum": ["anti-affinity", "affinity", "soft-anti-affinity",
                            "soft-affinity"]},
        "max_server_per_host": {"description": "anti-affinity's rule, from 2.64",
                                "type": "integer", "minimum": 1},
        "microversion": MICROVERSION,
    }

    name: str
    policy: str
    max_server_per_host: int | None = None
    microversion: str | None = None

    def references(self, names: Names) -> Iterator[Reference]:
        if self.name in names.groups:
            yield ("name",), f"a server group named {self.name!r} exists already"
        names.groups.append(self.name)

    def describe(self) -> str:
        rule = (f", at most {self.max_server_per_host} per host"
                if self.max_server_per_host else "")
        return f"create server group {self.name} ({self.policy}{rule})"

    def run(self, runner: StepRunner) -> StepOutcome:
        group: dict[str, Any] = {"name": self.name}
        version = self.microversion or runner.cloud.admin_api.microversion
        if version == "latest" or tuple(map(int, version.split("."))) >= (2, 64):
            group["policy"] = self.policy
        else:
            group["policies"] = [self.policy]
        # Sent at any version: before 2.64 the API refuses it, as it should.
        if self.max_server_per_host is not None:
            group["rules"] = {"max_server_per_host": self.max_server_per_host}
        status, message, response = runner.request(
            self, lambda api: api.post_server_groups(group), self.microversion)
        if response is not None:
            runner.group_ids[self.name] = response["id"]
            runner.groups.created(self.name, self.policy, self.max_server_per_host)
        return StepOutcome(step=self, api_status=status, api_message=message)


@dataclass(frozen=True, kw_only=True)
class DeleteServerGroupStep(Step):
    """DELETE /os-server-groups/{id}: the group goes, its servers stay where they are,
    and the RequestSpecs persisted for them still carry its ``group`` hint."""

    ACTION: ClassVar[str] = "delete-server-group"
    SUCCESS_STATUS: ClassVar[int | None] = 204
    ACTS_ON_SERVERS: ClassVar[bool] = False
    REQUIRED = ("name",)
    PROPERTIES: ClassVar[dict[str, Any]] = {"name": NAME}

    name: str

    def references(self, names: Names) -> Iterator[Reference]:
        yield from names.group("name", self.name)

    def describe(self) -> str:
        return f"delete server group {self.name}"

    def run(self, runner: StepRunner) -> StepOutcome:
        group_id = runner.group_ids.get(self.name)
        if group_id is None:
            return StepOutcome(step=self, api_status=None, api_message=_never_created(self.name))
        status, message, _ = runner.request(
            self, lambda api: api.delete_server_group(group_id))
        if message is None:
            runner.groups.deleted(self.name, self.index + 1)
        return StepOutcome(step=self, api_status=status, api_message=message)


def _never_created(group: str) -> str:
    return f"server group {group} was never created: an earlier step failed"
