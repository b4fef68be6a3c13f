import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from parity.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "samples"  # the spec's sample deliveries, copied in (2024Q3, 2024Q4)
COUNTRIES = ("BIH", "MKD", "MNE", "SRB")
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def home_environment(home: Path) -> dict[str, str | None]:
    """The variables that point parity at `home` (None: unset), with a pseudonymisation key and files
    taken at once (no settle time)."""
    return {"PARITY_HOME": str(home), "PARITY_PSEUDONYM_KEY": "test-key-not-secret", "PARITY_SETTLE_SECONDS": "0",
            "PARITY_INBOX": None, "DAGSTER_HOME": str(home / "dagster")}


def point_at(env: pytest.MonkeyPatch, home: Path) -> Settings:
    for name, value in home_environment(home).items():
        env.setenv(name, value) if value is not None else env.delenv(name, raising=False)
    return Settings.from_env()


@pytest.fixture(scope="session", autouse=True)
def temporary_folder(tmp_path_factory) -> Iterator[Path]:
    """The session's processes (the worker, its dbt and validation servers, every `parity` a test starts)
    make their temporary files in pytest's folder of this session, not in the system's: what a process
    that a test kills leaves there (a dbt server's socket folder, a dbt profile, Dagster's empty run
    database) goes with pytest's old folders (it keeps the last three sessions')."""
    folder = tmp_path_factory.mktemp("tmp", numbered=False)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TMPDIR", str(folder))
        env.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
        yield folder


@pytest.fixture(scope="session")
def dbt_server_warm() -> None:
    """The worker's dbt server, started warm (parity/dbt_server.py): a worker runs many dbt builds, and
    each command forked from a warm server is about a second shorter. Requested by the fixtures that
    lead to builds, so that `make check` starts none."""
    from parity import dbt_server

    dbt_server.start(warm_up=True)


@pytest.fixture(scope="session")
def great_expectations_here() -> None:
    """Great Expectations imported and its suites prepared in the worker: its loads then validate in
    process (parity/quality/server.py starts no server in a process that has GX), as do the tests that
    check tables directly, instead of a validation server per worker importing GX a second time. The
    server is tested on its own (tests/test_quality.py) and serves every `parity load` process."""
    from parity.quality import suites

    suites.prepare()


@pytest.fixture
def home(tmp_path, monkeypatch, dbt_server_warm, great_expectations_here) -> Settings:
    """A fresh $PARITY_HOME (see home_environment)."""
    settings = point_at(monkeypatch, tmp_path / "home")
    settings.inbox.mkdir(parents=True)
    return settings


def copy_home(prepared: Path, settings: Settings) -> Settings:
    """`settings`' (empty) home becomes a copy of the home `prepared` (a module fixture's, loaded once):
    each test then changes its own copy."""
    shutil.copytree(prepared, settings.home, dirs_exist_ok=True)
    return settings


def deliver(settings: Settings, *files: Path, country: str | None = None) -> list[Path]:
    """Copy delivery files into their country's inbox (or `country`'s)."""
    out = []
    for f in files:
        folder = settings.inbox / (country or f.parent.name)
        folder.mkdir(parents=True, exist_ok=True)
        out.append(Path(shutil.copy(f, folder / f.name)))
    return out


def sample_files(country: str | None = None, period: str | None = None) -> list[Path]:
    return sorted(p for p in SAMPLES.glob(f"{country or '*'}/*") if period is None or f"_{period}" in p.name)


def registration_numbers() -> set[str]:
    """Every registration number in the sample deliveries, in clear (for leak checks)."""
    from sources import read_delivery

    numbers = set()
    for f in sample_files():
        for table in read_delivery(f, now=NOW):
            if table.frame is not None and "personnel_no" in table.frame:
                numbers |= set(table.frame["personnel_no"])
    return numbers


class NumberScanner:
    """Finds which of a set of registration numbers (PREFIX-digits, as every dialect writes them)
    occur anywhere in a byte string, in one pass: a number-shaped start (a prefix of the set, a
    hyphen, digits) is looked up at every position where one begins, instead of searching the bytes
    once per number. Every occurrence of a number begins such a match, so nothing is missed
    (tests/test_ingest.py plants numbers in binary noise to show it)."""

    def __init__(self, numbers: set[str]):
        import re

        self.numbers = {n.encode() for n in numbers}
        shapes = {n.split(b"-", 1)[0]: set() for n in self.numbers}
        for n in self.numbers:
            prefix, digits = n.split(b"-", 1)
            assert prefix.isalpha() and digits.isdigit(), "a number not shaped PREFIX-digits: scan it another way"
            shapes[prefix].add(len(digits))
        self.lengths = {p: sorted(lengths) for p, lengths in shapes.items()}
        prefixes = b"|".join(re.escape(p) for p in sorted(shapes, key=len, reverse=True))
        self.pattern = re.compile(rb"(?=(" + prefixes + rb")-([0-9]+))")

    def found(self, data: bytes | str) -> list[str]:
        data = data.encode() if isinstance(data, str) else data
        hits = set()
        for match in self.pattern.finditer(data):
            prefix, digits = match.group(1), match.group(2)
            hits.update(candidate for length in self.lengths[prefix] if len(digits) >= length
                        and (candidate := prefix + b"-" + digits[:length]) in self.numbers)
        return sorted(h.decode() for h in hits)


