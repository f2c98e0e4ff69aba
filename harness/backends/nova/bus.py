"""The message bus of Nova's functional tests, without its idle waits.

oslo.messaging's fake driver, which Nova's test fixtures put between the services,
has each listener look at its queues and, finding them empty, sleep 50 ms before it
looks again: every cast and call waits half of that on average before its service
sees it, and a move sends a dozen; a service stopping waits for its listeners' naps
too. ``WakeOnDelivery`` has a delivery, or a stop, wake the sleeping listeners
instead. Messages are delivered as before, to the same queues in the same order;
only the time a listener sits idle with one waiting is gone.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import fixtures
from oslo_messaging._drivers import impl_fake


class DeliveryClock:
    """``impl_fake``'s view of the ``time`` module: its ``sleep`` ends early when a
    message is delivered. A delivery just before a listener goes to sleep is seen
    when the sleep ends (at most the driver's 50 ms), as without this."""

    def __init__(self) -> None:
        self.delivered = threading.Condition()

    time = staticmethod(time.time)

    def sleep(self, seconds: float) -> None:
        with self.delivered:
            self.delivered.wait(seconds)


class WakeOnDelivery(fixtures.Fixture):
    """Listeners of the fake driver woken by each delivery and each stop, for the
    fixture's life."""

    def _setUp(self) -> None:
        clock = DeliveryClock()
        for name in ("FakeExchange.deliver_message", "FakeListener.stop"):
            self.useFixture(fixtures.MonkeyPatch(
                f"oslo_messaging._drivers.impl_fake.{name}", _waking(clock, name)))
        self.useFixture(fixtures.MonkeyPatch("oslo_messaging._drivers.impl_fake.time", clock))


def _waking(clock: DeliveryClock, name: str) -> Any:
    cls, method = name.split(".")
    original = getattr(getattr(impl_fake, cls), method)

    def then_wake(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            with clock.delivered:
                clock.delivered.notify_all()
    return then_wake


def messages_waiting() -> bool:
    """Whether a message waits in a queue of the fake driver's, for a listener that
    has not taken it yet (or for none: a stopped service's)."""
    for exchange in list(impl_fake.FakeExchangeManager._exchanges.values()):
        with exchange._queues_lock:
            if any(exchange._topic_queues.values()) or any(exchange._server_queues.values()):
                return True
    return False
