"""Base TestCase and helpers for tests against the fake cloud, in the style of
nova/test.py and nova/tests/functional/integrated_helpers.py.

The fake cloud is synchronous: when an API call returns, everything it
started has finished. So the ``_wait_for_*`` helpers never sleep: they look
once and fail at once, with the state they found and the message trace,
instead of polling out a timeout as Nova's helpers must.
"""

from __future__ import annotations

import dataclasses
from typing import Any

try:
    import oslotest.base
    from testtools import content
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError(
        f"harness.test needs {missing.name}, from the test extra: "
        "pip install 'nova-scheduler-harness[test]' (or -e '.[test]' in a checkout)",
        name=missing.name) from missing

from harness.audit import InvariantsFixture
from harness.cloud.conf import Config
from harness.cloud.explain import explain
from harness.cloud.objects import MIGRATION_TERMINAL_STATUSES
from harness.cloud.scheduler.drivers import DEFAULT_SCHEDULER
from harness.cloud.scheduler.manager import SchedulerManager
from harness.cloud.virt import NodeResources
from harness.fixtures import (
    APIFixture,
    ComputeFixture,
    ConductorFixture,
    DatabaseFixture,
    HostSpec,
    PlacementFixture,
    RPCFixture,
    SchedulerFixture,
)


class TestCase(oslotest.base.BaseTestCase):
    """setUp gives a database, a message bus and placement; ``start_service`` the rest.
    Once the test's services have stopped, the harness's invariants are checked on
    what they left (harness.audit): a test that leaves a state no Nova shows errors.

    ``scheduler`` picks the scheduler ``start_service('scheduler')`` runs: a
    built-in driver name or a SchedulerManager subclass.
    """

    scheduler: str | type[SchedulerManager] = DEFAULT_SCHEDULER

    def setUp(self) -> None:
        super().setUp()
        self.config = Config()
        self.db = self.useFixture(DatabaseFixture()).db
        self.bus = self.useFixture(RPCFixture()).bus
        self.placement = self.useFixture(PlacementFixture(self.bus)).placement
        # Cleaned up after every service the test starts: checks the cloud they left.
        self.useFixture(InvariantsFixture(self.db, self.placement))
        self.computes: dict[str, Any] = {}
        self.addOnException(self._attach_trace)

    def flags(self, **overrides: Any) -> None:
        """Override configuration for services started after this call."""
        self.config = dataclasses.replace(self.config, **overrides)

    def start_service(self, name: str, host: str | None = None,
                      **kwargs: Any) -> Any:
        """Start 'api', 'conductor', 'scheduler' or 'compute' (with ``host``).

        Returns the service's manager; for 'api', the fixture with
        ``admin_api`` and ``api`` clients. A compute takes ``nodes``
        ({nodename: NodeResources}); by default one node named as the host.
        """
        if name == "api":
            return self.useFixture(APIFixture(self.bus, self.db))
        if name == "conductor":
            return self.useFixture(ConductorFixture(self.bus, self.db, self.config)).manager
        if name == "scheduler":
            return self.useFixture(SchedulerFixture(
                self.bus, self.db, self.config,
                kwargs.get("scheduler", self.scheduler))).manager
        if name == "compute":
            if host is None:
                raise ValueError("start_service('compute') needs a host")
            nodes: dict[str, NodeResources] = kwargs.get("nodes", {})
            manager = self.useFixture(ComputeFixture(self.bus, self.db,
                                                     HostSpec(host, nodes))).manager
            self.computes[host] = manager
            return manager
        raise ValueError(f"unknown service {name!r}: api, conductor, scheduler or compute")

    def _attach_trace(self, exc_info: Any) -> None:
        self.addDetail("rpc-trace", content.text_content(self.bus.trace.render()))
        reasons = explain(self.bus.trace.hops)
        if reasons:
            self.addDetail("why", content.text_content("\n".join(reasons)))


