"""The one translation catalogue (parity/messages/catalogue.toml): every entry in every language with the
same placeholders, Serbian and Macedonian in Cyrillic, a review status each, a name for every code that
is published, the English names the same as the seeds', and README's count of what awaits review."""
import csv
import re

import pytest

from parity.config import DBT_PROJECT_DIR, PROJECT_DIR
from parity.messages import CATALOGUE, LANGUAGES, REVIEWED, awaiting_review, entries, placeholders
from parity.reports.locale import Writer, plural_forms
from sources.tables import CODE_LISTS

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
# what stays Latin in a Cyrillic text: placeholders, product and file names, codes and acronyms
LATIN_ALLOWED = re.compile(r"\{\w+\}|parity|UNDP SEESAC|SEESAC|CSV|UTF-8|Windows-1251|Windows|Excel|\.xlsx|"
                           r"ranks\.csv|NATO|gender coach|\(;\)|[A-Z]{2,}-?\d*")


def forms(text: str | dict) -> list[str]:
    """An entry's text in one language: itself, or each of its plural forms."""
    return list(text.values()) if isinstance(text, dict) else [text]


def test_every_entry_is_in_every_language_with_the_same_placeholders_and_a_review_status():
    for section, items in entries().items():
        assert items, section
        for key, entry in items.items():
            assert set(entry) == set(LANGUAGES) | {"review"}, (section, key)
            assert entry["review"] in ("draft", REVIEWED), (section, key)
            assert len({frozenset(placeholders(text)) for lang in LANGUAGES for text in forms(entry[lang])}) == 1, \
                (section, key)
            for lang in {"sr", "mk"}:
                for text in forms(entry[lang]):
                    latin = re.sub(r"[^A-Za-z]", "", LATIN_ALLOWED.sub("", text))
                    assert not latin or CYRILLIC.search(text), (section, key, lang, text)
                    assert not latin, (section, key, lang, latin)


def test_a_plural_entry_has_the_forms_each_language_makes():
    """CLDR's plural categories: English and Macedonian one/other, Bosnian, Montenegrin and Serbian
    one/few/other; and the text of each form is the one the language uses for such a count."""
    plurals = {(section, key): entry for section, items in entries().items() for key, entry in items.items()
               if any(isinstance(entry[lang], dict) for lang in LANGUAGES)}
    assert plurals, "the reports count countries in their words"
    assert plural_forms("bs") == plural_forms("sr") == plural_forms("cnr") == ("one", "few", "other")
    assert plural_forms("en") == plural_forms("mk") == ("one", "other")
    for where, entry in plurals.items():
        for lang in LANGUAGES:
            assert isinstance(entry[lang], dict) and tuple(entry[lang]) == plural_forms(lang), (where, lang)
    counted = Writer("sr").text("rank", rank=2, n=4, count=4), Writer("sr").text("rank", rank=2, n=5, count=5)
    assert "4 земље" in counted[0] and "5 земаља" in counted[1]


# Words an English text shares with a language's own: names (parity, Excel), and words the languages
# have too ("status"; "list", a sheet, in Bosnian and Montenegrin)
SHARED_WORDS = {"parity", "excel", "xlsx", "ranks", "windows", "status", "list", "seesac", "undp", "nato"}
SECTIONS = ("labels", "rules", "skipped", "web", "report")  # the sections of sentences (data holds names)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}


def english_words_in(text: str) -> set[str]:
    """The English words of the catalogue's texts (labels, rules, skipped checks, the page, the reports)
    found in `text`."""
    english = set()
    for section in SECTIONS:
        for key, entry in entries()[section].items():
            if key != "language":  # the language names: each is its own word
                english |= {w for text in forms(entry["en"]) for w in _words(text.format_map(_Blank()))}
    text = re.sub(r"\S+\.(?:csv|xlsx|html)\b", "", text)  # file names are the MoD's, in any language
    return (_words(text) & english) - SHARED_WORDS


class _Blank(dict):
    def __missing__(self, key):
        return ""


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"en"}))
def test_no_english_word_of_the_catalogue_in_another_languages_text(lang):
    for section in SECTIONS:
        for key, entry in entries()[section].items():
            for text in forms(entry[lang]):
                assert english_words_in(text.format_map(_Blank())) == set(), (section, key, lang)


def _seed(name: str) -> dict[str, str]:
    with (DBT_PROJECT_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {row[0]: row[1] for row in rows[1:]}


def test_every_published_code_has_a_name_and_the_english_names_are_the_seeds():
    data = entries()["data"]
    for seed, prefix in (("indicators", "indicator"), ("countries", "country"), ("services", "value.service"),
                         ("sexes", "value.sex")):
        names = _seed(seed)
        assert {k: data[f"{prefix}.{k}"]["en"] for k in names} == names, seed
    for breakdown in ("sex", "service", "channel", "organization", "role", "type"):
        assert {f"value.{breakdown}.{code}" for code in CODE_LISTS[breakdown]} <= set(data), breakdown
    assert {f"value.un_role.{code}" for code in (*CODE_LISTS["role"], "individual")} <= set(data)
    breakdowns = {"total", "sex", "service", "nato_rank", "rank_band", "channel", "organization", "role", "un_role",
                  "type"}
    assert {f"breakdown.{b}" for b in breakdowns} <= set(data)
    assert {f"unit.{u}" for u in ("percent", "per_1000", "count")} | {f"obs_status.{s}" for s in "ACD"} <= set(data)


def test_readme_says_how_many_entries_await_a_native_speakers_review():
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    pending = awaiting_review()
    said = re.search(r"await\s+a\s+native\s+speaker's\s+review:\s+(\d+)\s+of\s+(\d+)\s+\(labels\s+(\d+),\s+"
                     r"rules\s+(\d+),\s+skipped\s+checks\s+(\d+),\s+data\s+(\d+),\s+page\s+(\d+),\s+"
                     r"reports\s+(\d+)\)", readme)
    assert said, "README: the translations' review status"
    total = sum(len(items) for items in entries().values())
    assert tuple(map(int, said.groups())) == (sum(pending.values()), total, pending["labels"], pending["rules"],
                                              pending["skipped"], pending["data"], pending["web"], pending["report"])


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"en"}))
def test_no_language_falls_back_to_another(lang):
    """Each language's texts are its own entries: no other catalogue file, no `base` to inherit from."""
    assert sorted(p.name for p in CATALOGUE.parent.glob("*.toml")) == [CATALOGUE.name]
    assert all(lang in entry for entry in entries()["labels"].values())
