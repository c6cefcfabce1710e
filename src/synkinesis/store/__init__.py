"""The patient record: patients, visits, recordings, scale scores, toxin, therapy, procedures.

SQLAlchemy 2 models (:mod:`.models`), repository functions with keyword-only arguments
(:mod:`.repository`), settings from the environment (:mod:`.settings`), the engine, sessions
and Alembic migrations (:mod:`.db`), recordings with their measure/analysis files
(:mod:`.recordings`), questions across visits (:mod:`.queries`), CSV / JSON bundle / FHIR
exchange (:mod:`.exchange`), backups (:mod:`.backup`) and the audit trail (:mod:`.audit`: who
viewed, created, changed, voided, amended or deleted which patient's data, and who was
denied). Entries are corrected by voiding or amending them with a reason
(:func:`.repository.void_entry`, ``amend_*``), never silently edited.

Not imported by ``import synkinesis``: importing this package loads SQLAlchemy.

Examples
--------
>>> from synkinesis.store import open_store, repository
>>> store = open_store()                                   # doctest: +SKIP
>>> with store.transaction() as session:                   # doctest: +SKIP
...     repository.create_patient(session, code="P001", affected_side="left",
...                               cause="bell_palsy", onset_date="2025-01-10")
"""

from synkinesis.store.db import Store, open_store, upgrade_database
from synkinesis.store.errors import (
    DuplicateError,
    NotFoundError,
    SchemaError,
    StoreError,
    StoreValidationError,
)
from synkinesis.store.settings import StoreSettings, load_settings

__all__ = [
    "DuplicateError",
    "NotFoundError",
    "SchemaError",
    "Store",
    "StoreError",
    "StoreSettings",
    "StoreValidationError",
    "load_settings",
    "open_store",
    "upgrade_database",
]
