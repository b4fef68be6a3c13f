"""Secondary suppression against an attacker of its own (tests/attacker.py): generated data at scale
0.05, ten quarters, three seeds, with a correction between two releases. No confidential count comes
back, or is narrowed below the protection rule, from both releases together; the shown rows are the
true ones; and the attacker does recover counts when only primary suppression is applied."""
import functools

import numpy as np
import pandas as pd
import pytest

from parity.generate import simulate
from parity.suppression import audit, decide
from parity.suppression.secondary import primary
from sources.period import Period

from attacker import attack
from reference_indicators import BANDS, KEY, reference_indicators

COUNTRIES = ["BIH", "MKD", "MNE", "SRB"]
REGIONS = {"WB4": COUNTRIES}
THRESHOLD, WIDTH = 2, 3
QUARTERS = Period.range("2022Q3:2024Q4")


@functools.cache
def deliveries(seed: int) -> dict:
    return {(c, str(p)): tables for c, p, tables in simulate(QUARTERS, COUNTRIES, scale=0.05, seed=seed)}


def corrected(data: dict, seed: int) -> dict:
    """A ministry corrects an earlier quarter: three persons' sex and two persons gone."""
    rng = np.random.default_rng(seed)
    country, period = COUNTRIES[seed % 4], str(QUARTERS[4])
    tables = dict(data[(country, period)])
    people = tables["personnel"].copy()
    flip = rng.choice(len(people), 3, replace=False)
    people.loc[people.index[flip], "sex"] = people.loc[people.index[flip], "sex"].map({"F": "M", "M": "F"})
    tables["personnel"] = people.drop(people.index[rng.choice(len(people), 2, replace=False)])
    return {**data, (country, period): tables}


def published(truth: pd.DataFrame, statuses: pd.DataFrame) -> pd.DataFrame:
    frame = truth.merge(statuses, on=KEY)
    hidden = frame["obs_status"] != "A"
    return frame.assign(**{c: frame[c].where(~hidden) for c in ("numerator", "denominator", "value")})


def history(truth: pd.DataFrame, statuses: pd.DataFrame, release: int) -> pd.DataFrame:
    return truth.merge(statuses, on=KEY).assign(first_release_id=release, last_release_id=None)


@functools.cache
def two_releases(seed: int):
    """Release 1: nine quarters; release 2: the tenth and a correction of the fifth."""
    data = deliveries(seed)
    first = reference_indicators({k: v for k, v in data.items() if k[1] != str(QUARTERS[-1])})
    first_statuses, _ = decide(first, None, REGIONS, BANDS, THRESHOLD, WIDTH)
    earlier = history(first, first_statuses, 1)
    second = reference_indicators(corrected(data, seed))
    changed = second.merge(first, on=KEY, how="left", suffixes=("", "_1"))
    assert (changed["numerator"] != changed["numerator_1"]).sum() > 0  # the correction shows
    # as a load decides it: the first release was audited under the same rule, so only what is tied to the
    # new quarter and the correction is audited again (the attacker below audits everything)
    second_statuses, _ = decide(second, earlier, REGIONS, BANDS, THRESHOLD, WIDTH, incremental=True)
    return (first, first_statuses), (second, second_statuses), earlier


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_confidential_count_recoverable_from_every_release(seed):
    (first, first_statuses), (second, second_statuses), earlier = two_releases(seed)
    releases = [(published(first, first_statuses), first), (published(second, second_statuses), second)]
    findings = attack(releases, BANDS, COUNTRIES, THRESHOLD, WIDTH)
    assert findings == [], findings[:5]
    for truth, statuses in ((first, first_statuses), (second, second_statuses)):
        shown = published(truth, statuses)
        visible = shown[shown["obs_status"] == "A"]
        assert (visible["numerator"] == truth.set_index(KEY).loc[visible.set_index(KEY).index, "numerator"].values).all()
        assert (statuses["obs_status"] == "C").sum() == primary(truth, THRESHOLD).count("C")
        assert (statuses["obs_status"] == "D").sum() > 0
    if seed == 1:  # parity's own audit agrees on the second release, with the first behind it
        assert audit(second_statuses, second, earlier, REGIONS, BANDS, THRESHOLD, WIDTH) == []


def test_primary_suppression_alone_gives_counts_back():
    """The attacker has teeth: with only the small rows withheld, it recovers confidential counts exactly,
    and parity's audit says so too."""
    truth = reference_indicators({k: v for k, v in deliveries(1).items()})
    statuses = truth[KEY].assign(obs_status=primary(truth, THRESHOLD))
    findings = attack([(published(truth, statuses), truth)], BANDS, COUNTRIES, THRESHOLD, WIDTH)
    exact = [f for f in findings if f.low == f.high == f.truth]
    assert len(exact) > 50, len(exact)
    exposed = audit(statuses, truth, None, REGIONS, BANDS, THRESHOLD, WIDTH)
    assert {(e.key, e.count == "numerator") for e in exposed} >= {(f.key, f.count == "w") for f in exact}


def test_showing_one_withheld_row_fails_the_audit():
    (_, _), (second, statuses), earlier = two_releases(1)
    for i in statuses.index[statuses["obs_status"] == "D"][:5]:
        leaky = statuses.copy()
        leaky.loc[i, "obs_status"] = "A"
        if audit(leaky, second, earlier, REGIONS, BANDS, THRESHOLD, WIDTH):
            return
    pytest.fail("no withheld row was needed")
