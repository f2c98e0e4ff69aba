"""The fake cloud's data model, shaped and named as nova.objects.

Persistent objects track which fields changed since they were last created,
loaded or saved, the way Nova's versioned objects do: ``save()`` writes only
when something changed, and code can ``obj_reset_changes()`` a field it set
for its own use so that it is not written. Together with the per-request fields
RequestSpec resets before writing (as ``RequestSpec._get_update_primitives``
does) this
gives the same "what the API persisted is what a later move reads back"
behaviour that bug #1718455 depends on.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from harness.cloud import exception

if TYPE_CHECKING:
    from harness.cloud.db import Database


class NovaObject:
    """Base class: change tracking and conversion to and from primitives."""

    # Fields holding another object, so that loading rebuilds them.
    NESTED: ClassVar[dict[str, type]] = {}
    # Names a class attribute handles when set (a property): set through it, so that
    # one without a setter still refuses. Every other name is the instance's own.
    _SET_THROUGH_CLASS: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._SET_THROUGH_CLASS = frozenset(
            name for klass in cls.__mro__ for name, value in vars(klass).items()
            if hasattr(type(value), "__set__"))

    def __setattr__(self, name: str, value: Any) -> None:
        values = self.__dict__
        if name in self._SET_THROUGH_CLASS:
            object.__setattr__(self, name, value)
        else:
            # Where object.__setattr__ would put it too, without first looking the
            # name up along the class's bases (most of a load's and a copy's sets).
            values[name] = value
        if name[0] != "_":
            changed = values.get("_changed_fields")
            if changed is None:
                values["_changed_fields"] = {name}
            else:
                changed.add(name)

    def obj_what_changed(self) -> set[str]:
        """Fields set since the last reset, and fields whose nested object changed."""
        changed = set(self.__dict__.get("_changed_fields", ()))
        for name, value in self.__dict__.items():
            if isinstance(value, NovaObject) and value.obj_what_changed():
                changed.add(name)
        return changed

    def obj_reset_changes(self, fields: list[str] | None = None,
                          recursive: bool = False) -> None:
        changed = self.__dict__.setdefault("_changed_fields", set())
        names = list(self.__dict__) if fields is None else fields
        if fields is None:
            changed.clear()
        else:
            changed.difference_update(fields)
        if recursive:
            for name in names:
                value = self.__dict__.get(name)
                if isinstance(value, NovaObject):
                    value.obj_reset_changes(recursive=True)

    def to_primitive(self) -> dict[str, Any]:
        values = self.__dict__
        primitive = {}
        for name in _field_order(type(self)):
            value = values[name]
            # Most fields are scalars: no call for them (a third of a copy's cost).
            primitive[name] = value if type(value) in SCALAR_TYPES else _to_primitive(value)
        return primitive

    @classmethod
    def from_primitive(cls, primitive: dict[str, Any]) -> Any:
        """The object a primitive describes, with no changes pending.

        The primitive's values are the object's from then on: callers pass one
        of their own (freshly decoded or converted).
        """
        values = primitive
        for name, nested_cls in cls.NESTED.items():
            value = values.get(name)
            if value is not None:
                values[name] = nested_cls.from_primitive(value)
        if values.keys() != _field_names(cls):
            # Defaults to fill in, or an unknown key for __init__ to refuse.
            obj = cls(**values)
            obj.obj_reset_changes()
            return obj
        # Every field given: skip __init__, whose every assignment would be
        # tracked as a change only to be reset (most of a load's cost).
        obj = cls.__new__(cls)
        obj.__dict__.update(values)
        obj.__dict__["_changed_fields"] = set()
        return obj

    def obj_clone(self) -> Any:
        return type(self).from_primitive(self.to_primitive())

    def __bus_copy__(self) -> Any:
        """What a service receives over RPC: its own object with the sender's pending
        changes, so it can save them, but nothing it does in memory leaks back."""
        clone = self.obj_clone()
        clone.__dict__["_changed_fields"] = self.obj_what_changed()
        clone._db = getattr(self, "_db", None)
        return clone


@functools.cache
def _field_order(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(_field_order(cls))


# Values that are their own primitive and never change in place.
SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def _to_primitive(value: Any) -> Any:
    if type(value) in SCALAR_TYPES:
        return value
    if isinstance(value, NovaObject):
        return value.to_primitive()
    if isinstance(value, list):
        return [_to_primitive(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_primitive(v) for k, v in value.items()}
    return value


class PersistentObject(NovaObject):
    """An object with a table in the fake database."""

    TABLE: ClassVar[str]
    KEY: ClassVar[str] = "uuid"
    # Whether save() rewrites every field rather than only the changed ones.
    SAVE_WHOLE: ClassVar[bool] = False

    _db: Database | None = None

    def __trace__(self) -> str:
        return str(self.db_key)[:8]

    @property
    def db_key(self) -> Any:
        return getattr(self, self.KEY)

    def create(self, db: Database) -> None:
        db.create(self)

    def save(self) -> None:
        if self._db is None:
            raise exception.NovaException(f"{type(self).__name__} was never created or loaded")
        self._db.save(self)

    def destroy(self) -> None:
        if self._db is None:
            raise exception.NovaException(f"{type(self).__name__} was never created or loaded")
        self._db.delete(self)

    def to_db_primitive(self) -> dict[str, Any]:
        return self.to_primitive()


@dataclass
class Flavor(PersistentObject):
    TABLE = "flavors"
    KEY = "flavorid"

    flavorid: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int = 0
    swap: int = 0
    id: int | None = None
    extra_specs: dict[str, str] = field(default_factory=dict)


@dataclass
class Destination(NovaObject):
    """RequestSpec.requested_destination: a host (and node) to check only."""

    host: str | None = None
    node: str | None = None
    cell: str | None = None


@dataclass
class SchedulerRetries(NovaObject):
    num_attempts: int = 0
    hosts: list[list[str]] = field(default_factory=list)


@dataclass
class InstanceGroup(PersistentObject):
    """A server group (os-server-groups): its policy, rules and member servers. In a
    RequestSpec it is a copy whose ``hosts`` and ``members`` the conductor fills in
    for each request (setup_instance_group) and which are never persisted there."""

    TABLE = "instance_groups"

    uuid: str
    name: str | None = None
    policy: str | None = None
    # {"max_server_per_host": N} for anti-affinity, from microversion 2.64.
    rules: dict[str, int] = field(default_factory=dict)
    members: list[str] | None = None
    hosts: list[str] | None = None
    project_id: str | None = None
    user_id: str | None = None

    def to_db_primitive(self) -> dict[str, Any]:
        # The hosts are the members' hosts: computed, never stored.
        return {**self.to_primitive(), "hosts": None}

    @classmethod
    def get_by_uuid(cls, db: Database, uuid: str) -> InstanceGroup:
        try:
            return db.get(cls, uuid)
        except exception.ObjectNotFound:
            raise exception.InstanceGroupNotFound(group_uuid=uuid) from None

    @classmethod
    def get_by_instance_uuid(cls, db: Database, instance_uuid: str) -> InstanceGroup:
        for group in db.query(cls):
            if instance_uuid in (group.members or ()):
                return group
        raise exception.InstanceGroupNotFound(group_uuid=instance_uuid)

    def get_hosts(self, db: Database, exclude: list[str] | None = None) -> list[str]:
        """The hosts the group's members that still exist are on (each once)."""
        hosts: list[str] = []
        for uuid in self.members or ():
            if uuid in (exclude or ()) or not db.query(Instance, uuid=uuid):
                continue
            host = Instance.get_by_uuid(db, uuid).host
            if host is not None and host not in hosts:
                hosts.append(host)
        return hosts


