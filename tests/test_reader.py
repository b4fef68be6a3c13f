"""The one reader: every sample of the spec reads cleanly; every kind of bad input is one clear
message naming file, row, column, value and what was expected, never a registration number."""
import datetime as dt
import shutil

import pytest

from sources import ReadError, read_delivery
from sources.dialect import DIALECTS
from sources.tables import CODE_LISTS, COMMON_CODES, TABLES
from sources.text import match_key, serbian_latin

from conftest import NOW, SAMPLES, sample_files


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_every_sample_reads_without_a_problem(path):
    tables = read_delivery(path, inbox_country=path.parent.name, now=NOW)
    assert tables
    for table in tables:
        assert table.accepted, [p.message() for p in table.problems]
        assert table.problems == []
        assert list(table.frame.columns) == ["source_row", *TABLES[table.table].column_names]


def test_samples_cover_both_serbian_scripts_and_all_dialects():
    srb = read_delivery(SAMPLES / "SRB" / "SRB_2024Q3_personnel.csv", now=NOW)[0].frame
    assert set(srb["sex"]) == {"F", "M"}  # Cyrillic М and Latin M alike
    assert srb["service"].notna().all()  # "Komanda za obuku" (Latin) and Cyrillic labels
    bih = read_delivery(SAMPLES / "BIH" / "BIH_2024Q3.xlsx", now=NOW)
    assert {t.table for t in bih} == {"personnel", "recruitment", "deployments", "trainings", "complaints"}
    assert str(bih[0].frame["entry_date"].dtype).startswith("datetime64")


def test_header_only_table_is_zero_events():
    table = read_delivery(SAMPLES / "MNE" / "MNE_2024Q3_separations.csv", now=NOW)[0]
    assert table.accepted and len(table.frame) == 0


def test_text_rules():
    assert match_key("\u00a0 Ž\u2003") == match_key("ž")
    assert serbian_latin("Љубиша Ђурђевић џак") == "Ljubiša Đurđević džak"
    assert match_key("пуковник", transliterate=True) == match_key("PUKOVNIK", transliterate=True)
    assert match_key("pukovnik") != match_key("пуковник")  # no transliteration outside SRB


@pytest.mark.parametrize("country", sorted(DIALECTS))
def test_dialect_descriptions_cover_every_code(country):
    dialect = DIALECTS[country]
    for name, codes in CODE_LISTS.items():
        labels = dialect.codes.get(name) or COMMON_CODES[name]
        missing = set(codes) - set(labels) - ({"navy"} if name == "service" else set())
        assert not missing, f"{country} {name}: {missing}"
    for table in TABLES:
        keys = list(dialect.header_index(table))
        assert len(keys) == len(set(keys)) == len(TABLES[table].columns)


# --- bad input --------------------------------------------------------------------------------

def _rewrite(tmp_path, source, transform, name=None, encoding="utf-8"):
    target = tmp_path / source.parent.name / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    result = transform(source.read_bytes().decode(encoding))
    target.write_bytes(result.encode(encoding) if isinstance(result, str) else result)
    return target


def _only_error(path, **kw):
    tables = read_delivery(path, now=NOW, **kw)
    errors = [p for t in tables for p in t.errors]
    assert errors, "expected the file to be rejected"
    return errors


MNE_PERSONNEL = SAMPLES / "MNE" / "MNE_2024Q3_personnel.csv"
SRB_PERSONNEL = SAMPLES / "SRB" / "SRB_2024Q3_personnel.csv"
MKD_PERSONNEL = SAMPLES / "MKD" / "MKD_2024Q3_personnel.csv"


def _replace_line(text, line_no, old, new):
    lines = text.split("\n")
    assert old in lines[line_no - 1]
    lines[line_no - 1] = lines[line_no - 1].replace(old, new, 1)
    return "\n".join(lines)


def test_unknown_code_names_row_column_value_and_choices(tmp_path):
    path = _rewrite(tmp_path, MNE_PERSONNEL, lambda t: _replace_line(t, 3, "civilno lice", "civilna lica"))
    [error] = _only_error(path)
    assert (error.file, error.row, error.column, error.value) == ("MNE_2024Q3_personnel.csv", 3, "Kategorija", "civilna lica")
    assert "civilno lice" in error.expected and "oficir" in error.expected


