"""Resources: where parity's data lives, from the environment unless configured."""
import dataclasses
from pathlib import Path

import dagster as dg

from parity.clock import Clock
from parity.config import Settings
from parity.private import owner_only


class ParityResource(dg.ConfigurableResource):
    """$PARITY_HOME and the other settings of parity/config.py; `home` and `inbox` override PARITY_HOME
    and PARITY_INBOX (`parity load --inbox` passes its folder this way, as run config)."""
    home: str = ""
    inbox: str = ""
    clock: str = ""  # a set clock (Clock.encoded): only `parity demo` and tests pass one (parity/clock.py)

    def settings(self) -> Settings:
        owner_only()  # what the runs write under $PARITY_HOME is the service owner's only
        settings = Settings.from_env()
        if self.home:
            settings = dataclasses.replace(settings, home=Path(self.home).resolve())
        if self.inbox:
            settings = dataclasses.replace(settings, inbox_dir=Path(self.inbox).resolve())
        if self.clock:
            settings = dataclasses.replace(settings, clock=Clock.decoded(self.clock))
        return settings


def parity_run_config(settings: Settings) -> dict:
    """Run config that gives a run these settings' home, inbox and clock, whatever its environment says."""
    config = {"home": str(settings.home), "inbox": str(settings.inbox)}
    if settings.clock.is_set:
        config["clock"] = settings.clock.encoded()
    return {"resources": {"parity": {"config": config}}}
