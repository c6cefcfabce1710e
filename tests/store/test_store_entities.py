"""Every entity of the record round-trips through the database unchanged."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from store_fixtures import (
    SUNNYBROOK_SYNKINETIC,
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

from synkinesis.store import repository
from synkinesis.store.models import Patient, ScaleScore, UTCDateTime


def test_every_entity_round_trips(store):
    ids = fill_record(store)
    with store.reading() as session:
        patient = session.get(Patient, ids["patient"])
        assert (patient.code, patient.affected_side, patient.cause, patient.onset_date,
                patient.notes) == ("P001", "left", "bell_palsy", date(2025, 1, 10),
                                   "tight eye when eating")
        assert patient.created_at.tzinfo is not None
        assert patient.created_at.utcoffset() == timedelta(0)
        (visit,) = patient.visits
        assert (visit.visit_date, visit.label, visit.clinician, visit.notes) == (
            date(2026, 1, 5), "baseline", "Dr A", "first")
        (recording,) = visit.recordings
        assert recording.sha256 == "a" * 64 and recording.measurement_sha256 == "b" * 64
        assert recording.summary == {"frames": {"count": 10, "usable": 9}}
        assert [(i.name, i.value, i.unit, i.source) for i in recording.indices] == [
            ("palpebral_fissure_rest_left_mm", 9.5, "mm", "measure")]
        (score,) = visit.scores
        assert score.total == 37 and score.instrument == "sunnybrook"
        assert score.rated_at == datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
        assert score.recording_id == recording.id
        from synkinesis.scales import result_from_dict

        result = result_from_dict(score.result)
        assert result.total == 37 and result.choices == {"rest_eye": "narrow"}
        assert result.provenance.visit_id == visit.id
        (toxin,) = patient.toxin_sessions
        assert (toxin.product, toxin.dilution, toxin.visit_id, toxin.total_units) == (
            "onabotulinumtoxinA", "100 U / 2.5 mL", visit.id, 10.0)
        assert [(i.muscle, i.side, i.units, i.points) for i in toxin.injections] == [
            ("orbicularis_oculi", "left", 7.5, 3), ("mentalis", "left", 2.5, 1)]
        (therapy,) = patient.therapy_sessions
        assert therapy.exercises == ["closed-lip smile, eye relaxed"]
        assert therapy.biofeedback == {"eye_pct": 12.5, "mirror": "yes"}
        assert therapy.minutes == 45
        (procedure,) = patient.procedures
        assert (procedure.kind, procedure.target, procedure.side) == (
            "nerve_block", "depressor_anguli_oris", "left")
        assert procedure.prediction_values == {"sunnybrook": 60.0}
        assert procedure.outcome_values == {"sunnybrook": 58.0}
        assert procedure.outcome_date == date(2026, 2, 1)


def test_timestamps_are_stored_as_utc(store):
    fill_record(store)
    offset = timezone(timedelta(hours=2))
    with store.transaction() as session:
        visit = repository.find_visit(session, ref="P001@2026-01-05")
        repository.add_score(session, visit=visit, instrument="hb", items={"grade": "III"},
                             rated_at=datetime(2026, 1, 5, 12, 0, tzinfo=offset))
    with store.reading() as session:
        scores = session.query(ScaleScore).filter_by(instrument="house_brackmann").all()
        assert scores[0].rated_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
        assert scores[0].rated_at.tzinfo == UTC


def test_naive_timestamps_are_refused():
    from sqlalchemy.dialects import sqlite

    with pytest.raises(ValueError, match="timezone-aware"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), sqlite.dialect())


def test_visit_references(store):
    with store.transaction() as session:
        add_patient(session)
        first = repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                        today=TODAY)
        assert repository.visit_reference(first) == "P001@2026-01-05"
        second = repository.create_visit(session, patient_code="P001",
                                         visit_date="2026-01-05", today=TODAY)
        assert repository.visit_reference(second) == "P001@2026-01-05#2"
        assert repository.find_visit(session, ref="P001@2026-01-05#1") is first
        assert repository.find_visit(session, ref=first.id[:8]) is first
        with pytest.raises(ValueError, match="add #1..#2"):
            repository.find_visit(session, ref="P001@2026-01-05")


def test_delete_patient_needs_confirmation_and_removes_derived_files(store, tmp_path):
    from synkinesis.store.recordings import remove_derived_files

    derived = store.settings.data_dir / "P001"
    derived.mkdir(parents=True)
    measurement = derived / "x.synk"
    measurement.write_bytes(b"m")
    outside = tmp_path / "video.mp4"
    outside.write_bytes(b"v")
    with store.transaction() as session:
        add_patient(session)
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                        today=TODAY)
        repository.add_recording(session, visit=visit, video_path=str(outside),
                                 sha256="c" * 64, measurement_path=str(measurement),
                                 analysis_path=str(outside), files_managed=True)
    with pytest.raises(ValueError, match="needs confirmation"), store.transaction() as session:
        repository.delete_patient(session, code="P001", confirm="P002")
    with store.reading() as session:
        assert repository.count_rows(session, Patient) == 1
    with store.transaction() as session:
        files = repository.delete_patient(session, code="P001", confirm="P001")
    removed = remove_derived_files(files, root=store.settings.data_dir)
    assert removed == [str(measurement.resolve())]
    assert not measurement.exists() and outside.exists()  # never outside the data directory
    with store.reading() as session:
        from synkinesis.store.models import Injection, MeasuredIndex, RecordingRow, Visit

        for model in (Patient, Visit, RecordingRow, MeasuredIndex, ScaleScore, Injection):
            assert repository.count_rows(session, model) == 0
