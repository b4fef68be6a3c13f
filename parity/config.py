"""Where parity keeps its data and how it is tuned: one Settings, read from the environment once
(`Settings.from_env()`, validated: SettingsError names the variable and what it must be), and the
deployment's configuration file config/parity.toml (or PARITY_CONFIG: focal points, quality
thresholds). Nothing else in parity reads the environment for a setting.

PARITY_HOME (default ./data) holds inbox/<CC>/ (or PARITY_INBOX), archive/, warehouse.duckdb (restricted),
public.duckdb (the analysts' copy of the public side), dagster/ and logs/.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parity.clock import Clock
from sources.limits import MIB, Limits

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DEFAULT_CONFIG = PROJECT_DIR / "config" / "parity.toml"
WAREHOUSE_FILE = "warehouse.duckdb"  # in $PARITY_HOME; dbt's prepared parse names the same file (parity.dbt)


class SettingsError(ValueError):
    """A setting of the environment that cannot be used: the message names the variable."""


def _whole(name: str, default: int, unit: str) -> int:
    value = _number(name, default, unit)
    if value != int(value):
        raise SettingsError(f"{name}: {os.environ[name]!r} is not a whole number of {unit} (default {default})")
    return int(value)


def _number(name: str, default: float, unit: str) -> float:
    text = os.environ.get(name)
    if text is None or text == "":
        return float(default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise SettingsError(f"{name}: {text!r} is not a number of {unit} (0 or more; default {default:g})")
    return value


def _flag(name: str) -> bool:
    text = os.environ.get(name, "0")
    if text not in ("0", "1", ""):
        raise SettingsError(f"{name}: {text!r} must be 1 (yes) or 0 (no)")
    return text == "1"


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP server the outbox sends through (parity/alerts/outbox.py); no host: messages wait."""
    host: str | None = None
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "parity@localhost"
    timeout: float = 120.0
    allow_plain_login: bool = False

    @classmethod
    def from_env(cls) -> "SmtpSettings":
        env = os.environ.get
        return cls(host=env("PARITY_SMTP_HOST") or None,
                   port=int(_number("PARITY_SMTP_PORT", cls.port, "a TCP port")),
                   starttls=_flag("PARITY_SMTP_STARTTLS"), user=env("PARITY_SMTP_USER") or None,
                   password=env("PARITY_SMTP_PASSWORD") or None, sender=env("PARITY_SMTP_FROM") or cls.sender,
                   timeout=_number("PARITY_SMTP_TIMEOUT", cls.timeout, "seconds"),
                   allow_plain_login=_flag("PARITY_SMTP_ALLOW_PLAIN_LOGIN"))


