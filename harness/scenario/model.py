"""Scenarios as loaded: immutable values, independent of any backend.

A scenario names a cloud (hosts with their sizes, flavors), a list of steps
done through the compute API, and what each step must lead to. Host
references in steps and expectations are resolved when the step runs:

- ``@other``: the only host that is not the server's current host;
- ``@source``: the server's host before the step;
- ``@target``: the host the step asked for;
- ``@not-source``: any host but the source (expectations only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from harness.cloud.virt import NodeResources

# A host's size and ratios default to the fake driver's, which follow nova.conf.
_DEFAULT = NodeResources()


@dataclass(frozen=True)
class HostDef:
    name: str
    vcpus: int = _DEFAULT.vcpus
    memory_mb: int = _DEFAULT.memory_mb
    disk_gb: int = _DEFAULT.local_gb
    reserved_host_memory_mb: int = _DEFAULT.reserved_host_memory_mb
    cpu_allocation_ratio: float = _DEFAULT.cpu_allocation_ratio
    ram_allocation_ratio: float = _DEFAULT.ram_allocation_ratio
    disk_allocation_ratio: float = _DEFAULT.disk_allocation_ratio


@dataclass(frozen=True)
class FlavorDef:
    name: str
    vcpus: int
    memory_mb: int
    disk_gb: int


@dataclass(frozen=True)
class CloudDef:
    hosts: tuple[HostDef, ...]
    flavors: tuple[FlavorDef, ...]

    def flavor(self, name: str) -> FlavorDef:
        return next(f for f in self.flavors if f.name == name)


@dataclass(frozen=True)
class ServerExpect:
    status: str | None = None
    host: str | None = None


@dataclass(frozen=True)
class MigrationExpect:
    status: str | None = None
    type: str | None = None
    source: str | None = None
    dest: str | None = None


@dataclass(frozen=True)
class Expect:
    """What a step must lead to. An absent field is not checked, except ``error``
    (no error unless one is named) and ``allocations`` (consistent unless
    "unchecked"), so a step with no expectations still fails on any error."""

    api_status: int | None = None
    error: str = "none"
    server: ServerExpect | None = None
    # None: not checked; False: the step must not create a migration.
    migration: MigrationExpect | Literal[False] | None = None
    num_instances: int | None = None
    allocations: str = "consistent"


Actor = Literal["admin", "user"]


@dataclass(frozen=True)
class Step:
    index: int
    expect: Expect
    actor: Actor

    # The API's status code when it accepts the step's request.
    SUCCESS_STATUS: ClassVar[int] = 202

    @property
    def action(self) -> str:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class CreateStep(Step):
    flavor: str
    count: int = 1
    name: str = "server"
    # "zone" or "zone:host": the API's way to force a host (admin only).
    availability_zone: str | None = None

    @property
    def action(self) -> str:
        return "create"

    def describe(self) -> str:
        return f"create {self.count} x {self.flavor} in one request"


@dataclass(frozen=True)
class LiveMigrateStep(Step):
    server: int
    host: str | None = None
    block_migration: bool | str = "auto"
    force: bool = False
    # The API microversion of the request; the client's default ("latest") if None.
    microversion: str | None = None

    @property
    def action(self) -> str:
        return "live-migrate"

    def describe(self) -> str:
        target = f"to {self.host}" if self.host else "(scheduler picks the host)"
        forced = " forced" if self.force else ""
        return f"live-migrate server {self.server} {target}{forced}"


@dataclass(frozen=True)
class SetServiceStep(Step):
    SUCCESS_STATUS: ClassVar[int] = 200

    host: str
    disabled: bool | None = None
    forced_down: bool | None = None

    @property
    def action(self) -> str:
        return "set-service"

    def describe(self) -> str:
        changes = [f"{k}={v}" for k, v in (("disabled", self.disabled),
                                             ("forced_down", self.forced_down)) if v is not None]
        return f"set compute service on {self.host}: {', '.join(changes)}"


@dataclass(frozen=True)
class Scenario:
    id: str
    path: Path
    title: str
    cloud: CloudDef
    steps: tuple[Step, ...]
    description: str = ""
    bugs: tuple[str, ...] = field(default_factory=tuple)
