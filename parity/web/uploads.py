"""Uploads on the focal points' page: kept while they are checked, sent into the inbox, or deleted.

An upload holds registration numbers in clear, so it lives in an owner-only folder under
$PARITY_HOME/web/uploads only until it is sent or replaced, its check finds an error, its session
ends, or UPLOAD_HOURS pass (and a server that starts deletes every upload a stopped one left). Nothing a request says becomes a
path: the folders and stored files are named here, a delivery's name is kept as data, and the file
sent into the inbox is named from the dialect's pattern, after the name it came with was found to be
exactly that name.
"""
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from parity.config import Settings
from parity.private import copy_private, private_dir
from sources.reader import exact_delivery_name

UPLOADS = "uploads"  # in $PARITY_HOME/web
MANIFEST = "files.json"
UPLOAD_HOURS = 1
CHUNK = 1 << 20


@dataclass(frozen=True)
class Uploaded:
    stored: Path  # the copy, named here
    name: str  # the name it was uploaded under (data, never a path)
    sha256: str


def new_upload(web_dir: Path) -> Path:
    return private_dir(web_dir / UPLOADS / secrets.token_hex(16))


def store(folder: Path, index: int, name: str, source) -> Uploaded:
    """Copy one uploaded file (`source`: a binary file object) into the upload's folder."""
    stored = folder / f"{index}.upload"
    return Uploaded(stored, name, copy_private(source, stored))


def write_manifest(folder: Path, files: list[Uploaded]) -> None:
    (folder / MANIFEST).write_text(json.dumps([[f.stored.name, f.name, f.sha256] for f in files]), encoding="utf-8")


def read_manifest(folder: Path) -> list[Uploaded]:
    return [Uploaded(folder / stored, name, sha256)
            for stored, name, sha256 in json.loads((folder / MANIFEST).read_text(encoding="utf-8"))]


def fingerprint(files: list[Uploaded]) -> str:
    """What the send form carries: the files shown are the files sent."""
    return hashlib.sha256("\n".join(f"{f.name}\t{f.sha256}" for f in files).encode("utf-8")).hexdigest()


def folder_of(web_dir: Path, upload: str | None) -> Path | None:
    """The folder of a session's upload (a name this module chose), if it is still there."""
    if not upload or not all(c in "0123456789abcdef" for c in upload):
        return None
    folder = web_dir / UPLOADS / upload
    return folder if (folder / MANIFEST).is_file() else None


def send(settings: Settings, country: str, files: list[Uploaded]) -> list[tuple[str, str, str]]:
    """Write each file into `country`'s inbox under its dialect's name, atomically (a temporary name
    the inbox does not take, then a rename): the sensor sees a whole file or none.
    Returns (quarter, file name, sha256) of each."""
    inbox = settings.inbox / country
    inbox.mkdir(parents=True, exist_ok=True)
    sent = []
    for f in files:
        name = exact_delivery_name(f.name, country)  # checked before; a ReadError here would be a bug
        file_name = name.dialect.file_name(name.period, name.table)
        partial = inbox / f".{file_name}.{secrets.token_hex(4)}.partial"
        with f.stored.open("rb") as source, \
                os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "wb") as target:
            shutil.copyfileobj(source, target, CHUNK)
            target.flush()
            os.fsync(target.fileno())
        partial.replace(inbox / file_name)
        sent.append((name.period, file_name, f.sha256))
    return sent


def delete(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(web_dir: Path, keep: set[str], now: dt.datetime, grace: dt.timedelta = dt.timedelta(minutes=10)) -> None:
    """Delete every upload older than UPLOAD_HOURS, and those no live session holds (`keep`) once
    `grace` has passed: a folder still receiving its upload is held by no session yet."""
    root = web_dir / UPLOADS
    if not root.is_dir():
        return
    oldest, unheld = (now - dt.timedelta(hours=UPLOAD_HOURS)).timestamp(), (now - grace).timestamp()
    for folder in root.iterdir():
        modified = folder.stat().st_mtime
        if modified < oldest or (folder.name not in keep and modified < unheld):
            delete(folder)