@dataclass(frozen=True)
class Settings:
    home: Path
    timezone: str = "Europe/Belgrade"  # the warehouse clock: has a quarter ended?
    settle_seconds: float = 30.0  # a file is taken once size and mtime stood still this long
    lock_wait: float = 600.0  # how long a writer waits for another to finish (parity/lock.py)
    busy_wait: float = 30.0  # how long anyone waits for a DuckDB file another process holds open
    # memory DuckDB may hold in a dbt build (beyond it, it spills to a folder beside the warehouse);
    # DuckDB's own default, 80 % of the machine, let a scale-10 build reach 9.6 GiB
    build_memory_mb: int = 2560
    limits: Limits = field(default_factory=Limits)  # what a delivered file may be (sources/limits.py)
    inbox_dir: Path | None = None  # a MoD drop folder elsewhere (a shared mount) instead of $PARITY_HOME/inbox
    # disclosure control: a published count of 1..threshold persons is confidential (dbt var disclosure_threshold)
    disclosure_threshold: int = 2
    # the narrowest range everything published may leave for a confidential count (the audit's protection
    # rule, parity/suppression/audit.py); None: threshold + 1
    disclosure_width: int | None = None
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    upload_bytes: int = 64 * MIB  # the most one upload to the focal points' page (parity serve) may be
    page_url: str = ""  # the focal points' page as they reach it (behind the reverse proxy), named in e-mails
    chromium: str | None = None  # the browser that prints PDF reports; None: found on PATH
    publish_url: str | None = field(default=None, repr=False)  # PostgreSQL of `parity publish` (may hold a password)
    dagster_url: str = ""  # the Dagster UI, linked from the engineers' failure e-mails
    config_path: Path = field(default_factory=lambda: DEFAULT_CONFIG)
    pseudonym_key: str | None = field(default=None, repr=False)  # PARITY_PSEUDONYM_KEY: from a secret store
    key_file_path: Path | None = None  # else this file (default $PARITY_HOME/pseudonym.key)
    dagster_home_dir: Path | None = None  # DAGSTER_HOME, else $PARITY_HOME/dagster
    backup_dir_path: Path | None = None  # the `backup` schedule's backups (PARITY_BACKUP_DIR), else $PARITY_HOME/backups
    backup_keep: int = 7  # how many of them it keeps (PARITY_BACKUP_KEEP)
    clock: Clock = field(default_factory=Clock)  # the real time; only code sets it (parity/clock.py)

    @classmethod
    def from_env(cls) -> "Settings":
        """The settings the environment gives; SettingsError names a variable that is not usable."""
        env = os.environ.get
        default = Limits()
        threshold = _whole("PARITY_DISCLOSURE_THRESHOLD", cls.disclosure_threshold, "persons")
        timezone = env("PARITY_TIMEZONE", cls.timezone)
        try:
            ZoneInfo(timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise SettingsError(f"PARITY_TIMEZONE: {timezone!r} is no time zone (e.g. Europe/Belgrade)") from None
        return cls(
            home=Path(env("PARITY_HOME", "data")).resolve(),
            timezone=timezone,
            settle_seconds=_number("PARITY_SETTLE_SECONDS", cls.settle_seconds, "seconds"),
            lock_wait=_number("PARITY_LOCK_WAIT", cls.lock_wait, "seconds"),
            busy_wait=_number("PARITY_BUSY_WAIT", cls.busy_wait, "seconds"),
            build_memory_mb=_whole("PARITY_BUILD_MEMORY_MB", cls.build_memory_mb, "megabytes"),
            limits=Limits(
                file_bytes=int(_number("PARITY_MAX_FILE_MB", default.file_bytes / MIB, "megabytes") * MIB),
                rows=int(_number("PARITY_MAX_ROWS", default.rows, "rows")),
                cells_per_row=int(_number("PARITY_MAX_COLUMNS", default.cells_per_row, "columns")),
                cell_chars=int(_number("PARITY_MAX_CELL_CHARS", default.cell_chars, "characters")),
                memory_bytes=int(_number("PARITY_READ_MEMORY_MB", default.memory_bytes / MIB, "megabytes") * MIB),
                seconds=_number("PARITY_READ_SECONDS", default.seconds, "seconds"),
            ),
            inbox_dir=Path(env("PARITY_INBOX")).resolve() if env("PARITY_INBOX") else None,
            disclosure_threshold=threshold,
            disclosure_width=_whole("PARITY_DISCLOSURE_WIDTH", threshold + 1, "persons")
            if env("PARITY_DISCLOSURE_WIDTH") else None,
            smtp=SmtpSettings.from_env(),
            upload_bytes=int(_number("PARITY_UPLOAD_MAX_MB", cls.upload_bytes / MIB, "megabytes") * MIB),
            page_url=env("PARITY_PAGE_URL", ""),
            chromium=env("PARITY_CHROMIUM") or None,
            publish_url=env("PARITY_PUBLISH_URL") or None,
            dagster_url=env("PARITY_DAGSTER_URL", ""),
            config_path=configured_path(),
            pseudonym_key=env("PARITY_PSEUDONYM_KEY") or None,
            key_file_path=Path(env("PARITY_PSEUDONYM_KEY_FILE")).resolve() if env("PARITY_PSEUDONYM_KEY_FILE") else None,
            dagster_home_dir=Path(env("DAGSTER_HOME")).resolve() if env("DAGSTER_HOME") else None,
            backup_dir_path=Path(env("PARITY_BACKUP_DIR")).resolve() if env("PARITY_BACKUP_DIR") else None,
            backup_keep=_whole("PARITY_BACKUP_KEEP", cls.backup_keep, "backups"),
        )

    @property
    def protection_width(self) -> int:
        """The audit's width: the setting, or threshold + 1."""
        return self.disclosure_threshold + 1 if self.disclosure_width is None else self.disclosure_width

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.home / "inbox"

    @property
    def web_dir(self) -> Path:
        """The focal points' page's own: its access store and the uploads not sent yet."""
        return self.home / "web"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def warehouse(self) -> Path:
        return self.home / WAREHOUSE_FILE

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
        return self.dagster_home_dir or self.home / "dagster"

    @property
    def backup_dir(self) -> Path:
        """Where the `backup` schedule writes (another disk, in production)."""
        return self.backup_dir_path or self.home / "backups"

    @property
    def key_file(self) -> Path:
        return self.key_file_path or self.home / "pseudonym.key"

    def config(self) -> "Config":
        return Config.load(self.config_path)



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
    # retention of its files in the archive and the backups (parity/retention.py): after a newer version
    # replaced them, and after their quarter closed (the end of its due date)
    keep_replaced_days: int = 90
    keep_closed_days: int = 730


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
    """config/parity.toml, or the file PARITY_CONFIG names (Settings.config())."""
    focal_points: dict[str, FocalPoint]
    engineers_email: str
    engineers_name: str
    quality: QualityThresholds

    @classmethod
    def load(cls, path: Path = DEFAULT_CONFIG) -> "Config":
        """The configuration file; SettingsError (naming the file and what is wrong) if it cannot be used."""
        import tomllib

        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            return cls(
                focal_points={cc: FocalPoint(country=cc, **v) for cc, v in raw["countries"].items()},
                engineers_email=raw["engineers"]["email"],
                engineers_name=raw["engineers"].get("name", "parity data engineering"),
                quality=QualityThresholds(**raw.get("quality", {})),
            )
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as e:
            what = f"no {e} entry" if isinstance(e, KeyError) else str(e)
            raise SettingsError(f"PARITY_CONFIG: {path} is not a usable configuration ({type(e).__name__}: {what}); "
                                f"config/parity.toml in the project shows every entry") from None

    @property
    def first_quarter(self) -> str | None:
        """The earliest `first_period` of the configured countries (None: no country configured)."""
        from sources.period import Period

        return str(min(Period.parse(fp.first_period) for fp in self.focal_points.values())) \
            if self.focal_points else None


def configured_path() -> Path:
    """The configuration file: PARITY_CONFIG, else the project's config/parity.toml."""
    return Path(os.environ["PARITY_CONFIG"]).resolve() if os.environ.get("PARITY_CONFIG") else DEFAULT_CONFIG


def first_configured_quarter() -> str | None:
    """Config.first_quarter of the configuration file: where the Dagster partitions start
    (orchestration/partitions.py reads it when the code location loads)."""
    return Config.load(configured_path()).first_quarter
