"""The scheduler (nova/scheduler/manager.py, SchedulerManager).

Same methods, same order of work as Nova: select_destinations asks placement
for allocation candidates, _schedule filters and weighs hosts for each
instance UUID and claims in placement, _ensure_sufficient_hosts raises
NoValidHost when fewer hosts were claimed than instances must be placed, and
_get_alternate_hosts builds the Selection lists.

A scheduler patch is tested by subclassing SchedulerManager and overriding
the methods it changes (see harness.cloud.scheduler.drivers).
"""

from __future__ import annotations

import collections
import random
from typing import Any

from harness.cloud import exception
from harness.cloud.conf import Config
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import RequestSpec, Selection
from harness.cloud.rpc import RPCClient, Trace
from harness.cloud.scheduler import utils
from harness.cloud.scheduler.client import SchedulerReportClient
from harness.cloud.scheduler.host_manager import HostManager, HostState
from harness.verdicts import SchedulingCall


class SchedulerManager:
    """Today's Nova scheduler: the number of hosts needed comes from instance_uuids."""

    def __init__(self, rpc: RPCClient, db: Database, config: Config, trace: Trace) -> None:
        self.db = db
        self.config = config
        self.trace = trace
        self.host_manager = HostManager(db, config)
        self.placement_client = SchedulerReportClient(rpc)
        # Seeded so that host_subset_size > 1 picks the same host on every run.
        self.random = random.Random(0)

    def update_instance_info(self, context: RequestContext, host_name: str,
                             instance_info: list[str]) -> None:
        """A compute's instances were created or changed (their UUIDs)."""
        self.host_manager.update_instance_info(host_name, instance_info)

    def delete_instance_info(self, context: RequestContext, host_name: str,
                             instance_uuid: str) -> None:
        """A compute's instance left it."""
        self.host_manager.delete_instance_info(host_name, instance_uuid)

    def select_destinations(
        self,
        context: RequestContext,
        spec_obj: RequestSpec,
        instance_uuids: list[str],
        return_objects: bool = True,
        return_alternates: bool = False,
    ) -> list[list[Selection]]:
        """Return, for each instance UUID, its claimed Selection plus alternates."""
        call = self.host_manager.call = SchedulingCall(
            len(instance_uuids or []), spec_obj.num_instances,
            alternates=return_alternates and return_objects,
            force_hosts=tuple(spec_obj.force_hosts or ()),
            ignore_hosts=tuple(spec_obj.ignore_hosts or ()))
        self.trace.note(
            f"asked to place {len(instance_uuids or [])} instance(s); "
            f"RequestSpec.num_instances={spec_obj.num_instances}",
            requested_instances=len(instance_uuids or []),
            spec_num_instances=spec_obj.num_instances,
            scheduling=call,
        )
        try:
            selections = self._find_destinations(
                context, spec_obj, instance_uuids, return_objects, return_alternates)
        except Exception as exc:
            call.error, call.error_message = type(exc).__name__, str(exc)
            raise
        finally:
            self.host_manager.call = None
        call.selections = [(s[0].service_host, tuple(a.service_host for a in s[1:]))
                           for s in selections]
        return selections

    def _find_destinations(
        self,
        context: RequestContext,
        spec_obj: RequestSpec,
        instance_uuids: list[str],
        return_objects: bool,
        return_alternates: bool,
    ) -> list[list[Selection]]:
        """select_destinations but for its record: the placement query, then _schedule
        (not Nova's _select_destinations, which only adds notifications)."""
        alloc_reqs_by_rp_uuid: dict[str, list[dict[str, Any]]] | None = None
        provider_summaries: dict[str, Any] | None = None
        allocation_request_version: str | None = None
        # A rebuild with a new image only checks the server's own host: no
        # placement query and no claim, as in Nova.
        if not utils.request_is_rebuild(spec_obj):
            request = utils.resources_from_request_spec(self.db, spec_obj)
            alloc_reqs, provider_summaries, allocation_request_version = (
                self.placement_client.get_allocation_candidates(
                    context, request.resources, in_tree=request.in_tree,
                    forbidden=request.forbidden))
            if not alloc_reqs:
                self.trace.note("placement returned no allocation candidates",
                                allocation_candidates=0)
                if self.host_manager.call is not None:
                    self.host_manager.call.no_candidates = True
                raise exception.NoValidHost(reason="")
            alloc_reqs_by_rp_uuid = collections.defaultdict(list)
            for ar in alloc_reqs:
                for rp_uuid in ar["allocations"]:
                    alloc_reqs_by_rp_uuid[rp_uuid].append(ar)

        return self._schedule(
            context, spec_obj, instance_uuids, alloc_reqs_by_rp_uuid, provider_summaries,
            allocation_request_version, return_alternates and return_objects)

    def _schedule(
        self,
        context: RequestContext,
        spec_obj: RequestSpec,
        instance_uuids: list[str] | None,
        alloc_reqs_by_rp_uuid: dict[str, list[dict[str, Any]]] | None,
        provider_summaries: dict[str, Any] | None,
        allocation_request_version: str | None = None,
        return_alternates: bool = False,
    ) -> list[list[Selection]]:
        elevated = context.elevated()
        hosts = self._get_all_host_states(elevated, spec_obj, provider_summaries)
        if alloc_reqs_by_rp_uuid is not None:
            for host in hosts:
                host.allocation_candidates = list(alloc_reqs_by_rp_uuid[host.uuid])

        num_instances = self._num_instances_to_schedule(spec_obj, instance_uuids)
        num_alts = self.config.max_attempts - 1 if return_alternates else 0

        if instance_uuids is None or alloc_reqs_by_rp_uuid is None:
            return self._legacy_find_hosts(context, num_instances, spec_obj, hosts, num_alts,
                                           instance_uuids)

        claimed_instance_uuids: list[str] = []
        claimed_hosts: list[HostState] = []
        claimed_alloc_reqs: list[dict[str, Any]] = []
        num = 0
        for num, instance_uuid in enumerate(instance_uuids):
            # The first RequestSpec of a multi-create stands for all of them;
            # point it at the instance being placed, without persisting that.
            spec_obj.instance_uuid = instance_uuid
            spec_obj.obj_reset_changes(["instance_uuid"])

            hosts = self._get_sorted_hosts(spec_obj, hosts, num)
            if not hosts:
                break

            claimed_host = None
            alloc_req: dict[str, Any] = {}
            for host in hosts:
                if not host.allocation_candidates:
                    continue
                alloc_req = host.allocation_candidates[0]
                if utils.claim_resources(elevated, self.placement_client, spec_obj,
                                         instance_uuid, alloc_req):
                    claimed_host = host
                    break
            if claimed_host is None:
                break

            claimed_instance_uuids.append(instance_uuid)
            claimed_hosts.append(claimed_host)
            claimed_alloc_reqs.append(alloc_req)
            self._consume_selected_host(claimed_host, spec_obj, instance_uuid=instance_uuid)

        self._ensure_sufficient_hosts(
            context, claimed_hosts, num_instances, claimed_instance_uuids)

        return self._get_alternate_hosts(
            claimed_hosts, spec_obj, hosts, num, num_alts, alloc_reqs_by_rp_uuid,
            allocation_request_version, claimed_alloc_reqs)

    def _legacy_find_hosts(
        self,
        context: RequestContext,
        num_instances: int,
        spec_obj: RequestSpec,
        hosts: list[HostState],
        num_alts: int,
        instance_uuids: list[str] | None = None,
    ) -> list[list[Selection]]:
        """Pick hosts without placement (a rebuild): no claims, the same host count."""
        selected_hosts: list[HostState] = []
        num = 0
        for num in range(num_instances):
            instance_uuid = instance_uuids[num] if instance_uuids else None
            if instance_uuid:
                spec_obj.instance_uuid = instance_uuid
                spec_obj.obj_reset_changes(["instance_uuid"])
            hosts = self._get_sorted_hosts(spec_obj, hosts, num)
            if not hosts:
                break
            selected_hosts.append(hosts[0])
            self._consume_selected_host(hosts[0], spec_obj, instance_uuid=instance_uuid)
        self._ensure_sufficient_hosts(context, selected_hosts, num_instances)
        return self._get_alternate_hosts(selected_hosts, spec_obj, hosts, num, num_alts)

    def _num_instances_to_schedule(
        self, spec_obj: RequestSpec, instance_uuids: list[str] | None
    ) -> int:
        """How many hosts this request must end with: the host-count decision.

        In Nova this is the expression in _schedule that bug #1718455 was
        about. RequestSpec.num_instances is the number of instances created
        together when the spec was first used to boot; it is wrong for a move
        of one of them, so the length of instance_uuids wins when given.
        """
        return len(instance_uuids) if instance_uuids else spec_obj.num_instances

    def _ensure_sufficient_hosts(
        self,
        context: RequestContext,
        hosts: list[HostState],
        required_count: int,
        claimed_uuids: list[str] | None = None,
    ) -> None:
        """Raise NoValidHost, after releasing the claims, unless every instance has a host."""
        self.trace.note(
            f"{len(hosts)} host(s) selected, {required_count} required",
            selected_hosts=len(hosts),
            required_count=required_count,
        )
        if self.host_manager.call is not None:
            self.host_manager.call.selected = len(hosts)
            self.host_manager.call.required = required_count
        if len(hosts) == required_count:
            return
        if claimed_uuids:
            self._cleanup_allocations(context, claimed_uuids)
        for host in hosts:
            host.updated = None
        raise exception.NoValidHost(reason="There are not enough hosts available.")

    def _cleanup_allocations(self, context: RequestContext, instance_uuids: list[str]) -> None:
        for uuid in instance_uuids:
            self.placement_client.delete_allocation_for_instance(context, uuid)

    @staticmethod
    def _consume_selected_host(
        selected_host: HostState, spec_obj: RequestSpec, instance_uuid: str | None = None
    ) -> None:
        selected_host.consume_from_request(spec_obj)
        if spec_obj.instance_group is not None:
            spec_obj.instance_group.hosts = [
                *(spec_obj.instance_group.hosts or []), selected_host.host]
            spec_obj.instance_group.obj_reset_changes(["hosts"])
            if instance_uuid and instance_uuid not in selected_host.instances:
                selected_host.instances[instance_uuid] = instance_uuid

    def _get_alternate_hosts(
        self,
        selected_hosts: list[HostState],
        spec_obj: RequestSpec,
        hosts: list[HostState],
        index: int,
        num_alts: int,
        alloc_reqs_by_rp_uuid: dict[str, list[dict[str, Any]]] | None = None,
        allocation_request_version: str | None = None,
        selected_alloc_reqs: list[dict[str, Any]] | None = None,
    ) -> list[list[Selection]]:
        """The claimed Selection for each instance, followed by unclaimed alternates
        (without placement, by hosts alone)."""
        if index > 0 and num_alts > 0:
            # The selected hosts consumed resources: weigh again for the alternates.
            hosts = self._get_sorted_hosts(spec_obj, hosts, index)
        selections_to_return = []
        for i, selected_host in enumerate(selected_hosts):
            alloc_req = selected_alloc_reqs[i] if alloc_reqs_by_rp_uuid else None
            selected_plus_alts = [Selection.from_host_state(
                selected_host, alloc_req, allocation_request_version)]
            for host in hosts:
                if len(selected_plus_alts) >= num_alts + 1:
                    break
                if host.cell_uuid != selected_host.cell_uuid or host in selected_hosts:
                    continue
                if alloc_reqs_by_rp_uuid is None:
                    selected_plus_alts.append(Selection.from_host_state(host))
                elif host.allocation_candidates:
                    selected_plus_alts.append(Selection.from_host_state(
                        host, host.allocation_candidates[0], allocation_request_version))
            selections_to_return.append(selected_plus_alts)
        return selections_to_return

    def _get_sorted_hosts(
        self, spec_obj: RequestSpec, host_states: list[HostState], index: int
    ) -> list[HostState]:
        """Filtered hosts, best weighed first; the first is picked among the best subset."""
        filtered_hosts = self.host_manager.get_filtered_hosts(host_states, spec_obj, index)
        if not filtered_hosts:
            return []
        weighed_hosts = [
            w.obj for w in self.host_manager.get_weighed_hosts(filtered_hosts, spec_obj)]
        chosen_host = self.random.choice(weighed_hosts[: self.config.host_subset_size])
        weighed_hosts.remove(chosen_host)
        return [chosen_host, *weighed_hosts]

    def _get_all_host_states(
        self, context: RequestContext, spec_obj: RequestSpec,
        provider_summaries: dict[str, Any] | None
    ) -> list[HostState]:
        """The hosts placement offered; every host when placement was not asked."""
        compute_uuids = None if provider_summaries is None else list(provider_summaries)
        states = list(self.host_manager.get_host_states_by_uuids(
            context, compute_uuids, spec_obj))
        if self.host_manager.call is not None:
            self.host_manager.call.offered = tuple(s.host for s in states)
            self.host_manager.call.placement = compute_uuids is not None
        return states
