"""The outbox: every alert is a row of meta.alerts before it is sent, so a message is never lost
when the SMTP server is down, is queued once per dedup key, and the table is the log of who was
told what, when, and whether it arrived.

Delivery is at least once, which is what SMTP can promise: a message is marked sent only when the
server has acknowledged it, so a server that accepts a message but answers after our timeout (or a
process killed between the two) gets it again on the next attempt. Every attempt sends the same
bytes, with the same Message-ID, so mail clients and servers that deduplicate show it once. The
timeout (PARITY_SMTP_TIMEOUT, 120 s by default) is long enough for a slow server to acknowledge:
RFC 5321 lets a server take up to ten minutes after the data, most answer in seconds.

SMTP settings (parity.config.SmtpSettings, read with the others) come from the environment:
PARITY_SMTP_HOST (unset: nothing is sent, messages wait),
PARITY_SMTP_PORT (25), PARITY_SMTP_STARTTLS (1 to upgrade the connection), PARITY_SMTP_USER and
PARITY_SMTP_PASSWORD (login, only over STARTTLS unless PARITY_SMTP_ALLOW_PLAIN_LOGIN=1),
PARITY_SMTP_FROM (the sender), PARITY_SMTP_TIMEOUT (seconds, 120).
"""
import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage

from parity import warehouse
from parity.config import Settings, SmtpSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    language: str


def enqueue(con, *, dedup_key: str, kind: str, recipient: Recipient, message: EmailMessage, now: dt.datetime,
            country: str | None = None, period: str | None = None, delivery_id: int | None = None) -> bool:
    """Put a message in the outbox; False if a message with this key was queued before."""
    if con.execute("SELECT count(*) FROM meta.alerts WHERE dedup_key = ?", [dedup_key]).fetchone()[0]:
        return False
    # a display name with a comma ("Focal point, MoD Serbia") must be quoted: the registry's Address does it
    username, _, domain = recipient.email.rpartition("@")
    message["To"] = Address(display_name=recipient.name, username=username, domain=domain)
    con.execute(
        """INSERT INTO meta.alerts (dedup_key, kind, country_code, period, delivery_id, recipient_name,
               recipient_email, language, subject, created_at, status, message)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)""",
        [dedup_key, kind, country, period, delivery_id, recipient.name, recipient.email, recipient.language,
         str(message["Subject"]), now, message.as_string()])
    return True


@dataclass
class FlushResult:
    sent: int = 0
    pending: int = 0
    error: str | None = None


def flush(settings: Settings, now: dt.datetime | None = None) -> FlushResult:
    """Send every pending message over one SMTP session (settings.smtp). A server that cannot be
    reached leaves them pending, with the attempt and its error logged; the next flush tries again."""
    if not settings.warehouse.exists():
        return FlushResult()
    with warehouse.writing(settings, "outbox") as con:
        warehouse.ensure_schema(con)
        return flush_with(con, settings, now)


def flush_with(con, settings: Settings, now: dt.datetime | None = None) -> FlushResult:
    """flush() on a writer's connection the caller holds (outside any transaction of its own)."""
    smtp = settings.smtp
    pending = con.execute("""SELECT alert_id, recipient_email, message FROM meta.alerts
                             WHERE status = 'pending' ORDER BY alert_id""").fetchall()
    result = FlushResult(pending=len(pending))
    if not pending:
        return result
    if smtp.host is None:
        result.error = "no SMTP server configured (PARITY_SMTP_HOST)"
        return result
    now = now or settings.clock.now()
    try:
        session = _open(smtp)
    except (OSError, smtplib.SMTPException) as e:
        result.error = f"SMTP {smtp.host}:{smtp.port}: {e}"
        con.execute("""UPDATE meta.alerts SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?
                       WHERE status = 'pending'""", [now, result.error])
        log.warning("alerts kept for a later attempt: %s", result.error)
        return result
    with session:
        for alert_id, recipient, message in pending:
            try:
                session.sendmail(smtp.sender, [recipient], message.encode("utf-8"))
            except (OSError, smtplib.SMTPException) as e:
                con.execute("""UPDATE meta.alerts SET attempts = attempts + 1, last_attempt_at = ?,
                               last_error = ? WHERE alert_id = ?""", [now, str(e), alert_id])
                log.warning("alert %s kept for a later attempt: %s", alert_id, e)
                continue
            con.execute("""UPDATE meta.alerts SET status = 'sent', attempts = attempts + 1, last_attempt_at = ?,
                           sent_at = ?, last_error = NULL WHERE alert_id = ?""", [now, now, alert_id])
            result.sent += 1
    result.pending -= result.sent
    return result


def _open(smtp: SmtpSettings) -> smtplib.SMTP:
    session = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        session.ehlo()
        if smtp.starttls:
            session.starttls(context=ssl.create_default_context())
            session.ehlo()
        if smtp.user:
            if not (smtp.starttls or smtp.allow_plain_login):
                raise smtplib.SMTPException("refusing to send credentials without STARTTLS")
            session.login(smtp.user, smtp.password or "")
    except BaseException:
        session.close()
        raise
    return session


def pending_count(con) -> int:
    return con.execute("SELECT count(*) FROM meta.alerts WHERE status = 'pending'").fetchone()[0]
