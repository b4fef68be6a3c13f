"""The suppression's parts on tables small enough to read: a region and its countries, a breakdown and
its total, an earlier release, and the protection rule. (tests/test_disclosure.py attacks generated
data with an attacker of its own.)"""
import pandas as pd
import pytest

from parity.suppression import KEY, audit, decide
from parity.suppression.audit import protected
from parity.suppression.relations import relations
from parity.suppression.secondary import primary

REGIONS = {"WB4": ["BIH", "MNE"]}
THRESHOLD, WIDTH = 2, 3


def cells(*rows) -> pd.DataFrame:
    """(indicator, country, breakdown, value, numerator, denominator) of 2024Q1, unit percent."""
    frame = pd.DataFrame(rows, columns=["indicator_code", "country_code", "breakdown", "breakdown_value",
                                        "numerator", "denominator"])
    return frame.assign(period="2024Q1", unit="percent")[KEY + ["unit", "numerator", "denominator"]].astype(
        {"numerator": "float64", "denominator": "float64"})


def region(bih: tuple[int, int], mne: tuple[int, int]) -> pd.DataFrame:
    """WSHARE_OFFICERS of two countries and their region."""
    total = (bih[0] + mne[0], bih[1] + mne[1])
    return cells(*(("WSHARE_OFFICERS", c, "total", "total", n, d) for c, (n, d) in
                   (("BIH", bih), ("MNE", mne), ("WB4", total))))


def statuses(frame: pd.DataFrame, decided: pd.DataFrame) -> dict[str, str]:
    merged = frame.merge(decided, on=KEY)
    return dict(zip(merged["country_code"], merged["obs_status"]))


def test_the_protection_rule():
    assert protected(0, 3, THRESHOLD, WIDTH) and protected(1, 5, THRESHOLD, WIDTH)
    assert not protected(1, 2, THRESHOLD, WIDTH)  # never outside 1..2
    assert not protected(2, 2, THRESHOLD, WIDTH)  # pinned
    assert not protected(0, 2, THRESHOLD, WIDTH)  # could be 0, but narrower than 3
    assert protected(0, float("inf"), THRESHOLD, WIDTH)


def test_a_region_gives_a_withheld_country_back_unless_a_second_row_is_withheld():
    frame = region(bih=(1, 40), mne=(12, 60))  # one woman officer in BIH
    assert primary(frame, THRESHOLD) == ["C", "A", "A"]
    shown = frame[KEY].assign(obs_status=primary(frame, THRESHOLD))
    exposed = audit(shown, frame, None, REGIONS, {}, THRESHOLD, WIDTH)
    assert {(e.key[1], e.low, e.high) for e in exposed} == {("BIH", 1, 1)}  # 13 - 12
    decided, _ = decide(frame, None, REGIONS, {}, THRESHOLD, WIDTH)
    chosen = statuses(frame, decided)
    assert chosen["BIH"] == "C" and list(chosen.values()).count("D") == 1
    assert audit(decided, frame, None, REGIONS, {}, THRESHOLD, WIDTH) == []


def test_a_row_published_before_is_known_and_another_is_withheld():
    """MNE was published in release 1 (before the region had its row) with the same counts: withholding it
    now protects nothing, so the region is withheld, though MNE is the smaller row."""
    frame = region(bih=(1, 40), mne=(12, 60))
    history = frame[frame["country_code"] != "WB4"].assign(value=None, obs_status=["C", "A"], first_release_id=1,
                                                            last_release_id=None)
    decided, _ = decide(frame, history, REGIONS, {}, THRESHOLD, WIDTH)
    assert statuses(frame, decided) == {"BIH": "C", "MNE": "A", "WB4": "D"}
    # showing the region now would give BIH back through release 1's MNE
    leaky = decided.assign(obs_status=decided["obs_status"].where(decided["country_code"] != "WB4", "A"))
    assert [e.key[1] for e in audit(leaky, frame, history, REGIONS, {}, THRESHOLD, WIDTH)] == ["BIH"]


def test_a_breakdown_and_its_total_bind_each_other_and_no_row_left_fails_closed():
    frame = cells(("WSHARE_APPLICANTS", "BIH", "total", "total", 21, 50),
                  ("WSHARE_APPLICANTS", "BIH", "channel", "academy", 2, 20),
                  ("WSHARE_APPLICANTS", "BIH", "channel", "nco", 19, 30))
    decided, _ = decide(frame, None, {}, {}, THRESHOLD, WIDTH)
    assert decided["obs_status"].tolist().count("A") == 1  # the academy's 2 women, and one more row withheld
    assert audit(decided, frame, None, {}, {}, THRESHOLD, WIDTH) == []
    # every other row published before: nothing left to withhold, the decision is refused
    history = frame.assign(value=None, obs_status=["A", "C", "A"], first_release_id=1, last_release_id=None)
    with pytest.raises(Exception, match="cannot be protected"):
        decide(frame, history, {}, {}, THRESHOLD, WIDTH)


def test_relations_hold_on_the_true_counts_and_leave_no_row_unbound():
    frame = cells(("WSHARE_UNIFORMED", "BIH", "total", "total", 30, 100),
                  *(("WSHARE_UNIFORMED", "BIH", "service", s, n, d) for s, n, d in (("army", 20, 70), ("navy", 10, 30))),
                  *(("WSHARE_" + c, "BIH", "total", "total", n, d) for c, n, d in
                    (("OFFICERS", 5, 20), ("NCOS", 10, 30), ("SOLDIERS", 15, 50), ("CADETS", 1, 3),
                     ("CIVILIANS", 8, 20))))
    table, found = relations(frame, {}, {})
    values = {(i, "n"): n for i, n in enumerate(frame["numerator"])} | {(i, "d"): d for i, d in enumerate(frame["denominator"])}
    for relation in found:
        total = sum(c * values[v] for v, c in relation.terms)
        assert total == 0 if relation.sense == "=" else total <= 0, relation.why
    whys = {r.why for r in found}
    assert {"WSHARE_UNIFORMED by service sums to its total", "the uniformed are officers, NCOs and soldiers"} <= whys
