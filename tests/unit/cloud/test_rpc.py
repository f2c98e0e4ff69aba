"""The message bus: calls, casts, copies across the bus, and the trace."""

import pytest

from harness.cloud.objects import Destination
from harness.cloud.placement import Inventory, PlacementService
from harness.cloud.rpc import Bus, HopKind, MessagingError, serialize, summarize


class Endpoint:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.received: list = []

    def echo(self, value):
        self.received.append(value)
        return value

    def mutate(self, dest: Destination) -> None:
        dest.host = "changed by receiver"
        self.received.append(dest)

    def boom(self) -> None:
        raise ValueError("boom")

    def outer(self) -> str:
        self.bus.trace.note("outer note", where="outer")
        self.bus.client("b").call("b", "inner")
        return "done"

    def inner(self) -> None:
        self.bus.trace.note("inner note", answer=42)

    def outer_boom(self) -> None:
        self.bus.client("b").call("b", "boom")

    def sends(self, values: list) -> str:
        """Casts each value to b.echo, then says it is done."""
        for value in values:
            self.bus.client("a").cast("b", "echo", value=value)
        self.received.append("sender done")
        return "sent"


def make_bus() -> tuple[Bus, Endpoint, Endpoint]:
    bus = Bus()
    a, b = Endpoint(bus), Endpoint(bus)
    bus.register("a", a)
    bus.register("b", b)
    return bus, a, b


def test_a_call_returns_the_endpoint_result_and_records_it():
    bus, _, _ = make_bus()
    assert bus.client("me").call("a", "echo", trace={"v": 1}, value=[1, 2]) == [1, 2]
    [hop] = bus.trace.hops
    assert (hop.source, hop.topic, hop.method, hop.kind) == ("me", "a", "echo", HopKind.CALL)
    assert (hop.args, hop.result, hop.error) == ({"v": "1"}, "[1, 2]", None)


def test_a_call_reraises_the_endpoint_exception_and_records_it():
    bus, _, _ = make_bus()
    with pytest.raises(ValueError, match="boom") as caught:
        bus.client("me").call("a", "boom")
    assert bus.trace.hops[0].error is caught.value


def test_a_cast_swallows_the_endpoint_exception_but_records_it_on_the_hop():
    bus, _, _ = make_bus()
    assert bus.client("me").cast("a", "boom") is None
    [hop] = bus.trace.hops
    assert hop.kind is HopKind.CAST
    assert isinstance(hop.error, ValueError) and str(hop.error) == "boom"


def test_a_cast_runs_to_completion_but_returns_nothing():
    bus, a, _ = make_bus()
    assert bus.client("me").cast("a", "echo", value="x") is None
    assert a.received == ["x"]
    assert bus.trace.hops[0].result == "x"


def test_a_cast_sent_while_handling_is_delivered_after_its_sender_in_order():
    # As with a real cast: the receiver starts after the sender carried on. All are
    # delivered before the outermost call returns.
    bus, a, b = make_bus()
    assert bus.client("me").call("a", "sends", values=["1", "2"]) == "sent"
    assert a.received == ["sender done"] and b.received == ["1", "2"]
    assert [(h.method, h.depth, h.kind) for h in bus.trace.hops] == [
        ("sends", 0, HopKind.CALL), ("echo", 0, HopKind.CAST), ("echo", 0, HopKind.CAST)]


def test_a_cast_carries_the_message_as_it_was_when_sent():
    bus, _, b = make_bus()

    class Sender:
        def send(self) -> None:
            dest = Destination(host="host1")
            bus.client("s").cast("b", "echo", value=dest)
            dest.host = "changed after sending"

    bus.register("s", Sender())
    bus.client("me").call("s", "send")
    assert [d.host for d in b.received] == ["host1"]


def test_the_receiver_gets_a_copy_so_its_changes_do_not_reach_the_sender():
    bus, a, _ = make_bus()
    dest = Destination(host="host1")
    bus.client("me").call("a", "mutate", dest=dest)
    assert dest.host == "host1"
    assert a.received[0] is not dest and a.received[0].host == "changed by receiver"


def test_the_caller_gets_a_copy_of_a_returned_object():
    bus, a, _ = make_bus()
    result = bus.client("me").call("a", "echo", value=Destination(host="host1"))
    result.host = "changed by caller"
    assert a.received[0].host == "host1"


def test_containers_are_copied_across_the_bus():
    bus, a, _ = make_bus()
    value = {"hosts": ["host1"], "dest": [Destination(host="host1")]}
    bus.client("me").call("a", "echo", value=value)
    a.received[0]["hosts"].append("host2")
    a.received[0]["dest"][0].host = "host2"
    assert value == {"hosts": ["host1"], "dest": [Destination(host="host1")]}


def test_a_copy_keeps_the_senders_pending_changes():
    dest = Destination(host="host1")
    dest.obj_reset_changes()
    dest.node = "node1"
    copy = serialize(dest)
    assert copy.obj_what_changed() == {"node"}
    copy.cell = "cell1"
    assert dest.obj_what_changed() == {"node"}


