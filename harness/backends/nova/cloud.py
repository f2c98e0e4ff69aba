"""Real Nova in this process, built from Nova's own functional-test fixtures.

Import this module only after ``environment.prepare()``: importing it imports
Nova's test packages (``nova.tests.functional`` first, which decides eventlet
or native threads for the whole process).

``NovaCloud`` drives a private ``nova.test.TestCase`` by hand rather than
re-assembling its fixtures: its setUp also resets many process-wide globals
(object registry, RPC router, cell caches, placement client, quota caches,
executors) that change from release to release, and calling it keeps up with
the installed Nova. On top it adds what upstream's test_bug_1718455 adds:
real policy, Neutron and Glance fixtures, placement, the API.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import re
import sys
from typing import Any

import fixtures

# nova/test.py sets up logging at import time with a handler on stdout: keep
# the harness's stdout for its report.
with contextlib.redirect_stdout(sys.stderr):
    import nova.tests.functional  # noqa: F401  (monkey-patching happens here)
    from nova import test
from nova import context as nova_context
from nova import objects
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional import fixtures as func_fixtures
from nova.tests.functional import integrated_helpers
from nova.tests.unit import fake_network
from nova.virt import fake as fake_virt

from harness.backends.nova.bus import WakeOnDelivery
from harness.backends.nova.engines import EnginePool, EngineReuse
from harness.backends.nova.scheduling import SchedulingRecorder
from harness.fixtures import OTHER_PROJECT, CollectorFixture

# Nova's functional tests put a log handler on the root logger; outside a
# cloud (where the StandardLogging fixture captures everything) only warnings.
for _handler in logging.getLogger().handlers:
    _handler.setLevel(logging.WARNING)

# Nova and its libraries are loaded: keep the collector from walking their
# hundreds of thousands of long-lived objects on every full collection (the
# upstream scenario took 4.5 s without, 4.2 s with, measured side by side).
gc.freeze()


# New objects between two collections of the youngest, in a cloud. Each scenario
# made Nova's services and Python's collector then ran a full collection, 0.1 s,
# walking every long-lived object since the freeze (compiled SQL among them): with
# this, a scenario ends before one is due (the upstream scenario 1.13 s to 1.00 s,
# side by side; peak memory 225 to 276 MiB over 13 scenarios).
COLLECTOR_THRESHOLD = 10_000

# The scheduler and conductor debug lines that say why a move failed: the
# instances asked for, and the hosts selected vs. required.
TRACE_LOGGERS = ("nova.scheduler.manager", "nova.conductor", "nova.compute.manager",
                 "nova.scheduler.utils")


class _NovaCase(test.TestCase, integrated_helpers.PlacementInstanceHelperMixin):
    """Never run by a test runner: NovaCloud uses its setUp and cleanups."""

    def __init__(self, name: str) -> None:
        super().__init__("runTest")
        self._name = name

    def runTest(self) -> None:
        """Required by unittest; a NovaCloud never runs it."""

    def id(self) -> str:
        return self._name


class LogRecorder(logging.Handler):
    """Keeps the records of TRACE_LOGGERS (debug and up) and of Nova (info and up)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO or record.name.startswith(TRACE_LOGGERS):
            # Formatted now: the arguments (host states...) change after the call.
            record.msg, record.args = record.getMessage(), None
            self.records.append(record)


