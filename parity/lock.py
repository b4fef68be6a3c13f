"""Locks across processes: $PARITY_HOME/warehouse.lock (one writer of the restricted warehouse at a time:
an ingest step, the dbt build, the public.duckdb export, the outbox, the deadline watch) and
$PARITY_HOME/load.lock (`parity load`s take turns).

Each is an flock(2): the kernel releases it when the process that holds it ends, however it ends
(kill -9 included), so a dead holder never blocks the next one. A lock is re-entrant within a
process (the outbox, flushed at the end of an ingest, takes the lock its caller may hold). The file
says who holds it (pid, what, since when) for the message a waiting process prints.
"""
import contextlib
import datetime as dt
import fcntl
import os
import threading
import time
from pathlib import Path

_depth: dict[Path, int] = {}  # lock file -> how many times this process holds it
_guard = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another process writes the warehouse, or holds it open, longer than we may wait."""


def holder(path: Path) -> str:
    """Who holds the lock, as its holder wrote it (best effort: the file may be mid-write)."""
    try:
        return path.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextlib.contextmanager
def writer_lock(path: Path, purpose: str, wait: float, on_wait=None):
    """Hold the lock file `path` for the block; wait up to `wait` seconds for another holder, calling
    `on_wait(holder)` once when it has to wait; raise WarehouseBusy after that."""
    path = path.resolve()
    with _guard:
        reentered = path in _depth
        if reentered:
            _depth[path] += 1
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _depth[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"The warehouse is being written by {holder(path)}; waited {wait:.0f} s. It is freed when "
                        f"that process ends: try again later (PARITY_LOCK_WAIT sets how long to wait).") from None
                if not told and on_wait:
                    on_wait(holder(path))
                    told = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({purpose}) since {dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}\n"
                  .encode(), 0)
        with _guard:
            _depth[path] = 1
        try:
            yield
        finally:
            with _guard:
                del _depth[path]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock
