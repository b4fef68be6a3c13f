"""`parity-dbt`: the dbt command parity starts (dagster-dbt's and parity.dbt's builds), run by the dbt
server of the process that started it when there is one (parity/dbt_server.py), else by dbt itself.

It imports only the standard library, so that it starts in a few milliseconds: it hands the server its
arguments, working folder, environment and standard streams, passes SIGINT and SIGTERM on to the dbt
child the server forked for it, and exits with that child's status. Killed, it takes its child with it
(the server kills a child whose client went away). Without a server (none started, or gone), it
becomes dbt: the same command, as it was before the server existed.
"""
import json
import os
import signal
import socket
import struct
import sys
from pathlib import Path

SERVER_VARIABLE = "PARITY_DBT_SERVER"  # the server's socket, set by parity.dbt_server.start()
HEADER = struct.Struct("!Q")


def received(connection: socket.socket, size: int) -> bytes | None:
    """Exactly `size` bytes from the other end, or None when it went away first."""
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _served(path: str, args: list[str]) -> int | None:
    """The command's exit status as the server ran it; None when no server answers."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    with connection:
        request = json.dumps({"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        socket.send_fds(connection, [HEADER.pack(len(request)) + request], [0, 1, 2])
        started = received(connection, HEADER.size)
        if started is None:
            return None
        child = HEADER.unpack(started)[0]
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda number, _frame: os.kill(child, number))
        status = received(connection, HEADER.size)
        return 1 if status is None else HEADER.unpack(status)[0] - 256  # sent offset: statuses may be negative


def main() -> None:
    args = sys.argv[1:]
    path = os.environ.get(SERVER_VARIABLE)
    status = _served(path, args) if path else None
    if status is None:
        dbt = Path(sys.executable).with_name("dbt")  # this environment's dbt, as parity.dbt.DBT_EXECUTABLE
        os.execv(dbt, [str(dbt), *args])
    sys.exit(status)


if __name__ == "__main__":
    main()
