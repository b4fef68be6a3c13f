"""Who may use the focal points' page: access tokens, sign-in sessions and failed sign-ins.

The web application's own store (SQLite, $PARITY_HOME/web/access.sqlite3, owner-only), apart from the
warehouse: the page never opens the warehouse, and a copy of this file gives nobody a token. A token
is shown once when issued and stored as its SHA-256 (a token is 256 random bits: a slow password hash
would protect nothing more); so is each session's cookie. A token belongs to one country and sees and
sends for that country only. Revoking a token ends its sessions at once.
"""
import contextlib
import datetime as dt
import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from parity.private import private_dir

STORE_FILE = "access.sqlite3"  # in $PARITY_HOME/web
SESSION_HOURS = 8  # a working day; signing in again costs a focal point one paste
FAILED_SIGN_INS = 5  # at most this many failures per address within FAILED_WINDOW, then refused (429)
FAILED_WINDOW = dt.timedelta(minutes=15)
TOKEN_PREFIX = "parity-"

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_id INTEGER PRIMARY KEY,
    country TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    note TEXT NOT NULL DEFAULT '',
    issued_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    sha256 TEXT PRIMARY KEY,
    token_id INTEGER NOT NULL REFERENCES tokens (token_id),
    csrf TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    upload TEXT  -- the folder (under web/uploads) of the upload checked last and not sent yet
);
CREATE TABLE IF NOT EXISTS failed_sign_ins (address TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS failed_by_address ON failed_sign_ins (address, at);
CREATE TABLE IF NOT EXISTS sent (
    country TEXT NOT NULL,
    period TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Token:
    token_id: int
    country: str
    note: str
    issued_at: str
    last_used_at: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class Session:
    token_id: int
    country: str
    csrf: str
    upload: str | None
    key: str  # the stored hash of the cookie


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat()


class AccessStore:
    def __init__(self, web_dir: Path):
        self.path = web_dir / STORE_FILE
        self._created = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in one immediate transaction (one writer at a time: a check and its write together)."""
        if not self._created:
            private_dir(self.path.parent)
            with contextlib.closing(sqlite3.connect(self.path, timeout=10)) as con:
                self.path.chmod(0o600)
                con.executescript(SCHEMA)
            self._created = True
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    # --- tokens (parity token) ------------------------------------------------------------------

    def issue(self, country: str, now: dt.datetime, note: str = "") -> tuple[int, str]:
        """A new token for `country`: (its id, the token, shown this once)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._connect() as con:
            token_id = con.execute("INSERT INTO tokens (country, sha256, note, issued_at) VALUES (?, ?, ?, ?)",
                                   [country, _digest(token), note, _iso(now)]).lastrowid
        return token_id, token

    def revoke(self, now: dt.datetime, token_id: int | None = None, country: str | None = None) -> list[int]:
        """Revoke one token, or every token of a country; their sessions end. The ids revoked."""
        with self._connect() as con:
            ids = [i for (i,) in con.execute(
                "SELECT token_id FROM tokens WHERE revoked_at IS NULL AND (token_id = ? OR country = ?)",
                [token_id, country]).fetchall()]
            con.executemany("UPDATE tokens SET revoked_at = ? WHERE token_id = ?", [(_iso(now), i) for i in ids])
            con.executemany("DELETE FROM sessions WHERE token_id = ?", [(i,) for i in ids])
        return ids

    def tokens(self) -> list[Token]:
        with self._connect() as con:
            return [Token(*row) for row in con.execute(
                "SELECT token_id, country, note, issued_at, last_used_at, revoked_at FROM tokens ORDER BY token_id")]

    # --- signing in -----------------------------------------------------------------------------

    def sign_in(self, token: str, address: str, now: dt.datetime) -> str | None:
        """A new session's cookie for a valid token; None for any other, counted as a failure of
        `address` (so is a token another country's page might guess: tokens name no country)."""
        with self._connect() as con:
            found = con.execute("SELECT token_id FROM tokens WHERE sha256 = ? AND revoked_at IS NULL",
                                [_digest(token)]).fetchone()
            if found is None:
                con.execute("INSERT INTO failed_sign_ins (address, at) VALUES (?, ?)", [address, _iso(now)])
                return None
            cookie = secrets.token_urlsafe(32)
            con.execute("INSERT INTO sessions (sha256, token_id, csrf, expires_at) VALUES (?, ?, ?, ?)",
                        [_digest(cookie), found[0], secrets.token_urlsafe(32),
                         _iso(now + dt.timedelta(hours=SESSION_HOURS))])
            con.execute("UPDATE tokens SET last_used_at = ? WHERE token_id = ?", [_iso(now), found[0]])
            con.execute("DELETE FROM sessions WHERE expires_at < ?", [_iso(now)])
        return cookie

    def refused(self, address: str, now: dt.datetime) -> bool:
        """Whether `address` has used up its failed sign-ins (FAILED_SIGN_INS within FAILED_WINDOW)."""
        with self._connect() as con:
            con.execute("DELETE FROM failed_sign_ins WHERE at < ?", [_iso(now - FAILED_WINDOW)])
            failures = con.execute("SELECT count(*) FROM failed_sign_ins WHERE address = ?", [address]).fetchone()[0]
        return failures >= FAILED_SIGN_INS

    def session(self, cookie: str | None, now: dt.datetime) -> Session | None:
        """The session of a cookie: signed in, not expired, its token not revoked."""
        if not cookie:
            return None
        with self._connect() as con:
            row = con.execute(
                """SELECT s.token_id, t.country, s.csrf, s.upload, s.sha256 FROM sessions s JOIN tokens t USING (token_id)
                   WHERE s.sha256 = ? AND s.expires_at > ? AND t.revoked_at IS NULL""",
                [_digest(cookie), _iso(now)]).fetchone()
        return Session(*row) if row else None

    def sign_out(self, session: Session) -> None:
        with self._connect() as con:
            con.execute("DELETE FROM sessions WHERE sha256 = ?", [session.key])

    # --- uploads ----------------------------------------------------------------------------------

    def hold_upload(self, session: Session, upload: str | None) -> str | None:
        """Make `upload` the session's pending upload; returns the one it replaces (to delete)."""
        with self._connect() as con:
            row = con.execute("SELECT upload FROM sessions WHERE sha256 = ?", [session.key]).fetchone()
            con.execute("UPDATE sessions SET upload = ? WHERE sha256 = ?", [upload, session.key])
        return row[0] if row else None

    def uploads_held(self, now: dt.datetime) -> set[str]:
        with self._connect() as con:
            return {u for (u,) in con.execute("SELECT upload FROM sessions WHERE upload IS NOT NULL AND expires_at > ?",
                                              [_iso(now)])}

    def record_sent(self, country: str, files: list[tuple[str, str, str]], now: dt.datetime) -> None:
        """(period, file name, sha256) of each file written into the inbox."""
        with self._connect() as con:
            con.executemany("INSERT INTO sent (country, period, file_name, sha256, sent_at) VALUES (?, ?, ?, ?, ?)",
                            [(country, *f, _iso(now)) for f in files])

    def sent(self, country: str) -> list[tuple[str, str, str, dt.datetime]]:
        """(period, file name, sha256, sent at) of the files sent through the page, newest first."""
        with self._connect() as con:
            return [(p, f, sha256, dt.datetime.fromisoformat(at)) for p, f, sha256, at in con.execute(
                "SELECT period, file_name, sha256, sent_at FROM sent WHERE country = ? ORDER BY sent_at DESC",
                [country])]
