"""The compute manager: start-up registration, builds, and the live-migration steps."""

from unittest import mock

import pytest

from harness.cloud import exception
from harness.cloud.conf import Config
from harness.cloud.objects import ComputeNode, Service
from harness.cloud.virt import NodeResources
from harness.fixtures import CloudFixture, HostSpec
from tests.unit.cloud.helpers import (
    IMAGE,
    allocations,
    boot,
    hops,
    instance,
    live_migrate,
    make_flavor,
    migrations,
    ranked,
    service,
    used_on,
)

HOSTS2 = ranked("host1", "host2")  # servers boot on host1 and move to host2


def test_init_host_registers_service_node_provider_and_inventories():
    resources = NodeResources(vcpus=4, memory_mb=4096, local_gb=50, reserved_host_cpus=1,
                              cpu_allocation_ratio=2.0, ram_allocation_ratio=1.5)
    with CloudFixture(hosts=[HostSpec("host1", {"host1": resources})]) as cloud:
        assert service(cloud, "host1").binary == "nova-compute"
        node = cloud.db.get(ComputeNode, "host1")
        assert (node.host, node.vcpus, node.memory_mb, node.local_gb) == ("host1", 4, 4096, 50)
        assert (node.vcpus_used, node.memory_mb_used) == (1, 512)
        provider = cloud.placement.providers[node.uuid]
        assert provider.name == "host1"
        inventories = provider.inventories
        assert (inventories["VCPU"].total, inventories["VCPU"].reserved,
                inventories["VCPU"].allocation_ratio) == (4, 1, 2.0)
        assert (inventories["MEMORY_MB"].reserved, inventories["MEMORY_MB"].capacity) == (
            512, 5376)
        assert inventories["DISK_GB"].capacity == 50
        # The record keeps nova.conf's initial ratios; the inventory has the host's.
        assert (node.cpu_allocation_ratio, node.ram_allocation_ratio,
                node.disk_allocation_ratio) == (4.0, 1.0, 1.0)


def test_the_cpu_weigher_reads_the_compute_node_s_ratio_not_the_inventory_s():
    # host1 has 4 VCPUs at 1.0 in placement, host2 2 VCPUs at 4.0: by the inventory
    # host2 has more room (8 against 4), by the records host1 does (16 against 8).
    hosts = [HostSpec("host1", {"host1": NodeResources(vcpus=4, cpu_allocation_ratio=1.0)}),
             HostSpec("host2", {"host2": NodeResources(vcpus=2)})]
    with CloudFixture(hosts=hosts) as cloud:
        [server] = boot(cloud)
        assert server["OS-EXT-SRV-ATTR:host"] == "host1"


def test_init_host_of_a_multi_node_host_registers_every_node():
    nodes = {"host1-a": NodeResources(), "host1-b": NodeResources()}
    with CloudFixture(hosts=[HostSpec("host1", nodes)]) as cloud:
        registered = cloud.db.query(ComputeNode, host="host1")
        assert sorted(n.hypervisor_hostname for n in registered) == ["host1-a", "host1-b"]
        assert {n.uuid for n in registered} <= set(cloud.placement.providers)
        assert len(cloud.db.query(Service)) == 1


def test_a_build_records_the_instance_and_its_usage_on_the_node():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud, flavor=make_flavor(cloud, vcpus=2, ram=1024, disk=10))
        node = cloud.db.get(ComputeNode, "host1")
        assert (node.vcpus_used, node.memory_mb_used, node.local_gb_used) == (2, 1536, 10)
        assert cloud.computes["host1"].driver.instances == {server["id"]: "host1"}
        assert (server["status"], server["OS-EXT-STS:power_state"]) == ("ACTIVE", 1)


def test_live_migration_runs_novas_steps_in_order_on_the_right_hosts():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        mark = cloud.trace.mark()
        live_migrate(cloud, server["id"])
        steps = [(h.topic, h.method) for h in cloud.trace.since(mark)
                 if h.topic.startswith("compute.")]
        assert steps == [
            ("compute.host2", "check_can_live_migrate_destination"),
            ("compute.host1", "check_can_live_migrate_source"),
            ("compute.host1", "live_migration"),
            ("compute.host2", "pre_live_migration"),
            ("compute.host2", "post_live_migration_at_destination"),
        ]


def test_a_completed_live_migration_moves_usage_and_drops_the_migration_allocation():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        live_migrate(cloud, server["id"])
        [migration] = migrations(cloud, server["id"])
        assert (migration.source_node, migration.dest_node) == ("host1", "host2")
        moved = instance(cloud, server["id"])
        assert (moved.host, moved.node, moved.task_state) == ("host2", "host2", None)
        assert cloud.computes["host2"].driver.instances == {server["id"]: "host2"}
        assert used_on(cloud, "host1")["MEMORY_MB"] == 0
        assert used_on(cloud, "host2")["MEMORY_MB"] == 512
        assert allocations(cloud, migration.uuid) == {}


def test_after_a_live_migration_only_the_source_is_recounted_as_in_nova():
    # _post_live_migration recounts the source; the destination's resource tracker
    # never claimed the instance (no NUMA), so its record leaves it out until its
    # next recount, here a restart.
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        live_migrate(cloud, server["id"])
        source, dest = (cloud.db.get(ComputeNode, h) for h in ("host1", "host2"))
        assert (source.memory_mb_used, source.num_instances, source.io_workload) == (512, 0, 0)
        assert (dest.memory_mb_used, dest.num_instances) == (512, 0)
        cloud.computes["host2"].init_host()
        dest = cloud.db.get(ComputeNode, "host2")
        assert (dest.memory_mb_used, dest.num_instances, dest.io_workload) == (1024, 1, 0)


