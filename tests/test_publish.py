"""Publishing the public side into a real PostgreSQL server: whole releases with their history,
idempotent, read-only for analysts, and never a small cell."""
import dataclasses
import shutil

import dagster as dg
import duckdb
import pytest
import sqlalchemy as sa

from orchestration.defs.public.publish import PublishTarget, postgres_publication, publish_after_refresh
from orchestration.resources import ParityResource
from parity.cli import main
from parity.disclosure import DisclosureError
from parity.postgres import engine
from parity.publish import publish

from conftest import HISTORY_RELEASE, new_database

SCHEMA = "parity"


def snapshot(url: str) -> dict:
    """Every published table's rows (sorted), the columns' types and the comments."""
    with engine(url).connect() as pg:
        tables = [t for (t,) in pg.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s ORDER BY 1"), {"s": SCHEMA})]
        content = {}
        for table in tables:
            rows = pg.execute(sa.text(f'SELECT * FROM {SCHEMA}."{table}"')).all()
            content[table] = sorted(map(tuple, rows), key=repr)
        content["_columns"] = pg.execute(sa.text(
            "SELECT table_name, column_name, data_type, col_description(format('%I.%I', table_schema, table_name)"
            "::regclass, ordinal_position) FROM information_schema.columns WHERE table_schema = :s ORDER BY 1, 2"),
            {"s": SCHEMA}).all()
    return content


def test_publish_twice_gives_identical_tables_with_no_small_cell(history, postgres):
    url = new_database(postgres, "publish_twice")
    first = publish(history, url)
    assert {"indicator_values_public", "un_parity_gap", "dim_indicator", "dim_country", "dim_rank", "releases",
            "release_submissions", "indicator_values_history", "revisions", "indicator_values_bi"} <= set(first.rows)
    assert first.release >= 1
    assert not {"indicator_values", "fct_personnel_quarter"} & set(first.rows)
    before = snapshot(url)
    with duckdb.connect(str(history.public_warehouse), read_only=True) as duck:
        assert len(before["indicator_values_public"]) == duck.execute(
            "SELECT count(*) FROM indicator_values_public").fetchone()[0]

    assert publish(history, url).rows == first.rows
    assert snapshot(url) == before

    with engine(url).connect() as pg:
        small = pg.execute(sa.text(
            f"SELECT count(*) FROM {SCHEMA}.indicator_values_public WHERE numerator BETWEEN 1 AND 2 "
            "OR denominator - numerator BETWEEN 1 AND 2")).scalar_one()
        small += pg.execute(sa.text(
            f"SELECT count(*) FROM {SCHEMA}.un_parity_gap WHERE women_deployed BETWEEN 1 AND 2 "
            "OR persons_deployed - women_deployed BETWEEN 1 AND 2")).scalar_one()
        assert small == 0
        for status in ("C", "D"):  # confidential, and withheld to protect them
            withheld = pg.execute(sa.text(
                f"SELECT count(*), count(numerator), count(value) FROM {SCHEMA}.indicator_values_public "
                "WHERE obs_status = :s"), {"s": status}).one()
            assert withheld[0] > 0 and withheld[1:] == (0, 0)
        # the history's current rows are the public twin's, of the release published
        current = pg.execute(sa.text(
            f"SELECT count(*) FROM {SCHEMA}.indicator_values_history WHERE last_release_id IS NULL")).scalar_one()
        assert current == len(before["indicator_values_public"])
        assert pg.execute(sa.text(f"SELECT max(release_id) FROM {SCHEMA}.releases")).scalar_one() == first.release
        value_type = pg.execute(sa.text("SELECT data_type FROM information_schema.columns WHERE table_schema = :s "
                                        "AND table_name = 'indicator_values_public' AND column_name = 'value'"),
                                {"s": SCHEMA}).scalar_one()
        assert value_type == "double precision"


def test_the_flat_table_names_every_row_in_five_languages_with_the_twins_numbers(history):
    from parity.bi import NAMED
    from parity.messages import LANGUAGES

    labels = [f"{column}_{lang}" for _, _, column, _ in NAMED for lang in LANGUAGES]
    with duckdb.connect(str(history.public_warehouse), read_only=True) as con:
        missing = con.execute(f"SELECT count(*) FROM indicator_values_bi WHERE {' OR '.join(f'{c} IS NULL' for c in labels)}"
                              ).fetchone()[0]
        differs = con.execute("""
            SELECT count(*) FROM indicator_values_public AS p FULL JOIN indicator_values_bi AS b
                USING (indicator_code, country_code, period, breakdown, breakdown_value)
            WHERE b.obs_status IS NULL OR p.obs_status IS NULL OR p.obs_status <> b.obs_status
               OR p.value IS DISTINCT FROM b.value OR p.numerator IS DISTINCT FROM b.numerator""").fetchone()[0]
        sample = con.execute("""SELECT indicator_name_mk, country_name_sr, label_cnr, obs_status_meaning_bs, period_end
                                FROM indicator_values_bi WHERE indicator_code = 'TRAINING_COVERAGE'
                                AND country_code = 'SRB' AND breakdown = 'sex' AND breakdown_value = 'F'
                                ORDER BY period LIMIT 1""").fetchone()
        described = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'indicator_values_bi' "
                                "AND comment IS NULL").fetchone()[0]
    assert missing == 0 and differs == 0 and described == 0
    assert sample[:3] == ("Персонал со обука за родова еднаквост", "Србија", "žene") and str(sample[4]) == "2024-03-31"


