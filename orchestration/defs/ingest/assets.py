"""raw.<table> assets: each (quarter, country) partition loads the new files of that submission."""
import dagster as dg

from orchestration.partitions import country_and_period, submission_partitions
from orchestration.resources import ParityResource
from parity.ingest import TableOutcome, inbox_files, ingest_files
from sources.tables import TABLES

# DuckDB allows one writer process: every step that writes the warehouse takes this pool,
# whose limit is 1 (dagster.yaml, written by orchestration/instance.py).
DUCKDB_POOL = "duckdb_warehouse"

RAW_SPECS = [
    dg.AssetSpec(
        ["raw", table], group_name="raw", kinds={"duckdb"}, skippable=True,
        description=f"Accepted `{table}` tables of the MoDs' deliveries, pseudonymised, one partition per "
                    f"(quarter, country). Only a new or changed table materialises its partition.",
    )
    for table in TABLES
]


def _metadata(outcome: TableOutcome) -> dict:
    return {
        "file": outcome.file, "sheet": outcome.sheet or "", "version": outcome.version,
        "rows": outcome.rows, "warnings": dg.MetadataValue.md(
            "\n".join(f"- {p.message()}" for p in outcome.warnings) or "none"),
    }


@dg.multi_asset(specs=RAW_SPECS, partitions_def=submission_partitions, pool=DUCKDB_POOL, name="raw_tables")
def raw_tables(context: dg.AssetExecutionContext, parity: ParityResource):
    """Archive, read, check, pseudonymise and load the partition's new files.

    A rejected table does not touch what was accepted before; the step then fails with the
    problems, after the accepted tables of the same submission have been materialised."""
    country, period = country_and_period(context.partition_key)
    settings = parity.settings()
    outcomes = ingest_files(settings, country, inbox_files(settings, country, period))
    received = sorted({o.file for o in outcomes})
    context.log.info(f"{country} {period}: {len(received)} new file(s): {', '.join(received) or '-'}")
    for outcome in outcomes:
        context.log.info(outcome.summary())
        if outcome.status == "accepted":
            yield dg.MaterializeResult(asset_key=["raw", outcome.table], metadata=_metadata(outcome))
    rejected = [o for o in outcomes if o.status == "rejected"]
    if rejected:
        text = "\n\n".join(f"{o.summary()}\n" + "\n".join(p.message() for p in o.errors[:10]) for o in rejected)
        raise dg.Failure(description=f"{len(rejected)} table(s) rejected; accepted data kept as it was.\n\n{text}",
                         metadata={"rejected": [o.summary() for o in rejected]})
