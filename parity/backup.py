"""`parity backup DEST`, `parity backup --verify DEST`, `parity restore SRC`: a consistent copy of
everything needed to carry on, checked by a manifest of checksums.

What a backup holds (paths relative to $PARITY_HOME): the restricted warehouse and public.duckdb, the
archive of received files (clear registration numbers: a backup is its owner's only, and the
retention rule prunes it as it prunes the archive, parity/retention.py), the quality reports, the
focal points' status files, the quarterly reports, the logs, the focal points' page's access store,
Dagster's instance (runs, schedules, event logs) and the configuration file. Not the pseudonymisation
key (kept apart: whoever holds a backup and the key can re-identify nobody, but the key with the
archive is the whole secret), not the inbox (files not loaded yet are still the ministries'), not
dbt's working files (remade by the next build).

Consistency: the backup takes the load lock and the warehouse lock, so no load, build or other
writer is between steps while it copies: the warehouse and the archive are those of finished units
of work, never a half-loaded partition. SQLite files (Dagster's, the page's store) are copied through
SQLite's online backup, which the daemon and the page may keep writing through. The copy is made
under DEST's name with `.partial` appended and renamed at the end: a killed backup never looks whole.
"""
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from parity.config import Settings
from parity.lock import writer_lock
from parity.private import copy_private, private_dir, sha256_of, write_private

MANIFEST, MANIFEST_SUM, FILES = "manifest.json", "manifest.sha256", "files"
FORMAT = 1
CONFIG_NAME = "config/parity.toml"  # where the configuration file is kept in a backup and restored to
DAGSTER = "dagster"  # Dagster's instance in a backup, wherever DAGSTER_HOME is
HOME_ENTRIES = ("warehouse.duckdb", "warehouse.duckdb.wal", "public.duckdb", "archive", "quality", "status",
                "reports", "logs", "web/access.sqlite3")


class BackupError(RuntimeError):
    """A backup that cannot be made, verified or restored as asked; the message says why."""


@dataclass
class Manifest:
    created_at: str
    key_fingerprint: str | None
    files: dict[str, dict] = field(default_factory=dict)  # relative path -> size, sha256
    purged: dict[str, str] = field(default_factory=dict)  # archive files removed by the retention rule -> when

    def dump(self) -> bytes:
        return json.dumps({"format": FORMAT, "created_at": self.created_at, "key_fingerprint": self.key_fingerprint,
                           "files": self.files, "purged": self.purged}, indent=1, sort_keys=True).encode()

    @classmethod
    def load(cls, folder: Path) -> "Manifest":
        data = (folder / MANIFEST).read_bytes()
        recorded = (folder / MANIFEST_SUM).read_text(encoding="ascii").split()[0]
        if hashlib.sha256(data).hexdigest() != recorded:
            raise BackupError(f"{folder / MANIFEST}: its checksum is not the one recorded in {MANIFEST_SUM}")
        raw = json.loads(data)
        if raw.get("format") != FORMAT:
            raise BackupError(f"{folder}: a backup of format {raw.get('format')!r}; this parity reads format {FORMAT}")
        return cls(raw["created_at"], raw["key_fingerprint"], raw["files"], raw.get("purged", {}))

    def save(self, folder: Path) -> None:
        data = self.dump()
        write_private(folder / MANIFEST, data)
        write_private(folder / MANIFEST_SUM, f"{hashlib.sha256(data).hexdigest()}  {MANIFEST}\n".encode())


def _sources(settings: Settings) -> list[tuple[Path, str]]:
    """(file to copy, its path in the backup) for everything a backup holds, as it is now."""
    found = []
    for entry in HOME_ENTRIES:
        path = settings.home / entry
        found += [(p, p.relative_to(settings.home).as_posix()) for p in _files_under(path)]
    found += [(p, f"{DAGSTER}/{p.relative_to(settings.dagster_home).as_posix()}")
              for p in _files_under(settings.dagster_home)]
    if settings.config_path.is_file():
        found.append((settings.config_path, CONFIG_NAME))
    return found


def _files_under(path: Path) -> list[Path]:
    """Regular files at or under `path`, no link followed, no temporary file of a writer."""
    if path.is_symlink() or not path.exists():
        return []
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()
                  and not p.name.endswith((".partial", ".tmp", "-journal", "-wal", "-shm")))


def _copy(source: Path, target: Path) -> str:
    """Copy one file (SQLite databases through SQLite's online backup) owner-only; its sha256."""
    private_dir(target.parent)
    if _is_sqlite(source):
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        target.chmod(0o600)
        return _sha256(target)
    with source.open("rb") as f:
        return copy_private(f, target)


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return sha256_of(f)


