"""Instance actions and their events (os-instance-actions).

The API records an action per request; each service records an event for the
step it ran, with the exception's message and traceback when it failed. Since
2.34 a live migration's API call answers 202 and this is where a user finds
out why it failed, so it is also where the harness reads the error class.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
    """compute_utils.EventReporter: ``event`` starts on the request's action (no result
    yet) and finishes with Success, or Error and why.

    Nova's action_event_finish updates the first row of that name on the action
    (a query without order: the oldest), not the one this step started. So when a
    step runs again within one request (a retried check, a reschedule), the later
    run's result lands on the earlier row and the later row keeps no result, and
    an earlier Error can be overwritten by a Success.
    """
    actions = db.query(InstanceAction, instance_uuid=instance_uuid,
                       request_id=context.request_id)
    for action in actions:
        InstanceActionEvent(action_id=action.id, event=event, host=host).create(db)
    try:
        yield
    except Exception as exc:
        for action in actions:
            _finish(db, action, event, result="Error",
                    details=exception_to_dict(exc)["message"],
                    traceback="".join(traceback.format_tb(exc.__traceback__)))
        raise
    for action in actions:
        _finish(db, action, event, result="Success")


def record_event_failure(db: Database, context: RequestContext, instance_uuid: str,
                         event: str, host: str | None, exc: BaseException) -> None:
    """An event that starts and fails at once (InstanceActionEvent.event_start, then
    event_finish_with_failure), for a failure already caught."""
    with suppress(type(exc)), event_reporter(db, context, instance_uuid, event, host):
        raise exc


def _finish(db: Database, action: InstanceAction, event: str, **values: Any) -> None:
    first = db.query(InstanceActionEvent, action_id=action.id, event=event)[0]
    for name, value in values.items():
        setattr(first, name, value)
    first.save()
