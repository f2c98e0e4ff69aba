"""The fake placement service: capacity, candidates, all-or-nothing writes, moves."""

import pytest

from harness.cloud import exception
from harness.cloud.placement import (
    AllocationConflict,
    ConsumerGenerationConflict,
    Inventory,
    PlacementService,
)
from tests.unit.cloud.helpers import placement_state


def make_placement(*names: str) -> PlacementService:
    """Providers rp-<name>: 4 VCPU at ratio 2.0 (8 usable, and one consumer may take
    all 8) and 2048 MB with 512 reserved."""
    placement = PlacementService()
    for name in names or ("host1",):
        placement.create_resource_provider(f"rp-{name}", name)
        placement.set_inventory(f"rp-{name}", {
            "VCPU": Inventory(total=4, allocation_ratio=2.0, max_unit=8),
            "MEMORY_MB": Inventory(total=2048, reserved=512),
        })
    return placement


def put(placement: PlacementService, consumer: str, generation: int | None = None,
        **by_rp: dict[str, int]) -> None:
    placement.put_allocations(consumer, {rp: {"resources": r} for rp, r in by_rp.items()},
                              "project", "user", generation)


def test_capacity_honours_reserved_and_allocation_ratio():
    assert Inventory(total=2048, reserved=512).capacity == 1536
    assert Inventory(total=4, allocation_ratio=2.0).capacity == 8
    assert Inventory(total=10, reserved=1, allocation_ratio=1.5).capacity == 13


def test_a_put_within_capacity_creates_the_consumer_at_generation_one():
    placement = make_placement()
    put(placement, "c1", **{"rp-host1": {"VCPU": 8, "MEMORY_MB": 1536}})
    assert placement.get_allocations_for_consumer("c1") == {
        "allocations": {"rp-host1": {"resources": {"VCPU": 8, "MEMORY_MB": 1536}}},
        "consumer_generation": 1, "project_id": "project", "user_id": "user"}
    assert placement.get_usages("rp-host1") == {"VCPU": 8, "MEMORY_MB": 1536}


def test_a_put_over_capacity_is_refused_and_changes_nothing():
    placement = make_placement()
    put(placement, "c1", **{"rp-host1": {"MEMORY_MB": 1024}})
    before = placement_state(placement)
    with pytest.raises(AllocationConflict, match="MEMORY_MB"):
        put(placement, "c2", **{"rp-host1": {"MEMORY_MB": 513}})
    assert placement_state(placement) == before


def test_a_put_over_the_reserved_amount_is_refused():
    placement = make_placement()
    with pytest.raises(AllocationConflict):
        put(placement, "c1", **{"rp-host1": {"MEMORY_MB": 2048}})
    assert placement.consumers == {}


def test_a_put_is_all_or_nothing_across_providers():
    placement = make_placement("host1", "host2")
    put(placement, "c1", **{"rp-host2": {"VCPU": 8}})
    before = placement_state(placement)
    with pytest.raises(AllocationConflict):
        put(placement, "c2", **{"rp-host1": {"VCPU": 1}, "rp-host2": {"VCPU": 1}})
    assert placement_state(placement) == before


def test_a_put_for_a_class_the_provider_lacks_is_refused():
    placement = make_placement()
    with pytest.raises(AllocationConflict, match="DISK_GB"):
        put(placement, "c1", **{"rp-host1": {"DISK_GB": 1}})
    assert placement.consumers == {}


def test_a_put_over_max_unit_is_refused_and_changes_nothing():
    # Placement refuses an allocation outside min_unit/max_unit/step_size
    # (InvalidAllocationConstraintsViolated), whether or not it came from candidates.
    placement = PlacementService()
    placement.create_resource_provider("rp-host1", "host1")
    placement.set_inventory("rp-host1", {"VCPU": Inventory(total=4, max_unit=2)})
    before = placement_state(placement)
    with pytest.raises(exception.NovaException):
        put(placement, "c1", **{"rp-host1": {"VCPU": 3}})
    assert placement_state(placement) == before


def test_a_put_with_a_stale_consumer_generation_is_refused_and_changes_nothing():
    placement = make_placement()
    put(placement, "c1", **{"rp-host1": {"VCPU": 1}})
    put(placement, "c1", 1, **{"rp-host1": {"VCPU": 2}})
    before = placement_state(placement)
    with pytest.raises(ConsumerGenerationConflict, match="expected 1, placement has 2"):
        put(placement, "c1", 1, **{"rp-host1": {"VCPU": 3}})
    assert placement_state(placement) == before


def test_a_new_consumer_must_be_written_without_a_generation():
    placement = make_placement()
    with pytest.raises(ConsumerGenerationConflict):
        put(placement, "c1", 0, **{"rp-host1": {"VCPU": 1}})
    put(placement, "c1", None, **{"rp-host1": {"VCPU": 1}})
    with pytest.raises(ConsumerGenerationConflict):
        put(placement, "c1", None, **{"rp-host1": {"VCPU": 1}})


