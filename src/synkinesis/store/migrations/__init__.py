"""Alembic migrations of the patient record (the only way the schema is created or changed).

Run through :func:`synkinesis.store.db.upgrade_database` (``synk db upgrade``); configured in
code, so no ``alembic.ini`` is needed. To write a new revision in a checkout::

    python -m synkinesis.store.migrations revision --rev-id 0005 -m "what changes and why"

then write its ``upgrade()`` by hand (no autogenerate: revisions stay reviewable, data
migrations included) and update :mod:`synkinesis.store.models` to match; a test compares the
models with the newest revision.
"""
