"""Exchange formats of the record: CSV per table, whole-patient JSON bundles, FHIR R4.

Patient bundle, format ``synkinesis.patient_bundle``, version history:

- 1: first version (schema revision 0002): the patient row and every row that belongs to it,
  nested (visits -> recordings -> measured indices, visits -> scale scores, toxin sessions ->
  injections, therapy sessions, procedures), every column kept, ids included.
- 2: schema revision 0003: ``voided_at`` / ``void_reason`` on visits, scores, toxin and
  therapy sessions and procedures (voided entries only when exported with
  ``include_voided``); paths are file names only: a recording's source video by name and
  sha256 (its full path only with ``source_paths``), derived files by name. Version 1 bundles
  still import (no voided entries).

A bundle imports back into any record (SQLite or PostgreSQL) with the same ids and values, in
one transaction. Derived files are referenced by name and sha256, not embedded; on import
their paths are always the importing record's own folder of the patient
(``data_dir/<CODE>/<name>``), never a path from the bundle, so a bundle cannot make the record
manage (and a patient deletion remove) another patient's files.

Imports are checked before anything is written: nesting depth and size are bounded before
parsing (:func:`read_json`), every number must be finite and in range, every row passes the
validators of the ``create_*``/``add_*`` functions, and every scale score is re-scored by
:mod:`synkinesis.scales` and must agree with what the bundle says.

FHIR: scale scores and measured indices become R4 ``Observation`` resources, toxin injections
``MedicationAdministration`` and therapy sessions and procedures ``Procedure`` resources, in a
``collection`` Bundle, validated with fhir.resources (its R4B models: every element used here
is unchanged between R4 4.0.1 and R4B).

Why one file of over 500 lines: three exchange formats (CSV, bundle, FHIR) share the row walk
(:data:`_CHILDREN`, the parent keys) and the import checks; splitting by format would move
that shared walk into a fourth module all three import.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, Float, Integer, String, Text, func, select
from sqlalchemy.orm import Session

from synkinesis import __version__
from synkinesis.files import make_private_dir
from synkinesis.store.errors import DuplicateError, StoreValidationError, writing
from synkinesis.store.models import (
    AuditEvent,
    Base,
    Injection,
    MeasuredIndex,
    Patient,
    Procedure,
    RecordingRow,
    ScaleScore,
    TherapySession,
    ToxinSession,
    UTCDateTime,
    Visit,
    WebAccount,
)
from synkinesis.store.repository import get_patient, visit_reference

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "export_bundle",
    "csv_file_names",
    "csv_tables",
    "export_csv",
    "scale_item_rows",
    "fhir_bundle",
    "import_bundle",
    "read_json",
    "write_json",
]

BUNDLE_FORMAT = "synkinesis.patient_bundle"
#: 2: voided entries (``voided_at``, ``void_reason``); 3: a measured index's interval
#: (``low``, ``high``, ``level``; read as none from older bundles).
BUNDLE_VERSION = 3

#: Limits of an imported JSON file: its size, how deep it nests, how many values it holds.
#: A real bundle nests about 10 deep; deeper input is refused before it is parsed (Python's
#: parser would fail with a RecursionError).
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_JSON_VALUES = 20_000_000
#: Largest magnitude of a measured index (mm, %, ratios: anything larger is not a measurement).
MAX_INDEX_MAGNITUDE = 1e6
_VOID_COLUMNS = ("voided_at", "void_reason")
_INTERVAL_COLUMNS = ("low", "high", "level")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")

# model -> (its children collections, their model), in nesting order
_CHILDREN: dict[type[Base], tuple[tuple[str, type[Base]], ...]] = {
    Patient: (("visits", Visit), ("toxin_sessions", ToxinSession),
              ("therapy_sessions", TherapySession), ("procedures", Procedure)),
    Visit: (("recordings", RecordingRow), ("scores", ScaleScore)),
    RecordingRow: (("indices", MeasuredIndex),),
    ToxinSession: (("injections", Injection),),
}
# foreign keys implied by nesting (restored from the parent on import)
_PARENT_KEY: dict[type[Base], str] = {
    Visit: "patient_id", ToxinSession: "patient_id", TherapySession: "patient_id",
    Procedure: "patient_id", RecordingRow: "visit_id", ScaleScore: "visit_id",
    MeasuredIndex: "recording_id", Injection: "session_id"}


# -------------------------------------------------------------------------------------------
# rows <-> JSON


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _path_name(path: str | None) -> str | None:
    return None if path is None else Path(str(path)).name


def _row(obj: Base, *, include_voided: bool = False, source_paths: bool = False
         ) -> dict[str, Any]:
    mapper = obj.__mapper__
    row = {column.key: _json_value(getattr(obj, column.key)) for column in mapper.column_attrs}
    row.pop(_PARENT_KEY.get(type(obj), ""), None)
    if isinstance(obj, RecordingRow):
        row["measurement_path"] = _path_name(obj.measurement_path)
        row["analysis_path"] = _path_name(obj.analysis_path)
        if not source_paths:
            row["video_path"] = _path_name(obj.video_path)
    for name, _ in _CHILDREN.get(type(obj), ()):
        row[name] = [_row(child, include_voided=include_voided, source_paths=source_paths)
                     for child in getattr(obj, name)
                     if include_voided or getattr(child, "voided_at", None) is None]
    return row


def _from_row(model: type[Base], row: Any, where: str, *, version: int = BUNDLE_VERSION) -> Any:
    if not isinstance(row, Mapping):
        raise StoreValidationError(f"bundle {where}: expected an object, got "
                                   f"{type(row).__name__}")
    values: dict[str, Any] = {}
    columns = {attr.key: attr.columns[0] for attr in model.__mapper__.column_attrs}
    expected = set(columns) - {_PARENT_KEY.get(model, "")}
    children = dict(_CHILDREN.get(model, ()))
    unknown = set(row) - expected - set(children)
    missing = expected - set(row)
    if version < 2:  # version 1 knew no voided entries
        missing -= set(_VOID_COLUMNS)
        row = {"voided_at": None, "void_reason": "", **row} if "voided_at" in columns else row
    if version < 3 and model is MeasuredIndex:  # version 2 stored no interval
        missing -= set(_INTERVAL_COLUMNS)
        row = {**dict.fromkeys(_INTERVAL_COLUMNS), **row}
    if unknown or missing:
        raise StoreValidationError(
            f"bundle {where}: " + "; ".join(filter(None, [
                f"unknown fields {sorted(unknown)}" if unknown else "",
                f"missing fields {sorted(missing)}" if missing else ""])))
    for key in expected:
        value, column = row[key], columns[key]
        try:
            if value is not None and isinstance(column.type, UTCDateTime):
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError("no UTC offset")
            elif value is not None and isinstance(column.type, Date):
                value = date.fromisoformat(value)
        except (TypeError, ValueError) as error:
            raise StoreValidationError(f"bundle {where}.{key}: not a valid date/time "
                                       f"{value!r} ({error})") from None
        _check_type(value, column, f"{where}.{key}")
        values[key] = value
    obj = model(**values)
    for name, child_model in children.items():
        items = row[name]
        if not isinstance(items, list):
            raise StoreValidationError(f"bundle {where}.{name}: expected a list")
        setattr(obj, name, [_from_row(child_model, item, f"{where}.{name}[{i}]",
                                      version=version)
                            for i, item in enumerate(items)])
    return obj


def _check_type(value: Any, column: Any, where: str) -> None:
    """A bundle value of the column's kind (a number where a number goes, text no longer than
    the column...), before any validator or the database sees it."""
    if value is None:
        if not column.nullable and not column.primary_key:
            raise StoreValidationError(f"bundle {where}: must not be null")
        return
    kind = column.type
    if isinstance(kind, Boolean):
        ok, expected = isinstance(value, bool), "true or false"
    elif isinstance(kind, Integer):
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31
        expected = "a whole number"
    elif isinstance(kind, Float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
            value)
        expected = "a finite number"
    elif isinstance(kind, String | Text):
        limit = getattr(kind, "length", None)
        ok = isinstance(value, str) and (limit is None or len(value) <= limit)
        expected = "text" + (f" of at most {limit} characters" if limit else "")
    else:
        return
    if not ok:
        raise StoreValidationError(f"bundle {where}: expected {expected}, got "
                                   f"{str(value)[:80]!r}")


def export_bundle(session: Session, *, patient_code: str, include_voided: bool = False,
                  source_paths: bool = False) -> dict[str, Any]:
    """A whole patient as a JSON-ready dict (format ``synkinesis.patient_bundle``).

    Parameters
    ----------
    include_voided : bool
        Also the voided entries (with when and why); by default they are left out.
    source_paths : bool
        Keep the full path of each recording's source video; by default only its file name
        (with the sha256 that identifies it). Derived files are always named, never pathed.
    """
    from synkinesis.store.db import code_head

    patient = get_patient(session, code=patient_code)
    return {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "software": f"synkinesis {__version__}",
        "schema_revision": code_head(),
        "exported_at": datetime.now(UTC).isoformat(),
        "patient": _row(patient, include_voided=include_voided, source_paths=source_paths),
    }


def check_json_shape(data: Any, *, what: str = "bundle") -> None:
    """Refuse data nested deeper than :data:`MAX_JSON_DEPTH`, holding more than
    :data:`MAX_JSON_VALUES` values, or a number that is not finite (walked iteratively: no
    recursion however deep the input).

    Raises
    ------
    StoreValidationError
    """
    stack: list[tuple[Any, int, str]] = [(data, 1, what)]
    count = 0
    while stack:
        value, depth, where = stack.pop()
        count += 1
        if count > MAX_JSON_VALUES:
            raise StoreValidationError(f"{what} holds more than {MAX_JSON_VALUES} values; "
                                       "refused")
        if isinstance(value, float) and not math.isfinite(value):
            raise StoreValidationError(f"{where}: numbers must be finite, got {value!r}")
        if isinstance(value, Mapping | list | tuple):
            if depth > MAX_JSON_DEPTH:
                raise StoreValidationError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels "
                                           f"(at {where}); refused")
            items = value.items() if isinstance(value, Mapping) else enumerate(value)
            for key, child in items:
                if isinstance(child, Mapping | list | tuple | float):
                    stack.append((child, depth + 1, f"{where}.{key}" if isinstance(
                        value, Mapping) else f"{where}[{key}]"))
                else:
                    count += 1


def _rescore(score: ScaleScore) -> None:
    """Re-score a bundle's scale score through :mod:`synkinesis.scales` (the validation of
    ``synk visit score``): its items must be valid and its total, grade, instrument and rater
    must be what they give. With the same instrument version the re-scored result is stored
    (so no derived field can be forged); a result of another instrument version is kept as it
    was scored, once its total and grade agree."""
    from synkinesis.scales import ScaleValidationError, result_from_dict, result_to_dict
    from synkinesis.scales import score as score_form

    stored = score.result
    result_from_dict(stored)  # the structure of a scale result
    provenance = stored.get("provenance") or {}
    items = {key: (stored.get("choices") or {}).get(key, value)
             for key, value in (stored.get("items") or {}).items()}
    rescored = score_form(stored["instrument"], items, rater=provenance.get("rater"),
                          rated_at=score.rated_at, rater_name=provenance.get("rater_name"),
                          visit_id=provenance.get("visit_id"),
                          evidence=provenance.get("evidence") or None,
                          options=stored.get("options") or None, draft=bool(stored.get("draft")))
    grade = None if rescored.grade is None else rescored.grade.name
    stored_grade = (stored.get("grade") or {}).get("name")
    claims = {"instrument": (score.instrument, rescored.instrument),
              "rater": (score.rater, rescored.provenance.rater.value),
              "total": (score.total, rescored.total),
              "result total": (stored.get("total"), rescored.total),
              "grade": (stored_grade, grade)}
    for name, (claimed, computed) in claims.items():
        if claimed != computed and not (
                isinstance(claimed, int | float) and isinstance(computed, int | float)
                and abs(float(claimed) - float(computed)) <= 1e-9 * max(1.0, abs(computed))):
            raise ScaleValidationError(f"{name} {claimed!r} is not what the items give "
                                       f"({computed!r})")
    if stored.get("instrument_version") == rescored.instrument_version:
        canonical = result_to_dict(rescored)
        canonical["software"] = stored.get("software", canonical["software"])
        score.result = canonical
    score.instrument_version = str(stored.get("instrument_version"))
    score.draft = rescored.draft
    score.total = None if rescored.total is None else float(rescored.total)


def _derived_path(name: Any, *, where: str, directory: Path | None) -> str | None:
    """A derived file's path on import: its name only, in the patient's own folder."""
    if name is None:
        return None
    base = Path(str(name)).name
    if not _FILE_NAME.match(base) or base.strip(".") == "":
        raise StoreValidationError(f"bundle {where}: a derived file name must be a plain file "
                                   f"name, got {name!r}")
    return str(directory / base) if directory is not None else base


def _validate(patient: Patient, *, today: date | None, data_dir: Path | None = None) -> None:
    """Check every row of an imported patient with the validators that guard the
    ``create_*``/``add_*`` functions of :mod:`synkinesis.store.repository` (one
    implementation), and put their canonical values in place.

    Raises
    ------
    StoreValidationError
        The first invalid value, with where it is in the bundle.
    """
    from synkinesis.scales import ScaleValidationError
    from synkinesis.store import repository as repo

    def checked(where: str, check: Any, **values: Any) -> Any:
        try:
            return check(**values)
        except (StoreValidationError, ScaleValidationError) as error:
            raise StoreValidationError(f"bundle {where}: {error}") from None
        except (TypeError, ValueError, AttributeError) as error:
            raise StoreValidationError(f"bundle {where}: invalid value ({error})") from None

    def assign(obj: Any, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            setattr(obj, key, value)

    assign(patient, checked("patient", repo.check_patient_values, code=patient.code,
                            affected_side=patient.affected_side, cause=patient.cause,
                            onset_date=patient.onset_date, notes=patient.notes, today=today))
    directory = None
    if data_dir is not None:
        from synkinesis.store.recordings import patient_directory

        directory = patient_directory(data_dir, patient.code)
    for i, visit in enumerate(patient.visits):
        where = f"patient.visits[{i}]"
        assign(visit, checked(where, repo.check_visit_values, patient=patient,
                              visit_date=visit.visit_date, label=visit.label,
                              clinician=visit.clinician, notes=visit.notes, today=today))
        for j, recording in enumerate(visit.recordings):
            at = f"{where}.recordings[{j}]"
            for key in ("sha256", "measurement_sha256", "analysis_sha256"):
                digest = getattr(recording, key)
                if (digest is not None or key == "sha256") and (
                        not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest)):
                    raise StoreValidationError(f"bundle {at}: {key} must be 64 lowercase hex "
                                               f"digits, got {digest!r}")
            recording.video_path = checked(f"{at}.video_path", repo._text,
                                           value=recording.video_path, what="video path",
                                           limit=4096)
            for key in ("measurement_path", "analysis_path"):
                setattr(recording, key, _derived_path(getattr(recording, key),
                                                      where=f"{at}.{key}", directory=directory))
            if not isinstance(recording.summary, Mapping):
                raise StoreValidationError(f"bundle {at}.summary: expected an object")
            for k, index in enumerate(recording.indices):
                value = index.value
                if isinstance(value, bool) or not isinstance(value, int | float) or not (
                        math.isfinite(value) and abs(value) <= MAX_INDEX_MAGNITUDE):
                    raise StoreValidationError(
                        f"bundle {at}.indices[{k}]: value of {index.name!r} must be a finite "
                        f"number within +-{MAX_INDEX_MAGNITUDE:g}, got {value!r}")
                for key in ("name", "unit", "source"):
                    if not isinstance(getattr(index, key), str):
                        raise StoreValidationError(f"bundle {at}.indices[{k}].{key}: expected "
                                                   "text")
        for j, score in enumerate(visit.scores):
            checked(f"{where}.scores[{j}]", _rescore, score=score)
    visit_ids = {visit.id for visit in patient.visits}
    recording_ids = {r.id for visit in patient.visits for r in visit.recordings}
    for i, visit in enumerate(patient.visits):
        for j, score in enumerate(visit.scores):
            if score.recording_id is not None and score.recording_id not in recording_ids:
                raise StoreValidationError(
                    f"bundle patient.visits[{i}].scores[{j}]: recording_id "
                    f"{score.recording_id!r} is not a recording of this bundle")
    for name in ("toxin_sessions", "therapy_sessions", "procedures"):
        for i, row in enumerate(getattr(patient, name)):
            if row.visit_id is not None and row.visit_id not in visit_ids:
                raise StoreValidationError(f"bundle patient.{name}[{i}]: visit_id "
                                           f"{row.visit_id!r} is not a visit of this bundle")
    for i, toxin in enumerate(patient.toxin_sessions):
        where = f"patient.toxin_sessions[{i}]"
        specs = [repo.InjectionSpec(x.muscle, x.side, x.units, x.points)
                 for x in toxin.injections]
        values, canonical, _notes = checked(
            where, repo.check_toxin_values, patient=patient, session_date=toxin.session_date,
            product=toxin.product, injections=specs, settings=None, dilution=toxin.dilution,
            clinician=toxin.clinician, notes=toxin.notes, today=today)
        assign(toxin, values)
        for injection, spec in zip(toxin.injections, canonical, strict=True):
            injection.muscle, injection.side = spec.muscle, spec.side
    for i, therapy in enumerate(patient.therapy_sessions):
        assign(therapy, checked(
            f"patient.therapy_sessions[{i}]", repo.check_therapy_values, patient=patient,
            session_date=therapy.session_date, minutes=therapy.minutes,
            exercises=therapy.exercises or [], biofeedback=therapy.biofeedback,
            therapist=therapy.therapist, notes=therapy.notes, today=today))
    for entry in [*patient.visits, *(s for v in patient.visits for s in v.scores),
                  *patient.toxin_sessions, *patient.therapy_sessions, *patient.procedures]:
        if entry.voided_at is None:
            entry.void_reason = ""
        elif not isinstance(entry.void_reason, str) or not entry.void_reason.strip():
            raise StoreValidationError(f"bundle: voided {entry.__tablename__} row {entry.id} "
                                       "needs its void_reason")
        else:
            entry.void_reason = checked(f"{entry.__tablename__} {entry.id}", repo._text,
                                        value=entry.void_reason, what="void reason",
                                        limit=2000)
    for i, procedure in enumerate(patient.procedures):
        where = f"patient.procedures[{i}]"
        assign(procedure, checked(
            where, repo.check_procedure_values, patient=patient, kind=procedure.kind,
            target=procedure.target, side=procedure.side,
            procedure_date=procedure.procedure_date, agent=procedure.agent,
            prediction=procedure.prediction, prediction_values=procedure.prediction_values,
            clinician=procedure.clinician, notes=procedure.notes, today=today))
        if procedure.outcome_date is not None:
            assign(procedure, checked(
                where, repo.check_outcome_values, procedure=procedure,
                outcome=procedure.outcome, outcome_values=procedure.outcome_values,
                outcome_date=procedure.outcome_date, today=today))


def import_bundle(
    session: Session, *, bundle: Mapping[str, Any], replace: bool = False,
    today: date | None = None, data_dir: Path | None = None,
) -> Patient:
    """Add the patient of a bundle with all its rows (ids kept), in the caller's transaction.

    Parameters
    ----------
    bundle : mapping
        As written by :func:`export_bundle`.
    replace : bool
        Delete an existing patient with the same code first (its derived files stay; they are
        referenced by the bundle).
    today : date, optional
        Reference for "in the future" (default: today, UTC).
    data_dir : Path, optional
        The record's folder of derived files (``settings.data_dir``): derived-file paths
        become ``data_dir/<CODE>/<name>``. Without it only the names are stored.

    Every row is checked with the same validators as when it is entered (codes, sides,
    muscles, units and points, dates not in the future nor before onset, minutes, scores).

    Raises
    ------
    StoreValidationError
        Not a bundle, a newer version, malformed or invalid values.
    DuplicateError
        The patient exists (without ``replace``), or a row id or recording sha256 is already in
        the database.
    """
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        found = bundle.get("format") if isinstance(bundle, Mapping) else type(bundle).__name__
        raise StoreValidationError(f"not a {BUNDLE_FORMAT} file (format {found!r})")
    version = bundle.get("format_version")
    if not isinstance(version, int) or version > BUNDLE_VERSION or version < 1:
        raise StoreValidationError(
            f"{BUNDLE_FORMAT} version {version!r} is not supported; this software reads "
            f"versions up to {BUNDLE_VERSION}")
    check_json_shape(bundle)
    patient = _from_row(Patient, bundle.get("patient"), "patient", version=version)
    _validate(patient, today=today, data_dir=data_dir)
    existing = session.scalar(select(Patient).where(func.upper(Patient.code) == patient.code))
    logins: list[WebAccount] = []
    if existing is not None:
        if not replace:
            raise DuplicateError(f"patient {patient.code} already exists; use --replace "
                                 "(replace=True) to overwrite it with the bundle")
        # the patient's web logins are not clinical data and not in the bundle: they are
        # kept and follow the replaced patient (the database would delete them with it)
        logins = list(session.scalars(select(WebAccount).where(
            WebAccount.patient_id == existing.id)))
        for login in logins:
            login.patient = None
        session.flush()
        session.delete(existing)
        session.flush()
    for model, ids in _ids_by_model(patient).items():
        id_column = model.__table__.c.id
        clash = session.scalars(select(id_column).where(id_column.in_(ids)).limit(1)).first()
        if clash is not None:
            raise DuplicateError(f"{model.__tablename__} row {clash} of the bundle already "
                                 "exists under another patient")
    shas = [r.sha256 for v in patient.visits for r in v.recordings]
    if len(set(shas)) != len(shas):
        raise StoreValidationError("bundle holds the same recording (sha256) twice")
    clash = session.scalars(
        select(RecordingRow).where(RecordingRow.sha256.in_(shas)).limit(1)).first()
    if clash is not None:
        raise DuplicateError(f"recording sha256 {clash.sha256[:12]}... of the bundle is already "
                             f"stored for {visit_reference(clash.visit)}")
    session.add(patient)
    session.flush()
    for login in logins:
        login.patient = patient
    session.flush()
    return patient


def _ids_by_model(patient: Patient) -> dict[type[Base], list[str]]:
    found: dict[type[Base], list[str]] = {}

    def walk(obj: Any) -> None:
        found.setdefault(type(obj), []).append(obj.id)
        for name, _ in _CHILDREN.get(type(obj), ()):
            for child in getattr(obj, name):
                walk(child)

    walk(patient)
    return found


def write_json(data: Mapping[str, Any], path: Path) -> Path:
    """Write JSON atomically (UTF-8, indented), readable by the user only (0600; missing
    folders 0700)."""
    from synkinesis.files import atomic_output

    with writing(Path(path)):
        make_private_dir(Path(path).parent)
    with writing(Path(path)), atomic_output(Path(path)) as temporary:
        temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return Path(path)


def read_json(path: Path) -> Any:
    """Read a JSON file, refusing before parsing one larger than :data:`MAX_JSON_BYTES` or
    nested deeper than :data:`MAX_JSON_DEPTH`, and ``NaN``/``Infinity`` (not JSON numbers).

    Raises
    ------
    StoreValidationError
        It cannot be read, is too large or too deep, or is not valid JSON.
    """
    try:
        size = Path(path).stat().st_size
        if size > MAX_JSON_BYTES:
            raise StoreValidationError(f"{path} is {size / 2**20:.0f} MB, more than the "
                                       f"{MAX_JSON_BYTES // 2**20} MB a JSON file may have")
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise StoreValidationError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise StoreValidationError(f"{path} is not UTF-8 text: {error}") from None
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise StoreValidationError(f"{path} nests {depth} levels deep, more than the "
                                   f"{MAX_JSON_DEPTH} a JSON file may have; refused")

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows (numbers must be finite)")

    try:
        return json.loads(text, parse_constant=no_constant)
    except ValueError as error:
        raise StoreValidationError(f"{path} is not valid JSON: {error}") from None


# a JSON string, as an unrolled loop: linear even for a string of many megabytes
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deep brackets nest in JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


# -------------------------------------------------------------------------------------------
# CSV


def csv_tables() -> list[Any]:
    """The tables a CSV export writes, one file each: every table of the record but the
    audit trail (it has its own listing, ``synk audit``) and the logins (password hashes are
    not clinical data)."""
    return [table for table in Base.metadata.sorted_tables
            if table.name != AuditEvent.__tablename__ and not table.info.get("credentials")]


def export_csv(session: Session, *, directory: Path, include_voided: bool = False,
               source_paths: bool = False) -> list[Path]:
    """One CSV file per table of patient data (``<table>.csv``, header = column names),
    whole database, into a folder made readable by the user only (files 0600), and the scale
    items in tidy form, one row per scored item (``scale_items.csv``, :func:`scale_item_rows`).

    Dates and times are ISO 8601 (times in UTC with offset); JSON columns are JSON text; empty
    cells are NULL. Voided entries (and the scores and recordings of voided visits) only with
    ``include_voided``; recordings' paths as file names only, the source video's full path
    with ``source_paths``. The audit trail is not exported here (``synk audit --json``).
    """
    directory = Path(directory)
    with writing(directory):
        make_private_dir(directory)
    written = []
    from synkinesis.files import atomic_output

    hidden = set() if include_voided else _voided_ids(session)
    for table in csv_tables():
        path = directory / f"{table.name}.csv"
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        rows = [_csv_row(table.name, row._mapping, source_paths) for row in rows
                if not _hidden_row(table.name, row._mapping, hidden)]
        with writing(path), atomic_output(path) as temporary, open(
                temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([column.name for column in table.columns])
            for row in rows:
                writer.writerow([_csv_cell(row[column.name]) for column in table.columns])
        written.append(path)
    path = directory / SCALE_ITEMS_CSV
    with writing(path), atomic_output(path) as temporary, open(
            temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=SCALE_ITEM_COLUMNS)
        writer.writeheader()
        for row in scale_item_rows(session, hidden=hidden):
            writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    written.append(path)
    return written


#: The tidy file of scale items a CSV export writes beside the tables.
SCALE_ITEMS_CSV = "scale_items.csv"
#: Its columns: one row per scored item (``kind`` ``item``), subscore and total of a score.
SCALE_ITEM_COLUMNS = (
    "patient_code", "visit_id", "visit_date", "visit_label", "score_id", "instrument",
    "instrument_version", "rater", "rater_name", "rated_at", "draft", "kind", "item",
    "item_label", "value", "choice")


def csv_file_names() -> list[str]:
    """Every file a CSV export writes: one per table of :func:`csv_tables`, and
    :data:`SCALE_ITEMS_CSV`."""
    return [f"{table.name}.csv" for table in csv_tables()] + [SCALE_ITEMS_CSV]


def scale_item_rows(session: Session, *, hidden: set[str] | None = None
                    ) -> list[dict[str, Any]]:
    """Every scale score of the record in tidy form: one row per scored item, then one per
    subscore and one for the total (``kind``), each with its instrument, rater and visit.

    ``value`` is the item's score (empty for an item a draft has not scored yet); ``choice``
    the named choice it was entered as (e.g. ``narrow`` for Sunnybrook's resting eye), if any.
    Scores whose id is in ``hidden`` (voided, or of a voided visit) are left out.
    """
    from synkinesis.scales import get_instrument

    hidden = hidden or set()
    scores = session.scalars(select(ScaleScore).join(Visit).join(Patient).order_by(
        Patient.code, Visit.visit_date, ScaleScore.rated_at, ScaleScore.id))
    rows = []
    for score in scores:
        if score.id in hidden:
            continue
        visit, result = score.visit, score.result
        base = {"patient_code": visit.patient.code, "visit_id": visit.id,
                "visit_date": visit.visit_date, "visit_label": visit.label,
                "score_id": score.id, "instrument": score.instrument,
                "instrument_version": score.instrument_version, "rater": score.rater,
                "rater_name": score.rater_name, "rated_at": score.rated_at,
                "draft": score.draft}
        try:
            definition = get_instrument(score.instrument)
        except (KeyError, ValueError):
            definition = None
        item_scores = result.get("item_scores") or {}
        choices = result.get("choices") or {}
        for key in list(result.get("items") or {}) + [
                key for key in item_scores if key not in (result.get("items") or {})]:
            try:
                label = definition.item(key).label if definition else ""
            except (KeyError, ValueError):
                label = ""
            rows.append({**base, "kind": "item", "item": key, "item_label": label,
                         "value": item_scores.get(key), "choice": choices.get(key, "")})
        for subscore in result.get("subscores") or []:
            rows.append({**base, "kind": "subscore", "item": subscore["key"],
                         "item_label": subscore.get("label", ""), "value": subscore["value"],
                         "choice": ""})
        grade = (result.get("grade") or {}).get("name", "")
        rows.append({**base, "kind": "total", "item": "total",
                     "item_label": definition.total.label if definition else "total",
                     "value": score.total, "choice": grade})
    return rows


def _voided_ids(session: Session) -> set[str]:
    """Ids of voided rows and of the rows under a voided visit or toxin session."""
    hidden: set[str] = set()
    for model in (Visit, ScaleScore, ToxinSession, TherapySession, Procedure):
        hidden.update(session.scalars(select(model.id).where(model.voided_at.is_not(None))))
    hidden.update(session.scalars(select(ScaleScore.id).where(ScaleScore.visit_id.in_(hidden))))
    hidden.update(session.scalars(select(RecordingRow.id).where(RecordingRow.visit_id.in_(hidden))))
    hidden.update(session.scalars(select(MeasuredIndex.id).where(
        MeasuredIndex.recording_id.in_(hidden))))
    hidden.update(session.scalars(select(Injection.id).where(Injection.session_id.in_(hidden))))
    return hidden


def _hidden_row(table: str, row: Mapping[str, Any], hidden: set[str]) -> bool:
    return row["id"] in hidden


def _csv_row(table: str, row: Mapping[str, Any], source_paths: bool) -> dict[str, Any]:
    values = dict(row)
    if table == RecordingRow.__tablename__:
        for key in ("measurement_path", "analysis_path") + (() if source_paths
                                                            else ("video_path",)):
            values[key] = _path_name(values[key])
    return values


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


# -------------------------------------------------------------------------------------------
# FHIR

CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
INSTRUMENT_SYSTEM = "urn:synkinesis:instrument"
INDEX_SYSTEM = "urn:synkinesis:measured-index"
PATIENT_SYSTEM = "urn:synkinesis:patient-code"
RATER_SYSTEM = "urn:synkinesis:rater"
UCUM = "http://unitsofmeasure.org"


def _quantity(value: float, unit: str) -> dict[str, Any]:
    # UCUM for real units; an annotation such as {score} or {points} for counts of points
    code = {"mm": "mm", "%": "%", "mm2": "mm2", "deg": "deg", "ratio": "1"}.get(
        unit, "{" + (unit or "score").replace("}", "") + "}")
    return {"value": value, "unit": unit or "score", "system": UCUM, "code": code}


def _subject(patient: Patient) -> dict[str, Any]:
    return {"identifier": {"system": PATIENT_SYSTEM, "value": patient.code},
            "display": patient.code}


def _score_observation(score: ScaleScore, patient: Patient) -> dict[str, Any]:
    from synkinesis.scales import get_instrument

    definition = get_instrument(score.instrument)
    result = score.result
    components = []
    for subscore in result.get("subscores", []):
        if subscore["value"] is not None:
            components.append({
                "code": {"coding": [{"system": f"{INSTRUMENT_SYSTEM}:{score.instrument}",
                                     "code": subscore["key"]}], "text": subscore["label"]},
                "valueQuantity": _quantity(float(subscore["value"]), "")})
    for key, value in result.get("item_scores", {}).items():
        components.append({
            "code": {"coding": [{"system": f"{INSTRUMENT_SYSTEM}:{score.instrument}",
                                 "code": key}], "text": definition.item(key).label},
            "valueQuantity": _quantity(float(value), "")})
    grade = result.get("grade")
    if grade:
        components.append({"code": {"text": "grade"}, "valueString": grade["name"]})
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": score.id,
        "identifier": [{"system": "urn:synkinesis:scale-score", "value": score.id}],
        "status": "preliminary" if score.draft else "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM,
                                  "code": "survey" if score.rater == "patient" else "exam"}]}],
        "code": {"coding": [{"system": INSTRUMENT_SYSTEM, "code": score.instrument,
                             "display": definition.title}],
                 "text": f"{definition.title} {definition.total.label} "
                         f"(version {score.instrument_version})"},
        "subject": _subject(patient),
        "effectiveDateTime": score.visit.visit_date.isoformat(),
        "issued": score.rated_at.astimezone(UTC).isoformat(),
        "method": {"coding": [{"system": RATER_SYSTEM, "code": score.rater}],
                   "text": f"scored by {score.rater}"},
    }
    if score.rater_name:
        observation["performer"] = [{"display": score.rater_name}]
    if score.total is not None:
        observation["valueQuantity"] = _quantity(float(score.total), "")
    else:
        observation["dataAbsentReason"] = {"text": "draft: items missing"}
    if components:
        observation["component"] = components
    notes = [{"text": f"uncertain [U]: {note}"} for note in result.get("uncertain", [])]
    if result.get("total_formula"):
        notes.append({"text": f"formula: {result['total_formula']}"})
    if notes:
        observation["note"] = notes
    return observation


def _index_observation(index: MeasuredIndex, patient: Patient) -> dict[str, Any]:
    recording = index.recording
    return {
        "resourceType": "Observation",
        "id": index.id,
        "identifier": [{"system": "urn:synkinesis:measured-index", "value": index.id}],
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": "exam"}]}],
        "code": {"coding": [{"system": INDEX_SYSTEM, "code": index.name}],
                 "text": index.name.replace("_", " ")},
        "subject": _subject(patient),
        "effectiveDateTime": recording.visit.visit_date.isoformat(),
        "issued": recording.created_at.astimezone(UTC).isoformat(),
        "method": {"text": f"synkinesis {index.source} of video sha256 {recording.sha256}"},
        "valueQuantity": _quantity(index.value, index.unit),
        "note": [{"text": "sides are the patient's left/right"}],
    }


def _injection_administration(injection: Injection, toxin: ToxinSession,
                               patient: Patient) -> dict[str, Any]:
    """One injected muscle of a toxin session as a ``MedicationAdministration``."""
    from synkinesis.store.codes import DOSE_UNIT, PRODUCT_SYSTEM, TOXIN_INJECTION, body_site
    from synkinesis.store.vocabulary import PRODUCTS

    product = PRODUCTS.get(toxin.product)
    brand = f" ({product.note.split(';')[0]})" if product and product.note else ""
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": injection.id,
        "identifier": [{"system": "urn:synkinesis:injection", "value": injection.id},
                       {"system": "urn:synkinesis:toxin-session", "value": toxin.id}],
        "status": "entered-in-error" if toxin.voided else "completed",
        "partOf": [{"reference": f"urn:uuid:{toxin.id}",
                    "display": f"{TOXIN_INJECTION.display} {toxin.session_date.isoformat()}"}],
        "medicationCodeableConcept": {
            "coding": [{"system": PRODUCT_SYSTEM, "code": toxin.product}],
            "text": f"botulinum toxin A, {toxin.product}{brand}"},
        "subject": _subject(patient),
        "effectiveDateTime": toxin.session_date.isoformat(),
        "dosage": {
            "site": body_site(injection.muscle, injection.side),
            "route": {"text": "intramuscular injection"},
            "dose": {"value": injection.units, "unit": DOSE_UNIT.display,
                     "system": DOSE_UNIT.system, "code": DOSE_UNIT.code},
            "text": f"{injection.units:g} U {toxin.product} in {injection.points} point(s)"
                    + (f", dilution {toxin.dilution}" if toxin.dilution else "")},
    }
    if toxin.clinician:
        resource["performer"] = [{"actor": {"display": toxin.clinician}}]
    notes = [text for text in (toxin.notes, toxin.void_reason and
                               f"voided: {toxin.void_reason}") if text]
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def _values_text(values: Mapping[str, Any]) -> str:
    """``{"sunnybrook": 58.0}`` -> ``"sunnybrook 58"``."""
    return ", ".join(f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
                     for key, value in sorted(values.items()))


def _procedure_resource(*, entity_id: str, system: str, voided: bool, code: dict[str, Any],
                        patient: Patient, performed: Any, performer: str | None,
                        notes: Sequence[str | None], void_reason: str | None,
                        **elements: Any) -> dict[str, Any]:
    """The ``Procedure`` every treatment is exported as: our identifier, the status (a voided
    entry is ``entered-in-error``), code, subject and date, the given ``elements`` (bodySite,
    outcome), the performer, and the notes (empty ones left out, the void reason last)."""
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": entity_id,
        "identifier": [{"system": system, "value": entity_id}],
        "status": "entered-in-error" if voided else "completed",
        "code": code,
        "subject": _subject(patient),
        "performedDateTime": performed.isoformat(),
        **{key: value for key, value in elements.items() if value},
    }
    if performer:
        resource["performer"] = [{"actor": {"display": performer}}]
    texts = [text for text in (*notes, void_reason and f"voided: {void_reason}") if text]
    if texts:
        resource["note"] = [{"text": text} for text in texts]
    return resource


def _toxin_procedure(toxin: ToxinSession, patient: Patient) -> dict[str, Any]:
    """A toxin session as the ``Procedure`` its injections' MedicationAdministrations are part
    of (SNOMED CT "Injection of botulinum toxin"), with every injected site."""
    from synkinesis.store.codes import TOXIN_INJECTION, body_site

    return _procedure_resource(
        entity_id=toxin.id, system="urn:synkinesis:toxin-session", voided=toxin.voided,
        code={"coding": [TOXIN_INJECTION.coding()],
              "text": f"{TOXIN_INJECTION.display}: {toxin.product}, "
                      f"{toxin.total_units:g} U in total"},
        patient=patient, performed=toxin.session_date, performer=toxin.clinician,
        notes=(toxin.dilution and f"dilution: {toxin.dilution}", toxin.notes),
        void_reason=toxin.void_reason,
        bodySite=[body_site(injection.muscle, injection.side) for injection in toxin.injections])


def _procedure(procedure: Procedure, patient: Patient) -> dict[str, Any]:
    """A nerve block, neurectomy or myectomy as a ``Procedure`` with its outcome."""
    from synkinesis.store.codes import body_site, procedure_code

    outcome = procedure.outcome
    if procedure.outcome_values:
        outcome += (": " if outcome else "") + _values_text(procedure.outcome_values)
    if outcome:
        when = f" ({procedure.outcome_date.isoformat()})" if procedure.outcome_date else ""
        outcome += when
    prediction = procedure.prediction
    if procedure.prediction_values:
        prediction += (": " if prediction else "") + _values_text(procedure.prediction_values)
    return _procedure_resource(
        entity_id=procedure.id, system="urn:synkinesis:procedure", voided=procedure.voided,
        code=procedure_code(procedure.kind), patient=patient,
        performed=procedure.procedure_date, performer=procedure.clinician,
        notes=(procedure.agent and f"agent: {procedure.agent}",
               prediction and f"predicted before the procedure: {prediction}",
               procedure.notes),
        void_reason=procedure.void_reason,
        bodySite=[body_site(procedure.target, procedure.side)],
        outcome=outcome and {"text": outcome})


def _therapy_procedure(therapy: TherapySession, patient: Patient) -> dict[str, Any]:
    """A neuromuscular retraining session as a ``Procedure``."""
    from synkinesis.store.codes import procedure_code

    return _procedure_resource(
        entity_id=therapy.id, system="urn:synkinesis:therapy-session", voided=therapy.voided,
        code=procedure_code("therapy"), patient=patient, performed=therapy.session_date,
        performer=therapy.therapist,
        notes=(therapy.minutes is not None and f"{therapy.minutes} minutes",
               therapy.exercises and "exercises: " + "; ".join(therapy.exercises),
               therapy.biofeedback and "biofeedback: " + _values_text(therapy.biofeedback),
               therapy.notes),
        void_reason=therapy.void_reason)


def _treatment_resources(patient: Patient, *, include_voided: bool) -> list[dict[str, Any]]:
    resources = []
    for toxin in patient.toxin_sessions:
        if include_voided or not toxin.voided:
            resources.append(_toxin_procedure(toxin, patient))
            resources += [_injection_administration(injection, toxin, patient)
                          for injection in toxin.injections]
    for therapy in patient.therapy_sessions:
        if include_voided or not therapy.voided:
            resources.append(_therapy_procedure(therapy, patient))
    for procedure in patient.procedures:
        if include_voided or not procedure.voided:
            resources.append(_procedure(procedure, patient))
    return resources


def fhir_bundle(session: Session, *, patient_code: str,
                include_voided: bool = False) -> dict[str, Any]:
    """A patient's record as a FHIR ``collection`` Bundle, validated with fhir.resources:
    scale scores and measured indices as Observations; a toxin session as a Procedure and each
    injected muscle as a MedicationAdministration ``partOf`` it; therapy sessions and
    procedures (blocks with their outcome) as Procedures. Codes: :mod:`synkinesis.store.codes`.

    Voided entries and the values of voided visits are left out; with ``include_voided`` they
    are included with status ``entered-in-error``.

    Raises
    ------
    StoreValidationError
        If a resource does not validate (a bug: report it).
    """
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    patient = get_patient(session, code=patient_code)
    resources = []
    for visit in patient.visits:
        if visit.voided and not include_voided:
            continue
        for score in visit.scores:
            if score.voided and not include_voided:
                continue
            resources.append(_score_observation(score, patient))
            if score.voided or visit.voided:
                resources[-1]["status"] = "entered-in-error"
        for recording in visit.recordings:
            for index in recording.indices:
                resources.append(_index_observation(index, patient))
                if visit.voided:
                    resources[-1]["status"] = "entered-in-error"
    resources += _treatment_resources(patient, include_voided=include_voided)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
                  for resource in resources],
    }
    try:
        Bundle.model_validate(bundle)
    except ValidationError as error:
        raise StoreValidationError(f"FHIR export does not validate: {error}") from None
    return bundle
