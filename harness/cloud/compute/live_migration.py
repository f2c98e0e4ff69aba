"""The compute side of a live migration, in Nova's order: check the destination
(which checks the source), then on the source live_migration -> pre_live_migration
on the destination -> the driver's migration -> _post_live_migration ->
post_live_migration_at_destination."""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.compute.base import ComputeBase
from harness.cloud.context import RequestContext
from harness.cloud.instance_actions import event_reporter
from harness.cloud.objects import Instance, Migration
from harness.cloud.virt import POWER_STATE_RUNNING


class LiveMigrationMixin(ComputeBase):
    def check_can_live_migrate_destination(
        self, context: RequestContext, instance: Instance, block_migration: Any,
        migration: Migration, limits: dict[str, Any] | None,
    ) -> dict[str, Any]:
        with event_reporter(self.db, context, instance.uuid,
                            "compute_check_can_live_migrate_destination", self.host):
            # Nova catches only a RescheduledException here, which this check no longer
            # raises: a broken policy fails the conductor's task as an unexpected error,
            # and the server goes to ERROR (Nova 34's behaviour, diffed).
            self._validate_instance_group_policy(instance)
            dest_check_data = self.driver.check_can_live_migrate_destination(
                instance, block_migration)
            return self.compute_rpcapi.check_can_live_migrate_source(
                context, instance, dest_check_data)

    def check_can_live_migrate_source(self, context: RequestContext, instance: Instance,
                                      dest_check_data: dict[str, Any]) -> dict[str, Any]:
        with event_reporter(self.db, context, instance.uuid,
                            "compute_check_can_live_migrate_source", self.host):
            return self.driver.check_can_live_migrate_source(instance, dest_check_data)

    def pre_live_migration(self, context: RequestContext, instance: Instance,
                           migrate_data: dict[str, Any]) -> dict[str, Any]:
        with event_reporter(self.db, context, instance.uuid, "compute_pre_live_migration",
                            self.host):
            return self.driver.pre_live_migration(instance, migrate_data)

    def live_migration(self, context: RequestContext, instance: Instance, dest: str,
                       migration: Migration, migrate_data: dict[str, Any]) -> None:
        # Nova queues the migration on a thread pool and returns: the event ends in
        # Success whatever the migration does next.
        with event_reporter(self.db, context, instance.uuid, "compute_live_migration",
                            self.host):
            migration.status = "queued"
            migration.save()
        self._do_live_migration(context, instance, dest, migration, migrate_data)

    def _do_live_migration(self, context: RequestContext, instance: Instance, dest: str,
                           migration: Migration, migrate_data: dict[str, Any]) -> None:
        migration.status = "preparing"
        migration.save()
        try:
            migrate_data = self.compute_rpcapi.pre_live_migration(
                context, instance, dest, migrate_data)
        except Exception:
            # _cleanup_pre_live_migration: "error", then the rollback's "failed".
            migration.status = "error"
            migration.save()
            self._rollback_live_migration(context, instance, dest, migration)
            raise
        migration.status = "running"
        migration.save()

        def post_method(instance: Instance, dest: str, migrate_data: dict[str, Any]) -> None:
            self._post_live_migration(context, instance, dest, migration)

        def recover_method(instance: Instance, dest: str) -> None:
            self._rollback_live_migration(context, instance, dest, migration)

        self.driver.live_migration(instance, dest, post_method, recover_method, migrate_data)

    def _post_live_migration(self, context: RequestContext, instance: Instance, dest: str,
                             migration: Migration) -> None:
        self.compute_rpcapi.post_live_migration_at_destination(
            context, instance, dest, migration)
        migration.status = "completed"
        migration.save()
        # The source allocation was held by the migration; the move is done.
        self.reportclient.delete_allocation_for_instance(context, migration.uuid)
        # "make sure we update available resources on source host even before next
        # periodic task": the only recount a live migration gets (the destination
        # does not count the instance until its own next recount).
        for nodename in self.driver.nodes:
            self.rt.update_available_resource(nodename)
        # From the source, with the source's name: the scheduler now counts the
        # server on both hosts, and the destination's own report never comes.
        self._update_scheduler_instance_info(context, [instance])

    def post_live_migration_at_destination(self, context: RequestContext, instance: Instance,
                                           migration: Migration) -> None:
        with event_reporter(self.db, context, instance.uuid,
                            "compute_post_live_migration_at_destination", self.host):
            self.driver.post_live_migration_at_destination(instance, migration.dest_node)
            instance.host = self.host
            instance.node = migration.dest_node
            instance.power_state = POWER_STATE_RUNNING
            instance.task_state = None
            instance.save(expected_task_state=["migrating"])

    def _rollback_live_migration(self, context: RequestContext, instance: Instance, dest: str,
                                 migration: Migration) -> None:
        """Give the source allocation back to the instance and end the migration as
        failed (_rollback_live_migration's migration_status)."""
        if not self.reportclient.move_allocations(context, migration.uuid, instance.uuid):
            raise exception.MigrationError(
                reason=f"unable to revert the allocation of migration {migration.uuid}")
        instance.task_state = None
        instance.save()
        migration.status = "failed"
        migration.save()
        self.compute_rpcapi.rollback_live_migration_at_destination(context, instance, dest)

    def rollback_live_migration_at_destination(self, context: RequestContext,
                                               instance: Instance) -> None:
        self.driver.instances.pop(instance.uuid, None)
