"""Alerts over a real SMTP server on 127.0.0.1 (aiosmtpd): focal points in their language with
English beside it, one message per submission version, retried after the server was down;
deadline reminders and overdue notices on the right dates; failed runs to the engineers."""
import asyncio
import dataclasses
import datetime as dt
import email
import socket
from email import policy
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller

from parity.alerts.outbox import flush
from parity.config import Config, Settings
from parity.deadlines import due_date, notice, timeliness, watch_deadlines
from parity.ingest import ingest_files
from parity.messages import label
from sources.period import Period

from conftest import NOW, deliver, registration_numbers, sample_files

ROOT = Path(__file__).resolve().parent.parent


class Inbox:
    """What the SMTP server received: (recipients, parsed message); it acknowledges after `delay` s."""

    def __init__(self):
        self.received, self.delay = [], 0.0

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        await asyncio.sleep(self.delay)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int):
        self.port, self.inbox, self.controller = port, Inbox(), None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return [m for _, m in self.inbox.received]


@pytest.fixture
def smtp(home, monkeypatch, tmp_path):
    """A configured SMTP server on 127.0.0.1 (not started yet: tests start it), and a config whose
    countries are chased from 2024Q3."""
    server = SmtpServer(_free_port())
    monkeypatch.setenv("PARITY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PARITY_SMTP_PORT", str(server.port))
    monkeypatch.setenv("PARITY_SMTP_FROM", "parity@127.0.0.1")
    monkeypatch.setenv("PARITY_SMTP_TIMEOUT", "3")
    config = (ROOT / "config" / "parity.toml").read_text(encoding="utf-8").replace(
        'first_period = "2023Q1"', 'first_period = "2024Q3"')
    (tmp_path / "parity.toml").write_text(config, encoding="utf-8")
    monkeypatch.setenv("PARITY_CONFIG", str(tmp_path / "parity.toml"))
    yield server
    server.stop()


@pytest.fixture
def home(home, smtp) -> Settings:
    """The settings read again, once the SMTP server and the configuration file are set."""
    return Settings.from_env()


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _attachments(message) -> dict[str, str]:
    return {part.get_filename(): part.get_content() if isinstance(part.get_content(), str)
            else part.get_content().decode("utf-8") for part in message.iter_attachments()}


def _alerts(home) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute("""SELECT kind, country_code, period, recipient_email, language, status, attempts,
                                     last_error IS NOT NULL FROM meta.alerts ORDER BY alert_id""").fetchall()


PAGE = "https://parity.example.org/"

WORDS = {  # a word of the focal point's language that the accepted-delivery message must hold
    "BIH": ("bs", "prihvaćeno", "Šta je primljeno"),
    "MKD": ("mk", "прифатено", "Што е примено"),
    "MNE": ("cnr", "prihvaćeno", "Što je primljeno"),
    "SRB": ("sr", "прихваћено", "Шта је примљено"),
}


@pytest.mark.parametrize("country", sorted(WORDS))
def test_each_focal_point_gets_one_message_in_their_language_with_english(home, smtp, country):
    smtp.start()
    settings = dataclasses.replace(home, page_url=PAGE)  # the deployment's check-and-send page
    ingest_files(settings, country, deliver(home, *sample_files(country, "2024Q3")), now=NOW)
    [(recipients, message)] = smtp.inbox.received
    focal_point = home.config().focal_points[country]
    assert recipients == [focal_point.email]
    lang, word, heading = WORDS[country]
    assert word in message["Subject"] and "received and accepted" in message["Subject"]
    body = _body(message)
    assert heading in body and "What was received" in body
    assert body.index(heading) < body.index("What was received")  # their language first
    assert label(lang, "page_line", url=PAGE) in body and label("en", "page_line", url=PAGE) in body
    assert f"{country}_2024Q3" in body and "personnel" in body
    [(name, report)] = _attachments(message).items()
    assert name.endswith(".html") and f'lang="{lang}"' in report and "<script" not in report
    assert _alerts(home) == [("delivery", country, "2024Q3", focal_point.email, lang, "sent", 1, False)]


