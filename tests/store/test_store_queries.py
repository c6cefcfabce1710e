"""History, trend, before/after, toxin due and doses per muscle, on a patient with known
answers (Sunnybrook totals from CLINICAL.md's formula)."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import warnings
from datetime import date

import pytest
from store_fixtures import (
    SUNNYBROOK_SYNKINETIC,
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

from synkinesis.store import StoreValidationError, repository
from synkinesis.store import queries as q
from synkinesis.store.repository import IndexValue
from synkinesis.store.repository import InjectionSpec as Inj


def _sunnybrook(**synkinesis):
    items = dict(SUNNYBROOK_SYNKINETIC)
    items.update({f"synkinesis_{k}": v for k, v in synkinesis.items()})
    return items


# visit date -> (Sunnybrook synkinesis changes, measured ocular-oral index or None)
VISITS = {
    "2026-01-05": ({}, 2.0),                                   # 37 (the test vector)
    "2026-01-19": ({"smile": 1, "eye_closure": 1}, 1.2),       # 39, 14 days after toxin 1
    "2026-04-13": ({}, None),                                  # 37, toxin worn off
    "2026-04-29": ({"smile": 1, "eye_closure": 1, "pucker": 0}, None),  # 41
}


@pytest.fixture
def followed(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with store.transaction() as session:
            add_patient(session)
            for n, (day, (synkinesis, ocular_oral)) in enumerate(VISITS.items()):
                visit = repository.create_visit(session, patient_code="P001", visit_date=day,
                                                today=TODAY)
                repository.add_score(session, visit=visit, instrument="sunnybrook",
                                     items=_sunnybrook(**synkinesis))
                if ocular_oral is not None:
                    repository.add_recording(
                        session, visit=visit, video_path=f"/v{n}.mp4", sha256=f"{n}" * 64,
                        indices={"analysis.ocular_oral.index":
                                 IndexValue(ocular_oral, "points", "analysis")})
            for day, injections in (
                    ("2026-01-05", [Inj("oo", "left", 7.5, 3), Inj("mentalis", "left", 2.5)]),
                    ("2026-04-13", [Inj("oo", "left", 10), Inj("platysma", "left", 10),
                                    Inj("oo", "left", 2.5)])):
                repository.add_toxin_session(session, patient_code="P001", session_date=day,
                                             product="botox", injections=injections,
                                             settings=store.settings, today=TODAY)
            repository.add_therapy_session(session, patient_code="P001",
                                           session_date="2026-01-12", minutes=45,
                                           exercises=["small smile, eye relaxed"], today=TODAY)
            add_patient(session, code="P002")
            add_patient(session, code="P003")
            repository.add_toxin_session(session, patient_code="P003",
                                         session_date="2026-01-01", product="botox",
                                         injections=[Inj("dao", "right", 2)],
                                         settings=store.settings, today=TODAY)
    return store


def test_trend_of_a_scale_total(followed):
    with followed.reading() as session:
        trend = q.trend(session, patient_code="P001", index="sunnybrook")
    assert [(p.day.isoformat(), p.value) for p in trend.points] == [
        ("2026-01-05", 37), ("2026-01-19", 39), ("2026-04-13", 37), ("2026-04-29", 41)]
    assert trend.index.higher_is_better is True
    assert [t.day.isoformat() for t in trend.treatments] == ["2026-01-05", "2026-04-13"]
    assert trend.points[1].visit_ref == "P001@2026-01-19"


def test_trend_of_items_subscores_and_measured_indices(followed):
    with followed.reading() as session:
        item = q.trend(session, patient_code="P001", index="sunnybrook.synkinesis_smile")
        subscore = q.trend(session, patient_code="P001", index="sunnybrook.synkinesis")
        measured = q.trend(session, patient_code="P001", index="analysis.ocular_oral.index")
    assert [p.value for p in item.points] == [2, 1, 2, 1]
    assert item.index.higher_is_better is False
    assert [p.value for p in subscore.points] == [8, 6, 8, 4]
    assert [(p.value, p.source) for p in measured.points] == [(2.0, "analysis"),
                                                             (1.2, "analysis")]
    assert measured.index.unit == "points" and measured.index.higher_is_better is None


def test_unknown_index_lists_what_exists(followed):
    with followed.reading() as session:
        with pytest.raises(StoreValidationError, match="sunnybrook has no subscore or item"):
            q.trend(session, patient_code="P001", index="sunnybrook.nope")
        with pytest.raises(StoreValidationError,
                           match=r"unknown index 'pf'.*analysis.ocular_oral.index"):
            q.trend(session, patient_code="P001", index="pf")


def test_before_after_every_toxin_session(followed):
    with followed.reading() as session:
        rows = q.compare_treatments(session, patient_code="P001", index="sunnybrook")
    assert [(r.treatment.day.isoformat(), r.before.value, r.after.value, r.change, r.improved)
            for r in rows] == [("2026-01-05", 37, 39, 2, True), ("2026-04-13", 37, 41, 4, True)]
    assert rows[1].after.day == date(2026, 4, 29)  # nearest to 14 days after, within 7


def test_before_after_window_and_arbitrary_date(followed):
    with followed.reading() as session:
        strict = q.before_after(session, patient_code="P001", index="sunnybrook",
                                treatment_date="2026-04-13", tolerance_days=1)
        assert strict.before.value == 37 and strict.after is None and strict.change is None
        later = q.before_after(session, patient_code="P001", index="sunnybrook",
                               treatment_date=date(2026, 1, 5), after_days=100)
        assert later.after.day == date(2026, 4, 13) and later.change == 0
        assert later.improved is None
        free = q.before_after(session, patient_code="P001", index="sunnybrook",
                              treatment_date="2026-01-10", after_days=9)
        assert free.treatment.kind == "date" and (free.before.value, free.after.value) == (37,
                                                                                          39)


def test_next_toxin_due(followed):
    with followed.reading() as session:
        entries = q.toxin_due(session, interval_days=84, today=TODAY)
        assert [(e.patient_code, e.last_session.isoformat(), e.due_date.isoformat(),
                 e.days_until, e.is_due, e.sessions) for e in entries] == [
            ("P003", "2026-01-01", "2026-03-26", -67, True, 1),
            ("P001", "2026-04-13", "2026-07-06", 35, False, 2)]
        (only,) = q.toxin_due(session, interval_days=120, today=TODAY, patient_code="P001")
        assert only.due_date == date(2026, 8, 11)
        with pytest.raises(StoreValidationError, match="at least 1 day"):
            q.toxin_due(session, interval_days=0)


def test_doses_per_muscle_and_their_effect(followed):
    with followed.reading() as session:
        doses = q.doses_per_muscle(session, patient_code="P001")
        effects = q.muscle_effects(session, patient_code="P001")
    assert [(d.day.isoformat(), d.muscle, d.side, d.units, d.points) for d in doses] == [
        ("2026-01-05", "mentalis", "left", 2.5, 1),
        ("2026-01-05", "orbicularis_oculi", "left", 7.5, 3),
        ("2026-04-13", "orbicularis_oculi", "left", 12.5, 2),
        ("2026-04-13", "platysma", "left", 10.0, 1)]
    found = {(e.day.isoformat(), e.muscle, e.comparison.index.name):
             (e.pattern, e.comparison.change, e.comparison.improved) for e in effects}
    assert found[("2026-01-05", "orbicularis_oculi", "sunnybrook.synkinesis_smile")] == (
        "ocular_oral", -1, True)
    assert found[("2026-04-13", "orbicularis_oculi", "sunnybrook.synkinesis_smile")] == (
        "ocular_oral", -1, True)
    change = found[("2026-01-05", "orbicularis_oculi", "analysis.ocular_oral.index")]
    assert change[0] == "ocular_oral" and change[1] == pytest.approx(-0.8)
    assert change[2] is None
    assert not any(key[1] in ("mentalis", "platysma") for key in found)  # nothing measured


def test_history_timeline(followed):
    with followed.reading() as session:
        events = q.patient_timeline(session, patient_code="P001")
    assert [(e.day.isoformat(), e.kind) for e in events] == [
        ("2025-01-10", "onset"), ("2026-01-05", "visit"), ("2026-01-05", "toxin"),
        ("2026-01-12", "therapy"), ("2026-01-19", "visit"), ("2026-04-13", "visit"),
        ("2026-04-13", "toxin"), ("2026-04-29", "visit")]
    assert events[2].title == "toxin onabotulinumtoxinA 10 U"
    assert "orbicularis_oculi left 7.5 U (3 pts)" in events[2].details[0]
    assert any(d.startswith("sunnybrook 37 by clinician [") for d in events[1].details)


def test_trend_plot_is_a_png(followed, tmp_path):
    from synkinesis.store.plot import plot_trend

    with followed.reading() as session:
        trend = q.trend(session, patient_code="P001", index="sunnybrook")
    path = plot_trend(trend, tmp_path / "trend.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    import matplotlib.image

    image = matplotlib.image.imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 600


def _add_hb(store, day, grade, rater):
    evidence = {"grade": {"measurement": "voluntary_ratio", "value": 0.9, "confidence": 0.5}} \
        if rater == "automatic" else None
    with store.transaction() as session:
        visit = next(v for v in repository.get_patient(session, code="P001").visits
                     if v.visit_date.isoformat() == day)
        repository.add_score(session, visit=visit, instrument="hb", items={"grade": grade},
                             rater=rater, evidence=evidence)


def test_trend_and_comparisons_never_mix_raters(followed):
    """The reviewer's case: automatic 1, clinician 2, automatic 1 read as '+1 vs first'."""
    _add_hb(followed, "2026-01-05", "I", "automatic")
    _add_hb(followed, "2026-01-19", "II", "clinician")
    _add_hb(followed, "2026-04-13", "I", "automatic")
    _add_hb(followed, "2026-04-29", "III", "clinician")
    with followed.reading() as session:
        default = q.trend(session, patient_code="P001", index="hb")
        assert default.rater == "clinician"
        assert [(p.value, p.source) for p in default.points] == [(2, "clinician"),
                                                                 (3, "clinician")]
        assert [r.change_from_first for r in default.rows] == [None, 1]
        automatic = q.trend(session, patient_code="P001", index="hb", rater="automatic")
        assert [p.value for p in automatic.points] == [1, 1]
        assert len(q.trend(session, patient_code="P001", index="hb", rater="any").points) == 4
        # before toxin 2 (2026-04-13) the clinician's last value is 2026-01-19, not the
        # automatic grade of that day
        (comparison,) = [c for c in q.compare_treatments(session, patient_code="P001",
                                                         index="hb", after_days=16)
                         if c.treatment.day == date(2026, 4, 13)]
        assert (comparison.rater, comparison.before.day, comparison.after.value) == (
            "clinician", date(2026, 1, 19), 3)
        assert comparison.verdict == "worse"
        only_auto = q.before_after(session, patient_code="P001", index="hb",
                                   treatment_date="2026-01-05", rater="automatic")
        assert only_auto.after is None  # no automatic value 14 days later: never a clinician's
        # measured indices have no rater
        assert q.trend(session, patient_code="P001",
                       index="analysis.ocular_oral.index").rater == ""
        with pytest.raises(StoreValidationError, match="rater must be one of"):
            q.trend(session, patient_code="P001", index="hb", rater="nurse")


