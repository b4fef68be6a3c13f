"""Where parity keeps its data and how it is tuned, from the environment.

PARITY_HOME (default ./data) holds inbox/<CC>/ (or PARITY_INBOX), archive/, warehouse.duckdb (restricted),
public.duckdb (the analysts' copy of the public side), dagster/ and logs/.
"""
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"


@dataclass(frozen=True)
class Settings:
    home: Path
    timezone: str = "Europe/Belgrade"  # the warehouse clock: has a quarter ended?
    settle_seconds: float = 30.0  # a file is taken once size and mtime stood still this long

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            home=Path(os.environ.get("PARITY_HOME", "data")).resolve(),
            timezone=os.environ.get("PARITY_TIMEZONE", cls.timezone),
            settle_seconds=float(os.environ.get("PARITY_SETTLE_SECONDS", cls.settle_seconds)),
        )

    @property
    def inbox(self) -> Path:
        # a MoD drop folder elsewhere (a shared mount) can replace $PARITY_HOME/inbox
        return Path(os.environ["PARITY_INBOX"]).resolve() if os.environ.get("PARITY_INBOX") else self.home / "inbox"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def public_warehouse(self) -> Path:
        """What analysts open (read-only): the public side only, replaced whole after each build."""
        return self.home / "public.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def key_file(self) -> Path:
        return Path(os.environ.get("PARITY_PSEUDONYM_KEY_FILE", self.home / "pseudonym.key"))
