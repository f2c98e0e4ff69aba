"""Behaviours of the fake cloud that `python -m harness diff` found different from
Nova 34, fixed, and kept here so they stay fixed."""

import pytest

from harness.cloud import exception
from harness.cloud.api.client import OpenStackApiException
from harness.cloud.conf import Config
from harness.cloud.objects import ComputeNode, Flavor, RequestSpec, Service
from harness.cloud.scheduler.host_manager import HostState
from harness.fixtures import CloudFixture


def boot_two(cloud):
    flavor = cloud.admin_api.post_flavor(
        {"flavor": {"name": "small", "vcpus": 1, "ram": 512, "disk": 1}})["id"]
    reservation = cloud.admin_api.post_server({"server": {
        "name": "s", "flavorRef": flavor, "min_count": 2, "return_reservation_id": True}})
    servers = cloud.admin_api.get_servers(
        search_opts={"reservation_id": reservation["reservation_id"]})
    return sorted(servers, key=lambda s: s["OS-EXT-SRV-ATTR:launch_index"])


@pytest.mark.parametrize("hosts", [("host1", "host2"), ("host2", "host1")])
def test_equal_hosts_are_taken_in_compute_node_uuid_order(hosts):
    # Nova reads compute nodes "WHERE uuid IN (...)" through a unique index on
    # uuid; equally weighed hosts come in that order, not in the order the
    # computes started or their names sort.
    with CloudFixture(hosts=hosts) as cloud:
        first = boot_two(cloud)[0]
        nodes = sorted(cloud.db.query(ComputeNode), key=lambda n: n.uuid)
        assert first["OS-EXT-SRV-ATTR:host"] == nodes[0].host


def live_migrate(cloud, server, microversion, **extra):
    cloud.admin_api.microversion = microversion
    cloud.admin_api.post_server_action(server["id"], {"os-migrateLive": {
        "block_migration": "auto", "host": "host2", **extra}})


@pytest.mark.parametrize("microversion", ["2.68", "latest"])
def test_force_is_refused_since_2_68(microversion):
    with CloudFixture() as cloud:
        server = boot_two(cloud)[0]
        with pytest.raises(OpenStackApiException) as raised:
            live_migrate(cloud, server, microversion, force=True)
        assert raised.value.response.status_code == 400
        assert cloud.admin_api.get_migrations() == []


@pytest.mark.parametrize("microversion", ["2.30", "2.67"])
def test_force_is_accepted_from_2_30_to_2_67(microversion):
    with CloudFixture() as cloud:
        server = next(s for s in boot_two(cloud) if s["OS-EXT-SRV-ATTR:host"] == "host1")
        mark = cloud.trace.mark()
        live_migrate(cloud, server, microversion, force=True)
        assert cloud.admin_api.get_server(server["id"])["OS-EXT-SRV-ATTR:host"] == "host2"
        hops = [(h.topic, h.method) for h in cloud.trace.since(mark)]
        assert ("compute.host1", "live_migration") in hops
        assert ("scheduler", "select_destinations") not in hops


def test_an_unsupported_microversion_is_406():
    with CloudFixture() as cloud:
        cloud.admin_api.microversion = "2.200"
        with pytest.raises(OpenStackApiException) as raised:
            cloud.admin_api.get_servers()
        assert raised.value.response.status_code == 406


@pytest.mark.parametrize(("zone", "persisted"), [("nova:host1", "nova"), ("nova", "nova"),
                                                 (None, None)])
def test_the_zone_asked_for_at_create_is_persisted_in_the_request_spec(zone, persisted):
    # Nova keeps the zone part of "zone:host" in RequestSpec.availability_zone.
    with CloudFixture() as cloud:
        flavor = cloud.admin_api.post_flavor(
            {"flavor": {"name": "small", "vcpus": 1, "ram": 512, "disk": 1}})["id"]
        body = {"name": "s", "flavorRef": flavor}
        if zone:
            body["availability_zone"] = zone
        server = cloud.admin_api.post_server({"server": body})
        spec = RequestSpec.get_by_instance_uuid(cloud.db, server["id"])
        assert spec.availability_zone == persisted


def test_weights_are_normalized_from_zero_as_novas_weighers_are():
    # RAMWeigher, CPUWeigher, DiskWeigher and IoOpsWeigher set minval = 0: a host is
    # weighed against an empty one, so two hosts that are each better at one thing do
    # not tie (min-max normalization would make them 1 + 0 against 0 + 1).
    from harness.cloud.scheduler.weights import normalize

    assert normalize([7168.0, 7680.0]) == [7168 / 7680, 1.0]
    assert normalize([0.0, 0.0, -1024.0]) == [0.0, 0.0, 0.0]


