"""Reading a delivery in a child process, with a memory and a time limit.

The reader's own limits (sources/limits.py) refuse what a file declares; what still exhausts or
crashes the reader (a parser's abort, a pathological cell) must not take the load down with it.
Files are read in a process forked from a small server that has the reader imported
(multiprocessing's forkserver: no copy of the caller's threads, connections or memory), with its
address space capped; the files of one submission are read in turn by one such child. If a file
runs out of memory, is killed, or overruns the time limit, it is read again alone in a child of its
own (the files before it may have left the child less room), and if that fails too, the file is
rejected with one message and the load goes on with the next file.
"""
import datetime as dt
import logging
import multiprocessing
import resource
import signal
from dataclasses import dataclass
from pathlib import Path

from sources import ReadError, read_delivery
from sources.errors import Problem
from sources.limits import MIB, Limits

log = logging.getLogger(__name__)
_PRELOAD = ["sources.reader", "python_calamine", "pandas"]


@dataclass(frozen=True)
class ReadRequest:
    """One file to read in a child: read_delivery's arguments."""
    path: Path
    name: str
    inbox_country: str | None
    now: dt.datetime
    timezone: str


def _read_one(request: ReadRequest, limits: Limits) -> tuple[str, object]:
    try:
        return "tables", read_delivery(request.path, name=request.name, inbox_country=request.inbox_country,
                                       now=request.now, timezone=request.timezone, limits=limits)
    except ReadError as e:
        return "rejected", e.problems
    except MemoryError:
        return "failed", "MemoryError"
    except Exception as e:  # noqa: BLE001 - any failure of the reader is this file's, never the load's
        return "failed", type(e).__name__  # the type only: an exception's text may quote the file


def _read_in_child(sender, requests: list[ReadRequest], limits: Limits) -> None:
    """Read the files in turn, sending each file's outcome as soon as it is known."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    for request in requests:
        result = _read_one(request, limits)
        try:
            sender.send(result)
        except MemoryError:
            sender.send(("failed", "MemoryError"))
        del result  # the next file gets the memory back
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
    [outcome] = read_each_isolated([ReadRequest(path, name, inbox_country, now, timezone)], limits)
    if isinstance(outcome, ReadError):
        raise outcome
    return outcome


def read_each_isolated(requests: list[ReadRequest], limits: Limits) -> list:
    """read_isolated for several files: each file's tables, or its ReadError, in the order asked.

    The files are read in turn by as few children as they allow (starting a child costs more than
    reading a small file). A file is judged as read_isolated judges it, alone: one that exhausts
    memory, crashes or overruns the time after other files in the same child is read again in a
    child of its own, and only that verdict counts. The time limit holds for each file."""
    outcomes: list = [None] * len(requests)
    first = 0
    while first < len(requests):
        batch = _read_batch(requests[first:], limits)
        for offset, (kind, payload) in enumerate(batch):
            if kind == "failed" and offset > 0:  # perhaps the files before it: judged alone
                [(kind, payload)] = _read_batch([requests[first + offset]], limits)
            outcomes[first + offset] = _outcome(requests[first + offset].name, kind, payload, limits)
        first += len(batch)
    return outcomes


def _read_batch(requests: list[ReadRequest], limits: Limits) -> list[tuple[str, object]]:
    """One child reads the files in turn; the outcomes up to the first the child did not survive
    (killed, crashed or out of time: the files after it are not read by this child)."""
    context = _reader_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_read_in_child, name=f"parity-read {requests[0].name}",
                            args=(sender, requests, limits))
    child.start()
    sender.close()
    outcomes = []
    try:
        for _ in requests:
            if not receiver.poll(limits.seconds):
                outcomes.append(("failed", f"> {limits.seconds:.0f} s"))
                break
            try:
                outcomes.append(receiver.recv())
            except EOFError:  # the child died without a word: killed, or aborted in native code
                child.join(5)
                code = child.exitcode
                outcomes.append(("failed", signal.Signals(-code).name if code and code < 0
                                 else f"exit {code}"))
                break
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    return outcomes


def _outcome(name: str, kind: str, payload, limits: Limits):
    if kind == "tables":
        return payload
    if kind == "rejected":
        return ReadError(payload)
    log.warning("reading %s failed in its child process: %s", name, payload)
    return ReadError([Problem(file=name, rule="reader_limit", value=payload,
                              facts={"memory_mb": f"{limits.memory_bytes // MIB:,}", "seconds": f"{limits.seconds:.0f}"})])
