"""The restricted warehouse (DuckDB): raw tables per (country, quarter) and the submission registry.

DuckDB allows one writer process: every function here opens a connection for one unit of work and
closes it, so nothing is held across Dagster steps, and dbt can open the file after us. Writers go
through `writing`, which holds the warehouse lock (parity/lock.py) first; anyone who finds the file
held open by another process waits a bounded time and then gets a WarehouseBusy with a plain message.
"""
import contextlib
import hashlib
import re
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from parity.clock import REAL as REAL_CLOCK
from parity.lock import WarehouseBusy, writer_lock
from sources.tables import TABLES

_SQL_TYPE = {"person": "VARCHAR", "id": "VARCHAR", "code": "VARCHAR", "rank": "VARCHAR",
             "text": "VARCHAR", "date": "DATE", "year": "SMALLINT"}


def raw_columns(table: str) -> list[tuple[str, str]]:
    """Columns of raw.<table>: location and lineage first, then the canonical columns, with the
    registration number replaced by its pseudonym `person_key`."""
    cols = [("country_code", "VARCHAR"), ("period", "VARCHAR"), ("submission_table_id", "BIGINT"),
            ("source_row", "INTEGER")]
    for c in TABLES[table].columns:
        cols.append(("person_key" if c.kind == "person" else c.name, _SQL_TYPE[c.kind]))
    return cols


# The version accepted now of each (country, quarter, table). Plain SQL (no QUALIFY): the portability
# check recreates this view on PostgreSQL from the same text.
CURRENT_TABLES_QUERY = """
SELECT * FROM meta.submission_tables AS s
WHERE s.status = 'accepted'
  AND s.version = (SELECT max(v.version) FROM meta.submission_tables AS v
                   WHERE v.status = 'accepted' AND v.country_code = s.country_code
                     AND v.period = s.period AND v.table_name = s.table_name)"""

