"""The invariants in the fixtures' cleanup: a Python test that leaves the fake cloud in
a state no Nova shows fails at cleanup, naming the invariant, the server's UUID and
the values; a test that leaves it sound does not."""

from __future__ import annotations

import unittest

import pytest

from harness import test
from harness.audit import InvariantViolation, audit
from harness.backends.fake import FakeCloudHandle
from harness.cloud.objects import Instance
from harness.faults import FAULT_POINTS
from harness.fixtures import OTHER_PROJECT, CloudFixture
from tests.unit.cloud.helpers import allocations, boot, live_migrate, make_flavor, rp_uuid


def _cleanup_error(cloud: CloudFixture) -> str:
    with pytest.raises(InvariantViolation) as raised:
        cloud.cleanUp()
    return str(raised.value)


def test_a_sound_cloud_cleans_up_quietly():
    cloud = CloudFixture(check_invariants=True)
    cloud.setUp()
    [server] = boot(cloud, count=1)
    live_migrate(cloud, server["id"])
    assert audit(cloud.db, cloud.placement) == []
    cloud.cleanUp()


@pytest.mark.parametrize("fault, on_source, vcpus", [
    # The source fails: the server keeps its flavor there. The destination fails to
    # finish: the server is there in ERROR, in its old flavor, holding the new one.
    ("resize_instance", True, 1),
    ("finish_resize", False, 2),
])
def test_a_resize_that_failed_leaves_the_flavor_nova_leaves(fault, on_source, vcpus):
    cloud = CloudFixture(check_invariants=True)
    cloud.setUp()
    [server] = boot(cloud, count=1, flavor=make_flavor(cloud, name="one"))
    source = server["OS-EXT-SRV-ATTR:host"]
    destination = "host2" if source == "host1" else "host1"
    failing = source if on_source else destination
    FakeCloudHandle(cloud).set_fault(FAULT_POINTS[fault], failing, True)
    cloud.admin_api.post_server_action(
        server["id"], {"resize": {"flavorRef": make_flavor(cloud, name="two", vcpus=2)}})
    instance = Instance.get_by_uuid(cloud.db, server["id"])
    assert (instance.vm_state, instance.flavor.name) == ("error", "one")
    assert instance.host == failing
    assert {node: held["VCPU"] for node, held in allocations(cloud, server["id"]).items()} == {
        failing: vcpus}
    assert audit(cloud.db, cloud.placement) == []
    cloud.cleanUp()


def test_a_task_state_left_behind_fails_the_cleanup():
    cloud = CloudFixture(check_invariants=True)
    cloud.setUp()
    [server] = boot(cloud, count=1)
    instance = Instance.get_by_uuid(cloud.db, server["id"])
    instance.task_state = "migrating"
    instance.save()
    assert (f"invariant no-task-state-left: server 0 ({server['id']}): expected task_state "
            "None once the step settled, observed task_state migrating") in _cleanup_error(cloud)


def test_an_orphan_consumer_fails_the_cleanup():
    cloud = CloudFixture(check_invariants=True)
    cloud.setUp()
    provider = rp_uuid(cloud, "host1")
    cloud.placement.put_allocations("0ddba11-orphan", {provider: {"resources": {"VCPU": 1}}},
                                    OTHER_PROJECT, None, None)
    assert ("allocations of consumer 0ddba11-orphan: expected none, observed host1: VCPU=1"
            in _cleanup_error(cloud))


def test_a_server_on_a_node_that_is_not_its_hosts_fails_the_cleanup():
    cloud = CloudFixture(check_invariants=True)
    cloud.setUp()
    [server] = boot(cloud, count=1)
    instance = Instance.get_by_uuid(cloud.db, server["id"])
    instance.node = "host2" if instance.host == "host1" else "host1"
    instance.save()
    assert f"invariant server-on-a-known-node: server 0 ({server['id']})" in _cleanup_error(cloud)


def test_without_the_option_a_cloud_fixture_does_not_check():
    with CloudFixture() as cloud:
        [server] = boot(cloud, count=1)
        instance = Instance.get_by_uuid(cloud.db, server["id"])
        instance.task_state = "migrating"
        instance.save()


def _leaves_an_orphan() -> type[test.TestCase]:
    """A harness TestCase with one test that leaves an orphan allocation behind and one
    that leaves the cloud sound (made here, so that pytest does not collect it)."""

    class LeavesAnOrphan(test.TestCase, test.InstanceHelperMixin):
        def setUp(self):
            super().setUp()
            api = self.start_service("api")
            self.api = self.admin_api = api.admin_api
            self.start_service("conductor")
            self.start_service("scheduler")
            self.start_service("compute", host="host1")

        def test_orphan(self):
            self._create_server()
            provider = next(iter(self.placement.providers))
            self.placement.put_allocations(
                "0ddba11-orphan", {provider: {"resources": {"VCPU": 1}}},
                OTHER_PROJECT, None, None)

        def test_sound(self):
            self._create_server()

    return LeavesAnOrphan


def test_the_harness_testcase_errors_when_its_test_leaves_the_cloud_unsound():
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(_leaves_an_orphan()).run(result)
    assert result.testsRun == 2
    problems = result.errors + result.failures
    assert [case.id().rsplit(".", 1)[-1] for case, _ in problems] == ["test_orphan"]
    [(_, traceback)] = problems
    assert "InvariantViolation" in traceback and "consumer 0ddba11-orphan" in traceback
