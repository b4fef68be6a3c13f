"""dbt commands run by the dbt server (parity/dbt_server.py) are dbt's own: same output and exit
status as dbt started alone, dbt itself when no server answers, and a command whose client is killed
is killed with it (no dbt left writing after the load that started it). A server started warm builds
the project on a warehouse of its own first, then holds no database open."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parity import dbt_server
from parity.config import DBT_PROJECT_DIR
from parity.dbt import DBT_COMMAND, DBT_EXECUTABLE, dbt_invocation
from parity.dbt_client import SERVER_VARIABLE
from parity.dbt_server import WARM_UP_RESULT

pytestmark = pytest.mark.usefixtures("dbt_server_warm")  # the worker's server, as every test that builds has it


def _listening(timeout: float = 60) -> None:
    dbt_server.start()  # this process's (a load may have started it already)
    deadline = time.monotonic() + timeout
    while not Path(os.environ[SERVER_VARIABLE]).exists():
        assert time.monotonic() < deadline, "the dbt server never listened"
        time.sleep(0.1)


def _children(pid: int) -> set[int]:
    """The processes `pid` forked (each listed under the thread that forked it; threads come and go)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return found


def _forked(pid: int) -> set[int]:
    """The commands the server `pid` forked (children running its own command line: not its resource tracker)."""
    own = Path(f"/proc/{pid}/cmdline").read_bytes()
    forked = set()
    for child in _children(pid):
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == own:
                forked.add(child)
        except FileNotFoundError:
            continue
    return forked


def test_a_command_through_the_server_is_dbts_own_and_dbt_runs_it_without_one():
    _listening()
    # --help: `dbt --version` would ask PyPI for dbt's latest release (tests talk to 127.0.0.1 only)
    alone = subprocess.run([str(DBT_EXECUTABLE), "--help"], capture_output=True, text=True, timeout=120)
    served = subprocess.run([str(DBT_COMMAND), "--help"], capture_output=True, text=True, timeout=120)
    assert (served.returncode, served.stdout, served.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    unknown = subprocess.run([str(DBT_COMMAND), "no-such-command"], capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 2 and "No such command 'no-such-command'" in unknown.stderr  # click's usage error
    without = {k: v for k, v in os.environ.items() if k != SERVER_VARIABLE}
    itself = subprocess.run([str(DBT_COMMAND), "--help"], capture_output=True, text=True, env=without, timeout=120)
    assert (itself.returncode, itself.stdout) == (0, alone.stdout)


def test_a_command_that_comes_while_the_server_imports_dbt_waits_for_it_and_dies_with_its_client(tmp_path):
    """A server just started (as a load starts its own, a second before its build) listens before it
    imports dbt: a command that comes meanwhile waits for the import and is forked from the server, not
    run as a second dbt beside it. Its client killed, the command is killed too."""
    folder = tmp_path / "server"
    folder.mkdir()
    server = subprocess.Popen([sys.executable, "-m", "parity.dbt_server", str(folder)], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not (folder / dbt_server.SOCKET).exists():
            assert server.poll() is None and time.monotonic() < deadline, "the dbt server never listened"
            time.sleep(0.01)
        # listening before importing: DuckDB's library (the adapter's, imported with dbt) not loaded yet
        assert "duckdb" not in Path(f"/proc/{server.pid}/maps").read_text(), "it imported dbt before it listened"
        project = tmp_path / "project"
        shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
        # a parse from nothing: seconds of work, into a folder of its own
        client = subprocess.Popen([str(DBT_COMMAND), "parse", "--no-partial-parse", "--project-dir", str(project),
                                   "--profiles-dir", str(project), "--target-path", str(tmp_path / "target")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=project,
                                  env={**os.environ, SERVER_VARIABLE: str(folder / dbt_server.SOCKET)})
        deadline = time.monotonic() + 60
        while not _forked(server.pid):
            assert client.poll() is None, "the client did not wait for the server (it ran dbt itself, or failed)"
            assert time.monotonic() < deadline, "no command forked"
            time.sleep(0.05)
        [child] = _forked(server.pid)
        client.send_signal(signal.SIGKILL)
        client.wait()
        deadline = time.monotonic() + 30
        while child in _children(server.pid):
            assert time.monotonic() < deadline, "the killed client's dbt kept running"
            time.sleep(0.05)
    finally:
        server.kill()
        server.wait()




def test_a_server_whose_warm_up_parsed_the_project_again_forks_commands_that_parse_it(tmp_path):
    """A warm-up that parses the project again (here: other variables than the prepared parse was made
    with) leaves nothing in the server that a forked command cannot use. dbt's static parser (the
    dbt-extractor library) works on a thread pool of its own: started in the server, it is missing in
    every child, and a child that then parsed a model waited for it forever."""
    folder = tmp_path / "server"
    folder.mkdir()
    server = subprocess.Popen([sys.executable, "-m", "parity.dbt_server", str(folder), "--warm-up"],
                              stdin=subprocess.DEVNULL, env={**os.environ, "PARITY_DISCLOSURE_THRESHOLD": "3"})
    try:
        deadline = time.monotonic() + 300
        while not (folder / WARM_UP_RESULT).exists():
            assert server.poll() is None and time.monotonic() < deadline, "the warm-up never finished"
            time.sleep(0.1)
        assert (folder / WARM_UP_RESULT).read_text(encoding="utf-8") == "warm\n"
        # a change to one model: the prepared parse serves the rest, the static parser reads that one
        project = tmp_path / "project"
        shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("logs", "manifest.json"))
        model = project / "models" / "marts" / "dimensions" / "dim_sex.sql"
        model.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        with dbt_invocation("parse", project_dir=project, target_path=tmp_path / "target") as (arguments, environment):
            parse = subprocess.run([str(DBT_COMMAND), *arguments], capture_output=True, text=True, cwd=project,
                                   timeout=120, env={**os.environ, **environment,
                                                     SERVER_VARIABLE: str(folder / dbt_server.SOCKET)})
        assert parse.returncode == 0, parse.stdout[-2000:] + parse.stderr[-2000:]
        assert (tmp_path / "target" / "manifest.json").exists()
    finally:
        server.kill()
        server.wait()


def test_a_warm_server_built_the_project_on_a_warehouse_of_its_own_and_holds_no_database_open():
    """Started warm (as the tests' workers start it), the server builds the project once on a warehouse
    of its own before its first command (commands forked afterwards inherit what dbt made); then it holds
    no DuckDB file open (a child would inherit the instance without its threads) and its scratch is gone."""
    _listening()
    assert subprocess.run([str(DBT_COMMAND), "--help"], capture_output=True, timeout=300).returncode == 0
    result = Path(os.environ[SERVER_VARIABLE]).parent / WARM_UP_RESULT  # written before the first command
    assert result.read_text(encoding="utf-8") == "warm\n"
    assert not (result.parent / "warm-up").exists()
    held = [os.readlink(fd) for fd in Path(f"/proc/{dbt_server.server_pid()}/fd").iterdir() if fd.is_symlink()]
    assert not [path for path in held if ".duckdb" in path], held
    served = subprocess.run([str(DBT_COMMAND), "--help"], capture_output=True, text=True, timeout=300)
    assert served.returncode == 0 and "Usage: dbt" in served.stdout  # and a warm server serves as before
