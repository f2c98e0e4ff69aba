"""The compute side of evacuate and rebuild (rebuild_instance, nova/compute/manager.py).

An evacuation (``recreate``) spawns the server on this host from its image,
claims the move here (the migration becomes "pre-migrating", then "done"),
and leaves the source allocation with the instance until the source compute
comes back. From microversion 2.95 the evacuated server ends stopped. A
rebuild spawns it again where it is.
"""

from __future__ import annotations

from harness.cloud import exception
from harness.cloud.compute import utils as compute_utils
from harness.cloud.compute.base import ComputeBase
from harness.cloud.context import RequestContext
from harness.cloud.instance_actions import event_reporter
from harness.cloud.objects import ComputeNode, Instance, Migration, RequestSpec
from harness.cloud.virt import POWER_STATE_RUNNING


class RebuildMixin(ComputeBase):
    def rebuild_instance(self, context: RequestContext, instance: Instance, node: str | None,
                         image_ref: str | None, orig_image_ref: str | None, recreate: bool,
                         migration: Migration | None, request_spec: RequestSpec,
                         target_state: str | None = None) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_rebuild_instance",
                            self.host):
            node = node or (instance.node if not recreate else next(iter(self.driver.nodes)))
            original_vm_state = instance.vm_state
            if migration is not None:
                migration.status = "pre-migrating"
                migration.dest_compute = self.host
                migration.dest_node = node
                migration.save()
            if recreate and migration is not None:
                # rebuild_claim: the evacuation is tracked here (a rebuild in place
                # claims nothing).
                self.rt.move_claim(instance, migration, node, instance.flavor)
            try:
                if recreate:
                    # The late group check; a rebuild is never rescheduled, so it fails.
                    self._validate_instance_group_policy(instance,
                                                         request_spec.scheduler_hints)
                    # _check_instance_exists: the guest must not be here already (a
                    # live migration leaves it on its source).
                    if self.driver.instance_exists(instance):
                        raise exception.InstanceExists(name=instance.uuid)
                else:
                    # _rebuild_default_impl powers the guest off before it destroys it.
                    self.driver.power_off(instance)
                    self.driver.destroy(instance)
                instance.task_state = "rebuild_spawning"
                instance.save(expected_task_state=["rebuilding"])
                self.driver.spawn(instance, node)
                instance.host = self.host
                instance.node = node
                instance.vm_state = "active"
                instance.task_state = None
                instance.power_state = POWER_STATE_RUNNING
                instance.save(expected_task_state=["rebuild_spawning"])
            except exception.InstanceNotFound as ex:
                self.trace.note(f"{type(ex).__name__}: {ex} Nova's compute takes it for a "
                                "server deleted while it was rebuilt and leaves the server "
                                "as it is, its task included")
                if migration is not None:
                    migration.status = "failed"
                    migration.save()
                return
            except Exception as ex:
                self._fail_rebuild(context, instance, migration, node, ex)
                raise
            if migration is not None:
                migration.status = "done"
                migration.save()
        if original_vm_state == "stopped" or (target_state and original_vm_state != "error"):
            instance.task_state = "powering-off"
            instance.save()
            self.stop_instance(context, instance)
        self._update_scheduler_instance_info(context, [instance])

    def _fail_rebuild(self, context: RequestContext, instance: Instance,
                      migration: Migration | None, node: str, ex: Exception) -> None:
        """rebuild_instance's generic failure: the evacuation's migration failed and the
        destination's claim is given back; _error_out_instance_on_exception leaves the
        server in ERROR with the fault."""
        if migration is not None:
            migration.status = "failed"
            migration.save()
            destination = self.db.get(ComputeNode, node)
            self.reportclient.remove_provider_tree_from_instance_allocation(
                context, instance.uuid, destination.uuid)
            # The claim's abort: drop_move_claim with the instance's flavor.
            self.rt.drop_move_claim(instance, node, instance.flavor)
        current = Instance.get_by_uuid(self.db, instance.uuid)
        current.vm_state = "error"
        current.task_state = None
        compute_utils.add_instance_fault_from_exc(current, ex)
        current.save()
