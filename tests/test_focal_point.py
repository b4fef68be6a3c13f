"""The focal point's loop: every problem of a file told at once, in their language with the same facts
as in English; checks of one table against another that do not depend on the order the tables come
in, and run again when the other side arrives."""
import re
import shutil
from pathlib import Path

from test_messages import english_words_in

from parity.check import check_files
from parity.ingest import ingest_files
from parity.messages import LANGUAGES
from parity.quality.report import render_text, text_in, verdict_line

from conftest import NOW, SAMPLES, deliver, sample_files


def _csv(tmp_path, country: str, name: str, edit) -> Path:
    source = SAMPLES / country / name
    out = tmp_path / country / name
    out.parent.mkdir(parents=True, exist_ok=True)
    encoding = "cp1251" if country == "MKD" else "utf-8-sig" if country == "SRB" else "utf-8"
    out.write_text(edit(source.read_text(encoding=encoding)), encoding=encoding)
    return out


def _problems(home, *paths, **kw):
    [version] = check_files(list(paths), settings=home, **kw)
    return version


def _assert_the_same_facts_in_every_language(version):
    """Every problem's texts in each language, with nothing of the catalogue's English in them, and
    every number and value of the English text in each language's too."""
    for p in version.problems:
        english = " ".join(t for t in (p.text("en", "expected"), p.text("en", "fix"), p.found) if t)
        facts = set(re.findall(r"\d[\d.,:-]*\d|\d|'[^']+'", english)) | {v for _, v in p.facts}
        for lang in set(LANGUAGES) - {"en"}:
            text = " ".join(t for t in (p.text(lang, "expected"), p.text(lang, "fix"), p.value or p.text(lang, "found"))
                            if t)
            assert english_words_in(text) == set(), (p.rule, lang, text)
            assert [f for f in facts if f not in text] == [], (p.rule, lang, text)
    for lang in set(LANGUAGES) - {"en"}:
        assert english_words_in(text_in(version, lang, check=True)) == set(), lang


def test_a_comma_separated_srb_file_is_told_its_separator_once(home, tmp_path):
    path = _csv(tmp_path, "SRB", "SRB_2024Q3_personnel.csv", lambda t: t.replace(";", ","))
    [problem] = _problems(home, path).problems
    assert (problem.rule, problem.row, problem.value) == ("wrong_delimiter", 1, ",")
    assert problem.text("sr", "fix") == ("Датотека је одвојена овде пронађеним знаком, а не знаком ';': поново је "
                                         "извезите са граничником ';'.")


def test_an_impossible_date_is_no_such_date(home, tmp_path):
    path = _csv(tmp_path, "MNE", "MNE_2024Q3_personnel.csv", lambda t: t.replace("2014-05-25", "2019-02-31"))
    version = _problems(home, path)
    [problem] = version.problems
    assert (problem.rule, problem.row, problem.value) == ("no_such_date", 2, "2019-02-31")
    assert "2024-03-25" in problem.text("cnr", "expected")  # the agreed form, in Montenegrin too
    _assert_the_same_facts_in_every_language(version)


def test_every_problem_of_a_file_in_one_pass(home, tmp_path):
    """A birth year of 1890 (a suite's rule) is told with a bad sex code and a date typed as text (the
    reader's), each once: nothing waits for a second round."""
    def edit(text):
        lines = text.splitlines()
        lines[1] = lines[1].replace(",Ž,1981,", ",X,1890,")  # row 2: sex and birth year
        lines[2] = lines[2].replace("2024-03-20", "20.3.2024")  # row 3: the date
        return "\n".join(lines) + "\n"
    version = _problems(home, _csv(tmp_path, "MNE", "MNE_2024Q3_personnel.csv", edit))
    found = sorted((p.rule, p.row, p.column) for p in version.problems)
    assert found == [("age_range", 2, "Godina rođenja"), ("code_list", 2, "Pol"), ("date_format", 3, "Datum prijema")]
    assert verdict_line([version], "cnr") == ("Ne šaljite još – grešaka za ispravku: 3 / "
                                              "Do not send yet – errors to correct: 3")
    [sex] = [p for p in version.problems if p.rule == "code_list"]
    assert sex.value == "X" and "Ž, M" in sex.text("bs", "expected")  # the value set, in Bosnian too
    _assert_the_same_facts_in_every_language(version)


