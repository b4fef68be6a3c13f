"""The same dbt project on PostgreSQL: same raw tables in, same indicator_values out."""
import sqlalchemy as sa

from conftest import new_database
from parity import portability
from parity.postgres import dbt_environment, engine, parse_url, sqlalchemy_type


def test_indicator_values_on_postgres_equal_duckdb(history, postgres, tmp_path):
    url = new_database(postgres, "portability")
    counts = portability.copy_inputs(history.warehouse, url)
    assert counts["raw.personnel"] > 1000 and counts["meta.submission_tables"] == 4 * 4 * 6

    portability.build(url, tmp_path / "target")  # dbt build: models and all their tests, on PostgreSQL
    rows, differences = portability.compare_indicator_values(history.warehouse, url)
    assert rows > 1000
    assert differences == [], "\n".join(map(str, differences[:20]))

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
    assert dbt_environment("postgresql://ana:s3cret@db.example:6543/warehouse") == {
        "PARITY_DBT_TARGET": "postgres", "PARITY_PG_HOST": "db.example", "PARITY_PG_PORT": "6543",
        "PARITY_PG_USER": "ana", "PARITY_PG_PASSWORD": "s3cret", "PARITY_PG_DATABASE": "warehouse"}
    # libpq's socket directory spelling
    assert dbt_environment("postgresql://postgres:@/parity?host=/tmp/pg")["PARITY_PG_HOST"] == "/tmp/pg"
    assert parse_url("postgresql+psycopg://x@h/d").drivername == "postgresql+psycopg2"


def test_every_warehouse_type_has_a_postgres_type():
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    assert {t: sqlalchemy_type(t).compile(dialect=dialect) for t in
            ("VARCHAR", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP WITH TIME ZONE", "DECIMAL(18,3)", "BOOLEAN")} == {
        "VARCHAR": "TEXT", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE PRECISION", "DATE": "DATE",
        "TIMESTAMP WITH TIME ZONE": "TIMESTAMP WITH TIME ZONE", "DECIMAL(18,3)": "NUMERIC(18, 3)",
        "BOOLEAN": "BOOLEAN"}
