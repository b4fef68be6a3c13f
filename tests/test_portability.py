"""The same dbt project on PostgreSQL: same raw tables in, same indicator_values out."""
import sqlalchemy as sa

from parity import portability
from parity.dbt import PASSWORD_VARIABLE, postgres_output
from parity.postgres import engine, parse_url, sqlalchemy_type

from conftest import new_database


def test_indicator_values_on_postgres_equal_duckdb(history, postgres, tmp_path):
    url = new_database(postgres, "portability")
    counts = portability.copy_inputs(history.warehouse, url)
    assert counts["raw.personnel"] > 1000 and counts["meta.submission_tables"] == 4 * 4 * 6

    portability.build(url, tmp_path / "target")  # dbt build: models and all their tests, on PostgreSQL
    rows, differences = portability.compare_indicator_values(history.warehouse, url)
    assert rows > 1000
    assert differences == [], "\n".join(map(str, differences[:20]))

    # the partitioned models' incremental path on PostgreSQL: a forgotten partition is rebuilt alone
    with engine(url).begin() as pg:
        pg.execute(sa.text("DELETE FROM intermediate.partition_builds WHERE country_code = 'SRB' AND period = '2024Q3'"))
        before = dict(pg.execute(sa.text("SELECT model_name || country_code || period, built_at "
                                         "FROM intermediate.partition_builds")).fetchall())
    portability.build(url, tmp_path / "target", full_refresh=False)
    with engine(url).connect() as pg:
        after = dict(pg.execute(sa.text("SELECT model_name || country_code || period, built_at "
                                        "FROM intermediate.partition_builds")).fetchall())
    rebuilt = {key for key in after if before.get(key) != after[key]}
    assert rebuilt and {key[-9:] for key in rebuilt} <= {"SRB2024Q3", "WB42024Q3"}
    assert {key for key in before if before[key] != after.get(key)} == set()
    assert portability.compare_indicator_values(history.warehouse, url)[1] == []

    with engine(url).connect() as pg:
        value_type = pg.execute(sa.text(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND table_name = 'indicator_values' AND column_name = 'value'")).scalar_one()
        assert value_type == "double precision"
        # integer division would floor a share to a whole number
        assert pg.execute(sa.text("SELECT count(*) FROM marts.indicator_values "
                                  "WHERE unit = 'percent' AND value <> floor(value)")).scalar_one() > 100

    # the comparison sees a changed value, a missing row and an extra one
    with engine(url).begin() as pg:
        pg.execute(sa.text("UPDATE marts.indicator_values SET value = value * 1.001 WHERE indicator_code = "
                           "'WSHARE_UNIFORMED' AND country_code = 'BIH' AND period = '2024Q2' AND breakdown = 'total'"))
        pg.execute(sa.text("DELETE FROM marts.indicator_values WHERE indicator_code = 'WSHARE_OFFICERS' "
                           "AND country_code = 'MKD' AND period = '2024Q1'"))
        pg.execute(sa.text("INSERT INTO marts.indicator_values (indicator_code, country_code, period, breakdown, "
                           "breakdown_value, unit, obs_status) VALUES ('X', 'BIH', '2024Q1', 'total', 'total', "
                           "'count', 'A')"))
    _, differences = portability.compare_indicator_values(history.warehouse, url)
    assert sorted((d.key[0], d.column) for d in differences) == [
        ("WSHARE_OFFICERS", "row"), ("WSHARE_UNIFORMED", "value"), ("X", "row")]


def test_one_url_gives_the_postgres_target_its_settings():
    output, secrets = postgres_output("postgresql://ana:s3cret@db.example:6543/warehouse")
    assert {k: output[k] for k in ("type", "host", "port", "user", "dbname")} == {
        "type": "postgres", "host": "db.example", "port": 6543, "user": "ana", "dbname": "warehouse"}
    # the password reaches dbt as a secret variable, which dbt keeps out of its logs, not in the profile
    assert "s3cret" not in str(output) and secrets == {PASSWORD_VARIABLE: "s3cret"}
    assert PASSWORD_VARIABLE.startswith("DBT_ENV_SECRET_")
    # libpq's socket directory spelling
    assert postgres_output("postgresql://postgres:@/parity?host=/tmp/pg")[0]["host"] == "/tmp/pg"
    assert parse_url("postgresql+psycopg://x@h/d").drivername == "postgresql+psycopg2"


def test_every_warehouse_type_has_a_postgres_type():
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    assert {t: sqlalchemy_type(t).compile(dialect=dialect) for t in
            ("VARCHAR", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP WITH TIME ZONE", "DECIMAL(18,3)", "BOOLEAN")} == {
        "VARCHAR": "TEXT", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE PRECISION", "DATE": "DATE",
        "TIMESTAMP WITH TIME ZONE": "TIMESTAMP WITH TIME ZONE", "DECIMAL(18,3)": "NUMERIC(18, 3)",
        "BOOLEAN": "BOOLEAN"}
