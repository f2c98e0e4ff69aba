"""Whether the reference code shows what an example found.

Exploring a bug put back, or a scheduler of one's own, asks what that code does
wrong. An oracle the reference code (the fixed scheduler, no bug put back) breaks on
the same steps is not an answer: it is the reference's own, such as the stale flavor
Nova 34 leaves after a failed resize (examples/failed_resize_leaves_its_flavor). Such
an example is counted, not reported, and the search goes on; were it reported, it
would be shrunk, and with ``--first`` it would end the search before the code explored
showed anything of its own.
"""

from __future__ import annotations

from harness.backends.base import Backend
from harness.explore.oracles import Violation, check_step
from harness.explore.session import Session, StepCrashed
from harness.explore.twin import compare_alone


class Reference:
    """The reference code, replaying an example's steps to judge its last one."""

    def __init__(self, backend: Backend, scheduler: str) -> None:
        self.backend = backend
        self.scheduler = scheduler

    def shows(self, session: Session, violation: Violation) -> bool:
        """Whether the reference breaks ``violation``'s oracle at the same step."""
        replay = Session(session.header, self.backend, self.scheduler)
        try:
            for raw in session.steps[:violation.step + 1]:
                result = replay.run(raw)
            shown = check_step(replay, result) or compare_alone(
                replay, self.backend, self.scheduler, last_only=True)
        except StepCrashed:
            return False
        finally:
            replay.close()
        return shown is not None and shown.oracle == violation.oracle