def test_a_public_duckdb_changed_after_its_release_is_not_published(history, postgres, tmp_path):
    url = new_database(postgres, "publish_release")
    broken = dataclasses.replace(history, home=tmp_path)
    shutil.copy(history.public_warehouse, broken.public_warehouse)
    with duckdb.connect(str(broken.public_warehouse)) as con:  # a withheld row shown, with a large count
        con.execute("UPDATE indicator_values_public SET numerator = 30, denominator = 40, value = 75, obs_status = 'A' "
                    "WHERE rowid = (SELECT min(rowid) FROM indicator_values_public WHERE obs_status = 'D')")
    with pytest.raises(DisclosureError, match=f"not release {HISTORY_RELEASE}'s"):
        publish(broken, url)
    with engine(url).connect() as pg:
        assert not pg.execute(sa.text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
                              {"s": SCHEMA}).scalar_one()


def test_analysts_read_and_cannot_write(history, postgres):
    url = new_database(postgres, "publish_roles")
    publish(history, url)
    postgres.psql("DROP ROLE IF EXISTS alice; CREATE ROLE alice LOGIN; GRANT parity_analyst TO alice;")
    alice = sa.engine.make_url(url).set(username="alice")
    with engine(alice.render_as_string(hide_password=False)).connect() as pg:
        assert pg.execute(sa.text(f"SELECT count(*) FROM {SCHEMA}.indicator_values_public")).scalar_one() > 0
        for statement in (f"DELETE FROM {SCHEMA}.indicator_values_public",
                          f"INSERT INTO {SCHEMA}.dim_sex VALUES ('X', 'x')",
                          f"CREATE TABLE {SCHEMA}.mine (x int)"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                pg.execute(sa.text(statement))
            pg.rollback()


def test_a_small_cell_stops_the_publication(history, postgres, tmp_path):
    url = new_database(postgres, "publish_guard")
    publish(history, url)
    before = snapshot(url)
    broken = dataclasses.replace(history, home=tmp_path)
    shutil.copy(history.public_warehouse, broken.public_warehouse)
    with duckdb.connect(str(broken.public_warehouse)) as con:
        con.execute("UPDATE indicator_values_public SET numerator = 2, denominator = 40, value = 5, obs_status = 'A' "
                    "WHERE rowid = (SELECT min(rowid) FROM indicator_values_public)")
    with pytest.raises(DisclosureError, match="indicator_values_public: 1 row"):
        publish(broken, url)
    assert snapshot(url) == before


def test_the_cli_and_the_dagster_asset_publish(history, postgres, monkeypatch, capsys):
    url = new_database(postgres, "publish_cli")
    monkeypatch.setenv("PARITY_HOME", str(history.home))
    assert main(["publish", "--url", url]) == 0
    out = capsys.readouterr().out
    assert f"published release {HISTORY_RELEASE} into schema parity" in out and "parity.indicator_values_public: " in out
    assert main(["publish", "--url", url]) == 0
    assert f"published release {HISTORY_RELEASE} into schema parity" in capsys.readouterr().out
    by_cli = snapshot(url)

    url = new_database(postgres, "publish_dagster")
    result = dg.materialize([postgres_publication], resources={
        "parity": ParityResource(home=str(history.home)), "publish_target": PublishTarget(url=url)})
    assert result.success
    metadata = result.asset_materializations_for_node("publish__postgres")[0].metadata
    assert metadata["release"].value == HISTORY_RELEASE
    assert metadata["rows/indicator_values_public"].value == len(by_cli["indicator_values_public"])
    assert snapshot(url) == by_cli

    monkeypatch.delenv("PARITY_PUBLISH_URL", raising=False)
    resources = {"parity": ParityResource(home=str(history.home))}
    with dg.instance_for_test() as instance:
        assert isinstance(publish_after_refresh(dg.build_sensor_context(instance=instance, resources=resources)),
                          dg.SkipReason)
        monkeypatch.setenv("PARITY_PUBLISH_URL", url)
        assert isinstance(publish_after_refresh(dg.build_sensor_context(instance=instance, resources=resources)),
                          dg.SkipReason)
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["public", "warehouse"]))
        context = dg.build_sensor_context(instance=instance, resources=resources)
        assert isinstance(publish_after_refresh(context), dg.RunRequest)
        again = dg.build_sensor_context(instance=instance, cursor=context.cursor, resources=resources)
        assert isinstance(publish_after_refresh(again), dg.SkipReason)
