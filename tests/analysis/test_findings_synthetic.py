"""Coupling and finding maths on synthetic signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_faces import FULL_PROTOCOL, close_eyes, guided, make_recording, mirror_recording

from synkinesis.analysis import AnalysisOptions, analyze_recording
from synkinesis.coupling import CouplingOptions, sustained_level
from synkinesis.uncertainty import UncertaintyOptions


def analyse(recording, spans, **options):
    # The point findings are tested here; their intervals in test_uncertainty.py (the
    # resampling would make this file several times slower).
    options.setdefault("uncertainty", UncertaintyOptions(replicates=0))
    return analyze_recording(recording, spans=guided(spans), options=AnalysisOptions(**options))


def test_sustained_level_ignores_single_frame_spikes():
    values = np.zeros(60)
    values[10] = 5.0  # one-frame spike
    values[30:40] = 2.0  # held for 10 frames
    level = sustained_level(values, np.ones(60, dtype=bool), 8)
    assert level.value == pytest.approx(2.0)
    assert 30 <= level.start and level.stop <= 40 and level.full_window
    short = sustained_level(values, np.ones(60, dtype=bool), 12)
    assert short.value == pytest.approx(0.0)


def test_sustained_level_nan_breaks_windows_and_short_tasks_are_marked():
    values = np.full(20, 3.0)
    values[5] = np.nan
    level = sustained_level(values, np.arange(20) < 9, 6)
    assert level.value == pytest.approx(3.0) and not level.full_window


def test_a_held_window_read_as_its_mean_does_not_read_low_under_noise():
    # A plateau of 2 mm for 30 frames under white noise of SD 0.5 mm: the lowest frame of the
    # best 8-frame window reads about 0.6 SD low (the minimum of 8 noisy frames, partly made
    # up by choosing the best of many windows); the same window read as its mean reads about
    # 0.3 SD high (it was chosen for its high lowest frame): half the error.
    rng = np.random.default_rng(3)
    mask = np.ones(30, dtype=bool)
    lows, means = [], []
    for _ in range(400):
        values = 2.0 + rng.normal(0.0, 0.5, 30)
        low, mean = (sustained_level(values, mask, 8, read) for read in ("minimum", "mean"))
        assert (low.start, low.stop) == (mean.start, mean.stop)
        assert low.value <= mean.value
        lows.append(low.value)
        means.append(mean.value)
    assert np.mean(lows) - 2.0 < -0.25
    assert 0.0 < np.mean(means) - 2.0 < 0.6 * abs(np.mean(lows) - 2.0)
    with pytest.raises(ValueError, match="read must be one of"):
        sustained_level(values, mask, 8, "median")


def test_healthy_synthetic_face_has_no_synkinesis():
    recording, spans = make_recording()
    analysis = analyse(recording, spans)
    assert analysis.segmentation.missing_tasks == ()
    for finding in (*analysis.findings, analysis.resting):
        assert finding.severity == "none", finding
    assert analysis.affected.side is None
    # Voluntary movement recovered: the big smile moves each corner by hypot(4, 6) mm.
    corner = analysis.coupling.cell(quantity="movement_mm", side="left", task="big_smile",
                                    region="mouth_corner")
    assert corner == pytest.approx(np.hypot(4, 6), abs=0.3)
    # Symmetric eye narrowing on the smile (normal faces do it) is not ocular-oral.
    eye = analysis.coupling.cell(quantity="movement_mm", side="right", task="big_smile",
                                 region="eye")
    assert eye == pytest.approx(2.0, abs=0.2)


@pytest.mark.parametrize(("extra_mm", "severity"), [
    (0.2, "none"), (0.77, "mild"), (1.5, "moderate"), (2.3, "severe")])
def test_left_eye_narrowing_on_smile_is_ocular_oral_with_anchor_severity(extra_mm, severity):
    # CLINICAL.md: one Sunnybrook point ~ 0.77 mm of fissure difference during smile.
    extra = {(task, "left", "palpebral_fissure"): -extra_mm
             for task in ("closed_smile", "big_smile")}
    recording, spans = make_recording(extra=extra)
    analysis = analyse(recording, spans, affected_side="left")
    finding = analysis.finding("ocular_oral")
    assert finding.side == "left"
    assert finding.index == pytest.approx(extra_mm / 0.77, abs=0.15)
    assert finding.severity == severity
    if severity != "none":
        assert finding.evidence[0].task in ("closed_smile", "big_smile")
        window = finding.evidence[0]
        t = recording.time_s
        span = next(s for s in spans if s["task"] == window.task)
        assert span["start_s"] <= t[window.peak_frame] < span["end_s"]
    for other in ("oral_ocular", "mentalis", "nasolabial", "platysmal"):
        assert analysis.finding(other).severity == "none"


def test_symmetric_extra_narrowing_is_not_ocular_oral():
    extra = {(task, side, "palpebral_fissure"): -2.0
             for task in ("closed_smile", "big_smile") for side in ("left", "right")}
    recording, spans = make_recording(extra=extra)
    analysis = analyse(recording, spans)
    assert analysis.finding("ocular_oral").severity == "none"
    assert abs(analysis.finding("ocular_oral").index) < 0.3


def test_pucker_uses_its_own_anchor():
    recording, spans = make_recording(extra={("pucker", "right", "palpebral_fissure"): -2.0})
    finding = analyse(recording, spans, affected_side="right").finding("ocular_oral")
    assert finding.evidence[0].task == "pucker"
    assert finding.index == pytest.approx(2.0 / 1.0, abs=0.15)  # 1.0 mm per point on pucker
    assert finding.severity == "moderate"


def _middle_of(spans, task):
    span = next(s for s in spans if s["task"] == task)
    return (span["start_s"] + span["end_s"]) / 2


def test_bilateral_blinks_are_excluded_from_ocular_oral():
    # A 0.33 s blink of both eyes in the big smile, the left lid closing further and the right
    # one two frames late: longer than the 0.25 s sustained window, so without the blink mask
    # it would read as severe left ocular-oral synkinesis.
    recording, spans = make_recording()
    blinking = close_eyes(recording, start_s=_middle_of(spans, "big_smile") - 0.15,
                          duration_s=0.33, fissure_mm={"left": 0.3, "right": 3.0}, lag_frames=2)
    analysis = analyse(blinking, spans, affected_side="left")
    assert analysis.finding("ocular_oral").severity == "none"
    unflagged = close_eyes(recording, start_s=_middle_of(spans, "big_smile") - 0.15,
                           duration_s=0.33, fissure_mm={"left": 0.3, "right": 3.0},
                           lag_frames=2, flag=False)
    # What the mask removes: read from the eye's own best 0.25 s window, the unflagged blink is
    # a severe left ocular-oral synkinesis. Read over the smile's hold (the default), a 0.33 s
    # closure is less than the fifth of the hold's frames its trimmed mean leaves out at each
    # end, so even unflagged it reads none.
    assert analyse(unflagged, spans, affected_side="left",
                   coupling=CouplingOptions(held_level="minimum")).finding(
        "ocular_oral").severity == "severe"
    assert analyse(unflagged, spans, affected_side="left").finding(
        "ocular_oral").severity == "none"


def test_one_sided_eye_closure_on_a_smile_is_ocular_oral_not_a_blink():
    # The measure step flags a one-eye closure shorter than a blink limit as a blink of that
    # eye; a 0.4 s closure of the left eye alone during the smile is ocular-oral synkinesis.
    recording, spans = make_recording()
    closing = close_eyes(recording, start_s=_middle_of(spans, "big_smile") - 0.2,
                         duration_s=0.4, fissure_mm={"left": 1.0})
    finding = analyse(closing, spans, affected_side="left").finding("ocular_oral")
    # Read over the smile's hold (a 20 % trimmed mean), a 0.4 s closure counts only for what
    # it holds beyond the trimmed fifth of the frames (mild: seen, not graded by its depth);
    # read as the lowest frame of the eye's own best 0.25 s window, for its full depth.
    assert finding.severity == "mild"
    assert analyse(closing, spans, affected_side="left",
                   coupling=CouplingOptions(held_level="minimum")).finding(
        "ocular_oral").severity == "severe"
    assert finding.evidence[0].task == "big_smile"


def test_oral_ocular_mentalis_and_nasolabial_are_found_on_their_side():
    extra = {("gentle_eye_closure", "right", "mouth_corner_y"): 4.0,
             ("big_smile", "right", "chin_height"): 2.0,
             ("brow_raise", "right", "nasolabial_length"): -2.0}
    recording, spans = make_recording(extra=extra)
    analysis = analyse(recording, spans)
    assert analysis.affected.side == "right"
    oral = analysis.finding("oral_ocular")
    assert (oral.side, oral.evidence[0].task) == ("right", "gentle_eye_closure")
    assert oral.severity in ("moderate", "severe")  # 4 mm / 1.5 mm per point [U]
    mentalis = analysis.finding("mentalis")
    assert (mentalis.side, mentalis.evidence[0].task, mentalis.severity) == (
        "right", "big_smile", "moderate")  # 2 mm / 1 mm per point [U]
    assert analysis.finding("nasolabial").severity in ("moderate", "severe")
    assert analysis.finding("ocular_oral").severity == "none"
    # A found mentalis carries no warning; a "none" says the chin landmark sees a one-sided
    # lift only in part (warped lifts: 0.02 seen), so it is not read as ruling mentalis out.
    assert "does not rule mentalis synkinesis out" not in mentalis.note
    healthy = analyse(*make_recording()).finding("mentalis")
    assert healthy.severity == "none"
    assert "does not rule mentalis synkinesis out (look at the chin)" in healthy.note


def test_platysmal_is_a_labelled_proxy():
    recording, spans = make_recording(extra={("closed_smile", "left", "lower_lip_height"): -3.0})
    finding = analyse(recording, spans, affected_side="left").finding("platysmal")
    assert finding.proxy and "not covered by face landmarks" in finding.proxy
    assert finding.severity != "none" and finding.confidence <= 0.5


def test_resting_tightness_from_narrow_eye_deep_fold_raised_corner():
    steps = (("rest", 2.0), ("big_smile", 2.0), ("rest", 1.0))
    recording, spans = make_recording(steps)
    signals = dict(recording.signals)
    signals["palpebral_fissure_left_mm"] = signals["palpebral_fissure_left_mm"] - 1.5
    signals["nasolabial_length_left_mm"] = signals["nasolabial_length_left_mm"] - 3.0
    signals["mouth_corner_y_left_mm"] = signals["mouth_corner_y_left_mm"] + 2.5
    from dataclasses import replace

    analysis = analyse(replace(recording, signals=signals), spans, affected_side="left")
    resting = analysis.resting
    assert resting.side == "left"
    assert resting.index == pytest.approx(1.5 + 1.5 + 1.25, abs=0.2)
    assert resting.severity == "severe"
    items = {i.key: i.value for i in analysis.scales[1].items}
    assert items["rest_eye"] == "narrow" and items["rest_cheek"] == "more"
    assert items["rest_mouth"] == "pulled"


@pytest.mark.parametrize("narrower_mm, severity", [(0.7, "none"), (0.95, "none"),
                                                    (1.2, "mild"), (2.0, "moderate")])
def test_a_resting_eye_asymmetry_healthy_faces_show_is_not_resting_tightness(narrower_mm,
                                                                              severity):
    # Healthy eyes differ by up to about 1 mm at rest (5.7 % of 88 healthy adults by 1 mm or
    # more, NORMAL_RESTING_POINTS): 0.7 mm (what single_face reads, 0.72 point) once read
    # "mild" from a 0.5-point cut, where the Sunnybrook resting eye item said "normal".
    from dataclasses import replace

    steps = (("rest", 2.0), ("big_smile", 2.0), ("rest", 1.0))
    recording, spans = make_recording(steps)
    signals = dict(recording.signals)
    signals["palpebral_fissure_left_mm"] = signals["palpebral_fissure_left_mm"] - narrower_mm
    analysis = analyse(replace(recording, signals=signals), spans, affected_side="left")
    assert analysis.resting.index == pytest.approx(narrower_mm, abs=0.05)
    assert analysis.resting.severity == severity
    items = {i.key: i.value for i in analysis.scales[1].items}
    assert (items["rest_eye"] == "normal") == (severity == "none")
    # The interval decision uses the same cut.
    decided = analyze_recording(replace(recording, signals=signals), spans=guided(spans),
                                options=AnalysisOptions(affected_side="left")).resting
    assert decided.severity in (severity, "uncertain")
    if severity == "none":  # what the clinician reads beside the "none"
        assert "healthy faces reach 1 point at rest" in decided.note
    if decided.severity == "uncertain":
        low, high = decided.severity_range
        assert severity in ("none", "mild", "moderate", "severe")[
            ("none", "mild", "moderate", "severe").index(low):
            ("none", "mild", "moderate", "severe").index(high) + 1]


def test_weak_left_side_with_synkinesis_is_inferred_and_mirrors():
    scale = {(task, "left"): 0.4 for task in ("brow_raise", "big_smile", "closed_smile",
                                              "snarl", "pucker", "eee")}
    extra = {("big_smile", "left", "palpebral_fissure"): -2.0}
    recording, spans = make_recording(scale=scale, extra=extra)
    analysis = analyse(recording, spans)
    assert analysis.affected.side == "left" and analysis.affected.confidence > 0.5
    assert analysis.affected.weakness > 0.3
    mirrored = analyse(mirror_recording(recording), spans)
    assert mirrored.affected.side == "right"
    assert mirrored.affected.score == pytest.approx(-analysis.affected.score, abs=1e-6)
    for a, b in zip(analysis.findings, mirrored.findings):
        assert a.index_by_side["left"] == pytest.approx(b.index_by_side["right"], abs=1e-6)
        assert a.severity == b.severity


def test_weak_left_side_scale_items_follow_the_auto_eface_formulas():
    scale = {("big_smile", "left"): 0.5, ("brow_raise", "left"): 0.25}
    recording, spans = make_recording(scale=scale)
    analysis = analyse(recording, spans, affected_side="left")
    eface, sunnybrook, house_brackmann = analysis.scales
    eface_items = {i.key: i for i in eface.items}
    assert eface_items["oral_commissure_smile"].value == pytest.approx(50, abs=4)
    assert eface_items["brow_elevation"].value == pytest.approx(25, abs=4)
    assert eface_items["gentle_eye_closure"].value == pytest.approx(95, abs=3)
    assert eface_items["palpebral_fissure_rest"].value == pytest.approx(100, abs=2)
    assert eface_items["ocular_synkinesis"].value == pytest.approx(100, abs=3)
    assert eface_items["platysmal_synkinesis"].note.startswith("FLAGGED")
    assert not eface.result.draft and len(eface.items) == 15
    assert eface.result.provenance.rater.value == "automatic"
    sb = {i.key: i.value for i in sunnybrook.items}
    assert len(sunnybrook.items) == 13 and not sunnybrook.result.draft
    assert sb["voluntary_smile"] == 3 and sb["voluntary_brow_lift"] == 2
    assert sb["voluntary_eye_closure"] == 5
    assert all(sb[f"synkinesis_{e}"] == 0 for e in ("brow_lift", "eye_closure", "smile",
                                                    "snarl", "pucker"))
    # composite = voluntary (2+5+3+5+5)*4 - resting 0 - synkinesis 0
    assert sunnybrook.result.total == 80
    assert house_brackmann.result.grade.name in ("III", "IV")


def test_missing_tasks_are_named_and_the_rest_is_analysed():
    recording, spans = make_recording(extra={("big_smile", "left", "palpebral_fissure"): -2.0})
    analysis = analyse(recording, guided(spans, drop=("pucker", "snarl", "brow_raise")),
                       affected_side="left")
    assert set(analysis.segmentation.missing_tasks) == {"pucker", "snarl", "brow_raise"}
    assert any("pucker" in w for w in analysis.warnings)
    assert analysis.finding("ocular_oral").severity == "severe"
    eface = analysis.scales[0]
    assert eface.result.draft and "brow_elevation" in eface.missing


def test_no_rest_span_uses_the_quietest_span_and_says_so():
    recording, spans = make_recording()
    no_rest = [s for s in guided(spans) if s["task"] != "rest"]
    analysis = analyze_recording(recording, spans=no_rest)
    assert analysis.segmentation.rest.flagged
    assert analysis.segmentation.rest.method == "quietest span"
    (note,) = [w for w in analysis.warnings if "no rest segment" in w]
    # and what that costs: a change that never leaves the face is partly taken as rest
    assert "under-read" in note and "record a rest" in note
    assert all(f.severity == "none" for f in analysis.findings)


def test_healthy_side_moving_the_other_way_is_not_excess_on_the_affected_side():
    # The right lower lip rises in the closed smile (against its active direction: descent);
    # the left lower lip stays. That is no depressor pull on the left.
    recording, spans = make_recording(extra={("closed_smile", "right", "lower_lip_height"): 4.0})
    analysis = analyse(recording, spans, affected_side="left")
    assert analysis.finding("platysmal").index == pytest.approx(0.0, abs=0.1)
    assert analysis.finding("platysmal").severity == "none"


@pytest.mark.parametrize("strength", [0.3, 0.6])
def test_weak_side_without_synkinesis_is_named_from_its_weakness(strength):
    # A weak left side narrows its eye less on its weaker smile: that is missing normal
    # co-movement, not synkinesis of the healthy right side (issue 3, finding 1).
    scale = {(task, "left"): strength for task, _ in FULL_PROTOCOL if task != "rest"}
    recording, spans = make_recording(scale=scale)
    analysis = analyze_recording(recording, spans=spans)
    assert analysis.affected.side == "left"
    assert abs(analysis.affected.co_movement) < 0.05
    for finding in analysis.findings:
        assert (finding.side, finding.severity) in (("left", "none"),
                                                    ("left", "not measurable")), finding


def test_weak_smile_alone_gives_no_co_movement_to_either_side():
    scale = {("big_smile", "left"): 0.5, ("closed_smile", "left"): 0.5}
    recording, spans = make_recording(scale=scale)
    analysis = analyse(recording, spans)
    assert abs(analysis.affected.co_movement) < 0.05
    assert analysis.affected.weakness > 0


def test_without_a_named_side_patterns_are_reported_on_the_leaning_side():
    scale = {(task, "left"): 0.8 for task, _ in FULL_PROTOCOL if task != "rest"}
    recording, spans = make_recording(scale=scale)
    analysis = analyze_recording(recording, spans=spans)
    assert analysis.affected.side is None and analysis.affected.leaning == "left"
    for finding in (*analysis.findings, analysis.resting):
        assert finding.side == "left" and finding.severity in ("none", "not measurable")
    sides = {e.instrument: e.notes for e in analysis.scales}
    assert "left side" in sides["eface"][0]


def test_a_side_not_measured_is_not_a_side_that_did_not_move():
    # The right eye is unmeasured (NaN) through the big smile; the left eye's normal 2 mm
    # narrowing there must not become "excess" over a right eye taken as still.
    recording, spans = make_recording()
    span = next(s for s in spans if s["task"] == "big_smile")
    t = recording.time_s
    during = (t >= span["start_s"]) & (t < span["end_s"])
    signals = dict(recording.signals)
    signals["palpebral_fissure_right_mm"] = np.where(
        during, np.nan, signals["palpebral_fissure_right_mm"])
    from dataclasses import replace

    analysis = analyse(replace(recording, signals=signals), spans, affected_side="left")
    finding = analysis.finding("ocular_oral")
    assert finding.severity == "none"
    assert "big_smile" not in finding.tasks
    assert np.isnan(analysis.coupling.cell(quantity="excess_mm", side="left", task="big_smile",
                                           region="eye"))


def test_two_rest_spans_are_two_spans_not_everything_between():
    # Rest, a long smile with 2 mm of extra left eye narrowing, rest: the noise floor comes
    # from the two rest spans only, not from the smile between them.
    steps = (("rest", 1.0), ("big_smile", 4.0), ("rest", 1.0))
    recording, spans = make_recording(steps, extra={("big_smile", "left",
                                                     "palpebral_fissure"): -2.0})
    analysis = analyze_recording(recording, spans=spans,
                                 options=AnalysisOptions(affected_side="left"))
    rest = analysis.segmentation.rest
    assert rest.spans == ((0.0, 1.0), (5.0, 6.0))
    assert rest.n_frames == int(rest.mask(recording.time_s).sum()) == 60
    assert analysis.coupling.noise_floor("eye") == pytest.approx(0.3, abs=0.05)
    # 2 mm is 2.6 points, just above the severe cut (2.5): the interval decides between
    # moderate and severe, never lower.
    finding = analysis.finding("ocular_oral")
    assert finding.index == pytest.approx(2.0 / 0.77, abs=0.15)
    assert finding.severity in ("severe", "uncertain")
    assert finding.severity_range[0] in ("moderate", "severe")
    assert finding.severity_range[1] == "severe"
    from synkinesis.analysis import summarise_analysis

    assert "rest 0.00-1.00, 5.00-6.00 s" in summarise_analysis(analysis)["segmentation"]


def test_an_eye_narrow_at_rest_that_closes_completely_is_graded_complete():
    # The left eye is 3 mm narrower at rest (7 vs 10 mm) and closes completely, like the right:
    # Sunnybrook voluntary eye closure and the House-Brackmann ratio compare closure fractions
    # (narrowing / that side's own rest fissure), as eFACE does, not millimetres (6.7 vs 9.6).
    recording, spans = make_recording()
    signals = dict(recording.signals)
    left = signals["palpebral_fissure_left_mm"]
    signals["palpebral_fissure_left_mm"] = np.maximum(left - 3.0, np.minimum(left, 0.5))
    from dataclasses import replace

    analysis = analyse(replace(recording, signals=signals), spans, affected_side="left")
    eface, sunnybrook, house_brackmann = analysis.scales
    items = {i.key: i for i in sunnybrook.items}
    assert items["voluntary_eye_closure"].value == 5
    assert items["voluntary_eye_closure"].measured == pytest.approx(1.0, abs=0.05)
    assert house_brackmann.items[0].measured == pytest.approx(1.0, abs=0.03)
    assert {i.key: i.value for i in eface.items}["full_eye_closure"] == pytest.approx(100, abs=2)


def test_a_pattern_within_the_noise_floor_does_not_lower_the_eface_item():
    # 0.8 mm of extra left chin rise on the big smile is 0.8 points, but below a 1 mm noise
    # floor: mentalis reads "none", and the eFACE mentalis item must read 100, not 100 - 33.3 *
    # 0.49 = 83.7 (issue 3, finding 11).

    recording, spans = make_recording(extra={("big_smile", "left", "chin_height"): 0.8})
    analysis = analyse(recording, spans, affected_side="left",
                       coupling=CouplingOptions(min_noise_floor_mm=1.0))
    mentalis = analysis.finding("mentalis")
    assert mentalis.severity == "none" and mentalis.index == pytest.approx(0.8, abs=0.1)
    items = {i.key: i for i in analysis.scales[0].items}
    assert items["mentalis_synkinesis"].value == 100
    assert items["mentalis_synkinesis"].measured == 0.0


def test_coupling_cells_are_read_by_their_labels():
    recording, spans = make_recording()
    coupling = analyze_recording(recording, spans=spans).coupling
    row, column = coupling.tasks.index("big_smile"), coupling.regions.index("eye")
    assert coupling.cell(quantity="movement_mm", side="left", task="big_smile",
                         region="eye") == coupling.movement_mm["left"][row, column]
    assert np.isnan(coupling.cell(quantity="normalised", side="left", task="not_recorded",
                                  region="eye"))
    assert coupling.excess_window_of(side="left", task="not_recorded", region="eye") == (
        -1, -1, -1)
    assert coupling.task_reliability("not_recorded") == 0.0
    with pytest.raises(ValueError, match="quantity must be one of"):
        coupling.cell(quantity="movement", side="left", task="big_smile", region="eye")
    with pytest.raises(ValueError, match="region must be one of"):
        coupling.noise_floor("nose")


def test_drivers_moving_against_their_direction_do_not_decide_the_side():
    # A weak left side; then both lower lips move against their active direction in the big
    # smile, the right one far more. Movement against the active direction is no voluntary
    # movement: that cell must not outweigh every other (it was divided by the noise floor
    # alone, a term of about 10 against the others' -1..1).
    from dataclasses import replace

    from synkinesis.findings import infer_affected_side

    scale = {(task, "left"): 0.3 for task, _ in FULL_PROTOCOL if task != "rest"}
    recording, spans = make_recording(scale=scale)
    coupling = analyse(recording, spans).coupling
    row, column = coupling.tasks.index("big_smile"), coupling.regions.index("lower_lip")
    movement = {side: values.copy() for side, values in coupling.movement_mm.items()}
    movement["left"][row, column], movement["right"][row, column] = -1.6, -9.7
    moved = replace(coupling, movement_mm=movement)
    affected = infer_affected_side(moved)
    assert affected.side == "left"
    assert -1.0 <= affected.weakness <= 1.0
    assert affected.weakness == pytest.approx(infer_affected_side(coupling).weakness, abs=0.1)


def test_an_unnamed_face_is_called_on_both_sides():
    # A slightly weaker right side (the evidence leans right, too weak to name) with a left eye
    # that narrows 0.6 mm more in the smiles: the findings are about the right, where
    # ocular-oral reads none, and the left is called too, from its own index and interval:
    # none, as its 1.17 points lie inside the left-right difference healthy faces show (1.3);
    # with the left given as affected, the same index is a mild synkinesis.
    scale = {(task, "right"): 0.85 for task in (
        "brow_raise", "big_smile", "closed_smile", "snarl", "pucker", "eee",
        "gentle_eye_closure", "tight_eye_closure")}
    extra = {(task, "left", "palpebral_fissure"): -0.6 for task in ("big_smile", "closed_smile")}
    recording, spans = make_recording(extra=extra, scale=scale)
    drawn = UncertaintyOptions(replicates=20)  # the other side's interval too
    analysis = analyse(recording, spans, uncertainty=drawn)
    assert analysis.affected.side is None and analysis.affected.leaning == "right"
    finding = analysis.finding("ocular_oral")
    assert finding.side == "right" and finding.severity == "none"
    other = finding.other_side
    assert other is not None and other.side == "left"
    assert other.index == pytest.approx(finding.index_by_side["left"], abs=1e-3)
    assert other.index == pytest.approx(1.17, abs=0.01)
    assert other.severity == "none" and other.severity_range == ("none", "none")
    assert 0.5 <= other.low <= other.index <= other.high < 1.3
    assert other.task in ("big_smile", "closed_smile")
    assert "no affected side named: below 1.3 points" in finding.note
    named = analyse(recording, spans, uncertainty=drawn, affected_side="left")
    assert named.finding("ocular_oral").severity == "mild"
    # the mirrored face: the same two calls with the sides swapped
    mirrored, _ = make_recording(extra={(t, "right", r): v for (t, _s, r), v in extra.items()},
                                 scale={(t, "left"): v for (t, _s), v in scale.items()})
    swapped = analyse(mirrored, spans, uncertainty=drawn).finding("ocular_oral")
    assert swapped.side == "left" and swapped.severity == "none"
    assert swapped.other_side.side == "right" and swapped.other_side.severity == "none"
    assert swapped.other_side.index == pytest.approx(other.index, abs=0.05)  # own noise
    # the affected side given: one call, about that side
    given = analyse(recording, spans, affected_side="right").finding("ocular_oral")
    assert given.other_side is None
    # a face whose other side stays below mild: called none there
    healthy = analyse(*make_recording(scale=scale)).finding("ocular_oral")
    assert healthy.other_side is not None and healthy.other_side.severity == "none"


def test_trim_mean_gives_scipys_numbers():
    # One trimmed mean for the measure step (resting levels, iris scale) and the coupling
    # (a co-movement over the driver's hold), equal to scipy.stats.trim_mean, which neither
    # imports.
    from scipy.stats import trim_mean as scipy_trim_mean

    from synkinesis.sustained import trim_mean

    rng = np.random.default_rng(7)
    for size in (1, 2, 4, 5, 9, 10, 61, 200):
        values = rng.normal(1.0, 0.5, size)
        values[0] += 5.0  # an outlier the trimming takes off from size 5 on
        for proportion in (0.0, 0.1, 0.2, 0.25):
            assert trim_mean(values, proportion) == pytest.approx(
                float(scipy_trim_mean(values, proportion)), rel=1e-12, abs=1e-12)
    assert np.isnan(trim_mean(np.array([]), 0.2))
