"""The record of a face with no affected side named: each side's analysis index
(``analysis.<pattern>.index.left`` / ``.right``) is stored beside the one of the side it
leaned to, labelled with its side, and a toxin dose is linked to its own side's index."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import pytest
from store_fixtures import TODAY, add_patient, sqlite_settings, sqlite_store

from synkinesis.store import queries as q
from synkinesis.store import repository
from synkinesis.store.repository import IndexValue
from synkinesis.store.repository import InjectionSpec as Inj


def _points(value: float) -> IndexValue:
    return IndexValue(value, "points", "analysis", low=value - 0.2, high=value + 0.2, level=0.9)


@pytest.fixture
def unnamed(sqlite_store):
    """Two visits of a face whose lean flips (left, then right), a toxin dose into the left
    orbicularis oculi between them."""
    with sqlite_store.transaction() as session:
        add_patient(session)
        for n, (day, left) in enumerate((("2026-01-05", 1.5), ("2026-01-19", 0.5))):
            visit = repository.create_visit(session, patient_code="P001", visit_date=day,
                                            today=TODAY)
            base = left if n == 0 else -left  # the side it leaned to: left, then right
            repository.add_recording(session, visit=visit, video_path=f"/v{n}.mp4",
                                     sha256=f"{n}" * 64, indices={
                                         "analysis.ocular_oral.index": _points(base),
                                         "analysis.ocular_oral.index.left": _points(left),
                                         "analysis.ocular_oral.index.right": _points(-left)})
        repository.add_toxin_session(session, patient_code="P001", session_date="2026-01-05",
                                     product="botox", injections=[Inj("oo", "left", 5)],
                                     settings=sqlite_store.settings, today=TODAY)
    return sqlite_store


def test_each_sides_index_has_its_side_in_its_label_and_trend(unnamed):
    with unnamed.reading() as session:
        comparison = q.compare_visits(session, patient_code="P001",
                                      visit_a="P001@2026-01-05", visit_b="P001@2026-01-19")
        left = q.trend(session, patient_code="P001", index="analysis.ocular_oral.index.left")
    labels = {c.index.name: (c.index.label, c.value_a, c.value_b, c.verdict)
              for c in comparison.changes}
    assert labels["analysis.ocular_oral.index.left"] == (
        "ocular-oral index, left side taken as affected (analysis)", 1.5, 0.5, "better")
    assert labels["analysis.ocular_oral.index.right"] == (
        "ocular-oral index, right side taken as affected (analysis)", -1.5, -0.5, "worse")
    # left at A, right at B: the two values are no change of one side
    assert labels["analysis.ocular_oral.index"] == ("ocular-oral index (analysis)", 1.5, -0.5,
                                                    "sides differ")
    (base,) = [c for c in comparison.changes if c.index.name == "analysis.ocular_oral.index"]
    assert base.sides == ("left", "right")
    from synkinesis.cli.visit import comparison_document

    rows = {c["index"]: c for c in comparison_document(comparison)["changes"]}
    assert rows["analysis.ocular_oral.index"]["sides"] == {"a": "left", "b": "right"}
    assert rows["analysis.ocular_oral.index.left"]["sides"] is None
    assert [p.value for p in left.points] == [1.5, 0.5]
    assert q.analysis_index_side("analysis.ocular_oral.index.right") == "right"
    assert q.analysis_index_side("analysis.ocular_oral.index") is None
    assert q.analysis_index_side("palpebral_fissure_rest_left_mm") is None


def test_which_side_an_unsuffixed_analysis_index_is_about():
    base = "analysis.mentalis.index"
    assert q.reported_sides({base: 0.4, f"{base}.left": -0.4, f"{base}.right": 0.4}) == {
        base: "right"}
    assert q.reported_sides({base: 0.0, f"{base}.left": 0.0, f"{base}.right": 0.0}) == {}
    assert q.reported_sides({base: 0.4}) == {}  # a side named: no per-side index stored


def test_a_dose_is_linked_to_its_own_sides_index(unnamed):
    with unnamed.reading() as session:
        effects = q.muscle_effects(session, patient_code="P001")
    names = {e.comparison.index.name for e in effects}
    assert "analysis.ocular_oral.index.left" in names
    assert "analysis.ocular_oral.index.right" not in names  # the other side's is not its effect
    assert "analysis.ocular_oral.index" in names
    (left,) = [e for e in effects if e.comparison.index.name.endswith(".left")]
    assert left.comparison.change == pytest.approx(-1.0)
