"""Resources: where parity's data lives, from the environment unless configured."""
import dataclasses
from pathlib import Path

import dagster as dg

from parity.config import Settings


class ParityResource(dg.ConfigurableResource):
    """$PARITY_HOME and the other settings of parity/config.py; `home` overrides PARITY_HOME."""
    home: str = ""

    def settings(self) -> Settings:
        settings = Settings.from_env()
        if self.home:
            settings = dataclasses.replace(settings, home=Path(self.home).resolve())
        return settings
