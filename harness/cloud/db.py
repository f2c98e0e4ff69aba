"""An in-memory database with Nova's save/load semantics.

Rows are stored as JSON text, as Nova stores ``request_specs.spec``: every load
builds fresh objects, so no two services ever share an object by accident and
whatever was not persisted (transient fields, unsaved changes) is really gone.
"""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

from harness.cloud import exception
from harness.cloud.objects import PersistentObject

T = TypeVar("T", bound=PersistentObject)


class UUIDSequence:
    """Repeatable UUIDs, so that two runs of a scenario trace the same."""

    def __init__(self, seed: int = 1718455) -> None:
        self._random = random.Random(seed)

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


class Database:
    def __init__(self, new_uuid: Callable[[], str] | None = None) -> None:
        self.new_uuid = new_uuid or UUIDSequence()
        self._tables: dict[str, dict[object, str]] = {}
        self._ids = itertools.count(1)

    def create(self, obj: PersistentObject) -> None:
        if "id" in obj.__dataclass_fields__ and getattr(obj, "id", None) is None:
            obj.id = next(self._ids)
        table = self._tables.setdefault(obj.TABLE, {})
        if obj.db_key in table:
            raise exception.Conflict(f"{obj.TABLE} {obj.db_key} already exists")
        self._write(obj)

    def save(self, obj: PersistentObject) -> None:
        """Write the changed fields, or the whole object if its class says so.

        Field-wise updates mean a service holding a stale copy only overwrites
        what it changed, as a Nova ``instance.save()`` does.
        """
        table = self._tables.get(obj.TABLE, {})
        if obj.db_key not in table:
            raise exception.ObjectNotFound(table=obj.TABLE, key=obj.db_key)
        changed = obj.obj_what_changed()
        if not changed:
            return
        if obj.SAVE_WHOLE:
            self._write(obj)
            return
        row = json.loads(table[obj.db_key])
        new = obj.to_db_primitive()
        row.update({name: new[name] for name in changed})
        table[obj.db_key] = json.dumps(row)
        obj._db = self
        obj.obj_reset_changes(recursive=True)

    def delete(self, obj: PersistentObject) -> None:
        if self._tables.get(obj.TABLE, {}).pop(obj.db_key, None) is None:
            raise exception.ObjectNotFound(table=obj.TABLE, key=obj.db_key)

    def get(self, cls: type[T], key: object) -> T:
        try:
            row = self._tables.get(cls.TABLE, {})[key]
        except KeyError:
            raise exception.ObjectNotFound(table=cls.TABLE, key=key) from None
        return self._load(cls, row)

    def query(self, cls: type[T], **equal_to: object) -> list[T]:
        """Rows of ``cls`` whose fields equal the given values, oldest first."""
        return [
            obj
            for obj in self._all(cls)
            if all(getattr(obj, name) == value for name, value in equal_to.items())
        ]

    def _all(self, cls: type[T]) -> Iterator[T]:
        for row in self._tables.get(cls.TABLE, {}).values():
            yield self._load(cls, row)

    def _write(self, obj: PersistentObject) -> None:
        self._tables[obj.TABLE][obj.db_key] = json.dumps(obj.to_db_primitive())
        obj._db = self
        obj.obj_reset_changes(recursive=True)

    def _load(self, cls: type[T], row: str) -> T:
        obj = cls.from_primitive(json.loads(row))
        obj._db = self
        return obj
