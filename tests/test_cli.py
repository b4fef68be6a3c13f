"""The `parity` command line, as a user runs it."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parity import warehouse

from conftest import NOW, SAMPLES, assert_no_clear_numbers, deliver, sample_files

PARITY = str(Path(sys.executable).with_name("parity"))


def _run(*args):
    return subprocess.run([PARITY, *args], capture_output=True, text=True, timeout=600)


def test_generate_writes_each_dialect(tmp_path):
    result = _run("generate", "--out", str(tmp_path), "--quarters", "2024Q1:2024Q2", "--countries", "MNE,BIH",
                  "--scale", "0.05", "--seed", "3", "--quiet")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "BIH").iterdir()) == ["BIH_2024Q1.xlsx", "BIH_2024Q2.xlsx"]
    assert len(list((tmp_path / "MNE").iterdir())) == 12


def test_the_command_runs_the_exit_handlers_flushes_its_output_and_keeps_its_exit_status(tmp_path):
    """`parity` ends without the interpreter's teardown (parity.cli.console): what the command printed,
    the exit handlers and the exit status are as a normal exit leaves them."""
    script = ("import atexit, sys; atexit.register(print, 'exit handler ran'); "
              "sys.argv[0] = 'parity'; from parity.cli import console; console()")
    env = {**os.environ, "PARITY_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-c", script, "generate", "--out", str(tmp_path / "out"), "--quarters",
                           "2024Q1", "--countries", "MNE", "--scale", "0.02", "--quiet"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert (done.returncode, done.stdout) == (0, f"wrote 6 files under {tmp_path / 'out'}\nexit handler ran\n")
    refused = subprocess.run([sys.executable, "-c", script, "load"], capture_output=True, text=True, timeout=120,
                             env={**env, "PARITY_SETTLE_SECONDS": "soon"})
    assert (refused.returncode, refused.stdout) == (2, "exit handler ran\n")
    assert refused.stderr.startswith("parity load: PARITY_SETTLE_SECONDS: 'soon' is not a number")


def test_a_load_prints_a_summary_a_rejection_and_builds_leaving_no_clear_number(home, tmp_path, capfd):
    """One full load of the spec's samples from another folder (--inbox), with one table broken and a
    quarter that has not ended: the summary, the gate's message and nothing else, the build, and no
    registration number anywhere in $PARITY_HOME (Dagster's run storage and logs are scanned too)."""
    inbox = tmp_path / "dropbox"
    shutil.copytree(SAMPLES, inbox)
    broken = inbox / "MNE" / "MNE_2024Q4_personnel.csv"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace(",Ž,", ",X,", 1), encoding="utf-8")
    future = inbox / "MKD" / "MKD_2031Q1_personnel.csv"
    future.write_bytes((SAMPLES / "MKD" / "MKD_2024Q4_personnel.csv").read_bytes())
    # in this process (the exit status and output of the `parity` process itself: the test above), with the
    # output of every process it starts
    from parity.cli import main

    result = subprocess.CompletedProcess("load", main(["load", "--inbox", str(inbox)]), *capfd.readouterr())
    assert result.returncode == 1, result.stdout + result.stderr  # a rejection: the load did not take everything
    lines = [line.split() for line in result.stdout.splitlines()]
    rows = [cells for cells in lines if cells and cells[0] in ("BIH", "MKD", "MNE", "SRB")]
    assert len(rows) == 46 and ["MNE", "2024Q4", "personnel", "rejected", "MNE_2024Q4_personnel.csv"] in rows
    assert ["SRB", "2024Q4", "personnel", "accepted", "1", "118", "SRB_2024Q4_personnel.csv"] in rows
    assert "REJECTED MNE 2024Q4 personnel" in result.stdout and "found 'X'" in result.stdout and "row " in result.stdout
    # a rejection is the gate's message and nothing else: no stack trace, no Dagster error, no FAILED run
    assert "Traceback" not in result.stdout + result.stderr and "DagsterAssetCheckFailedError" not in result.stderr
    assert "FAILED" not in result.stdout and "[1/8] BIH 2024Q3: archive, read, check, load" in result.stdout
    assert "dbt build (staging, intermediate, marts and their tests), then public.duckdb; log:" in result.stdout
    assert "dbt build: done; its log: " in result.stdout and "PASS" not in result.stdout
    assert "not taken: MKD/MKD_2031Q1_personnel.csv: quarter 2031Q1 has not ended yet" in result.stdout
    with warehouse.connect(home.warehouse, read_only=True) as con:
        persons = con.execute("SELECT count(*) FROM staging.stg_personnel").fetchone()[0]
    assert persons == 404 - (len(text.strip().splitlines()) - 1)  # every sample's persons but the rejected table's
    assert any((home.home / "dagster").rglob("*"))
    assert_no_clear_numbers(home)

    assert main(["load", "--inbox", str(inbox)]) == 0  # nothing new: what is not taken is listed again
    again = capfd.readouterr().out
    assert "Nothing new in the inboxes." in again and "not taken: MKD/MKD_2031Q1_personnel.csv" in again


