"""raw.<table> assets: each (quarter, country) partition loads the new files of that submission.

Each table has a blocking asset check, `quality`: the gate's verdict (the table's Great
Expectations suite and the cross-quarter checks). A rejected table fails its check with ERROR
severity, which fails the step: the run shows which table was stopped and why. Warnings pass
with WARN severity. The focal point hears about it from the outbox, not from the run.
"""
import collections

import dagster as dg

from orchestration.partitions import country_and_period, submission_partitions
from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity.ingest import TableOutcome, inbox_deliveries, inbox_files, ingest_files
from sources.tables import TABLES

QUALITY_CHECK = "quality"
# The partition `parity load` runs next in the same process, as a run tag: this run reads its files ahead
# (parity.ingest.ingest_files). Runs the daemon launches, each a process of its own, have none.
READ_AHEAD_TAG = "parity/read-ahead"

RAW_SPECS = [
    dg.AssetSpec(
        ["raw", table], group_name="raw", kinds={"duckdb"}, skippable=True,
        description=f"Accepted `{table}` tables of the MoDs' deliveries, pseudonymised, one partition per "
                    f"(quarter, country). Only a new or changed table materialises its partition.",
    )
    for table in TABLES
]
# The submission registry that dbt reads beside the raw tables (models/staging/_sources.yml), written by
# the same ingest runs in the same transaction: external assets here, so that the asset graph knows them.
REGISTRY_SPECS = [
    dg.AssetSpec(["meta", name], group_name="raw", kinds={"duckdb"}, description=description)
    for name, description in (
        ("received_files", "Every received file, archived under its content hash (parity's registry)."),
        ("submission_tables", "Every table of every received file: accepted, unchanged or rejected, with its version."),
        ("current_tables", "A view of submission_tables: the version accepted now of each table of each submission."),
    )
]
QUALITY_SPECS = [
    dg.AssetCheckSpec(QUALITY_CHECK, asset=["raw", table], blocking=True,
                      description=f"The quality gate of `{table}`: expectations/{table}.json (errors reject the "
                                  f"table) and the cross-quarter checks (warnings).")
    for table in TABLES
]


def _metadata(outcome: TableOutcome) -> dict:
    return {
        "file": outcome.file, "sheet": outcome.sheet or "", "version": outcome.version,
        "rows": outcome.rows, "warnings": dg.MetadataValue.md(
            "\n".join(f"- {p.message()}" for p in outcome.warnings) or "none"),
    }


def check_result(table: str, outcomes: list[TableOutcome]) -> dg.AssetCheckResult:
    """The check of one raw table in this run, from the gate's outcomes (no values, only rules and
    counts: problem messages point at rows and never hold a registration number)."""
    key = dg.AssetKey(["raw", table])
    if not outcomes:
        return dg.AssetCheckResult(asset_key=key, check_name=QUALITY_CHECK, passed=True,
                                   metadata={"delivered": False},
                                   description="No new version of this table in this run.")
    errors = [p for o in outcomes for p in o.errors]
    warnings = [p for o in outcomes for p in o.warnings]
    failed = collections.Counter(f"{c.suite}.{c.rule}" + (f"({c.column})" if c.column else "")
                                 for o in outcomes for c in o.checks if not c.success)
    metadata = {
        "delivered": True, "files": ", ".join(sorted({o.file for o in outcomes})),
        "status": ", ".join(o.status for o in outcomes), "errors": len(errors), "warnings": len(warnings),
        "expectations_evaluated": sum(len(o.checks) for o in outcomes),
        "failed_expectations": dg.MetadataValue.json(dict(failed)),
        "skipped": dg.MetadataValue.json([s.render("en") for s in sorted({s for o in outcomes for s in o.skipped})]),
        "problems": dg.MetadataValue.md("\n".join(f"- {p.message()}" for p in (errors + warnings)[:50]) or "none"),
    }
    severity = dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(asset_key=key, check_name=QUALITY_CHECK, passed=not errors and not warnings,
                               severity=severity, metadata=metadata)


@dg.multi_asset(specs=RAW_SPECS, check_specs=QUALITY_SPECS, partitions_def=submission_partitions,
                pool=DUCKDB_POOL, name="raw_tables")
def raw_tables(context: dg.AssetExecutionContext, parity: ParityResource):
    """Archive, read, check, pseudonymise and load the partition's new files.

    A rejected table does not touch what was accepted before; its blocking check fails after the
    accepted tables of the same submission have been materialised."""
    tag_this_process(context)
    country, period = country_and_period(context.partition_key)
    settings = parity.settings()
    coming = context.run.tags.get(READ_AHEAD_TAG)
    read_ahead = None
    if coming:
        next_country, next_period = country_and_period(coming)
        read_ahead = (next_country, [name.path for name in inbox_deliveries(settings, next_country)[0]
                                     if name.period == next_period])  # its own run says what it does not take
    outcomes = ingest_files(settings, country, inbox_files(settings, country, period), read_ahead=read_ahead)
    received = sorted({o.file for o in outcomes})
    context.log.info(f"{country} {period}: {len(received)} new file(s): {', '.join(received) or '-'}")
    by_table = collections.defaultdict(list)
    for outcome in outcomes:
        context.log.info(outcome.summary())
        tables = TABLES if outcome.table == "*" else [outcome.table]  # a file rejected whole
        for table in tables:
            by_table[table].append(outcome)
        if outcome.status == "accepted":
            yield dg.MaterializeResult(asset_key=["raw", outcome.table], metadata=_metadata(outcome))
    for table in TABLES:
        yield check_result(table, by_table[table])