_REGISTRY_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SEQUENCE IF NOT EXISTS meta.file_id_seq;
CREATE SEQUENCE IF NOT EXISTS meta.submission_table_id_seq;
CREATE TABLE IF NOT EXISTS meta.received_files (
    file_id BIGINT PRIMARY KEY DEFAULT nextval('meta.file_id_seq'),
    country_code VARCHAR NOT NULL,      -- the inbox it was delivered to
    period VARCHAR,                     -- from the file name (NULL if the name does not say)
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    archive_path VARCHAR NOT NULL,      -- relative to $PARITY_HOME
    status VARCHAR NOT NULL,            -- read (its tables were registered) | rejected (the whole file)
    message VARCHAR
);
CREATE TABLE IF NOT EXISTS meta.submission_tables (
    submission_table_id BIGINT PRIMARY KEY DEFAULT nextval('meta.submission_table_id_seq'),
    file_id BIGINT NOT NULL,
    country_code VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    sheet VARCHAR,
    content_hash VARCHAR,               -- of the canonical, pseudonymised rows (order-free)
    received_at TIMESTAMPTZ NOT NULL,
    row_count BIGINT,
    status VARCHAR NOT NULL,            -- accepted | unchanged | rejected
    version INTEGER,                    -- accepted: the new version; unchanged: the version kept
    errors INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    message VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS meta.delivery_id_seq;
CREATE TABLE IF NOT EXISTS meta.deliveries (
    -- a submission version: the files of one (country, quarter) received together
    delivery_id BIGINT PRIMARY KEY DEFAULT nextval('meta.delivery_id_seq'),
    country_code VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    outcome VARCHAR NOT NULL,           -- accepted | warnings | partly | rejected
    tables_accepted INTEGER NOT NULL,
    tables_unchanged INTEGER NOT NULL,
    tables_rejected INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    report_path VARCHAR NOT NULL        -- relative to $PARITY_HOME
);
CREATE SEQUENCE IF NOT EXISTS meta.alert_id_seq;
CREATE TABLE IF NOT EXISTS meta.alerts (
    -- every message parity sends, kept until delivered (and after, as the log)
    alert_id BIGINT PRIMARY KEY DEFAULT nextval('meta.alert_id_seq'),
    dedup_key VARCHAR NOT NULL UNIQUE,  -- one message per delivery, deadline notice, failed run
    kind VARCHAR NOT NULL,              -- delivery | deadlines (reminders, overdue notices) | run_failure
    country_code VARCHAR,
    period VARCHAR,
    delivery_id BIGINT,
    recipient_name VARCHAR NOT NULL,
    recipient_email VARCHAR NOT NULL,
    language VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,            -- pending | sent
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    last_error VARCHAR,
    message VARCHAR NOT NULL            -- the whole MIME message, sent as is on every attempt
);
CREATE TABLE IF NOT EXISTS meta.deadline_notices (
    -- each reminder and overdue notice, once: a deadlines run tells a focal point its new ones in one message
    notice_key VARCHAR PRIMARY KEY,     -- reminder|overdue:country:quarter
    queued_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS meta.pseudonym_key (
    fingerprint VARCHAR NOT NULL,       -- of the key the first load used (parity/pseudonym.py), never the key
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS meta.key_rotations (
    -- each `parity rotate-key` (parity/rotation.py): fingerprints only, never a key
    old_fingerprint VARCHAR NOT NULL,
    new_fingerprint VARCHAR NOT NULL,
    rotated_at TIMESTAMPTZ NOT NULL,
    files INTEGER NOT NULL,             -- archived files read
    persons INTEGER NOT NULL            -- person keys replaced
);
CREATE TABLE IF NOT EXISTS meta.purged_files (
    -- archived files deleted by the retention rule (parity/retention.py): the registry keeps their rows
    archive_path VARCHAR PRIMARY KEY,   -- relative to $PARITY_HOME, as meta.received_files names it
    purged_at TIMESTAMPTZ NOT NULL,
    expired_at TIMESTAMPTZ NOT NULL,    -- when the rule let it go
    why VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS meta.builds (
    -- what the derived side was last built from: the newest accepted submission table then
    layer VARCHAR PRIMARY KEY,          -- marts (dbt build) | public (public.duckdb)
    submission_table_id BIGINT NOT NULL,
    built_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS meta.reference_data (
    -- the seeds' tables (schema reference) as the last whole dbt build that passed left them: one row
    fingerprint VARCHAR NOT NULL,       -- parity.dbt.reference_fingerprint of the files they were loaded from
    loaded_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS meta.timeliness (
    country_code VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,        -- the end of the due date in the country's time zone
    first_accepted_at TIMESTAMPTZ,      -- of the first accepted personnel table
    status VARCHAR NOT NULL,            -- on_time | late | missing | awaiting (not yet due)
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (country_code, period)
);
CREATE TABLE IF NOT EXISTS meta.suppression (
    -- how each row of marts.indicator_values is published next (parity/suppression; the dbt model
    -- indicator_values_public applies it): A shown, C confidential, D withheld to protect a C row
    indicator_code VARCHAR NOT NULL, country_code VARCHAR NOT NULL, period VARCHAR NOT NULL,
    breakdown VARCHAR NOT NULL, breakdown_value VARCHAR NOT NULL,
    obs_status VARCHAR NOT NULL,
    PRIMARY KEY (indicator_code, country_code, period, breakdown, breakdown_value)
);
CREATE TABLE IF NOT EXISTS meta.disclosure_audits (
    -- every audit of a suppression (the asset check before anything is published)
    audited_at TIMESTAMPTZ NOT NULL,
    fingerprint VARCHAR NOT NULL,       -- of indicator_values and meta.suppression as audited
    passed BOOLEAN NOT NULL,
    confidential INTEGER NOT NULL,      -- confidential rows (primary suppression)
    exposed INTEGER NOT NULL,
    seconds DOUBLE NOT NULL             -- what the decision and its audit took
);
CREATE TABLE IF NOT EXISTS meta.releases (
    -- every refresh of what is published that changed it (parity/releases.py)
    release_id BIGINT PRIMARY KEY,
    released_at TIMESTAMPTZ NOT NULL,
    audit_fingerprint VARCHAR NOT NULL, -- the passed audit it was published under
    threshold INTEGER NOT NULL,         -- the protection rule it was audited with (PARITY_DISCLOSURE_*)
    width INTEGER NOT NULL,
    rows_published INTEGER NOT NULL,
    rows_confidential INTEGER NOT NULL,
    rows_withheld INTEGER NOT NULL,
    rows_changed INTEGER NOT NULL       -- published rows new or different from the release before
);
CREATE TABLE IF NOT EXISTS meta.release_submissions (
    -- what a release reflects: the submission versions accepted when it was made
    release_id BIGINT NOT NULL,
    country_code VARCHAR NOT NULL, period VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    submission_table_id BIGINT NOT NULL,
    PRIMARY KEY (release_id, country_code, period, table_name)
);
CREATE TABLE IF NOT EXISTS meta.release_cells (
    -- each version of each indicator row as released: its true counts (restricted) and how it was
    -- published; the disclosure audit reads every earlier release from here
    indicator_code VARCHAR NOT NULL, country_code VARCHAR NOT NULL, period VARCHAR NOT NULL,
    breakdown VARCHAR NOT NULL, breakdown_value VARCHAR NOT NULL,
    numerator BIGINT, denominator BIGINT, value DOUBLE, unit VARCHAR NOT NULL,
    obs_status VARCHAR NOT NULL,
    first_release_id BIGINT NOT NULL,
    last_release_id BIGINT               -- NULL while current
);
""" + "CREATE OR REPLACE VIEW meta.current_tables AS " + CURRENT_TABLES_QUERY + ";\n"

# The clock each stamp was made with (parity/clock.py): 'real', or 'set to <instant>' when the demo or a
# test set it. A column default, so that no insert can forget it: `writing` sets the session variable.
CLOCK_VARIABLE = "parity_clock"
STAMPED_TABLES = ("received_files", "submission_tables", "deliveries", "alerts", "timeliness")
_CLOCK_DDL = "".join(
    f"ALTER TABLE meta.{table} ADD COLUMN IF NOT EXISTS clock VARCHAR "
    f"DEFAULT coalesce(getvariable('{CLOCK_VARIABLE}'), '{REAL_CLOCK}');\n" for table in STAMPED_TABLES)


def _raw_ddl() -> str:
    statements = ["CREATE SCHEMA IF NOT EXISTS raw;"]
    for table in TABLES:
        cols = ", ".join(f"{name} {sql_type}" for name, sql_type in raw_columns(table))
        statements.append(f"CREATE TABLE IF NOT EXISTS raw.{table} ({cols});")
    return "\n".join(statements)


@contextlib.contextmanager
def connect(path: Path, read_only: bool = False, wait: float = 30.0):
    """A connection for one unit of work. While another process holds the file (DuckDB allows one
    writer, or readers only), try again for up to `wait` seconds, then raise WarehouseBusy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as e:
            if "lock" not in str(e).lower():
                raise
            if time.monotonic() >= deadline:
                held = re.search(r"\(PID \d+\)", str(e))
                raise WarehouseBusy(
                    f"{path.name} is held open by another process {held[0] if held else ''}; waited {wait:.0f} s. "
                    f"Close the session that holds it (an analyst's connection to the restricted warehouse, "
                    f"a build still running) and try again.") from None
            time.sleep(0.25)
    if not read_only:
        path.chmod(0o600)  # the restricted warehouse is its owner's only
    try:
        yield con
    finally:
        con.close()


LOCK_FILE = "warehouse.lock"


def locked(settings, purpose: str, on_wait=None):
    """The warehouse lock, waiting up to settings.lock_wait for another writer (see parity/lock.py)."""
    return writer_lock(settings.home / LOCK_FILE, purpose, settings.lock_wait, on_wait)


@contextlib.contextmanager
def writing(settings, purpose: str, on_wait=None):
    """The warehouse for writing: its lock, then a connection whose stamps record settings.clock."""
    with locked(settings, purpose, on_wait), connect(settings.warehouse, wait=settings.busy_wait) as con:
        if settings.clock.is_set:
            con.execute(f"SET VARIABLE {CLOCK_VARIABLE} = ?", [settings.clock.label])
        yield con


def ensure_schema(con) -> None:
    # rows that existed before the clock column were stamped by the real clock, whatever this session's is
    clock = con.execute(f"SELECT getvariable('{CLOCK_VARIABLE}')").fetchone()[0]
    con.execute(f"RESET VARIABLE {CLOCK_VARIABLE}")
    con.execute(_REGISTRY_DDL + _CLOCK_DDL + _raw_ddl())
    if clock is not None:
        con.execute(f"SET VARIABLE {CLOCK_VARIABLE} = ?", [clock])


def content_hash(frame: pd.DataFrame) -> str:
    """A hash of a table's content: the stored rows, whatever their order or source lines.
    An identical table sent again changes nothing; any changed value makes a new version."""
    data = frame.drop(columns=["source_row"]).astype("string").fillna("\x00")
    digest = hashlib.sha256("\x1f".join(data.columns).encode("utf-8"))
    if len(data):
        lines = data.iloc[:, 0].str.cat([data[c] for c in data.columns[1:]], sep="\x1f")
        digest.update("\x1e".join(sorted(lines)).encode("utf-8"))
    return digest.hexdigest()


def has_data(path: Path, wait: float = 30.0) -> bool:
    """Has anything been received into the warehouse at `path`?"""
    if not path.exists():
        return False
    with connect(path, read_only=True, wait=wait) as con:
        return bool(con.execute("""SELECT count(*) FROM information_schema.tables
                                   WHERE table_schema = 'meta' AND table_name = 'received_files'""").fetchone()[0]
                    and con.execute("SELECT count(*) FROM meta.received_files").fetchone()[0])


def raw_state(con) -> int:
    """The newest accepted submission table: what the derived side must have been built from."""
    return con.execute("""SELECT coalesce(max(submission_table_id), 0) FROM meta.submission_tables
                          WHERE status = 'accepted'""").fetchone()[0]


def built_state(con, layer: str) -> int | None:
    row = con.execute("SELECT submission_table_id FROM meta.builds WHERE layer = ?", [layer]).fetchone()
    return row[0] if row else None


def record_build(con, layer: str, state: int) -> None:
    con.execute("""INSERT OR REPLACE INTO meta.builds VALUES (?, ?, now())""", [layer, state])


def has_meta_table(con, name: str) -> bool:
    """Whether meta.`name` exists (a warehouse not yet loaded, or made before the table was added)."""
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'meta' "
                       "AND table_name = ?", [name]).fetchone()[0] > 0


def reference_loaded(con) -> str | None:
    """The fingerprint of the seed files the reference tables were loaded from (None: not known, also
    in a warehouse older than the record)."""
    if not has_meta_table(con, "reference_data"):
        return None
    row = con.execute("SELECT fingerprint FROM meta.reference_data").fetchone()
    return row[0] if row else None


def record_reference(con, fingerprint: str) -> None:
    ensure_schema(con)  # a warehouse made before the record has its table from here on
    con.execute("DELETE FROM meta.reference_data")
    con.execute("INSERT INTO meta.reference_data VALUES (?, now())", [fingerprint])


def stale_layers(con, public_exists: bool) -> list[str]:
    """The derived layers older than the raw data (a build that failed, was killed or never ran)."""
    state = raw_state(con)
    stale = [layer for layer in ("marts", "public") if (built_state(con, layer) or 0) != state]
    if not public_exists and "public" not in stale and state:
        stale.append("public")
    return stale


def known_file(con, country: str, file_name: str, sha256: str) -> bool:
    """Was this exact content the last one received under this name? (An older content sent
    again is new: it becomes the next version.)"""
    return con.execute("""SELECT arg_max(sha256, file_id) FROM meta.received_files
                          WHERE country_code = ? AND file_name = ?""", [country, file_name]).fetchone()[0] == sha256


def last_received(con) -> dict[tuple[str, str], str]:
    """The sha256 of the last content received under each (country, file name), for a whole inbox
    in one query (the inbox sensor, `parity load`'s plan)."""
    return {(c, f): sha for c, f, sha in con.execute(
        """SELECT country_code, file_name, arg_max(sha256, file_id) FROM meta.received_files GROUP BY ALL""").fetchall()}


def register_file(con, *, country, period, file_name, sha256, size, received_at, archive_path,
                  status, message=None) -> int:
    return con.execute(
        """INSERT INTO meta.received_files (country_code, period, file_name, sha256, size_bytes,
               received_at, archive_path, status, message)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING file_id""",
        [country, period, file_name, sha256, size, received_at, archive_path, status, message],
    ).fetchone()[0]


def current_version(con, country: str, period: str, table: str) -> tuple[int, str] | None:
    """(version, content_hash) of the table accepted now, if any."""
    return con.execute(
        "SELECT version, content_hash FROM meta.current_tables WHERE country_code=? AND period=? AND table_name=?",
        [country, period, table],
    ).fetchone()


def register_table(con, *, file_id, country, period, table, sheet, content_hash, received_at, rows,
                   status, version, errors, warnings, message) -> int:
    return con.execute(
        """INSERT INTO meta.submission_tables (file_id, country_code, period, table_name, sheet,
               content_hash, received_at, row_count, status, version, errors, warnings, message)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING submission_table_id""",
        [file_id, country, period, table, sheet, content_hash, received_at, rows, status, version,
         errors, warnings, message],
    ).fetchone()[0]


def replace_partition(con, table: str, country: str, period: str, submission_table_id: int,
                      frame: pd.DataFrame) -> None:
    """Swap raw.<table>'s rows of (country, period) for `frame`. The caller holds the transaction,
    so the delete, the insert and the registry row become visible together or not at all."""
    names = [name for name, _ in raw_columns(table)]
    rows = frame.assign(country_code=country, period=period, submission_table_id=submission_table_id)
    # Arrow, not pandas object columns: DuckDB scans it without a Python call per value
    con.register("incoming", pa.Table.from_pandas(rows[names], preserve_index=False))
    try:
        con.execute(f"DELETE FROM raw.{table} WHERE country_code = ? AND period = ?", [country, period])
        con.execute(f"INSERT INTO raw.{table} ({', '.join(names)}) SELECT {', '.join(names)} FROM incoming")
    finally:
        con.unregister("incoming")
