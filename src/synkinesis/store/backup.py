"""Backups of the record: a consistent copy of the database plus the derived files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from synkinesis.files import make_private_dir
from synkinesis.store.db import Store
from synkinesis.store.errors import StoreError

__all__ = ["BackupResult", "backup_database"]


@dataclass(frozen=True)
class BackupResult:
    """Files written by :func:`backup_database`."""

    database: Path
    files: Path | None
    file_count: int


def backup_database(
    store: Store, *, destination: Path, include_files: bool = True, now: datetime | None = None,
) -> BackupResult:
    """Back up the database into ``destination`` (a directory), named by UTC time.

    SQLite uses the online backup API (consistent while others read or write) and checks the
    copy with ``PRAGMA integrity_check``; PostgreSQL runs ``pg_dump --format=custom``. With
    ``include_files`` the derived recording files are zipped beside it.

    Restore: copy the ``.sqlite`` file back to the database path (or ``pg_restore`` the dump),
    and unzip the recordings archive into the data directory.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    destination = Path(destination)
    try:
        if not destination.exists():
            make_private_dir(destination)  # 0700 whatever the umask: backups hold patient data
        elif not destination.is_dir():
            raise StoreError(f"backup destination {destination} exists and is not a directory")
    except OSError as error:
        raise StoreError(f"cannot create the backup directory {destination}: "
                         f"{error.strerror or error}") from None
    url = make_url(store.settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise StoreError("an in-memory database cannot be backed up")
        database = destination / f"synkinesis-{stamp}.sqlite"
        partial = database.with_suffix(".sqlite.part")
        _create_private(partial)
        source = sqlite3.connect(str(Path(url.database).expanduser()))
        target = sqlite3.connect(str(partial))
        try:
            with target:
                source.backup(target)
            check = target.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            target.close()
            source.close()
        if check != "ok":
            partial.unlink(missing_ok=True)
            raise StoreError(f"the backup copy failed its integrity check: {check}")
        os.replace(partial, database)
    elif url.get_backend_name() == "postgresql":
        if shutil.which("pg_dump") is None:
            raise StoreError("pg_dump is not installed; install the PostgreSQL client tools "
                             "to back up a PostgreSQL record")
        database = destination / f"synkinesis-{stamp}.pgdump"
        _create_private(database)
        plain = url.set(drivername="postgresql")
        env = dict(os.environ)
        if plain.password is not None:
            env["PGPASSWORD"] = str(plain.password)
        done = subprocess.run(
            ["pg_dump", "--format=custom", f"--file={database}",
             plain.set(password=None).render_as_string(hide_password=False)],
            env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            database.unlink(missing_ok=True)
            raise StoreError(f"pg_dump failed: {done.stderr.strip().splitlines()[-1:]}")
    else:
        raise StoreError(f"backups of {url.get_backend_name()} databases are not supported")
    archive, count = None, 0
    data_dir = store.settings.data_dir
    if include_files and data_dir.is_dir():
        from synkinesis.files import atomic_output

        archive = destination / f"synkinesis-{stamp}-recordings.zip"
        with atomic_output(archive) as temporary, zipfile.ZipFile(
                temporary, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as bundle:
            for path in sorted(data_dir.rglob("*")):
                if path.is_file() and not path.name.endswith(".part"):
                    bundle.write(path, path.relative_to(data_dir).as_posix())
                    count += 1
    return BackupResult(database, archive, count)


def _create_private(path: Path) -> None:
    """Create ``path`` empty and readable by the user only (0600) before a tool writes it:
    backups hold patient data. Refuses to overwrite an existing file."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise StoreError(f"{path} already exists; nothing was overwritten") from None
    except OSError as error:
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
