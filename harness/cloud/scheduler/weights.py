"""Host weighers (nova/scheduler/weights/): free RAM, CPU and disk, I/O operations,
and the soft server-group policies.

Each weigher's raw values are normalized to 0..1 across the candidate hosts and
multiplied, then summed, as nova.weights.BaseWeightHandler does: from the
weigher's ``minval`` (0 for the resource weighers, so a host is weighed against
an empty one, not against the worst candidate; none for the group weighers) to
the largest value. Sorting is stable, so equal hosts keep their compute node
order, as in Nova.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.cloud.objects import RequestSpec

if TYPE_CHECKING:
    from harness.cloud.scheduler.host_manager import HostState

RawWeigher = Callable[["HostState", RequestSpec], float]


def _group_members_on_host(policy: str) -> RawWeigher:
    """The soft (anti-)affinity weighers: how many of the group's members the host has."""
    def weigh(host: HostState, spec_obj: RequestSpec) -> float:
        group = spec_obj.instance_group
        if group is None or group.policy != policy:
            return 0
        return len(set(host.instances) & set(group.members or ()))
    return weigh


_soft_anti_affinity = _group_members_on_host("soft-anti-affinity")

# name -> (raw value, minval): Nova normalizes from minval (None: the smallest value).
RAW_WEIGHERS: dict[str, tuple[RawWeigher, float | None]] = {
    "RAMWeigher": (lambda h, s: h.free_ram_mb, 0.0),
    "CPUWeigher": (lambda h, s: h.vcpus_total * h.cpu_allocation_ratio - h.vcpus_used, 0.0),
    "DiskWeigher": (lambda h, s: h.free_disk_mb, 0.0),
    "IoOpsWeigher": (lambda h, s: h.num_io_ops, 0.0),
    "ServerGroupSoftAffinityWeigher": (_group_members_on_host("soft-affinity"), None),
    "ServerGroupSoftAntiAffinityWeigher": (lambda h, s: -_soft_anti_affinity(h, s), None),
}

# nova.conf's [filter_scheduler] option for each weigher's multiplier.
MULTIPLIER_OPTIONS: dict[str, str] = {
    "ram_weight_multiplier": "RAMWeigher",
    "cpu_weight_multiplier": "CPUWeigher",
    "disk_weight_multiplier": "DiskWeigher",
    "io_ops_weight_multiplier": "IoOpsWeigher",
    "soft_affinity_weight_multiplier": "ServerGroupSoftAffinityWeigher",
    "soft_anti_affinity_weight_multiplier": "ServerGroupSoftAntiAffinityWeigher",
}


@dataclass
class WeighedHost:
    obj: HostState
    weight: float
    # Each weigher's share of the weight (multiplier * normalized value), by name,
    # those not 0: what a trace shows.
    scores: dict[str, float] = field(default_factory=dict)


# A weigher as configured: its name, raw value, minval and multiplier.
Weigher = tuple[str, RawWeigher, float | None, float]


def get_weighers(multipliers: dict[str, float]) -> list[Weigher]:
    unknown = set(multipliers) - set(RAW_WEIGHERS)
    if unknown:
        raise ValueError(f"unknown weighers {sorted(unknown)}; known: {sorted(RAW_WEIGHERS)}")
    return [(name, *RAW_WEIGHERS[name], m) for name, m in multipliers.items()]


def normalize(values: list[float], minval: float | None = 0.0) -> list[float]:
    """nova.weights.normalize: from minval (or the smallest value) to the largest;
    all equal is all 0."""
    maxval = max(values)
    low = min(values) if minval is None else minval
    if maxval == low:
        return [0.0 for _ in values]
    return [(v - low) / (maxval - low) for v in values]


def weigh(weighers: list[Weigher], hosts: list[HostState], spec_obj: RequestSpec
          ) -> list[WeighedHost]:
    weighed = [WeighedHost(h, 0.0) for h in hosts]
    # Nova's BaseWeightHandler does not weigh a lone host: its weight stays 0.
    if len(weighed) <= 1:
        return weighed
    for name, raw, minval, multiplier in weighers:
        values = [raw(h, spec_obj) for h in hosts]
        if minval is not None:
            # nova.weights.BaseWeigher.weigh_objects: no value below minval, so a
            # host whose free disk went negative weighs as an empty one.
            values = [max(v, minval) for v in values]
        values = normalize(values, minval)
        for host, value in zip(weighed, values, strict=True):
            score = multiplier * value
            host.weight += score
            if score:
                host.scores[name] = score
    return sorted(weighed, key=lambda w: w.weight, reverse=True)
