"""Between two looks at Nova, the time its green threads need to finish their work.

A wait reads the cloud through Nova's API until the step has settled, and each
read is tens of milliseconds of Nova's own work (a server listing about 100),
taken from the services it waits for: in the same process they share one
interpreter. Polling on a fixed clock spent most of a build or a move reading
and made the services wait for the reads. Under eventlet (how Nova's functional
tests run it) the runner can tell instead when no green thread has anything to
run, and look then: the reads are the same, there are fewer of them.
"""

from __future__ import annotations

import time
from typing import Any

# A timer due this soon is a green thread about to run, not one resting (the bus's
# idle listeners look every 50 ms, Nova's periodic tasks every few seconds).
READY_WITHIN = 0.002


def until_quiet(least: float, most: float) -> None:
    """Sleep ``least`` seconds, then on while some green thread is ready to run,
    ``most`` seconds in all (a thread that never rests does not hold the wait up).
    Without eventlet's hub (Nova in native-thread mode) ``least`` alone."""
    deadline = time.monotonic() + most
    time.sleep(least)
    hub = _eventlet_hub()
    if hub is None:
        return
    while _busy(hub) and time.monotonic() < deadline:
        # eventlet's sleep: the hub runs every thread that is ready, then comes back.
        time.sleep(0)


def _eventlet_hub() -> Any:
    try:
        from eventlet import hubs, patcher
    except ImportError:
        return None
    return hubs.get_hub() if patcher.is_monkey_patched("time") else None


def _busy(hub: Any) -> bool:
    """Whether a timer of the hub's, not cancelled, is due now: a green thread that
    was switched out to let others run, or one just woken by a delivery."""
    due = hub.clock() + READY_WITHIN
    if hub.timers and hub.timers[0][0] <= due:
        return True
    return any(when <= due and not timer.called for when, timer in hub.next_timers)
