"""Pseudonymisation of registration numbers: HMAC-SHA256 keyed with a secret from the environment.

The message is `<country>:<number>`, the number in the spec's normal form (trimmed, upper case,
Serbian Cyrillic written in Latin; the reader produces it), so the same person keeps the same key
across quarters and the same number in two countries gives two different keys.

One key per warehouse: the first load records the key's fingerprint (an HMAC of a fixed text, from
which the key cannot be found) in meta.pseudonym_key, and every later load with another key is
refused before it writes anything. A second key would give every person a second pseudonym.
"""
import hashlib
import hmac
import os
import secrets

import pandas as pd

from parity.config import Settings

KEY_ENV = "PARITY_PSEUDONYM_KEY"


class MissingKey(RuntimeError):
    pass


class KeyMismatch(RuntimeError):
    pass


class RotationRefused(RuntimeError):
    """`parity rotate-key` cannot be done as asked (parity/rotation.py); nothing was changed. The
    message says why and what to do."""


_FINGERPRINT_TEXT = b"parity: fingerprint of the pseudonymisation key, v1"


def key_fingerprint(key: bytes) -> str:
    return hmac.digest(key, _FINGERPRINT_TEXT, hashlib.sha256).hex()[:32]


def recorded_fingerprint(con) -> str | None:
    row = con.execute("SELECT fingerprint FROM meta.pseudonym_key").fetchone()
    return row[0] if row else None


def check_key(con, key: bytes) -> None:
    """Refuse a key other than the one this warehouse was loaded with."""
    recorded = recorded_fingerprint(con)
    if recorded is not None and recorded != key_fingerprint(key):
        raise KeyMismatch(
            f"The pseudonymisation key is not the one this warehouse was loaded with (fingerprint {recorded[:8]}…, "
            f"this key's {key_fingerprint(key)[:8]}…). Nothing was loaded. Configure the original key "
            f"({KEY_ENV} or the key file); with another key every person would get a second pseudonym.")


def record_key(con, key: bytes, now) -> None:
    """Record the key's fingerprint at the warehouse's first load (in the caller's transaction)."""
    if recorded_fingerprint(con) is None:
        con.execute("INSERT INTO meta.pseudonym_key VALUES (?, ?)", [key_fingerprint(key), now])


def load_key(settings: Settings) -> bytes:
    """The secret: $PARITY_PSEUDONYM_KEY, else the key file (`parity demo` creates one)."""
    if settings.pseudonym_key:
        return settings.pseudonym_key.encode("utf-8")
    if settings.key_file.exists():
        return settings.key_file.read_text(encoding="utf-8").strip().encode("utf-8")
    raise MissingKey(
        f"No pseudonymisation key: set {KEY_ENV} (from your secret store) or create the key file "
        f"{settings.key_file} (`parity init-key` writes a random one). Keep the same key for good: "
        f"a new key gives every person a new pseudonym."
    )


def create_key_file(settings: Settings) -> bool:
    """Write a random key file unless a key is configured already; True if one was written. The file
    is its owner's only from its creation. Never once the warehouse holds data: that data was
    pseudonymised with a key that is missing, and a new one would not be it."""
    from parity.warehouse import has_data

    if settings.pseudonym_key or settings.key_file.exists():
        return False
    if has_data(settings.warehouse, settings.busy_wait):
        raise MissingKey(
            f"No pseudonymisation key, and the warehouse {settings.warehouse} already holds data pseudonymised "
            f"with one. Restore that key ({KEY_ENV} or the key file {settings.key_file}); a new key is not "
            f"created, as every person would get a second pseudonym.")
    settings.key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_hex(32) + "\n")
    return True


def pseudonymise(country: str, numbers: pd.Series, key: bytes) -> pd.Series:
    prefix = f"{country}:".encode()
    # an empty cell stays empty: a table with one is rejected, but is still checked in full first
    return numbers.map(lambda n: hmac.digest(key, prefix + n.encode("utf-8"), hashlib.sha256).hex()
                       if isinstance(n, str) else None)


def pseudonymise_table(country: str, frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """A canonical table as the warehouse stores it: `personnel_no` replaced by `person_key`."""
    if "personnel_no" not in frame:
        return frame
    return frame.assign(personnel_no=pseudonymise(country, frame["personnel_no"], key)) \
                .rename(columns={"personnel_no": "person_key"})
