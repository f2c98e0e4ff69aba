"""GET /servers/{id}/os-instance-actions[/{request_id}]
(nova/api/openstack/compute/instance_actions.py)."""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.api import policy
from harness.cloud.api.servers import get_instance
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import InstanceAction, InstanceActionEvent


class InstanceActionsController:
    def __init__(self, db: Database) -> None:
        self.db = db

    def index(self, context: RequestContext, server_id: str) -> dict[str, Any]:
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:os-instance-actions:list",
                         instance.project_id)
        actions = self.db.query(InstanceAction, instance_uuid=instance.uuid)
        return {"instanceActions": [self._view(a) for a in reversed(actions)]}

    def show(self, context: RequestContext, server_id: str, request_id: str
             ) -> dict[str, Any]:
        instance = get_instance(self.db, context, server_id)
        policy.authorize(context, "os_compute_api:os-instance-actions:show",
                         instance.project_id)
        for action in self.db.query(InstanceAction, instance_uuid=instance.uuid,
                                    request_id=request_id):
            show_details = policy.check(
                context, "os_compute_api:os-instance-actions:events:details")
            return {"instanceAction": {**self._view(action),
                                       "events": self._events(action, show_details)}}
        raise exception.NotFound(f"Action for request_id {request_id} on instance "
                                 f"{server_id} not found")

    @staticmethod
    def _view(action: InstanceAction) -> dict[str, Any]:
        return {"action": action.action, "instance_uuid": action.instance_uuid,
                "request_id": action.request_id, "user_id": action.user_id,
                "project_id": action.project_id}

    def _events(self, action: InstanceAction, show_details: bool) -> list[dict[str, Any]]:
        events = []
        # Newest first, as Nova's action_events_get orders them.
        for event in reversed(self.db.query(InstanceActionEvent, action_id=action.id)):
            view = {"event": event.event, "result": event.result, "details": event.details}
            if show_details:
                view.update(traceback=event.traceback, host=event.host)
            events.append(view)
        return events