def test_a_host_picked_earlier_in_the_request_weighs_as_nova_weighs_it():
    # From Nova's scheduler log for a two-server create on three empty 8 GB hosts
    # (reserved 512 MB): "(host2) ram: 7168MB disk: -1024MB io_ops: 1 ... weight:
    # 0.9020833333333333" against 2.0 for an untouched host. RAM, CPU and I/O
    # operations count; disk never does with the fake driver (it reports no disk
    # really free, and what a request consumes goes below zero).
    from harness.cloud.scheduler.weights import get_weighers, weigh

    with CloudFixture(hosts=("host1", "host2")) as cloud:
        services = {s.host: s for s in cloud.db.query(Service)}
        states = [HostState.from_compute_node(n, services[n.host])
                  for n in cloud.db.query(ComputeNode)]
        assert [s.free_disk_mb for s in states] == [0, 0]
        flavor = Flavor("1", "small", vcpus=1, memory_mb=512, root_gb=1)
        spec = RequestSpec(instance_uuid="x", flavor=flavor)
        states[0].consume_from_request(spec)
        weighed = weigh(get_weighers(Config().weight_multipliers), states, spec)
        assert [(w.obj.host, w.weight) for w in weighed] == [
            (states[1].host, 2.0), (states[0].host, pytest.approx(0.9020833333333333))]


def test_a_weigher_counts_a_value_below_its_minval_as_minval_as_novas_do():
    # nova.weights.BaseWeigher.weigh_objects clamps each raw value to minval before
    # normalizing: two hosts whose free disk a request took below zero weigh as empty
    # ones (0), not as the fullest (1.0, normalized from 0 down to -1024). harness diff
    # found it in the scheduler's verdicts for a two-server create.
    from harness.cloud.scheduler.weights import get_weighers, weigh

    with CloudFixture(hosts=("host1", "host2")) as cloud:
        services = {s.host: s for s in cloud.db.query(Service)}
        states = [HostState.from_compute_node(n, services[n.host])
                  for n in cloud.db.query(ComputeNode)]
        spec = RequestSpec(instance_uuid="x", flavor=Flavor("1", "small", vcpus=1,
                                                            memory_mb=512, root_gb=1))
        for state in states:
            state.consume_from_request(spec)
        assert [s.free_disk_mb for s in states] == [-1024, -1024]
        weighed = weigh(get_weighers({"DiskWeigher": 1.0}), states, spec)
        assert [(w.weight, w.scores) for w in weighed] == [(0.0, {}), (0.0, {})]


def test_a_build_records_the_event_nova_records():
    # wrap_instance_event sits on ComputeManager._do_build_and_run_instance: the
    # event is "compute__do_build_and_run_instance", with the double underscore.
    with CloudFixture() as cloud:
        server = boot_two(cloud)[0]
        [action] = cloud.admin_api.get_instance_actions(server["id"])
        details = cloud.admin_api.get_instance_action_details(server["id"],
                                                              action["request_id"])
        assert [e["event"] for e in details["events"]] == ["compute__do_build_and_run_instance"]


def test_a_retried_step_finishes_on_the_first_event_of_its_name():
    # nova.db action_event_finish updates `.first()` event of that name: host3's
    # successful destination check overwrites host2's Error, and its own row keeps
    # no result. Events are listed newest first.
    from harness.faults import FAULT_POINTS, set_fault

    hosts = ("host1", "host2", "host3")
    with CloudFixture(hosts=hosts) as cloud:
        servers = boot_two(cloud)
        server = servers[0]
        # The host without a server weighs best: it is tried first, and refuses.
        [empty] = set(hosts) - {s["OS-EXT-SRV-ATTR:host"] for s in servers}
        set_fault(cloud.computes[empty].driver, FAULT_POINTS["live_migration_check"], empty,
                  True, lambda name: getattr(exception, name))
        cloud.admin_api.post_server_action(server["id"], {"os-migrateLive": {
            "block_migration": "auto", "host": None}})
        action = cloud.admin_api.get_instance_actions(server["id"])[0]
        events = cloud.admin_api.get_instance_action_details(
            server["id"], action["request_id"])["events"]
        checks = [e["result"] for e in events
                  if e["event"] == "compute_check_can_live_migrate_destination"]
        assert checks == [None, "Success"]
        assert events[-1]["event"] == "conductor_live_migrate_instance"
        assert cloud.admin_api.get_server(server["id"])["OS-EXT-SRV-ATTR:host"] not in (
            empty, server["OS-EXT-SRV-ATTR:host"])


