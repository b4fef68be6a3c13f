"""When the operations jobs run: a backup every night, the retention purge every morning after it
(a file purged after the night's backup leaves that backup too: the purge prunes the backups)."""
import dagster as dg

from orchestration.defs.operations.jobs import BACKUP_JOB, RETENTION_JOB

TIMEZONE = "Europe/Belgrade"

nightly_backup = dg.ScheduleDefinition(
    name="nightly_backup", job_name=BACKUP_JOB, cron_schedule="30 2 * * *", execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:30 every night: the `backup` job (PARITY_BACKUP_DIR, the newest PARITY_BACKUP_KEEP kept).")
daily_retention = dg.ScheduleDefinition(
    name="daily_retention", job_name=RETENTION_JOB, cron_schedule="30 3 * * *", execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="03:30 every day: the `retention` job, which deletes the archived files (and their copies in the "
                "backups) whose retention ended.")
