"""The compute REST API: validation, policy, status codes, views and instance actions."""

from unittest import mock

import pytest

from harness.cloud import exception
from harness.cloud.api.client import OpenStackApiException
from harness.fixtures import CloudFixture
from tests.unit.cloud.helpers import (
    IMAGE,
    allocations,
    boot,
    instance,
    live_migrate,
    make_flavor,
    migrations,
    ranked,
    service,
)

HOSTS2 = ranked("host1", "host2")  # servers boot on host1 and move to host2


def _caught(call, *args, **kwargs) -> OpenStackApiException:
    with pytest.raises(OpenStackApiException) as caught:
        call(*args, **kwargs)
    return caught.value


def status_of(call, *args, **kwargs) -> int:
    return _caught(call, *args, **kwargs).response.status_code


def migrate_body(**live):
    return {"os-migrateLive": {"block_migration": "auto", "host": None, **live}}


# Policy


def test_non_admin_live_migration_is_forbidden_and_changes_nothing():
    with CloudFixture() as cloud:
        [server] = boot(cloud)
        before = allocations(cloud, server["id"])
        assert status_of(cloud.api.post_server_action, server["id"], migrate_body()) == 403
        assert migrations(cloud, server["id"]) == []
        assert instance(cloud, server["id"]).task_state is None
        assert allocations(cloud, server["id"]) == before
        assert [a["action"] for a in cloud.admin_api.get_instance_actions(server["id"])] == [
            "create"]


def test_non_admin_cannot_create_flavors_list_migrations_or_services():
    with CloudFixture() as cloud:
        assert status_of(cloud.api.post_flavor, {"flavor": {
            "name": "x", "vcpus": 1, "ram": 1, "disk": 1}}) == 403
        assert status_of(cloud.api.get_migrations) == 403
        assert status_of(cloud.api.get_services) == 403


# Validation and status codes


@pytest.mark.parametrize("body", [
    migrate_body(block_migration="maybe"),
    migrate_body(disk_over_commit=False),
    {"os-migrateLive": {"block_migration": "auto"}},
    {"os-migrateLive": {"block_migration": "auto", "host": None}, "extra": 1},
    {"os-migrateLive": {"block_migration": "auto", "host": None}, "migrate": None},
    {"migrateLive": {"block_migration": "auto", "host": None}},
])
def test_a_bad_live_migration_body_is_400(body):
    with CloudFixture() as cloud:
        [server] = boot(cloud)
        assert status_of(cloud.admin_api.post_server_action, server["id"], body) == 400
        assert migrations(cloud, server["id"]) == []


@pytest.mark.parametrize(("body", "message"), [
    ({"reboot": {"type": "HARD"}}, "There is no such action: reboot"),
    ({"migrate": None, "shelve": None}, "Malformed request body"),
])
def test_an_action_nova_would_not_route_is_400_with_novas_message(body, message):
    with CloudFixture() as cloud:
        [server] = boot(cloud)
        with pytest.raises(OpenStackApiException) as caught:
            cloud.admin_api.post_server_action(server["id"], body)
        assert caught.value.response.status_code == 400
        assert message in str(caught.value)


def test_force_is_refused_from_microversion_2_68():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        body = migrate_body(host="host2", force=True)
        assert status_of(cloud.admin_api.post_server_action, server["id"], body) == 400


def test_force_without_a_host_is_400():
    # Nova: "Can't force to a non-provided destination" (2.30 to 2.67).
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        with pytest.raises(OpenStackApiException) as caught:
            live_migrate(cloud, server["id"], host=None, force=True)
        assert caught.value.response.status_code == 400
        assert migrations(cloud, server["id"]) == []


def test_an_unsupported_microversion_is_406():
    with CloudFixture() as cloud:
        cloud.admin_api.microversion = "2.999"
        assert status_of(cloud.admin_api.get_servers) == 406


def test_an_unknown_server_is_404():
    with CloudFixture() as cloud:
        unknown = "00000000-0000-4000-8000-000000000000"
        assert status_of(cloud.admin_api.get_server, unknown) == 404
        assert status_of(cloud.admin_api.post_server_action, unknown, migrate_body()) == 404
        assert status_of(cloud.admin_api.get_instance_actions, unknown) == 404


def test_live_migration_to_an_unknown_host_is_400():
    # Nova's migrate_server: ComputeHostNotFound -> HTTPBadRequest.
    with CloudFixture() as cloud:
        [server] = boot(cloud)
        body = migrate_body(host="nowhere")
        assert status_of(cloud.admin_api.post_server_action, server["id"], body) == 400
        assert instance(cloud, server["id"]).task_state is None


