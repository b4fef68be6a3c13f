"""publication/suppression: which rows of the indicators may be shown, decided and audited before
anything is published.

It runs after dbt's build (it reads indicator_values, the truth) and before public.duckdb is written.
It writes meta.suppression, which the dbt views indicator_values_public and un_parity_gap apply when
read. Its blocking check is the disclosure audit: when a confidential count could be computed, or
narrowed below the protection rule, from what would be published with every earlier release, the
check fails, nothing downstream runs (no public.duckdb, no report, no PostgreSQL), the decision is not
written, and the failure names the rows.
"""
import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.defs.dbt.assets import warehouse_models
from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity import warehouse
from parity.suppression.step import suppress

SUPPRESSION_KEY = dg.AssetKey(["publication", "suppression"])
# The table it writes, as dbt's source meta.suppression sees it: read by the public views when they are
# read (after this asset), not when dbt builds them; an edge to this asset would be a cycle through dbt.
DECISION_SPEC = dg.AssetSpec(["meta", "suppression"], group_name="publication", kinds={"duckdb"},
                             description="The decision of publication/suppression (written by it once its audit "
                                         "passed), applied by the views indicator_values_public and un_parity_gap.")
AUDIT_CHECK = "disclosure_audit"
SHOWN_EXPOSURES = 20  # in the check's metadata; the count says how many there are


@dg.asset(
    key=SUPPRESSION_KEY,
    deps=[get_asset_key_for_model([warehouse_models], name) for name in ("indicator_values", "dim_rank")],
    group_name="publication",
    pool=DUCKDB_POOL,
    output_required=False,  # a failed audit writes no decision: nothing materialised
    check_specs=[dg.AssetCheckSpec(
        AUDIT_CHECK, asset=SUPPRESSION_KEY, blocking=True,
        description="Linear programming over everything published (every release) and the relations between "
                    "rows: no confidential count computable or narrowed below the protection rule.")],
    description="meta.suppression: each indicator row shown (A), confidential (C) or withheld to protect a "
                "confidential row (D) in the next release; written only when its disclosure audit passed.",
)
def suppression(context: dg.AssetExecutionContext, parity: ParityResource):
    tag_this_process(context)
    settings = parity.settings()
    with warehouse.writing(settings, "secondary suppression") as con:
        outcome = suppress(settings, con)
    table = outcome.by_indicator
    context.log.info(f"{int(table['C'].sum())} confidential rows, {int(table['D'].sum())} withheld to protect "
                     f"them, of {int(table['rows'].sum())}; audit {'passed' if outcome.passed else 'FAILED'} "
                     f"in {outcome.seconds:.1f} s")
    if outcome.passed:
        yield dg.MaterializeResult(metadata={
            "rows": int(table["rows"].sum()), "confidential": int(table["C"].sum()),
            "secondary": int(table["D"].sum()),
            "secondary_share": float(table["D"].sum() / max(int(table["rows"].sum()), 1)),
            "by_indicator": dg.MetadataValue.json(table.round(4).to_dict(orient="records")),
            "seconds": outcome.seconds,
        })
    exposures = "\n".join(f"- {e.describe()}" for e in outcome.exposed[:SHOWN_EXPOSURES])
    summary = (f"disclosure audit failed: {len(outcome.exposed)} confidential count(s) could be worked out from what "
               "would be published; nothing was published and the decision was not kept")
    yield dg.AssetCheckResult(
        asset_key=SUPPRESSION_KEY, check_name=AUDIT_CHECK, passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR, description=None if outcome.passed else summary,
        metadata={"confidential_rows": outcome.confidential, "exposed": len(outcome.exposed),
                  "fingerprint": outcome.fingerprint, "exposures": dg.MetadataValue.md(exposures or "none")})
    if not outcome.passed:
        # the failed blocking check alone would stop the run as a data rejection does (the focal point's
        # business); this is the engineers': the failure names the rows, and reaches them by e-mail
        raise dg.Failure(description=f"{summary}. The rows:\n{exposures}")
