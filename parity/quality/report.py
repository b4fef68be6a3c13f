"""A submission version's quality report, in the focal point's language with English beside it:
self-contained HTML (inline styles, no script, nothing loaded from anywhere: it opens offline and
from an e-mail attachment), plain text for the e-mail body and the terminal, and CSV of every problem.

Nothing here can show a registration number: problems carry none (sources/errors.py, the gate).
"""
import csv
import datetime as dt
import html
import io
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from parity.messages import Text, label
from sources.errors import Problem
from sources.redact import spreadsheet_cell


@dataclass
class TableResult:
    """What became of one table (or of a whole file rejected before its tables were told apart)."""
    file: str
    table: str
    sheet: str | None
    status: str  # accepted | unchanged | rejected
    version: int | None
    rows: int | None
    problems: list[Problem]


@dataclass
class Recheck:
    """A table accepted earlier, checked again against a table of this version that it is compared with
    (events that came before their personnel; a personnel table whose separations were corrected)."""
    file: str
    table: str
    version: int
    received_at: dt.datetime
    problems: list[Problem]
    skipped: list[Text]
    against: TableResult  # the table of this version it was compared with


@dataclass
class SubmissionVersion:
    """The files of one (country, quarter) received together, and what the gate made of them."""
    country: str
    period: str
    received_at: dt.datetime
    timezone: str
    tables: list[TableResult]
    skipped: list[Text] = field(default_factory=list)
    delivery_id: int | None = None
    rechecks: list[Recheck] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Each problem once (a workbook's unknown sheet concerns all its tables, and is said once)."""
        return list(dict.fromkeys(p for t in self.tables for p in t.problems))

    @property
    def outcome(self) -> str:
        """accepted | warnings | rejected | partly: the headline of the report and the alert."""
        rejected = [t for t in self.tables if t.status == "rejected"]
        if rejected:
            return "rejected" if len(rejected) == len(self.tables) else "partly"
        return "warnings" if self.problems else "accepted"

    @property
    def file_name(self) -> str:
        stamp = self.received_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{self.country}_{self.period}_{stamp}" + (f"_{self.delivery_id}" if self.delivery_id else "")

    def local_time(self) -> str:
        return local_time(self.received_at, self.timezone)


def local_time(at: dt.datetime, timezone: str) -> str:
    """An instant as the focal point's clock shows it."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def languages(lang: str) -> list[str]:
    return [lang, "en"] if lang != "en" else ["en"]


def _sorted_problems(version: SubmissionVersion) -> list[Problem]:
    """Errors first, then by file, sheet and row: the order in which someone fixes a file."""
    return sorted(version.problems, key=lambda p: (p.severity != "error", p.file, p.sheet or "", p.row or 0))


def _status(lang: str, table: TableResult, check: bool = False) -> str:
    """What became of a table (with its version); of a check: whether it would pass."""
    if check:
        return label(lang, f"check_{table.status}")
    return label(lang, table.status) + (f" (v{table.version})" if table.version else "")


def _check_next(version: SubmissionVersion, lang: str) -> str:
    """A check's last line: correct and check again, or send as they are."""
    errors = any(p.severity == "error" for p in version.problems)
    return label(lang, "check_next_errors" if errors else "check_next_ready", country=version.country)


def problem_fields(lang: str, p: Problem) -> dict[str, str]:
    return {
        "severity": label(lang, p.severity), "file": p.file, "sheet": p.sheet or "",
        "row": "" if p.row is None else str(p.row), "column": p.column or "",
        "found": p.found_in(lang) or "", "expected": p.text(lang, "expected"), "fix": p.text(lang, "fix"),
    }


# --- text ----------------------------------------------------------------------------------------

CHECK_COMMAND = "`parity check`"  # named in the messages' next step (a fact: the same in every language)


def verdict(versions: list[SubmissionVersion], lang: str) -> str:
    """A check's verdict in `lang`: ready to send, or not with the count of errors."""
    problems = [p for v in versions for p in v.problems]
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    key = "verdict_do_not_send" if errors else "verdict_ready_warnings" if warnings else "verdict_ready"
    return label(lang, key, errors=errors, warnings=warnings)


def verdict_line(versions: list[SubmissionVersion], lang: str) -> str:
    """The first line of a check: its verdict in `lang` and English."""
    return " / ".join(dict.fromkeys(verdict(versions, language) for language in languages(lang)))


def render_text(version: SubmissionVersion, lang: str, name: str | None = None, limit: int | None = None,
                attachment: str | None = None, check: bool = False, footer=None) -> str:
    """The report in `lang`, then in English. `check`: of `parity check` (files not sent yet), not the
    receipt of a delivery. `footer(language)`: what follows the report in each language (an e-mail's
    due date, next step and closing)."""
    parts = []
    for i, language in enumerate(languages(lang)):
        if i:
            parts.append("\n" + "-" * 72 + "\n")
        parts.append(text_in(version, language, name, limit, attachment, check))
        if footer is not None:
            parts.append("\n" + footer(language))
        if i == 0 and lang != "en":
            parts.append("\n" + label(lang, "english_below"))
    return "\n".join(parts)


def table_name(lang: str, table: TableResult | str) -> str:
    return label(lang, f"table_{table if isinstance(table, str) else table.table}")


def _problem_lines(lang: str, problems: list[Problem]) -> list[str]:
    lines = []
    for p in problems:
        f = problem_fields(lang, p)
        where = ", ".join(f"{label(lang, k)} {f[k]}" for k in ("file", "sheet", "row", "column") if f[k])
        line = f"  [{f['severity']}] {where}"
        if f["found"]:
            line += f"; {label(lang, 'found')}: {f['found']}"
        line += f"\n      {label(lang, 'expected')}: {f['expected']}\n      {label(lang, 'fix')}: {f['fix']}"
        lines.append(line)
    return lines


def next_step(version: SubmissionVersion, lang: str) -> str:
    key = {"rejected": "next_step_resend", "partly": "next_step_resend", "warnings": "next_step_warnings"}.get(
        version.outcome, "next_step_none")
    return label(lang, key, command=CHECK_COMMAND, country=version.country)


def text_in(version: SubmissionVersion, lang: str, name: str | None = None, limit: int | None = None,
            attachment: str | None = None, check: bool = False) -> str:
    """The report in `lang` alone."""
    title = "check_title" if check else "title"
    out = [label(lang, title, country=version.country, period=version.period).rstrip(), ""]
    if name:
        out += [label(lang, "greeting", name=name), ""]
    if check:
        out += [label(lang, "check_intro", checked_at=version.local_time(), timezone=version.timezone), "",
                label(lang, "checked") + ":"]
    else:
        out += [label(lang, "received_intro", period=version.period, received_at=version.local_time(),
                      timezone=version.timezone), "", label(lang, "received") + ":"]
    for t in version.tables:
        where = table_name(lang, t) + (f" ({label(lang, 'sheet')} {t.sheet})" if t.sheet else "")
        rows = f", {label(lang, 'rows')}: {t.rows}" if t.rows is not None else ""
        status = _status(lang, t, check)
        out.append(f"  - {t.file}: {where} – {status}{rows}")
    problems = _sorted_problems(version)
    out.append("")
    if not problems:
        out.append(label(lang, "no_problems"))
    else:
        out.append(f"{label(lang, 'problems')} ({len(problems)}):")
        for key, kind in (("errors_intro", "error"), ("warnings_intro", "warning")):
            if not check and any(p.severity == kind for p in problems):  # what became of the tables: a receipt's
                out.append(label(lang, key))
        shown = problems if limit is None else problems[:limit]
        out += _problem_lines(lang, shown)
        if len(shown) < len(problems):
            out.append(label(lang, "more_problems", count=len(problems) - len(shown), attachment=attachment or ""))
    if version.skipped:
        out += ["", label(lang, "checks_skipped") + ":"] + [f"  - {s.render(lang)}" for s in version.skipped]
    if version.rechecks:
        out += ["", label(lang, "rechecked") + ":"]
        for r in version.rechecks:
            out.append("  - " + _recheck_intro(lang, r, version.timezone) + ": "
                       + ("" if r.problems else label(lang, "recheck_clean")))
            out += _problem_lines(lang, r.problems) + [f"      {s.render(lang)}" for s in r.skipped]
    if check:
        out += ["", _check_next(version, lang)]
    return "\n".join(out)


def _recheck_intro(lang: str, r: Recheck, timezone: str) -> str:
    return label(lang, "recheck_intro", file=r.file, table=table_name(lang, r.table), version=r.version,
                 received_at=local_time(r.received_at, timezone), against=r.against.file,
                 against_version=r.against.version)


# --- CSV -----------------------------------------------------------------------------------------

CSV_FIELDS = ("severity", "file", "sheet", "row", "column", "found", "expected", "fix")


def render_csv(version: SubmissionVersion, lang: str) -> str:
    """Every problem, one per line, in `lang` and English side by side (UTF-8 with BOM: opens in Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [(language, key) for language in languages(lang) for key in CSV_FIELDS
               if language == lang or key in ("severity", "expected", "fix")]
    writer.writerow([f"{label(language, key)}" + (f" ({language})" if language != lang else "")
                     for language, key in columns])
    for p in _sorted_problems(version):
        fields = {language: problem_fields(language, p) for language in languages(lang)}
        writer.writerow([spreadsheet_cell(fields[language][key]) for language, key in columns])
    return "\ufeff" + buffer.getvalue()


# --- HTML ----------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1b1b;max-width:75rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}section{border-top:3px solid #0468b1;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;
text-align:left;vertical-align:top;font-size:.9rem}th{background:#eef3f8}.error{color:#a4000f;font-weight:600}
.warning{color:#8a5300;font-weight:600}.outcome{font-size:1.1rem;padding:.5rem;background:#f4f4f4}
"""


def _problem_table(lang: str, problems: list[Problem]) -> str:
    e = html.escape
    rows = "".join("<tr>" + "".join(f'<td class="{p.severity}">{e(v)}</td>' if k == "severity" else f"<td>{e(v)}</td>"
                                    for k, v in problem_fields(lang, p).items()) + "</tr>" for p in problems)
    return ("<table><thead><tr>" + "".join(f"<th>{e(label(lang, k))}</th>" for k in CSV_FIELDS)
            + f"</tr></thead><tbody>{rows}</tbody></table>")


def report_sections(version: SubmissionVersion, lang: str, check: bool = False) -> str:
    """The report's body in `lang`, then in English: one <section> each. `check`: of files checked
    before sending (`parity check --html`, the focal points' page), not the receipt of a delivery."""
    e = html.escape
    sections = []
    for language in languages(lang):
        L = lambda key, language=language, **kw: e(label(language, key, **kw))  # noqa: E731 - a shorthand used here
        rows = "".join(
            f"<tr><td>{e(t.file)}</td><td>{e(table_name(language, t))}</td><td>{e(t.sheet or '')}</td>"
            f"<td>{e(_status(language, t, check))}</td><td>{'' if t.rows is None else t.rows}</td></tr>"
            for t in version.tables)
        problems = _sorted_problems(version)
        intro = "" if check else "".join(
            f"<p>{L(key)}</p>" for key, kind in (("errors_intro", "error"), ("warnings_intro", "warning"))
            if any(p.severity == kind for p in problems))
        problem_table = intro + _problem_table(language, problems) if problems else f"<p>{L('no_problems')}</p>"
        skipped = ("<h2>" + L("checks_skipped") + "</h2><ul>" + "".join(f"<li>{e(s.render(language))}</li>"
                                                                         for s in version.skipped)
                   + "</ul>") if version.skipped else ""
        rechecks = ("<h2>" + L("rechecked") + "</h2><ul>" + "".join(
            f"<li>{e(_recheck_intro(language, r, version.timezone))}: "
            + (_problem_table(language, r.problems) if r.problems else e(label(language, "recheck_clean")))
            + "".join(f"<p>{e(s.render(language))}</p>" for s in r.skipped) + "</li>"
            for r in version.rechecks) + "</ul>") if version.rechecks else ""
        if check:
            head = (f'<h1>{L("check_title", country=version.country, period=version.period)}</h1>'
                    f'<p class="outcome">{e(verdict([version], language))}</p>'
                    f'<p>{L("check_intro", checked_at=version.local_time(), timezone=version.timezone)}</p>'
                    f'<h2>{L("checked")}</h2>')
            last = e(_check_next(version, language))
        else:
            received = L("received_intro", period=version.period, received_at=version.local_time(),
                         timezone=version.timezone)
            head = (f'<h1>{L("title", country=version.country, period=version.period)}</h1>'
                    f'<p class="outcome">{L("outcome_" + version.outcome)}</p><p>{received}</p>'
                    f'<h2>{L("received")}</h2>')
            last = e(next_step(version, language))
        sections.append(
            f'<section lang="{language}">{head}<table><thead><tr><th>{L("file")}</th><th>{L("table")}</th>'
            f'<th>{L("sheet")}</th><th>{L("status")}</th><th>{L("rows")}</th></tr></thead><tbody>{rows}</tbody></table>'
            f'<h2>{L("problems")} ({len(problems)})</h2>{problem_table}{skipped}{rechecks}<p>{last}</p></section>')
    return "".join(sections)


def render_html(version: SubmissionVersion, lang: str, check: bool = False) -> str:
    """The report as a page of its own (see report_sections)."""
    e = html.escape
    title = e(label(lang, "check_title" if check else "title", country=version.country, period=version.period))
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head>'
            f'<body>{report_sections(version, lang, check)}</body></html>\n')
