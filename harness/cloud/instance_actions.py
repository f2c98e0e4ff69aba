"""Instance actions and their events (os-instance-actions).

The API records an action per request; each service records an event for the
step it ran, with the exception's message and traceback when it failed. Since
2.34 a live migration's API call answers 202 and this is where a user finds
out why it failed, so it is also where the harness reads the error class.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.cloud.compute.utils import exception_to_dict
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import InstanceAction, InstanceActionEvent


def record_action_start(db: Database, context: RequestContext, instance_uuid: str,
                        action: str) -> None:
    InstanceAction(action=action, instance_uuid=instance_uuid, request_id=context.request_id,
                   user_id=context.user_id, project_id=context.project_id).create(db)


@contextmanager
def event_reporter(db: Database, context: RequestContext, instance_uuid: str, event: str,
                   host: str | None = None) -> Iterator[None]:
    """Record ``event`` on the request's action: Success, or Error with why."""
    try:
        yield
    except Exception as exc:
        details = exception_to_dict(exc)["message"]
        _record(db, context, instance_uuid, event=event, result="Error", details=details,
                host=host, traceback="".join(traceback.format_tb(exc.__traceback__)))
        raise
    _record(db, context, instance_uuid, event=event, result="Success", host=host)


def _record(db: Database, context: RequestContext, instance_uuid: str, **event: Any) -> None:
    for action in db.query(InstanceAction, instance_uuid=instance_uuid,
                           request_id=context.request_id):
        InstanceActionEvent(action_id=action.id, **event).create(db)
