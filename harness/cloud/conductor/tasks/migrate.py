"""Allocation hand-over for moves (nova/conductor/tasks/migrate.py).

During a move the migration record holds the source allocation and the
instance gets the destination's from the scheduler's claim; reverting gives
the source allocation back to the instance.
"""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import ComputeNode, Instance, Migration
from harness.cloud.scheduler.client import SchedulerReportClient


def replace_allocation_with_migration(
    context: RequestContext, db: Database, reportclient: SchedulerReportClient,
    instance: Instance, migration: Migration,
) -> tuple[ComputeNode | None, dict[str, Any] | None]:
    try:
        source_cn = db.get(ComputeNode, instance.node)
    except exception.ObjectNotFound:
        raise exception.ComputeHostNotFound(host=instance.host) from None
    orig_alloc = reportclient.get_allocs_for_consumer(context, instance.uuid)["allocations"]
    if not orig_alloc.get(source_cn.uuid, {}).get("resources"):
        return None, None
    if not reportclient.move_allocations(context, instance.uuid, migration.uuid):
        raise exception.NoValidHost(reason="Unable to replace instance claim on source")
    return source_cn, orig_alloc


def revert_allocation_for_migration(
    context: RequestContext, reportclient: SchedulerReportClient,
    instance: Instance, migration: Migration,
) -> None:
    """Give the source allocation back to the instance, replacing any other claim."""
    reportclient.move_allocations(context, migration.uuid, instance.uuid)