@dataclass
class RequestSpec(PersistentObject):
    """What the scheduler needs to place an instance; persisted per instance."""

    TABLE = "request_specs"
    KEY = "instance_uuid"
    # The spec is one serialized column: any change rewrites all of it.
    SAVE_WHOLE = True
    NESTED: ClassVar[dict[str, type]] = {
        "flavor": Flavor,
        "requested_destination": Destination,
        "retry": SchedulerRetries,
        "instance_group": InstanceGroup,
    }

    instance_uuid: str
    flavor: Flavor
    num_instances: int = 1
    image: dict[str, Any] = field(default_factory=dict)
    project_id: str | None = None
    user_id: str | None = None
    availability_zone: str | None = None
    ignore_hosts: list[str] | None = None
    force_hosts: list[str] | None = None
    force_nodes: list[str] | None = None
    requested_destination: Destination | None = None
    scheduler_hints: dict[str, list[str]] = field(default_factory=dict)
    instance_group: InstanceGroup | None = None
    retry: SchedulerRetries | None = None
    limits: dict[str, Any] | None = None

    def to_db_primitive(self) -> dict[str, Any]:
        """nova.objects.RequestSpec._get_update_primitives: what is written is a copy
        with the per-request fields cleared; the spec in memory keeps them for the
        rest of its request."""
        spec = self.obj_clone()
        # Don't persist these since they are per-request.
        for excluded in ("retry", "requested_destination", "ignore_hosts"):
            setattr(spec, excluded, None)
        # Don't persist the could-be-large and could-be-stale group data.
        if spec.instance_group is not None:
            spec.instance_group.members = None
            spec.instance_group.hosts = None
        return spec.to_primitive()

    def __trace__(self) -> str:
        parts = [f"num_instances={self.num_instances}"]
        if self.ignore_hosts:
            parts.append(f"ignore_hosts={self.ignore_hosts}")
        if self.requested_destination is not None and self.requested_destination.host:
            parts.append(f"requested_destination={self.requested_destination.host}")
        if self.force_hosts:
            parts.append(f"force_hosts={self.force_hosts}")
        return f"RequestSpec({', '.join(parts)})"

    def reset_forced_destinations(self) -> None:
        """Clear forced hosts/nodes for this request without persisting it."""
        self.force_hosts = None
        self.force_nodes = None
        self.obj_reset_changes(["force_hosts", "force_nodes"])

    @classmethod
    def get_by_instance_uuid(cls, db: Database, instance_uuid: str) -> RequestSpec:
        try:
            spec = db.get(cls, instance_uuid)
        except exception.ObjectNotFound:
            raise exception.RequestSpecNotFound(instance_uuid=instance_uuid) from None
        spec.refresh_instance_group(db)
        return spec

    def refresh_instance_group(self, db: Database) -> None:
        """RequestSpec._from_db_object: the persisted group would be stale, so it is
        loaded again by its uuid; a group deleted since takes its hint with it."""
        if self.instance_group is None:
            return
        try:
            self.instance_group = InstanceGroup.get_by_uuid(db, self.instance_group.uuid)
        except exception.InstanceGroupNotFound:
            self.instance_group = None
            self.scheduler_hints.pop("group", None)