def test_a_workbook_without_personnel_says_it_is_awaited_and_a_date_cell_is_asked_for(home, tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(SAMPLES / "BIH" / "BIH_2024Q3.xlsx")
    del book["Osoblje"]  # the other five sheets stay
    book.create_sheet("Napomene")
    path = tmp_path / "BIH" / "BIH_2024Q3.xlsx"
    path.parent.mkdir()
    book.save(path)
    version = _problems(home, path)
    assert "personnel" not in {t.table for t in version.tables} and all(t.status == "accepted" for t in version.tables)
    assert sorted((p.rule, p.severity) for p in version.problems) == [
        ("personnel_awaited", "warning"), ("unknown_sheet", "warning")]  # each once, for the whole workbook
    [awaited] = [p for p in version.problems if p.rule == "personnel_awaited"]
    assert "2024Q3" in awaited.text("bs", "expected") and "osoblja" in awaited.text("bs", "expected")
    _assert_the_same_facts_in_every_language(version)


def test_an_extra_column_is_told_when_the_rest_of_the_table_is_unchanged(home, tmp_path):
    personnel, path = deliver(home, SAMPLES / "MNE" / "MNE_2024Q3_personnel.csv", SAMPLES / "MNE" / "MNE_2024Q3_trainings.csv")
    ingest_files(home, "MNE", [personnel, path], now=NOW)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",Napomena"] + [line + ",x" for line in lines[1:]]) + "\n", encoding="utf-8")
    [outcome] = ingest_files(home, "MNE", [path], now=NOW)
    assert outcome.status == "unchanged" and [(w.rule, w.column) for w in outcome.warnings] == [
        ("extra_column", "Napomena")]


def test_a_misnamed_file_is_answered_in_its_countrys_language_with_an_example(home, tmp_path):
    wrong = tmp_path / "MKD" / "MKD_2024-Q3_personnel.csv"
    wrong.parent.mkdir()
    shutil.copy(SAMPLES / "MKD" / "MKD_2024Q3_personnel.csv", wrong)
    [version] = check_files([wrong], settings=home)
    [problem] = version.problems
    assert version.country == "MKD" and problem.rule == "file_name"
    assert "MKD_2024Q4_personnel.csv" in problem.text("mk", "expected")
    text = render_text(version, "mk", check=True)
    assert text.startswith("parity – проверка пред испраќање: MKD") and "? ?" not in text


def test_a_delivery_is_checked_the_same_whichever_order_its_tables_come_in(home):
    files = sample_files("MNE", "2024Q4")
    ingest_files(home, "MNE", deliver(home, *sample_files("MNE", "2024Q3")), now=NOW)
    forward = check_files(files, settings=home, with_warehouse=True)
    backward = check_files(files[::-1], settings=home, with_warehouse=True)
    assert [v.problems for v in forward] == [v.problems for v in backward]
    [version] = forward
    assert version.skipped == []  # the balance compares with this delivery's separations, the events with its personnel


def test_events_before_their_personnel_are_checked_again_when_it_arrives(home, tmp_path):
    ingest_files(home, "MNE", deliver(home, *sample_files("MNE", "2024Q3")), now=NOW)
    trainings = _csv(tmp_path, "MNE", "MNE_2024Q4_trainings.csv", lambda t: t.replace("VCG-20434", "VCG-99999"))
    [early] = ingest_files(home, "MNE", deliver(home, trainings), now=NOW)
    assert early.status == "accepted" and [s.key for s in early.skipped] == ["person_in_snapshot"]
    personnel = [f for f in sample_files("MNE", "2024Q4") if f.name.endswith("_personnel.csv")]
    ingest_files(home, "MNE", deliver(home, *personnel), now=NOW)
    [report] = sorted((home.quality_dir / "MNE" / "2024Q4").glob("*.html"))[-1:]
    html = report.read_text(encoding="utf-8")
    # the personnel's report names the trainings table it was compared with, and the unknown person
    assert "MNE_2024Q4_trainings.csv (обуке" not in html  # MNE's report is in Montenegrin, not Serbian
    assert "MNE_2024Q4_trainings.csv (obuke, verzija 1" in html and "MNE_2024Q4_personnel.csv (verzija 1)" in html
    assert "osoba iz tabele zaposlenih za 2024Q4 ili 2024Q3" in html
