"""An in-memory database with Nova's save/load semantics.

Rows go through JSON on the way in, as Nova stores ``request_specs.spec``: what
a load gives back is what JSON keeps (lists for tuples, string keys). Every load
builds fresh objects, so no two services ever share an object by accident and
whatever was not persisted (transient fields, unsaved changes) is really gone.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from harness.cloud import exception
from harness.cloud.jsonvalues import as_json, frozen, thawed
from harness.cloud.objects import PersistentObject

T = TypeVar("T", bound=PersistentObject)


class UUIDSequence:
    """Repeatable UUIDs, so that two runs of a scenario trace the same."""

    def __init__(self, seed: int = 1718455) -> None:
        self._random = random.Random(seed)

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


class _Table:
    """One table: each row as it came back from JSON, kept twice: frozen (what a
    load thaws: a fresh copy twice as fast as ``json.loads``) and as it is, for
    queries to compare against; and indexes built on first use.

    Queries filter on the decoded rows and build objects only for the rows that
    match, so a lookup by host costs the same with 5 hosts or 5,000.
    """

    def __init__(self) -> None:
        self.rows: dict[object, bytes] = {}
        self._decoded: dict[object, dict[str, Any]] = {}
        self._created: dict[object, int] = {}
        self._sequence = itertools.count()
        # field -> value -> keys of the rows holding it (hashable values only).
        self._indexes: dict[str, dict[object, set[object]]] = {}

    def put(self, key: object, row: dict[str, Any]) -> None:
        # Not copied when already as JSON would give it back (the round trip was about
        # 6% of a small scenario): each write's primitive is built fresh, shared with
        # no object.
        decoded = as_json(row)
        old = self._decoded.get(key)
        if old is not None:
            self._unindex(key, old)
        else:
            self._created[key] = next(self._sequence)
        self.rows[key] = frozen(decoded)
        self._decoded[key] = decoded
        for name, index in self._indexes.items():
            _add(index, decoded.get(name), key)

    def decoded(self, key: object) -> dict[str, Any]:
        """The stored row; never to be changed or handed out."""
        return self._decoded[key]

    def remove(self, key: object) -> bool:
        old = self._decoded.pop(key, None)
        if old is None:
            return False
        self._unindex(key, old)
        del self.rows[key], self._created[key]
        return True

    def matching(self, equal_to: dict[str, object]) -> list[object]:
        """Keys of the rows whose fields equal the given values, oldest first."""
        candidates: Iterable[object] = self.rows
        rest = list(equal_to.items())
        for position, (name, value) in enumerate(rest):
            if _hashable(value):
                hits = self._index(name).get(value, ())
                candidates = sorted(hits, key=self._created.__getitem__)
                del rest[position]
                break
        if not rest:
            return list(candidates)
        decoded = self._decoded
        if len(rest) == 1:
            [(name, value)] = rest
            return [key for key in candidates if decoded[key].get(name) == value]
        return [key for key in candidates
                if all(decoded[key].get(name) == value for name, value in rest)]

    def _index(self, name: str) -> dict[object, set[object]]:
        index = self._indexes.get(name)
        if index is None:
            index = self._indexes[name] = {}
            for key, decoded in self._decoded.items():
                _add(index, decoded.get(name), key)
        return index

    def _unindex(self, key: object, decoded: dict[str, Any]) -> None:
        for name, index in self._indexes.items():
            value = decoded.get(name)
            if _hashable(value):
                index[value].discard(key)


def _copy(value: Any) -> Any:
    """A decoded JSON value's copy (no memo needed: JSON has no shared parts)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _hashable(value: object) -> bool:
    return not isinstance(value, (list, dict))


def _add(index: dict[object, set[object]], value: object, key: object) -> None:
    if _hashable(value):
        index.setdefault(value, set()).add(key)


class Database:
    def __init__(self, new_uuid: Callable[[], str] | None = None) -> None:
        self.new_uuid = new_uuid or UUIDSequence()
        self._tables: dict[str, _Table] = {}
        self._ids = itertools.count(1)

    def create(self, obj: PersistentObject) -> None:
        if "id" in obj.__dataclass_fields__ and getattr(obj, "id", None) is None:
            obj.id = next(self._ids)
        table = self._tables.setdefault(obj.TABLE, _Table())
        if obj.db_key in table.rows:
            raise exception.Conflict(f"{obj.TABLE} {obj.db_key} already exists")
        self._write(obj)

    def save(self, obj: PersistentObject) -> None:
        """Write the changed fields, or the whole object if its class says so.

        Field-wise updates mean a service holding a stale copy only overwrites
        what it changed, as a Nova ``instance.save()`` does.
        """
        table = self._tables.get(obj.TABLE)
        if table is None or obj.db_key not in table.rows:
            raise exception.ObjectNotFound(table=obj.TABLE, key=obj.db_key)
        changed = obj.obj_what_changed()
        if not changed:
            return
        if obj.SAVE_WHOLE:
            self._write(obj)
            return
        new = obj.to_db_primitive()
        table.put(obj.db_key, {**table.decoded(obj.db_key),
                               **{name: new[name] for name in changed}})
        obj._db = self
        obj.obj_reset_changes(recursive=True)

    def delete(self, obj: PersistentObject) -> None:
        table = self._tables.get(obj.TABLE)
        if table is None or not table.remove(obj.db_key):
            raise exception.ObjectNotFound(table=obj.TABLE, key=obj.db_key)

    def get(self, cls: type[T], key: object) -> T:
        try:
            row = self._tables[cls.TABLE].rows[key]
        except KeyError:
            raise exception.ObjectNotFound(table=cls.TABLE, key=key) from None
        return self._load(cls, row)

    def query(self, cls: type[T], **equal_to: object) -> list[T]:
        """Rows of ``cls`` whose fields equal the given values, oldest first."""
        table = self._tables.get(cls.TABLE)
        if table is None:
            return []
        return [self._load(cls, table.rows[key]) for key in table.matching(equal_to)]

    def column(self, cls: type[PersistentObject], name: str, **equal_to: object) -> list[Any]:
        """Field ``name`` of the rows ``query`` would give, as stored (JSON values,
        copied): for a count over many rows that needs one field of each."""
        table = self._tables.get(cls.TABLE)
        if table is None:
            return []
        return [_copy(table.decoded(key)[name]) for key in table.matching(equal_to)]

    def _write(self, obj: PersistentObject) -> None:
        self._tables[obj.TABLE].put(obj.db_key, obj.to_db_primitive())
        obj._db = self
        obj.obj_reset_changes(recursive=True)

    def _load(self, cls: type[T], row: bytes) -> T:
        obj = cls.from_primitive(thawed(row))
        obj._db = self
        return obj