class NovaCloud(fixtures.Fixture):
    """API, conductor, scheduler, placement and fake-driver computes of the installed Nova."""

    _clouds = 0

    def __init__(self, name: str = "nova-cloud", microversion: str = "latest",
                 engines: EnginePool | None = None) -> None:
        """``engines``: where the cloud's database engines come from and go back to
        (new databases on engines that keep their compiled SQL); by default its own."""
        super().__init__()
        NovaCloud._clouds += 1
        self.name = f"{name}.{NovaCloud._clouds}"
        self.microversion = microversion
        self.computes: dict[str, Any] = {}
        # The other services (conductor, scheduler), by name.
        self.services: dict[str, Any] = {}
        self.log = LogRecorder()
        self.engines = EnginePool() if engines is None else engines

    def setUp(self) -> None:
        # fixtures wraps a failed _setUp (after cleaning up) in MultipleExceptions;
        # the original exception is what a reader needs.
        try:
            super().setUp()
        except fixtures.MultipleExceptions as exc:
            raise exc.args[0][1].with_traceback(exc.args[0][2]) from None

    def _setUp(self) -> None:
        self.case = case = _NovaCase(self.name)
        # Undone after the services have stopped.
        self.useFixture(CollectorFixture(COLLECTOR_THRESHOLD))
        self.useFixture(WakeOnDelivery())
        # Given back once the services are gone.
        self.engine_reuse = self.useFixture(EngineReuse(self.engines))
        # Next, so that a setUp failing half-way still undoes what it did.
        self.addCleanup(self._run_case_cleanups)
        case.setUp()
        # Placement's fixture sets [oslo_policy] enforce_new_defaults' default to False
        # on the option object both services share, for the rest of the process: every
        # cloud after the first would OR each rule with its deprecated one (a reader
        # could confirm a resize). Nova's own default is oslo.policy's, True.
        case.flags(enforce_new_defaults=True, group="oslo_policy")
        case.useFixture(nova_fixtures.RealPolicyFixture())
        case.useFixture(nova_fixtures.NeutronFixture(case))
        case.useFixture(nova_fixtures.GlanceFixture(case))
        self.placement = case.useFixture(func_fixtures.PlacementFixture()).api
        api_fixture = case.useFixture(nova_fixtures.OSAPIFixture(api_version="v2.1"))
        self.admin_api = api_fixture.admin_api
        self.api = api_fixture.api
        self.reader_api = api_fixture.reader_api
        # The fixture has no project manager: one more client, as it makes the others.
        self.manager_api = type(self.api)("manager", self.api.base_url,
                                          project_id=self.api.project_id,
                                          roles=["reader", "member", "manager"])
        # A member of another project, as OSAPIFixture makes its clients.
        self.other_api = type(self.api)("other-user", self.api.base_url,
                                        project_id=OTHER_PROJECT,
                                        roles=["reader", "member"])
        for client in (self.admin_api, self.api, self.reader_api, self.manager_api,
                       self.other_api):
            client.microversion = self.microversion
        fake_network.set_stub_network_methods(case)
        # oslo.messaging logs what a service raised while handling a message.
        for name in ("nova", "oslo_messaging"):
            logger = logging.getLogger(name)
            logger.addHandler(self.log)
            self.addCleanup(logger.removeHandler, self.log)
        # Before the scheduler starts: its RPC server keeps the methods it looks up.
        self.scheduling = SchedulingRecorder(lambda: len(self.log.records))
        self.scheduling.install(case)

    def _run_case_cleanups(self) -> None:
        """Run the TestCase's cleanups, last first, as testtools would after a test."""
        errors = []
        while self.case._cleanups:
            function, args, kwargs = self.case._cleanups.pop()
            try:
                function(*args, **kwargs)
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise RuntimeError(f"cleaning up Nova failed: {errors!r}") from errors[0]

    def flags(self, group: str | None = None, **overrides: Any) -> None:
        self.case.flags(group=group, **overrides)

    def start_service(self, name: str) -> Any:
        self.services[name] = self.case.start_service(name)
        return self.services[name]

    def start_compute(self, host: str, vcpus: int, memory_mb: int, disk_gb: int,
                      ratios: dict[str, float]) -> Any:
        """nova-compute on ``host`` with a fake driver of the given size and ratios.

        The fake drivers read their size from class attributes, and Nova loads
        a driver by name from ``nova.virt``, so each host gets a subclass put
        into ``nova.virt.fake`` for the life of the cloud.
        """
        base = fake_virt.SmallFakeDriver
        base_ratios = base._get_allocation_ratios

        def _get_allocation_ratios(inventory: dict[str, Any]) -> dict[str, float]:
            return {**base_ratios(inventory), **ratios}

        class_name = f"Harness_{re.sub(r'[^A-Za-z0-9]', '_', host)}_{NovaCloud._clouds}"
        driver = type(class_name, (base,), {
            "vcpus": vcpus, "memory_mb": memory_mb, "local_gb": disk_gb,
            "_get_allocation_ratios": staticmethod(_get_allocation_ratios)})
        self.case.useFixture(fixtures.MonkeyPatch(f"nova.virt.fake.{class_name}", driver))
        self.case.useFixture(nova_fixtures.ConfPatcher(compute_driver=f"fake.{class_name}"))
        self.computes[host] = self.case._start_compute(host)
        return self.computes[host]

    def restart_compute(self, host: str) -> None:
        """Nova's own restart: a new ComputeManager on the same host, whose
        init_host cleans up what was evacuated away."""
        self.computes[host] = self.case.restart_compute_service(self.computes[host])

    def request_spec(self, server_id: str) -> Any:
        return objects.RequestSpec.get_by_instance_uuid(
            nova_context.get_admin_context(), server_id)

    def provider_host(self, provider_uuid: str) -> str:
        """The host of a compute node's provider: our nodes are named as their hosts."""
        name: str = self.placement.get(f"/resource_providers/{provider_uuid}").body["name"]
        return name

    def free_memory(self, provider_uuid: str) -> tuple[int, int]:
        url = f"/resource_providers/{provider_uuid}"
        memory = self.placement.get(f"{url}/inventories").body["inventories"]["MEMORY_MB"]
        used = self.placement.get(f"{url}/usages").body["usages"].get("MEMORY_MB", 0)
        capacity = int((memory["total"] - memory["reserved"]) * memory["allocation_ratio"])
        return capacity - used, memory["max_unit"]

    def consumer(self, consumer_uuid: str) -> dict[str, Any]:
        body: dict[str, Any] = self.placement.get(
            f"/allocations/{consumer_uuid}", version="1.28").body
        return body

    def put_allocations(self, consumer_uuid: str, allocations: dict[str, Any],
                        project_id: str | None, user_id: str | None,
                        generation: int | None) -> None:
        self.placement.put(f"/allocations/{consumer_uuid}", {
            "allocations": allocations, "project_id": project_id, "user_id": user_id,
            "consumer_generation": generation}, version="1.28")

    def delete_allocations(self, consumer_uuid: str) -> None:
        self.placement.delete(f"/allocations/{consumer_uuid}")

    def _providers(self) -> list[dict[str, Any]]:
        return self.placement.get(
            "/resource_providers", version="1.14").body["resource_providers"]

    def capacities(self) -> dict[str, dict[str, int]]:
        """Every provider's capacity by resource class, from placement's inventories."""
        return {provider["name"]: {
            rc: int((inventory["total"] - inventory["reserved"])
                    * inventory["allocation_ratio"])
            for rc, inventory in self.placement.get(
                f"/resource_providers/{provider['uuid']}/inventories").body[
                    "inventories"].items()}
            for provider in self._providers()}

    def allocations(self) -> dict[str, dict[str, dict[str, int]]]:
        """Every consumer's allocations by provider name, read from placement's API."""
        result: dict[str, dict[str, dict[str, int]]] = {}
        for provider in self._providers():
            body = self.placement.get(
                f"/resource_providers/{provider['uuid']}/allocations").body
            for consumer, allocation in body["allocations"].items():
                result.setdefault(consumer, {})[provider["name"]] = dict(
                    allocation["resources"])
        return result
