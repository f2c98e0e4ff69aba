"""Configuration of the fake cloud: the nova.conf options its services read.

Passed explicitly to every service instead of a global CONF, so that two
clouds in one process (tests in parallel) never see each other's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# [quota] defaults: the limits of a project; -1 is unlimited.
DEFAULT_QUOTA: Mapping[str, int] = {
    "instances": 10, "cores": 20, "ram": 50 * 1024,
    "server_groups": 10, "server_group_members": 10,
}


@dataclass(frozen=True)
class Config:
    # [scheduler] max_attempts: one selected host plus max_attempts - 1 alternates.
    max_attempts: int = 3
    # [DEFAULT] migrate_max_retries: -1 retries live migration until no host is left.
    migrate_max_retries: int = -1
    # [filter_scheduler] host_subset_size
    host_subset_size: int = 1
    # [filter_scheduler] enabled_filters: Nova's defaults
    enabled_filters: tuple[str, ...] = ("ComputeFilter", "ComputeCapabilitiesFilter",
                                        "ImagePropertiesFilter",
                                        "ServerGroupAntiAffinityFilter",
                                        "ServerGroupAffinityFilter")
    # [DEFAULT] allow_resize_to_same_host: a resize may keep the server on its host.
    allow_resize_to_same_host: bool = False
    # [workarounds] disable_group_policy_check_upcall: the compute's late check that a
    # build keeps its server group's policy (and reschedules it if not) is skipped.
    disable_group_policy_check_upcall: bool = False
    # [DEFAULT] shelved_offload_time: 0 offloads a server as soon as it is shelved;
    # -1 never (the fake cloud has no periodic task for positive values).
    shelved_offload_time: int = 0
    # Not Nova's: take equally weighed hosts in reverse compute node UUID order. Nova's
    # order is random (UUIDs are), so a run with it reversed shows whether an outcome
    # depends on how a tie breaks.
    reverse_host_order: bool = False
    # [quota] instances, cores, ram, server_groups, server_group_members
    quota: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_QUOTA))
    # [filter_scheduler] *_weight_multiplier; 1.0 spreads, negative values stack.
    weight_multipliers: dict[str, float] = field(
        default_factory=lambda: {"RAMWeigher": 1.0, "CPUWeigher": 1.0, "DiskWeigher": 1.0,
                                 "IoOpsWeigher": -1.0, "ServerGroupSoftAffinityWeigher": 1.0,
                                 "ServerGroupSoftAntiAffinityWeigher": 1.0}
    )
