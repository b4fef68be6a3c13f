"""`parity rotate-key`: replace the pseudonymisation key of a warehouse, for instance after a leak.

A person key is HMAC(key, country:number): a new key cannot be computed from the old pseudonyms, only
from the clear numbers, and the only clear numbers parity keeps are the archived files. So the
rotation reads the archived file of every table version stored now (the files a table of
meta.current_tables came from), pseudonymises each number with the old and the new key, and in one
transaction of the warehouse:
- replaces every stored person key by its new one (every stored key must be found: else nothing changes),
- updates the content hashes of the stored versions (what a correction is compared with),
- records the new key's fingerprint (the old key is refused from then on) and the rotation,
- marks the marts and public.duckdb stale: the dbt models' code fingerprint holds the key's
  fingerprint, so every partitioned model is rebuilt whole; the build runs at once after the commit.
A stored version whose archived file was purged (parity/retention.py) cannot be re-keyed: the
rotation then refuses before anything changes and names those files.

Before the commit the archived copy of each file is checked to give exactly what the warehouse
holds (its content hash under the old key): a copy that does not is named and nothing changes.
"""
import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from parity import warehouse
from parity.config import Settings
from parity.faults import fault_point
from parity.isolation import ReadRequest, read_each_isolated
from parity.lock import writer_lock
from parity.private import write_private
from parity.pseudonym import KEY_ENV, RotationRefused, check_key, key_fingerprint, load_key, pseudonymise, pseudonymise_table
from sources import ReadError
from sources.tables import TABLES

PERSON_TABLES = tuple(t for t, spec in TABLES.items() if any(c.kind == "person" for c in spec.columns))


@dataclass
class Rotation:
    old_fingerprint: str
    new_fingerprint: str
    files: int  # archived files read
    persons: int  # distinct (country, person) keys replaced
    rows: dict[str, int] = field(default_factory=dict)  # raw table -> rows re-keyed


@dataclass(frozen=True)
class StoredVersion:
    """A table version stored now that holds person keys, and the archived file it came from."""
    submission_table_id: int
    country: str
    period: str
    table: str
    sheet: str | None
    content_hash: str
    file_name: str
    archive_path: str
    received_at: dt.datetime


def stored_versions(con) -> list[StoredVersion]:
    tables = ", ".join(f"'{t}'" for t in PERSON_TABLES)
    rows = con.execute(
        f"""SELECT c.submission_table_id, c.country_code, c.period, c.table_name, c.sheet, c.content_hash,
                   f.file_name, f.archive_path, f.received_at
            FROM meta.current_tables c JOIN meta.received_files f USING (file_id)
            WHERE c.table_name IN ({tables}) ORDER BY c.submission_table_id""").fetchall()
    return [StoredVersion(*row) for row in rows]


def pending_key_file(settings: Settings) -> Path:
    """Where a generated new key waits until the warehouse has committed to it."""
    return settings.key_file.with_name(settings.key_file.name + ".new")


def finish_pending(settings: Settings, recorded: str | None) -> str | None:
    """A rotation killed between the warehouse's commit and the key file's replacement left the new
    key beside the old one: put it in place (the warehouse already uses it). A pending key the
    warehouse does not use is from a rotation that never committed: removed. Returns what was done."""
    pending = pending_key_file(settings)
    if not pending.exists():
        return None
    if recorded == key_fingerprint(pending.read_text(encoding="utf-8").strip().encode("utf-8")):
        pending.replace(settings.key_file)
        return f"finished an interrupted rotation: {settings.key_file} now holds the warehouse's key"
    pending.unlink()
    return f"removed {pending.name}, the new key of a rotation that never committed"


