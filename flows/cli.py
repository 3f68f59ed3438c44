"""Entry point of the `wirecrawl` console script."""

from __future__ import annotations

import importlib
import pkgutil

import flows.commands
from flows.app import app


def _load_commands() -> None:
    # Each module in flows/commands registers its commands on `app`.
    for mod in pkgutil.iter_modules(flows.commands.__path__):
        importlib.import_module(f"flows.commands.{mod.name}")


def main() -> None:
    _load_commands()
    app()


if __name__ == "__main__":
    main()