def test_live_migration_while_a_task_state_is_set_is_409_and_changes_nothing():
    # Nova's controller: InstanceInvalidState -> raise_http_conflict_for_instance_invalid_state.
    with CloudFixture() as cloud:
        [server] = boot(cloud)
        busy = instance(cloud, server["id"])
        busy.task_state = "migrating"
        busy.save()
        assert status_of(cloud.admin_api.post_server_action, server["id"],
                         migrate_body()) == 409
        assert migrations(cloud, server["id"]) == []


def test_live_migration_of_a_server_in_error_is_refused():
    with CloudFixture(hosts=[]) as cloud:
        [server] = boot(cloud)
        assert server["status"] == "ERROR"
        assert status_of(cloud.admin_api.post_server_action, server["id"],
                         migrate_body()) == 409


def test_a_successful_live_migration_request_is_202_with_no_body():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        assert cloud.admin_api.post_server_action(server["id"], migrate_body()) is None
        api_hops = [h for h in cloud.trace if h.method == "post_server_action"]
        assert api_hops[-1].result == "202"


@pytest.mark.parametrize("server, status", [
    ({"name": "s", "flavorRef": "nope", "imageRef": IMAGE}, 400),
    ({"name": "s", "flavorRef": "FLAVOR", "min_count": 2, "max_count": 1}, 400),
    ({"name": "s", "flavorRef": "FLAVOR", "min_count": 0}, 400),
    ({"name": "", "flavorRef": "FLAVOR"}, 400),
    ({"flavorRef": "FLAVOR"}, 400),
])
def test_a_bad_create_request_is_refused(server, status):
    with CloudFixture() as cloud:
        flavor = make_flavor(cloud)
        server = {k: flavor if v == "FLAVOR" else v for k, v in server.items()}
        assert status_of(cloud.admin_api.post_server, {"server": server}) == status
        assert cloud.admin_api.get_servers() == []


def test_create_returns_the_first_server_or_the_reservation_id():
    with CloudFixture() as cloud:
        flavor = make_flavor(cloud)
        created = cloud.api.post_server({"server": {"name": "s", "flavorRef": flavor,
                                                    "min_count": 2}})
        assert set(created) == {"id"}
        assert instance(cloud, created["id"]).launch_index == 0
        reserved = cloud.api.post_server({"server": {
            "name": "s", "flavorRef": flavor, "return_reservation_id": "True"}})
        assert reserved["reservation_id"].startswith("r-")


# Views and listings


def test_non_admin_server_view_has_no_host_attributes():
    with CloudFixture() as cloud:
        [server] = boot(cloud)
        view = cloud.api.get_server(server["id"])
        assert not [key for key in view if key.startswith("OS-EXT-SRV-ATTR:")]
        assert cloud.admin_api.get_server(server["id"])["OS-EXT-SRV-ATTR:host"] == (
            instance(cloud, server["id"]).host)


def test_fault_details_are_shown_to_admins_only():
    with CloudFixture(hosts=[]) as cloud:
        [server] = boot(cloud)
        user_view = cloud.api.get_server(server["id"])
        admin_view = cloud.admin_api.get_server(server["id"])
        assert user_view["fault"]["message"] == admin_view["fault"]["message"]
        assert "details" not in user_view["fault"]
        assert "in select_destinations" in admin_view["fault"]["details"]


def test_get_servers_filters_by_reservation_id_newest_first():
    with CloudFixture() as cloud:
        first = boot(cloud, count=2)
        boot(cloud)
        reservation = first[0]["OS-EXT-SRV-ATTR:reservation_id"]
        listed = cloud.admin_api.get_servers(search_opts={"reservation_id": reservation})
        assert [s["id"] for s in listed] == [first[1]["id"], first[0]["id"]]
        assert len(cloud.admin_api.get_servers()) == 3


def test_get_servers_with_an_unknown_filter_is_400():
    with CloudFixture() as cloud:
        assert status_of(cloud.admin_api.get_servers, search_opts={"flavor": "x"}) == 400
        assert status_of(cloud.admin_api.get_migrations, search_opts={"host": "x"}) == 400


def test_get_migrations_filters_by_instance_and_status():
    with CloudFixture(hosts=HOSTS2) as cloud:
        first, second = boot(cloud, count=2)
        live_migrate(cloud, first["id"])
        listed = cloud.admin_api.get_migrations(search_opts={"instance_uuid": first["id"]})
        assert [(m["instance_uuid"], m["status"]) for m in listed] == [
            (first["id"], "completed")]
        assert cloud.admin_api.get_migrations(search_opts={"instance_uuid": second["id"]}) == []
        assert cloud.admin_api.get_migrations(search_opts={"status": "error"}) == []


def test_server_status_is_migrating_while_the_task_runs():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        seen = []

        def look(*args, **kwargs):
            seen.append(cloud.admin_api.get_server(server["id"])["status"])
            return {}

        with mock.patch.object(cloud.computes["host2"].driver, "pre_live_migration",
                               side_effect=look):
            live_migrate(cloud, server["id"])
        assert seen == ["MIGRATING"]
        assert cloud.admin_api.get_server(server["id"])["status"] == "ACTIVE"


# Instance actions


def test_instance_actions_list_each_request_newest_first():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        live_migrate(cloud, server["id"])
        actions = cloud.api.get_instance_actions(server["id"])
        assert [a["action"] for a in actions] == ["live-migration", "create"]
        assert all("events" not in a for a in actions)


def test_failed_live_migration_events_have_error_results_and_admin_only_tracebacks():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        with mock.patch.object(cloud.computes["host2"].driver,
                               "check_can_live_migrate_destination",
                               side_effect=exception.MigrationPreCheckError(reason="x")):
            live_migrate(cloud, server["id"])
        request_id = cloud.admin_api.get_instance_actions(server["id"])[0]["request_id"]
        admin = cloud.admin_api.get_instance_action_details(server["id"], request_id)
        events = {e["event"]: e for e in admin["events"]}
        compute = events["compute_check_can_live_migrate_destination"]
        conductor = events["conductor_live_migrate_instance"]
        assert (compute["result"], compute["host"]) == ("Error", "host2")
        assert compute["details"] == "Migration pre-check error: x"
        assert "in check_can_live_migrate_destination" in compute["traceback"]
        assert conductor["result"] == "Error" and conductor["traceback"]
        user = cloud.api.get_instance_action_details(server["id"], request_id)
        assert [e["event"] for e in user["events"]] == [e["event"] for e in admin["events"]]
        assert all("traceback" not in e and "host" not in e for e in user["events"])


def test_successful_live_migration_records_success_events():
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        live_migrate(cloud, server["id"])
        request_id = cloud.admin_api.get_instance_actions(server["id"])[0]["request_id"]
        events = cloud.admin_api.get_instance_action_details(server["id"], request_id)["events"]
        assert {e["result"] for e in events} == {"Success"}
        assert "conductor_live_migrate_instance" in [e["event"] for e in events]


def test_instance_action_details_for_an_unknown_request_is_404():
    with CloudFixture() as cloud:
        [server] = boot(cloud)
        assert status_of(cloud.admin_api.get_instance_action_details, server["id"],
                         "req-unknown") == 404


# os-services


def test_disabling_a_service_stops_scheduling_to_it():
    with CloudFixture(hosts=HOSTS2) as cloud:
        updated = cloud.admin_api.put_service(service(cloud, "host1").uuid, {
            "status": "disabled", "disabled_reason": "maintenance"})
        assert (updated["status"], updated["disabled_reason"]) == ("disabled", "maintenance")
        assert [s["OS-EXT-SRV-ATTR:host"] for s in boot(cloud, count=2)] == ["host2", "host2"]


def test_forcing_a_service_down_stops_scheduling_to_it():
    with CloudFixture(hosts=HOSTS2) as cloud:
        updated = cloud.admin_api.put_service(service(cloud, "host1").uuid,
                                              {"forced_down": True})
        assert (updated["state"], updated["forced_down"]) == ("down", True)
        assert [s["OS-EXT-SRV-ATTR:host"] for s in boot(cloud)] == ["host2"]


def test_enabling_a_service_again_clears_the_reason():
    with CloudFixture() as cloud:
        uuid = service(cloud, "host1").uuid
        cloud.admin_api.put_service(uuid, {"status": "disabled", "disabled_reason": "x"})
        enabled = cloud.admin_api.put_service(uuid, {"status": "enabled"})
        assert (enabled["status"], enabled["disabled_reason"]) == ("enabled", None)
        assert service(cloud, "host1").disabled is False


def test_get_services_lists_and_filters_by_host():
    with CloudFixture() as cloud:
        assert sorted(s["host"] for s in cloud.admin_api.get_services()) == ["host1", "host2"]
        [host2] = cloud.admin_api.get_services(host="host2")
        assert (host2["binary"], host2["status"], host2["state"]) == (
            "nova-compute", "enabled", "up")


def test_bad_service_updates_are_refused():
    with CloudFixture() as cloud:
        uuid = service(cloud, "host1").uuid
        assert status_of(cloud.admin_api.put_service, uuid, {}) == 400
        assert status_of(cloud.admin_api.put_service, uuid, {"status": "off"}) == 400
        assert status_of(cloud.admin_api.put_service, "no-such-service",
                         {"status": "disabled"}) == 404
        assert status_of(cloud.api.put_service, uuid, {"status": "disabled"}) == 403
        assert service(cloud, "host1").disabled is False


def _force_down(cloud: CloudFixture, *hosts: str, down: bool = True) -> None:
    for host in hosts:
        cloud.admin_api.put_service(service(cloud, host).uuid, {"forced_down": down})


