"""Values as JSON gives them back: the same as a round trip through JSON text, in
every type, and sharing nothing."""

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from harness.cloud.jsonvalues import as_json_gives_back, frozen, json_copy, thawed


class Label(str):
    pass


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=5), st.builds(Label, st.text(max_size=5)))
# What JSON changes (tuples, int keys, a str subclass) mixed in with what it keeps.
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(st.text(max_size=5), inner, max_size=4),
    st.dictionaries(st.one_of(st.integers(), st.builds(Label, st.text(max_size=5))),
                    inner, max_size=2),
), max_leaves=20)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same type at every level, keys included."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b, strict=True))
                and all(same(a[key], b[key]) for key in a))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def containers(value: Any) -> list[Any]:
    found = [value] if isinstance(value, (dict, list)) else []
    for item in value.values() if isinstance(value, dict) else (
            value if isinstance(value, list) else ()):
        found += containers(item)
    return found


@given(VALUES)
def test_a_copy_is_what_json_text_would_give_back(value):
    assert same(json_copy(value), json.loads(json.dumps(value)))


@given(VALUES)
def test_a_value_is_judged_as_json_gives_back_exactly_when_the_round_trip_keeps_it(value):
    assert as_json_gives_back(value) == same(value, json.loads(json.dumps(value)))


@given(VALUES)
def test_a_copy_shares_nothing_with_the_value(value):
    originals = {id(c) for c in containers(value)}
    assert not originals & {id(c) for c in containers(json_copy(value))}


def test_a_container_met_twice_comes_back_as_two_as_from_json_text():
    shared = {"host": ["host1"]}
    for copy in (json_copy({"a": shared, "b": shared}), thawed(frozen({"a": shared,
                                                                      "b": shared}))):
        assert copy == {"a": shared, "b": shared}
        assert copy["a"] is not copy["b"] and copy["a"]["host"] is not copy["b"]["host"]


def test_each_thaw_gives_a_fresh_copy():
    kept = frozen({"hosts": ["host1"]})
    first = thawed(kept)
    first["hosts"].append("host2")
    assert thawed(kept) == {"hosts": ["host1"]}
