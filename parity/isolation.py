"""Reading a delivery in a child process, with a memory and a time limit.

The reader's own limits (sources/limits.py) refuse what a file declares; what still exhausts or
crashes the reader (a parser's abort, a pathological cell) must not take the load down with it.
Each file is read in a process forked from a small server that has the reader imported
(multiprocessing's forkserver: no copy of the caller's threads, connections or memory), with its
address space capped. If it runs out of memory, is killed, or overruns the time limit, the file is
rejected with one message and the load goes on with the next file.
"""
import logging
import multiprocessing
import resource
import signal

from sources import ReadError, read_delivery
from sources.errors import Problem
from sources.limits import MIB, Limits

log = logging.getLogger(__name__)
_PRELOAD = ["sources.reader", "python_calamine", "pandas"]


def _read_in_child(sender, path, name, inbox_country, now, timezone, limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    try:
        result = ("tables", read_delivery(path, name=name, inbox_country=inbox_country, now=now,
                                          timezone=timezone, limits=limits))
    except ReadError as e:
        result = ("rejected", e.problems)
    except MemoryError:
        result = ("failed", "out of memory")
    except Exception as e:  # noqa: BLE001 - any failure of the reader is this file's, never the load's
        result = ("failed", type(e).__name__)  # the type only: an exception's text may quote the file
    try:
        sender.send(result)
    except MemoryError:
        sender.send(("failed", "out of memory"))
    sender.close()


def _reader_context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def start_reader_server() -> None:
    """Start the fork server now (a new interpreter importing the reader, about a second), so that
    it gets ready on the other core while the caller starts up, instead of at the first file read."""
    _reader_context()
    from multiprocessing import forkserver

    forkserver.ensure_running()


def read_isolated(path, *, name: str, inbox_country: str | None, now, timezone: str, limits: Limits):
    """read_delivery(...) in a child process; a child that fails becomes a ReadError of the file."""
    context = _reader_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_read_in_child, name=f"parity-read {name}",
                            args=(sender, path, name, inbox_country, now, timezone, limits))
    child.start()
    sender.close()
    try:
        if receiver.poll(limits.seconds):
            kind, payload = receiver.recv()
        else:
            kind, payload = "failed", f"not finished after {limits.seconds:.0f} s"
    except EOFError:  # the child died without a word: killed, or aborted in native code
        child.join(5)
        code = child.exitcode
        kind, payload = "failed", (f"stopped by signal {signal.Signals(-code).name}" if code and code < 0
                                   else f"exit status {code}")
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if kind == "tables":
        return payload
    if kind == "rejected":
        raise ReadError(payload)
    log.warning("reading %s failed in its child process: %s", name, payload)
    raise ReadError([Problem(
        file=name, value=payload, rule="reader_limit",
        expected=f"a file that can be read within {limits.memory_bytes // MIB:,} MB of memory and "
                 f"{limits.seconds:.0f} s",
        fix="The file is far larger or more complex than a quarter's extract: export only the agreed tables "
            "and columns again (no formatted empty areas, no embedded objects) and deliver it again.")])
