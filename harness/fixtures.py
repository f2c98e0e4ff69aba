"""fixtures.Fixture classes: one per service, and one composing a whole cloud.

Each fixture starts one thing and undoes it at cleanUp, as Nova's fixtures do
(nova/tests/fixtures). Services share a database and a bus, which the
caller passes in explicitly: there is no module-level state, so clouds in
parallel tests never meet.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass, field

import fixtures

from harness.audit import InvariantsFixture
from harness.cloud.api.client import API_TOPIC, TestOpenStackClient
from harness.cloud.api.routes import OpenStackComputeAPI
from harness.cloud.compute.manager import ComputeManager
from harness.cloud.compute.rpcapi import compute_topic
from harness.cloud.conductor.manager import ComputeTaskManager
from harness.cloud.conf import Config
from harness.cloud.context import ADMIN_ROLES, MANAGER_ROLES, READER_ROLES, RequestContext
from harness.cloud.db import Database
from harness.cloud.placement import PlacementService
from harness.cloud.rpc import Bus, Trace
from harness.cloud.scheduler.drivers import DEFAULT_SCHEDULER, load_scheduler
from harness.cloud.scheduler.manager import SchedulerManager
from harness.cloud.virt import FakeDriver, NodeResources


@dataclass(frozen=True)
class HostSpec:
    """A compute host: its name and its nodes (one node named as the host by default)."""

    name: str
    nodes: dict[str, NodeResources] = field(default_factory=dict)

    def node_resources(self) -> dict[str, NodeResources]:
        return dict(self.nodes) or {self.name: NodeResources()}


class DatabaseFixture(fixtures.Fixture):
    def _setUp(self) -> None:
        self.db = Database()


class RPCFixture(fixtures.Fixture):
    def _setUp(self) -> None:
        self.bus = Bus()


class _ServiceFixture(fixtures.Fixture):
    """Serves an endpoint on a topic of the bus until cleanUp."""

    topic: str

    def __init__(self, bus: Bus) -> None:
        super().__init__()
        self.bus = bus

    def _serve(self, endpoint: object) -> None:
        self.bus.register(self.topic, endpoint)
        self.addCleanup(self.bus.unregister, self.topic)


class PlacementFixture(_ServiceFixture):
    topic = "placement"

    def _setUp(self) -> None:
        self.placement = PlacementService()
        self._serve(self.placement)


class ConductorFixture(_ServiceFixture):
    topic = "conductor"

    def __init__(self, bus: Bus, db: Database, config: Config) -> None:
        super().__init__(bus)
        self.db, self.config = db, config

    def _setUp(self) -> None:
        self.manager = ComputeTaskManager(self.bus.client("conductor"), self.db, self.config)
        self._serve(self.manager)


class SchedulerFixture(_ServiceFixture):
    topic = "scheduler"

    def __init__(self, bus: Bus, db: Database, config: Config,
                 scheduler: str | type[SchedulerManager] = DEFAULT_SCHEDULER) -> None:
        super().__init__(bus)
        self.db, self.config = db, config
        self.scheduler_cls = (load_scheduler(scheduler) if isinstance(scheduler, str)
                              else scheduler)

    def _setUp(self) -> None:
        self.manager = self.scheduler_cls(
            self.bus.client("scheduler"), self.db, self.config, self.bus.trace)
        self._serve(self.manager)


class ComputeFixture(_ServiceFixture):
    """A nova-compute on ``host`` with the fake driver; its records stay after cleanUp,
    as a stopped compute's service and node records stay in Nova's database."""

    def __init__(self, bus: Bus, db: Database, host: HostSpec,
                 config: Config | None = None) -> None:
        super().__init__(bus)
        self.db, self.host, self.config = db, host, config or Config()
        self.topic = compute_topic(host.name)

    def _setUp(self) -> None:
        self.driver = FakeDriver(self.host.name, self.host.node_resources())
        self.manager = ComputeManager(self.host.name, self.driver,
                                      self.bus.client(self.topic), self.db, self.config)
        self._serve(self.manager)
        self.manager.init_host()


OTHER_PROJECT = "other-project"


class APIFixture(_ServiceFixture):
    """The compute API, with an admin client and a non-admin (project member) client."""

    topic = API_TOPIC

    def __init__(self, bus: Bus, db: Database, config: Config | None = None,
                 project_id: str = "fake-project", user_id: str = "fake-user") -> None:
        super().__init__(bus)
        self.db, self.config = db, config or Config()
        self.project_id, self.user_id = project_id, user_id

    def _setUp(self) -> None:
        self._serve(OpenStackComputeAPI(self.bus.client("osapi_compute"), self.db,
                                        self.config))
        self.admin_api = TestOpenStackClient(
            self.bus.client("admin"),
            RequestContext(user_id="admin", project_id=self.project_id, is_admin=True,
                           roles=ADMIN_ROLES))
        self.api = TestOpenStackClient(
            self.bus.client("user"),
            RequestContext(user_id=self.user_id, project_id=self.project_id))
        self.manager_api = TestOpenStackClient(
            self.bus.client("manager"),
            RequestContext(user_id="manager", project_id=self.project_id,
                           roles=MANAGER_ROLES))
        self.reader_api = TestOpenStackClient(
            self.bus.client("reader"),
            RequestContext(user_id="reader", project_id=self.project_id, roles=READER_ROLES))
        # A member of another project: this project's servers are none of its business.
        self.other_api = TestOpenStackClient(
            self.bus.client("other"),
            RequestContext(user_id="other-user", project_id=OTHER_PROJECT))


class CollectorFixture(fixtures.Fixture):
    """Python's cycle collector started after ``objects`` new objects rather than every
    700 (never more often than before), until cleaned up: fewer collections of the
    youngest objects, and so fewer of the full ones they lead to, each of which walks
    every live object."""

    def __init__(self, objects: int) -> None:
        super().__init__()
        self.objects = objects

    def _setUp(self) -> None:
        before = gc.get_threshold()
        gc.set_threshold(max(before[0], self.objects), *before[1:])
        self.addCleanup(gc.set_threshold, *before)


class CloudFixture(fixtures.Fixture):
    """A whole fake cloud: database, bus, placement, API, conductor, scheduler and
    one compute per host. ``scheduler`` is a driver name or a SchedulerManager class.
    With ``check_invariants``, cleaning up fails (InvariantViolation) if the cloud
    was left in a state no Nova shows (harness.audit)."""

    def __init__(self, hosts: Iterable[HostSpec | str] = ("host1", "host2"),
                 scheduler: str | type[SchedulerManager] = DEFAULT_SCHEDULER,
                 config: Config | None = None, check_invariants: bool = False) -> None:
        super().__init__()
        self.hosts = [h if isinstance(h, HostSpec) else HostSpec(h) for h in hosts]
        self.scheduler = scheduler
        self.config = config or Config()
        self.check_invariants = check_invariants

    def _setUp(self) -> None:
        # A cloud's live objects grow with its hosts, and the collections' work with
        # them: a host cost 0.49 ms at 5,000 hosts against 0.26 at 1,000; with 10 objects
        # a host, 0.30 and 0.23 (bench/bench_scale.py). Small clouds keep the default,
        # which is quicker for them (a fixed 50,000 made the catalogue 4% slower).
        self.useFixture(CollectorFixture(len(self.hosts) * 10))
        self.db = self.useFixture(DatabaseFixture()).db
        self.bus = self.useFixture(RPCFixture()).bus
        self.placement = self.useFixture(PlacementFixture(self.bus)).placement
        if self.check_invariants:
            # Cleaned up after the services: checks the cloud they left.
            self.useFixture(InvariantsFixture(self.db, self.placement))
        api = self.useFixture(APIFixture(self.bus, self.db, self.config))
        self.admin_api, self.api = api.admin_api, api.api
        self.manager_api, self.reader_api = api.manager_api, api.reader_api
        self.other_api = api.other_api
        self.conductor_manager = self.useFixture(
            ConductorFixture(self.bus, self.db, self.config)).manager
        self.scheduler_manager = self.useFixture(
            SchedulerFixture(self.bus, self.db, self.config, self.scheduler)).manager
        self.computes = {
            host.name: self.useFixture(
                ComputeFixture(self.bus, self.db, host, self.config)).manager
            for host in self.hosts
        }

    @property
    def trace(self) -> Trace:
        return self.bus.trace