def test_problems_reach_the_focal_point_with_row_column_and_no_registration_number(home, smtp):
    smtp.start()
    broken = home.home / "broken" / "SRB_2024Q3_personnel.csv"
    broken.parent.mkdir(parents=True)
    source = next(p for p in sample_files("SRB", "2024Q3") if p.name.endswith("_personnel.csv"))
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    first = lines[1].split(";")
    lines[2] = ";".join([first[0]] + lines[2].split(";")[1:])  # row 3 repeats row 2's registration number
    broken.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    ingest_files(home, "SRB", deliver(home, broken, country="SRB"), now=NOW)
    [message] = smtp.messages
    assert "није прихваћено" in message["Subject"] and "not accepted" in message["Subject"]
    body = _body(message)
    assert "Ред 3" in body and "Колона Евиденцијски број" in body and "row" not in body.split("-" * 72)[0]
    assert "Row 3" in body and "Евиденцијски број из овог реда налази се и у другим редовима" in body
    everything = message.as_string() + "".join(_attachments(message).values())
    assert not [n for n in registration_numbers() if n in everything]


def test_identical_delivery_is_no_new_version_and_a_correction_is(home, smtp):
    smtp.start()
    files = sample_files("MNE", "2024Q3")
    ingest_files(home, "MNE", deliver(home, *files), now=NOW)
    ingest_files(home, "MNE", [home.inbox / "MNE" / f.name for f in files], now=NOW)  # the same files again
    assert len(smtp.messages) == 1
    personnel = home.inbox / "MNE" / "MNE_2024Q3_personnel.csv"
    personnel.write_text(personnel.read_text(encoding="utf-8").replace("1984", "1985", 1), encoding="utf-8")
    ingest_files(home, "MNE", [personnel], now=NOW)
    assert len(smtp.messages) == 2 and "(v2)" in _body(smtp.messages[1])


def test_server_down_keeps_the_message_and_a_retry_delivers_it_once(home, smtp):
    ingest_files(home, "BIH", deliver(home, *sample_files("BIH", "2024Q3")), now=NOW)  # the server is down
    [alert] = _alerts(home)
    assert alert[5:] == ("pending", 1, True)
    smtp.start()
    result = flush(home)
    assert (result.sent, result.pending) == (1, 0)
    assert flush(home).sent == 0  # nothing twice
    assert len(smtp.messages) == 1 and _alerts(home)[0][5:] == ("sent", 2, False)


def test_a_server_that_acknowledges_late_gets_the_same_message_again(home, smtp, monkeypatch):
    """At least once, as documented: the server took the message but answered after our timeout, so
    the outbox keeps it and the next attempt sends the same bytes with the same Message-ID."""
    home = dataclasses.replace(home, smtp=dataclasses.replace(home.smtp, timeout=1))
    smtp.start()
    smtp.inbox.delay = 3
    ingest_files(home, "BIH", deliver(home, *sample_files("BIH", "2024Q3")), now=NOW)  # flushes: too slow
    [alert] = _alerts(home)
    assert alert[5:7] == ("pending", 1) and len(smtp.messages) == 1
    smtp.inbox.delay = 0
    assert flush(home).sent == 1 and _alerts(home)[0][5:7] == ("sent", 2)
    first, second = smtp.messages
    assert first["Message-ID"] == second["Message-ID"] and first.as_bytes() == second.as_bytes()


def test_long_list_is_summarised_in_the_body_and_attached_whole(home, smtp, tmp_path):
    config = tmp_path / "parity.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("problems_in_body = 20", "problems_in_body = 5"),
                      encoding="utf-8")
    smtp.start()
    source = next(p for p in sample_files("MNE", "2024Q3") if p.name.endswith("_personnel.csv"))
    broken = home.home / "broken" / source.name
    broken.parent.mkdir(parents=True)
    lines = source.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join([lines[0]] + [line.replace(",Ž,", ",X,").replace(",M,", ",X,") for line in lines[1:]])
                      + "\n", encoding="utf-8")
    ingest_files(home, "MNE", deliver(home, broken, country="MNE"), now=NOW)
    [message] = smtp.messages
    attachments = _attachments(message)
    [csv_name] = [n for n in attachments if n.endswith(".csv")]
    assert len(attachments[csv_name].strip().splitlines()) == 1 + 9  # every problem, and a header
    body = _body(message)
    assert body.count("Found: X") == 5 and body.count("Pronađeno: X") == 5
    assert f"4 more problems are listed in the attached file {csv_name}" in body


# --- deadlines -----------------------------------------------------------------------------------

def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+01:00")


