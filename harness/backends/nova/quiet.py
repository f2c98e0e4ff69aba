"""Between two looks at Nova, the time its green threads need to finish their work.

A wait reads the cloud through Nova's API until the step has settled, and each
read is tens of milliseconds of Nova's own work (a server listing about 100),
taken from the services it waits for: in the same process they share one
interpreter. Polling on a fixed clock spent most of a build or a move reading
and made the services wait for the reads. Under eventlet (how Nova's functional
tests run it) the runner can tell instead when no green thread has anything to
run, and look then: the reads are the same, there are fewer of them.

It can also tell when Nova has come to rest: nothing ready to run, no message
waiting on the bus, and every green thread asleep is a service idling (a bus
listener between two looks at its queues, a looping call between two heartbeats;
Nova's tests run no periodic tasks). A step that has not settled then never
will: a server left in a task state by an error nobody handled is reported at
once, not at the timeout.
"""

from __future__ import annotations

import time
from types import CodeType, FrameType
from typing import Any

from harness.backends.nova.bus import DeliveryClock, messages_waiting

# A timer due this soon is a green thread about to run, not one resting (the bus's
# idle listeners look every 50 ms, the services' heartbeats every 10 s).
READY_WITHIN = 0.002
# Where a green thread that only waits is suspended: eventlet's and the standard
# library's waiting, under the function that chose to wait.
_WAITING = ("/eventlet/", "/oslo_utils/eventletutils.py", "/threading.py")
_BUS_LISTENER_NAP: CodeType = DeliveryClock.sleep.__code__
_LOOPING_CALL = "/oslo_service/"


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


def at_rest() -> bool:
    """Whether Nova has come to rest: no thread ready, no message waiting, and
    every thread asleep a service idling. Never without eventlet's hub (Nova in
    native-thread mode): there is no telling."""
    hub = _eventlet_hub()
    return hub is not None and not _busy(hub) and _at_rest(hub)


def _eventlet_hub() -> Any:
    try:
        from eventlet import hubs, patcher
    except ImportError:
        return None
    return hubs.get_hub() if patcher.is_monkey_patched("time") else None


def _timers(hub: Any) -> list[tuple[float, Any]]:
    """The hub's timers not cancelled: (when, timer)."""
    return [(when, timer) for when, timer in (*hub.timers, *hub.next_timers)
            if not timer.called]


def _busy(hub: Any) -> bool:
    """Whether a timer of the hub's is due now: a green thread that was switched out
    to let others run, or one just woken by a delivery."""
    due = hub.clock() + READY_WITHIN
    return any(when <= due for when, _ in _timers(hub))


def _at_rest(hub: Any) -> bool:
    if hub.get_readers() or hub.get_writers() or messages_waiting():
        return False
    return all(_idling(timer) for _, timer in _timers(hub))


def _idling(timer: Any) -> bool:
    """Whether the timer wakes a service idling: a green thread whose wait was chosen
    by a bus listener's nap or by a looping call's sleep. Any other timer (a thread
    Nova put to sleep, a callback) is work still to come."""
    thread = getattr(timer.tpl[0], "__self__", None)
    frame: FrameType | None = getattr(thread, "gr_frame", None)
    while frame is not None and _in_waiting(frame):
        frame = frame.f_back
    if frame is None:
        return False
    where = frame.f_code.co_filename
    return frame.f_code is _BUS_LISTENER_NAP or (
        _LOOPING_CALL in where and where.endswith("loopingcall.py"))


def _in_waiting(frame: FrameType) -> bool:
    return any(part in frame.f_code.co_filename for part in _WAITING)
