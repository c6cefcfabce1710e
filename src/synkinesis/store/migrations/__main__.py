"""Developer entry point: ``python -m synkinesis.store.migrations revision -m MESSAGE``.

Creates a new revision file from ``script.py.mako`` (present in a source checkout; installed
packages only need the revision files themselves)."""

from __future__ import annotations

import sys

from alembic.config import CommandLine

from synkinesis.store.db import alembic_config


def main(argv: list[str] | None = None) -> None:
    """Run an Alembic command against this package's migrations."""
    cli = CommandLine(prog="python -m synkinesis.store.migrations")
    options = cli.parser.parse_args(argv if argv is not None else sys.argv[1:])
    cli.run_cmd(alembic_config(None), options)


if __name__ == "__main__":
    main()
