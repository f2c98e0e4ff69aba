"""/servers (nova/api/openstack/compute/servers.py): create, show, list, and the
actions of the servers controller: resize, confirmResize, revertResize, rebuild."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.cloud import exception
from harness.cloud.api import policy, schemas
from harness.cloud.api.compute import API
from harness.cloud.api.openstack import (
    ActionHandler,
    ApiResponse,
    Version,
    as_bool,
    conflict_for_invalid_state,
    filters,
)
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import Flavor, Instance, InstanceGroup

# nova/api/openstack/common.py _STATE_MAP: status by vm_state, then by task_state.
_STATE_MAP: dict[str, dict[str | None, str]] = {
    "active": {"default": "ACTIVE", "migrating": "MIGRATING", "resize_prep": "RESIZE",
               "resize_migrating": "RESIZE", "resize_migrated": "RESIZE",
               "resize_finish": "RESIZE", "rebuilding": "REBUILD",
               "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD"},
    "building": {"default": "BUILD"},
    "stopped": {"default": "SHUTOFF", "resize_prep": "RESIZE",
                "resize_migrating": "RESIZE", "resize_migrated": "RESIZE",
                "resize_finish": "RESIZE", "rebuilding": "REBUILD",
                "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD"},
    "resized": {"default": "VERIFY_RESIZE", "resize_reverting": "REVERT_RESIZE"},
    "paused": {"default": "PAUSED", "migrating": "MIGRATING"},
    "suspended": {"default": "SUSPENDED"},
    "error": {"default": "ERROR", "rebuilding": "REBUILD",
              "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD"},
    "shelved": {"default": "SHELVED"},
    "shelved_offloaded": {"default": "SHELVED_OFFLOADED"},
    "deleted": {"default": "DELETED"},
}


def status_from_state(vm_state: str, task_state: str | None) -> str:
    states = _STATE_MAP.get(vm_state, {"default": "UNKNOWN"})
    return states.get(task_state, states["default"])


# Query parameters GET /servers accepts, and the field each one matches.
SERVER_FILTERS = {"reservation_id": "reservation_id", "host": "host", "name": "display_name"}


_TRUE, _FALSE = ("1", "t", "true", "on", "y", "yes"), ("0", "f", "false", "off", "n", "no")


def _is_all_tenants(value: Any, given: bool) -> bool:
    """common.is_all_tenants: the key given empty, or a value strutils reads strictly."""
    if not value:
        return given
    text = str(value).strip().lower()
    if text not in _TRUE + _FALSE:
        raise exception.Invalid(f"Unrecognized value '{value}', acceptable values are: "
                                f"{', '.join(sorted(_TRUE + _FALSE))}")
    return text in _TRUE


def get_instance(db: Database, context: RequestContext, server_id: str) -> Instance:
    """The server, or 404 also when it belongs to a project the caller cannot see."""
    instance = Instance.get_by_uuid(db, server_id)
    if not policy.check(context, "os_compute_api:servers:show", instance.project_id):
        raise exception.InstanceNotFound(instance_id=server_id)
    return instance


class ServersController:
    def __init__(self, db: Database, compute_api: API) -> None:
        self.db = db
        self.compute_api = compute_api

    def actions(self) -> dict[str, ActionHandler]:
        return {"resize": self._resize, "confirmResize": self._confirm_resize,
                "revertResize": self._revert_resize, "rebuild": self._rebuild,
                "os-stop": self._stop, "os-start": self._start}

    def create(self, context: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        schemas.validate(body, schemas.CREATE_SERVER)
        policy.authorize(context, "os_compute_api:servers:create")
        server = body["server"]
        try:
            flavor = self.db.get(Flavor, str(server["flavorRef"]))
        except exception.ObjectNotFound:
            raise exception.Invalid(f"Flavor {server['flavorRef']} could not be found.") from None
        min_count = int(server.get("min_count", 1))
        max_count = int(server.get("max_count", min_count))
        if max_count < min_count:
            raise exception.Invalid("min_count must be <= max_count")
        zone, _, forced_host = server.get("availability_zone", "").partition(":")
        if zone not in ("", "nova"):
            raise exception.Invalid("The requested availability zone is not available")
        if forced_host:
            policy.authorize(context, "os_compute_api:servers:create:forced_host")
        hints = body.get("os:scheduler_hints", {})
        group = None
        if hints.get("group"):
            group_id = hints["group"][0] if isinstance(hints["group"], list) else hints["group"]
            try:
                group = InstanceGroup.get_by_uuid(self.db, group_id)
            except exception.InstanceGroupNotFound as exc:
                raise exception.Invalid(exc.format_message()) from exc
        try:
            instances, reservation_id = self.compute_api.create(
                context, flavor, server.get("imageRef", ""), server["name"], min_count,
                max_count, {k: v if isinstance(v, list) else [v] for k, v in hints.items()},
                zone or None, forced_host or None, group)
        except exception.OverQuota as exc:
            raise exception.Forbidden(exc.format_message()) from exc
        if as_bool(server.get("return_reservation_id", False)):
            return {"reservation_id": reservation_id}
        return {"server": {"id": instances[0].uuid}}

    def index(self, context: RequestContext, search_opts: dict[str, Any]) -> dict[str, Any]:
        policy.authorize(context, "os_compute_api:servers:detail")
        search_opts = dict(search_opts)
        if _is_all_tenants(search_opts.pop("all_tenants", None), "all_tenants" in search_opts):
            policy.authorize(context, "os_compute_api:servers:detail:get_all_tenants")
            scope = {}
        else:
            # Without all_tenants, even an admin lists its own project's servers.
            scope = {"project_id": context.project_id}
        instances = [i for i in self.db.query(
                         Instance, **filters(search_opts, SERVER_FILTERS), **scope)
                     if policy.check(context, "os_compute_api:servers:detail", i.project_id)]
        # Newest first, as Nova sorts by created_at desc.
        return {"servers": [self.view(context, i) for i in reversed(instances)]}

    def delete(self, context: RequestContext, server_id: str) -> None:
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:servers:delete", instance.project_id)
        self.compute_api.delete(context, instance)

    def show(self, context: RequestContext, server_id: str) -> dict[str, Any]:
        return {"server": self.view(context, get_instance(self.db, context, server_id))}

    def view(self, context: RequestContext, instance: Instance) -> dict[str, Any]:
        flavor = instance.flavor
        view: dict[str, Any] = {
            "id": instance.uuid,
            "name": instance.display_name,
            "status": status_from_state(instance.vm_state, instance.task_state),
            "tenant_id": instance.project_id,
            "user_id": instance.user_id,
            "image": {"id": instance.image_ref},
            "flavor": {"original_name": flavor.name, "vcpus": flavor.vcpus,
                       "ram": flavor.memory_mb, "disk": flavor.root_gb,
                       "ephemeral": flavor.ephemeral_gb, "swap": flavor.swap,
                       "extra_specs": dict(flavor.extra_specs)},
            "OS-EXT-STS:vm_state": instance.vm_state,
            "OS-EXT-STS:task_state": instance.task_state,
            "OS-EXT-STS:power_state": instance.power_state,
            "OS-EXT-AZ:availability_zone": instance.availability_zone or "",
        }
        is_admin = policy.check(context, "os_compute_api:os-extended-server-attributes")
        if is_admin:
            view.update({
                "OS-EXT-SRV-ATTR:host": instance.host,
                "OS-EXT-SRV-ATTR:hypervisor_hostname": instance.node,
                "OS-EXT-SRV-ATTR:reservation_id": instance.reservation_id,
                "OS-EXT-SRV-ATTR:launch_index": instance.launch_index,
            })
        if view["status"] in ("ERROR", "DELETED") and instance.fault:
            fault = {"code": instance.fault["code"], "message": instance.fault["message"]}
            if is_admin:
                fault["details"] = instance.fault["details"]
            view["fault"] = fault
        return view

    # Actions

    def _resize(self, context: RequestContext, server_id: str, body: dict[str, Any],
                version: Version) -> None:
        schemas.validate(body, schemas.RESIZE)
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:servers:resize", instance.project_id)
        try:
            self.compute_api.resize(context, instance, str(body["resize"]["flavorRef"]))
        except exception.FlavorNotFound as exc:
            raise exception.Invalid(exc.format_message()) from exc
        except exception.OverQuota as exc:
            raise exception.Forbidden(exc.format_message()) from exc
        except (exception.ServiceUnavailable, exception.InstanceNotReady) as exc:
            raise exception.Conflict(exc.format_message()) from exc
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "resize", server_id) from exc

    def _confirm_resize(self, context: RequestContext, server_id: str, body: dict[str, Any],
                        version: Version) -> ApiResponse:
        schemas.validate(body, schemas.CONFIRM_RESIZE)
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:servers:confirm_resize", instance.project_id)
        try:
            self.compute_api.confirm_resize(context, instance)
        except exception.MigrationNotFound as exc:
            raise exception.Invalid("Instance has not been resized.") from exc
        except exception.ServiceUnavailable as exc:
            raise exception.Conflict(exc.format_message()) from exc
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "confirmResize", server_id) from exc
        return ApiResponse(204)

    def _revert_resize(self, context: RequestContext, server_id: str, body: dict[str, Any],
                       version: Version) -> None:
        schemas.validate(body, schemas.REVERT_RESIZE)
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:servers:revert_resize", instance.project_id)
        try:
            self.compute_api.revert_resize(context, instance)
        except exception.MigrationNotFound as exc:
            raise exception.Invalid("Instance has not been resized.") from exc
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "revertResize", server_id) from exc

    def _stop(self, context: RequestContext, server_id: str, body: dict[str, Any],
              version: Version) -> None:
        schemas.validate(body, schemas.STOP)
        self._power(context, server_id, "stop", self.compute_api.stop)

    def _start(self, context: RequestContext, server_id: str, body: dict[str, Any],
               version: Version) -> None:
        schemas.validate(body, schemas.START)
        self._power(context, server_id, "start", self.compute_api.start)

    def _power(self, context: RequestContext, server_id: str, name: str,
               call: Callable[[RequestContext, Instance], None]) -> None:
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, f"os_compute_api:servers:{name}", instance.project_id)
        try:
            call(context, instance)
        except exception.InstanceNotReady as exc:
            raise exception.Conflict(exc.format_message()) from exc
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, name, server_id) from exc

    def _rebuild(self, context: RequestContext, server_id: str, body: dict[str, Any],
                 version: Version) -> dict[str, Any]:
        schemas.validate(body, schemas.REBUILD)
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:servers:rebuild", instance.project_id)
        try:
            self.compute_api.rebuild(context, instance, body["rebuild"]["imageRef"])
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "rebuild", server_id) from exc
        return {"server": self.view(context, Instance.get_by_uuid(self.db, server_id))}
