"""Counted quotas: what a project may still create, clamping and refusing as Nova does."""

import pytest

from harness.cloud import exception, quota
from harness.cloud.conf import DEFAULT_QUOTA
from harness.cloud.db import Database
from harness.cloud.objects import Flavor, Instance, InstanceGroup

SMALL = Flavor(flavorid="1", name="small", vcpus=1, memory_mb=512, root_gb=1)
WIDE = Flavor(flavorid="2", name="wide", vcpus=8, memory_mb=1024, root_gb=1)


def limits(**overrides: int) -> dict[str, int]:
    return {**DEFAULT_QUOTA, **overrides}


def with_servers(*flavors: Flavor, project: str = "p", user: str = "u") -> Database:
    db = Database()
    for n, flavor in enumerate(flavors):
        Instance(uuid=f"{project}-{n}", display_name="vm", flavor=flavor, project_id=project,
                 user_id=user, reservation_id="r").create(db)
    return db


def test_usage_counts_the_projects_servers_and_their_flavors():
    db = with_servers(SMALL, WIDE)
    Instance(uuid="other", display_name="vm", flavor=WIDE, project_id="q", user_id="u",
             reservation_id="r").create(db)
    assert quota.usages(db, "p") == {"instances": 2, "cores": 9, "ram": 1536,
                                     "server_groups": 0}


def test_a_batch_within_every_limit_is_built_whole():
    assert quota.check_num_instances_quota(Database(), limits(), "p", SMALL, 10, 10) == 10


@pytest.mark.parametrize("flavor, count, message", [
    (SMALL, 11, "Quota exceeded for instances: Requested 11, but already used 0 of 10 "
                "instances"),
    (WIDE, 3, "Quota exceeded for cores: Requested 24, but already used 0 of 20 cores"),
])
def test_a_batch_past_a_default_limit_is_refused_naming_it(flavor, count, message):
    with pytest.raises(exception.TooManyInstances) as raised:
        quota.check_num_instances_quota(Database(), limits(), "p", flavor, count, count)
    assert raised.value.format_message() == message


def test_a_batch_is_clamped_to_what_is_left_when_min_count_allows():
    db = with_servers(SMALL, SMALL)
    assert quota.check_num_instances_quota(db, limits(instances=3), "p", SMALL, 1, 2) == 1
    with pytest.raises(exception.TooManyInstances) as raised:
        quota.check_num_instances_quota(db, limits(instances=3), "p", SMALL, 2, 3)
    assert "Requested 2-3, but already used 2 of 3 instances" in raised.value.format_message()


def test_cores_and_ram_clamp_a_batch_too():
    # 20 cores leave room for two servers of 8, whatever the instances limit.
    assert quota.check_num_instances_quota(Database(), limits(), "p", WIDE, 1, 5) == 2


def test_unlimited_is_minus_one():
    assert quota.check_num_instances_quota(
        Database(), limits(instances=-1, cores=-1, ram=-1), "p", SMALL, 50, 50) == 50


def test_only_what_a_resize_adds_is_counted():
    db = with_servers(SMALL, SMALL)
    quota.check_upsize(db, limits(cores=3), "p", SMALL, Flavor(
        flavorid="3", name="medium", vcpus=2, memory_mb=512, root_gb=1))
    quota.check_upsize(db, limits(cores=2), "p", WIDE, SMALL)  # a downsize adds nothing
    with pytest.raises(exception.TooManyInstances) as raised:
        quota.check_upsize(db, limits(cores=3), "p", SMALL, WIDE)
    assert raised.value.format_message() == (
        "Quota exceeded for cores: Requested 7, but already used 2 of 3 cores")


def test_server_group_members_are_counted_per_group_and_user():
    db = with_servers(SMALL, SMALL)
    group = InstanceGroup(uuid="g", members=["p-0", "p-1", "someone-elses"])
    quota.check_server_group_members(db, limits(server_group_members=3), group, "u")
    with pytest.raises(exception.OverQuota):
        quota.check_server_group_members(db, limits(server_group_members=2), group, "u")
    quota.check_server_group_members(db, limits(server_group_members=2), group, "other-user")


def test_server_groups_are_counted_per_project():
    db = Database()
    InstanceGroup(uuid="g", project_id="p").create(db)
    quota.check_server_groups(db, limits(server_groups=2), "p")
    quota.check_server_groups(db, limits(server_groups=1), "q")
    with pytest.raises(exception.OverQuota):
        quota.check_server_groups(db, limits(server_groups=1), "p")
