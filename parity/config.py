"""Where parity keeps its data and how it is tuned, from the environment.

PARITY_HOME (default ./data) holds inbox/<CC>/ (or PARITY_INBOX), archive/, warehouse.duckdb (restricted),
public.duckdb (the analysts' copy of the public side), dagster/ and logs/.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path

from sources.limits import MIB, Limits

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"


@dataclass(frozen=True)
class Settings:
    home: Path
    timezone: str = "Europe/Belgrade"  # the warehouse clock: has a quarter ended?
    settle_seconds: float = 30.0  # a file is taken once size and mtime stood still this long
    lock_wait: float = 600.0  # how long a writer waits for another to finish (parity/lock.py)
    busy_wait: float = 30.0  # how long anyone waits for a DuckDB file another process holds open
    limits: Limits = field(default_factory=Limits)  # what a delivered file may be (sources/limits.py)
    inbox_dir: Path | None = None  # a MoD drop folder elsewhere (a shared mount) instead of $PARITY_HOME/inbox

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ.get
        default = Limits()
        return cls(
            home=Path(env("PARITY_HOME", "data")).resolve(),
            timezone=env("PARITY_TIMEZONE", cls.timezone),
            settle_seconds=float(env("PARITY_SETTLE_SECONDS", cls.settle_seconds)),
            lock_wait=float(env("PARITY_LOCK_WAIT", cls.lock_wait)),
            busy_wait=float(env("PARITY_BUSY_WAIT", cls.busy_wait)),
            limits=Limits(
                file_bytes=int(float(env("PARITY_MAX_FILE_MB", default.file_bytes / MIB)) * MIB),
                rows=int(env("PARITY_MAX_ROWS", default.rows)),
                cells_per_row=int(env("PARITY_MAX_COLUMNS", default.cells_per_row)),
                cell_chars=int(env("PARITY_MAX_CELL_CHARS", default.cell_chars)),
                memory_bytes=int(float(env("PARITY_READ_MEMORY_MB", default.memory_bytes / MIB)) * MIB),
                seconds=float(env("PARITY_READ_SECONDS", default.seconds)),
            ),
            inbox_dir=Path(env("PARITY_INBOX")).resolve() if env("PARITY_INBOX") else None,
        )

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.home / "inbox"

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
    def quality_dir(self) -> Path:
        """One self-contained HTML quality report per submission version."""
        return self.home / "quality"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def key_file(self) -> Path:
        return Path(os.environ.get("PARITY_PSEUDONYM_KEY_FILE", self.home / "pseudonym.key"))


DEFAULT_CONFIG = PROJECT_DIR / "config" / "parity.toml"


@dataclass(frozen=True)
class FocalPoint:
    """A country's focal point and the deadline rule of its submissions."""
    country: str
    focal_point: str
    email: str
    language: str  # bs | mk | cnr | sr
    timezone: str
    due_days: int
    reminder_days: int
    first_period: str


@dataclass(frozen=True)
class QualityThresholds:
    balance_tolerance: float = 0.02
    step_factor: float = 3.0
    min_history: int = 3
    share_step_floor: float = 0.03
    headcount_step_floor: float = 0.10
    headcount_step_min_persons: int = 10
    min_category_headcount: int = 100
    problems_in_body: int = 20


@dataclass(frozen=True)
class Config:
    """config/parity.toml, or the file PARITY_CONFIG names."""
    focal_points: dict[str, FocalPoint]
    engineers_email: str
    engineers_name: str
    quality: QualityThresholds

    @classmethod
    def load(cls, path: Path | None = None) -> "Config":
        import tomllib

        path = path or Path(os.environ.get("PARITY_CONFIG") or DEFAULT_CONFIG)
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(
            focal_points={cc: FocalPoint(country=cc, **v) for cc, v in raw["countries"].items()},
            engineers_email=raw["engineers"]["email"],
            engineers_name=raw["engineers"].get("name", "parity data engineering"),
            quality=QualityThresholds(**raw.get("quality", {})),
        )
