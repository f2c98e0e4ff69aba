"""GET /os-migrations (nova/api/openstack/compute/migrations.py)."""

from __future__ import annotations

from typing import Any

from harness.cloud.api import policy
from harness.cloud.api.openstack import filters
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import Migration

MIGRATION_FILTERS = {"instance_uuid": "instance_uuid", "status": "status",
                     "migration_type": "migration_type", "source_compute": "source_compute",
                     "project_id": "project_id"}


class MigrationsController:
    def __init__(self, db: Database) -> None:
        self.db = db

    def index(self, context: RequestContext, search_opts: dict[str, Any]) -> dict[str, Any]:
        policy.authorize(context, "os_compute_api:os-migrations:index")
        # Without the caller's own project as a filter, the listing is cross-project.
        if search_opts.get("project_id") != context.project_id:
            policy.authorize(context, "os_compute_api:os-migrations:index:all_projects")
        migrations = self.db.query(Migration, **filters(search_opts, MIGRATION_FILTERS))
        # Newest first, as Nova sorts by created_at desc.
        return {"migrations": [self.view(m) for m in reversed(migrations)]}

    @staticmethod
    def view(migration: Migration) -> dict[str, Any]:
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
