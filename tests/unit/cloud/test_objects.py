"""Nova-style objects: change tracking, primitives, and what save + load keeps."""

from unittest import mock

import pytest

from harness.cloud import exception
from harness.cloud.conductor.manager import ComputeTaskManager
from harness.cloud.db import Database
from harness.cloud.objects import (
    Destination,
    Flavor,
    Instance,
    InstanceGroup,
    RequestSpec,
    SchedulerRetries,
    Service,
)
from harness.fixtures import CloudFixture
from tests.unit.cloud.helpers import boot, request_spec, uuid_n


def stored_spec(db: Database, **fields) -> RequestSpec:
    spec = request_spec(**fields)
    spec.create(db)
    return RequestSpec.get_by_instance_uuid(db, spec.instance_uuid)


def persisted_spec(db: Database, **fields) -> RequestSpec:
    """The spec's row as written, before a load refreshes its server group."""
    spec = request_spec(**fields)
    spec.create(db)
    return db.get(RequestSpec, spec.instance_uuid)


def stored_instance(db: Database, **fields) -> Instance:
    flavor = Flavor(flavorid="f1", name="f1", vcpus=1, memory_mb=512, root_gb=1)
    Instance(uuid=uuid_n(1), display_name="vm", flavor=flavor, project_id="p", user_id="u",
             reservation_id="r-1", **fields).create(db)
    return Instance.get_by_uuid(db, uuid_n(1))


# Change tracking


def test_a_new_object_has_every_field_changed_and_a_loaded_one_none():
    spec = request_spec()
    assert {"instance_uuid", "flavor", "num_instances"} <= spec.obj_what_changed()
    assert stored_spec(Database()).obj_what_changed() == set()


def test_setting_a_field_marks_only_that_field_changed():
    spec = stored_spec(Database())
    spec.num_instances = 4
    assert spec.obj_what_changed() == {"num_instances"}


def test_a_read_only_property_still_refuses_a_value_and_a_private_name_is_no_change():
    # Instance attributes are written straight into __dict__ (objects.NovaObject
    # .__setattr__); a property must still go through the class.
    service = Service(host="host1", uuid=uuid_n(1))
    service.obj_reset_changes()
    with pytest.raises(AttributeError):
        service.is_up = False
    assert "is_up" not in vars(service)
    service._db = Database()
    assert service.obj_what_changed() == set()
    service.forced_down = True
    assert (service.obj_what_changed(), service.is_up) == ({"forced_down"}, False)


def test_obj_reset_changes_of_named_fields_keeps_the_others():
    spec = stored_spec(Database())
    spec.num_instances, spec.availability_zone = 4, "az1"
    spec.obj_reset_changes(["num_instances"])
    assert spec.obj_what_changed() == {"availability_zone"}


def test_primitive_round_trip_rebuilds_nested_objects():
    spec = request_spec(requested_destination=Destination(host="host1"),
                        instance_group=InstanceGroup(uuid="g", policy="anti-affinity"))
    copy = RequestSpec.from_primitive(spec.to_primitive())
    assert copy == spec
    assert isinstance(copy.requested_destination, Destination)
    assert isinstance(copy.flavor, Flavor)


def test_obj_clone_is_equal_but_independent():
    spec = request_spec(requested_destination=Destination(host="host1"))
    clone = spec.obj_clone()
    clone.requested_destination.host = "host2"
    clone.flavor.vcpus = 8
    assert (spec.requested_destination.host, spec.flavor.vcpus) == ("host1", 1)


def test_a_change_inside_a_nested_object_is_saved():
    # oslo.versionedobjects: obj_what_changed() includes a field whose object changed,
    # so RequestSpec.save() writes it.
    db = Database()
    spec = persisted_spec(db, instance_group=InstanceGroup(uuid="g", policy="affinity"))
    spec.instance_group.policy = "anti-affinity"
    spec.save()
    assert db.get(RequestSpec, spec.instance_uuid).instance_group.policy == "anti-affinity"


def test_service_is_up_unless_forced_down():
    assert Service(host="h", uuid="u").is_up
    assert not Service(host="h", uuid="u", forced_down=True).is_up


# What the API persisted is what a later load reads


def test_multi_create_persists_num_instances_on_every_request_spec():
    with CloudFixture() as cloud:
        servers = boot(cloud, count=3)
        specs = [RequestSpec.get_by_instance_uuid(cloud.db, s["id"]) for s in servers]
        assert [s.num_instances for s in specs] == [3, 3, 3]
        assert [s.instance_uuid for s in specs] == [s["id"] for s in servers]


def test_request_specs_sent_at_create_are_exactly_what_a_later_load_reads():
    original = ComputeTaskManager.schedule_and_build_instances
    with mock.patch.object(ComputeTaskManager, "schedule_and_build_instances",
                           autospec=True, side_effect=original) as sent, \
            CloudFixture() as cloud:
        boot(cloud, count=2)
        sent_specs = sent.call_args.kwargs["request_specs"]
        loaded = [RequestSpec.get_by_instance_uuid(cloud.db, s.instance_uuid)
                  for s in sent_specs]
        assert [s.to_db_primitive() for s in sent_specs] == [s.to_primitive() for s in loaded]