def assert_no_clear_numbers(settings: Settings) -> None:
    """No registration number of the samples anywhere in $PARITY_HOME but the inbox and the archive:
    not in any text value of the warehouse, not in any byte of any other file (Dagster's storage and
    logs included)."""
    from parity import warehouse

    numbers = registration_numbers()
    assert len(numbers) > 200
    scanner = NumberScanner(numbers)
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        columns = con.execute("""SELECT table_schema, table_name, column_name FROM information_schema.columns
                                 WHERE data_type = 'VARCHAR'""").fetchall()
        for schema, table, column in columns:
            values = {v for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM {schema}."{table}"').fetchall()}
            assert not values & numbers, f"{schema}.{table}.{column}"
    for path in settings.home.rglob("*"):
        if path.is_file() and not path.is_relative_to(settings.inbox) and not path.is_relative_to(settings.archive):
            leaked = scanner.found(path.read_bytes())
            assert not leaked, f"{path}: {leaked[:3]}"


HISTORY_PERIODS = ("2024Q1", "2024Q2", "2024Q3", "2024Q4")
HISTORY_SCALE, HISTORY_SEED = 0.25, 5
HISTORY_RELEASE = 2  # the release `history` ends with: one per load


def delivery_files(folder: Path, country: str, period: str, tables: tuple[str, ...] | None = None) -> list[Path]:
    """A country's generated files of one quarter in `folder`: BIH sends one workbook, the others a CSV
    per table (all six, or `tables`)."""
    if country == "BIH":
        return [folder / "BIH" / f"BIH_{period}.xlsx"]
    return [folder / country / f"{country}_{period}_{t}.csv" for t in
            (tables or ("personnel", "recruitment", "separations", "deployments", "trainings", "complaints"))]


@pytest.fixture(scope="session")
def history(tmp_path_factory, dbt_server_warm, great_expectations_here) -> Settings:
    """A warehouse loaded once for the session with four generated quarters of the four countries
    (marts, public.duckdb, registry), in two loads and in an order no MoD would choose: first the later
    quarters (MKD's 2024Q3 events before its personnel), built (release 1); then 2024Q1, 2024Q2 and
    MKD's 2024Q3 personnel, built again (release 2). Tests read it and write only beside it (reports,
    copies); test_marts compares its marts with an independent computation of the same tables."""
    from parity.generate import generate
    from parity.load import load
    from sources.period import Period

    root = tmp_path_factory.mktemp("history")
    made = root / "made"
    generate(made, Period.range(f"{HISTORY_PERIODS[0]}:{HISTORY_PERIODS[-1]}"), list(COUNTRIES), scale=HISTORY_SCALE,
             seed=HISTORY_SEED, progress=False)
    events = ("recruitment", "separations", "deployments", "trainings", "complaints")
    arrivals = [
        [f for c in COUNTRIES for f in delivery_files(made, c, "2024Q4")]
        + [f for c in ("BIH", "MNE", "SRB") for f in delivery_files(made, c, "2024Q3")]
        + delivery_files(made, "MKD", "2024Q3", events),
        [f for c in COUNTRIES for p in ("2024Q1", "2024Q2") for f in delivery_files(made, c, p)]
        + delivery_files(made, "MKD", "2024Q3", ("personnel",)),
    ]
    with pytest.MonkeyPatch.context() as env:
        settings = point_at(env, root / "home")
        for batch in arrivals:
            for path in batch:
                (settings.inbox / path.parent.name).mkdir(parents=True, exist_ok=True)
                path.replace(settings.inbox / path.parent.name / path.name)
            report = load(settings, say=lambda _: None)
            assert report.transform_ok and not report.rejected and not report.failures
    return settings


CORRECTED = "MNE/MNE_2024Q2_personnel.csv"  # in the inbox of `corrected`: its last row removed
PUBLIC_KEY = "indicator_code, country_code, period, breakdown, breakdown_value"


@pytest.fixture(scope="session")
def corrected(history, tmp_path_factory) -> tuple[Settings, list]:
    """A copy of the session's warehouse (release 1) after MNE corrected its 2024Q2 personnel: one
    person fewer (release 2); and the public rows of release 1. Tests read it and write beside it."""
    import duckdb

    from parity.load import load

    with pytest.MonkeyPatch.context() as env:
        settings = copy_home(history.home, point_at(env, tmp_path_factory.mktemp("corrected") / "home"))
        with duckdb.connect(str(settings.public_warehouse), read_only=True) as con:
            before = con.execute(f"SELECT {PUBLIC_KEY}, value, obs_status FROM indicator_values_public").fetchall()
        path = settings.inbox / CORRECTED
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[:-1]), encoding="utf-8")
        report = load(settings, say=lambda _: None)
        assert report.transform_ok and not report.failures
    return settings, before


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright: Debian's (Playwright's own browser download cannot reach
    the internet here)."""
    from playwright.sync_api import sync_playwright

    from parity.reports.pdf import CHROMIUM_FLAGS, chromium

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(),
                                              args=[f for f in CHROMIUM_FLAGS if f != "--headless"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL server for the session (pip's pgserver, on a Unix socket), stopped at the end."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield server
    server.cleanup()


def new_database(server, name: str) -> str:
    """A fresh, empty database on the test server; returns its URL."""
    server.psql(f'DROP DATABASE IF EXISTS "{name}";')
    server.psql(f'CREATE DATABASE "{name}";')
    return server.get_uri(name)


# What `make check` leaves out: tests that need a warehouse, a server, a browser or another process.
# They are told apart by what they use, so a new test lands on the right side by itself.
INTEGRATION_FIXTURES = {"home", "history", "postgres", "smtp", "generated", "browser", "dagster_ui", "project",
                        "warehouse", "samples_loaded"}
INTEGRATION_MODULES = {"test_crash", "test_fifth_country", "test_imports", "test_cli", "test_browser", "test_dbt_unit",
                       "test_disclosure", "test_dbt_server"}  # generated data and an attacker's linear programs: a minute


# `make test` runs the tests on two processes (pytest-xdist): each module stays on one worker with its
# fixtures, and the modules that read the session's `history` warehouse share one worker, so that it is
# loaded once (and the PostgreSQL server, which only they use, started once). --no-loadscope-reorder
# keeps this order: the slowest start first, so that no long one is left for the end; xdist hands
# each worker two groups to begin with. (xdist's own `loadgroup` marks do not group on pytest 9.2: pytest-xdist issue 1386; the
# scheduler below groups by module name instead.)
HISTORY_MODULES = {"test_browser", "test_docs", "test_incremental", "test_marts", "test_portability",
                   "test_publish", "test_reports", "test_releases", "test_rotation", "test_backup",
                   "test_retention"}
SLOWEST_FIRST = ("test_crash", "test_incremental", "test_disclosure", "test_fifth_country", "test_cli",
                 "test_reports", "test_portability", "test_orchestration", "test_hostile", "test_publish")


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if INTEGRATION_FIXTURES & fixtures or item.module.__name__ in INTEGRATION_MODULES:
            item.add_marker(pytest.mark.integration)
        if "history" in fixtures and item.module.__name__ not in HISTORY_MODULES:
            raise pytest.UsageError(f"{item.nodeid} reads the session's history: add its module to "
                                    f"HISTORY_MODULES (tests/conftest.py), or it is loaded on both workers")
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__, len(rank)))  # stable: a module's order is kept


def pytest_xdist_make_scheduler(config, log):
    """xdist's module scheduling (--dist loadfile), with the HISTORY_MODULES as one unit."""
    from xdist.scheduler import LoadScopeScheduling

    class ModulesAndHistory(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "history" if Path(module).stem in HISTORY_MODULES else module

    return ModulesAndHistory(config, log)


# Tests write nothing into the repository: what git sees (changed or new, not ignored) is the same after
# the session as before it. Their output goes to temporary folders.
REPOSITORY = Path(__file__).resolve().parent.parent


def _git_status() -> str | None:
    import subprocess

    if not (REPOSITORY / ".git").exists():
        return None
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPOSITORY,
                          capture_output=True, text=True, check=True).stdout


def pytest_sessionstart(session):
    session.config.stash[_STATUS] = _git_status()


def pytest_sessionfinish(session, exitstatus):
    before, after = session.config.stash.get(_STATUS, None), _git_status()
    if before is not None and after != before:
        written = sorted(set(after.splitlines()) - set(before.splitlines()))
        session.config.get_terminal_writer().line(f"tests wrote into the repository: {written[:10]}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_STATUS = pytest.StashKey[str | None]()
