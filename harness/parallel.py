"""Scenarios spread over worker processes, their results in the order given.

Work that may touch Nova gets fresh interpreters (the ``spawn`` start method):
importing Nova's test packages patches the process it happens in (eventlet), so
workers must not inherit the parent's state. Work on the fake cloud alone may start
its workers as copies of this process (``fork``), which skips each worker's imports:
on 2 cores that is what makes two workers faster than one for the fake cloud. Each
worker prepares the backends it is asked for once, for all the scenarios it is
handed; every scenario still gets a fresh cloud.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from harness.backends import get_backend
from harness.backends.base import Backend
from harness.backends.fake import FakeCloudBackend

T = TypeVar("T")
R = TypeVar("R")


class WorkerDied(Exception):
    """A worker process ended without answering: killed, or crashed in native code."""


class Backends:
    """The backends one command, or one of its workers, runs scenarios on, each
    prepared on first use; ``inject`` is the known bug put back into all of them."""

    def __init__(self, inject: str | None = None) -> None:
        self.inject = inject
        self._prepared: dict[tuple[str, bool], Backend] = {}

    def get(self, name: str, reverse_ties: bool = False) -> Backend:
        """``reverse_ties``: the fake cloud taking equally weighed hosts the other way."""
        backend = self._prepared.get((name, reverse_ties))
        if backend is None:
            backend = (FakeCloudBackend(self.inject, reverse_ties=True) if reverse_ties
                       else get_backend(name, self.inject))
            backend.prepare()
            self._prepared[name, reverse_ties] = backend
        return backend


Task = Callable[[Backends, T], R]
# The worker process's backends (set by _start_worker, in the worker only).
_worker_backends: Backends | None = None


def can_copy_this_process() -> bool:
    """Whether workers may start as copies of this process: on Linux, with no other
    thread running (a copy would keep the locks it held, and hang on them), and
    Nova's packages not imported (eventlet patches the process)."""
    return (sys.platform == "linux" and threading.active_count() == 1
            and "eventlet" not in sys.modules)


def in_order(task: Task[T, R], items: Sequence[T], backends: Backends,
             jobs: int, isolate: bool = False, fake_only: bool = False) -> Iterator[R]:
    """``task(backends, item)`` for each item, yielded in the items' order as soon as
    it and those before it are done: here when ``jobs`` is 1 (or there is one item,
    unless ``isolate``), else in up to ``jobs`` worker processes, each with its own
    ``Backends`` (``task`` must then be a module-level function, and items and
    results picklable).

    ``isolate`` is for a caller that starts pools one after another: the nova
    backend patches the process that runs it (eventlet), and a pool started from a
    patched process hangs, so nothing may run here. ``fake_only``: the tasks never
    touch Nova, so the workers are copies of this process where it can be copied."""
    if jobs <= 1 or not items or (len(items) == 1 and not isolate):
        yield from (task(backends, item) for item in items)
        return
    context = multiprocessing.get_context(
        "fork" if fake_only and can_copy_this_process() else "spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=context,
                             initializer=_start_worker, initargs=(backends.inject,)) as pool:
        try:
            yield from pool.map(_in_worker, [task] * len(items), items)
        except BrokenProcessPool as exc:
            raise WorkerDied(
                "a worker process died without answering (killed, or a crash in native "
                "code); run again with -j 1 to see where") from exc


def leave_interrupts_to_the_command() -> None:
    """For a worker process as it starts. Ctrl-C reaches every process of the terminal's
    group: the command stops its workers itself, and each finishes the scenario it
    runs (its cloud undone, its injection taken out)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_worker(inject: str | None) -> None:
    global _worker_backends
    leave_interrupts_to_the_command()
    _worker_backends = Backends(inject)


def _in_worker(task: Task[T, R], item: T) -> R:
    assert _worker_backends is not None, "only called in a worker process"
    return task(_worker_backends, item)
