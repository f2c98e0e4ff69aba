"""Scheduler plug-ins used by the gate tests, written as a user would write one."""

from harness.cloud import exception
from harness.cloud.scheduler.manager import SchedulerManager


class PikeStyleCheck(SchedulerManager):
    """A patch that re-adds Pike's check in select_destinations, where it was in 16.0.0:
    hosts selected compared with the persisted RequestSpec.num_instances."""

    def select_destinations(self, context, spec_obj, instance_uuids, return_objects=True,
                            return_alternates=False):
        selections = super().select_destinations(
            context, spec_obj, instance_uuids, return_objects, return_alternates)
        if len(selections) < spec_obj.num_instances:
            raise exception.NoValidHost(reason="There are not enough hosts available.")
        return selections


class Broken(SchedulerManager):
    """A patch with a plain Python bug: the harness must say it is not a Nova error."""

    def _get_sorted_hosts(self, spec_obj, host_states, index):
        return host_states.sort_by_weight()


NOT_A_SCHEDULER = object()


class IgnoresIgnoreHosts(SchedulerManager):
    """A patch that drops ignore_hosts: the live-migration retry loop never ends."""

    def _get_sorted_hosts(self, spec_obj, host_states, index):
        spec_obj.ignore_hosts = None
        return super()._get_sorted_hosts(spec_obj, host_states, index)
