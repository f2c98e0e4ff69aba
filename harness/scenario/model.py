"""Scenarios as loaded: immutable values, independent of any backend.

A scenario names a cloud (hosts with their sizes, flavors, the nova.conf
options it sets), a list of steps done through the compute API, and what each
step must lead to. The step types live in ``harness.scenario.steps``, one
class each. Host references in steps and expectations are resolved when the
step runs:

- ``@other``: the only host that is not the server's (current or last) host;
- ``@source``: the server's host before the step (for a shelved-offloaded
  server, the host it was on last);
- ``@target``: the host the step asked for;
- ``@not-source``: any host but the source (expectations only);
- ``none``: no host at all (expectations only: a shelved-offloaded server).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from harness.cloud.virt import NodeResources

if TYPE_CHECKING:
    from harness.scenario.steps.base import Step

# A host's size and ratios default to the fake driver's, which follow nova.conf.
_DEFAULT = NodeResources()

NO_HOST = "none"


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
class ConfigDef:
    """The nova.conf options a scenario may set; both backends honour each one."""

    # [DEFAULT] allow_resize_to_same_host
    allow_resize_to_same_host: bool = False
    # [DEFAULT] shelved_offload_time: 0 offloads at once on shelve, -1 never.
    shelved_offload_time: int = 0
    # [workarounds] disable_group_policy_check_upcall: no late group check on builds.
    disable_group_policy_check_upcall: bool = False
    # [quota] limits the scenario sets; the others keep Nova's defaults.
    quota: Mapping[str, int] = field(default_factory=dict)
    # [scheduler] max_attempts: the selected host and max_attempts - 1 alternates.
    max_attempts: int = 3
    # [filter_scheduler] enabled_filters, when the scenario replaces Nova's default list.
    enabled_filters: tuple[str, ...] | None = None
    # [filter_scheduler] <name>_weight_multiplier options the scenario sets, by option name.
    weight_multipliers: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CloudDef:
    hosts: tuple[HostDef, ...]
    flavors: tuple[FlavorDef, ...]
    config: ConfigDef = field(default_factory=ConfigDef)

    def flavor(self, name: str) -> FlavorDef:
        return next(f for f in self.flavors if f.name == name)


@dataclass(frozen=True)
class ServerExpect:
    status: str | None = None
    # A host name, a host reference, or "none"; "!" and one: any host but that one; a
    # tuple: any one of those.
    host: str | tuple[str, ...] | None = None
    flavor: str | None = None
    vm_state: str | None = None
    # A task state, or "none" for no task in progress.
    task_state: str | None = None


@dataclass(frozen=True)
class MigrationExpect:
    status: str | None = None
    type: str | None = None
    source: str | None = None
    dest: str | None = None


@dataclass(frozen=True)
class RequestSpecExpect:
    """Persisted RequestSpec fields; host lists compare as sets, "none" is no value."""

    num_instances: int | None = None
    flavor: str | None = None
    availability_zone: str | None = None
    force_hosts: tuple[str, ...] | None = None
    ignore_hosts: tuple[str, ...] | None = None
    requested_destination: str | None = None
    retry: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Expect:
    """What a step must lead to. An absent field is not checked, except ``error``
    (no error unless one is named) and ``allocations`` (consistent unless
    "unchecked"), so a step with no expectations still fails on any error."""

    api_status: int | None = None
    error: str = "none"
    server: ServerExpect | None = None
    # One expectation per server the step acts on, in order (a create's batch).
    servers: tuple[ServerExpect, ...] | None = None
    # None: not checked; False: the step must not create a migration.
    migration: MigrationExpect | Literal[False] | None = None
    request_spec: RequestSpecExpect | None = None
    allocations: str = "consistent"
    # Text the error's message (or the API's refusal) must contain.
    error_message: str | None = None
    # host -> resource class -> what placement counts as used on its provider.
    usage: Mapping[str, Mapping[str, int]] | None = None


Actor = Literal["admin", "user", "manager", "reader", "other"]


@dataclass(frozen=True)
class Scenario:
    id: str
    path: Path
    title: str
    cloud: CloudDef
    steps: tuple[Step, ...]
    description: str = ""
    bugs: tuple[str, ...] = field(default_factory=tuple)
    # A bug still present whose buggy outcome the steps expect: the scenario passes
    # while it is there, and fails asking to be flipped once it is fixed.
    expect_bug: str | None = None
