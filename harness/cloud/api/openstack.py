"""The compute REST API, in process: request bodies in, Nova's JSON views out.

Each handler is what one Nova URL does: validate the body against a JSON
schema (as nova/api/openstack/compute/schemas does), check policy, call the
compute API, and render the response. Errors become an ``ApiResponse`` with
Nova's status codes (400, 403, 404, 409), never a bare exception.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema

from harness.cloud import exception
from harness.cloud.api import policy, schemas
from harness.cloud.api.compute import API
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import (
    Flavor,
    Instance,
    InstanceAction,
    InstanceActionEvent,
    Migration,
    Service,
)
from harness.cloud.rpc import RPCClient


@dataclass
class ApiResponse:
    status_code: int
    body: Any = None

    def __trace__(self) -> str:
        return str(self.status_code)


def _status_from_state(vm_state: str, task_state: str | None) -> str:
    if vm_state == "active" and task_state == "migrating":
        return "MIGRATING"
    return {"building": "BUILD", "active": "ACTIVE", "error": "ERROR",
            "paused": "PAUSED"}.get(vm_state, vm_state.upper())


def _as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


# Query parameters each listing accepts, and the field each one matches.
SERVER_FILTERS = {"reservation_id": "reservation_id", "host": "host", "name": "display_name"}
MIGRATION_FILTERS = {"instance_uuid": "instance_uuid", "status": "status",
                     "migration_type": "migration_type", "source_compute": "source_compute"}
SERVICE_FILTERS = {"host": "host", "binary": "binary"}


def _filters(search_opts: dict[str, Any], allowed: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(set(search_opts) - set(allowed))
    if unknown:
        raise exception.Invalid(f"Invalid filter(s): {', '.join(unknown)}; "
                                f"allowed: {', '.join(sorted(allowed))}")
    return {allowed[key]: value for key, value in search_opts.items()}


MIN_VERSION, MAX_VERSION = (2, 1), (2, 104)  # Nova 34's compute API


def parse_microversion(text: str) -> tuple[int, int]:
    """'latest' or '2.N' within the supported range, else InvalidGlobalAPIVersion (406)."""
    if text == "latest":
        return MAX_VERSION
    major, _, minor = text.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise exception.Invalid(f"API Version String {text} is of invalid format. Must be of "
                                "format MajorNum.MinorNum.")
    version = (int(major), int(minor))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise InvalidGlobalAPIVersion(req_ver=text, min_ver="2.1", max_ver="2.104")
    return version


class InvalidGlobalAPIVersion(exception.NovaException):
    msg_fmt = ("Version %(req_ver)s is not supported by the API. Minimum is %(min_ver)s "
               "and maximum is %(max_ver)s.")
    code = 406


def api_handler(success: int) -> Callable[..., Callable[..., ApiResponse]]:
    """Turn a handler's return value or Nova exception into an ApiResponse.

    The request's microversion is checked here; a handler whose behaviour
    depends on it takes a ``version`` argument.
    """
    def decorator(func: Callable[..., Any]) -> Callable[..., ApiResponse]:
        wants_version = "version" in inspect.signature(func).parameters

        @functools.wraps(func)
        def wrapper(*args: Any, microversion: str = "latest", **kwargs: Any) -> ApiResponse:
            try:
                version = parse_microversion(microversion)
                if wants_version:
                    kwargs["version"] = version
                return ApiResponse(success, func(*args, **kwargs))
            except jsonschema.ValidationError as exc:
                return ApiResponse(400, {"badRequest": {"code": 400, "message":
                                         f"Invalid input for field/attribute: {exc.message}"}})
            except exception.NovaException as exc:
                code = exc.code if exc.code in (400, 403, 404, 406, 409) else 500
                name = {400: "badRequest", 403: "forbidden", 404: "itemNotFound",
                        406: "notAcceptable", 409: "conflictingRequest"}.get(
                    code, "computeFault")
                return ApiResponse(code, {name: {"code": code, "message": exc.format_message()}})
        return wrapper
    return decorator


class OpenStackComputeAPI:
    """The endpoint behind the ``osapi_compute`` topic."""

    def __init__(self, rpc: RPCClient, db: Database) -> None:
        self.db = db
        self.compute_api = API(rpc, db)

    # /servers

    @api_handler(202)
    def post_server(self, context: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        jsonschema.validate(body, schemas.CREATE_SERVER)
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
        instances, reservation_id = self.compute_api.create(
            context, flavor, server.get("imageRef", ""), server["name"], min_count, max_count,
            body.get("os:scheduler_hints", {}), forced_host or None)
        if _as_bool(server.get("return_reservation_id", False)):
            return {"reservation_id": reservation_id}
        return {"server": {"id": instances[0].uuid}}

    @api_handler(200)
    def get_servers(self, context: RequestContext, search_opts: dict[str, Any]
                    ) -> dict[str, Any]:
        policy.authorize(context, "os_compute_api:servers:detail")
        instances = [i for i in self.db.query(Instance, **_filters(search_opts, SERVER_FILTERS))
                     if policy.check(context, "os_compute_api:servers:detail", i.project_id)]
        # Newest first, as Nova sorts by created_at desc.
        return {"servers": [self._server_view(context, i) for i in reversed(instances)]}

    @api_handler(200)
    def get_server(self, context: RequestContext, server_id: str) -> dict[str, Any]:
        return {"server": self._server_view(context, self._get_instance(context, server_id))}

    @api_handler(202)
    def post_server_action(self, context: RequestContext, server_id: str,
                           body: dict[str, Any], version: tuple[int, int]) -> None:
        jsonschema.validate(body, schemas.server_action(version))
        instance = self._get_instance(context, server_id)
        live = body["os-migrateLive"]
        host = live["host"]
        rule = "migrate_live:host" if host else "migrate_live"
        policy.authorize(context, f"os_compute_api:os-migrate-server:{rule}",
                         instance.project_id)
        force = live.get("force", False)
        if force and not host:
            raise exception.Invalid("Can't force to a non-provided destination")
        try:
            self.compute_api.live_migrate(context, instance, live["block_migration"], host,
                                          force=force)
        except exception.ComputeHostNotFound as exc:
            raise exception.Invalid(exc.format_message()) from exc
        except exception.InstanceInvalidState as exc:
            raise exception.Conflict(
                f"Cannot 'os-migrateLive' instance {server_id} while it is in "
                f"{exc.kwargs.get('attr')} {exc.kwargs.get('state')}") from exc

    def _get_instance(self, context: RequestContext, server_id: str) -> Instance:
        instance = Instance.get_by_uuid(self.db, server_id)
        if not policy.check(context, "os_compute_api:servers:show", instance.project_id):
            raise exception.InstanceNotFound(instance_id=server_id)
        return instance

    def _server_view(self, context: RequestContext, instance: Instance) -> dict[str, Any]:
        flavor = instance.flavor
        view: dict[str, Any] = {
            "id": instance.uuid,
            "name": instance.display_name,
            "status": _status_from_state(instance.vm_state, instance.task_state),
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
            "OS-EXT-AZ:availability_zone": instance.availability_zone or "nova",
        }
        is_admin = policy.check(context, "os_compute_api:os-extended-server-attributes")
        if is_admin:
            view.update({
                "OS-EXT-SRV-ATTR:host": instance.host,
                "OS-EXT-SRV-ATTR:hypervisor_hostname": instance.node,
                "OS-EXT-SRV-ATTR:reservation_id": instance.reservation_id,
                "OS-EXT-SRV-ATTR:launch_index": instance.launch_index,
            })
        if view["status"] == "ERROR" and instance.fault:
            fault = {"code": instance.fault["code"], "message": instance.fault["message"]}
            if is_admin:
                fault["details"] = instance.fault["details"]
            view["fault"] = fault
        return view

    # /os-migrations

    @api_handler(200)
    def get_migrations(self, context: RequestContext, search_opts: dict[str, Any]
                       ) -> dict[str, Any]:
        policy.authorize(context, "os_compute_api:os-migrations:index")
        migrations = self.db.query(Migration, **_filters(search_opts, MIGRATION_FILTERS))
        return {"migrations": [self._migration_view(m) for m in reversed(migrations)]}

    @staticmethod
    def _migration_view(migration: Migration) -> dict[str, Any]:
        return {
            "id": migration.id,
            "uuid": migration.uuid,
            "instance_uuid": migration.instance_uuid,
            "migration_type": migration.migration_type,
            "status": migration.status,
            "source_compute": migration.source_compute,
            "dest_compute": migration.dest_compute,
            "source_node": migration.source_node,
            "dest_node": migration.dest_node,
            "dest_host": None,
            "old_instance_type_id": migration.old_instance_type_id,
            "new_instance_type_id": migration.new_instance_type_id,
            "project_id": migration.project_id,
            "user_id": migration.user_id,
        }

    # /servers/{id}/os-instance-actions

    @api_handler(200)
    def get_instance_actions(self, context: RequestContext, server_id: str
                             ) -> dict[str, Any]:
        instance = self._get_instance(context, server_id)
        policy.authorize(context, "os_compute_api:os-instance-actions:list",
                         instance.project_id)
        actions = self.db.query(InstanceAction, instance_uuid=instance.uuid)
        return {"instanceActions": [
            {k: v for k, v in self._action_view(context, a).items() if k != "events"}
            for a in reversed(actions)]}

    @api_handler(200)
    def get_instance_action_details(self, context: RequestContext, server_id: str,
                                    request_id: str) -> dict[str, Any]:
        instance = self._get_instance(context, server_id)
        policy.authorize(context, "os_compute_api:os-instance-actions:show",
                         instance.project_id)
        for action in self.db.query(InstanceAction, instance_uuid=instance.uuid,
                                    request_id=request_id):
            return {"instanceAction": self._action_view(context, action)}
        raise exception.NotFound(f"Action for request_id {request_id} on instance "
                                 f"{server_id} not found")

    def _action_view(self, context: RequestContext, action: InstanceAction) -> dict[str, Any]:
        show_details = policy.check(context, "os_compute_api:os-instance-actions:events:details")
        events = []
        for event in self.db.query(InstanceActionEvent, action_id=action.id):
            view = {"event": event.event, "result": event.result, "details": event.details}
            if show_details:
                view.update(traceback=event.traceback, host=event.host)
            events.append(view)
        return {"action": action.action, "instance_uuid": action.instance_uuid,
                "request_id": action.request_id, "user_id": action.user_id,
                "project_id": action.project_id, "events": events}

    # /os-services and /flavors

    @api_handler(200)
    def get_services(self, context: RequestContext, search_opts: dict[str, Any]
                     ) -> dict[str, Any]:
        policy.authorize(context, "os_compute_api:os-services:list")
        return {"services": [self._service_view(s) for s in
                             self.db.query(Service, **_filters(search_opts, SERVICE_FILTERS))]}

    @api_handler(200)
    def put_service(self, context: RequestContext, service_id: str, body: dict[str, Any]
                    ) -> dict[str, Any]:
        jsonschema.validate(body, schemas.UPDATE_SERVICE)
        policy.authorize(context, "os_compute_api:os-services:update")
        matches = self.db.query(Service, uuid=service_id)
        if not matches:
            raise exception.ServiceNotFound(service_id=service_id)
        service = matches[0]
        if "status" in body:
            service.disabled = body["status"] == "disabled"
            service.disabled_reason = body.get("disabled_reason") if service.disabled else None
        if "forced_down" in body:
            service.forced_down = body["forced_down"]
        service.save()
        return {"service": self._service_view(service)}

    @staticmethod
    def _service_view(service: Service) -> dict[str, Any]:
        return {"id": service.uuid, "binary": service.binary, "host": service.host,
                "zone": "nova", "status": "disabled" if service.disabled else "enabled",
                "state": "up" if service.is_up else "down",
                "forced_down": service.forced_down,
                "disabled_reason": service.disabled_reason}

    @api_handler(200)
    def post_flavor(self, context: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        jsonschema.validate(body, schemas.CREATE_FLAVOR)
        policy.authorize(context, "os_compute_api:os-flavor-manage:create")
        spec = body["flavor"]
        flavor = Flavor(flavorid=str(spec.get("id") or self.db.new_uuid()), name=spec["name"],
                        vcpus=spec["vcpus"], memory_mb=spec["ram"], root_gb=spec["disk"],
                        ephemeral_gb=spec.get("OS-FLV-EXT-DATA:ephemeral", 0),
                        swap=spec.get("swap", 0))
        flavor.create(self.db)
        return {"flavor": {"id": flavor.flavorid, "name": flavor.name, "vcpus": flavor.vcpus,
                           "ram": flavor.memory_mb, "disk": flavor.root_gb}}