def test_due_dates_reminders_and_overdue_on_the_right_days():
    focal_point = Config.load().focal_points["SRB"]
    q3 = Period.parse("2024Q3")
    assert due_date(focal_point, q3) == dt.date(2024, 10, 30)
    assert notice(focal_point, q3, None, _at("2024-10-22")) is None
    assert notice(focal_point, q3, None, _at("2024-10-23")) == "reminder"  # 7 days before
    assert notice(focal_point, q3, None, _at("2024-10-30", 23)) == "reminder"  # still the due date
    assert notice(focal_point, q3, None, _at("2024-10-31", 0)) == "overdue"
    assert notice(focal_point, q3, _at("2024-10-24"), _at("2024-10-31")) is None
    assert timeliness(focal_point, q3, _at("2024-10-30", 23), _at("2024-11-15")) == "on_time"
    assert timeliness(focal_point, q3, _at("2024-10-31", 1), _at("2024-11-15")) == "late"
    assert timeliness(focal_point, q3, None, _at("2024-11-15")) == "missing"
    assert timeliness(focal_point, q3, None, _at("2024-10-15")) == "awaiting"


def test_missing_submission_gets_one_reminder_then_one_overdue_notice_and_timeliness(home, smtp):
    smtp.start()
    config = home.config()
    # MNE delivers 2024Q3 on time; BIH late; MKD and SRB never.
    ingest_files(home, "MNE", deliver(home, *sample_files("MNE", "2024Q3")), now=_at("2024-10-20"))
    report = watch_deadlines(home, config, now=_at("2024-10-24"))
    assert sorted(report.queued) == ["reminder:BIH:2024Q3", "reminder:MKD:2024Q3", "reminder:SRB:2024Q3"]
    assert watch_deadlines(home, config, now=_at("2024-10-25")).queued == []  # once
    report = watch_deadlines(home, config, now=_at("2024-10-31"))
    assert sorted(report.queued) == ["overdue:BIH:2024Q3", "overdue:MKD:2024Q3", "overdue:SRB:2024Q3"]
    ingest_files(home, "BIH", deliver(home, *sample_files("BIH", "2024Q3")), now=_at("2024-11-02"))
    report = watch_deadlines(home, config, now=_at("2024-11-03"))
    assert report.queued == []
    assert {c: s for (c, p), s in report.timeliness.items()} == {
        "MNE": "on_time", "BIH": "late", "MKD": "missing", "SRB": "missing"}
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.timeliness WHERE period = '2024Q3'").fetchone()[0] == 4
    notices = {country: [_body(m) for m in smtp.messages if m["Subject"].startswith(f"parity {country}: ")]
               for country in ("BIH", "MKD", "SRB")}
    assert {country: len(bodies) for country, bodies in notices.items()} == {"BIH": 2, "MKD": 2, "SRB": 2}
    assert "2024Q3: рокот е 2024-10-30" in notices["MKD"][0]  # the reminder, in Macedonian, then English
    assert "2024Q3: рокот беше 2024-10-30 – доцни" in notices["MKD"][1] and "was due on 2024-10-30" in notices["MKD"][1]
    assert "2024Q3: rok je bio 2024-10-30 – kasni" in notices["BIH"][1]
    assert "personnel table of SRB for these quarters" in notices["SRB"][0] and "`parity check`" in notices["SRB"][0]

    # months later, every quarter now overdue of each focal point is told in one message per focal point
    before = len(smtp.messages)
    report = watch_deadlines(dataclasses.replace(home, page_url=PAGE), config, now=_at("2025-08-15"))
    assert sorted(report.queued) == sorted(f"{kind}:{c}:{q}" for c in ("BIH", "MKD", "MNE", "SRB")
                                           for kind, q in (("overdue", "2024Q4"), ("overdue", "2025Q1"),
                                                           ("overdue", "2025Q2")))
    assert sorted(m["Subject"].split(":")[0] for m in smtp.messages[before:]) == [
        f"parity {c}" for c in ("BIH", "MKD", "MNE", "SRB")]
    assert "2025Q1: was due on 2025-04-30 – overdue" in _body(smtp.messages[-1])
    assert f"The check-and-send page: {PAGE}" in _body(smtp.messages[-1])
    assert watch_deadlines(home, config, now=_at("2025-08-16")).queued == []


