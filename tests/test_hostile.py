"""Hostile and broken files: links and devices never read, limits checked before memory is spent, a
reader that still fails is contained, and no registration number or secret reaches any output."""
import csv
import email
import io
import os
import secrets
import shutil
from email import policy

import pytest

from parity import warehouse
from sources import ReadError, read_delivery
from sources.limits import Limits

from conftest import NOW, SAMPLES, NumberScanner, deliver, registration_numbers, sample_files


def _swap_header(text: str, delimiter: str, a: int, b: int) -> str:
    header, rest = text.split("\n", 1)
    cells = header.split(delimiter)
    cells[a], cells[b] = cells[b], cells[a]
    return delimiter.join(cells) + "\n" + rest


FORMULAS = ['=HYPERLINK("http://127.0.0.1/x","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)"]


def _hostile_inbox(home, tmp_path) -> str:
    """Good files of MNE and SRB 2024Q3 among every kind of hostile entry; returns the secret that a
    link points at."""
    secret = "secret-" + secrets.token_hex(16)
    key_like = tmp_path / "pseudonym.key"
    key_like.write_text(secret + "\n")
    deliver(home, *sample_files("MNE", "2024Q3"), *sample_files("SRB", "2024Q3"))
    inbox = home.inbox
    for country in ("BIH", "MKD", "XYZ"):
        (inbox / country).mkdir(exist_ok=True)
    os.symlink(key_like, inbox / "BIH" / "BIH_2024Q3.xlsx")  # named like a delivery, pointing at a secret
    os.link(key_like, inbox / "MKD" / "MKD_2024Q3_personnel.csv")  # a hard link to it
    os.mkfifo(inbox / "MKD" / "MKD_2024Q3_trainings.csv")  # would block a reader forever
    (inbox / "MKD" / "MKD_2024Q3_recruitment.csv").mkdir()
    shutil.copy(SAMPLES / "MKD" / "MKD_2024Q3_complaints.csv", inbox / "MKD" / "MKD_2024Q3_complaints.csv\n")
    (inbox / "XYZ" / "XYZ_2024Q3_personnel.csv").write_text("not a configured country\n")
    (inbox / "stray.csv").write_text("beside the country folders\n")

    # SRB: the registration-number column swapped with the sex column, formulas in ranks
    srb = (SAMPLES / "SRB" / "SRB_2024Q4_personnel.csv").read_text(encoding="utf-8-sig")
    lines = _swap_header(srb, ";", 0, 1).split("\n")
    for i, formula in enumerate(FORMULAS, start=1):
        cells = lines[i].split(";")
        cells[4] = formula.replace(";", ",")
        lines[i] = ";".join(cells)
    (inbox / "SRB" / "SRB_2024Q4_personnel.csv").write_text("\n".join(lines), encoding="utf-8-sig")
    # MNE: registration numbers under the unit's header (free text: it would have been stored in clear)
    mne = (SAMPLES / "MNE" / "MNE_2024Q4_personnel.csv").read_text(encoding="utf-8")
    (inbox / "MNE" / "MNE_2024Q4_personnel.csv").write_text(_swap_header(mne, ",", 0, 6), encoding="utf-8")
    # MKD: a cell of 5,000 characters
    mkd = (SAMPLES / "MKD" / "MKD_2024Q4_personnel.csv").read_text(encoding="cp1251").split("\n")
    cells = mkd[2].split(",")
    cells[6] = "Ж" * 5000
    mkd[2] = ",".join(cells)
    (inbox / "MKD" / "MKD_2024Q4_personnel.csv").write_text("\n".join(mkd), encoding="cp1251")
    # BIH: a workbook that declares 16,384 columns x 1,048,576 rows (the reader once allocated 512 GB)
    _far_cell(SAMPLES / "BIH" / "BIH_2024Q4.xlsx", inbox / "BIH" / "BIH_2024Q4.xlsx")
    return secret


def _far_cell(source, target, value="x"):
    import openpyxl

    workbook = openpyxl.load_workbook(source)
    workbook.worksheets[0]["XFD1048576"] = value
    workbook.save(target)


def test_hostile_inbox_good_files_load_and_nothing_secret_reaches_any_output(home, tmp_path, capsys):
    from parity.cli import main

    secret = _hostile_inbox(home, tmp_path)
    old = os.umask(0o022)
    try:
        status = main(["load"])
    finally:
        os.umask(old)
    out = capsys.readouterr()
    printed = out.out + out.err
    assert status == 1 and "Traceback" not in printed

    with warehouse.connect(home.warehouse, read_only=True) as con:
        tables = {(c, p, t): s for c, p, t, s in con.execute(
            "SELECT country_code, period, table_name, status FROM meta.submission_tables").fetchall()}
        files = {f for (f,) in con.execute("SELECT file_name FROM meta.received_files").fetchall()}
        alerts = [m for (m,) in con.execute("SELECT message FROM meta.alerts").fetchall()]
    assert all(tables[("MNE", "2024Q3", t)] == "accepted" for t in ("personnel", "trainings", "complaints"))
    assert tables[("SRB", "2024Q3", "personnel")] == "accepted"  # the other countries' good files loaded
    assert tables[("SRB", "2024Q4", "personnel")] == "rejected"
    assert tables[("MNE", "2024Q4", "personnel")] == "rejected"
    assert tables[("MKD", "2024Q4", "personnel")] == "rejected"
    assert "BIH_2024Q4.xlsx" in files and ("BIH", "2024Q4", "*") not in tables  # rejected whole
    assert not files & {"BIH_2024Q3.xlsx", "MKD_2024Q3_personnel.csv", "MKD_2024Q3_trainings.csv",
                        "MKD_2024Q3_recruitment.csv", "MKD_2024Q3_complaints.csv\n"}

    # what was not taken is told to the engineers (the command's output), with why
    for line in ("BIH/BIH_2024Q3.xlsx: a symbolic link: not followed",
                 "MKD/MKD_2024Q3_personnel.csv: a file with another name (hard link) elsewhere",
                 "MKD/MKD_2024Q3_trainings.csv: not a regular file", "MKD/MKD_2024Q3_recruitment.csv: not a regular file",
                 "MKD/MKD_2024Q3_complaints.csv : its file name does not follow the agreed pattern",
                 "XYZ: not a folder of a configured country", "stray.csv: a file outside the country folders"):
        assert f"not taken: {line}" in printed, line
    assert "a table of at most 2,000,001 rows and 64 columns" in printed and "cells of at most 1,000 characters" in printed
    assert "no registration number in this column" in printed  # MNE: numbers under the unit's header
    assert "█████" in printed  # SRB: numbers under the sex header, masked where the value is shown

    # the focal point's e-mail: formulas neutralised in the attachment people open in Excel
    srb = next(email.message_from_string(m, policy=policy.default) for m in alerts if "SRB" in m and "2024Q4" in m)
    attachment = next(p for p in srb.iter_attachments() if p.get_filename().endswith(".csv"))
    cells = [c for row in csv.reader(io.StringIO(attachment.get_payload(decode=True).decode("utf-8-sig")))
             for c in row]
    assert all(f"'{formula}" in cells for formula in FORMULAS)
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]

    # nothing secret anywhere: printed output, every file of the home (Dagster's storage included),
    # every text value of the warehouse (meta.alerts holds the e-mails as sent); the archive has no secret
    numbers = registration_numbers()
    scanner = NumberScanner(numbers)
    assert not scanner.found(printed) and secret not in printed
    with warehouse.connect(home.warehouse, read_only=True) as con:
        for schema, table, column in con.execute("""SELECT table_schema, table_name, column_name
                                                    FROM information_schema.columns WHERE data_type = 'VARCHAR'""").fetchall():
            values = " ".join(str(v) for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM {schema}."{table}"').fetchall())
            assert secret not in values and not [n for n in numbers if n in values], f"{schema}.{table}.{column}"
    for path in home.home.rglob("*"):
        if path.is_file() and not path.is_symlink() and not path.is_relative_to(home.inbox) and path.stat().st_nlink == 1:
            data = path.read_bytes()
            assert secret.encode() not in data, path
            if not path.is_relative_to(home.archive):
                assert not scanner.found(data), path


@pytest.mark.parametrize("case", ["far_cell", "long_shared_string", "too_many_columns", "too_many_rows", "file_size"])
def test_limits_are_checked_before_the_file_is_read(case, tmp_path):
    limits = Limits()
    if case == "far_cell":
        path = tmp_path / "BIH_2024Q3.xlsx"
        _far_cell(SAMPLES / "BIH" / "BIH_2024Q3.xlsx", path)
    elif case == "long_shared_string":
        path = tmp_path / "BIH_2024Q3.xlsx"
        import openpyxl
        workbook = openpyxl.load_workbook(SAMPLES / "BIH" / "BIH_2024Q3.xlsx")
        workbook.worksheets[0]["B2"] = "x" * 20_000
        workbook.save(path)
    else:
        path = tmp_path / "MNE_2024Q3_personnel.csv"
        text = (SAMPLES / "MNE" / path.name).read_text(encoding="utf-8")
        if case == "too_many_columns":
            text = text.replace("\n", "," * 70 + "\n", 2)
        path.write_text(text, encoding="utf-8")
        limits = Limits(rows=3) if case == "too_many_rows" else Limits(file_bytes=100) if case == "file_size" else limits
    rule = {"far_cell": "sheet_too_large", "long_shared_string": "cell_too_long",
            "file_size": "file_too_large"}.get(case, case)
    try:
        tables = read_delivery(path, now=NOW, limits=limits)
        problems = [p for t in tables for p in t.errors]
    except ReadError as e:
        problems = e.problems
    rules = {p.rule for p in problems}
    assert rule in rules, rules


def test_a_reader_that_exhausts_its_memory_or_time_is_contained(tmp_path):
    from parity.isolation import read_isolated, start_reader_server

    start_reader_server()  # as `parity load` does, before its first file: the same server serves the reads
    path = tmp_path / "SRB_2024Q3_personnel.csv"
    header, rows = (SAMPLES / "SRB" / path.name).read_text(encoding="utf-8-sig").split("\n", 1)
    path.write_text(header + "\n" + rows * 300, encoding="utf-8-sig")  # 35,000 rows
    ok = read_isolated(path, name=path.name, inbox_country="SRB", now=NOW, timezone="Europe/Belgrade",
                       limits=Limits())
    assert ok[0].accepted and len(ok[0].frame) > 30_000
    for limits, found in ((Limits(memory_bytes=16 << 20), ""), (Limits(seconds=0.001), "> 0 s")):
        with pytest.raises(ReadError) as e:
            read_isolated(path, name=path.name, inbox_country="SRB", now=NOW, timezone="Europe/Belgrade", limits=limits)
        [problem] = e.value.problems
        assert problem.rule == "reader_limit" and found in problem.value and problem.file == path.name


def test_files_read_in_one_child_are_each_judged_alone(tmp_path):
    """A submission's files share a child; one that overruns the time limit after another file in it
    is read again alone and rejected on its own, and the file after it is still read, in a new child."""
    from parity.isolation import ReadRequest, read_each_isolated, start_reader_server

    start_reader_server()
    slow = tmp_path / "SRB_2024Q3_personnel.csv"
    header, rows = (SAMPLES / "SRB" / slow.name).read_text(encoding="utf-8-sig").split("\n", 1)
    slow.write_text(header + "\n" + rows * 3000, encoding="utf-8-sig")  # 350,000 rows: seconds to read
    quick = [SAMPLES / "SRB" / "SRB_2024Q3_trainings.csv", SAMPLES / "SRB" / "SRB_2024Q3_complaints.csv"]
    requests = [ReadRequest(path, path.name, "SRB", NOW, "Europe/Belgrade") for path in (quick[0], slow, quick[1])]
    first, overran, last = read_each_isolated(requests, Limits(seconds=1))
    assert [t.table for t in first] == ["trainings"] and [t.table for t in last] == ["complaints"]
    assert isinstance(overran, ReadError)
    [problem] = overran.problems
    assert problem.rule == "reader_limit" and problem.value == "> 1 s" and problem.file == slow.name


def test_echoed_values_are_printable_short_and_masked():
    from sources.errors import Problem
    from sources.redact import MASK, spreadsheet_cell

    problem = Problem(file="SRB_2024Q3_personnel.csv", rule="code_list", facts={"values": "Ž, M"}, column="Pol\x1b[2J",
                      value="VS-077510 вс-170468 MO-24149\u202e\nARM-009237" + "x" * 500)
    assert "\x1b" not in problem.column and "\u202e" not in problem.value and "\n" not in problem.value
    assert problem.value.count(MASK) == 4 and len(problem.value) <= 160
    assert not any(n in problem.message() for n in ("077510", "170468", "24149", "009237"))
    assert spreadsheet_cell("=1+1") == "'=1+1" and spreadsheet_cell("Pol") == "Pol"


def test_a_name_ending_in_a_newline_is_no_delivery():
    from sources import parse_delivery_name

    assert parse_delivery_name("MKD_2024Q3_personnel.csv").table == "personnel"
    with pytest.raises(ReadError):
        parse_delivery_name("MKD_2024Q3_personnel.csv\n")


@pytest.mark.parametrize("country", ["BIH", "MKD", "MNE", "SRB"])
def test_every_sample_registration_number_has_its_dialects_shape(country):
    """The masking and the misplaced-number rule rely on the shape: it must fit every number."""
    from sources.dialect import DIALECTS

    numbers = set()
    for path in sample_files(country):
        for table in read_delivery(path, now=NOW):
            if "personnel_no" in table.frame:
                numbers |= set(table.frame["personnel_no"])
    assert numbers and all(DIALECTS[country].looks_like_personnel_no(n) for n in numbers)
