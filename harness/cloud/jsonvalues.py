"""Values as JSON gives them back, without the text in between where it changes nothing.

What crosses the API and what the database stores goes through JSON in Nova. These
give the same result as ``json.loads(json.dumps(value))``, faster when the value is
already what JSON would give back: only dicts with str keys, lists and JSON's
scalars, no tuple and no subclass.
"""

from __future__ import annotations

import json
import marshal
from typing import Any

# Version 2 has no references between objects: a dict that appears twice comes back
# as two dicts, as from JSON text.
_MARSHAL_VERSION = 2
_SCALARS = frozenset({str, int, float, bool, type(None)})


def as_json_gives_back(value: Any) -> bool:
    """Whether ``json.loads(json.dumps(value))`` would equal ``value`` in every type."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            # Most values are scalars: judged here, without a call (half the cost).
            if type(key) is not str or (type(item) not in _SCALARS
                                        and not as_json_gives_back(item)):
                return False
        return True
    if kind is list:
        return all(type(item) in _SCALARS or as_json_gives_back(item) for item in value)
    return kind in _SCALARS


def as_json(value: Any) -> Any:
    """``value`` as JSON gives it back: ``value`` itself (not a copy) when the round
    trip would change nothing, else what the round trip gives."""
    return value if as_json_gives_back(value) else json.loads(json.dumps(value))


def json_copy(value: Any) -> Any:
    """A fresh copy of ``value`` as JSON gives it back; sharing nothing with it."""
    return thawed(frozen(as_json(value)))


def frozen(value: Any) -> bytes:
    """``value``, which must be as JSON gives it back, kept for ``thawed``."""
    return marshal.dumps(value, _MARSHAL_VERSION)


def thawed(frozen_value: bytes) -> Any:
    """A fresh copy of the value ``frozen`` kept."""
    return marshal.loads(frozen_value)
