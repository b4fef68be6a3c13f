"""Synthetic quarterly deliveries of the four MoDs, realistic in content and exact in format."""
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from parity.generate.calibration import SIMULATION_START
from parity.generate.simulate import Workforce
from parity.generate.write import write_quarter
from sources.dialect import dialect_for
from sources.period import Period


def simulate(periods: list[Period], countries: list[str], scale: float = 1.0, seed: int = 1,
             on_step: Callable[[str, Period], None] | None = None
             ) -> Iterator[tuple[str, Period, dict[str, pd.DataFrame]]]:
    """The canonical tables of each requested (country, quarter), simulated from SIMULATION_START (or
    the first period, if earlier). Only one quarter's tables are held in memory at a time."""
    start = min(Period.parse(SIMULATION_START), min(periods))
    wanted = set(periods)
    for country in countries:
        workforce = Workforce(country, scale, seed, start)
        for period in Period.range(f"{start}:{max(periods)}"):
            tables = workforce.step(period)
            if on_step:
                on_step(country, period)
            if period in wanted:
                yield country, period, tables


def generate(out_dir: Path, periods: list[Period], countries: list[str], scale: float = 1.0, seed: int = 1,
             progress: bool = True) -> list[Path]:
    """Write the requested quarters of each country in its MoD's dialect."""
    start = min(Period.parse(SIMULATION_START), min(periods))
    steps = len(Period.range(f"{start}:{max(periods)}"))
    written, rngs = [], {}
    with tqdm(total=len(countries) * steps, desc="generate", unit="quarter", disable=not progress) as bar:
        def step(country: str, period: Period) -> None:
            bar.set_postfix_str(f"{country} {period}")
            bar.update()

        for country, period, tables in simulate(periods, countries, scale, seed, on_step=step):
            rng = rngs.setdefault(country, np.random.default_rng([seed, 7, sum(map(ord, country))]))
            written.extend(write_quarter(dialect_for(country), period, tables, out_dir, rng))
    return written
