"""Host weighers (nova/scheduler/weights/): spread by free RAM, CPU and disk.

Each weigher's raw values are normalized to 0..1 across the candidate hosts
and multiplied, then summed, as nova.weights.BaseWeightHandler does. Sorting
is stable, so equal hosts keep their compute node order, as in Nova.
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
}


@dataclass
class WeighedHost:
    obj: HostState
    weight: float


def get_weighers(multipliers: dict[str, float]) -> list[tuple[RawWeigher, float]]:
    unknown = set(multipliers) - set(RAW_WEIGHERS)
    if unknown:
        raise ValueError(f"unknown weighers {sorted(unknown)}; known: {sorted(RAW_WEIGHERS)}")
    return [(RAW_WEIGHERS[name], m) for name, m in multipliers.items()]


def _normalize(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    if high == low:
        return [0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


def weigh(
    weighers: list[tuple[RawWeigher, float]], hosts: list[HostState], spec_obj: RequestSpec
) -> list[WeighedHost]:
    if not hosts:
        return []
    totals = [0.0] * len(hosts)
    for raw, multiplier in weighers:
        for i, value in enumerate(_normalize([raw(h) for h in hosts])):
            totals[i] += multiplier * value
    weighed = [WeighedHost(h, w) for h, w in zip(hosts, totals, strict=True)]
    return sorted(weighed, key=lambda w: w.weight, reverse=True)
