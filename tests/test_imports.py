"""Importing a module does no I/O: with an empty environment, importing every module of parity,
orchestration and sources starts no process, opens no connection and writes nothing; what our own
code reads at import is files shipped with the project (dialects, messages, suites, the prepared
dbt manifest). Libraries' own import-time habits (dagster's vendored croniter runs `file`) are theirs."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import importlib, pkgutil, sys, sysconfig
root, venv = sys.argv[1], sys.prefix
stdlib = (sysconfig.get_paths()["stdlib"], "<frozen")
found = []

def ours():
    # the innermost frame outside the standard library decides whose I/O it is (frames, not
    # traceback: formatting one would read source files, another open)
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(stdlib):
            return name.startswith(root) and not name.startswith(venv), f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return False, None

def hook(event, args):
    if event in ("open", "subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork",
                 "socket.connect", "os.mkdir", "os.rename", "os.remove", "os.chmod"):
        mine, frame = ours()
        if not mine:
            return
        if event == "open":
            path, mode = args[0], str(args[1] or "r")
            shipped = str(path).startswith((root, sys.prefix, sys.base_prefix))  # the project, its libraries
            if isinstance(path, int) or (shipped and not any(c in mode for c in "wax+")):
                return
        found.append(f"{event} {str(args)[:100]} at {frame}")

sys.addaudithook(hook)
modules = []
for package in ("sources", "parity", "orchestration"):
    module = importlib.import_module(package)
    modules.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        importlib.import_module(info.name)
        modules.append(info.name)
print(len(modules))
print("\n".join(found))
"""


def test_importing_every_module_with_an_empty_environment_does_no_io(tmp_path):
    # -B: no bytecode written (the project's __pycache__ would be a write of ours, into the repository)
    result = subprocess.run([sys.executable, "-B", "-c", PROBE, str(ROOT)], env={}, cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    count, *found = result.stdout.strip().split("\n")
    assert int(count) > 60  # every module was imported
    assert [line for line in found if line] == []
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran
