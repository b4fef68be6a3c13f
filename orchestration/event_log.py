"""Dagster's SQLite event log (one database per run, plus an index), with its connections kept open.

The stock storage opens and closes a database for every event it stores. A `transform` run stores
about 3,000 events (dbt's 301 tests are asset checks), and closing the last connection to a WAL
database checkpoints it and syncs it to disk: about 10 s of a transform went there. Here each
database keeps one open connection (the few most recent databases: a run's and the index), and a
commit is synced at checkpoints rather than each time (WAL with synchronous=NORMAL: a killed process
loses no committed event; only a crash of the machine itself may lose the last ones, never the
database). The tables, their location and every query are Dagster's own.
"""
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage
from sqlalchemy.pool import QueuePool

OPEN_DATABASES = 4  # the index and the databases of the runs under way (a load runs one at a time)


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose connections stay open between events (configured in dagster.yaml
    by orchestration/instance.py)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, db.Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, conn_string: str) -> db.Engine:
        if self._engines_pid != os.getpid():  # a forked child must not use its parent's connections
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines, self._engines_pid = OrderedDict(), os.getpid()
        engine = self._engines.get(conn_string)
        if engine is None:
            # one connection per database, used under the storage's lock by one thread at a time
            engine = db.create_engine(conn_string, poolclass=QueuePool, pool_size=1, max_overflow=1,
                                      connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                    "check_same_thread": False})
            db.event.listen(engine, "connect", _sync_at_checkpoints)
            self._engines[conn_string] = engine
            while len(self._engines) > OPEN_DATABASES:
                self._engines.popitem(last=False)[1].dispose()
        else:
            self._engines.move_to_end(conn_string)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        with self._db_lock:
            engine = self._engine(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