def test_only_automatic_values_are_used_when_no_clinician_scored(followed):
    _add_hb(followed, "2026-01-05", "II", "automatic")
    with followed.reading() as session:
        result = q.trend(session, patient_code="P001", index="hb")
    assert result.rater == "automatic" and [p.value for p in result.points] == [2]


def test_trend_rows_verdicts_and_dose_table_are_ready_to_print(followed):
    with followed.reading() as session:
        result = q.trend(session, patient_code="P001", index="sunnybrook")
        table = q.dose_table(session, patient_code="P001")
        comparisons = q.compare_treatments(session, patient_code="P001",
                                           index="sunnybrook.synkinesis_pucker")
    assert [(r.point.value, r.change_from_first,
             [t.title for t in r.treatments_since_previous]) for r in result.rows] == [
        (37, None, ["toxin 10 U"]), (39, 2, []), (37, 0, ["toxin 22.5 U"]), (41, 4, [])]
    assert table.days == (date(2026, 1, 5), date(2026, 4, 13))
    assert table.rows == (
        ("mentalis", "left", (2.5, None), 2.5),
        ("orbicularis_oculi", "left", (7.5, 12.5), 20.0),
        ("platysma", "left", (None, 10.0), 10.0))
    assert [c.verdict for c in comparisons] == ["unchanged", "better"]