def test_every_queued_message_parses_strictly_with_one_addressee(home, smtp):
    """The outbox's messages (a delivery's, a deadlines run's) as a strict parser reads them: one
    addressee each, whose display name may hold a comma ("Focal point, MoD Serbia")."""
    ingest_files(home, "SRB", deliver(home, *sample_files("SRB", "2024Q3")), now=_at("2024-10-20"))
    watch_deadlines(home, home.config(), now=_at("2025-02-01"))
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        queued = con.execute("SELECT kind, recipient_email, message FROM meta.alerts ORDER BY alert_id").fetchall()
    assert {kind for kind, _, _ in queued} == {"delivery", "deadlines"} and len(queued) == 5
    for kind, address, raw in queued:
        message = email.message_from_string(raw, policy=policy.strict)
        [addressee] = message["To"].addresses
        assert addressee.addr_spec == address and not message["To"].defects, (kind, message["To"])
        assert message["Subject"] and message["Date"] and message["Message-ID"]
    srb = home.config().focal_points["SRB"].focal_point
    assert "," in srb and any(f'"{srb}"' in raw for _, _, raw in queued)


# --- engineers -----------------------------------------------------------------------------------

def _failed_ingest(home, country: str, period: str):
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.partitions import partition_key

    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("ingest").execute_in_process(
        partition_key=partition_key(country, period), instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="engineers_on_failure", dagster_event=failure.dagster_event, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id)).for_run_failure()
    return instance, result.run_id, context


def test_a_failed_run_alerts_the_engineers_with_its_link(home, smtp, monkeypatch):
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.alerts.sensors import engineers_on_failure

    smtp.start()
    monkeypatch.setenv("PARITY_DAGSTER_URL", "http://127.0.0.1:3000")
    monkeypatch.delenv("PARITY_PSEUDONYM_KEY")  # the pipeline itself is broken: no key configured
    deliver(home, *sample_files("MNE", "2024Q3"))
    instance, run_id, context = _failed_ingest(home, "MNE", "2024Q3")
    request = engineers_on_failure(context)
    assert isinstance(request, dg.RunRequest) and request.run_key == f"run_failure:{run_id}"
    defs.resolve_job_def("send_alerts").execute_in_process(run_config=request.run_config, instance=instance)
    [(recipients, message)] = smtp.inbox.received
    assert recipients == [home.config().engineers_email]
    body = _body(message)
    assert f"http://127.0.0.1:3000/runs/{run_id}" in body and "MissingKey" in body and "MNE|2024Q3" in body
    defs.resolve_job_def("send_alerts").execute_in_process(run_config=request.run_config, instance=instance)
    assert len(smtp.messages) == 1  # the same failure is told once


def test_a_rejected_delivery_goes_to_the_focal_point_not_the_engineers(home, smtp):
    import dagster as dg

    from orchestration.defs.alerts.sensors import engineers_on_failure

    smtp.start()
    source = next(p for p in sample_files("MNE", "2024Q3") if p.name.endswith("_personnel.csv"))
    broken = home.home / "broken" / source.name
    broken.parent.mkdir(parents=True)
    broken.write_text(source.read_text(encoding="utf-8").replace(",Ž,", ",X,", 1), encoding="utf-8")
    deliver(home, broken, country="MNE")
    _, _, context = _failed_ingest(home, "MNE", "2024Q3")
    assert isinstance(engineers_on_failure(context), dg.SkipReason)
    [(recipients, message)] = smtp.inbox.received
    assert recipients == [home.config().focal_points["MNE"].email]


def test_outbox_sensor_requests_a_retry_while_messages_wait(home, smtp):
    import dagster as dg

    from orchestration.defs.alerts.sensors import alert_outbox
    from orchestration.resources import ParityResource

    context = dg.build_sensor_context()
    assert isinstance(alert_outbox(context, parity=ParityResource()), dg.SkipReason)  # no warehouse yet
    ingest_files(home, "MNE", deliver(home, *sample_files("MNE", "2024Q3")), now=NOW)  # server down
    request = alert_outbox(dg.build_sensor_context(), parity=ParityResource())
    assert isinstance(request, dg.RunRequest) and request.job_name in (None, "send_alerts")
    smtp.start()
    assert flush(home).sent == 1
    assert isinstance(alert_outbox(dg.build_sensor_context(), parity=ParityResource()), dg.SkipReason)