def backup(settings: Settings, dest: Path, say=print) -> Manifest:
    """Write a backup of `settings`' home into the new folder `dest` (the module's docstring says what
    and how). Loads and other writers wait meanwhile (up to PARITY_LOCK_WAIT)."""
    from parity import warehouse
    from parity.load import LOAD_LOCK
    from parity.pseudonym import recorded_fingerprint

    dest = dest.resolve()
    if dest.exists():
        raise BackupError(f"{dest} exists already: a backup goes into a new folder")
    if dest.is_relative_to(settings.home.resolve()) and not dest.is_relative_to(settings.backup_dir.resolve()):
        raise BackupError(f"{dest} is inside $PARITY_HOME: put backups on another disk (or in PARITY_BACKUP_DIR)")
    if not settings.warehouse.exists():
        raise BackupError(f"{settings.warehouse} does not exist: nothing to back up")
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():  # a killed backup's
        shutil.rmtree(partial)
    private_dir(partial)
    on_wait = lambda who: say(f"waiting for {who} to finish")  # noqa: E731
    with writer_lock(settings.home / LOAD_LOCK, "parity backup", settings.lock_wait, on_wait=on_wait), \
            warehouse.locked(settings, "parity backup", on_wait=on_wait):
        with warehouse.connect(settings.warehouse, read_only=True, wait=settings.busy_wait) as con:
            fingerprint = recorded_fingerprint(con)
        manifest = Manifest(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), fingerprint)
        for source, name in _sources(settings):
            target = partial / FILES / name
            manifest.files[name] = {"sha256": _copy(source, target), "size": target.stat().st_size}
    manifest.save(partial)
    partial.rename(dest)
    return manifest


def verify(folder: Path) -> Manifest:
    """Check a backup against its manifest: every file there with its checksum, nothing else."""
    folder = folder.resolve()
    if not (folder / MANIFEST).is_file():
        raise BackupError(f"{folder}: no {MANIFEST}: not a parity backup (or one that never finished)")
    manifest = Manifest.load(folder)
    present = {p.relative_to(folder / FILES).as_posix() for p in _files_under(folder / FILES)}
    problems = [f"missing: {name}" for name in sorted(set(manifest.files) - present)]
    problems += [f"not in the manifest: {name}" for name in sorted(present - set(manifest.files))]
    for name in sorted(set(manifest.files) & present):
        path = folder / FILES / name
        if path.stat().st_size != manifest.files[name]["size"] or _sha256(path) != manifest.files[name]["sha256"]:
            problems.append(f"changed: {name}")
    if problems:
        raise BackupError(f"{folder} does not match its manifest ({len(problems)} problem(s)):\n  " + "\n  ".join(problems))
    return manifest


def restore(settings: Settings, source: Path, say=print) -> Manifest:
    """Restore a verified backup into `settings`' home, which must hold no warehouse and no archive yet."""
    from orchestration.instance import prepare_dagster_home

    manifest = verify(source)
    taken = [p for p in (settings.warehouse, settings.archive, settings.dagster_home / "storage") if p.exists()]
    if taken:
        raise BackupError(f"{settings.home} is not empty ({', '.join(str(p) for p in taken)}): restore into a new "
                          f"$PARITY_HOME, so that nothing of two homes is mixed")
    from parity.private import prepare_home

    prepare_home(settings.home)
    for name in manifest.files:
        stored = source.resolve() / FILES / name
        if name.startswith(f"{DAGSTER}/"):
            target = settings.dagster_home / name.removeprefix(f"{DAGSTER}/")
        else:
            target = settings.home / name
        private_dir(target.parent)
        with stored.open("rb") as f:
            copy_private(f, target.with_name(f".{target.name}.restoring"))
        target.with_name(f".{target.name}.restoring").replace(target)
    if settings.public_warehouse.exists():
        settings.public_warehouse.chmod(0o644)  # the analysts' file, as parity/public.py leaves it
    prepare_dagster_home(settings)  # its dagster.yaml names this home's folders, not the old ones
    return manifest


BACKUP_PREFIX = "parity-backup-"


def scheduled_name(now: dt.datetime) -> str:
    """A scheduled backup's folder name in PARITY_BACKUP_DIR: names sort by time."""
    return f"{BACKUP_PREFIX}{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def backups_in(folder: Path) -> list[Path]:
    """parity's finished backups in `folder`, oldest first."""
    return sorted(p for p in folder.glob(f"{BACKUP_PREFIX}*") if (p / MANIFEST).is_file()) if folder.is_dir() else []


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest backups in `folder` beyond the newest `keep`."""
    backups = backups_in(folder)
    old = backups[:-keep] if keep else backups
    for path in old:
        shutil.rmtree(path)
    return old


def remove_purged(folder: Path, purged: dict[str, str]) -> list[str]:
    """The retention rule applied to one backup: the archive files purged from the home (relative
    path -> when) removed from it too, its manifest rewritten to say so. Returns what was removed."""
    manifest = Manifest.load(folder)
    removed = [name for name in purged if name in manifest.files]
    for name in removed:
        (folder / FILES / name).unlink(missing_ok=True)
        del manifest.files[name]
        manifest.purged[name] = purged[name]
    if removed:
        manifest.save(folder)
    return removed
