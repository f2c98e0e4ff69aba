"""The compute side of a cold migration or resize (nova/compute/manager.py).

prep_resize on the destination (claims, or hands the move back to the
conductor to try an alternate), resize_instance on the source (the server
now belongs to the destination), finish_resize on the destination (the new
flavor; the server waits in VERIFY_RESIZE). Then confirm_resize on the
source drops the source allocation the migration held, or revert_resize on
the destination and finish_revert_resize on the source give it back.
"""

from __future__ import annotations

from typing import Any

from harness.cloud import exception
from harness.cloud.compute import utils as compute_utils
from harness.cloud.compute.base import ComputeBase
from harness.cloud.context import RequestContext
from harness.cloud.instance_actions import event_reporter
from harness.cloud.objects import Flavor, Instance, Migration, RequestSpec, Selection
from harness.cloud.virt import POWER_STATE_RUNNING, POWER_STATE_SHUTDOWN


class ResizeMixin(ComputeBase):
    def prep_resize(self, context: RequestContext, instance: Instance, flavor: Flavor,
                    migration: Migration, request_spec: RequestSpec,
                    filter_properties: dict[str, Any], node: str,
                    host_list: list[Selection] | None) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_prep_resize", self.host):
            try:
                # Before the claim: a policy broken here is a reason to try an alternate.
                self._validate_instance_group_policy(instance, request_spec.scheduler_hints)
                self._prep_resize(context, instance, flavor, migration, request_spec, node)
            except Exception as ex:
                # _revert_allocation: the instance holds its source allocation again.
                self.reportclient.move_allocations(context, migration.uuid, instance.uuid)
                try:
                    self._reschedule_resize_or_reraise(
                        context, instance, ex, flavor, request_spec, filter_properties,
                        host_list)
                except Exception as failed:
                    self._fail_prep_resize(instance, migration, failed)
                    raise

    def _prep_resize(self, context: RequestContext, instance: Instance, flavor: Flavor,
                     migration: Migration, request_spec: RequestSpec, node: str) -> None:
        if (instance.host == self.host and flavor.id == instance.flavor.id
                and not self.driver.supports_migrate_to_same_host):
            raise exception.InstanceFaultRollback(exception.UnableToMigrateToSelf(
                instance_id=instance.uuid, host=self.host))
        instance.new_flavor = flavor
        instance.old_vm_state = instance.vm_state
        instance.save()
        # The resource tracker's move claim: the destination of record is here.
        migration.dest_compute = self.host
        migration.dest_node = node
        migration.save()
        self.rt.move_claim(instance, migration, node, flavor)
        self.compute_rpcapi.resize_instance(context, instance, migration, flavor, request_spec)

    def _reschedule_resize_or_reraise(
        self, context: RequestContext, instance: Instance, ex: Exception, flavor: Flavor,
        request_spec: RequestSpec, filter_properties: dict[str, Any],
        host_list: list[Selection] | None,
    ) -> None:
        """Ask the conductor to try the alternates; the original error if it cannot."""
        if not filter_properties.get("retry"):
            raise ex
        instance.task_state = "resize_prep"
        instance.save()
        try:
            self.compute_task_api.resize_instance(
                context, instance, {"filter_properties": filter_properties}, flavor,
                request_spec, host_list=host_list or [])
        except Exception:
            raise ex from None

    def _fail_prep_resize(self, instance: Instance, migration: Migration,
                          ex: Exception) -> None:
        # A reschedule may have changed the server since this message was sent.
        self._fail_move(Instance.get_by_uuid(self.db, instance.uuid), migration, ex)

    def _fail_move(self, instance: Instance, migration: Migration, ex: Exception) -> None:
        """errors_out_migration, _error_out_instance_on_exception and
        reverts_task_state: the migration ends in error; the server keeps its state
        only when the step rolled back cleanly, and has no task left."""
        migration.status = "error"
        migration.save()
        if isinstance(ex, exception.InstanceFaultRollback):
            ex = ex.inner_exception
        else:
            instance.vm_state = "error"
        instance.task_state = None
        compute_utils.add_instance_fault_from_exc(instance, ex)
        instance.save()
        self._update_resource_tracker(instance)

    def resize_instance(self, context: RequestContext, instance: Instance,
                        migration: Migration, flavor: Flavor, request_spec: RequestSpec
                        ) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_resize_instance",
                            self.host):
            migration.status = "migrating"
            migration.save()
            instance.task_state = "resize_migrating"
            instance.save(expected_task_state=["resize_prep"])
            try:
                self.driver.migrate_disk_and_power_off(instance, migration.dest_compute or "")
            except Exception as ex:
                self._fail_move(instance, migration, ex)
                # _revert_allocation: the instance holds its source allocation again.
                self.reportclient.move_allocations(context, migration.uuid, instance.uuid)
                raise
            migration.status = "post-migrating"
            migration.save()
            instance.old_flavor = instance.flavor
            instance.host = migration.dest_compute
            instance.node = migration.dest_node
            instance.task_state = "resize_migrated"
            instance.save(expected_task_state=["resize_migrating"])
            self.compute_rpcapi.finish_resize(context, instance, migration,
                                              migration.dest_compute or "")

    def finish_resize(self, context: RequestContext, instance: Instance,
                      migration: Migration) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_finish_resize",
                            self.host):
            old_flavor = instance.flavor
            instance.flavor = instance.new_flavor or instance.flavor
            instance.task_state = "resize_finish"
            instance.save(expected_task_state=["resize_migrated"])
            try:
                self.driver.finish_migration(instance, migration.dest_node or "")
            except Exception as ex:
                # The server stays here, where the source sent it, with its old flavor
                # and only this host's allocation: a hard reboot may recover it.
                instance.flavor = old_flavor
                self._fail_move(instance, migration, ex)
                self.reportclient.delete_allocation_for_instance(context, migration.uuid)
                raise
            migration.status = "finished"
            migration.save()
            instance.vm_state = "resized"
            instance.task_state = None
            instance.power_state = (POWER_STATE_SHUTDOWN if instance.old_vm_state == "stopped"
                                    else POWER_STATE_RUNNING)
            instance.save(expected_task_state=["resize_finish"])
            self._update_scheduler_instance_info(context, [instance])

    def confirm_resize(self, context: RequestContext, instance: Instance,
                       migration: Migration) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_confirm_resize",
                            self.host):
            self.driver.confirm_migration(
                instance, same_host=migration.source_node == migration.dest_node)
            migration.status = "confirmed"
            migration.save()
            # drop_move_claim_at_source: the old flavor comes off the source's usage.
            self.rt.drop_move_claim(instance, migration.source_node, instance.old_flavor)
            # The source allocation the migration held is no longer needed.
            self.reportclient.delete_allocation_for_instance(context, migration.uuid)
            # Even when the source is the destination too (a resize to the same
            # host): the scheduler then sees the server nowhere.
            self._delete_scheduler_instance_info(context, instance.uuid)
            instance.old_flavor = None
            instance.new_flavor = None
            instance.old_vm_state = None
            # What the server is now, whatever it was before the move.
            instance.vm_state = ("stopped" if instance.power_state == POWER_STATE_SHUTDOWN
                                 else "active")
            instance.task_state = None
            instance.save()

    def revert_resize(self, context: RequestContext, instance: Instance,
                      migration: Migration, request_spec: RequestSpec) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_revert_resize",
                            self.host):
            self.driver.destroy(instance)
            migration.status = "reverted"
            migration.save()
            # drop_move_claim_at_dest: the new flavor comes off the destination's usage.
            self.rt.drop_move_claim(instance, migration.dest_node, instance.new_flavor)
            self.compute_rpcapi.finish_revert_resize(context, instance, migration,
                                                     migration.source_compute or "")

    def finish_revert_resize(self, context: RequestContext, instance: Instance,
                             migration: Migration) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_finish_revert_resize",
                            self.host):
            instance.host = migration.source_compute
            instance.node = migration.source_node
            instance.flavor = instance.old_flavor or instance.flavor
            instance.old_flavor = None
            instance.new_flavor = None
            self.driver.finish_revert_migration(instance, migration.source_node or "")
            # The source allocation goes back to the instance, replacing the destination's.
            self.reportclient.move_allocations(context, migration.uuid, instance.uuid)
            power_on = instance.old_vm_state != "stopped"
            instance.old_vm_state = None
            instance.power_state = POWER_STATE_RUNNING
            instance.save(expected_task_state=["resize_reverting"])
            # Back to the state the server was in before the resize.
            if power_on:
                instance.vm_state = "active"
                instance.task_state = None
                instance.save()
            else:
                instance.task_state = "powering-off"
                instance.save()
                self.stop_instance(context, instance)
