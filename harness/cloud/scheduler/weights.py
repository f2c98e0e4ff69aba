"""Host weighers (nova/scheduler/weights/): free RAM, CPU and disk, and I/O operations.

Each weigher's raw values are normalized to 0..1 across the candidate hosts and
multiplied, then summed, as nova.weights.BaseWeightHandler does: from the
weigher's ``minval`` (0 for all of these, so a host is weighed against an empty
one, not against the worst candidate) to the largest value. Sorting is stable,
so equal hosts keep their compute node order, as in Nova.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.cloud.objects import RequestSpec

if TYPE_CHECKING:
    from harness.cloud.scheduler.host_manager import HostState

RawWeigher = Callable[["HostState"], float]

RAW_WEIGHERS: dict[str, RawWeigher] = {
    "RAMWeigher": lambda h: h.free_ram_mb,
    "CPUWeigher": lambda h: h.vcpus_total * h.cpu_allocation_ratio - h.vcpus_used,
    "DiskWeigher": lambda h: h.free_disk_mb,
    "IoOpsWeigher": lambda h: h.num_io_ops,
}
# The minval of each weigher class in Nova.
MINVAL = 0.0


@dataclass
class WeighedHost:
    obj: HostState
    weight: float


def get_weighers(multipliers: dict[str, float]) -> list[tuple[RawWeigher, float]]:
    unknown = set(multipliers) - set(RAW_WEIGHERS)
    if unknown:
        raise ValueError(f"unknown weighers {sorted(unknown)}; known: {sorted(RAW_WEIGHERS)}")
    return [(RAW_WEIGHERS[name], m) for name, m in multipliers.items()]


def normalize(values: list[float], minval: float = MINVAL) -> list[float]:
    """nova.weights.normalize with a fixed minval; all equal (to it) is all 0."""
    maxval = max(values)
    if maxval == minval:
        return [0.0 for _ in values]
    return [(v - minval) / (maxval - minval) for v in values]


def weigh(
    weighers: list[tuple[RawWeigher, float]], hosts: list[HostState], spec_obj: RequestSpec
) -> list[WeighedHost]:
    if not hosts:
        return []
    totals = [0.0] * len(hosts)
    for raw, multiplier in weighers:
        for i, value in enumerate(normalize([raw(h) for h in hosts])):
            totals[i] += multiplier * value
    weighed = [WeighedHost(h, w) for h, w in zip(hosts, totals, strict=True)]
    return sorted(weighed, key=lambda w: w.weight, reverse=True)
