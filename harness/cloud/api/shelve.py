"""shelve, shelveOffload and unshelve (nova/api/openstack/compute/shelve.py)."""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.api import policy, schemas
from harness.cloud.api.compute import API
from harness.cloud.api.openstack import ActionHandler, Version, conflict_for_invalid_state
from harness.cloud.api.servers import get_instance
from harness.cloud.context import RequestContext
from harness.cloud.db import Database


class ShelveController:
    def __init__(self, db: Database, compute_api: API) -> None:
        self.db = db
        self.compute_api = compute_api

    def actions(self) -> dict[str, ActionHandler]:
        return {"shelve": self._shelve, "shelveOffload": self._shelve_offload,
                "unshelve": self._unshelve}

    def _shelve(self, context: RequestContext, server_id: str, body: dict[str, Any],
                version: Version) -> None:
        schemas.validate(body, schemas.SHELVE)
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:os-shelve:shelve", instance.project_id)
        try:
            self.compute_api.shelve(context, instance)
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "shelve", server_id) from exc

    def _shelve_offload(self, context: RequestContext, server_id: str, body: dict[str, Any],
                        version: Version) -> None:
        schemas.validate(body, schemas.SHELVE_OFFLOAD)
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:os-shelve:shelve_offload",
                         instance.project_id)
        try:
            self.compute_api.shelve_offload(context, instance)
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "shelveOffload", server_id) from exc

    def _unshelve(self, context: RequestContext, server_id: str, body: dict[str, Any],
                  version: Version) -> None:
        """An availability zone from 2.77; a host, or a null zone to unpin, from 2.91."""
        schemas.validate(body, schemas.unshelve(version))
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:os-shelve:unshelve", instance.project_id)
        unshelve = body["unshelve"] if isinstance(body["unshelve"], dict) else {}
        az_passed = version >= (2, 77) and "availability_zone" in unshelve
        host = unshelve.get("host") if version >= (2, 91) else None
        try:
            self.compute_api.unshelve(context, instance, new_az=unshelve.get(
                "availability_zone"), az_passed=az_passed, host=host)
        except (exception.UnshelveInstanceInvalidState, exception.UnshelveHostNotInAZ) as exc:
            raise exception.Conflict(exc.format_message()) from exc
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "unshelve", server_id) from exc
        except (exception.InvalidRequest, exception.ComputeHostNotFound) as exc:
            raise exception.Invalid(exc.format_message()) from exc
