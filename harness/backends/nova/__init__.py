"""Real Nova as a backend: the same scenarios on the installed ``nova`` package.

Whatever ``nova`` is importable is what runs, so a Nova developer can
``pip install -e ../nova`` and gate their own scheduler change. Nova is only
imported when a cloud is opened (``--backend nova``); the default install
does not need it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from harness.backends.base import (
    BackendUnavailable,
    Capacities,
    NotApplicable,
    RawAllocations,
    request_spec_state,
)
from harness.backends.nova import environment
from harness.backends.nova.engines import EnginePool
from harness.backends.nova.logs import HOST_COUNTS, NO_CANDIDATES
from harness.diagnosis import SchedulingFacts, explain_no_valid_host, explain_scheduler_crash
from harness.faults import INJECTED, FaultPoint, set_fault
from harness.inject import bug_injection
from harness.scenario.model import Scenario
from harness.scenario.outcome import RequestSpecState
from harness.verdicts import SchedulingCall

_ASKED = re.compile(r"Starting to schedule for instances: \[(.*)\]")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _raised(record: logging.LogRecord) -> str:
    """The exception a record was logged with, as its last traceback line says it."""
    if not record.exc_info or record.exc_info[1] is None:
        return ""
    error = record.exc_info[1]
    return f" ({type(error).__name__}: {error})"


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def check_applicable(scenario: Scenario, newest: str, manager_role: bool,
                     release: str) -> None:
    """Refuse, as not applicable, a scenario that asks the installed Nova for what its
    release does not have, a real difference of the release, not a regression: a step
    at a microversion newer than its API's (older releases stop short of Nova 34's
    2.104; that Nova answers 406), or a step sent as a project manager where its
    default policy has no such role (project_manager_or_admin came in nova 32: nova 31
    lets only an admin migrate), or hosts with different reserved_host_memory_mb (the
    computes share one process's configuration)."""
    reserved = {h.reserved_host_memory_mb for h in scenario.cloud.hosts}
    if len(reserved) > 1:
        raise NotApplicable(
            f"not applicable on nova {release}: its computes share one process, so one "
            f"reserved_host_memory_mb; the scenario asks for {sorted(reserved)}")
    # Only server actions take a microversion; the others are sent at "latest".
    asked = {getattr(step, "microversion", None) for step in scenario.steps}
    too_new = sorted((v for v in asked if v not in (None, "latest")
                      and _version(v) > _version(newest)), key=_version)
    if too_new:
        raise NotApplicable(f"not applicable on nova {release}: max microversion {newest}, "
                            f"the scenario asks for {', '.join(too_new)}")
    if not manager_role and any(step.actor == "manager" for step in scenario.steps):
        raise NotApplicable(f"not applicable on nova {release}: its default policy has no "
                            "project manager role (project_manager_or_admin)")


def _is_observation(record: logging.LogRecord) -> bool:
    """The runner's own reads through the API: not part of what the step did."""
    return record.name == "nova.api.openstack.requestlog" and '"GET ' in record.getMessage()


SETTLE_SECONDS = "HARNESS_NOVA_SETTLE_SECONDS"


class NovaCloudHandle:
    image_ref = "155d900f-4e14-4e4c-a73d-069cbf4541e6"  # GlanceFixture's image1
    other_image_ref = "a2459075-d96c-40d5-893e-577ff92e721c"  # and its image2
    # How long a step may take to settle (HARNESS_NOVA_SETTLE_SECONDS): enough on a
    # quiet machine; a loaded CI machine may need more.
    poll_timeout = 10.0
    # Between two looks of a wait: at least the first, then until Nova's green
    # threads are quiet, at most the second (see harness.backends.nova.quiet).
    poll_interval = 0.02
    longest_pause = 0.25

    def __init__(self, cloud: Any, exception_module: ModuleType,
                 api_errors: tuple[type[Exception], ...]) -> None:
        self.cloud = cloud
        self.admin_api = cloud.admin_api
        self.api = cloud.api
        self.clients = {"admin": cloud.admin_api, "user": cloud.api,
                        "manager": cloud.manager_api, "reader": cloud.reader_api,
                        "other": cloud.other_api}
        self.exception_module = exception_module
        self.api_errors = api_errors

    # quiet is imported in these two, not at the top: it reads oslo.messaging's fake
    # driver, which an install without Nova does not have.
    def pause(self) -> None:
        from harness.backends.nova.quiet import until_quiet

        until_quiet(self.poll_interval, self.longest_pause)

    def at_rest(self) -> bool:
        from harness.backends.nova.quiet import at_rest

        return at_rest()

    def request_spec(self, server_id: str) -> RequestSpecState:
        return request_spec_state(self.cloud.request_spec(server_id))

    def allocations(self) -> RawAllocations:
        return self.cloud.allocations()

    def capacities(self) -> Capacities:
        return self.cloud.capacities()

    def restart_compute(self, host: str) -> None:
        self.cloud.restart_compute(host)

    def set_fault(self, point: FaultPoint, host: str | None, active: bool) -> None:
        owners = {
            "manager": lambda: self.cloud.computes[host].manager,
            "driver": lambda: self.cloud.computes[host].manager.driver,
            "scheduler": lambda: self.cloud.services["scheduler"].manager,
            "conductor-rpc": lambda: (
                self.cloud.services["conductor"].manager.compute_task_mgr.compute_rpcapi),
            # The process-wide report client that every service claims with.
            "placement-claim": lambda: self.cloud.services["scheduler"].manager.placement_client,
        }
        set_fault(owners[point.target](), point, host, active, self._error_class,
                  self.cloud)

    def _error_class(self, name: str) -> type[Exception]:
        import oslo_messaging

        found: type[Exception] = (getattr(self.exception_module, name, None)
                                  or getattr(oslo_messaging, name))
        return found

    def mark(self) -> int:
        return len(self.cloud.log.records)

    def _records(self, mark: int) -> list[logging.LogRecord]:
        return self.cloud.log.records[mark:]

    def trace_since(self, mark: int) -> str:
        return "\n".join(f"{r.levelname:7} [{r.name}] {r.getMessage()}{_raised(r)}"
                         for r in self._records(mark) if not _is_observation(r))

    def scheduling_since(self, mark: int) -> list[SchedulingCall]:
        return [call for position, call in self.cloud.scheduling.calls if position >= mark]

    def explain_since(self, mark: int) -> list[str]:
        """Nova's scheduler logs the numbers behind a NoValidHost, and oslo.messaging
        what a service raised; say what they mean."""
        lines, asked, uuids = [], None, []
        crashed = False
        faults_seen: set[int] = set()
        calls = [(position, call) for position, call in self.cloud.scheduling.calls
                 if position >= mark]
        for index, record in enumerate(self._records(mark), start=mark):
            message = record.getMessage()
            error = record.exc_info[1] if record.exc_info else None
            if error is not None and INJECTED in str(error):
                # Logged by each layer it crosses: said once.
                if id(error) not in faults_seen:
                    faults_seen.add(id(error))
                    lines.append(f"{record.name} logged the fault the scenario injected: "
                                 f"{error}.")
            elif (error is not None and not crashed and asked is not None
                    and not isinstance(error, self.exception_module.NovaException)):
                crashed = True
                persisted = self.request_spec(uuids[0]).num_instances if uuids else None
                lines.append(explain_scheduler_crash(
                    "Nova's scheduler", f"{type(error).__name__}: {error}",
                    SchedulingFacts(asked=asked, persisted=persisted)))
            elif match := _ASKED.search(message):
                uuids = _UUID.findall(match.group(1))
                asked = len(uuids)
            elif NO_CANDIDATES in message:
                lines.append(explain_no_valid_host(
                    "NoValidHost raised by Nova's scheduler", SchedulingFacts(no_candidates=True)))
            elif match := HOST_COUNTS.search(message):
                persisted = self.request_spec(uuids[0]).num_instances if uuids else None
                # The call this line was logged in: the last one begun before it.
                call = next((c for position, c in reversed(calls) if position <= index), None)
                lines.append(explain_no_valid_host(
                    "NoValidHost raised by Nova's scheduler",
                    SchedulingFacts(asked=asked, persisted=persisted,
                                    selected=int(match.group(1)),
                                    required=int(match.group(2)),
                                    forced_hosts=call.force_hosts if call else (),
                                    ignored_hosts=call.ignore_hosts if call else ())))
        return lines


def _settle_seconds() -> float:
    text = os.environ.get(SETTLE_SECONDS, str(NovaCloudHandle.poll_timeout))
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise BackendUnavailable(
            f"{SETTLE_SECONDS}={text!r}: expected the seconds a step may take to settle, "
            "a number above 0 and at most 3600")
    return seconds


class NovaBackend:
    name = "nova"

    def __init__(self, inject: str | None = None) -> None:
        self.inject = inject
        # The database engines of the clouds that ended, for the next ones.
        self.engines = EnginePool()

    def prepare(self) -> None:
        self.settle_seconds = _settle_seconds()
        try:
            environment.prepare()
        except environment.NovaUnavailable as exc:
            raise BackendUnavailable(f"the nova backend cannot run: {exc}") from exc

    @contextlib.contextmanager
    def open(self, scenario: Scenario, scheduler: str) -> Iterator[NovaCloudHandle]:
        self.prepare()
        # Imported here, the cloud module first: importing Nova's test packages
        # patches the process, and must happen before the rest of Nova loads.
        from harness.backends.nova.cloud import NovaCloud  # isort: skip
        from nova import exception as nova_exception
        from nova.api.openstack import api_version_request
        from nova.policies import base as policy_base
        from nova.tests.functional.api import client as api_client

        check_applicable(scenario, api_version_request._MAX_API_VERSION,
                         hasattr(policy_base, "PROJECT_MANAGER_OR_ADMIN"),
                         environment.nova_version())

        injection = bug_injection(self.inject, "nova")
        with injection, NovaCloud(name=scenario.id, engines=self.engines) as cloud:
            options = scenario.cloud.config
            cloud.flags(reserved_host_memory_mb=scenario.cloud.hosts[0].reserved_host_memory_mb,
                        allow_resize_to_same_host=options.allow_resize_to_same_host,
                        shelved_offload_time=options.shelved_offload_time)
            cloud.flags(group="workarounds", disable_group_policy_check_upcall=(
                options.disable_group_policy_check_upcall))
            if options.quota:
                cloud.flags(group="quota", **options.quota)
            cloud.flags(group="scheduler", max_attempts=options.max_attempts)
            cloud.flags(group="filter_scheduler", **options.weight_multipliers, **(
                {"enabled_filters": list(options.enabled_filters)}
                if options.enabled_filters else {}))
            cloud.start_service("conductor")
            cloud.start_service("scheduler")
            for host in scenario.cloud.hosts:
                cloud.start_compute(host.name, host.vcpus, host.memory_mb, host.disk_gb, {
                    "VCPU": host.cpu_allocation_ratio,
                    "MEMORY_MB": host.ram_allocation_ratio,
                    "DISK_GB": host.disk_allocation_ratio})
            handle = NovaCloudHandle(cloud, nova_exception, (api_client.OpenStackApiException,))
            handle.poll_timeout = self.settle_seconds
            yield handle
