"""``python -m synkinesis`` runs the ``synk`` command."""

from synkinesis.cli import main

main()
