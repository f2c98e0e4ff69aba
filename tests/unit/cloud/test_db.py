"""The JSON-row database: create, get, query and field-wise save."""

import pytest

from harness.cloud import exception
from harness.cloud.db import Database, UUIDSequence
from harness.cloud.objects import Flavor, Migration, RequestSpec, Service
from tests.unit.cloud.helpers import request_spec, uuid_n


def migration(n: int, status: str = "accepted", **fields) -> Migration:
    return Migration(uuid=uuid_n(n), instance_uuid=uuid_n(100), migration_type="live-migration",
                     status=status, **fields)


def test_create_assigns_ids_in_sequence_and_keeps_a_given_id():
    db = Database()
    first, second, given = migration(1), migration(2), migration(3, id=42)
    for m in (first, second, given):
        m.create(db)
    assert (first.id, second.id, given.id) == (1, 2, 42)
    assert db.get(Migration, 42).uuid == uuid_n(3)


def test_creating_the_same_key_twice_conflicts():
    db = Database()
    Service(host="host1", uuid="a").create(db)
    with pytest.raises(exception.Conflict):
        Service(host="host1", uuid="b").create(db)
    assert db.get(Service, "host1").uuid == "a"


def test_get_of_an_unknown_key_raises_object_not_found():
    with pytest.raises(exception.ObjectNotFound):
        Database().get(Service, "nowhere")


def test_every_get_returns_a_fresh_object():
    db = Database()
    Service(host="host1", uuid="a").create(db)
    first = db.get(Service, "host1")
    first.disabled = True
    assert db.get(Service, "host1").disabled is False
    assert db.get(Service, "host1") is not db.get(Service, "host1")


def test_create_resets_changes_and_binds_the_object_to_the_database():
    db = Database()
    svc = Service(host="host1", uuid="a")
    svc.create(db)
    assert svc.obj_what_changed() == set()
    svc.disabled = True
    svc.save()
    assert db.get(Service, "host1").disabled is True


def test_save_without_changes_writes_nothing():
    db = Database()
    Service(host="host1", uuid="a").create(db)
    unchanged = db.get(Service, "host1")
    other = db.get(Service, "host1")
    other.disabled = True
    other.save()
    unchanged.save()
    assert db.get(Service, "host1").disabled is True


def test_save_writes_only_the_changed_fields():
    db = Database()
    Service(host="host1", uuid="a").create(db)
    first, second = db.get(Service, "host1"), db.get(Service, "host1")
    first.disabled = True
    first.save()
    second.forced_down = True
    second.save()
    stored = db.get(Service, "host1")
    assert (stored.disabled, stored.forced_down) == (True, True)


def test_save_of_a_row_not_in_the_database_raises_object_not_found():
    db, other = Database(), Database()
    Service(host="host1", uuid="a").create(other)
    svc = other.get(Service, "host1")
    svc._db = db
    svc.disabled = True
    with pytest.raises(exception.ObjectNotFound):
        svc.save()


def test_transient_fields_are_stored_as_none():
    db = Database()
    request_spec(ignore_hosts=["host1"]).create(db)
    assert db.get(RequestSpec, uuid_n(0)).ignore_hosts is None


def test_query_filters_on_equal_fields_in_creation_order():
    db = Database()
    for n, status in [(1, "error"), (2, "completed"), (3, "error")]:
        migration(n, status).create(db)
    assert [m.uuid for m in db.query(Migration, status="error")] == [uuid_n(1), uuid_n(3)]
    assert [m.uuid for m in db.query(Migration)] == [uuid_n(1), uuid_n(2), uuid_n(3)]
    assert db.query(Migration, status="running") == []
    assert Database().query(Migration) == []


def test_uuid_sequence_is_repeatable_and_distinct():
    first, second = UUIDSequence(), UUIDSequence()
    values = [first() for _ in range(50)]
    assert values == [second() for _ in range(50)]
    assert len(set(values)) == 50
    assert UUIDSequence(seed=1)() != UUIDSequence(seed=2)()


def test_a_row_comes_back_as_json_gives_it_back():
    db = Database()
    Flavor(flavorid="f1", name="small", vcpus=1, memory_mb=512, root_gb=1,
           extra_specs={1: "int key", "label": _Label("a str subclass")}).create(db)
    request_spec(force_hosts=("host1",)).create(db)
    loaded = db.get(Flavor, "f1").extra_specs
    assert loaded == {"1": "int key", "label": "a str subclass"}
    assert type(loaded["label"]) is str
    assert db.get(RequestSpec, uuid_n(0)).force_hosts == ["host1"]


def test_a_value_json_cannot_hold_is_refused_and_nothing_is_written():
    db = Database()
    with pytest.raises(TypeError):
        Flavor(flavorid="f1", name="small", vcpus=1, memory_mb=512, root_gb=1,
               extra_specs={"set": {"a"}}).create(db)
    with pytest.raises(exception.ObjectNotFound):
        db.get(Flavor, "f1")


def test_a_stored_row_shares_nothing_with_the_object_written_or_the_objects_loaded():
    db = Database()
    spec = request_spec(scheduler_hints={"group": ["g1"]})
    spec.create(db)
    spec.scheduler_hints["group"].append("written, then changed in memory")
    loaded = db.get(RequestSpec, uuid_n(0))
    loaded.scheduler_hints["group"].append("loaded, then changed in memory")
    assert db.get(RequestSpec, uuid_n(0)).scheduler_hints == {"group": ["g1"]}
    # Queries compare the stored row too.
    assert len(db.query(RequestSpec, scheduler_hints={"group": ["g1"]})) == 1


def test_a_query_on_several_fields_keeps_creation_order_whichever_is_looked_up():
    db = Database()
    for n, (status, dest) in enumerate([("error", "host2"), ("error", "host1"),
                                        ("done", "host2"), ("error", "host2")]):
        migration(n, status, dest_compute=dest).create(db)
    expected = [uuid_n(0), uuid_n(3)]
    assert [m.uuid for m in db.query(Migration, status="error", dest_compute="host2")] == expected
    assert [m.uuid for m in db.query(Migration, dest_compute="host2", status="error")] == expected
    # A list can't be looked up in an index: the rows are compared one by one.
    request_spec(force_hosts=["host1"]).create(db)
    assert [s.instance_uuid for s in db.query(RequestSpec, force_hosts=["host1"])] == [uuid_n(0)]
    assert db.query(RequestSpec, force_hosts=["host2"]) == []


class _Label(str):
    pass
