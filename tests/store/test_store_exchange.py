"""Bundles round-trip losslessly, imports are all-or-nothing (even when killed), FHIR
validates, CSV has every table, backups restore."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
import warnings
import zipfile

import pytest
from store_fixtures import (
    TODAY,
    add_patient,
    backend_url,
    cli,
    fill_record,
    postgres_url,
    record_env,
    settings,
    sqlite_settings,
    sqlite_store,
    store,
)

from synkinesis.store import DuplicateError, StoreValidationError, open_store, repository
from synkinesis.store.exchange import (
    BUNDLE_FORMAT,
    export_bundle,
    export_csv,
    fhir_bundle,
    import_bundle,
)
from synkinesis.store.models import Injection, Patient, Visit


@pytest.fixture
def filled(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(store)
    return store


def _export(store, code="P001"):
    with store.reading() as session:
        data = export_bundle(session, patient_code=code)
    return json.loads(json.dumps(data))  # through JSON text, as on disk


def _without_time(bundle):
    return {k: v for k, v in bundle.items() if k != "exported_at"}


def _other_store(tmp_path, name="other"):
    from synkinesis.store.settings import load_settings

    return open_store(load_settings(database_url=f"sqlite:///{tmp_path / (name + '.sqlite')}",
                                    environ={"SYNK_DATA_DIR": str(tmp_path / name)}))


def test_bundle_round_trips_losslessly(filled, tmp_path):
    first = _export(filled)
    assert first["format"] == BUNDLE_FORMAT and first["format_version"] == 3
    other = _other_store(tmp_path)
    with other.transaction() as session:
        import_bundle(session, bundle=first)
    second = _export(other)
    assert _without_time(second) == _without_time(first)
    patient = first["patient"]
    assert len(patient["visits"][0]["scores"]) == 1
    assert patient["toxin_sessions"][0]["injections"][0]["muscle"] == "orbicularis_oculi"
    assert patient["visits"][0]["recordings"][0]["indices"][0]["value"] == 9.5
    other.close()


def test_reimport_needs_replace(filled):
    bundle = _export(filled)
    with pytest.raises(DuplicateError, match=r"already exists; use --replace \(replace=True\)"), \
            filled.transaction() as session:
        import_bundle(session, bundle=bundle)
    with filled.transaction() as session:
        import_bundle(session, bundle=bundle, replace=True)
    assert _without_time(_export(filled)) == _without_time(bundle)


def test_bad_bundles_are_refused(sqlite_store, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(sqlite_store)
    good = _export(sqlite_store)
    other = _other_store(tmp_path)
    newer = dict(good, format_version=4)
    wrong_muscle = json.loads(json.dumps(good))
    wrong_muscle["patient"]["toxin_sessions"][0]["injections"][0]["muscle"] = "biceps"
    extra_field = json.loads(json.dumps(good))
    extra_field["patient"]["visits"][0]["colour"] = "red"
    bad_date = json.loads(json.dumps(good))
    bad_date["patient"]["onset_date"] = "yesterday"
    for bundle, message in [({"format": "other"}, "not a synkinesis.patient_bundle"),
                            (newer, "version 4 is not supported"),
                            (wrong_muscle, "muscle 'biceps'"),
                            (extra_field, r"unknown fields \['colour'\]"),
                            (bad_date, "not a valid date")]:
        with pytest.raises(StoreValidationError, match=message), \
                other.transaction() as session:
            import_bundle(session, bundle=bundle)
    with other.reading() as session:
        assert repository.count_rows(session, Patient) == 0
    other.close()


def _mutated(bundle, change):
    copy = json.loads(json.dumps(bundle))
    change(copy["patient"])
    return copy


# what the reviewer's bundles (/tmp/review/fut2.json, evil.json) smuggled in
INVALID_ROWS = [
    (lambda p: p.update(code="../escaped"), r"bundle patient: patient code must be"),
    (lambda p: p["visits"][0].update(visit_date="2999-01-01"),
     r"bundle patient.visits\[0\]: visit date 2999-01-01 is in the future"),
    (lambda p: p["toxin_sessions"][0].update(session_date="1900-01-01"),
     r"bundle patient.toxin_sessions\[0\]: toxin session date 1900-01-01 is before the onset"),
    (lambda p: p["toxin_sessions"][0]["injections"][0].update(points=999),
     r"points for orbicularis_oculi must be 1..20, got 999"),
    (lambda p: p["toxin_sessions"][0]["injections"][0].update(units=999.0),
     r"999 U into orbicularis_oculi is implausible"),
    (lambda p: p["therapy_sessions"][0].update(minutes=-40),
     r"bundle patient.therapy_sessions\[0\]: minutes must be a whole number 1..480, got -40"),
    (lambda p: p["procedures"][0].update(outcome_date="2025-12-01"),
     r"outcome date 2025-12-01 is before the procedure"),
    (lambda p: p["procedures"][0].update(side="up"), r"unknown side 'up'"),
    (lambda p: p.update(onset_date="2999-01-01"), r"onset date 2999-01-01 is in the future"),
    (lambda p: p["visits"][0]["recordings"][0].update(sha256="../x"),
     r"sha256 must be 64 lowercase hex digits"),
    # references outside the bundle: said as such, not as "a record written meanwhile"
    (lambda p: p["toxin_sessions"][0].update(visit_id="0" * 36),
     r"bundle patient.toxin_sessions\[0\]: visit_id '0{36}' is not a visit of this bundle"),
    (lambda p: p["visits"][0]["scores"][0].update(recording_id="1" * 36),
     r"recording_id '1{36}' is not a recording of this bundle"),
]


@pytest.mark.parametrize(("change", "message"), INVALID_ROWS)
def test_import_runs_the_same_validators_as_entry(sqlite_store, tmp_path, change, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(sqlite_store)
    bad = _mutated(_export(sqlite_store), change)
    other = _other_store(tmp_path)
    with pytest.raises(StoreValidationError, match=message), other.transaction() as session:
        import_bundle(session, bundle=bad, today=TODAY)
    with other.reading() as session:
        assert repository.count_rows(session, Patient) == 0
    other.close()


def test_import_keeps_canonical_names(sqlite_store, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(sqlite_store)
    aliased = _mutated(_export(sqlite_store), lambda p: p["toxin_sessions"][0]["injections"][0]
                       .update(muscle="oo"))
    other = _other_store(tmp_path)
    with other.transaction() as session:
        import_bundle(session, bundle=aliased, today=TODAY)
    assert _export(other)["patient"]["toxin_sessions"][0]["injections"][0]["muscle"] == \
        "orbicularis_oculi"
    other.close()


def test_crash_mid_import_leaves_nothing(filled, tmp_path):
    """An exception while the rows are being inserted (visits already sent to the database,
    injections not yet) rolls the whole import back."""
    from sqlalchemy import event

    bundle = _export(filled)
    other = _other_store(tmp_path)
    with other.transaction() as session:
        add_patient(session, code="KEEP")

    def crash(*_args):
        raise RuntimeError("simulated crash during import")

    event.listen(Injection, "before_insert", crash)
    try:
        with pytest.raises(RuntimeError, match="simulated crash"), \
                other.transaction() as session:
            import_bundle(session, bundle=bundle)
    finally:
        event.remove(Injection, "before_insert", crash)
    with other.reading() as session:
        assert [p.code for p in repository.list_patients(session)] == ["KEEP"]
        assert repository.count_rows(session, Visit) == 0
    other.close()


def test_killed_import_leaves_the_database_as_it_was(filled, tmp_path):
    """The importing process is killed (SIGKILL) half-way; the database is unchanged."""
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(json.dumps(_export(filled)))
    other = _other_store(tmp_path, "killed")
    with other.transaction() as session:
        add_patient(session, code="KEEP")
    url = other.settings.database_url
    other.close()
    script = textwrap.dedent(f"""
        import json, os, signal
        from sqlalchemy import event
        from synkinesis.store import open_store
        from synkinesis.store.exchange import import_bundle
        from synkinesis.store.models import Injection
        from synkinesis.store.settings import load_settings

        def die(*_args):
            os.kill(os.getpid(), signal.SIGKILL)

        event.listen(Injection, "before_insert", die)
        store = open_store(load_settings(database_url={url!r}))
        with store.transaction() as session:
            import_bundle(session, bundle=json.load(open({str(bundle_path)!r})))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()
    reopened = _other_store(tmp_path, "killed")
    with reopened.reading() as session:
        assert [p.code for p in repository.list_patients(session)] == ["KEEP"]
        assert repository.count_rows(session, Visit) == 0
    reopened.close()


