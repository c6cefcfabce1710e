"""Every bad input gets one clear message and writes nothing."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import math
import warnings

import pytest
from store_fixtures import (
    TODAY,
    add_patient,
    backend_url,
    cli,
    postgres_url,
    record_env,
    settings,
    sqlite_settings,
    sqlite_store,
    store,
)

from synkinesis.scales import ScaleValidationError
from synkinesis.store import DuplicateError, NotFoundError, StoreValidationError, repository
from synkinesis.store.models import (
    Injection,
    Patient,
    Procedure,
    RecordingRow,
    ScaleScore,
    TherapySession,
    ToxinSession,
    Visit,
)
from synkinesis.store.repository import InjectionSpec as Inj
from synkinesis.store.settings import load_settings

ALL = (Patient, Visit, RecordingRow, ScaleScore, ToxinSession, Injection, TherapySession,
       Procedure)


def _counts(store):
    with store.reading() as session:
        return {model.__name__: repository.count_rows(session, model) for model in ALL}


@pytest.fixture
def seeded(sqlite_store):
    with sqlite_store.transaction() as session:
        add_patient(session)
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                        today=TODAY)
        repository.add_recording(session, visit=visit, video_path="/a.mp4", sha256="e" * 64)
    return sqlite_store


def _toxin(store, injections, *, product="botox", day="2026-02-01", settings=None):
    with warnings.catch_warnings(record=True) as caught, store.transaction() as session:
        warnings.simplefilter("always")
        repository.add_toxin_session(session, patient_code="P001", session_date=day,
                                     product=product, injections=injections,
                                     settings=settings or store.settings, today=TODAY)
    return [str(w.message) for w in caught]


BAD_TOXIN = [
    ([Inj("orbicularis_occuli", "left", 5)], "unknown muscle 'orbicularis_occuli'"),
    ([Inj("mentalis", "up", 5)], "unknown side 'up'; expected one of: left, right, midline"),
    ([Inj("mentalis", "midline", 5)], "mentalis is paired"),
    ([Inj("mentalis", "left", -2)], "must be a positive number, got -2"),
    ([Inj("mentalis", "left", 0)], "must be a positive number"),
    ([Inj("mentalis", "left", math.nan)], "must be a positive number"),
    ([Inj("platysma", "left", 250)], "implausible"),
    ([Inj("mentalis", "left", 2, 0)], "points for mentalis must be 1..20"),
    ([], "needs at least one injection"),
]


@pytest.mark.parametrize(("injections", "message"), BAD_TOXIN)
def test_bad_injections_write_nothing(seeded, injections, message):
    before = _counts(seeded)
    with pytest.raises(StoreValidationError, match=message.replace("(", r"\(")):
        _toxin(seeded, injections)
    assert _counts(seeded) == before


def test_unknown_product(seeded):
    with pytest.raises(StoreValidationError, match="unknown product 'toxinX'"):
        _toxin(seeded, [Inj("mentalis", "left", 2)], product="toxinX")


def test_units_above_the_muscle_maximum_warn_but_are_stored(seeded):
    messages = _toxin(seeded, [Inj("oo", "left", 15, 3), Inj("zyg", "right", 1)])
    assert any("15 U into orbicularis_oculi (left) is above the configured maximum 12.5 U"
               in m for m in messages)
    assert any("zygomaticus_major: over-weakening loses the smile" in m for m in messages)
    assert _counts(seeded)["Injection"] == 2
    # the same dose within the maximum: no warning; abobotulinumtoxinA scales the maximum
    assert _toxin(seeded, [Inj("oo", "left", 10)], day="2025-08-01") == []
    assert _toxin(seeded, [Inj("oo", "left", 30)], product="dysport", day="2025-04-01") == []


def test_toxin_repeated_under_the_minimum_interval_warns(seeded):
    """CLINICAL.md: re-inject not under ~12 weeks [U]; the same setting as `synk due`."""
    assert _toxin(seeded, [Inj("oo", "left", 5)], day="2026-01-01") == []
    later = _toxin(seeded, [Inj("oo", "left", 5)], day="2026-02-15")
    assert later == ["toxin session on 2026-02-15 is 45 day(s) from the session on 2026-01-01, "
                     "under the minimum interval of 84 days (not under ~12 weeks [U], "
                     "CLINICAL.md; set SYNK_TOXIN_INTERVAL_DAYS to change)"]
    next_day = _toxin(seeded, [Inj("oo", "left", 5)], day="2026-02-16")
    assert len(next_day) == 1 and "1 day(s) from the session on 2026-02-15" in next_day[0]
    assert _toxin(seeded, [Inj("oo", "left", 5)], day="2026-05-11") == []  # 84 days later
    short = load_settings(database_url=seeded.settings.database_url,
                          environ={"SYNK_TOXIN_INTERVAL_DAYS": "30"})
    assert _toxin(seeded, [Inj("oo", "left", 5)], day="2025-11-20", settings=short) == []
    assert _counts(seeded)["ToxinSession"] == 5  # warned, never refused


def test_per_muscle_maximum_is_configurable(seeded):
    custom = load_settings(database_url=seeded.settings.database_url,
                           environ={"SYNK_MAX_UNITS": "orbicularis_oculi=20,platysma=40"})
    assert custom.max_units["orbicularis_oculi"] == 20 and custom.max_units["mentalis"] == 5
    assert _toxin(seeded, [Inj("oo", "left", 15)], settings=custom) == []
    with pytest.raises(ValueError, match="unknown muscle 'nose'"):
        load_settings(environ={"SYNK_MAX_UNITS": "nose=3"})
    with pytest.raises(ValueError, match="muscle=units"):
        load_settings(environ={"SYNK_MAX_UNITS": "platysma"})


def test_measuring_method_is_a_clinic_setting():
    from synkinesis.measure import METHODS, MeasureOptions

    assert load_settings(environ={}).measure_method == MeasureOptions().method
    for method in METHODS:
        assert load_settings(environ={"SYNK_MEASURE_METHOD": method}).measure_method == method
    assert load_settings(environ={"SYNK_MEASURE_METHOD": "composite-edges"}).measure_method \
        == "composite-edges"
    with pytest.raises(ValueError, match="measure_method: .*must be one of composite-edges, "
                                         "composite, symmetric, fast"):
        load_settings(environ={"SYNK_MEASURE_METHOD": "honest"})


def test_session_total_above_usual_warns(seeded):
    messages = _toxin(seeded, [Inj("platysma", "left", 30), Inj("platysma", "right", 30),
                               Inj("oo", "left", 10)])
    assert any("session total 70 U is above the usual 60 U" in m for m in messages)


@pytest.mark.parametrize("kind", ["visit", "toxin", "therapy", "procedure"])
@pytest.mark.parametrize(("day", "message"), [
    ("2026-06-02", "is in the future"),
    ("2025-01-09", r"is before the onset of P001 \(2025-01-10\)"),
    ("2026-13-01", "must be a date YYYY-MM-DD"),
])
def test_dates_in_the_future_or_before_onset(seeded, kind, day, message):
    before = _counts(seeded)
    with pytest.raises(StoreValidationError, match=message), \
            seeded.transaction() as session:
        if kind == "visit":
            repository.create_visit(session, patient_code="P001", visit_date=day, today=TODAY)
        elif kind == "toxin":
            repository.add_toxin_session(session, patient_code="P001", session_date=day,
                                         product="botox", injections=[Inj("dao", "left", 2)],
                                         settings=seeded.settings, today=TODAY)
        elif kind == "therapy":
            repository.add_therapy_session(session, patient_code="P001", session_date=day,
                                           today=TODAY)
        else:
            repository.add_procedure(session, patient_code="P001", kind="myectomy",
                                     target="dao", side="left", procedure_date=day,
                                     today=TODAY)
    assert _counts(seeded) == before


def test_patient_input(sqlite_store):
    with sqlite_store.transaction() as session:
        add_patient(session)
    cases = [
        (dict(code="P001"), DuplicateError, "patient P001 already exists"),
        (dict(code="Jane Doe"), StoreValidationError, "never a name"),
        (dict(code="P2", affected_side="middle"), StoreValidationError,
         "unknown affected side 'middle'; expected one of: left, right, bilateral"),
        (dict(code="P2", cause="flu"), StoreValidationError, "unknown cause 'flu'"),
        (dict(code="P2", onset_date="2027-01-01"), StoreValidationError, "in the future"),
    ]
    for overrides, error, message in cases:
        with pytest.raises(error, match=message), sqlite_store.transaction() as session:
            add_patient(session, **overrides)
    assert _counts(sqlite_store)["Patient"] == 1


def test_duplicate_recording_same_sha256(seeded):
    with pytest.raises(DuplicateError, match="already recorded for P001@2026-01-05"), \
            seeded.transaction() as session:
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-02-01",
                                        today=TODAY)
        repository.add_recording(session, visit=visit, video_path="/copy.mp4",
                                 sha256="e" * 64)
    assert _counts(seeded)["Visit"] == 1  # the visit of the same transaction is gone too


def test_unknown_references(seeded):
    with seeded.reading() as session:
        with pytest.raises(NotFoundError, match="no patient 'P404'"):
            repository.get_patient(session, code="P404")
        with pytest.raises(NotFoundError, match="no visit on 2026-01-06"):
            repository.find_visit(session, ref="P001@2026-01-06")
        with pytest.raises(StoreValidationError, match="CODE@YYYY-MM-DD"):
            repository.find_visit(session, ref="abc")


def test_scores_are_validated_by_the_scales_library(seeded):
    with pytest.raises(ScaleValidationError, match="grade"), seeded.transaction() as session:
        visit = repository.find_visit(session, ref="P001@2026-01-05")
        repository.add_score(session, visit=visit, instrument="hb", items={"grade": "VII"})
    with pytest.raises(ScaleValidationError, match="unknown instrument"), \
            seeded.transaction() as session:
        visit = repository.find_visit(session, ref="P001@2026-01-05")
        repository.add_score(session, visit=visit, instrument="nope", items={})
    assert _counts(seeded)["ScaleScore"] == 0


def test_procedure_and_therapy_input(seeded):
    cases = [
        (dict(kind="facelift"), "unknown procedure 'facelift'"),
        (dict(target="elbow"), "unknown myectomy target 'elbow'"),
        (dict(prediction_values={"sunnybrook": "good"}), "must be a number"),
        (dict(side="midline"), "depressor_anguli_oris is paired"),
        (dict(side="both"), "unknown side 'both'"),
    ]
    for overrides, message in cases:
        values = dict(patient_code="P001", kind="myectomy", target="dao", side="left",
                      procedure_date="2026-02-01", today=TODAY)
        values.update(overrides)
        with pytest.raises(StoreValidationError, match=message), \
                seeded.transaction() as session:
            repository.add_procedure(session, **values)
    with pytest.raises(StoreValidationError, match="minutes must be"), \
            seeded.transaction() as session:
        repository.add_therapy_session(session, patient_code="P001",
                                       session_date="2026-02-01", minutes=0, today=TODAY)
    with seeded.transaction() as session:
        procedure = repository.add_procedure(
            session, patient_code="P001", kind="neurectomy", target="buccal", side="left",
            procedure_date="2026-02-01", today=TODAY)
        assert procedure.target == "buccal"
        with pytest.raises(StoreValidationError, match="before the procedure"):
            repository.record_procedure_outcome(session, procedure=procedure,
                                                outcome_date="2026-01-20", today=TODAY)


def test_injection_spec_parsing():
    assert Inj.parse("oo:left:7.5:3") == Inj("oo", "left", 7.5, 3)
    for text, message in [("oo:left", "MUSCLE:SIDE:UNITS"), ("oo:left:x", "units must be"),
                          ("oo:left:2:two", "points must be")]:
        with pytest.raises(StoreValidationError, match=message):
            Inj.parse(text)


def test_conflicting_concurrent_write_is_one_clear_error(seeded):
    """Two writers add the same patient code: the second commit fails as a DuplicateError
    with nothing written, not a database traceback."""
    from synkinesis.store.models import Patient as PatientRow

    with pytest.raises(DuplicateError, match="written meanwhile"), \
            seeded.transaction() as session:
        # bypass the repository's check, as a second process would race past it
        session.add(PatientRow(code="P001", affected_side="left", cause="unknown", notes=""))
    assert _counts(seeded)["Patient"] == 1