def test_a_crashed_ingest_exits_non_zero_with_its_reason_and_a_broken_configuration_is_named(home, tmp_path, capfd):
    deliver(home, *sample_files("MNE", "2024Q3"))
    home.home.mkdir(parents=True, exist_ok=True)
    home.archive.write_text("not a folder", encoding="utf-8")  # the ingest step cannot archive: parity's failure
    from parity.cli import main

    assert main(["load"]) == 1
    out, err = capfd.readouterr()
    assert "FAILED ingest MNE 2024Q3: NotADirectoryError" in out
    assert "Traceback" not in out + err

    # the configuration is read where the command starts (the partitions): a broken one stops it there

    broken = tmp_path / "parity.toml"
    broken.write_text("[engineers\n", encoding="utf-8")
    result = subprocess.run([PARITY, "load"], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PARITY_CONFIG": str(broken)})
    assert result.returncode == 2 and result.stdout == ""
    assert f"PARITY_CONFIG: {broken} is not a usable configuration (TOMLDecodeError" in result.stderr
    assert "Traceback" not in result.stderr


# --- parity check ------------------------------------------------------------------------------

@pytest.mark.parametrize("country,period", [(c, p) for c in ("BIH", "MKD", "MNE", "SRB") for p in ("2024Q3", "2024Q4")])
def test_check_passes_every_sample_delivery(country, period, capsys):
    from parity.cli import main

    files = [str(f) for f in sample_files(country, period)]
    assert main(["check", *files, "--country", country, "--period", period]) == 0
    out = capsys.readouterr().out
    # the first line says whether to send, in the focal point's language and in English
    assert out.splitlines()[0].endswith(" / Ready to send – no problems found")
    assert "Files checked" in out and "No problems were found." in out and "we received" not in out


def test_check_names_row_and_column_of_a_broken_file_and_exits_1(tmp_path, capsys):
    from parity.cli import main

    source = next(f for f in sample_files("MNE", "2024Q4") if f.name.endswith("_personnel.csv"))
    broken = tmp_path / source.name
    broken.write_text(source.read_text(encoding="utf-8").replace("VCG-11266,M,1984", "VCG-11266,M,1934"),
                      encoding="utf-8")
    assert main(["check", str(broken), "--lang", "cnr", "--html", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Ne šaljite još – grešaka za ispravku: 1 / Do not send yet – errors to correct: 1"
    assert "Red 6, Kolona Godina rođenja; Pronađeno: 1934" in out
    assert "Row 6, Column Godina rođenja; Found: 1934" in out
    assert re.search(r"\d{4}\.0\b", out) is None  # the bounds of a year are years, not 1954.0
    # the HTML report is a check's too, not a receipt of a delivery
    page = (tmp_path / "out" / "MNE_2024Q4_check.html").read_text(encoding="utf-8")
    assert "provjera prije slanja: MNE 2024Q4" in page and "check before sending: MNE 2024Q4" in page
    assert "we received" not in page and "Ne šaljite još – grešaka za ispravku: 1" in page


def test_check_with_a_warehouse_runs_the_cross_quarter_checks(home, tmp_path, capsys):
    from parity.cli import main
    from parity.ingest import ingest_files

    ingest_files(home, "MNE", deliver(home, *sample_files("MNE", "2024Q3")), now=NOW)
    trainings = tmp_path / "MNE_2024Q4_trainings.csv"
    source = next(f for f in sample_files("MNE", "2024Q4") if f.name.endswith("_trainings.csv"))
    trainings.write_text(source.read_text(encoding="utf-8").replace("VCG-20434", "VCG-99999"), encoding="utf-8")
    personnel = next(f for f in sample_files("MNE", "2024Q4") if f.name.endswith("_personnel.csv"))
    assert main(["check", str(trainings), str(personnel), "--home", str(home.home), "--lang", "en"]) == 0  # warnings only
    out = capsys.readouterr().out
    assert "[warning] File MNE_2024Q4_trainings.csv, Row 2, Column Evidencijski broj" in out
    assert "VCG-99999" not in out
    assert main(["check", str(trainings), "--lang", "en"]) == 0
    assert "no accepted personnel table of 2024Q4, 2024Q3 yet" in capsys.readouterr().out
