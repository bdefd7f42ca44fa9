"""The ``minsheng`` command: one subcommand per job step. Each is a thin entry into ``jobs``/``models``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from jobs.common.config import ConfigError

ArgAdder = Callable[[argparse.ArgumentParser], None]
#: subcommand name → (help, function adding arguments, function running it)
_COMMANDS: dict[str, tuple[str, ArgAdder, Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help: str, args: ArgAdder | None = None):
    """Register a subcommand: decorate ``run(args) -> int``; ``args`` adds its arguments."""

    def wrap(fn):
        _COMMANDS[name] = (help, args or (lambda p: None), fn)
        return fn

    return wrap


def _register_all() -> None:
    # Imported here so that `minsheng --help` stays fast and a step's heavy imports load only when used.
    from jobs import commands  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    _register_all()
    parser = argparse.ArgumentParser(prog="minsheng", description="民声 minsheng: 12345 hotline data platform")
    parser.add_argument("--profile", help="configuration profile: local (default), test, cluster")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, add_args, _) in sorted(_COMMANDS.items()):
        add_args(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.profile:
        import os

        os.environ["MINSHENG_PROFILE"] = args.profile
    try:
        return int(_COMMANDS[args.command][2](args) or 0)
    except ConfigError as exc:
        print(f"minsheng: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    # Run through the imported module so that `python -m jobs.cli` and the `minsheng` script share one
    # command registry (the step modules register with `jobs.cli`, not with `__main__`).
    from jobs.cli import main as _main

    raise SystemExit(_main())
