"""The in-process message bus every service of the fake cloud talks through.

Deterministic, and with Nova's order of events: a cast sent while a message
is being handled is delivered once its sender's request has been handled (a
real cast's receiver starts after its sender carried on), in the order casts
were sent; all of them are delivered before the outermost call returns, so a
scenario's outcome is final when the API call returns. A cast keeps its real
semantics for errors: the caller never sees the result or the exception. Both
are recorded in the trace, which is what a failing run prints so the reader can
see where an error came from.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.cloud.objects import SCALAR_TYPES


class MessagingError(Exception):
    """A message to a topic nobody serves: a wiring mistake, not a Nova error."""


class MessagingTimeout(Exception):
    """A call that got no reply in time, as oslo.messaging names it; only a fault
    makes one here (harness.faults)."""


class HopKind(str, enum.Enum):
    CALL = "call"
    CAST = "cast"


@dataclass
class Hop:
    """One message: who sent it, to what, with which key arguments, and how it ended."""

    seq: int
    depth: int
    source: str
    topic: str
    method: str
    kind: HopKind
    args: dict[str, str]
    result: str | None = None
    error: BaseException | None = None
    notes: list[str] = field(default_factory=list)
    # Structured values behind the notes, for explaining failures.
    facts: dict[str, Any] = field(default_factory=dict)

    def render(self) -> list[str]:
        indent = "  " * self.depth
        args = ", ".join(f"{k}={v}" for k, v in self.args.items())
        cast = " (cast)" if self.kind is HopKind.CAST else ""
        line = f"{self.seq:3d} {indent}{self.source} -> {self.topic}.{self.method}({args}){cast}"
        if self.error is not None:
            line += f" !! {type(self.error).__name__}: {self.error}"
        elif self.result:
            line += f" => {self.result}"
        return [line] + [f"    {indent}  note: {note}" for note in self.notes]


class Trace:
    """The hops of one cloud, in the order they started."""

    def __init__(self) -> None:
        self.hops: list[Hop] = []
        self._open: list[Hop] = []

    def __iter__(self) -> Iterator[Hop]:
        return iter(self.hops)

    def __len__(self) -> int:
        return len(self.hops)

    def mark(self) -> int:
        return len(self.hops)

    def since(self, mark: int) -> list[Hop]:
        return self.hops[mark:]

    def render(self, hops: list[Hop] | None = None) -> str:
        return "\n".join(line for hop in (self.hops if hops is None else hops)
                         for line in hop.render())

    def note(self, text: str, **facts: Any) -> None:
        """Attach an explanation (and the values behind it) to the message being handled."""
        if self._open:
            self._open[-1].notes.append(text)
            self._open[-1].facts.update(facts)

    def _start(self, hop: Hop) -> None:
        self.hops.append(hop)
        self._open.append(hop)

    def _finish(self) -> None:
        self._open.pop()

    @property
    def depth(self) -> int:
        return len(self._open)


def summarize(value: Any) -> str:
    """A short, stable rendering of an argument or result for the trace."""
    trace_repr = getattr(value, "__trace__", None)
    if trace_repr is not None:
        return trace_repr()
    if isinstance(value, str):
        return short_id(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(summarize(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{summarize(k)}: {summarize(v)}" for k, v in value.items()) + "}"
    if dataclasses.is_dataclass(value):
        return type(value).__name__
    return repr(value)


def short_id(value: str) -> str:
    """UUIDs are shortened to their first 8 characters; other strings kept."""
    if len(value) == 36 and value.count("-") == 4:
        return value[:8]
    return value


def serialize(value: Any) -> Any:
    """Copy what crosses the bus, as Nova's RPC serializer does.

    A type says how it crosses with ``__bus_copy__``; other dataclasses are
    copied deeply, so nothing the receiver does in memory leaks back to the sender.
    """
    if type(value) in SCALAR_TYPES:
        return value
    # Most items are scalars: kept without a call.
    if isinstance(value, list):
        return [v if type(v) in SCALAR_TYPES else serialize(v) for v in value]
    if isinstance(value, tuple):
        return tuple(v if type(v) in SCALAR_TYPES else serialize(v) for v in value)
    if isinstance(value, dict):
        return {k: v if type(v) in SCALAR_TYPES else serialize(v) for k, v in value.items()}
    bus_copy = getattr(value, "__bus_copy__", None)
    if bus_copy is not None:
        return bus_copy()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return copy.deepcopy(value)
    return value


class Bus:
    # A request that sends one message this many times with the same arguments is
    # stuck in a loop (say, a plugged scheduler that ignores ignore_hosts, so the
    # live-migration retry never ends): fail it rather than hang the gate. Nova
    # repeats a message at most max_attempts times; a batch's messages differ by server.
    MAX_REPEATS_PER_REQUEST = 100
    # Whatever the arguments, a request sending more than this is stuck too: a build
    # of the largest batch a scenario may ask for (1,000 servers) sends about ten
    # messages per server.
    MAX_MESSAGES_PER_REQUEST = 50_000

    def __init__(self) -> None:
        self._endpoints: dict[str, object] = {}
        self.trace = Trace()
        self._request_start = 0
        # How often each message was sent during the current request.
        self._sent: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], int] = {}
        # Casts sent while handling a message, not delivered yet: (source, topic,
        # method, trace args, the message as it was when sent).
        self._casts: collections.deque[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = (
            collections.deque())
        self._delivering = False

    def _check_not_looping(self, source: str, topic: str, method: str,
                           args: dict[str, str]) -> None:
        message = (source, topic, method, tuple(args.items()))
        repeats = self._sent[message] = self._sent.get(message, 0) + 1
        if repeats >= self.MAX_REPEATS_PER_REQUEST:
            raise MessagingError(
                f"{source} -> {topic}.{method} sent {repeats} times with the same "
                f"arguments for one request: a service is looping")
        if len(self.trace) - self._request_start >= self.MAX_MESSAGES_PER_REQUEST:
            raise MessagingError(
                f"{self.MAX_MESSAGES_PER_REQUEST} messages for one request: a service is "
                f"looping (the last was {source} -> {topic}.{method})")

    def register(self, topic: str, endpoint: object) -> None:
        if topic in self._endpoints:
            raise MessagingError(f"topic {topic!r} is already served")
        self._endpoints[topic] = endpoint

    def unregister(self, topic: str) -> None:
        self._endpoints.pop(topic, None)

    def serves(self, topic: str) -> bool:
        return topic in self._endpoints

    def client(self, source: str) -> RPCClient:
        return RPCClient(self, source)

    def dispatch(
        self,
        source: str,
        topic: str,
        method: str,
        kind: HopKind,
        trace_args: dict[str, Any],
        kwargs: dict[str, Any],
        trace_result: Callable[[Any], str] = summarize,
    ) -> Any:
        if topic not in self._endpoints:
            raise MessagingError(f"no service listens on topic {topic!r}")
        if kind is HopKind.CAST and self.trace.depth > 0:
            self._casts.append((source, topic, method, trace_args, serialize(kwargs)))
            return None
        try:
            return self._deliver(source, topic, method, kind, trace_args, serialize(kwargs),
                                 trace_result)
        finally:
            if self.trace.depth == 0 and not self._delivering:
                self._deliver_casts()

    def _deliver_casts(self) -> None:
        self._delivering = True
        try:
            while self._casts:
                source, topic, method, trace_args, kwargs = self._casts.popleft()
                self._deliver(source, topic, method, HopKind.CAST, trace_args, kwargs)
        finally:
            self._casts.clear()
            self._delivering = False

    def _deliver(
        self,
        source: str,
        topic: str,
        method: str,
        kind: HopKind,
        trace_args: dict[str, Any],
        kwargs: dict[str, Any],
        trace_result: Callable[[Any], str] = summarize,
    ) -> Any:
        endpoint = self._endpoints.get(topic)
        if endpoint is None:
            raise MessagingError(f"no service listens on topic {topic!r}")
        args = {k: summarize(v) for k, v in trace_args.items()}
        if self.trace.depth == 0 and not self._delivering:
            self._request_start = len(self.trace)
            self._sent.clear()
        else:
            self._check_not_looping(source, topic, method, args)
        hop = Hop(
            seq=len(self.trace) + 1,
            depth=self.trace.depth,
            source=source,
            topic=topic,
            method=method,
            kind=kind,
            args=args,
        )
        self.trace._start(hop)
        try:
            result = serialize(getattr(endpoint, method)(**kwargs))
        except Exception as exc:
            hop.error = exc
            if kind is HopKind.CALL:
                raise
            return None
        else:
            if result is not None:
                hop.result = trace_result(result)
            return result if kind is HopKind.CALL else None
        finally:
            self.trace._finish()


class RPCClient:
    """How one service sends messages; ``trace`` names the arguments worth showing."""

    def __init__(self, bus: Bus, source: str) -> None:
        self.bus = bus
        self.source = source

    def call(self, topic: str, method: str, trace: dict[str, Any] | None = None,
             trace_result: Callable[[Any], str] = summarize, **kwargs: Any) -> Any:
        return self.bus.dispatch(self.source, topic, method, HopKind.CALL, trace or {}, kwargs,
                                 trace_result)

    def cast(self, topic: str, method: str, trace: dict[str, Any] | None = None,
             **kwargs: Any) -> None:
        self.bus.dispatch(self.source, topic, method, HopKind.CAST, trace or {}, kwargs)
