"""POST /flavors (nova/api/openstack/compute/flavor_manage.py): admin only."""

from __future__ import annotations

from typing import Any

from harness.cloud.api import policy, schemas
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import Flavor


class FlavorManageController:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, context: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        schemas.validate(body, schemas.CREATE_FLAVOR)
        policy.authorize(context, "os_compute_api:os-flavor-manage:create")
        spec = body["flavor"]
        flavor = Flavor(flavorid=str(spec.get("id") or self.db.new_uuid()), name=spec["name"],
                        vcpus=spec["vcpus"], memory_mb=spec["ram"], root_gb=spec["disk"],
                        ephemeral_gb=spec.get("OS-FLV-EXT-DATA:ephemeral", 0),
                        swap=spec.get("swap", 0))
        flavor.create(self.db)
        return {"flavor": {"id": flavor.flavorid, "name": flavor.name, "vcpus": flavor.vcpus,
                           "ram": flavor.memory_mb, "disk": flavor.root_gb}}
