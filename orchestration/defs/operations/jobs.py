"""Jobs that keep parity running for years: `backup` (a consistent copy of the home into
PARITY_BACKUP_DIR, keeping the newest PARITY_BACKUP_KEEP) and `retention` (the archived files whose
retention ended deleted, in the archive and the backups). Both wait for the writers' locks
themselves; they write the warehouse only through its lock, so they take the DuckDB pool like every
writer."""
import dagster as dg

from orchestration.pools import DUCKDB_POOL, tag_this_process
from orchestration.resources import ParityResource
from parity.backup import backup, prune, scheduled_name
from parity.retention import purge

BACKUP_JOB, RETENTION_JOB = "backup", "retention"


@dg.op(pool=DUCKDB_POOL)
def back_up_home(context: dg.OpExecutionContext, parity: ParityResource) -> None:
    tag_this_process(context)
    settings = parity.settings()
    folder = settings.backup_dir / scheduled_name(settings.clock.now())
    manifest = backup(settings, folder, say=context.log.info)
    old = prune(settings.backup_dir, settings.backup_keep)
    context.log.info(f"backed up {len(manifest.files)} files into {folder}; removed the older backups "
                     f"{', '.join(p.name for p in old) or '(none)'} (keeping {settings.backup_keep})")


@dg.op(pool=DUCKDB_POOL)
def purge_expired_files(context: dg.OpExecutionContext, parity: ParityResource) -> None:
    tag_this_process(context)
    result = purge(parity.settings())
    for expired in result.purged:
        context.log.info(f"purged {expired.archive_path}: {expired.why}")
    for folder, count in result.backups.items():
        context.log.info(f"removed {count} purged file(s) from the backup {folder}")
    following = f"the next expires {result.next_at:%Y-%m-%d}" if result.next_at else "none expires later"
    context.log.info(f"purged {len(result.purged)} archived file(s), kept {result.kept}; {following}")


@dg.job(name=BACKUP_JOB, description="Back up the home (warehouse, archive, reports, Dagster's instance, configuration; "
                                     "not the key) into PARITY_BACKUP_DIR with a checksum manifest; keep the newest "
                                     "PARITY_BACKUP_KEEP.")
def backup_job():
    back_up_home()


@dg.job(name=RETENTION_JOB, description="Delete the archived files whose retention ended (config/parity.toml: "
                                        "keep_replaced_days, keep_closed_days), and their copies in the backups; "
                                        "meta.purged_files records each.")
def retention_job():
    purge_expired_files()