@dataclass
class Instance(PersistentObject):
    TABLE = "instances"
    NESTED: ClassVar[dict[str, type]] = {"flavor": Flavor, "old_flavor": Flavor,
                                         "new_flavor": Flavor}

    uuid: str
    display_name: str
    flavor: Flavor
    project_id: str
    user_id: str
    reservation_id: str
    launch_index: int = 0
    image_ref: str = ""
    host: str | None = None
    node: str | None = None
    vm_state: str = "building"
    task_state: str | None = "scheduling"
    power_state: int = 0
    availability_zone: str | None = None
    fault: dict[str, Any] | None = None
    # During a resize or cold migration: the flavors before and after it.
    old_flavor: Flavor | None = None
    new_flavor: Flavor | None = None
    # Where a shelved server's snapshot is and which host it was shelved on
    # (Nova keeps these in system_metadata).
    shelved_image_id: str | None = None
    shelved_host: str | None = None
    # The vm_state a resize or cold migration began from (system_metadata's
    # old_vm_state): a stopped server is moved without being powered on.
    old_vm_state: str | None = None
    # system_metadata's image_min_disk (GiB): the image's min_disk, raised to the root
    # disk of the flavor the server was booted or last rebuilt with. A resize may not
    # go below it; a resize itself does not change it.
    image_min_disk: int = 0

    def save(self, expected_task_state: list[str | None] | None = None) -> None:
        """Save, refusing if the stored task_state is not an expected one."""
        if expected_task_state is not None and self._db is not None:
            stored = self._db.get(Instance, self.uuid)
            if stored.task_state not in expected_task_state:
                raise exception.UnexpectedTaskStateError(
                    expected=expected_task_state, actual=stored.task_state
                )
        super().save()

    @classmethod
    def get_by_uuid(cls, db: Database, uuid: str) -> Instance:
        try:
            return db.get(cls, uuid)
        except exception.ObjectNotFound:
            raise exception.InstanceNotFound(instance_id=uuid) from None

    def destroy(self) -> None:
        """db.instance_destroy: the server's migrations go with it (its instance actions
        and its RequestSpec stay, as Nova keeps them until rows are archived)."""
        if self._db is not None:
            for migration in self._db.query(Migration, instance_uuid=self.uuid):
                migration.destroy()
        super().destroy()


# Statuses a migration never leaves.
MIGRATION_TERMINAL_STATUSES = ("completed", "error", "failed", "cancelled", "confirmed",
                               "reverted")
# Statuses of a migration no longer in progress on its hosts
# (migration_get_in_progress_by_host_and_node): the terminal ones and an evacuation
# whose source host has not cleaned up yet ("done").
MIGRATION_OVER_STATUSES = (*MIGRATION_TERMINAL_STATUSES, "done")
# Statuses a migration rests in while no service works on it: those, and a resize
# or cold migration waiting to be confirmed or reverted ("finished"), which is still
# in progress on its hosts.
MIGRATION_RESTING_STATUSES = (*MIGRATION_OVER_STATUSES, "finished")


