"""The compute API's endpoint on the bus (nova/api/openstack/compute/routes.py):
each request goes to the controller that owns its URL, each server action to the
controller that owns the action, and every answer is an ``ApiResponse``."""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.api.compute import API
from harness.cloud.api.evacuate import EvacuateController
from harness.cloud.api.flavor_manage import FlavorManageController
from harness.cloud.api.instance_actions import InstanceActionsController
from harness.cloud.api.migrate_server import MigrateServerController
from harness.cloud.api.migrations import MigrationsController
from harness.cloud.api.openstack import ActionHandler, Version, api_handler
from harness.cloud.api.server_groups import ServerGroupController
from harness.cloud.api.servers import ServersController
from harness.cloud.api.services import ServiceController
from harness.cloud.api.shelve import ShelveController
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.rpc import RPCClient


class OpenStackComputeAPI:
    """The endpoint behind the ``osapi_compute`` topic."""

    def __init__(self, rpc: RPCClient, db: Database, config: Config | None = None) -> None:
        config = config or Config()
        compute_api = API(rpc, db, config)
        self.servers = ServersController(db, compute_api)
        self.migrations = MigrationsController(db)
        self.instance_actions = InstanceActionsController(db)
        self.services = ServiceController(db, compute_api.compute_rpcapi)
        self.flavors = FlavorManageController(db)
        self.server_groups = ServerGroupController(db, config.quota)
        self._actions: dict[str, ActionHandler] = {}
        for controller in (self.servers, MigrateServerController(db, compute_api),
                           EvacuateController(db, compute_api),
                           ShelveController(db, compute_api)):
            self._actions.update(controller.actions())

    @api_handler(202)
    def post_server(self, context: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        return self.servers.create(context, body)

    @api_handler(200)
    def get_servers(self, context: RequestContext, search_opts: dict[str, Any]
                    ) -> dict[str, Any]:
        return self.servers.index(context, search_opts)

    @api_handler(200)
    def get_server(self, context: RequestContext, server_id: str) -> dict[str, Any]:
        return self.servers.show(context, server_id)

    @api_handler(204)
    def delete_server(self, context: RequestContext, server_id: str) -> None:
        self.servers.delete(context, server_id)

    @api_handler(202)
    def post_server_action(self, context: RequestContext, server_id: str, body: Any,
                           version: Version) -> Any:
        """wsgi.action_peek: the body names exactly one action."""
        if not isinstance(body, dict) or len(body) != 1:
            raise exception.Invalid("Malformed request body")
        action = next(iter(body))
        if action not in self._actions:
            raise exception.Invalid(f"There is no such action: {action}")
        return self._actions[action](context, server_id, body, version)

    @api_handler(200)
    def get_migrations(self, context: RequestContext, search_opts: dict[str, Any]
                       ) -> dict[str, Any]:
        return self.migrations.index(context, search_opts)

    @api_handler(200)
    def get_instance_actions(self, context: RequestContext, server_id: str
                             ) -> dict[str, Any]:
        return self.instance_actions.index(context, server_id)

    @api_handler(200)
    def get_instance_action_details(self, context: RequestContext, server_id: str,
                                    request_id: str) -> dict[str, Any]:
        return self.instance_actions.show(context, server_id, request_id)

    @api_handler(200)
    def post_server_group(self, context: RequestContext, body: dict[str, Any],
                          version: Version) -> dict[str, Any]:
        return self.server_groups.create(context, body, version)

    @api_handler(200)
    def get_server_group(self, context: RequestContext, group_id: str, version: Version
                         ) -> dict[str, Any]:
        return self.server_groups.show(context, group_id, version)

    @api_handler(200)
    def get_server_groups(self, context: RequestContext, version: Version
                          ) -> dict[str, Any]:
        return self.server_groups.index(context, version)

    @api_handler(204)
    def delete_server_group(self, context: RequestContext, group_id: str) -> None:
        self.server_groups.delete(context, group_id)

    @api_handler(200)
    def get_services(self, context: RequestContext, search_opts: dict[str, Any]
                     ) -> dict[str, Any]:
        return self.services.index(context, search_opts)

    @api_handler(200)
    def put_service(self, context: RequestContext, service_id: str, body: dict[str, Any]
                    ) -> dict[str, Any]:
        return self.services.update(context, service_id, body)

    @api_handler(200)
    def post_flavor(self, context: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        return self.flavors.create(context, body)

