"""The partitioned models follow every input: editing a seed, a project variable or a macro (or a new
pseudonymisation key) rebuilds exactly the partitions of the models that read it, directly or through
another model, and the result equals a full refresh. A model that forgets its partition filter, or
breaks its grain, fails instead of duplicating rows.

Runs dbt on copies: of the dbt project (edited here) and of the session's warehouse."""
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from parity.config import DBT_PROJECT_DIR, WAREHOUSE_FILE, Settings
from parity.dbt import PARSE_CACHE, run_dbt

# the partitioned models and what they read (an oracle written from the models' SQL, not from dbt's graph)
FACTS = {"int_deployment_quarters", "fct_deployments", "fct_separations", "fct_recruitment_applications",
         "fct_complaints", "fct_trainings"}
PERSONS = {"int_person_quarter_history", "fct_personnel_quarter"}
READ_PERSONS = {"ind_workforce", "ind_turnover", "ind_training", "ind_complaints"}
OTHER_INDICATORS = {"ind_recruitment", "ind_deployment"}
INDICATORS = {"indicator_values"}  # the public twin is rebuilt whole (suppression ties its rows together)
PARTITIONED = FACTS | PERSONS | READ_PERSONS | OTHER_INDICATORS | INDICATORS


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the dbt project with the parse `make setup` prepared (dbt parses only what a test edits)."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    (copy / "target").mkdir()
    shutil.copy(DBT_PROJECT_DIR / "target" / PARSE_CACHE, copy / "target" / PARSE_CACHE)
    return copy


def _run(*args: str, warehouse: Path, project: Path, target: str = "target") -> None:
    # the project variables of the prepared parse: a different set would make dbt parse everything again
    run_dbt(*args, warehouse=warehouse, project_dir=project, target_path=project / target,
            settings=Settings.from_env())


@pytest.fixture
def warehouse(history, tmp_path) -> Path:
    copy = tmp_path / WAREHOUSE_FILE  # the file name of the prepared parse
    shutil.copy(history.warehouse, copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _ledger(warehouse: Path) -> dict[tuple[str, str, str], object]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {(m, c, p): built for m, c, p, built in
                con.execute("SELECT model_name, country_code, period, built_at FROM intermediate.partition_builds").fetchall()}


def _build(project: Path, warehouse: Path, *args: str) -> dict[str, int]:
    """dbt's seeds and models (their tests are not the point here); returns the partitions rebuilt per model."""
    before = _ledger(warehouse)
    _run("build", "--resource-type", "seed", "--resource-type", "model", *args, warehouse=warehouse, project=project)
    after = _ledger(warehouse)
    rebuilt: dict[str, int] = {}
    for key, built in after.items():
        if before.get(key) != built:
            rebuilt[key[0]] = rebuilt.get(key[0], 0) + 1
    return rebuilt


def _tables(warehouse: Path) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        located = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                              "WHERE table_schema IN ('intermediate', 'marts') AND table_type = 'BASE TABLE'").fetchall()
        return {name: con.execute(f"SELECT * FROM {schema}.{name} ORDER BY ALL").fetchall()
                for schema, name in located if name != "partition_builds"}


def _assert_equals_a_full_refresh(project: Path, warehouse: Path) -> None:
    fresh = warehouse.with_name("fresh.duckdb")
    shutil.copy(warehouse, fresh)
    # a target folder of its own: dbt's parse cache is keyed by the warehouse's file name
    # (parity.dbt.duckdb_output), and one folder for both names would make every build parse again
    _run("build", "--resource-type", "seed", "--resource-type", "model", "--full-refresh", warehouse=fresh,
         project=project, target="target-full-refresh")
    incremental, full = _tables(warehouse), _tables(fresh)
    assert incremental.keys() == full.keys() and PARTITIONED <= incremental.keys()
    assert [name for name in incremental if incremental[name] != full[name]] == []


