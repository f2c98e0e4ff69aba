"""One way an outcome differs from what it should be."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mismatch:
    what: str
    expected: str
    observed: str

    def render(self) -> str:
        return f"{self.what}: expected {self.expected}, observed {self.observed}"