def test_a_host_is_not_forced_up_until_it_restarted_after_an_evacuation():
    # services.py _check_for_evacuations: a `done` evacuation from the host means
    # its compute has not restarted and cleaned up; forcing it up is a 400 until then.
    with CloudFixture() as cloud:
        server = boot_two(cloud)[0]
        source = server["OS-EXT-SRV-ATTR:host"]
        [service] = cloud.db.query(Service, host=source)
        cloud.admin_api.put_service(service.uuid, {"forced_down": True})
        cloud.admin_api.post_server_action(server["id"], {"evacuate": {}})
        with pytest.raises(OpenStackApiException) as raised:
            cloud.admin_api.put_service(service.uuid, {"forced_down": False})
        assert raised.value.response.status_code == 400
        assert "`done` evacuation migration records remain" in str(raised.value)
        assert cloud.db.query(Service, host=source)[0].forced_down is True
        cloud.computes[source].init_host()
        assert cloud.admin_api.put_service(service.uuid, {"forced_down": False})[
            "forced_down"] is False


@pytest.mark.parametrize("move", ["live migration", "evacuation"])
def test_an_evacuated_server_cannot_be_forced_anywhere_before_its_source_restarts(move):
    # scheduler/utils.py claim_resources_on_destination: a forced move copies the
    # server's allocation on its source node to the destination, and refuses a server
    # holding more than one provider ("complex allocations"), as an evacuated server
    # does until its source restarts. The fake cloud forced it through.
    hosts = ("host1", "host2", "host3")
    with CloudFixture(hosts=hosts) as cloud:
        server = boot_two(cloud)[0]
        source = server["OS-EXT-SRV-ATTR:host"]
        dest, other = sorted(set(hosts) - {source})
        cloud.admin_api.put_service(cloud.db.query(Service, host=source)[0].uuid,
                                    {"forced_down": True})
        cloud.admin_api.microversion = "2.67"
        cloud.admin_api.post_server_action(server["id"], {"evacuate": {"host": dest}})
        held = cloud.placement.allocations_by_name()[server["id"]]
        assert sorted(held) == sorted([source, dest])
        mark = cloud.trace.mark()
        if move == "live migration":
            live_migrate(cloud, server, "2.67", host=other, force=True)
        else:
            cloud.admin_api.put_service(cloud.db.query(Service, host=dest)[0].uuid,
                                        {"forced_down": True})
            cloud.admin_api.post_server_action(server["id"], {"evacuate": {
                "host": other, "force": True}})
        errors = [str(h.error) for h in cloud.trace.since(mark) if h.error is not None]
        assert any("complex allocations" in error for error in errors), errors
        assert cloud.admin_api.get_server(server["id"])["OS-EXT-SRV-ATTR:host"] == dest
        assert cloud.placement.allocations_by_name()[server["id"]] == held
        assert cloud.admin_api.get_migrations()[0]["status"] == "error"


def test_enabling_a_service_with_a_disabled_reason_is_400():
    with CloudFixture() as cloud:
        [service] = cloud.db.query(Service, host="host1")
        with pytest.raises(OpenStackApiException) as raised:
            cloud.admin_api.put_service(service.uuid, {"status": "enabled",
                                                       "disabled_reason": "why"})
        assert raised.value.response.status_code == 400
        assert "Specifying 'disabled_reason' with status 'enabled' is invalid." in str(
            raised.value)


def test_an_admin_lists_its_own_projects_servers_unless_it_asks_for_all_tenants():
    # servers.py _get_servers: without all_tenants the list is scoped to the
    # caller's project, an admin's too; all_tenants is admin-only.
    with CloudFixture() as cloud:
        flavor = cloud.admin_api.post_flavor(
            {"flavor": {"name": "f", "vcpus": 1, "ram": 512, "disk": 1}})["id"]
        mine = cloud.api.post_server({"server": {"name": "mine", "flavorRef": flavor}})
        theirs = cloud.other_api.post_server({"server": {"name": "theirs", "flavorRef": flavor}})
        assert [s["id"] for s in cloud.admin_api.get_servers()] == [mine["id"]]
        assert [s["id"] for s in cloud.other_api.get_servers()] == [theirs["id"]]
        assert {s["id"] for s in cloud.admin_api.get_servers(
            search_opts={"all_tenants": "1"})} == {mine["id"], theirs["id"]}
        assert [s["id"] for s in cloud.admin_api.get_servers(
            search_opts={"all_tenants": "false"})] == [mine["id"]]
        for api, opts, status in ((cloud.api, {"all_tenants": "1"}, 403),
                                  (cloud.admin_api, {"all_tenants": "maybe"}, 400)):
            with pytest.raises(OpenStackApiException) as raised:
                api.get_servers(search_opts=opts)
            assert raised.value.response.status_code == status
