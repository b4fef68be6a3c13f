"""Page 1 of a report: the headline figures and the key messages, from rules one can read.

A headline is a big number with its change against the previous quarter and the same quarter a year
before, and where the area stands among the region's countries. A key message states one comparison in
a sentence. Both use only values shown in the release the report cites: a change needs both quarters
shown, a rank or a superlative needs every country's value shown (a rank against a withheld row would
tell something about it), and a message whose values are not all shown is not said.

The rules, in the order the messages come:
1. the headline share that moved most in a year (at least 0.5 points), with "the largest rise (fall)
   in the region" when no other country's moved more that way;
2. where the area's women's share of uniformed personnel stands in the region (a country's report);
   for the region's report, the countries with the highest and the lowest share;
3. women's share of command posts against their share of uniformed personnel;
4. women's share of those admitted against their share of applicants;
5. women's share of the contingents deployed with the UN against the UN's target for the year.
"""
from dataclasses import dataclass

from markupsafe import Markup

from parity.reports.data import ReportData, Value
from parity.reports.figures import Numbers, visible
from parity.reports.locale import Writer

# (indicator, breakdown, breakdown value): the headline figures, in the order shown
HEADLINES = (("WSHARE_UNIFORMED", "total", "total"), ("WSHARE_OFFICERS", "total", "total"),
             ("WSHARE_COMMAND", "total", "total"), ("WSHARE_ADMITTED", "total", "total"),
             ("WSHARE_DEPLOYED", "un_role", "contingent"), ("TRAINING_COVERAGE", "total", "total"))
MOVED = 0.5  # points in a year: less is not a message
MESSAGES = 5


@dataclass(frozen=True)
class Headline:
    label: str
    value: Markup
    change_quarter: Markup
    change_year: Markup
    standing: Markup  # the rank among the region's countries, or the UN target; may be empty


def _get(data: ReportData, key: tuple[str, str, str], country: str | None = None, period: str | None = None):
    code, breakdown, value = key
    return data.get(code, country=country, period=period, breakdown=breakdown, breakdown_value=value)


def ranked(data: ReportData, key: tuple[str, str, str]) -> list[tuple[str, Value]] | None:
    """The region's countries by value, highest first; None unless every one is shown."""
    rows = [(c, _get(data, key, c)) for c in data.peers]
    if not rows or not all(visible(v) for _, v in rows):
        return None
    return sorted(rows, key=lambda cv: (-cv[1].value, cv[0]))


def _position(order: list[tuple[str, Value]], area: str) -> int:
    return [c for c, _ in order].index(area) + 1


def _rank(n: Numbers, key: tuple[str, str, str]) -> Markup:
    data, w = n.data, n.w
    v = _get(data, key)
    order = ranked(data, key) if data.area in data.peers else None
    if order is None or not visible(v):
        return Markup("")
    return w.markup("rank", rank=n.mark(v, "rank", str(_position(order, data.area))), n=len(order),
                    count=len(order))


def _contingent(data: ReportData):
    """The quarter's UN contingents: the gap row (with the year's target) and the public row."""
    gap = next((g for g in data.deployment_gaps if g.un_role == "contingent"), None)
    v = data.get("WSHARE_DEPLOYED", breakdown="un_role", breakdown_value="contingent")
    return (gap, v) if gap is not None and gap.target_percent is not None and v is not None else (None, None)


def _target(n: Numbers) -> Markup:
    gap, v = _contingent(n.data)
    if gap is None:
        return Markup("")
    return n.w.markup("un_target", target=n.mark(v, "target", n.w.percent(gap.target_percent, 0)),
                      year=n.data.period[:4])


def headlines(n: Numbers) -> list[Headline]:
    data, w = n.data, n.w
    out = []
    for key in HEADLINES:
        v = _get(data, key)
        standing = _target(n) if key[0] == "WSHARE_DEPLOYED" else _rank(n, key)
        out.append(Headline(w.text(f"headline_{key[0]}"), n.value(v), n.change(v, 1), n.change(v, 4), standing))
    return out


def _year_change(data: ReportData, key, country: str) -> float | None:
    now, before = _get(data, key, country), _get(data, key, country, data.period_back(4))
    return now.value - before.value if visible(now) and visible(before) else None


def _moved_most(n: Numbers) -> Markup | None:
    data, w = n.data, n.w
    base = data.period_back(4)
    changes = [(abs(change), key, change) for key in HEADLINES[:4]
               if (change := _year_change(data, key, data.area)) is not None and abs(change) >= MOVED]
    if not changes or base is None:
        return None
    _, key, change = max(changes, key=lambda c: (round(c[0], 1), -HEADLINES.index(c[1])))
    now, before = _get(data, key), _get(data, key, period=base)
    others = [_year_change(data, key, c) for c in data.peers]
    # "the largest in the region": every country's change is shown and none went further the same way
    largest = (data.area in data.peers and all(c is not None for c in others)
               and all(change >= c if change > 0 else change <= c for c in others))
    sentence = "message_rose" if change > 0 else "message_fell"
    said = w.markup(sentence, indicator=w.text(f"headline_{key[0]}"), before=n.value(before), now=n.value(now),
                    quarter=w.quarter(base))
    if largest:
        said += Markup(" ") + w.markup("message_largest_rise" if change > 0 else "message_largest_fall")
    return said


def _standing(n: Numbers) -> Markup | None:
    data, w = n.data, n.w
    key = HEADLINES[0]
    order = ranked(data, key)
    if order is None:
        return None
    if data.area in data.peers:
        position = _position(order, data.area)
        v = _get(data, key)
        if position in (1, len(order)):
            return w.markup("message_highest" if position == 1 else "message_lowest", area=data_area(w, data),
                            value=n.value(v))
        return w.markup("message_rank", area=data_area(w, data), value=n.value(v), rank=n.mark(v, "rank", str(position)),
                        n=len(order), count=len(order))
    (top, top_value), (bottom, bottom_value) = order[0], order[-1]
    return w.markup("message_range", highest=w.data_name(f"country.{top}"), high=n.value(top_value),
                    lowest=w.data_name(f"country.{bottom}"), low=n.value(bottom_value))


def data_area(w: Writer, data: ReportData) -> str:
    return w.data_name(f"country.{data.area}")


def _pair(n: Numbers, sentence: str, first: str, second: str) -> Markup | None:
    a, b = n.data.get(first), n.data.get(second)
    if not (visible(a) and visible(b)):
        return None
    return n.w.markup(sentence, first=n.value(a), second=n.value(b))


def _un_target(n: Numbers) -> Markup | None:
    data, w = n.data, n.w
    gap, v = _contingent(data)
    if gap is None or not visible(v):
        return None
    difference = v.value - gap.target_percent
    sentence = "message_target_met" if round(difference, 1) >= 0 else "message_target_below"
    return w.markup(sentence, value=n.value(v), target=n.mark(v, "target", w.percent(gap.target_percent, 0)),
                    year=data.period[:4], points=n.mark(v, "gap", w.number(abs(difference), 1)))


def key_messages(n: Numbers) -> list[Markup]:
    said = [_moved_most(n), _standing(n), _pair(n, "message_command", "WSHARE_COMMAND", "WSHARE_UNIFORMED"),
            _pair(n, "message_admitted", "WSHARE_ADMITTED", "WSHARE_APPLICANTS"), _un_target(n)]
    return [m for m in said if m is not None][:MESSAGES]
