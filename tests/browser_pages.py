"""What the browser tests share: a page that records console errors, where screenshots go (outside
the repository: $PARITY_ARTIFACTS), and a dagster-webserver on 127.0.0.1 over a home."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from parity.config import PROJECT_DIR

from conftest import home_environment

ARTIFACTS = Path(os.environ.get("PARITY_ARTIFACTS", Path(tempfile.gettempdir()) / "parity-artifacts")) / "screenshots"


class Page:
    """A page that records console errors and uncaught exceptions."""
    def __init__(self, browser, width: int = 1280, height: int = 900):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dagster_webserver(home: Path, log_name: str = "dagster-webserver.log", extra_env: dict | None = None):
    """dagster-webserver on 127.0.0.1 over `home` (its runs and materialisations); yields its URL."""
    port = free_port()
    env = {name: value for name, value in {**os.environ, **home_environment(home), **(extra_env or {})}.items()
           if value is not None}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS.parent / log_name, "w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-webserver")), "-w", str(PROJECT_DIR / "workspace.yaml"),
             "-h", "127.0.0.1", "-p", str(port)], cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"dagster-webserver did not start; see {log.name}") from None
                    time.sleep(0.5)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