def test_transient_fields_set_in_memory_are_gone_after_save_and_load():
    db = Database()
    spec = stored_spec(db)
    spec.ignore_hosts = ["host1"]
    spec.requested_destination = Destination(host="host2")
    spec.retry = SchedulerRetries(num_attempts=1, hosts=[["host1", "host1"]])
    spec.availability_zone = "az1"
    spec.save()
    loaded = RequestSpec.get_by_instance_uuid(db, spec.instance_uuid)
    assert (loaded.ignore_hosts, loaded.requested_destination, loaded.retry) == (None,) * 3
    assert loaded.availability_zone == "az1"


def test_transient_fields_given_at_create_are_not_persisted():
    db = Database()
    loaded = stored_spec(db, ignore_hosts=["host1"], requested_destination=Destination("h"))
    assert (loaded.ignore_hosts, loaded.requested_destination) == (None, None)


def test_instance_group_members_and_hosts_are_not_persisted_but_the_group_is():
    group = InstanceGroup(uuid="g", name="grp", policy="anti-affinity",
                          members=[uuid_n(1)], hosts=["host1"])
    loaded = persisted_spec(Database(), instance_group=group)
    assert loaded.instance_group == InstanceGroup(uuid="g", name="grp", policy="anti-affinity")


def test_a_loaded_spec_holds_its_group_as_stored_now():
    db = Database()
    InstanceGroup(uuid="g", name="grp", policy="anti-affinity", rules={"max_server_per_host": 2},
                  members=[uuid_n(1), uuid_n(2)]).create(db)
    loaded = stored_spec(db, instance_group=InstanceGroup(uuid="g", policy="anti-affinity"),
                         scheduler_hints={"group": ["g"]})
    assert loaded.instance_group.members == [uuid_n(1), uuid_n(2)]
    assert loaded.instance_group.rules == {"max_server_per_host": 2}
    assert loaded.scheduler_hints == {"group": ["g"]}


def test_a_loaded_spec_whose_group_was_deleted_has_neither_the_group_nor_its_hint():
    # Bug #1890244: the hint left behind sent a later move's compute looking for it.
    db = Database()
    loaded = stored_spec(db, instance_group=InstanceGroup(uuid="g", policy="anti-affinity"),
                         scheduler_hints={"group": ["g"], "other": ["x"]})
    assert loaded.instance_group is None
    assert loaded.scheduler_hints == {"other": ["x"]}


def test_reset_forced_destinations_is_not_persisted_when_nothing_else_changed():
    db = Database()
    spec = stored_spec(db, force_hosts=["host1"], force_nodes=["host1"])
    spec.reset_forced_destinations()
    assert spec.force_hosts is None
    spec.save()
    loaded = RequestSpec.get_by_instance_uuid(db, spec.instance_uuid)
    assert (loaded.force_hosts, loaded.force_nodes) == (["host1"], ["host1"])


def test_request_spec_save_rewrites_the_whole_spec_including_a_reset():
    db = Database()
    spec = stored_spec(db, force_hosts=["host1"])
    spec.reset_forced_destinations()
    spec.availability_zone = "az1"
    spec.save()
    assert RequestSpec.get_by_instance_uuid(db, spec.instance_uuid).force_hosts is None


def test_a_stale_request_spec_copy_overwrites_every_field_on_save():
    db = Database()
    fresh = stored_spec(db)
    stale = RequestSpec.get_by_instance_uuid(db, fresh.instance_uuid)
    fresh.num_instances = 5
    fresh.save()
    stale.availability_zone = "az1"
    stale.save()
    assert RequestSpec.get_by_instance_uuid(db, fresh.instance_uuid).num_instances == 1


def test_a_stale_instance_copy_saving_one_field_does_not_overwrite_others():
    db = Database()
    first, stale = stored_instance(db), Instance.get_by_uuid(db, uuid_n(1))
    first.host, first.vm_state = "host1", "active"
    first.save()
    stale.task_state = None
    stale.save()
    loaded = Instance.get_by_uuid(db, uuid_n(1))
    assert (loaded.host, loaded.vm_state, loaded.task_state) == ("host1", "active", None)


def test_instance_save_with_unexpected_task_state_raises_and_writes_nothing():
    db = Database()
    inst = stored_instance(db, task_state="migrating")
    inst.host = "host9"
    with pytest.raises(exception.UnexpectedTaskStateError) as caught:
        inst.save(expected_task_state=[None])
    assert "migrating" in str(caught.value)
    assert Instance.get_by_uuid(db, uuid_n(1)).host is None


def test_instance_save_checks_the_stored_task_state_not_the_copy():
    db = Database()
    inst = stored_instance(db, task_state=None)
    other = Instance.get_by_uuid(db, uuid_n(1))
    other.task_state = "migrating"
    other.save()
    inst.host = "host1"
    with pytest.raises(exception.UnexpectedTaskStateError):
        inst.save(expected_task_state=[None])


def test_instance_save_with_expected_task_state_writes_when_it_matches():
    db = Database()
    inst = stored_instance(db, task_state="migrating")
    inst.task_state = None
    inst.save(expected_task_state=["migrating"])
    assert Instance.get_by_uuid(db, uuid_n(1)).task_state is None


def test_saving_an_object_never_created_raises():
    with pytest.raises(exception.NovaException, match="never created"):
        request_spec().save()


def test_lookups_of_unknown_uuids_raise_nova_not_found_errors():
    db = Database()
    with pytest.raises(exception.InstanceNotFound):
        Instance.get_by_uuid(db, uuid_n(7))
    with pytest.raises(exception.RequestSpecNotFound):
        RequestSpec.get_by_instance_uuid(db, uuid_n(7))

