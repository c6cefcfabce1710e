"""Exchange formats of the record: CSV per table, whole-patient JSON bundles, FHIR R4.

Patient bundle, format ``synkinesis.patient_bundle``, version history:

- 1: first version (schema revision 0002): the patient row and every row that belongs to it,
  nested (visits -> recordings -> measured indices, visits -> scale scores, toxin sessions ->
  injections, therapy sessions, procedures), every column kept, ids included.

A bundle imports back into any record (SQLite or PostgreSQL) with the same ids and values, in
one transaction. Derived files are referenced by path and sha256, not embedded.

FHIR: scale scores and measured indices become R4 ``Observation`` resources in a
``collection`` Bundle, validated with fhir.resources (its R4B models: every element used here
is unchanged between R4 4.0.1 and R4B).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, select
from sqlalchemy.orm import Session

from synkinesis import __version__
from synkinesis.store.errors import DuplicateError, StoreValidationError, writing
from synkinesis.store.models import (
    Base,
    Injection,
    MeasuredIndex,
    Patient,
    Procedure,
    Recording,
    ScaleScore,
    TherapySession,
    ToxinSession,
    UTCDateTime,
    Visit,
)
from synkinesis.store.repository import get_patient, visit_reference

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "export_bundle",
    "export_csv",
    "fhir_bundle",
    "import_bundle",
    "read_json",
    "write_json",
]

BUNDLE_FORMAT = "synkinesis.patient_bundle"
BUNDLE_VERSION = 1

# model -> (its children collections, their model), in nesting order
_CHILDREN: dict[type[Base], tuple[tuple[str, type[Base]], ...]] = {
    Patient: (("visits", Visit), ("toxin_sessions", ToxinSession),
              ("therapy_sessions", TherapySession), ("procedures", Procedure)),
    Visit: (("recordings", Recording), ("scores", ScaleScore)),
    Recording: (("indices", MeasuredIndex),),
    ToxinSession: (("injections", Injection),),
}
# foreign keys implied by nesting (restored from the parent on import)
_PARENT_KEY: dict[type[Base], str] = {
    Visit: "patient_id", ToxinSession: "patient_id", TherapySession: "patient_id",
    Procedure: "patient_id", Recording: "visit_id", ScaleScore: "visit_id",
    MeasuredIndex: "recording_id", Injection: "session_id"}


# -------------------------------------------------------------------------------------------
# rows <-> JSON


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(obj: Base) -> dict[str, Any]:
    mapper = obj.__mapper__
    row = {column.key: _json_value(getattr(obj, column.key)) for column in mapper.column_attrs}
    row.pop(_PARENT_KEY.get(type(obj), ""), None)
    for name, _ in _CHILDREN.get(type(obj), ()):
        row[name] = [_row(child) for child in getattr(obj, name)]
    return row


def _from_row(model: type[Base], row: Any, where: str) -> Any:
    if not isinstance(row, Mapping):
        raise StoreValidationError(f"bundle {where}: expected an object, got "
                                   f"{type(row).__name__}")
    values: dict[str, Any] = {}
    columns = {attr.key: attr.columns[0] for attr in model.__mapper__.column_attrs}
    expected = set(columns) - {_PARENT_KEY.get(model, "")}
    children = dict(_CHILDREN.get(model, ()))
    unknown = set(row) - expected - set(children)
    missing = expected - set(row)
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
        values[key] = value
    obj = model(**values)
    for name, child_model in children.items():
        items = row[name]
        if not isinstance(items, list):
            raise StoreValidationError(f"bundle {where}.{name}: expected a list")
        setattr(obj, name, [_from_row(child_model, item, f"{where}.{name}[{i}]")
                            for i, item in enumerate(items)])
    return obj


def export_bundle(session: Session, *, patient_code: str) -> dict[str, Any]:
    """A whole patient as a JSON-ready dict (format ``synkinesis.patient_bundle``)."""
    from synkinesis.store.db import code_head

    patient = get_patient(session, code=patient_code)
    return {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_VERSION,
        "software": f"synkinesis {__version__}",
        "schema_revision": code_head(),
        "exported_at": datetime.now(UTC).isoformat(),
        "patient": _row(patient),
    }


def _validate(patient: Patient, *, today: date | None) -> None:
    """Check every row of an imported patient with the validators that guard the
    ``create_*``/``add_*`` functions of :mod:`synkinesis.store.repository` (one
    implementation), and put their canonical values in place.

    Raises
    ------
    StoreValidationError
        The first invalid value, with where it is in the bundle.
    """
    from synkinesis.scales import ScaleValidationError, result_from_dict
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
    for i, visit in enumerate(patient.visits):
        where = f"patient.visits[{i}]"
        assign(visit, checked(where, repo.check_visit_values, patient=patient,
                              visit_date=visit.visit_date, label=visit.label,
                              clinician=visit.clinician, notes=visit.notes, today=today))
        for j, recording in enumerate(visit.recordings):
            if not isinstance(recording.sha256, str) or not re.fullmatch(
                    r"[0-9a-f]{64}", recording.sha256):
                raise StoreValidationError(f"bundle {where}.recordings[{j}]: sha256 must be 64 "
                                           f"lowercase hex digits, got {recording.sha256!r}")
        for j, score in enumerate(visit.scores):
            checked(f"{where}.scores[{j}]", result_from_dict, data=score.result)
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
    today: date | None = None,
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
    patient = _from_row(Patient, bundle.get("patient"), "patient")
    _validate(patient, today=today)
    existing = session.scalar(select(Patient).where(Patient.code == patient.code))
    if existing is not None:
        if not replace:
            raise DuplicateError(f"patient {patient.code} already exists; use --replace "
                                 "(replace=True) to overwrite it with the bundle")
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
    clash = session.scalars(select(Recording).where(Recording.sha256.in_(shas)).limit(1)).first()
    if clash is not None:
        raise DuplicateError(f"recording sha256 {clash.sha256[:12]}... of the bundle is already "
                             f"stored for {visit_reference(clash.visit)}")
    session.add(patient)
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
    """Write JSON atomically (UTF-8, indented)."""
    from synkinesis.results import atomic_output

    with writing(Path(path)), atomic_output(Path(path)) as temporary:
        temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return Path(path)


def read_json(path: Path) -> Any:
    """Read a JSON file; StoreValidationError when it cannot be read or parsed."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise StoreValidationError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise StoreValidationError(f"{path} is not valid JSON: {error}") from None


# -------------------------------------------------------------------------------------------
# CSV


def export_csv(session: Session, *, directory: Path) -> list[Path]:
    """One CSV file per table (``<table>.csv``, header = column names), whole database.

    Dates and times are ISO 8601 (times in UTC with offset); JSON columns are JSON text; empty
    cells are NULL.
    """
    directory = Path(directory)
    with writing(directory):
        directory.mkdir(parents=True, exist_ok=True)
    written = []
    from synkinesis.results import atomic_output

    for table in Base.metadata.sorted_tables:
        path = directory / f"{table.name}.csv"
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        with writing(path), atomic_output(path) as temporary, open(
                temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([column.name for column in table.columns])
            for row in rows:
                writer.writerow([_csv_cell(value) for value in row])
        written.append(path)
    return written


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


def fhir_bundle(session: Session, *, patient_code: str) -> dict[str, Any]:
    """Scale scores and measured indices of a patient as a FHIR ``collection`` Bundle of
    Observations, validated with fhir.resources.

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
        for score in visit.scores:
            resources.append(_score_observation(score, patient))
        for recording in visit.recordings:
            resources.extend(_index_observation(index, patient) for index in recording.indices)
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
