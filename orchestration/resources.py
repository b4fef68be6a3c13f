"""Resources: where parity's data lives, from the environment unless configured."""
import dataclasses
from pathlib import Path

import dagster as dg

from parity.config import Settings
from parity.private import owner_only


class ParityResource(dg.ConfigurableResource):
    """$PARITY_HOME and the other settings of parity/config.py; `home` and `inbox` override PARITY_HOME
    and PARITY_INBOX (`parity load --inbox` passes its folder this way, as run config)."""
    home: str = ""
    inbox: str = ""

    def settings(self) -> Settings:
        owner_only()  # what the runs write under $PARITY_HOME is the service owner's only
        settings = Settings.from_env()
        if self.home:
            settings = dataclasses.replace(settings, home=Path(self.home).resolve())
        if self.inbox:
            settings = dataclasses.replace(settings, inbox_dir=Path(self.inbox).resolve())
        return settings


def parity_run_config(settings: Settings) -> dict:
    """Run config that gives a run these settings' home and inbox, whatever its environment says."""
    return {"resources": {"parity": {"config": {"home": str(settings.home), "inbox": str(settings.inbox)}}}}
