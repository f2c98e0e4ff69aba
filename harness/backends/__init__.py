"""Backends: clouds that scenarios run on."""

from __future__ import annotations

from harness.backends.base import Backend
from harness.backends.fake import FakeCloudBackend

BACKENDS = ("fake", "nova")


def get_backend(name: str, inject: str | None = None) -> Backend:
    """The fake cloud, or real Nova (imported only when asked for); ``inject`` names a
    known bug to put back into the code under test for the run."""
    if name == "fake":
        return FakeCloudBackend(inject)
    if name == "nova":
        from harness.backends.nova import NovaBackend

        return NovaBackend(inject)
    raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
