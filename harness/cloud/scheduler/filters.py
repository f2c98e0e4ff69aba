"""Host filters (nova/scheduler/filters/).

Resources are not filtered here: as in Nova since Stein, placement only offers
allocation candidates for hosts where the request fits, and the claim in
placement is the final word.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from harness.cloud.objects import InstanceGroup, RequestSpec
from harness.cloud.scheduler.utils import request_is_rebuild
from harness.verdicts import SERVICE_DISABLED, SERVICE_DOWN

if TYPE_CHECKING:
    from harness.cloud.scheduler.host_manager import HostState


class BaseHostFilter:
    # Whether the filter also checks a rebuild with a new image (the host stays).
    RUN_ON_REBUILD = False
    # A filter whose answer cannot change within a request runs for its first
    # instance only, as in Nova (nova.filters.BaseFilter.run_filter_for_index).
    run_filter_once_per_request = False

    def host_passes(self, host_state: HostState, spec_obj: RequestSpec) -> bool:
        raise NotImplementedError

    def reason(self, host_state: HostState, spec_obj: RequestSpec) -> str | None:
        """Why host_passes refused the host, as Nova's filter logs it (in
        harness.verdicts' words); None where Nova's logs no reason."""
        return None

    def counted(self, host_state: HostState, spec_obj: RequestSpec) -> tuple[str, ...] | None:
        """The group members a group filter counted on a host it refused (None for
        other filters), for harness.verdicts."""
        return None

    def run_filter_for_index(self, index: int) -> bool:
        return not (self.run_filter_once_per_request and index > 0)

    def filter_all(self, hosts: Iterable[HostState], spec_obj: RequestSpec) -> list[HostState]:
        if not self.RUN_ON_REBUILD and request_is_rebuild(spec_obj):
            return list(hosts)
        return [h for h in hosts if self.host_passes(h, spec_obj)]


class ComputeFilter(BaseHostFilter):
    """Only hosts whose compute service is up and enabled."""

    run_filter_once_per_request = True

    def host_passes(self, host_state: HostState, spec_obj: RequestSpec) -> bool:
        return host_state.service_up and not host_state.service_disabled

    def reason(self, host_state: HostState, spec_obj: RequestSpec) -> str | None:
        # Nova checks (and logs) disabled before down.
        return SERVICE_DISABLED if host_state.service_disabled else SERVICE_DOWN


class ComputeCapabilitiesFilter(BaseHostFilter):
    """Hosts whose capabilities satisfy the flavor's extra specs. The harness's
    flavors have none, so every host passes, as in Nova; it is here so that the
    filters run, and show in a trace, as Nova's default list has them."""

    run_filter_once_per_request = True

    def host_passes(self, host_state: HostState, spec_obj: RequestSpec) -> bool:
        return True


class ImagePropertiesFilter(BaseHostFilter):
    """Hosts that support the image's architecture, hypervisor type and mode. The
    harness's images have no such properties, so every host passes, as in Nova."""

    RUN_ON_REBUILD = True
    run_filter_once_per_request = True

    def host_passes(self, host_state: HostState, spec_obj: RequestSpec) -> bool:
        return True


class ServerGroupAntiAffinityFilter(BaseHostFilter):
    """Fewer of the anti-affinity group's members on the host than the group's
    max_server_per_host (1 by default); the server itself does not count (a move
    may keep it on its host)."""

    def host_passes(self, host_state: HostState, spec_obj: RequestSpec) -> bool:
        group = spec_obj.instance_group
        if group is None or group.policy != "anti-affinity":
            return True
        if spec_obj.instance_uuid in host_state.instances:
            return True
        return len(self._members_on(host_state, group)) < int(
            group.rules.get("max_server_per_host", 1))

    def counted(self, host_state: HostState, spec_obj: RequestSpec) -> tuple[str, ...] | None:
        group = spec_obj.instance_group
        return tuple(sorted(self._members_on(host_state, group))) if group else None

    @staticmethod
    def _members_on(host_state: HostState, group: InstanceGroup) -> set[str]:
        return set(host_state.instances) & set(group.members or ())


class ServerGroupAffinityFilter(BaseHostFilter):
    """Only the hosts the affinity group's members are on, once it has any."""

    def host_passes(self, host_state: HostState, spec_obj: RequestSpec) -> bool:
        group = spec_obj.instance_group
        if group is None or group.policy != "affinity":
            return True
        return host_state.host in group.hosts if group.hosts else True


FILTERS: dict[str, type[BaseHostFilter]] = {
    cls.__name__: cls for cls in (ComputeFilter, ComputeCapabilitiesFilter,
                                  ImagePropertiesFilter, ServerGroupAntiAffinityFilter,
                                  ServerGroupAffinityFilter)
}


def get_filter(name: str) -> BaseHostFilter:
    try:
        return FILTERS[name]()
    except KeyError:
        raise ValueError(
            f"unknown filter {name!r}; the fake cloud has: {', '.join(sorted(FILTERS))}"
        ) from None
