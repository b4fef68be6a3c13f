"""The messages themselves: one per submission version to its focal point, deadline notices, and
failed runs for the data engineers. Focal points read their language first, English beside it."""
import datetime as dt
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from parity.alerts.outbox import Recipient
from parity.config import FocalPoint
from parity.messages import label
from parity.quality.report import CHECK_COMMAND, SubmissionVersion, languages, next_step, render_csv, render_html, render_text


def _message(subject: str, body: str) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="parity.local")
    message.set_content(body, charset="utf-8")
    return message


def _both(lang: str, key: str, **values) -> str:
    return " / ".join(dict.fromkeys(label(language, key, **values) for language in languages(lang)))


def recipient_of(focal_point: FocalPoint) -> Recipient:
    return Recipient(focal_point.focal_point, focal_point.email, focal_point.language)


def _page_line(language: str, page_url: str) -> list[str]:
    """Where the check-and-send page is, when the deployment has one (PARITY_PAGE_URL)."""
    return [label(language, "page_line", url=page_url)] if page_url else []


def delivery_message(version: SubmissionVersion, focal_point: FocalPoint, problems_in_body: int,
                     due_date: dt.date, page_url: str = "") -> EmailMessage:
    """What was received, what was accepted, and every problem: the first `problems_in_body` in the
    body, all of them in the attached report (HTML) and, for a long list, a CSV to sort and filter;
    then the quarter's due date, the next step and the page's address, in each language."""
    lang = focal_point.language
    csv_name = f"{version.file_name}_problems.csv"
    long_list = len(version.problems) > problems_in_body
    subject = label(lang, "subject_delivery", country=version.country, period=version.period,
                    outcome=_both(lang, f"outcome_{version.outcome}"))
    body = render_text(version, lang, name=focal_point.focal_point, limit=problems_in_body,
                       attachment=csv_name if long_list else f"{version.file_name}.html",
                       footer=lambda language: "\n\n".join((
                           label(language, "due_line", period=version.period, due_date=due_date.isoformat()),
                           next_step(version, language), *_page_line(language, page_url),
                           label(language, "closing"))))
    message = _message(subject, body)
    message.add_attachment(render_html(version, lang).encode("utf-8"), maintype="text", subtype="html",
                           filename=f"{version.file_name}.html")
    if long_list:
        message.add_attachment(render_csv(version, lang).encode("utf-8"), maintype="text", subtype="csv",
                               filename=csv_name)
    return message


def deadlines_message(focal_point: FocalPoint, notices: list[tuple[str, str, dt.date]],
                      page_url: str = "") -> EmailMessage:
    """One message for every quarter a focal point is reminded of or told is overdue in a run:
    `notices` are (reminder | overdue, quarter, due date)."""
    lang = focal_point.language
    subject = label(lang, "subject_digest", country=focal_point.country,
                    periods=", ".join(period for _, period, _ in notices))
    paragraphs = []
    for language in languages(lang):
        lines = [label(language, f"digest_{kind}", period=period, due_date=due.isoformat())
                 for kind, period, due in notices]
        paragraphs += [label(language, "greeting", name=focal_point.focal_point),
                       label(language, "digest_intro", country=focal_point.country) + "\n"
                       + "\n".join(f"  - {line}" for line in lines),
                       label(language, "next_step_send", command=CHECK_COMMAND, country=focal_point.country),
                       *_page_line(language, page_url), label(language, "closing"), "-" * 72]
    return _message(subject, "\n\n".join(paragraphs[:-1]))


def run_failure_message(job: str, run_id: str, url: str | None, error: str, partition: str | None) -> EmailMessage:
    """For the data engineers, in English: which run, where to look, and the error."""
    where = f" ({partition})" if partition else ""
    link = f"{url.rstrip('/')}/runs/{run_id}" if url else f"run {run_id} (set PARITY_DAGSTER_URL for a link)"
    body = (f"The Dagster run {run_id} of job {job}{where} failed.\n\nRun: {link}\n\nError:\n{error}\n\n"
            f"Rejected deliveries do not fail runs (they go to the focal points); this is an error of the "
            f"pipeline itself.")
    return _message(f"parity: run of {job}{where} failed", body)
