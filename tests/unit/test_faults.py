"""Faults reach exactly the object, host and call they are set for, and go away."""

from __future__ import annotations

import pytest

from harness.backends.fake import FakeCloudHandle
from harness.cloud.context import get_admin_context
from harness.cloud.rpc import MessagingTimeout
from harness.faults import FAULT_POINTS, INJECTED
from harness.fixtures import CloudFixture
from tests.unit.cloud.helpers import boot, ranked, rp_uuid


@pytest.fixture
def cloud():
    with CloudFixture(hosts=ranked("host1", "host2", "host3")) as fixture:
        yield fixture


def test_a_compute_fault_replaces_one_hosts_method_and_is_undone(cloud):
    handle = FakeCloudHandle(cloud)
    driver = cloud.computes["host2"].driver
    handle.set_fault(FAULT_POINTS["finish_resize"], "host2", True)
    with pytest.raises(Exception, match=f"host2: {INJECTED} finish_resize"):
        driver.finish_migration(None, "host2")
    assert "finish_migration" not in vars(cloud.computes["host1"].driver)
    handle.set_fault(FAULT_POINTS["finish_resize"], "host2", False)
    assert "finish_migration" not in vars(driver)


def test_a_timed_out_call_fails_for_its_hosts_only(cloud):
    handle = FakeCloudHandle(cloud)
    rpcapi = cloud.conductor_manager.compute_rpcapi
    point = FAULT_POINTS["live_migration_check_timeout"]
    handle.set_fault(point, "host2", True)
    handle.set_fault(point, "host3", True)
    # The call fails before it is sent: what it carries does not matter.
    instance = None
    for host in ("host2", "host3"):
        with pytest.raises(MessagingTimeout, match=f"{host}: {INJECTED}"):
            rpcapi.check_can_live_migrate_destination(
                get_admin_context(), instance, host, False, None, None)
    handle.set_fault(point, "host2", False)
    with pytest.raises(MessagingTimeout):
        rpcapi.check_can_live_migrate_destination(
            get_admin_context(), instance, "host3", False, None, None)
    handle.set_fault(point, "host3", False)
    assert "check_can_live_migrate_destination" not in vars(rpcapi)


def test_the_scheduler_fault_fails_every_request_until_it_is_lifted(cloud):
    handle = FakeCloudHandle(cloud)
    handle.set_fault(FAULT_POINTS["select_destinations"], None, True)
    [server] = boot(cloud)
    assert server["status"] == "ERROR"
    handle.set_fault(FAULT_POINTS["select_destinations"], None, False)
    [server] = boot(cloud)
    assert server["status"] == "ACTIVE"


def test_a_raced_claim_is_refused_and_the_space_given_back(cloud):
    handle = FakeCloudHandle(cloud)
    handle.set_fault(FAULT_POINTS["claim_taken"], "host1", True)
    [server] = boot(cloud)
    # host1 weighs best; its claim lost the race, so the next host was claimed.
    assert server["OS-EXT-SRV-ATTR:host"] == "host2"
    assert cloud.placement.get_usages(rp_uuid(cloud, "host1"))["MEMORY_MB"] == 0
    handle.set_fault(FAULT_POINTS["claim_taken"], "host1", False)
    assert "claim_resources" not in vars(cloud.scheduler_manager.placement_client)
    assert "claim_resources" not in vars(cloud.conductor_manager.report_client)
    [server] = boot(cloud)
    assert server["OS-EXT-SRV-ATTR:host"] == "host1"


def test_lifting_a_fault_that_was_never_set_changes_nothing(cloud):
    handle = FakeCloudHandle(cloud)
    for point in FAULT_POINTS.values():
        handle.set_fault(point, None if point.target == "scheduler" else "host1", False)
    [server] = boot(cloud)
    assert server["status"] == "ACTIVE"


def test_every_fault_point_names_a_method_its_owner_has(cloud):
    # A renamed method in the fake cloud would make a fault silently miss.
    owners = {
        "manager": cloud.computes["host1"],
        "driver": cloud.computes["host1"].driver,
        "scheduler": cloud.scheduler_manager,
        "conductor-rpc": cloud.conductor_manager.compute_rpcapi,
        "placement-claim": cloud.scheduler_manager.placement_client,
    }
    for point in FAULT_POINTS.values():
        assert callable(getattr(owners[point.target], point.method)), point.name


def test_a_claim_whose_consumer_another_writer_changed_raises_and_leaves_nothing(cloud):
    handle = FakeCloudHandle(cloud)
    handle.set_fault(FAULT_POINTS["claim_consumer_conflict"], "host1", True)
    [server] = boot(cloud)
    # host1 weighs best: its claim conflicts, and Nova does not try another host.
    assert (server["status"], server["OS-EXT-SRV-ATTR:host"]) == ("ERROR", None)
    assert "AllocationUpdateFailed" in str(server["fault"])
    # What the other writer made for the new consumer is given back.
    assert server["id"] not in cloud.placement.consumers
    handle.set_fault(FAULT_POINTS["claim_consumer_conflict"], "host1", False)
    [server] = boot(cloud)
    assert server["OS-EXT-SRV-ATTR:host"] == "host1"
