"""dbt commands forked from a process that has dbt imported already.

Each dbt command is a new Python process that spends most of a small build starting: importing dbt
(its dataclasses' serialisers are compiled at import) and its adapter. On the tests' warehouses a build
with nothing to do took 8.9 s of CPU as its own process and 5.1 s as a child forked from a process
that had imported dbt (docs/decisions.md, "Speed"). The server is that process: `start()` launches it
beside the caller (as the reader's fork server), it listens on a Unix socket in a private folder and
imports dbt's command line and the DuckDB adapter once (a command that comes meanwhile waits for the
import); `parity-dbt` (parity/dbt_client.py), the command dagster-dbt and parity.dbt start, hands it its
arguments, folder, environment and standard streams, and the server forks a child that runs the command
with them.

A command runs exactly as long as its client: a client that goes away (killed with its load) gets its
child killed, and a child dies with the server (the operating system's parent-death signal), so no dbt
is left writing the warehouse after the load that started it. The server lives as long as the process
that started it (the same parent-death signal) and is in its process group, so `kill -9` of a load's
group stops all of it. Without a server, `parity-dbt` runs dbt itself. A process that will run many
commands starts its server warm (start(warm_up=True): one build of its own first).
"""
import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from parity.dbt_client import HEADER, SERVER_VARIABLE, received

SOCKET = "dbt.sock"
WARM_UP_RESULT = "warm-up.txt"  # beside the socket: "warm", or why the server stayed cold
_PR_SET_PDEATHSIG = 1
_server: subprocess.Popen | None = None  # this process's server, once started


def die_with_parent() -> None:
    """The kernel sends this process SIGKILL when its parent ends (Linux; elsewhere nothing)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (AttributeError, OSError):
        pass


def start(warm_up: bool = False) -> None:
    """Launch this process's dbt server (once) and point every dbt command started from now on at it.
    Returns at once: until the server listens (a few milliseconds), `parity-dbt` runs dbt itself; from
    then on it waits for the server's import of dbt to end. `warm_up`: for a process that will run
    several dbt commands (_warm_up)."""
    global _server
    if _server is not None:
        return
    folder = Path(tempfile.mkdtemp(prefix="parity-dbt-"))  # owner-only: the socket takes commands
    process = _server = subprocess.Popen([sys.executable, "-m", "parity.dbt_server", str(folder),
                                          *(["--warm-up"] if warm_up else [])],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ[SERVER_VARIABLE] = str(folder / SOCKET)

    def stop():
        global _server
        _server = None
        os.environ.pop(SERVER_VARIABLE, None)
        process.kill()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)
    atexit.register(stop)


def server_pid() -> int | None:
    return _server.pid if _server is not None else None


def _run(args: list[str], cwd: str, env: dict[str, str], fds: list[int]) -> int:
    """In the forked child: the command with the client's streams, folder and environment."""
    die_with_parent()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["dbt", *args]
    from dbt.cli.main import cli

    try:
        cli.main(args=args, prog_name="dbt", standalone_mode=True)
        return 0
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _serve_one(connection: socket.socket) -> None:
    with connection:
        try:
            first, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
            size = HEADER.unpack(first[:HEADER.size])[0]
            body = first[HEADER.size:]
            rest = received(connection, size - len(body))
        except (OSError, ValueError):
            return
        if rest is None:  # the client went away before its request was whole
            return
        body += rest
        request = json.loads(body)
        child = os.fork()
        if child == 0:
            status = 1
            try:
                status = _run(request["args"], request["cwd"], request["env"], fds)
            finally:
                os._exit(status)
        for fd in fds:
            os.close(fd)
        finished = threading.Event()

        def kill_when_the_client_goes() -> None:
            try:
                connection.recv(1)  # the client sends nothing more: this returns when it goes away
            except OSError:
                pass
            if not finished.is_set():
                os.kill(child, signal.SIGKILL)
        threading.Thread(target=kill_when_the_client_goes, daemon=True).start()
        try:
            connection.sendall(HEADER.pack(child))
        except OSError:
            pass
        _, status = os.waitpid(child, 0)
        finished.set()
        try:
            connection.sendall(HEADER.pack(os.waitstatus_to_exitcode(status) + 256))
        except OSError:
            pass


def _warm_up(scratch: Path, result: Path) -> None:
    """One build of the project with no rows (`--empty`) on a throwaway warehouse in `scratch` (in the
    server's private folder), here, before the first command is forked; `result` says how it went.
    dbt makes much of what a command needs on first use (its dataclasses' serialisers and JSON schemas,
    the materialisations' templates): made here once, every child inherits it instead of making it
    again, about 1 s of each command. It costs about 4 s of CPU, which only a process that runs several
    commands gets back (the tests' workers): start(warm_up=True); a load's one build would wait for
    it. A warm-up that fails leaves the server as it was: cold, never broken."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    from parity.config import Settings
    from parity.dbt import dbt_invocation, empty_warehouse, process_environment

    outcome = "cold: the warm-up did not finish"
    try:
        scratch.mkdir()
        # --no-static-parser: should this build parse the project again (a parse prepared for other
        # variables), the static parser would start dbt-extractor's thread pool here, which no forked
        # child has: a child that then parsed a model would wait for it forever (tests/test_dbt_server.py)
        with dbt_invocation("build", "--empty", "--exclude", "resource_type:unit_test", "--no-write-json",
                            "--no-static-parser",
                            warehouse=empty_warehouse(scratch), target_path=scratch / "target",
                            settings=Settings.from_env()) as (arguments, environment), process_environment(environment):
            built = dbtRunner().invoke(arguments)
        outcome = "warm" if built.success else f"cold: the warm-up build failed ({built.exception or 'a node failed'})"
    except Exception as e:  # noqa: BLE001 - a cold server is a slower server, nothing more
        outcome = f"cold: {type(e).__name__}"
    finally:
        # dbt-duckdb keeps its DuckDB instance open for the next command in the same process (a private
        # class attribute of dbt-duckdb 1.11): closed here, where its threads are, never in a child
        env, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if env is not None:
            with contextlib.suppress(Exception):
                env.close()
        shutil.rmtree(scratch, ignore_errors=True)
        result.write_text(outcome + "\n", encoding="utf-8")


def serve(folder: Path, warm_up: bool) -> None:
    die_with_parent()
    # Listening first, importing after: a client that comes while dbt is being imported here waits in the
    # listener's queue for the rest of that import instead of importing all of dbt again beside it (a
    # load of one partition asks for its build about a second after it started this server). Should
    # this process die first, its queue's clients find the connection closed and run dbt themselves.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    partial = folder / f".{SOCKET}"
    listener.bind(str(partial))
    listener.listen(8)
    os.replace(partial, folder / SOCKET)  # a client finds a listening socket or none (and runs dbt itself)
    from multiprocessing import resource_tracker

    import dbt.adapters.duckdb  # noqa: F401 - imported once here, for every command forked from here
    import dbt.cli.main  # noqa: F401

    resource_tracker.ensure_running()  # dbt's thread pools' semaphores: tracked here, not by each child
    if warm_up:
        _warm_up(folder / "warm-up", folder / WARM_UP_RESULT)  # a client meanwhile waits in the listener's queue
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), warm_up=sys.argv[2:] == ["--warm-up"])
