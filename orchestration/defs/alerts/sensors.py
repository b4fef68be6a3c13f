"""When alerts go out: a sensor retries the outbox while messages wait, a daily schedule watches the
deadlines, and a failed run brings its link to the data engineers."""
import time

import dagster as dg

from orchestration.defs.alerts.jobs import DEADLINES_JOB, SEND_ALERTS_JOB, send_alerts_job
from orchestration.defs.ingest.sensors import INGEST_JOB
from orchestration.resources import ParityResource
from parity import warehouse
from parity.alerts.outbox import pending_count
from parity.lock import WarehouseBusy

RETRY_SECONDS = 300
DEADLINE_CRON = "0 8 * * *"  # every morning; each notice is queued once, so the time only sets when
DEADLINE_TIMEZONE = "Europe/Belgrade"


def pending_alerts(settings) -> int | None:
    """Messages waiting in the outbox; None when the warehouse is busy (a run writes it, and sends
    the outbox itself when it ends) or does not exist yet."""
    if not settings.warehouse.exists():
        return None
    try:
        with warehouse.connect(settings.warehouse, read_only=True, wait=0) as con:
            if not warehouse.has_meta_table(con, "alerts"):
                return None
            return pending_count(con)
    except WarehouseBusy:
        return None


@dg.sensor(job_name=SEND_ALERTS_JOB, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="While messages wait in the outbox (meta.alerts), a `send_alerts` run every 5 minutes: an SMTP "
                       "server that was down or refused gets them later; each message is sent once.")
def alert_outbox(context: dg.SensorEvaluationContext, parity: ParityResource):
    """Retry the outbox every RETRY_SECONDS while messages wait (an SMTP server that was down)."""
    pending = pending_alerts(parity.settings())
    if not pending:
        return dg.SkipReason("no message waiting" if pending == 0 else "warehouse busy or not created yet")
    slot = int(time.time() // RETRY_SECONDS)
    return dg.RunRequest(run_key=f"outbox:{slot}", tags={"parity/trigger": "outbox"})


@dg.schedule(job_name=DEADLINES_JOB, cron_schedule=DEADLINE_CRON, execution_timezone=DEADLINE_TIMEZONE,
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="08:00 every day: the `deadlines` job records each country x quarter's timeliness and "
                         "queues one digest of reminders and overdue notices per focal point.")
def deadline_watch(context: dg.ScheduleEvaluationContext):
    return dg.RunRequest(run_key=f"deadlines:{context.scheduled_execution_time:%Y-%m-%d}")


def _is_rejection(context: dg.RunFailureSensorContext) -> bool:
    """An ingest run stopped only by a blocking quality check: a data problem, the focal point was told."""
    steps = context.get_step_failure_events()
    return context.dagster_run.job_name == INGEST_JOB and bool(steps) and all(
        e.step_failure_data.error is not None and e.step_failure_data.error.cls_name == "DagsterAssetCheckFailedError"
        for e in steps)


@dg.run_failure_sensor(request_job=send_alerts_job, default_status=dg.DefaultSensorStatus.RUNNING,
                       monitor_all_code_locations=False,
                       description="A failed run (other than a rejected delivery, which goes to its focal point) "
                                   "e-mails the data engineers its job, partition, error and link.")
def engineers_on_failure(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    if run.job_name == SEND_ALERTS_JOB:  # the alerting itself failed: the log is all we have
        context.log.error(f"send_alerts run {run.run_id} failed; alerts stay queued in meta.alerts")
        return dg.SkipReason("the failed run was the alert sender itself")
    if _is_rejection(context):
        return dg.SkipReason("rejected delivery: its focal point was alerted")
    errors = [e.step_failure_data.error.to_string() for e in context.get_step_failure_events()
              if e.step_failure_data.error is not None]
    error = "\n".join(errors) or (context.failure_event.message or "")
    config = {"run_id": run.run_id, "job": run.job_name, "partition": run.tags.get("dagster/partition", ""),
              "error": error[-4000:]}
    return dg.RunRequest(run_key=f"run_failure:{run.run_id}",
                         run_config={"ops": {"send_queued_alerts": {"config": config}}})
