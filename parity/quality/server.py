"""Great Expectations in a process of its own, started with a load, so that its import (about 3 s of
the first partition) happens on the other core while the load starts up.

`parity load` starts the server first thing, beside the reader's fork server, when the inboxes hold
a delivery to check (the dbt server follows once a partition is accepted: parity/load.py); the
server imports GX, prepares the suites, and then validates what the load's process sends it (a
suite's name, the table, the parameters), one at a time, sending back plain Outcomes. A process that
has imported GX already (a test worker, a Dagster run after its first) starts none: validating in
process costs it nothing more. Without a server, or once it has died, run_suite validates in
process: the verdicts are the same either way (tests/test_quality.py).

Lifetime: the server leaves when its socket closes (its caller ended, however it ended) and dies
with its parent (Linux's parent-death signal); its caller stops it when it exits.
"""
import atexit
import socket
import subprocess
import sys
from multiprocessing.connection import Connection


class ValidationServer:
    """One process that validates suites; `validate` returns None once it is gone."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        # a process of its own (not multiprocessing's): none of the caller's threads, connections or
        # memory, and no resource tracker of the caller's to report what GX's imports leave behind
        self._process = subprocess.Popen([sys.executable, "-m", "parity.quality.server", str(theirs.fileno())],
                                         pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        theirs.close()
        self._connection: Connection | None = Connection(ours.detach())
        self._ready = False  # its "ready" (GX imported, the suites prepared) not read yet

    def validate(self, name: str, frame, parameters: dict) -> list | None:
        """run_suite in the server: its Outcomes; None if the server is gone (the caller validates
        in process). A failure of the validation itself is raised here, as in process."""
        if self._connection is None:
            return None
        try:
            if not self._ready:
                self._connection.recv()  # waits for the server's "ready"
                self._ready = True
            self._connection.send((name, frame, parameters))
            kind, payload = self._connection.recv()
        except (EOFError, OSError):
            self.close()
            return None
        if kind == "error":
            raise RuntimeError(f"suite {name}: {payload}")
        return payload

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._process.kill()
        self._process.wait()


_server: ValidationServer | None = None


def start_validation_server() -> None:
    """Start this process's server (once), unless this process has imported Great Expectations."""
    global _server
    if _server is None and "great_expectations" not in sys.modules:
        _server = ValidationServer()
        atexit.register(_server.close)


def validate(name: str, frame, parameters: dict) -> list | None:
    """The Outcomes of this process's server; None without one (validate in process)."""
    return _server.validate(name, frame, parameters) if _server is not None else None


def serve(connection: Connection) -> None:
    from parity.quality import suites

    suites.prepare()
    connection.send("ready")
    while True:
        try:
            name, frame, parameters = connection.recv()
        except (EOFError, OSError):  # the caller is gone
            return
        try:
            reply = ("outcomes", suites.validate_here(name, frame, parameters))
        except Exception as e:  # noqa: BLE001 - reported to the caller, who raises it
            reply = ("error", f"{type(e).__name__}: {e}")
        try:
            connection.send(reply)
        except (EOFError, OSError):
            return


if __name__ == "__main__":
    from parity.dbt_server import die_with_parent

    die_with_parent()
    serve(Connection(int(sys.argv[1])))
