"""/os-services (nova/api/openstack/compute/services.py): list, and from 2.53 update a
service by id (enable, disable, force down)."""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.api import policy, schemas
from harness.cloud.api.openstack import filters
from harness.cloud.compute.rpcapi import ComputeRPCAPI
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import Migration, Service

SERVICE_FILTERS = {"host": "host", "binary": "binary"}


class ServiceController:
    def __init__(self, db: Database, compute_rpcapi: ComputeRPCAPI) -> None:
        self.db = db
        self.compute_rpcapi = compute_rpcapi

    def index(self, context: RequestContext, search_opts: dict[str, Any]) -> dict[str, Any]:
        policy.authorize(context, "os_compute_api:os-services:list")
        services = self.db.query(Service, **filters(search_opts, SERVICE_FILTERS))
        return {"services": [self.view(s) for s in services]}

    def update(self, context: RequestContext, service_id: str, body: dict[str, Any]
               ) -> dict[str, Any]:
        schemas.validate(body, schemas.UPDATE_SERVICE)
        policy.authorize(context, "os_compute_api:os-services:update")
        matches = self.db.query(Service, uuid=service_id)
        if not matches:
            raise exception.ServiceNotFound(service_id=service_id)
        service = matches[0]
        if "status" in body:
            if body["status"] == "enabled" and body.get("disabled_reason"):
                raise exception.Invalid(
                    "Specifying 'disabled_reason' with status 'enabled' is invalid.")
            service.disabled = body["status"] == "disabled"
            service.disabled_reason = body.get("disabled_reason") if service.disabled else None
        if "forced_down" in body:
            service.forced_down = body["forced_down"]
            if not service.forced_down:
                self._check_for_evacuations(service.host)
        service.save()
        # HostAPI.service_update: a compute that is up keeps its providers' trait in
        # step; one that is down catches up when it starts.
        if "status" in body and service.binary == "nova-compute" and service.is_up:
            self.compute_rpcapi.set_host_enabled(context, service.host, not service.disabled)
        return {"service": self.view(service)}

    def _check_for_evacuations(self, host: str) -> None:
        """A host forced back up must have restarted since servers were evacuated from
        it: its start-up moves their `done` evacuations to `completed`."""
        if self.db.query(Migration, source_compute=host, status="done",
                         migration_type="evacuation"):
            raise exception.Invalid(
                f"Unable to force up host {host} as `done` evacuation migration records "
                "remain associated with the host. Ensure the compute service has been "
                "restarted, allowing these records to move to `completed` before "
                "retrying this request.")

    @staticmethod
    def view(service: Service) -> dict[str, Any]:
        return {"id": service.uuid, "binary": service.binary, "host": service.host,
                "zone": "nova", "status": "disabled" if service.disabled else "enabled",
                "state": "up" if service.is_up else "down",
                "forced_down": service.forced_down,
                "disabled_reason": service.disabled_reason}
