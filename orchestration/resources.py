"""Resources: where parity's data lives, from the environment unless configured."""
import dataclasses
from pathlib import Path

import dagster as dg

from parity.config import Settings
from parity.private import owner_only


class ParityResource(dg.ConfigurableResource):
    """$PARITY_HOME and the other settings of parity/config.py; `home` overrides PARITY_HOME."""
    home: str = ""

    def settings(self) -> Settings:
        owner_only()  # what the runs write under $PARITY_HOME is the service owner's only
        settings = Settings.from_env()
        if self.home:
            settings = dataclasses.replace(settings, home=Path(self.home).resolve())
        return settings
