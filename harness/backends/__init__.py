"""Backends: clouds that scenarios run on."""

from __future__ import annotations

from harness.backends.base import Backend
from harness.backends.fake import FakeCloudBackend

BACKENDS: dict[str, type[Backend]] = {"fake": FakeCloudBackend}


def get_backend(name: str) -> Backend:
    return BACKENDS[name]()