@dataclass
class Migration(PersistentObject):
    TABLE = "migrations"
    KEY = "id"

    uuid: str
    instance_uuid: str
    migration_type: str
    status: str
    source_compute: str | None = None
    dest_compute: str | None = None
    source_node: str | None = None
    dest_node: str | None = None
    old_instance_type_id: int | None = None
    new_instance_type_id: int | None = None
    project_id: str | None = None
    user_id: str | None = None
    id: int | None = None


@dataclass
class Service(PersistentObject):
    TABLE = "services"
    KEY = "host"

    host: str
    uuid: str
    binary: str = "nova-compute"
    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False
    id: int | None = None

    @property
    def is_up(self) -> bool:
        # The servicegroup driver reports a service down when it misses its
        # heartbeats; the fake cloud models that as forced_down.
        return not self.forced_down


# Every service of the fake cloud runs Nova 34's code (nova/objects/service.py).
SERVICE_VERSION = 74


def get_minimum_version_all_cells(db: Database, binary: str) -> int:
    """objects.service.get_minimum_version_all_cells: the lowest version of the
    binary's services, leaving out those forced down (the database query does), and 0
    when none is left. Every service here has SERVICE_VERSION, so it is 0 exactly when
    every one is forced down: API checks for a finished upgrade then refuse."""
    return SERVICE_VERSION if any(
        not service.forced_down for service in db.query(Service, binary=binary)) else 0


@dataclass
class ComputeNode(PersistentObject):
    TABLE = "compute_nodes"
    KEY = "hypervisor_hostname"

    uuid: str
    host: str
    hypervisor_hostname: str
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int = 0
    memory_mb_used: int = 0
    local_gb_used: int = 0
    # What the record says, which the CPU weigher and a forced live migration's memory
    # check read: a new compute node takes nova.conf's initial_*_allocation_ratio,
    # whatever the ratios of its provider's inventory, and keeps them while
    # [DEFAULT] *_allocation_ratio is unset (as the harness leaves it).
    cpu_allocation_ratio: float = 4.0
    ram_allocation_ratio: float = 1.0
    disk_allocation_ratio: float = 1.0
    hypervisor_type: str = "fake"
    hypervisor_version: int = 1000
    # What the driver reports as really free on disk: nova.virt.fake reports 0.
    disk_available_least: int = 0
    # ComputeNode.stats as the resource tracker last wrote them: its instances, and
    # how many of them were building or in an I/O-heavy task ("io_workload").
    num_instances: int = 0
    io_workload: int = 0
    id: int | None = None

    @property
    def free_ram_mb(self) -> int:
        return self.memory_mb - self.memory_mb_used

    @property
    def free_disk_gb(self) -> int:
        return self.local_gb - self.local_gb_used


@dataclass
class InstanceAction(PersistentObject):
    """One API request on an instance."""

    TABLE = "instance_actions"
    KEY = "id"

    action: str
    instance_uuid: str
    request_id: str
    user_id: str | None = None
    project_id: str | None = None
    id: int | None = None


@dataclass
class InstanceActionEvent(PersistentObject):
    """A step a service ran for an action: its own row, as in Nova's
    instance_actions_events table, so recording one never rewrites the others."""

    TABLE = "instance_actions_events"
    KEY = "id"

    action_id: int
    event: str
    result: str | None = None
    details: str | None = None
    traceback: str | None = None
    host: str | None = None
    id: int | None = None


@dataclass
class Selection(NovaObject):
    """One host chosen (or offered as alternate) by the scheduler."""

    service_host: str
    nodename: str
    compute_node_uuid: str
    cell_uuid: str | None = None
    limits: dict[str, Any] | None = None
    allocation_request: dict[str, Any] | None = None
    allocation_request_version: str | None = None

    def __trace__(self) -> str:
        return self.service_host if self.service_host == self.nodename else (
            f"{self.service_host}/{self.nodename}")

    @classmethod
    def from_host_state(
        cls,
        host_state: Any,
        allocation_request: dict[str, Any] | None = None,
        allocation_request_version: str | None = None,
    ) -> Selection:
        return cls(
            service_host=host_state.host,
            nodename=host_state.nodename,
            compute_node_uuid=host_state.uuid,
            cell_uuid=host_state.cell_uuid,
            limits=dict(host_state.limits),
            allocation_request=allocation_request,
            allocation_request_version=allocation_request_version,
        )