def test_dropped_diacritic_is_not_forgiven(tmp_path):
    path = _rewrite(tmp_path, MNE_PERSONNEL, lambda t: _replace_line(t, 2, "Ž", "Z"))
    [error] = _only_error(path)
    assert (error.row, error.column, error.value) == (2, "Pol", "Z")


def test_bad_date_in_the_dialect_style(tmp_path):
    path = _rewrite(tmp_path, MNE_PERSONNEL, lambda t: _replace_line(t, 2, "2014-05-25", "25.05.2014"))
    [error] = _only_error(path)
    assert (error.row, error.column, error.value) == (2, "Datum prijema", "25.05.2014")
    assert "2024-03-25" in error.expected


def test_srb_date_needs_its_trailing_dot(tmp_path):
    path = _rewrite(tmp_path, SRB_PERSONNEL, lambda t: _replace_line(t, 2, "06.02.1992.", "06.02.1992"))
    [error] = _only_error(path)
    assert (error.row, error.value) == (2, "06.02.1992") and "25.03.2024." in error.expected


def test_missing_header_and_file_that_is_another_table(tmp_path):
    path = _rewrite(tmp_path, MNE_PERSONNEL, lambda t: t.replace("Nivo komandovanja", "Nivo"))
    errors = _only_error(path)
    assert any(e.column == "Nivo komandovanja" and e.row == 1 for e in errors)
    # a trainings file saved under a personnel name: its headers give it away
    wrong = tmp_path / "MNE" / "MNE_2024Q3_personnel.csv"
    shutil.copy(SAMPLES / "MNE" / "MNE_2024Q3_trainings.csv", wrong)
    assert {e.column for e in _only_error(wrong)} >= {"Godina rođenja", "Kategorija", "Vid"}


def test_srb_header_in_both_scripts_is_the_same_header_twice(tmp_path):
    path = _rewrite(tmp_path, SRB_PERSONNEL, lambda t: t.replace("Kategorija", "Kategorija;Категорија", 1)
                    .replace("цивилно лице;", "цивилно лице;цивилно лице;"))
    errors = _only_error(path)
    assert any(e.column == "Категорија" and "once" in e.expected and e.rule == "repeated_header" for e in errors)


def test_row_with_wrong_field_count(tmp_path):
    path = _rewrite(tmp_path, MNE_PERSONNEL, lambda t: _replace_line(t, 4, ",Direktorat", ",,Direktorat")
                    if "Direktorat" in t.split("\n")[3] else _replace_line(t, 4, ",M,", ",M,,"))
    [error] = _only_error(path)
    assert error.row == 4 and "fields" in error.expected and "','" in error.fix


def test_wrong_encoding_is_named(tmp_path):
    path = _rewrite(tmp_path, MKD_PERSONNEL, lambda t: t.encode("utf-8"), encoding="cp1251")
    [error] = _only_error(path)
    assert error.value == "UTF-8" and "Windows-1251" in error.expected


def test_invalid_utf8_names_the_line(tmp_path):
    lines = MNE_PERSONNEL.read_bytes().split(b"\n")
    lines[4] = lines[4].replace("ž".encode(), "ž".encode("cp1250"))  # line 5 saved in a Windows code page
    path = tmp_path / "MNE" / MNE_PERSONNEL.name
    path.parent.mkdir()
    path.write_bytes(b"\n".join(lines))
    [error] = _only_error(path)
    assert (error.row, error.value, error.expected) == (5, "0x9E", "text in UTF-8")


def test_empty_file_and_no_header(tmp_path):
    path = tmp_path / "MNE" / "MNE_2024Q3_trainings.csv"
    path.parent.mkdir()
    path.write_bytes(b"\r\n\r\n")
    [error] = _only_error(path)
    assert error.expected == "a header row"


def test_trailing_empty_rows_are_ignored(tmp_path):
    path = _rewrite(tmp_path, MNE_PERSONNEL, lambda t: t + ",,,,,,,,\r\n\r\n")
    [table] = read_delivery(path, now=NOW)
    assert table.accepted and len(table.frame) == 9


