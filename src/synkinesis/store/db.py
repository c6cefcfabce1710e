"""Engine, sessions and schema migrations of the patient record.

:func:`open_store` is the entry point: it builds the engine from the settings, refuses a
database whose schema is newer than this software, applies pending Alembic revisions (first use
creates the schema), and returns a :class:`Store` whose :meth:`Store.transaction` gives one
session per write, committed as a whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from synkinesis.store.errors import DuplicateError, SchemaError, StoreError
from synkinesis.store.settings import StoreSettings, load_settings

__all__ = [
    "MIGRATIONS_DIR",
    "Store",
    "alembic_config",
    "code_head",
    "create_store_engine",
    "database_revision",
    "open_store",
    "upgrade_database",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and its file created readable by
    the user only (0600, a new parent directory 0700).

    Raises
    ------
    StoreError
        A malformed URL or a database driver that is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"database URL {url!r} is not a SQLAlchemy URL (e.g. sqlite:////path/record.sqlite "
            "or postgresql+psycopg://user@host/db)") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        _create_private_file(Path(parsed.database).expanduser())
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as error:
        raise StoreError(
            f"cannot use database URL {parsed.render_as_string(hide_password=True)}: {error} "
            "(install the database driver, e.g. psycopg for PostgreSQL)") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _create_private_file(path: Path) -> None:
    """Create an empty SQLite database file readable by the user only (0600; its folder 0700
    when created here), so patient data is never world-readable. An existing file is left
    as it is."""
    if path.exists():
        return
    missing = [parent for parent in path.parents if not parent.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # created by another process meanwhile
        pass
    except OSError as error:
        raise StoreError(f"cannot create the database file {path}: "
                         f"{error.strerror or error}") from None


def parsed_url_text(url: str) -> str:
    """A database URL as shown to the user (password hidden)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(malformed URL)"


def _first_line(error: object) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(connection: Any) -> Any:
    """An Alembic ``Config`` for this package's migrations, bound to ``connection``.

    Built in code (no ``alembic.ini``), so an installed package needs only its revision files.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _script_directory() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None))


def code_head() -> str:
    """The newest schema revision this software knows."""
    return str(_script_directory().get_current_head())


def database_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return heads[0] if heads else None


def _check_not_newer(engine: Engine) -> str | None:
    from alembic.util.exc import CommandError

    revision = database_revision(engine)
    if revision is None:
        return None
    try:
        known = _script_directory().get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise SchemaError(
            f"the database schema (revision {revision}) is newer than this synkinesis "
            f"(knows up to revision {code_head()}); upgrade synkinesis to open it. "
            "Nothing was changed.")
    return revision


def upgrade_database(engine: Engine, *, revision: str = "head") -> tuple[str | None, str]:
    """Apply Alembic revisions up to ``revision``, in one transaction.

    Returns
    -------
    before, after : str or None, str
        Schema revision before and after.

    Raises
    ------
    SchemaError
        The database has a revision this software does not know (newer schema).
    """
    from alembic import command

    try:
        before = _check_not_newer(engine)
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
        return before, str(database_revision(engine))
    except DatabaseError as error:  # unreachable, locked, or not a database at all
        raise StoreError(f"cannot open the database {parsed_url_text(str(engine.url))}: "
                         f"{_first_line(error.orig)}") from None


@dataclass(frozen=True)
class Store:
    """An opened record: settings, engine and session factory.

    Use :meth:`transaction` for every unit of work; the repository functions in
    :mod:`synkinesis.store.repository` take its session. Every creation, change and deletion
    made through its sessions is written to the audit trail in the same transaction
    (:mod:`synkinesis.store.audit`).
    """

    settings: StoreSettings
    engine: Engine
    sessions: sessionmaker[Session]

    def __post_init__(self) -> None:
        from synkinesis.store import audit

        audit.install(self.sessions)  # every write of every session lands in the trail

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back (nothing
        written) if it raises.

        Raises
        ------
        DuplicateError
            Another writer stored a conflicting row meanwhile (a unique code or sha256).
        StoreError
            A row refers to one that does not exist, or the database is unavailable or
            locked.
        """
        try:
            with self.sessions.begin() as session:
                yield session
        except IntegrityError as error:
            reason = _first_line(error.orig)
            if "foreign key" in reason.lower():
                raise StoreError(f"refers to a row that does not exist ({reason}); nothing "
                                 "was written") from None
            raise DuplicateError(f"conflicts with a record written meanwhile ({reason}); "
                                 "nothing was written") from None
        except DatabaseError as error:
            raise StoreError(f"the database refused the change ({_first_line(error.orig)}); "
                             "nothing was written") from None

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries (rolled back at the end; nothing is written)."""
        with self.sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def open_store(
    settings: StoreSettings | None = None, *, upgrade: bool = True,
) -> Store:
    """Open the record described by ``settings`` (default: from the environment).

    Parameters
    ----------
    settings : StoreSettings, optional
    upgrade : bool
        Apply pending migrations (creates the schema on first use). With False, a database that
        is not at the newest revision is refused.

    Raises
    ------
    SchemaError
        Newer schema than this software, or (``upgrade=False``) an out-of-date one.
    StoreError
        The database cannot be reached.
    """
    settings = settings or load_settings()
    engine = create_store_engine(settings.database_url)
    try:
        if upgrade:
            upgrade_database(engine)
        else:
            revision = _check_not_newer(engine)
            if revision != code_head():
                raise SchemaError(
                    f"the database schema is at revision {revision or 'none'}, this software "
                    f"needs {code_head()}; run `synk db upgrade`")
    except DatabaseError as error:
        engine.dispose()
        raise StoreError(f"cannot open the database {parsed_url_text(settings.database_url)}: "
                         f"{_first_line(error.orig)}") from None
    except BaseException:
        engine.dispose()
        raise
    return Store(settings=settings, engine=engine,
                 sessions=sessionmaker(engine, expire_on_commit=False))
