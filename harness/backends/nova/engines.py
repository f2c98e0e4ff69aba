"""Database engines kept from one cloud to the next, their databases not.

Each of Nova's tests, and each cloud here, gets new databases (Nova's API and
cells, placement's), each on a new SQLAlchemy engine. An engine caches the SQL
it compiled from each statement, and that cache dies with it: every cloud
compiled all of Nova's and placement's queries again, a fifth of a scenario.

An engine of an in-memory SQLite database (``sqlite://``, what Nova's fixtures
use with eventlet) holds its database in its one connection: once disposed, its
next connection opens a new, empty database. ``EngineReuse`` hands such an
engine, disposed when its cloud ended, to the next cloud that creates one with
the same arguments: new, empty databases, with the compiled SQL kept. Any other
database (a file, as Nova's fixtures use with native threads) gets a new engine.
"""

from __future__ import annotations

from typing import Any

import fixtures

IN_MEMORY = "sqlite://"


class EnginePool:
    """The disposed in-memory engines of clouds that ended, by creation arguments."""

    def __init__(self) -> None:
        self._free: dict[str, list[Any]] = {}

    def take(self, key: str) -> Any | None:
        free = self._free.get(key)
        return free.pop() if free else None

    def give_back(self, key: str, engine: Any) -> None:
        # Disposed here too: whoever created it may not have.
        engine.dispose()
        self._free.setdefault(key, []).append(engine)


class EngineReuse(fixtures.Fixture):
    """For the fixture's life, oslo.db's engines of in-memory databases come from
    ``pool`` when it has one made with the same arguments; each goes back to it
    when the fixture ends (after what used it: set the fixture up first)."""

    def __init__(self, pool: EnginePool) -> None:
        super().__init__()
        self.pool = pool

    def _setUp(self) -> None:
        # Imported here: the default install has no oslo.db, and Nova's test
        # packages must be imported before it (they patch the process).
        from oslo_db.sqlalchemy import engines

        self._new_engine = engines.create_engine
        self.taken: list[tuple[str, Any]] = []
        self.reused = 0
        self.addCleanup(self._give_back)
        self.useFixture(fixtures.MonkeyPatch(
            "oslo_db.sqlalchemy.engines.create_engine", self._create_engine))

    def _create_engine(self, sql_connection: Any, **kwargs: Any) -> Any:
        if sql_connection != IN_MEMORY:
            return self._new_engine(sql_connection, **kwargs)
        key = repr(sorted(kwargs.items()))
        engine = self.pool.take(key)
        if engine is None:
            engine = self._new_engine(sql_connection, **kwargs)
        else:
            self.reused += 1
        self.taken.append((key, engine))
        return engine

    def _give_back(self) -> None:
        while self.taken:
            self.pool.give_back(*self.taken.pop())
