"""evacuate (nova/api/openstack/compute/evacuate.py): rebuild a server elsewhere when
its compute is down. Admin only; answers 200 with no body from 2.14."""

from __future__ import annotations

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
)
from harness.cloud.api.servers import get_instance
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import Service, get_minimum_version_all_cells

# nova/api/openstack/compute/evacuate.py: the computes' version from which 2.95 works.
MIN_VER_NOVA_COMPUTE_EVACUATE_STOPPED = 62


class EvacuateController:
    def __init__(self, db: Database, compute_api: API) -> None:
        self.db = db
        self.compute_api = compute_api

    def actions(self) -> dict[str, ActionHandler]:
        return {"evacuate": self._evacuate}

    def _evacuate(self, context: RequestContext, server_id: str, body: dict[str, Any],
                  version: Version) -> ApiResponse:
        schemas.validate(body, schemas.evacuate(version))
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:os-evacuate", instance.project_id)
        if version >= (2, 95):
            min_version = get_minimum_version_all_cells(self.db, "nova-compute")
            if min_version < MIN_VER_NOVA_COMPUTE_EVACUATE_STOPPED:
                raise exception.NotSupportedComputeForEvacuateV295(str({
                    "currently": min_version,
                    "expected": MIN_VER_NOVA_COMPUTE_EVACUATE_STOPPED}))
        evacuate = body["evacuate"]
        host = evacuate.get("host")
        # Below 2.29 there is no force: a host given is forced. From 2.68 never.
        force = as_bool(evacuate.get("force", False)) if version >= (2, 29) else None
        if force and not host:
            raise exception.Invalid("Can't force to a non-provided destination")
        if host is not None and not self.db.query(Service, host=host):
            raise exception.NotFound(f"Compute host {host} not found.")
        if instance.host == host:
            raise exception.Invalid("The target host can't be the same one.")
        target_state = "stopped" if version >= (2, 95) else None
        try:
            self.compute_api.evacuate(context, instance, host, force=force,
                                      target_state=target_state)
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "evacuate", server_id) from exc
        except exception.ComputeServiceInUse as exc:
            raise exception.Invalid(exc.format_message()) from exc
        return ApiResponse(200)