def test_fhir_observations_validate(filled):
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation

    with filled.reading() as session:
        data = fhir_bundle(session, patient_code="P001")
    bundle = Bundle.model_validate(json.loads(json.dumps(data)))
    observations = [Observation.model_validate(e["resource"]) for e in data["entry"]
                    if e["resource"]["resourceType"] == "Observation"]
    assert len(observations) == 2  # one Sunnybrook score, one measured index
    score, index = observations
    assert score.status == "final" and float(score.valueQuantity.value) == 37
    assert score.code.coding[0].code == "sunnybrook"
    assert score.subject.identifier.value == "P001"
    assert str(score.effectiveDateTime) == "2026-01-05"
    assert {c.code.coding[0].code for c in score.component if c.code.coding} >= {
        "resting", "voluntary", "synkinesis", "rest_eye"}
    assert index.code.coding[0].code == "palpebral_fissure_rest_left_mm"
    assert index.valueQuantity.code == "mm" and float(index.valueQuantity.value) == 9.5
    assert bundle.type == "collection"


def test_fhir_draft_scores_are_preliminary(sqlite_store):
    with sqlite_store.transaction() as session:
        add_patient(session)
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                        today=TODAY)
        repository.add_score(session, visit=visit, instrument="saq",
                             items={"eye_closes_smiling": 4}, draft=True)
        data = fhir_bundle(session, patient_code="P001")
    (entry,) = data["entry"]
    assert entry["resource"]["status"] == "preliminary"
    assert "valueQuantity" not in entry["resource"]
    assert entry["resource"]["category"][0]["coding"][0]["code"] == "survey"


