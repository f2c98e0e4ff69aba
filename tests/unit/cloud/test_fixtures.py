"""Fixtures: each service serves its topic until cleanUp; clouds never share state."""

import gc

import pytest

from harness.cloud.api.client import API_TOPIC
from harness.cloud.conf import Config
from harness.cloud.objects import ComputeNode, Instance, Service
from harness.cloud.rpc import MessagingError
from harness.cloud.scheduler.drivers import PikeSchedulerManager
from harness.cloud.virt import NodeResources
from harness.fixtures import CloudFixture, HostSpec
from tests.unit.cloud.helpers import boot, request_spec, select, uuid_n

TOPICS = ("placement", API_TOPIC, "conductor", "scheduler", "compute.host1", "compute.host2")


def test_a_cloud_serves_every_topic_until_cleanup():
    with CloudFixture() as cloud:
        assert all(cloud.bus.serves(topic) for topic in TOPICS)
        bus = cloud.bus
    assert not any(bus.serves(topic) for topic in TOPICS)


def test_a_client_used_after_cleanup_raises_messaging_error():
    with CloudFixture() as cloud:
        api = cloud.admin_api
    with pytest.raises(MessagingError):
        api.get_servers()


def test_compute_records_stay_in_the_database_after_cleanup():
    with CloudFixture() as cloud:
        db = cloud.db
    assert sorted(s.host for s in db.query(Service)) == ["host1", "host2"]


def test_a_big_cloud_collects_cycles_less_often_and_puts_the_collector_back():
    before = gc.get_threshold()
    with CloudFixture():
        assert gc.get_threshold() == before
    with CloudFixture([f"host{n}" for n in range(1, 201)]):
        assert gc.get_threshold() == (2_000, *before[1:])
    assert gc.get_threshold() == before


def test_a_failed_setup_cleans_up_what_it_started():
    cloud = CloudFixture(scheduler="no-such-scheduler")
    with pytest.raises(Exception, match="no-such-scheduler"):
        cloud.setUp()
    assert not any(cloud.bus.serves(topic) for topic in (*TOPICS, "scheduler"))


def test_two_clouds_in_one_process_do_not_share_state():
    with CloudFixture() as first, CloudFixture(hosts=["other"]) as second:
        boot(first, count=2)
        assert second.db.query(Instance) == []
        assert second.placement.consumers == {}
        assert len(first.placement.consumers) == 2
        assert [n.host for n in second.db.query(ComputeNode)] == ["other"]
        assert second.bus is not first.bus
        assert not [h for h in second.trace if h.method == "post_server"]


def test_each_cloud_has_its_own_configuration():
    hosts = ("host1", "host2", "host3")
    with CloudFixture(hosts=hosts, config=Config(max_attempts=1)) as one, \
            CloudFixture(hosts=hosts, config=Config(max_attempts=3)) as three:
        assert len(select(one, request_spec(), [uuid_n(1)], alternates=True)[0]) == 1
        assert len(select(three, request_spec(), [uuid_n(1)], alternates=True)[0]) == 3


def test_a_cloud_set_up_again_after_cleanup_starts_empty():
    cloud = CloudFixture()
    with cloud:
        boot(cloud)
    with cloud:
        assert cloud.db.query(Instance) == []
        assert len(cloud.trace) > 0 and not [h for h in cloud.trace if h.method == "post_server"]


def test_hosts_are_given_by_name_or_as_host_specs_with_nodes():
    nodes = {"n1": NodeResources(memory_mb=1024), "n2": NodeResources()}
    with CloudFixture(hosts=["host1", HostSpec("host2", nodes)]) as cloud:
        assert set(cloud.computes) == {"host1", "host2"}
        assert sorted(n.hypervisor_hostname for n in cloud.db.query(ComputeNode)) == [
            "host1", "n1", "n2"]
        assert cloud.db.get(ComputeNode, "n1").memory_mb == 1024


def test_the_scheduler_is_given_by_name_or_by_class():
    with CloudFixture(scheduler="pike-16.0.0") as by_name, \
            CloudFixture(scheduler=PikeSchedulerManager) as by_class:
        assert type(by_name.scheduler_manager) is PikeSchedulerManager
        assert type(by_class.scheduler_manager) is PikeSchedulerManager
