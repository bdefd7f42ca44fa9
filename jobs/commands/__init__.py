"""Subcommands of ``minsheng``: one module per step, each registering with ``jobs.cli.command``.

Every module in this package is imported by ``jobs.cli`` (so a new step only adds a file here).
"""

import importlib
import pkgutil

for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_mod.name}")