def test_a_seed_a_variable_and_a_macro_rebuild_exactly_what_reads_them(project, warehouse):
    # the session's warehouse was built by the same project: the last build below rebuilds nothing, and an
    # edit's rebuild holds exactly the models that read it (what was stale would show in both)
    counts: dict[str, int] = {}  # partitions per model: 4 countries x 4 quarters, and WB4's 4 quarters
    for model, _, _ in _ledger(warehouse):
        counts[model] = counts.get(model, 0) + 1
    assert set(counts) == PARTITIONED and counts["fct_personnel_quarter"] == 16 and counts["indicator_values"] == 20

    # a macro: the NATO rank bands (macros/ranks.sql) are read by dim_rank, so by the workforce indicators
    _edit(project / "macros" / "ranks.sql", "in ('OF-6', 'OF-7',", "in ('OF-5', 'OF-6', 'OF-7',")
    rebuilt = _build(project, warehouse)
    assert rebuilt == {m: counts[m] for m in {"ind_workforce"} | INDICATORS}

    # a variable: who is uniformed is read by the person history, the separations and what reads them
    _edit(project / "dbt_project.yml", "uniformed_categories: ['officer', 'nco', 'soldier']",
          "uniformed_categories: ['officer', 'nco']")
    rebuilt = _build(project, warehouse)
    assert rebuilt == {m: counts[m] for m in PERSONS | {"fct_separations"} | READ_PERSONS | INDICATORS}
    # The macro's and the variable's edits are compared with a full refresh after the seed's: every
    # model they rebuilt that the seed's edit rebuilds again is compared as that build leaves it (the
    # same whole rebuild of a changed code fingerprint), fct_separations as the variable left it, and
    # the exact sets above show that each edit rebuilt what reads it and nothing else.

    # a seed: a rank's NATO code (ranks.csv, read by the person history and dim_rank); an officer's, still
    # uniformed after the edit above
    ranks = project / "seeds" / "ranks.csv"
    [line] = [line for line in ranks.read_text(encoding="utf-8").splitlines() if line.startswith("SRB,потпоручник,")]
    _edit(ranks, line, line.replace(",OF-1,", ",OF-2,"))
    rebuilt = _build(project, warehouse)
    assert rebuilt == {m: counts[m] for m in PERSONS | READ_PERSONS | INDICATORS}
    _assert_equals_a_full_refresh(project, warehouse)
    # (a new pseudonymisation key rebuilds every partition: test_rotation's rotation shows it on the marts)
    # (that a build with nothing changed rebuilds nothing is test_orchestration's second `transform` run)


def test_a_partitioned_model_that_forgets_its_filter_or_its_grain_fails(project, warehouse):
    models = project / "models" / "marts" / "facts"
    config = ("{{ config(materialized='partitioned', partition_inputs='separations', "
              "unique_key=%s) }}\n")
    grain = "['country_code', 'period', 'source_row']"
    (models / "fct_unfiltered.sql").write_text(
        config % grain + "select country_code, period, source_row from {{ ref('stg_separations') }}\n", encoding="utf-8")
    (models / "fct_forgetful.sql").write_text(  # its second read has no partition_filter()
        config % grain + "select country_code, period, source_row from {{ ref('stg_separations') }}\n"
        "where {{ partition_filter() }}\nunion all\n"
        "select distinct country_code, period, -1 from {{ ref('stg_separations') }}\n", encoding="utf-8")
    (models / "fct_coarse.sql").write_text(
        config % "['country_code', 'period']" + "select country_code, period, source_row from "
        "{{ ref('stg_separations') }} where {{ partition_filter() }}\n", encoding="utf-8")

    def fails(*models: str, says: tuple[str, ...]) -> None:
        with pytest.raises(subprocess.CalledProcessError):
            _run("build", "--select", *models, warehouse=warehouse, project=project)
        log = (project / "target" / "logs" / "dbt.log").read_text(encoding="utf-8")
        assert [message for message in says if message not in log] == []

    # one build: the two broken models fail, each with its message; the forgetful one's whole build reads
    # everything, so it passes, and its forgotten filter shows once one partition changes
    fails("fct_unfiltered", "fct_coarse", "fct_forgetful",
          says=("model fct_unfiltered is partitioned but never calls partition_filter()",
                "computed more than one row for (country_code, period) = BIH 2024Q1 "))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM intermediate.partition_builds WHERE model_name = 'fct_forgetful' "
                    "AND country_code = 'MNE' AND period = '2024Q2'")
        rows = con.execute("SELECT count(*) FROM marts.fct_forgetful").fetchone()
    fails("fct_forgetful", says=("computed rows of partitions it is not building (BIH 2024Q1 1, BIH 2024Q2 1",))
    with duckdb.connect(str(warehouse), read_only=True) as con:  # the failed build changed nothing
        assert con.execute("SELECT count(*) FROM marts.fct_forgetful").fetchone() == rows
        assert con.execute("SELECT count(*) FROM intermediate.partition_builds WHERE model_name = 'fct_forgetful' "
                           "AND country_code = 'MNE' AND period = '2024Q2'").fetchone() == (0,)


