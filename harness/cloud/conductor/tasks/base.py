"""nova/conductor/tasks/base.py: a task rolls back what it did when it fails."""

from __future__ import annotations

from typing import Any

from harness.cloud.context import RequestContext
from harness.cloud.objects import Instance


class TaskBase:
    def __init__(self, context: RequestContext, instance: Instance) -> None:
        self.context = context
        self.instance = instance

    def execute(self) -> Any:
        try:
            return self._execute()
        except Exception as ex:
            self.rollback(ex)
            raise

    def _execute(self) -> Any:
        raise NotImplementedError

    def rollback(self, ex: Exception) -> None:
        raise NotImplementedError
