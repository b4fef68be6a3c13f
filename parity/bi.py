"""indicator_values_bi: the published indicators as one flat table for dashboards.

One row per row of indicator_values_public, with every code named in the five languages (from the
translation catalogue, parity/messages/catalogue.toml: one column per language), the quarter's first
and last day, and what the observation status means. Values stay exact; rounding is presentation's.
NATO rank codes and rank bands are the same in every language and are their own label.
"""
import pandas as pd

from parity.messages import LANGUAGES, entries

TABLE = "indicator_values_bi"
# (prefix of the catalogue key, how the row's code is written in SQL, column name before _<lang>, what it names)
NAMED = [
    ("indicator.", "v.indicator_code", "indicator_name", "the indicator's name"),
    ("unit.", "v.unit", "unit_label", "the unit"),
    ("country.", "v.country_code", "country_name", "the country's (or region's) name"),
    ("breakdown.", "v.breakdown", "breakdown_label", "what the row is broken down by"),
    ("value.", "v.breakdown || '.' || v.breakdown_value", "label", "the breakdown value (a NATO rank code or "
                                                                   "band is its own label)"),
    ("obs_status.", "v.obs_status", "obs_status_meaning", "what obs_status means"),
]
SELF_NAMED = ("nato_rank", "rank_band")
DESCRIPTION = ("The published indicators (indicator_values_public) as one flat table for dashboards: every code "
               "with its name in English, Bosnian, Montenegrin, Macedonian and Serbian (columns ending _en, _bs, "
               "_cnr, _mk, _sr), the quarter's first and last day, the exact value, and what obs_status means "
               "(C and D rows have no numbers).")


def labels() -> pd.DataFrame:
    """key, and the text in each language, of the catalogue's data section."""
    rows = [{"key": key, **{lang: entry[lang] for lang in LANGUAGES}} for key, entry in entries()["data"].items()]
    return pd.DataFrame(rows, columns=["key", *LANGUAGES])


def query() -> str:
    """SQL over public.duckdb's own tables (and `bi_labels`, labels() registered)."""
    named, joins = {}, []
    for n, (prefix, code, column, _) in enumerate(NAMED):
        joins.append(f"LEFT JOIN bi_labels AS l{n} ON l{n}.key = '{prefix}' || {code}")
        texts = {lang: f"l{n}.{lang}" for lang in LANGUAGES}
        if column == "label":
            texts = {lang: f"CASE WHEN v.breakdown IN {SELF_NAMED} THEN v.breakdown_value ELSE {text} END"
                     for lang, text in texts.items()}
        named[column] = [f"{text} AS {column}_{lang}" for lang, text in texts.items()]
    return f"""
        SELECT v.indicator_code, {', '.join(named['indicator_name'])},
               v.unit, {', '.join(named['unit_label'])},
               v.country_code, {', '.join(named['country_name'])},
               v.period, p.first_day AS period_start, p.last_day AS period_end,
               v.breakdown, {', '.join(named['breakdown_label'])},
               v.breakdown_value, {', '.join(named['label'])},
               v.numerator, v.denominator, v.value,
               v.obs_status, {', '.join(named['obs_status_meaning'])}
        FROM main.indicator_values_public AS v
        JOIN main.dim_period AS p USING (period)
        {' '.join(joins)}
        ORDER BY v.indicator_code, v.country_code, v.period, v.breakdown, v.breakdown_value"""


def column_descriptions() -> dict[str, str]:
    described = {
        "indicator_code": "Indicator code (dim_indicator).", "unit": "percent, per_1000 or count.",
        "country_code": "BIH, MKD, MNE, SRB, or WB4 (the region).", "period": "Quarter, e.g. 2024Q3.",
        "period_start": "The quarter's first day.", "period_end": "The quarter's last day.",
        "breakdown": "total, sex, service, nato_rank, rank_band, channel, organization, role, un_role or type.",
        "breakdown_value": "total, or the breakdown's code.",
        "numerator": "The count the indicator defines; NULL on a C or D row.",
        "denominator": "The count it is divided by; NULL for unit count, and on a C or D row.",
        "value": "Exact: 100 x numerator / denominator (percent), 1000 x (per_1000), the count (count); NULL where "
                 "the denominator is 0, and on a C or D row. Round it when presenting it.",
        "obs_status": "A shown; C confidential (too few persons on one side of the ratio); D withheld to protect a "
                      "confidential row.",
    }
    for _, _, column, what in NAMED:
        for lang, name in LANGUAGES.items():
            described[f"{column}_{lang}"] = f"{what[0].upper()}{what[1:]}, in {name} ({lang})."
    return described
