"""The quarterly reports as assets, one partition per (area, quarter): every country and region."""
import dagster as dg

from orchestration.defs.public.assets import public_warehouse
from orchestration.partitions import QUARTER, QUARTER_KEYS
from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity.regions import areas
from parity.reports.build import build_report

AREA = "area"
REPORTS_JOB = "reports"
REPORT_ASSET = dg.AssetKey(["reports", "quarterly"])
report_partitions = dg.MultiPartitionsDefinition({
    AREA: dg.StaticPartitionsDefinition(list(areas())),
    QUARTER: dg.StaticPartitionsDefinition(QUARTER_KEYS),
})


def report_partition_key(area: str, period: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({AREA: area, QUARTER: period})


@dg.asset(
    key=REPORT_ASSET,
    deps=[public_warehouse],
    partitions_def=report_partitions,
    group_name="reports",
    pool=DUCKDB_POOL,
    description="The quarterly report of a country (in its language and English) or of the region (WB4, in all "
                "five languages): self-contained HTML and PDF with its tables as CSV and XLSX under "
                "$PARITY_HOME/reports/<quarter>/, from disclosure-controlled values only. Rebuilt by the "
                "`reports_when_changed` sensor.",
)
def quarterly_reports(context: dg.AssetExecutionContext, parity: ParityResource) -> dg.MaterializeResult:
    tag_this_process(context)
    keys = context.partition_key.keys_by_dimension
    built = build_report(settings := parity.settings(), settings.config(), keys[AREA], keys[QUARTER])
    for report in built:
        context.log.info(f"wrote {report.html}, {report.pdf}, {report.csv} and {report.xlsx}")
    return dg.MaterializeResult(
        data_version=dg.DataVersion(built[0].fingerprint[:16]),
        metadata={**{f"html_{r.lang}": dg.MetadataValue.path(str(r.html)) for r in built},
                  **{f"pdf_{r.lang}": dg.MetadataValue.path(str(r.pdf)) for r in built},
                  "fingerprint": built[0].fingerprint})


reports_job = dg.define_asset_job(REPORTS_JOB, selection=dg.AssetSelection.assets(quarterly_reports),
                                  partitions_def=report_partitions,
                                  description="Build the quarterly report of one (area, quarter).")
