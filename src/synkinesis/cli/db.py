"""``synk db upgrade|status|backup|export|import``: the record's database."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.common import console, overwrite_option
from synkinesis.cli.store_support import (
    bad_input_exits,
    include_voided_option,
    open_record,
    record_view,
)

db_app = typer.Typer(help="The patient record's database: schema, backups, export, import.",
                     no_args_is_help=True)


def _url_text(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the schema or apply pending migrations.

    Also done automatically on first use.
    A database made by a newer synkinesis is refused, unchanged.

    Example:

        SYNK_DATABASE_URL=sqlite:////data/clinic.sqlite synk db upgrade
    """
    from synkinesis.store.db import create_store_engine, upgrade_database
    from synkinesis.store.errors import StoreError
    from synkinesis.store.settings import load_settings

    with bad_input_exits():
        try:
            settings = load_settings()
        except ValueError as error:
            raise StoreError(str(error)) from None
        engine = create_store_engine(settings.database_url)
        try:
            before, after = upgrade_database(engine)
        finally:
            engine.dispose()
    url = _url_text(settings.database_url)
    if before == after:
        console.print(f"{url}: schema already at revision {after}", highlight=False)
    else:
        console.print(f"{url}: schema upgraded from {before or 'empty'} to revision {after}",
                      highlight=False)


@db_app.command("status")
def db_status() -> None:
    """Show where the record is, its schema revision and row counts.

    Example:

        synk db status
    """
    from sqlalchemy import func, select

    from synkinesis.store.db import code_head, database_revision
    from synkinesis.store.models import Base

    with bad_input_exits():
        store = open_record()
        console.print(f"database: {_url_text(store.settings.database_url)}", highlight=False)
        console.print(f"derived files: {store.settings.data_dir}", highlight=False)
        console.print(f"schema revision {database_revision(store.engine)} (software knows "
                      f"{code_head()})", highlight=False)
        with store.reading() as session:
            for table in Base.metadata.sorted_tables:
                count = session.scalar(select(func.count()).select_from(table))
                console.print(f"  {table.name}: {count}", highlight=False)


@db_app.command("backup")
def db_backup(
    destination: Path = typer.Argument(..., help="Directory for the backup files."),
    no_files: bool = typer.Option(False, "--no-files",
                                  help="Only the database, not the derived recording files."),
) -> None:
    """Back up the database and the derived recording files.

    A consistent copy of the database (SQLite online backup, checked;
    PostgreSQL via pg_dump) and a zip of the derived recording files, named by UTC time.
    Restore by copying the .sqlite file back (pg_restore for PostgreSQL).

    Example:

        synk db backup /mnt/backups/synk
    """
    from synkinesis.store.backup import backup_database

    with bad_input_exits():
        store = open_record()
        result = backup_database(store, destination=destination, include_files=not no_files)
    console.print(f"database backed up to {result.database}", highlight=False)
    if result.files is not None:
        console.print(f"{result.file_count} derived file(s) to {result.files}", highlight=False)


@db_app.command("export")
def db_export(
    code: str = typer.Argument(None, help="Patient code (for --bundle and --fhir)."),
    include_voided: bool = include_voided_option(),
    source_paths: bool = typer.Option(False, "--source-paths",
                                      help="Keep the source videos' full paths (default: "
                                           "file name and sha256 only)."),
    bundle: Path = typer.Option(None, "--bundle", help="Write the whole patient as a JSON "
                                                       "bundle (imports back losslessly)."),
    fhir: Path = typer.Option(None, "--fhir", help="Write the patient's scores and measured "
                                                   "indices as FHIR R4 Observations (Bundle)."),
    csv: Path = typer.Option(None, "--csv", help="Write every table of the record as CSV "
                                                 "into this directory."),
    overwrite: bool = overwrite_option(),
) -> None:
    """Export a patient's JSON bundle or FHIR Observations, or every table as CSV.

    Example:

        synk db export P001 --bundle P001.json --fhir P001-fhir.json

        synk db export --csv exported/
    """
    from collections import Counter

    from synkinesis.store.errors import StoreValidationError
    from synkinesis.store.exchange import export_bundle, export_csv, fhir_bundle, write_json

    with bad_input_exits():
        if bundle is None and fhir is None and csv is None:
            raise StoreValidationError("give --bundle FILE, --fhir FILE and/or --csv DIR")
        if (bundle is not None or fhir is not None) and not code:
            raise StoreValidationError("--bundle and --fhir need the patient code")
        store = open_record()
        _check_export_outputs(store, bundle=bundle, fhir=fhir, csv=csv, overwrite=overwrite)
        with store.transaction() as session:
            record_view(session, code.upper() if code else None, "export")
            if bundle is not None:
                data = export_bundle(session, patient_code=code, include_voided=include_voided,
                                     source_paths=source_paths)
                write_json(data, bundle)
                visits = len(data["patient"]["visits"])
                console.print(f"wrote {bundle} ({code}: {visits} visit(s))", highlight=False)
            if fhir is not None:
                data = fhir_bundle(session, patient_code=code, include_voided=include_voided)
                write_json(data, fhir)
                kinds = Counter(e["resource"]["resourceType"] for e in data["entry"])
                console.print(f"wrote {fhir} ({len(data['entry'])} FHIR resource(s): "
                              + (", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
                                 or "none") + "; validated)", highlight=False)
            if csv is not None:
                paths = export_csv(session, directory=csv, include_voided=include_voided,
                                   source_paths=source_paths)
                console.print(f"wrote {len(paths)} CSV files to {csv}: "
                              + ", ".join(p.name for p in paths), highlight=False)


def _check_export_outputs(store, *, bundle: Path | None, fhir: Path | None, csv: Path | None,
                          overwrite: bool) -> None:
    """Every file the export will write, before any is written: never the database itself,
    never an existing file without --overwrite."""
    from sqlalchemy.engine import make_url

    from synkinesis.files import check_output_path
    from synkinesis.store.exchange import csv_file_names

    url = make_url(store.settings.database_url)
    database = ([Path(url.database).expanduser()]
                if url.get_backend_name() == "sqlite" and url.database not in (None, "",
                                                                                ":memory:")
                else [])
    outputs = [path for path in (bundle, fhir) if path is not None]
    if csv is not None:
        outputs += [csv / name for name in csv_file_names()]
    for path in outputs:
        if not path.is_dir():  # a folder given for a file: the writer says it cannot write it
            check_output_path(path, inputs=database, overwrite=overwrite)


@db_app.command("import")
def db_import(
    bundle: Path = typer.Argument(..., help="A patient bundle written by `synk db export "
                                            "--bundle`."),
    replace: bool = typer.Option(False, "--replace",
                                 help="Replace an existing patient with the same code."),
) -> None:
    """Import a patient bundle, all of it or nothing (one transaction).

    Every value is checked as when entered (scores re-scored by the scales library, numbers
    finite and in range); derived-file paths are never taken from the bundle: they are the
    patient's own folder of the record.

    Example:

        synk db import P001.json
    """
    from synkinesis.store.exchange import import_bundle, read_json

    with bad_input_exits():
        data = read_json(bundle)
        store = open_record()
        with store.transaction() as session:
            patient = import_bundle(session, bundle=data, replace=replace,
                                    data_dir=store.settings.data_dir)
            code, visits = patient.code, len(patient.visits)
    console.print(f"imported {code} ({visits} visit(s)) from {bundle}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
