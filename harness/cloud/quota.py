"""Nova's counted quotas (nova/quota.py with the default DbQuotaDriver, usage
counted from the database): a request that would take a project past a limit of
nova.conf's [quota] group (``Config.quota``) is refused before anything is created. Usage is
counted, when a request asks, from what exists: the project's servers (each with
the vCPUs and RAM of its flavor, the new one once a resize has finished) and its
server groups; a group's members are counted per group.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.cloud import exception
from harness.cloud.db import Database
from harness.cloud.objects import Flavor, Instance, InstanceGroup


def usages(db: Database, project_id: str) -> dict[str, int]:
    """_instances_cores_ram_count_legacy and _server_group_count."""
    instances = db.query(Instance, project_id=project_id)
    return {"instances": len(instances),
            "cores": sum(i.flavor.vcpus for i in instances),
            "ram": sum(i.flavor.memory_mb for i in instances),
            "server_groups": len(db.query(InstanceGroup, project_id=project_id))}


def check_deltas(limits: Mapping[str, int], usage: Mapping[str, int],
                 deltas: Mapping[str, int]) -> None:
    """Quotas.check_deltas: OverQuota naming every resource the deltas take past
    its limit, with the limits and the usage it was counted against."""
    overs = sorted(resource for resource, delta in deltas.items()
                   if 0 <= limits[resource] < usage[resource] + delta)
    if overs:
        raise exception.OverQuota(overs=overs, quotas=dict(limits), usages=dict(usage))


def check_num_instances_quota(db: Database, limits: Mapping[str, int], project_id: str,
                              flavor: Flavor, min_count: int, max_count: int) -> int:
    """compute_utils.check_num_instances_quota: how many of ``max_count`` servers the
    project may create, at least ``min_count``, or TooManyInstances."""
    usage = usages(db, project_id)
    deltas = {"instances": max_count, "cores": max_count * flavor.vcpus,
              "ram": max_count * flavor.memory_mb}
    try:
        check_deltas(limits, usage, deltas)
    except exception.OverQuota as exc:
        overs = exc.kwargs["overs"]
        headroom = _headroom(limits, usage, deltas)
        allowed = headroom["instances"]
        if flavor.vcpus:
            allowed = min(allowed, headroom["cores"] // flavor.vcpus)
        if flavor.memory_mb:
            allowed = min(allowed, headroom["ram"] // flavor.memory_mb)
        if allowed > 0 and min_count <= allowed <= max_count:
            return check_num_instances_quota(db, limits, project_id, flavor, min_count,
                                             allowed)
        requested = {"instances": str(min_count) if min_count == max_count
                     else f"{min_count}-{max_count}",
                     "cores": deltas["cores"], "ram": deltas["ram"]}
        raise _too_many(overs, requested, limits, headroom) from None
    return max_count


def check_server_group_members(db: Database, limits: Mapping[str, int],
                                group: InstanceGroup, user_id: str) -> None:
    """One more member for ``group``: its members are counted per user, from the
    group as the request holds it (with the servers the request added so far)."""
    members = [i for i in db.query(Instance, user_id=user_id)
               if i.uuid in group.members]  # type: ignore[operator]
    check_deltas(limits, {"server_group_members": len(members)},
                 {"server_group_members": 1})


def check_server_groups(db: Database, limits: Mapping[str, int], project_id: str) -> None:
    check_deltas(limits, usages(db, project_id), {"server_groups": 1})


def check_upsize(db: Database, limits: Mapping[str, int], project_id: str,
                 current: Flavor, new: Flavor) -> None:
    """API._check_quota_for_upsize: only what the new flavor adds is counted."""
    deltas = {resource: grown for resource, grown in (
        ("cores", new.vcpus - current.vcpus), ("ram", new.memory_mb - current.memory_mb))
        if grown > 0}
    if not deltas:
        return
    usage = usages(db, project_id)
    try:
        check_deltas(limits, usage, deltas)
    except exception.OverQuota as exc:
        raise _too_many(exc.kwargs["overs"], deltas, limits,
                        _headroom(limits, usage, deltas)) from None


def _headroom(limits: Mapping[str, int], usage: Mapping[str, int],
              deltas: Mapping[str, int]) -> dict[str, int]:
    """compute_utils.get_headroom, for the instance resources."""
    headroom = {r: limits[r] - usage[r] for r in ("instances", "cores", "ram")}
    for resource in ("cores", "ram"):
        if limits[resource] == -1:
            headroom[resource] = (headroom["instances"] * deltas[resource]
                                  // deltas.get("instances", 1)
                                  if deltas.get(resource) else headroom["instances"])
    return headroom


def _too_many(overs: list[str], requested: Mapping[str, object], limits: Mapping[str, int],
              headroom: Mapping[str, int]) -> exception.TooManyInstances:
    """get_over_quota_detail: requested, used and allowed, listed as the overs are."""
    return exception.TooManyInstances(
        overs=", ".join(overs),
        req=", ".join(str(requested[r]) for r in overs),
        used=", ".join(str(limits[r] - headroom[r]) for r in overs),
        allowed=", ".join(str(limits[r]) for r in overs))