def test_a_put_replaces_the_consumers_allocations_and_bumps_its_generation():
    placement = make_placement("host1", "host2")
    put(placement, "c1", **{"rp-host1": {"VCPU": 8}})
    put(placement, "c1", 1, **{"rp-host2": {"VCPU": 8}})
    assert placement.get_usages("rp-host1") == {"VCPU": 0, "MEMORY_MB": 0}
    assert placement.get_allocations_for_consumer("c1")["consumer_generation"] == 2


def test_a_put_of_nothing_removes_the_consumer():
    placement = make_placement()
    put(placement, "c1", **{"rp-host1": {"VCPU": 1}})
    put(placement, "c1", 1)
    assert placement.get_allocations_for_consumer("c1") == {
        "allocations": {}, "consumer_generation": None}


def test_candidates_exclude_full_providers():
    placement = make_placement("host1", "host2")
    put(placement, "c1", **{"rp-host1": {"MEMORY_MB": 1500}})
    alloc_reqs, summaries, _ = placement.get_allocation_candidates({"MEMORY_MB": 100})
    assert [list(ar["allocations"]) for ar in alloc_reqs] == [["rp-host2"]]
    assert list(summaries) == ["rp-host2"]


def test_candidates_count_allocation_ratio_and_reserved():
    placement = make_placement()
    fits, _, _ = placement.get_allocation_candidates({"VCPU": 4, "MEMORY_MB": 1536})
    too_much_ram, _, _ = placement.get_allocation_candidates({"MEMORY_MB": 1537})
    assert len(fits) == 1 and too_much_ram == []


def test_candidates_respect_max_unit_and_missing_classes():
    placement = make_placement()
    placement.set_inventory("rp-host1", {"VCPU": Inventory(total=4, allocation_ratio=2.0)})
    assert placement.get_allocation_candidates({"VCPU": 5})[0] == []  # max_unit = total
    assert placement.get_allocation_candidates({"DISK_GB": 1})[0] == []


def test_candidates_in_tree_are_limited_to_that_provider():
    placement = make_placement("host1", "host2")
    alloc_reqs, summaries, _ = placement.get_allocation_candidates({"VCPU": 1},
                                                                   in_tree="rp-host2")
    assert [list(ar["allocations"]) for ar in alloc_reqs] == [["rp-host2"]]
    assert summaries["rp-host2"]["resources"]["VCPU"] == {"capacity": 8, "used": 0}


def test_move_allocations_gives_the_source_allocations_to_the_target():
    placement = make_placement("host1", "host2")
    put(placement, "instance", **{"rp-host1": {"VCPU": 2}})
    put(placement, "migration", **{"rp-host2": {"VCPU": 3}})
    assert placement.move_allocations("instance", "migration") is True
    assert placement.get_allocations_for_consumer("instance")["allocations"] == {}
    moved = placement.get_allocations_for_consumer("migration")
    assert moved["allocations"] == {"rp-host1": {"resources": {"VCPU": 2}}}
    assert moved["consumer_generation"] == 2
    assert placement.get_usages("rp-host2")["VCPU"] == 0


def test_move_allocations_from_a_consumer_without_allocations_changes_nothing():
    placement = make_placement()
    put(placement, "migration", **{"rp-host1": {"VCPU": 1}})
    before = placement_state(placement)
    assert placement.move_allocations("instance", "migration") is False
    assert placement_state(placement) == before


def test_delete_allocations_frees_the_usage():
    placement = make_placement()
    put(placement, "c1", **{"rp-host1": {"VCPU": 3}})
    placement.delete_allocations("c1")
    placement.delete_allocations("unknown")
    assert placement.get_usages("rp-host1")["VCPU"] == 0


def test_inventory_below_usage_is_refused_and_set_inventory_bumps_the_generation():
    placement = make_placement()
    assert placement.providers["rp-host1"].generation == 1
    put(placement, "c1", **{"rp-host1": {"VCPU": 6}})
    with pytest.raises(exception.Conflict):
        placement.set_inventory("rp-host1", {"VCPU": Inventory(total=2)})
    assert placement.providers["rp-host1"].inventories["VCPU"].total == 4
    placement.set_inventory("rp-host1", {"VCPU": Inventory(total=6)})
    assert placement.providers["rp-host1"].generation == 2


def test_providers_are_unique_by_uuid_and_name_and_unknown_ones_are_not_found():
    placement = make_placement()
    with pytest.raises(exception.Conflict):
        placement.create_resource_provider("rp-other", "host1")
    with pytest.raises(exception.Conflict):
        placement.create_resource_provider("rp-host1", "other")
    with pytest.raises(exception.NotFound):
        placement.get_usages("rp-nowhere")
