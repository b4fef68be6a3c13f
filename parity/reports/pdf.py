"""HTML to PDF with headless Chromium (Debian's package: `make browser` installs it when missing).
Chromium prints exactly what a reader sees in the browser, charts included, with no second layout engine."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# the flags this machine needs: no sandbox as root, and no background connections to Google's
# services, which a closed network refuses many at a time
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


class ChromiumMissing(RuntimeError):
    pass


def chromium(configured: str | None = None) -> str:
    """The browser the settings name (PARITY_CHROMIUM), or chromium on the PATH."""
    for candidate in (configured, "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    raise ChromiumMissing("Chromium is needed for the PDF reports and was not found: run `make browser` "
                          "(installs Debian's chromium package) or set PARITY_CHROMIUM to its path.")


def print_pdf(html: Path, pdf: Path, browser: str | None = None, timeout: float = 120) -> None:
    """Print `html` to `pdf` (written beside it first, then moved in place) with `browser` (see chromium)."""
    partial = pdf.with_name(f".{pdf.name}.partial")
    with tempfile.TemporaryDirectory(prefix="parity-chromium-") as profile:
        subprocess.run([chromium(browser), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                        f"--print-to-pdf={partial}", html.resolve().as_uri()],
                       check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not partial.exists() or partial.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no PDF for {html}")
    os.replace(partial, pdf)
