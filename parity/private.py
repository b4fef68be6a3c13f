"""Data at rest belongs to the service's owner: what parity writes under $PARITY_HOME is created
readable by its owner only (directories 0700, files 0600), from the first byte. The one exception is
public.duckdb, which analysts on the machine may read (and $PARITY_HOME itself, 0711, so that they
can reach it by its path without listing what lies beside it)."""
import hashlib
import os
from pathlib import Path

OWNER_ONLY_UMASK = 0o077


def owner_only() -> None:
    """Files and folders this process creates from now on are its owner's only (entry points call it:
    the command line, the Dagster code location's resource)."""
    os.umask(OWNER_ONLY_UMASK)


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write `path` (replacing it) with owner-only permissions from its creation, whole: through a
    temporary name and a rename, so that a reader (the focal points' page) sees the old file or the
    new one, never half of one."""
    private_dir(path.parent)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(data)
    partial.replace(path)
    return path


def sha256_of(source) -> str:
    """The SHA-256 of what is left to read of the binary file object `source`, read in blocks."""
    digest = hashlib.sha256()
    for block in iter(lambda: source.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def copy_private(source, path: Path) -> str:
    """Copy the binary file object `source` into `path`, a new file, owner-only from its creation, in
    blocks; returns the SHA-256 of what was copied."""
    digest = hashlib.sha256()
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as target:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
            target.write(block)
    return digest.hexdigest()


def prepare_home(home: Path) -> None:
    """Create $PARITY_HOME reachable (not listable) by others, for public.duckdb; an existing home
    keeps the permissions its operator gave it."""
    if not home.exists():
        home.mkdir(parents=True, mode=0o711)
        home.chmod(0o711)
