"""Any two visits of a patient side by side, each index with its change named: better,
worse, unchanged, within the interval, or no direction (measured indices)."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F811
from __future__ import annotations

import warnings

import pytest
from store_fixtures import (  # noqa: F401
    SUNNYBROOK_SYNKINETIC,
    TODAY,
    fill_record,
    sqlite_settings,
    sqlite_store,
)

from synkinesis.store import repository
from synkinesis.store.errors import NotFoundError, StoreValidationError
from synkinesis.store.queries import IndexSpec, VisitChange, compare_visits


@pytest.fixture
def two_visits(sqlite_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(sqlite_store)
    with sqlite_store.transaction() as session:
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-03-02",
                                        label="after toxin", today=TODAY)
        repository.add_recording(
            session, visit=visit, video_path="/videos/b.mp4", sha256="c" * 64,
            indices={"palpebral_fissure_rest_left_mm": repository.IndexValue(8.0, "mm")})
        # smile better (voluntary 3 -> 4), eye-closure synkinesis worse (2 -> 3): 37 + 4 - 1
        repository.add_score(session, visit=visit, instrument="sunnybrook",
                             items={**SUNNYBROOK_SYNKINETIC, "voluntary_smile": 4,
                                    "synkinesis_eye_closure": 3})
    return sqlite_store


def _by_name(comparison):
    return {(c.index.name, c.rater): c for c in comparison.changes}


def test_each_index_gets_its_change_and_verdict(two_visits):
    with two_visits.reading() as session:
        result = compare_visits(session, patient_code="p001", visit_a="P001@2026-01-05",
                                visit_b="P001@2026-03-02")
    changes = _by_name(result)
    total = changes[("sunnybrook", "clinician")]
    assert (total.value_a, total.value_b, total.change, total.verdict) == (37, 40, 3, "better")
    assert changes[("sunnybrook.voluntary", "clinician")].verdict == "better"
    synkinesis = changes[("sunnybrook.synkinesis", "clinician")]
    assert synkinesis.change == 1 and synkinesis.verdict == "worse"  # more synkinesis
    assert changes[("sunnybrook.resting", "clinician")].verdict == "unchanged"
    fissure = changes[("palpebral_fissure_rest_left_mm", "")]
    assert fissure.change == pytest.approx(-1.5) and fissure.verdict == "no direction"
    assert (result.date_a.isoformat(), result.date_b.isoformat()) == ("2026-01-05",
                                                                      "2026-03-02")


def test_overlapping_intervals_are_within_the_interval_and_missing_values_are_dashes():
    spec = IndexSpec("analysis.ocular_oral.index", "ocular oral", "points", False)
    assert VisitChange(spec, "", 2.0, 1.5, (1.5, 2.5), (1.0, 2.0)).verdict == \
        "within the interval"
    assert VisitChange(spec, "", 2.0, 0.5, (1.8, 2.2), (0.3, 0.7)).verdict == "better"
    assert VisitChange(spec, "", 2.0, 2.6).verdict == "worse"  # no interval stored
    assert VisitChange(spec, "", None, 2.6).verdict == "-"


def test_refuses_the_same_visit_another_patients_visit_and_unknown_visits(two_visits):
    with two_visits.transaction() as session:
        repository.create_patient(session, code="P002", affected_side="right", cause="bell")
        repository.create_visit(session, patient_code="P002", visit_date="2026-01-05",
                                today=TODAY)
    with two_visits.reading() as session:
        with pytest.raises(StoreValidationError, match="two different visits"):
            compare_visits(session, patient_code="P001", visit_a="P001@2026-01-05",
                           visit_b="P001@2026-01-05")
        with pytest.raises(StoreValidationError, match="not a visit of P001"):
            compare_visits(session, patient_code="P001", visit_a="P001@2026-01-05",
                           visit_b="P002@2026-01-05")
        with pytest.raises(NotFoundError):
            compare_visits(session, patient_code="P001", visit_a="P001@2026-01-05",
                           visit_b="P001@2027-01-01")