class InstanceHelperMixin:
    """Helpers that read like the scenario; expects ``self.api`` (and ``self.admin_api``
    where admin-only information is needed) to be set by the test's setUp."""

    api: Any
    admin_api: Any
    fail: Any  # from the TestCase this is mixed into

    def _build_server(self, name: str | None = None, image_uuid: str | None = None,
                      flavor_id: str | None = None, networks: Any = "none") -> dict[str, Any]:
        return {
            "name": name or "server",
            "imageRef": image_uuid or "155d900f-4e14-4e4c-a73d-069cbf4541e6",
            "flavorRef": flavor_id or self._default_flavor_id(),
            "networks": networks,
        }

    def _default_flavor_id(self) -> str:
        """A 1 vCPU / 512 MB / 1 GB flavor, created on first use."""
        if not getattr(self, "_flavor_id", None):
            self._flavor_id = self.admin_api.post_flavor(
                {"flavor": {"name": "m1.small", "vcpus": 1, "ram": 512, "disk": 1}})["id"]
        return self._flavor_id

    def _create_server(self, name: str | None = None, flavor_id: str | None = None,
                       expected_state: str = "ACTIVE") -> dict[str, Any]:
        server = self.api.post_server({"server": self._build_server(name, flavor_id=flavor_id)})
        return self._wait_for_state_change(server, expected_state)

    def _create_servers(self, num_servers: int, name: str | None = None,
                        flavor_id: str | None = None, expected_state: str = "ACTIVE"
                        ) -> list[dict[str, Any]]:
        """Boot ``num_servers`` in ONE request (min_count), as a multi-create does;
        the servers come back in launch order, each checked for ``expected_state``."""
        request = self._build_server(name, flavor_id=flavor_id)
        request.update(min_count=str(num_servers), return_reservation_id="True")
        reservation_id = self.api.post_server({"server": request})["reservation_id"]
        servers = self.admin_api.get_servers(search_opts={"reservation_id": reservation_id})
        servers.sort(key=lambda s: s["OS-EXT-SRV-ATTR:launch_index"])
        return [self._wait_for_state_change(s, expected_state) for s in servers]

    def _wait_for_state_change(self, server: dict[str, Any], expected_status: str
                               ) -> dict[str, Any]:
        return self._wait_for_server_parameter(server, {"status": expected_status})

    def _wait_for_server_parameter(self, server: dict[str, Any],
                                   expected_params: dict[str, Any]) -> dict[str, Any]:
        server = self.admin_api.get_server(server["id"])
        observed = {key: server.get(key) for key in expected_params}
        if observed != expected_params:
            self.fail(f"server {server['id']}: expected {expected_params}, "
                      f"found {observed} (fault: {server.get('fault')})")
        return server

    def _wait_for_migration_status(self, server: dict[str, Any],
                                   expected_statuses: list[str]) -> dict[str, Any]:
        """The server's newest migration if its status is expected; else fail now."""
        migrations = [m for m in self.admin_api.get_migrations()
                      if m["instance_uuid"] == server["id"]]
        if not migrations:
            self.fail(f"no migration record for instance {server['id']}")
        migration = migrations[0]
        status = migration["status"].lower()
        if status not in [s.lower() for s in expected_statuses]:
            ended = ("ended in" if status in MIGRATION_TERMINAL_STATUSES
                     else "is stuck in")
            self.fail(f"migration of instance {server['id']} {ended} status {status!r}, "
                      f"expected {expected_statuses}: {migration}")
        return migration

    def _live_migrate(self, server: dict[str, Any], migration_expected_state: str = "completed",
                      server_expected_state: str = "ACTIVE", host: str | None = None
                      ) -> dict[str, Any]:
        self.admin_api.post_server_action(
            server["id"], {"os-migrateLive": {"block_migration": "auto", "host": host}})
        self._wait_for_migration_status(server, [migration_expected_state])
        return self._wait_for_state_change(server, server_expected_state)