def test_extra_column_is_a_warning_and_is_dropped(tmp_path):
    def add_column(text):
        lines = text.splitlines()
        return "\n".join([lines[0] + ",Ime i prezime"] + [line + ",Marko Marković" for line in lines[1:]]) + "\n"
    path = _rewrite(tmp_path, MNE_PERSONNEL, add_column)
    [table] = read_delivery(path, now=NOW)
    assert table.accepted and [w.column for w in table.warnings] == ["Ime i prezime"]
    assert "Marko Marković" not in table.frame.to_string()


def test_unnamed_column_with_data_is_a_warning_and_is_dropped(tmp_path):
    def add_column(text):
        lines = text.splitlines()
        return "\n".join([lines[0] + ","] + [line + ",Marko Marković" for line in lines[1:]]) + "\n"
    path = _rewrite(tmp_path, MNE_PERSONNEL, add_column)
    [table] = read_delivery(path, now=NOW)
    assert table.accepted and [(w.row, w.column) for w in table.warnings] == [(1, "#10")]
    assert "Marko Marković" not in table.frame.to_string()


def test_missing_registration_number_is_reported_without_any_value(tmp_path):
    path = _rewrite(tmp_path, MNE_PERSONNEL, lambda t: _replace_line(t, 2, "MO-24149", ""))
    [error] = _only_error(path)
    assert (error.row, error.column, error.value) == (2, "Evidencijski broj", None)


def test_file_for_another_country_and_quarter_not_ended(tmp_path):
    with pytest.raises(ReadError) as e:
        read_delivery(MNE_PERSONNEL, inbox_country="SRB", now=NOW)
    assert e.value.problems[0].value == "MNE" and "SRB" in e.value.problems[0].expected
    with pytest.raises(ReadError) as e:
        read_delivery(MNE_PERSONNEL, now=dt.datetime(2024, 9, 30, 21, 0, tzinfo=dt.UTC))  # 23:00 in Belgrade
    assert "ended" in e.value.problems[0].expected
    assert read_delivery(MNE_PERSONNEL, now=dt.datetime(2024, 9, 30, 22, 30, tzinfo=dt.UTC))  # 00:30


@pytest.mark.parametrize("name", ["mne_2024Q3_personnel.csv", "MNE_2024Q3_persons.csv", "MNE_2024Q5_personnel.csv",
                                  "MNE_2024Q3_personnel.csv.tmp", "BIH_2024Q3_personnel.csv"])
def test_names_off_the_pattern(tmp_path, name):
    path = tmp_path / name
    shutil.copy(MNE_PERSONNEL, path)
    with pytest.raises(ReadError, match="file name"):
        read_delivery(path, now=NOW)


def test_files_that_are_not_what_their_name_says(tmp_path):
    fake_xlsx = tmp_path / "BIH" / "BIH_2024Q3.xlsx"
    fake_xlsx.parent.mkdir()
    shutil.copy(MNE_PERSONNEL, fake_xlsx)
    with pytest.raises(ReadError, match="Excel workbook"):
        read_delivery(fake_xlsx, now=NOW)
    zip_csv = tmp_path / "MNE" / "MNE_2024Q3_personnel.csv"
    zip_csv.parent.mkdir()
    shutil.copy(SAMPLES / "BIH" / "BIH_2024Q3.xlsx", zip_csv)
    [error] = _only_error(zip_csv)
    assert "XLSX/ZIP" in error.value


def test_workbook_with_text_date_and_unknown_sheet(tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(SAMPLES / "BIH" / "BIH_2024Q3.xlsx")
    book["Osoblje"]["I3"] = "09.08.2019"  # a date typed as text
    book.create_sheet("Napomene")
    path = tmp_path / "BIH" / "BIH_2024Q3.xlsx"
    path.parent.mkdir()
    book.save(path)
    tables = {t.table: t for t in read_delivery(path, now=NOW)}
    [error] = tables["personnel"].errors
    assert (error.sheet, error.row, error.column, error.value) == ("Osoblje", 3, "Datum prijema", "09.08.2019")
    assert tables["recruitment"].accepted  # one bad sheet rejects that table only
    # the unknown sheet is said once, on the workbook's first table
    assert [w.sheet for t in tables.values() for w in t.warnings] == ["Napomene"]


def test_messages_never_quote_a_registration_number(tmp_path):
    path = _rewrite(tmp_path, MNE_PERSONNEL, lambda t: _replace_line(t, 2, "MO-24149,Ž", "MO-24149,X"))
    [error] = _only_error(path)
    assert "MO-24149" not in error.message()