def test_csv_per_table(filled, tmp_path):
    with filled.reading() as session:
        paths = export_csv(session, directory=tmp_path / "csv")
    names = sorted(p.name for p in paths)
    assert names == sorted(f"{t}.csv" for t in (
        "patients", "visits", "recordings", "measured_indices", "scale_scores",
        "toxin_sessions", "injections", "therapy_sessions", "procedures", "scale_items"))
    with open(tmp_path / "csv" / "injections.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["muscle"], float(r["units"])) for r in rows) == [
        ("mentalis", 2.5), ("orbicularis_oculi", 7.5)]
    with open(tmp_path / "csv" / "patients.csv", newline="") as handle:
        (patient,) = list(csv.DictReader(handle))
    assert patient["code"] == "P001" and patient["created_at"].endswith("+00:00")
    with open(tmp_path / "csv" / "therapy_sessions.csv", newline="") as handle:
        (therapy,) = list(csv.DictReader(handle))
    assert json.loads(therapy["biofeedback"]) == {"eye_pct": 12.5, "mirror": "yes"}


def test_sqlite_backup_restores(sqlite_store, tmp_path):
    import sqlite3

    from synkinesis.store.backup import backup_database

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(sqlite_store)
    derived = sqlite_store.settings.data_dir / "P001"
    derived.mkdir(parents=True)
    (derived / "x.synk").write_bytes(b"result")
    result = backup_database(sqlite_store, destination=tmp_path / "backups")
    assert result.database.name.startswith("synkinesis-") and result.database.suffix == ".sqlite"
    copy = sqlite3.connect(result.database)
    assert copy.execute("SELECT code FROM patients").fetchall() == [("P001",)]
    assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [("0005",)]
    copy.close()
    with zipfile.ZipFile(result.files) as archive:
        assert archive.namelist() == ["P001/x.synk"]
    assert result.file_count == 1
    # restoring = opening the copy
    from synkinesis.store.settings import load_settings

    restored = open_store(load_settings(database_url=f"sqlite:///{result.database}"))
    with restored.reading() as session:
        assert repository.get_patient(session, code="P001").toxin_sessions[0].total_units == 10
    restored.close()
    assert sorted(os.listdir(tmp_path / "backups")) == sorted(
        [result.database.name, result.files.name])
    # patient data: readable by the user only
    assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700
    assert result.database.stat().st_mode & 0o777 == 0o600
    assert result.files.stat().st_mode & 0o777 == 0o600


def test_new_sqlite_record_is_private(tmp_path):
    from synkinesis.store.settings import load_settings

    path = tmp_path / "new" / "record.sqlite"
    opened = open_store(load_settings(database_url=f"sqlite:///{path}"))
    opened.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
