"""Pseudonymisation of registration numbers: HMAC-SHA256 keyed with a secret from the environment.

The message is `<country>:<number>`, the number in the spec's normal form (trimmed, upper case,
Serbian Cyrillic written in Latin; the reader produces it), so the same person keeps the same key
across quarters and the same number in two countries gives two different keys.
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


def load_key(settings: Settings) -> bytes:
    """The secret: $PARITY_PSEUDONYM_KEY, else the key file (`parity demo` creates one)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8")
    if settings.key_file.exists():
        return settings.key_file.read_text(encoding="utf-8").strip().encode("utf-8")
    raise MissingKey(
        f"No pseudonymisation key: set {KEY_ENV} (from your secret store) or create the key file "
        f"{settings.key_file} (`parity init-key` writes a random one). Keep the same key for good: "
        f"a new key gives every person a new pseudonym."
    )


def create_key_file(settings: Settings) -> bool:
    """Write a random key file unless a key is configured already; True if one was written."""
    if os.environ.get(KEY_ENV) or settings.key_file.exists():
        return False
    settings.key_file.parent.mkdir(parents=True, exist_ok=True)
    settings.key_file.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    settings.key_file.chmod(0o600)
    return True


def pseudonymise(country: str, numbers: pd.Series, key: bytes) -> pd.Series:
    prefix = f"{country}:".encode("utf-8")
    return numbers.map(lambda n: hmac.digest(key, prefix + n.encode("utf-8"), hashlib.sha256).hex())


def pseudonymise_table(country: str, frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """A canonical table as the warehouse stores it: `personnel_no` replaced by `person_key`."""
    if "personnel_no" not in frame:
        return frame
    return frame.assign(personnel_no=pseudonymise(country, frame["personnel_no"], key)) \
                .rename(columns={"personnel_no": "person_key"})
