"""Synthetic quarterly deliveries of the four MoDs, realistic in content and exact in format."""
from pathlib import Path

import numpy as np
from tqdm import tqdm

from parity.generate.calibration import SIMULATION_START
from parity.generate.simulate import Workforce
from parity.generate.write import write_quarter
from sources.dialect import dialect_for
from sources.period import Period


def generate(out_dir: Path, periods: list[Period], countries: list[str], scale: float = 1.0, seed: int = 1,
             progress: bool = True) -> list[Path]:
    """Simulate each country from SIMULATION_START (or the first period, if earlier) and write the
    requested quarters. Only one quarter's tables are held in memory at a time."""
    start = min(Period.parse(SIMULATION_START), min(periods))
    wanted = set(periods)
    steps = Period.range(f"{start}:{max(periods)}")
    written = []
    with tqdm(total=len(countries) * len(steps), desc="generate", unit="quarter", disable=not progress) as bar:
        for country in countries:
            dialect = dialect_for(country)
            workforce = Workforce(country, scale, seed, start)
            rng = np.random.default_rng([seed, 7, sum(map(ord, country))])
            for period in steps:
                bar.set_postfix_str(f"{country} {period}")
                tables = workforce.step(period)
                if period in wanted:
                    written.extend(write_quarter(dialect, period, tables, out_dir, rng))
                bar.update()
    return written