def test_a_build_is_counted_as_io_until_the_next_recount_as_in_nova():
    # The stats keep the state the instance had when it was claimed: building.
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        node = cloud.db.get(ComputeNode, instance(cloud, server["id"]).node)
        assert (node.num_instances, node.io_workload) == (1, 1)
        cloud.computes[node.host].init_host()
        node = cloud.db.get(ComputeNode, node.hypervisor_hostname)
        assert (node.num_instances, node.io_workload) == (1, 0)


def test_pre_live_migration_failure_rolls_back_to_the_source():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        before = allocations(cloud, server["id"])
        with mock.patch.object(cloud.computes["host2"].driver, "pre_live_migration",
                               side_effect=exception.MigrationError(reason="no disk")):
            live_migrate(cloud, server["id"])
        [pre] = hops(cloud, "pre_live_migration")
        assert isinstance(pre.error, exception.MigrationError)
        [migration] = migrations(cloud, server["id"])
        # _cleanup_pre_live_migration sets "error", its rollback "failed".
        assert migration.status == "failed"
        assert allocations(cloud, server["id"]) == before == {"host1": before["host1"]}
        assert allocations(cloud, migration.uuid) == {}
        assert used_on(cloud, "host2")["MEMORY_MB"] == 0
        view = cloud.admin_api.get_server(server["id"])
        assert (view["status"], view["OS-EXT-STS:task_state"],
                view["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", None, "host1")
        assert len(hops(cloud, "rollback_live_migration_at_destination")) == 1
        assert server["id"] not in cloud.computes["host2"].driver.instances


def test_a_failing_driver_migration_calls_the_recover_method():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)

        def fail(instance, dest, post_method, recover_method, migrate_data):
            recover_method(instance, dest)

        with mock.patch.object(cloud.computes["host1"].driver, "live_migration",
                               side_effect=fail):
            live_migrate(cloud, server["id"])
        # _rollback_live_migration's migration_status defaults to "failed".
        assert migrations(cloud, server["id"])[0].status == "failed"
        assert instance(cloud, server["id"]).host == "host1"
        assert list(allocations(cloud, server["id"])) == ["host1"]


@pytest.mark.parametrize("check_upcall", [True, False])
def test_a_forced_live_migration_is_checked_against_the_servers_group_unless_switched_off(
        check_upcall):
    config = Config(disable_group_policy_check_upcall=not check_upcall)
    with CloudFixture(hosts=HOSTS2, config=config) as cloud:
        group = cloud.admin_api.post_server_groups({"name": "g", "policy": "anti-affinity"})
        server, sibling = boot(cloud, count=2, group=group["id"])
        assert (server["OS-EXT-SRV-ATTR:host"], sibling["OS-EXT-SRV-ATTR:host"]) == (
            "host1", "host2")
        live_migrate(cloud, server["id"], host="host2", force=True)
        [check] = hops(cloud, "check_can_live_migrate_destination")
        [migration] = migrations(cloud, server["id"])
        moved = instance(cloud, server["id"])
        if check_upcall:
            # Nova's destination catches only a RescheduledException, not this.
            assert isinstance(check.error, exception.GroupAffinityViolation)
            assert (migration.status, moved.vm_state, moved.host) == ("error", "error",
                                                                      "host1")
            assert list(allocations(cloud, server["id"])) == ["host1"]
        else:
            assert check.error is None
            assert (migration.status, moved.vm_state, moved.host) == ("completed", "active",
                                                                      "host2")


def test_a_server_whose_guest_never_reached_its_host_fails_a_stop_and_hangs_a_rebuild():
    # Nova's fake driver cannot power off a guest it does not have: a stop fails with
    # InstanceNotFound (reverts_task_state: no task, still ERROR), and a rebuild takes
    # it for a server deleted meanwhile: it stops there, in REBUILD, and succeeds.
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        with mock.patch.object(cloud.computes["host2"].driver, "finish_migration",
                               side_effect=Exception("no disk")):
            cloud.admin_api.post_server_action(server["id"], {"migrate": None})
        assert (instance(cloud, server["id"]).vm_state,
                instance(cloud, server["id"]).host) == ("error", "host2")
        cloud.admin_api.post_server_action(server["id"], {"os-stop": None})
        [stop] = hops(cloud, "stop_instance")
        assert isinstance(stop.error, exception.InstanceNotFound)
        stopped = instance(cloud, server["id"])
        assert (stopped.vm_state, stopped.task_state) == ("error", None)
        cloud.admin_api.post_server_action(server["id"], {"rebuild": {"imageRef": IMAGE}})
        [rebuild] = hops(cloud, "rebuild_instance", since=stop.seq, topic="compute.host2")
        assert rebuild.error is None
        assert "a server deleted while it was rebuilt" in " ".join(rebuild.notes)
        rebuilt = instance(cloud, server["id"])
        assert (rebuilt.vm_state, rebuilt.task_state) == ("error", "rebuilding")
        assert server["id"] not in cloud.computes["host2"].driver.instances