def test_partition_scoped_rules_read_the_partitions_they_have_not_passed_on(project, warehouse):
    """A model's not_null, accepted_values and per-partition unique rules read only the partitions they
    have not passed on yet (the ledger's checked_by); a failure marks nothing, so the next build reads
    them again; a partition checked by other rules is read again; global keys and relationships read all."""
    def checked() -> dict[tuple[str, str], str | None]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return dict(((c, p), by) for c, p, by in con.execute(
                "SELECT country_code, period, checked_by FROM intermediate.partition_builds "
                "WHERE model_name = 'fct_trainings'").fetchall())

    def failing() -> dict[tuple[str, str], int]:
        """The rules that fail, by (rule, value found): how many rows."""
        with pytest.raises(subprocess.CalledProcessError):
            _run("test", "--select", "fct_trainings", "--store-failures", warehouse=warehouse, project=project)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return dict(((rule, value), rows) for rule, value, rows in con.execute(
                "SELECT rule, value_found, failing_rows FROM dbt_test__audit.fct_trainings_rules").fetchall())

    # the loads' builds ran the rules: every partition of every partitioned model is checked
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ledger, unchecked = con.execute("SELECT count(*), count(*) FILTER (WHERE checked_by IS NULL) "
                                        "FROM intermediate.partition_builds").fetchone()
    assert ledger > 200 and unchecked == 0
    fingerprint = checked()[("BIH", "2024Q1")]
    assert set(checked().values()) == {fingerprint}

    # two partitions broken behind dbt's back: one of them as if it had just been rebuilt (unchecked)
    with duckdb.connect(str(warehouse)) as con:
        sizes = {}
        for country, period in (("BIH", "2024Q1"), ("MNE", "2024Q2")):
            sizes[country] = con.execute(
                "UPDATE marts.fct_trainings SET course_code = 'broken_' || country_code, training_key = 'one key' "
                "WHERE country_code = ? AND period = ?", [country, period]).fetchone()[0]
        con.execute("UPDATE intermediate.partition_builds SET checked_by = NULL "
                    "WHERE model_name = 'fct_trainings' AND country_code = 'BIH' AND period = '2024Q1'")
    # the unchecked partition's values fail; the checked one's are not read; the global key reads both
    rows = sizes["BIH"] + sizes["MNE"]
    assert failing() == {("accepted_values", "broken_BIH"): sizes["BIH"], ("unique", "one key"): rows}
    assert checked()[("BIH", "2024Q1")] is None  # a failure marks nothing: read again next time
    assert failing() == {("accepted_values", "broken_BIH"): sizes["BIH"], ("unique", "one key"): rows}

    # rules other than these passed on MNE 2024Q2: read again
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE intermediate.partition_builds SET checked_by = 'other rules' "
                    "WHERE model_name = 'fct_trainings' AND country_code = 'MNE' AND period = '2024Q2'")
    assert failing() == {("accepted_values", "broken_BIH"): sizes["BIH"], ("accepted_values", "broken_MNE"): sizes["MNE"],
                         ("unique", "one key"): rows}

    # mended, the rules pass and mark what they read
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE marts.fct_trainings SET course_code = 'gender_basic', "
                    "training_key = md5(country_code || period || source_row) WHERE course_code LIKE 'broken_%'")
    _run("test", "--select", "fct_trainings", warehouse=warehouse, project=project)
    assert set(checked().values()) == {fingerprint}


def test_the_reference_fingerprint_follows_every_seed_file_and_the_project_file(tmp_path):
    """A whole build leaves the seeds out while the warehouse's reference tables were loaded from
    files of the same fingerprint (orchestration/defs/dbt/assets.py): any change to a seed, its
    properties or the project file must change it, and a copy of the same files must not."""
    from parity.dbt import reference_fingerprint

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR / "seeds", copy / "seeds")
    shutil.copy(DBT_PROJECT_DIR / "dbt_project.yml", copy / "dbt_project.yml")
    same = reference_fingerprint(copy)
    assert same == reference_fingerprint(DBT_PROJECT_DIR)
    seen = {same}
    for path, change in ((copy / "seeds" / "ranks.csv", lambda t: t.replace(",OF-1,", ",OF-2,", 1)),
                         (copy / "seeds" / "_seeds.yml", lambda t: t + "\n"),
                         (copy / "dbt_project.yml", lambda t: t.replace("+schema: reference", "+schema: reference2"))):
        text = path.read_text(encoding="utf-8")
        assert change(text) != text, path.name
        path.write_text(change(text), encoding="utf-8")
        seen.add(reference_fingerprint(copy))
        path.write_text(text, encoding="utf-8")
        assert reference_fingerprint(copy) == same
    (copy / "seeds" / "new.csv").write_text("code\nX\n", encoding="utf-8")
    seen.add(reference_fingerprint(copy))
    assert len(seen) == 5
