"""The analysts' side: $PARITY_HOME/public.duckdb, rebuilt from the restricted warehouse after each dbt
build and swapped in atomically.

What goes there is what the dbt project tags `public` (the disclosure-controlled indicator twin, the
dimensions, aggregates built from them), the releases with the history of every published value
(parity/releases.py), and the flat table for dashboards with names in five languages (parity/bi.py):
never a person-level row, never a true count behind a withheld one. The new file is written beside the
old one and renamed over it, so an analyst's open session keeps reading the previous file until it
reconnects, never blocks a load, and never sees a half-written one.
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from parity import bi, warehouse
from parity.config import DBT_PROJECT_DIR, Settings
from parity.faults import fault_point
from parity.releases import PUBLIC_HISTORY, RESTRICTED, REVISIONS

PUBLIC_TAG = "public"


@dataclass(frozen=True)
class PublicRelation:
    schema: str
    name: str
    description: str
    columns: dict[str, str]  # column name -> description


def public_relations(manifest_path: Path = DBT_PROJECT_DIR / "target" / "manifest.json") -> list[PublicRelation]:
    """The models tagged `public`, from dbt's manifest (the one place that says what may leave)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    relations = []
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and PUBLIC_TAG in node["tags"]:
            relations.append(PublicRelation(
                node["schema"], node["alias"] or node["name"], node["description"].strip(),
                {name: c["description"].strip() for name, c in node["columns"].items()}))
    return sorted(relations, key=lambda r: r.name)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _flat_table(con) -> int:
    """indicator_values_bi, from the twin just copied and the catalogue's names (parity/bi.py)."""
    con.register("bi_labels", bi.labels())
    con.execute(f"CREATE TABLE main.{bi.TABLE} AS {bi.query()}")
    con.unregister("bi_labels")
    con.execute(f"COMMENT ON TABLE main.{bi.TABLE} IS {_literal(bi.DESCRIPTION)}")
    for column, text in bi.column_descriptions().items():
        con.execute(f'COMMENT ON COLUMN main.{bi.TABLE}."{column}" IS {_literal(text)}')
    return con.execute(f"SELECT count(*) FROM main.{bi.TABLE}").fetchone()[0]


def export_public(settings: Settings, relations: list[PublicRelation]) -> dict[str, int]:
    """Write public.duckdb from the warehouse and swap it in. Returns the row count of each table.
    The caller holds the warehouse lock: no other export runs, so any staging file left beside the
    target is a killed export's, and goes."""
    target = settings.public_warehouse
    for leftover in target.parent.glob(f".{target.name}.*.tmp*"):
        leftover.unlink()
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    counts = {}
    try:
        con = duckdb.connect(str(staging))
        try:
            # attached under its own name: dbt's views there name their tables with it
            con.execute(f"ATTACH {_literal(str(settings.warehouse))} AS {RESTRICTED} (READ_ONLY)")
            marts = con.execute(f"SELECT submission_table_id FROM {RESTRICTED}.meta.builds WHERE layer = 'marts'"
                                ).fetchone()
            for r in relations:
                con.execute(f'CREATE TABLE main."{r.name}" AS SELECT * FROM {RESTRICTED}."{r.schema}"."{r.name}"')
                # the dbt descriptions travel with the tables: duckdb_tables() and duckdb_columns() show them
                con.execute(f'COMMENT ON TABLE main."{r.name}" IS {_literal(r.description)}')
                present = {c for (c,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                    "AND table_name = ?", [r.name]).fetchall()}
                for column, text in r.columns.items():
                    if column in present and text:
                        con.execute(f'COMMENT ON COLUMN main."{r.name}"."{column}" IS {_literal(text)}')
                counts[r.name] = con.execute(f'SELECT count(*) FROM main."{r.name}"').fetchone()[0]
            for name, (query, description) in [*PUBLIC_HISTORY.items(), ("revisions", REVISIONS)]:
                con.execute(f'CREATE TABLE main."{name}" AS {query}')
                con.execute(f'COMMENT ON TABLE main."{name}" IS {_literal(description)}')
                counts[name] = con.execute(f'SELECT count(*) FROM main."{name}"').fetchone()[0]
            if any(r.name == "indicator_values_public" for r in relations):
                counts[bi.TABLE] = _flat_table(con)
            con.execute(f"DETACH {RESTRICTED}")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        staging.chmod(0o644)  # the one file of $PARITY_HOME that anyone on the machine may read
        fault_point("swap")
        os.replace(staging, target)  # atomic on one file system: readers see the old file or the new one
    finally:
        staging.unlink(missing_ok=True)
        staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    with warehouse.connect(settings.warehouse, wait=settings.busy_wait) as con:
        warehouse.record_build(con, "public", marts[0] if marts else 0)
    return counts
