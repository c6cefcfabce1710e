"""The CLINICAL.md Sunnybrook/eFACE test vectors through the analysis's own scoring path
(:func:`synkinesis.analysis.score_estimates`, which calls the scales library)."""

from __future__ import annotations

import pytest

from synkinesis.analysis import score_estimates
from synkinesis.scales.automatic import ItemEstimate

EXPRESSIONS = ("brow_lift", "eye_closure", "smile", "snarl", "pucker")


def sunnybrook(rest, voluntary, synkinesis):
    items = [ItemEstimate(key, value, "test vector", 0.0, "points", 1.0)
             for key, value in zip(("rest_eye", "rest_cheek", "rest_mouth"), rest)]
    items += [ItemEstimate(f"voluntary_{e}", v, "test vector", 0.0, "grade", 1.0)
              for e, v in zip(EXPRESSIONS, voluntary)]
    items += [ItemEstimate(f"synkinesis_{e}", v, "test vector", 0.0, "grade", 1.0)
              for e, v in zip(EXPRESSIONS, synkinesis)]
    return score_estimates("sunnybrook", items, []).result


@pytest.mark.parametrize(("rest", "voluntary", "synkinesis", "composite"), [
    ((0, 0, 0), (5,) * 5, (0,) * 5, 100),  # normal
    ((1, 2, 1), (1,) * 5, (0,) * 5, 0),  # flaccid
    ((1, 1, 1), (3, 4, 3, 3, 2), (1, 2, 2, 1, 2), 37),  # synkinetic
    ((1, 2, 1), (1,) * 5, (3,) * 5, -15),  # worst: stored raw, clamped only for display
])
def test_sunnybrook_vectors(rest, voluntary, synkinesis, composite):
    result = sunnybrook(rest, voluntary, synkinesis)
    assert result.total == composite
    assert result.total_display == max(0, composite)
    assert result.provenance.rater.value == "automatic"
    assert result.subscore("synkinesis").value == sum(synkinesis)  # weighted x1, not x4


def test_eface_items_and_bidirectional_static_scoring():
    keys = ("brow_rest", "palpebral_fissure_rest", "nasolabial_fold_rest",
            "oral_commissure_rest", "brow_elevation", "gentle_eye_closure", "full_eye_closure",
            "nasolabial_fold_depth_smile", "nasolabial_fold_orientation_smile",
            "oral_commissure_smile", "lower_lip_eee", "ocular_synkinesis",
            "midfacial_synkinesis", "mentalis_synkinesis", "platysmal_synkinesis")
    normal = [ItemEstimate(k, 100.0, "test vector", 100.0, "%", 1.0) for k in keys]
    result = score_estimates("eface", normal, []).result
    assert result.total == pytest.approx(100)
    # A static item 50 % too high (150) scores 100 - |100 - 150| = 50 (CLINICAL.md).
    raised = [ItemEstimate(k, 150.0 if k == "brow_rest" else 100.0, "test vector", 0.0, "%", 1.0)
              for k in keys]
    result = score_estimates("eface", raised, []).result
    assert result.item_scores["brow_rest"] == pytest.approx(50)
    assert result.total == pytest.approx((14 * 100 + 50) / 15)


def test_missing_items_give_a_draft_without_a_total():
    items = [ItemEstimate("rest_eye", "narrow", "test", -1.2, "mm", 0.5)]
    estimate = score_estimates("sunnybrook", items, ["voluntary_smile"])
    assert estimate.result.draft and estimate.result.total is None
    assert estimate.result.items["rest_eye"] == 1


def test_automatic_ratings_say_when_they_were_made_and_findings_do_not_score():
    # Scoring lives in synkinesis.analysis (the scales library is a layer above findings), and
    # the automatic rating carries its time.
    from datetime import UTC, datetime

    from synthetic_faces import make_recording

    from synkinesis.analysis import analyze_recording

    recording, spans = make_recording()
    before = datetime.now(UTC)
    analysis = analyze_recording(recording, spans=spans)
    for estimate in analysis.scales:
        rated_at = estimate.result.provenance.rated_at
        assert rated_at is not None and rated_at.utcoffset() is not None
        assert before <= rated_at <= datetime.now(UTC)
    import ast
    import inspect

    from synkinesis import findings

    imported = set()
    for node in ast.walk(ast.parse(inspect.getsource(findings))):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not any(name.startswith("synkinesis.scales") for name in imported), imported
