"""The quarterly schedule: after each quarter's due date, run every country's partition of the
quarter that ended, so that a delivery the sensor did not see (daemon down, file copied in with an
old modification time) is still loaded. A run with nothing new changes nothing."""
import datetime as dt

import dagster as dg

from orchestration.defs.ingest.sensors import INGEST_JOB
from orchestration.partitions import partition_key
from sources.dialect import DIALECTS
from sources.period import Period

# 06:00 on the 1st of the second month after each quarter: just after the 30-day due date.
QUARTERLY_CRON = "0 6 1 2,5,8,11 *"
TIMEZONE = "Europe/Belgrade"


def quarter_to_chase(scheduled: dt.datetime) -> Period:
    return Period.of_date(scheduled.date()).previous()


@dg.schedule(job_name=INGEST_JOB, cron_schedule=QUARTERLY_CRON, execution_timezone=TIMEZONE,
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="06:00 on the 1st of Feb, May, Aug and Nov (just after the due date): an `ingest` run for "
                         "every country's partition of the quarter that ended, for files the sensor did not see.")
def quarterly_chase(context: dg.ScheduleEvaluationContext):
    period = str(quarter_to_chase(context.scheduled_execution_time))
    for country in sorted(DIALECTS):
        yield dg.RunRequest(run_key=f"chase|{country}|{period}", partition_key=partition_key(country, period),
                            tags={"parity/country": country, "parity/period": period, "parity/trigger": "schedule"})