def test_with_every_compute_forced_down_evacuate_from_2_95_is_400_with_novas_raw_values():
    # Nova's minimum compute version leaves out the services forced down: 0 here.
    with CloudFixture(hosts=HOSTS2) as cloud:
        [server] = boot(cloud)
        _force_down(cloud, "host1", "host2")
        refused = _caught(cloud.admin_api.post_server_action, server["id"], {"evacuate": {}})
        assert refused.response.status_code == 400
        assert refused.response.body["badRequest"]["message"] == (
            "{'currently': 0, 'expected': 62}")
        assert instance(cloud, server["id"]).task_state is None
        assert migrations(cloud, server["id"]) == []
        # Before 2.95 nothing is checked: the scheduler is asked, and finds no host.
        cloud.admin_api.microversion = "2.94"
        cloud.admin_api.post_server_action(server["id"], {"evacuate": {}})
        assert [m.status for m in migrations(cloud, server["id"])] == ["error"]


def test_one_compute_up_is_enough_for_evacuate_at_2_95():
    with CloudFixture(hosts=ranked("host1", "host2", "host3")) as cloud:
        [server] = boot(cloud)
        _force_down(cloud, "host1", "host3")
        cloud.admin_api.post_server_action(server["id"], {"evacuate": {}})
        assert instance(cloud, server["id"]).host == "host2"


def test_with_every_compute_forced_down_a_max_server_per_host_above_1_is_409():
    with CloudFixture() as cloud:
        _force_down(cloud, "host1", "host2")

        def group(name: str, per_host: int) -> dict:
            return {"name": name, "policy": "anti-affinity",
                    "rules": {"max_server_per_host": per_host}}

        refused = _caught(cloud.admin_api.post_server_groups, group("two", 2))
        assert (refused.response.status_code, refused.response.body["conflictingRequest"][
            "message"]) == (409, "Creating an anti-affinity group with rule "
                                 "max_server_per_host > 1 is not yet supported.")
        assert cloud.admin_api.get_server_groups() == []
        assert cloud.admin_api.post_server_groups(group("one", 1))["rules"] == {
            "max_server_per_host": 1}
        _force_down(cloud, "host2", down=False)
        assert cloud.admin_api.post_server_groups(group("two", 2))["rules"] == {
            "max_server_per_host": 2}


# A flavor's disk against the image's min_disk Nova keeps for the server


def _resize(cloud: CloudFixture, server_id: str, flavor_id: str) -> None:
    cloud.admin_api.post_server_action(server_id, {"resize": {"flavorRef": flavor_id}})


def test_a_zero_disk_flavor_boots_an_image_for_the_admin_only():
    with CloudFixture() as cloud:
        zero = make_flavor(cloud, name="zero", disk=0)
        refused = _caught(boot, cloud, 1, zero, cloud.api)
        assert (refused.response.status_code, refused.response.body["forbidden"]["message"]) == (
            403, "Only volume-backed servers are allowed for flavors with zero disk.")
        assert cloud.admin_api.get_servers() == []
        [server] = boot(cloud, flavor=zero)
        assert status_of(cloud.api.post_server_action, server["id"],
                         {"rebuild": {"imageRef": IMAGE}}) == 403
        assert instance(cloud, server["id"]).task_state is None


def test_a_resize_may_not_shrink_the_disk_below_the_one_booted_with_nor_to_zero():
    with CloudFixture(hosts=HOSTS2) as cloud:
        d1, d10, d20, zero = (make_flavor(cloud, name=f"d{disk}", disk=disk)
                              for disk in (1, 10, 20, 0))
        [server] = boot(cloud, flavor=d10)
        below = _caught(_resize, cloud, server["id"], d1)
        assert (below.response.status_code, below.response.body["badRequest"]["message"]) == (
            400, "Flavor's disk is smaller than the minimum size specified in image metadata. "
                 "Flavor disk is 1073741824 bytes, minimum size is 10737418240 bytes.")
        assert status_of(_resize, cloud, server["id"], zero) == 400
        assert migrations(cloud, server["id"]) == []
        _resize(cloud, server["id"], d20)
        # A resize does not raise the minimum: the way back to 10 GiB stays open.
        assert instance(cloud, server["id"]).image_min_disk == 10


def test_a_rebuild_takes_the_disk_of_the_flavor_of_the_day_as_the_minimum():
    with CloudFixture(hosts=HOSTS2) as cloud:
        d1, d10 = make_flavor(cloud, name="d1", disk=1), make_flavor(cloud, name="d10", disk=10)
        [server] = boot(cloud, flavor=d1)
        _resize(cloud, server["id"], d10)
        cloud.admin_api.post_server_action(server["id"], {"confirmResize": None})
        cloud.admin_api.post_server_action(server["id"], {"rebuild": {"imageRef": IMAGE}})
        assert status_of(_resize, cloud, server["id"], d1) == 400
