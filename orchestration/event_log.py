"""Dagster's SQLite event log (one database per run, plus an index), with its connections kept open.

The stock storage opens and closes a database for every event it stores. A `transform` run stores
about 3,000 events (dbt's 301 tests are asset checks), and closing the last connection to a WAL
database checkpoints it and syncs it to disk: about 10 s of a transform went there. Here each
database keeps one open connection (the few most recent databases: a run's and the index), and a
commit is synced at checkpoints rather than each time (WAL with synchronous=NORMAL: a killed process
loses no committed event; only a crash of the machine itself may lose the last ones, never the
database). The tables, their location and every query are Dagster's own.

Each run has a database of its own, which Dagster creates and stamps with its schema version when the
run stores its first event (about 70 ms, on every run). Here a process creates one such empty
database the stock way, once, and each new run's database starts as a copy of it (a quarter of a
millisecond); a database that exists already is left to Dagster's own initialisation.
"""
import os
import shutil
import tempfile
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage
from sqlalchemy.pool import NullPool, QueuePool

OPEN_DATABASES = 4  # the index and the databases of the runs under way (a load runs one at a time)


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _remove_in(pid: int, folder: str) -> None:
    """Remove `folder` in the process that made it (not in a forked child, which shares it)."""
    if os.getpid() == pid:
        shutil.rmtree(folder, ignore_errors=True)


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose connections stay open between events (configured in dagster.yaml
    by orchestration/instance.py)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, db.Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._empty_run_db: Path | None = None  # made on first use, in a folder removed with this storage
        self._tables: set[str] = set()  # tables known to exist in the index (Dagster never drops one)
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

    def _initdb(self, engine: db.Engine, for_index_shard: bool = False) -> None:
        path = engine.url.database
        if for_index_shard or not path or os.path.exists(path) or not self._copy_empty_run_db(Path(path)):
            super()._initdb(engine, for_index_shard=for_index_shard)

    def _copy_empty_run_db(self, path: Path) -> bool:
        """Create the run database `path` as a copy of an empty one made by Dagster's own _initdb;
        False if it could not be linked into place (another process created `path` first, or the
        file system has no hard links): Dagster's own initialisation then takes over."""
        if self._empty_run_db is None or not self._empty_run_db.exists():
            folder = tempfile.mkdtemp(prefix="parity-dagster-empty-run-")
            weakref.finalize(self, _remove_in, os.getpid(), folder)
            empty = Path(folder) / "run.db"
            engine = db.create_engine(f"sqlite:///{empty}", poolclass=NullPool)
            super()._initdb(engine)
            with engine.connect() as conn:  # everything in the file itself: no write-ahead log to copy
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            self._empty_run_db = empty
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        shutil.copyfile(self._empty_run_db, partial)
        try:
            os.link(partial, path)  # never over a database another process has just created
        except OSError:  # it did (FileExistsError), or the file system has no hard links
            return False
        finally:
            partial.unlink()
        return True

    def has_table(self, table_name: str) -> bool:
        # Dagster asks before storing many events (a connection to the index each time); a table that
        # exists stays, so only a missing one is asked again
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

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
