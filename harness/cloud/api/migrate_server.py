"""migrate and os-migrateLive (nova/api/openstack/compute/migrate_server.py)."""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.api import policy, schemas
from harness.cloud.api.compute import API
from harness.cloud.api.openstack import (
    ActionHandler,
    Version,
    as_bool,
    conflict_for_invalid_state,
)
from harness.cloud.api.servers import get_instance
from harness.cloud.context import RequestContext
from harness.cloud.db import Database

# What a live migration below 2.34 (a call to the conductor) answers with 400.
LIVE_MIGRATION_BAD_REQUESTS = (
    exception.NoValidHost,
    exception.ComputeServiceUnavailable,
    exception.UnableToMigrateToSelf,
    exception.MigrationPreCheckError,
    exception.InstanceInvalidState,
)


class MigrateServerController:
    def __init__(self, db: Database, compute_api: API) -> None:
        self.db = db
        self.compute_api = compute_api

    def actions(self) -> dict[str, ActionHandler]:
        return {"migrate": self._migrate, "os-migrateLive": self._migrate_live}

    def _migrate(self, context: RequestContext, server_id: str, body: dict[str, Any],
                 version: Version) -> None:
        """Cold migration; a target host from 2.56 (before, the body is not read)."""
        host = None
        if version >= (2, 56):
            schemas.validate(body, schemas.MIGRATE_2_56)
            host = (body["migrate"] or {}).get("host")
        instance = get_instance(self.db, context, server_id)
        rule = "migrate:host" if host else "migrate"
        policy.authorize(context, f"os_compute_api:os-migrate-server:{rule}",
                         instance.project_id)
        try:
            self.compute_api.resize(context, instance, host_name=host)
        except (exception.ComputeHostNotFound, exception.CannotMigrateToSameHost) as exc:
            raise exception.Invalid(exc.format_message()) from exc
        except (exception.ServiceUnavailable, exception.InstanceNotReady) as exc:
            raise exception.Conflict(exc.format_message()) from exc
        except exception.InstanceInvalidState as exc:
            raise conflict_for_invalid_state(exc, "migrate", server_id) from exc

    def _migrate_live(self, context: RequestContext, server_id: str, body: dict[str, Any],
                      version: Version) -> None:
        schemas.validate(body, schemas.live_migrate(version))
        live = body["os-migrateLive"]
        host = live["host"]
        instance = get_instance(self.db, context, server_id)
        rule = "migrate_live:host" if host else "migrate_live"
        policy.authorize(context, f"os_compute_api:os-migrate-server:{rule}",
                         instance.project_id)
        # Below 2.30 there is no force: a host given is forced. From 2.68 never.
        force = as_bool(live.get("force", False)) if version >= (2, 30) else None
        if force and not host:
            raise exception.Invalid("Can't force to a non-provided destination")
        try:
            self.compute_api.live_migrate(context, instance, live["block_migration"], host,
                                          force=force, async_=version >= (2, 34))
        except exception.ComputeHostNotFound as exc:
            raise exception.Invalid(exc.format_message()) from exc
        except exception.InstanceInvalidState as exc:
            if type(exc) is exception.InstanceInvalidState and exc.kwargs.get(
                    "method") == "live migrate" and exc.kwargs.get("attr") != "power_state":
                raise conflict_for_invalid_state(exc, "os-migrateLive", server_id) from exc
            raise exception.Invalid(exc.format_message()) from exc
        except LIVE_MIGRATION_BAD_REQUESTS as exc:
            raise exception.Invalid(exc.format_message()) from exc
