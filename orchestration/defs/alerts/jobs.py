"""The outbox's jobs: `send_alerts` sends what is queued (and, given a failed run, first queues the
engineers' message about it) through its op `send_queued_alerts` (an op may not share its job's name:
the code location would not load in the UI); `deadlines` materialises the timeliness overview and the deadline notices
(orchestration/defs/alerts/assets.py). Both write the warehouse, so they take the DuckDB pool like every writer."""

import dagster as dg

from orchestration.defs.alerts.assets import deadline_notices, timeliness
from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity import warehouse
from parity.alerts.compose import run_failure_message
from parity.alerts.outbox import Recipient, enqueue, flush

SEND_ALERTS_JOB = "send_alerts"
DEADLINES_JOB = "deadlines"


class FailedRun(dg.Config):
    """A failed run to tell the data engineers about (empty: only send what is queued)."""
    run_id: str = ""
    job: str = ""
    partition: str = ""
    error: str = ""


@dg.op(pool=DUCKDB_POOL)
def send_queued_alerts(context: dg.OpExecutionContext, config: FailedRun, parity: ParityResource) -> None:
    tag_this_process(context)
    settings = parity.settings()
    if config.run_id:
        settings_config = settings.config()
        with warehouse.writing(settings, "queue a run failure") as con:
            warehouse.ensure_schema(con)
            enqueue(con, dedup_key=f"run_failure:{config.run_id}", kind="run_failure",
                    recipient=Recipient(settings_config.engineers_name, settings_config.engineers_email, "en"),
                    message=run_failure_message(config.job, config.run_id, settings.dagster_url or None, config.error,
                                                config.partition or None),
                    now=settings.clock.now())
    result = flush(settings)
    context.log.info(f"alerts sent: {result.sent}, still pending: {result.pending}"
                     + (f" ({result.error})" if result.error else ""))


@dg.job(name=SEND_ALERTS_JOB, description="Send the queued alerts (focal points, engineers); retried until delivered.")
def send_alerts_job():
    send_queued_alerts()


deadlines_job = dg.define_asset_job(
    DEADLINES_JOB, selection=dg.AssetSelection.assets(timeliness, deadline_notices),
    description="Record each country x quarter's timeliness (the `meta/timeliness` overview and its checks); remind "
                "focal points before the due date and notify them after it, in one digest each.")