def test_a_dataclass_argument_is_copied_for_the_receiver():
    # Placement is a separate (HTTP) service: it must not share the sender's objects.
    bus, placement = Bus(), PlacementService()
    bus.register("placement", placement)
    placement.create_resource_provider("rp1", "host1")
    inventory = Inventory(total=4)
    bus.client("compute").call("placement", "set_inventory", rp_uuid="rp1",
                               inventories={"VCPU": inventory})
    inventory.total = 400
    assert placement.providers["rp1"].inventories["VCPU"].capacity == 4


def test_a_message_to_an_unserved_topic_raises_messaging_error_and_leaves_no_hop():
    bus, _, _ = make_bus()
    with pytest.raises(MessagingError, match="nobody"):
        bus.client("me").cast("nobody", "echo", value=1)
    assert len(bus.trace) == 0


def test_registering_a_served_topic_twice_raises_and_unregister_stops_serving():
    bus, a, _ = make_bus()
    with pytest.raises(MessagingError):
        bus.register("a", a)
    bus.unregister("a")
    assert not bus.serves("a")
    with pytest.raises(MessagingError):
        bus.client("me").call("a", "echo", value=1)


def test_nested_messages_are_recorded_in_start_order_with_their_depth():
    bus, _, _ = make_bus()
    bus.client("me").call("a", "outer")
    bus.client("me").call("b", "inner")
    assert [(h.seq, h.depth, h.method) for h in bus.trace] == [
        (1, 0, "outer"), (2, 1, "inner"), (3, 0, "inner")]
    assert bus.trace.depth == 0


def test_the_depth_unwinds_when_a_nested_call_raises():
    bus, _, _ = make_bus()
    bus.client("me").cast("a", "outer_boom")
    bus.client("me").call("a", "echo", value=1)
    assert [(h.method, h.depth) for h in bus.trace] == [
        ("outer_boom", 0), ("boom", 1), ("echo", 0)]
    assert bus.trace.hops[0].error is bus.trace.hops[1].error


def test_a_note_goes_to_the_message_being_handled_with_its_facts():
    bus, _, _ = make_bus()
    bus.client("me").call("a", "outer")
    outer, inner = bus.trace.hops
    assert (outer.notes, outer.facts) == (["outer note"], {"where": "outer"})
    assert (inner.notes, inner.facts) == (["inner note"], {"answer": 42})


def test_a_note_outside_any_message_is_dropped():
    bus, _, _ = make_bus()
    bus.trace.note("nobody is listening", x=1)
    bus.client("me").call("a", "echo", value=1)
    assert (bus.trace.hops[0].notes, bus.trace.hops[0].facts) == ([], {})


def test_render_shows_nesting_casts_errors_and_notes():
    bus, _, _ = make_bus()
    bus.client("me").call("a", "outer")
    bus.client("me").cast("a", "boom")
    assert bus.trace.render().splitlines() == [
        "  1 me -> a.outer() => done",
        "      note: outer note",
        "  2   b -> b.inner()",
        "        note: inner note",
        "  3 me -> a.boom() (cast) !! ValueError: boom",
    ]


def test_mark_and_since_give_the_hops_after_a_point():
    bus, _, _ = make_bus()
    bus.client("me").call("a", "echo", value=1)
    mark = bus.trace.mark()
    bus.client("me").call("b", "echo", value=2)
    assert [h.topic for h in bus.trace.since(mark)] == ["b"]


def test_summarize_shortens_uuids_and_uses_trace_renderings():
    uuid = "7e35bd89-f831-4caf-b2d9-7812fa4079bb"
    assert summarize(uuid) == "7e35bd89"
    assert summarize([uuid, "host1"]) == "[7e35bd89, host1]"
    assert summarize({"a": 1}) == "{a: 1}"
    assert summarize(Destination(host="h")) == "Destination"


class Repeater:
    """Sends ``count`` messages to b.echo while handling one request."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def repeat(self, count: int, same: bool) -> None:
        for n in range(count):
            value = 0 if same else n
            self.bus.client("a").call("b", "echo", trace={"value": value}, value=value)


def test_the_same_message_sent_again_and_again_for_one_request_is_a_loop():
    bus, _, b = make_bus()
    bus.register("repeater", Repeater(bus))
    with pytest.raises(MessagingError, match=r"a -> b.echo sent 100 times .* looping"):
        bus.client("api").call("repeater", "repeat", count=1000, same=True)
    assert len(b.received) == Bus.MAX_REPEATS_PER_REQUEST - 1


def test_many_different_messages_for_one_request_are_not_a_loop():
    # A build of a large batch: one message per server, each for a different one.
    bus, _, b = make_bus()
    bus.register("repeater", Repeater(bus))
    bus.client("api").call("repeater", "repeat", count=1000, same=False)
    assert len(b.received) == 1000


def test_repeats_are_counted_per_request():
    bus, _, b = make_bus()
    bus.register("repeater", Repeater(bus))
    for _ in range(3):
        bus.client("api").call("repeater", "repeat", count=60, same=True)
    assert len(b.received) == 180


def test_a_request_with_too_many_messages_is_stopped_whatever_their_arguments(monkeypatch):
    monkeypatch.setattr(Bus, "MAX_MESSAGES_PER_REQUEST", 500)
    bus, _, b = make_bus()
    bus.register("repeater", Repeater(bus))
    with pytest.raises(MessagingError, match="500 messages for one request"):
        bus.client("api").call("repeater", "repeat", count=1000, same=False)
    assert len(b.received) == 499
