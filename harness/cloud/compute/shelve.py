"""The compute side of shelve, shelve offload and unshelve (nova/compute/manager.py).

Shelving powers the server off and snapshots it; with shelved_offload_time 0
(Nova's default) it is offloaded at once: its guest is destroyed, its
allocations deleted and it belongs to no host. Unshelving an offloaded server
spawns it wherever the conductor's scheduling put it.
"""

from __future__ import annotations

from harness.cloud.compute.base import ComputeBase
from harness.cloud.context import RequestContext
from harness.cloud.instance_actions import event_reporter
from harness.cloud.objects import Instance, RequestSpec
from harness.cloud.virt import POWER_STATE_RUNNING, POWER_STATE_SHUTDOWN


class ShelveMixin(ComputeBase):
    def shelve_instance(self, context: RequestContext, instance: Instance, image_id: str
                        ) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_shelve_instance",
                            self.host):
            offload = self.config.shelved_offload_time == 0
            self.driver.power_off(instance)
            instance.task_state = "shelving_image_uploading"
            instance.save(expected_task_state=["shelving"])
            self.driver.snapshot(instance, image_id)
            instance.shelved_image_id = image_id
            instance.shelved_host = self.host
            instance.vm_state = "shelved"
            instance.task_state = "shelving_offloading" if offload else None
            instance.power_state = POWER_STATE_SHUTDOWN
            instance.save(expected_task_state=["shelving_image_uploading"])
            if offload:
                self._shelve_offload_instance(context, instance)

    def shelve_offload_instance(self, context: RequestContext, instance: Instance) -> None:
        with event_reporter(self.db, context, instance.uuid,
                            "compute_shelve_offload_instance", self.host):
            self._shelve_offload_instance(context, instance)

    def _shelve_offload_instance(self, context: RequestContext, instance: Instance) -> None:
        self.driver.destroy(instance)
        self.reportclient.delete_allocation_for_instance(context, instance.uuid)
        instance.vm_state = "shelved_offloaded"
        instance.task_state = None
        # Before host and node are cleared: the tracker frees what it tracked.
        self.rt.update_usage(instance)
        instance.power_state = POWER_STATE_SHUTDOWN
        instance.host = None
        instance.node = None
        instance.availability_zone = None
        instance.save(expected_task_state=["shelving_offloading"])
        self._delete_scheduler_instance_info(context, instance.uuid)

    def unshelve_instance(self, context: RequestContext, instance: Instance, node: str,
                          request_spec: RequestSpec) -> None:
        with event_reporter(self.db, context, instance.uuid, "compute_unshelve_instance",
                            self.host):
            instance.task_state = "spawning"
            instance.save(expected_task_state=["unshelving"])
            # The instance claim: the scheduler already claimed in placement.
            instance.host = self.host
            instance.node = node
            self.rt.instance_claim(instance, node)
            self.driver.spawn(instance, node)
            instance.vm_state = "active"
            instance.task_state = None
            instance.power_state = POWER_STATE_RUNNING
            instance.shelved_image_id = None
            instance.shelved_host = None
            instance.save(expected_task_state=["spawning"])
            self._update_scheduler_instance_info(context, [instance])