def new_key(settings: Settings, new_key_file: Path | None) -> tuple[bytes, bool]:
    """The key to rotate to, and whether parity writes it to the key file (it keeps the key there).
    With the key in the environment (a secret store), the operator brings the new key as a file and
    puts it in the store afterwards: parity never writes into the secret store."""
    if new_key_file is not None:
        text = new_key_file.read_text(encoding="utf-8").strip()
        if len(text) < 32:
            raise RotationRefused(f"{new_key_file}: a key of {len(text)} characters; use at least 32 random "
                                  f"characters (`python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return text.encode("utf-8"), not settings.pseudonym_key
    if settings.pseudonym_key:
        raise RotationRefused(
            f"The key comes from {KEY_ENV} (a secret store): put the new key in a file readable by you only "
            f"and pass it with --new-key-file; after the rotation, replace {KEY_ENV} in the secret store with it.")
    return secrets.token_hex(32).encode("utf-8"), True


def rotate(settings: Settings, new_key_file: Path | None = None, say=print) -> Rotation:
    """Re-key the warehouse (the module's docstring says how). Loads wait meanwhile (the load lock);
    the derived side is rebuilt by the caller (parity.load.transform)."""
    from parity.load import LOAD_LOCK

    old = load_key(settings)
    with writer_lock(settings.home / LOAD_LOCK, "parity rotate-key", settings.lock_wait,
                     on_wait=lambda who: say(f"waiting for {who} to finish")):
        with warehouse.writing(settings, "parity rotate-key") as con:
            warehouse.ensure_schema(con)
            recorded = con.execute("SELECT fingerprint FROM meta.pseudonym_key").fetchone()
            if done := finish_pending(settings, recorded[0] if recorded else None):
                say(done)
                old = load_key(settings)
            check_key(con, old)
            if recorded is None:
                raise RotationRefused("The warehouse holds no data yet: there is nothing to re-key. Configure the "
                                      "key you want before the first load.")
            key, write_file = new_key(settings, new_key_file)
            if key_fingerprint(key) == key_fingerprint(old):
                raise RotationRefused("The new key is the key in use: nothing to rotate.")
            versions = stored_versions(con)
            key_map, hashes = _rekeyed(settings, versions, old, key)
            if write_file:  # on disk before the commit: a rotation killed after it can be finished
                write_private(pending_key_file(settings), key + b"\n")
            rotation = Rotation(key_fingerprint(old), key_fingerprint(key), len({v.archive_path for v in versions}),
                                len(key_map))
            con.execute("BEGIN TRANSACTION")
            try:
                rotation.rows = _apply(con, key_map, hashes)
                con.execute("DELETE FROM meta.pseudonym_key")
                con.execute("INSERT INTO meta.pseudonym_key VALUES (?, ?)", [rotation.new_fingerprint, settings.clock.now()])
                con.execute("INSERT INTO meta.key_rotations VALUES (?, ?, ?, ?, ?)",
                            [rotation.old_fingerprint, rotation.new_fingerprint, settings.clock.now(),
                             rotation.files, rotation.persons])
                con.execute("DELETE FROM meta.builds")  # the marts and public.duckdb: rebuilt from the new keys
                fault_point("rotate")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                if write_file:
                    pending_key_file(settings).unlink(missing_ok=True)
                raise
        if write_file:
            pending_key_file(settings).replace(settings.key_file)
    return rotation


def _rekeyed(settings: Settings, versions: list[StoredVersion], old: bytes, new: bytes
             ) -> tuple[pd.DataFrame, dict[int, str]]:
    """(country_code, old_key, new_key) of every person of the stored versions, and each version's
    content hash under the new key; refused, naming the files, when an archived file is missing or
    does not give what the warehouse holds."""
    files = {}
    for v in versions:
        files.setdefault(v.archive_path, []).append(v)
    missing = sorted({v.file_name for path, vs in files.items() for v in vs
                      if not (settings.home / path).is_file()})
    if missing:
        raise RotationRefused(
            f"{len(missing)} archived file(s) that hold table versions stored now are no longer in the archive "
            f"(purged by the retention rule, or lost): {', '.join(missing)}. Their persons cannot be given new keys. "
            f"Have the ministry send those quarters again (or put the files back into the archive from a backup "
            f"that still holds them), then rotate. Nothing was changed.")
    paths = list(files)
    read = read_each_isolated([ReadRequest(settings.home / p, files[p][0].file_name, files[p][0].country,
                                           files[p][0].received_at, settings.timezone) for p in paths],
                              settings.limits)
    pairs, hashes, mismatched = [], {}, []
    for path, tables in zip(paths, read, strict=True):
        wanted = {(v.period, v.table, v.sheet): v for v in files[path]}
        found = {} if isinstance(tables, ReadError) else {(t.period, t.table, t.sheet): t for t in tables}
        for where, version in wanted.items():
            table = found.get(where)
            if table is None or table.frame is None or warehouse.content_hash(
                    pseudonymise_table(version.country, table.frame, old)) != version.content_hash:
                mismatched.append(f"{version.file_name} ({version.table})")
                continue
            numbers = table.frame["personnel_no"]
            pairs.append(pd.DataFrame({"country_code": version.country,
                                       "old_key": pseudonymise(version.country, numbers, old),
                                       "new_key": pseudonymise(version.country, numbers, new)}))
            hashes[version.submission_table_id] = warehouse.content_hash(pseudonymise_table(version.country, table.frame, new))
    if mismatched:
        raise RotationRefused(
            f"The archived copy of {', '.join(sorted(mismatched))} does not give the rows the warehouse holds "
            f"(changed or damaged in the archive?). Restore it from a backup, then rotate. Nothing was changed.")
    key_map = pd.concat(pairs).dropna().drop_duplicates() if pairs else \
        pd.DataFrame({"country_code": [], "old_key": [], "new_key": []}, dtype="string")
    return key_map, hashes


def _apply(con, key_map: pd.DataFrame, hashes: dict[int, str]) -> dict[str, int]:
    """In the caller's transaction: every stored person key replaced through `key_map`; refused when
    one has no new key (nothing is kept of the half-done change: the caller rolls back)."""
    con.register("key_map_rows", pa.Table.from_pandas(key_map, preserve_index=False))
    try:
        con.execute("CREATE TEMP TABLE key_map AS SELECT * FROM key_map_rows")
    finally:
        con.unregister("key_map_rows")
    rows = {}
    for table in PERSON_TABLES:
        unmapped = con.execute(
            f"""SELECT count(*) FROM raw.{table} r WHERE r.person_key IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM key_map m WHERE m.country_code = r.country_code AND m.old_key = r.person_key)"""
        ).fetchone()[0]
        if unmapped:
            raise RotationRefused(f"raw.{table} holds {unmapped} row(s) whose person is in no archived file of the "
                                  f"versions stored now: the archive and the warehouse disagree. Nothing was changed.")
        rows[table] = con.execute(
            f"""UPDATE raw.{table} AS r SET person_key = m.new_key FROM key_map m
                WHERE m.country_code = r.country_code AND m.old_key = r.person_key""").fetchone()[0]
    con.executemany("UPDATE meta.submission_tables SET content_hash = ? WHERE submission_table_id = ?",
                    [[digest, table_id] for table_id, digest in hashes.items()])
    con.execute("DROP TABLE key_map")
    return rows
