"""Issue 8 targets on a small subset that runs in CI (the full table:
scripts/validate_one_sided.py): the composite method on the real single_face video."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from synkinesis.dev.validate import (
    known_levels,
    load_recording,
    make_case,
    measure,
    mirror_error,
    rest_noise,
    seen_and_leak,
    with_images,
)


@pytest.fixture(scope="module")
def recording(media, tmp_path_factory):
    return load_recording(media / "single_face.mp4", tmp_path_factory.mktemp("honest"))


@pytest.fixture(scope="module")
def composite(recording, tmp_path_factory):
    return measure(recording.frames, "composite",
                   tmp_path_factory.mktemp("composite") / "original.synk")


def test_one_sided_narrowing_is_seen_on_its_side_only(recording, composite, tmp_path):
    case = make_case(recording, "eye", "left", 2.0)
    injected = measure(with_images(recording.frames, case.frames), "composite",
                       tmp_path / "eye.synk")
    seen, leak, frames = seen_and_leak(composite, injected, case)
    assert frames >= 30
    # Plain landmarks see ~0.5 and leak ~0.2 here; the composites alone do not reach the
    # target (0.8); the lid edges do (next test; docs/one_sided.md).
    assert seen >= 0.60, f"composite saw {seen:.2f} of a 2 mm narrowing"
    assert leak <= 0.10, f"{leak:.2f} leaked to the other eye"


def assert_resting_level_is_the_models(refined, model, names, kept=None):
    """composite-edges' model landmarks are exactly the composite's (same midline, same
    trackers), so, in the same units, over the frames where the pipeline takes the
    refinement's resting level (the quietest 30 % of open-eye frames) the two must agree on
    average, whatever the edges' own offset there; or, for a signal named in ``kept``, differ
    by the offset given there (the part of the edges' level the signal keeps)."""
    from scipy.stats import trim_mean

    from synkinesis.measure.calibrate import REFINEMENT_LEVEL_FRACTION, quiet_frames
    from synkinesis.quality import UNUSABLE, FrameFlag

    flags = refined.frames["flags"]
    candidates = ((flags & UNUSABLE) == 0) & (
        (flags & (FrameFlag.EYE_CLOSED_LEFT | FrameFlag.EYE_CLOSED_RIGHT)) == 0)
    quiet, _ = quiet_frames(refined.blendshapes, candidates, REFINEMENT_LEVEL_FRACTION)
    offsets = refined.manifest.refinement_rest_offsets.values
    for name in names:
        assert name in offsets
        # The same units: each method takes its iris scale from each eye's most open frames,
        # which the refined fissures rank a little differently (0.3 % on this face).
        ratio = refined.manifest.scale.mm_per_unit / model.manifest.scale.mm_per_unit
        difference = refined.frames[name][quiet] - ratio * model.frames[name][quiet]
        expected = (kept or {}).get(name, 0.0)
        # A kept share varies from frame to frame within the rest frames, and the signals are
        # smoothed after the level is set: 0.03 mm off measured (the model's level: < 0.01).
        tolerance = 0.05 if name in (kept or {}) else 0.02
        assert abs(trim_mean(difference, 0.2) - expected) < tolerance, (
            name, offsets[name], expected)


@pytest.fixture(scope="module")
def edges(recording, tmp_path_factory):
    return measure(recording.frames, "composite-edges",
                   tmp_path_factory.mktemp("edges") / "original.synk")


@pytest.fixture(scope="module")
def model_level(recording, tmp_path_factory):
    """composite-edges with the landmark model's resting level (issue 8's)."""
    return measure(recording.frames, "composite-edges",
                   tmp_path_factory.mktemp("model-level") / "original.synk",
                   resting_level="model")


def test_lid_edges_see_the_whole_narrowing_on_a_plain_face(recording, composite, edges,
                                                           tmp_path):
    original = edges
    case = make_case(recording, "eye", "right", 2.0)
    injected = measure(with_images(recording.frames, case.frames), "composite-edges",
                       tmp_path / "eye.synk")
    seen, leak, _ = seen_and_leak(original, injected, case)
    assert 0.80 <= seen <= 1.2 and leak <= 0.10, (seen, leak)
    # The eye's resting level is its upper lids' edges' (issue 18; the default resting level
    # "upper-lid-edges"): at rest each fissure is the landmark model's (the composite's) plus
    # the upper lids' share of the edge offset, which the manifest records, and nothing of the
    # lower lids' (on this face a skin fold below the left lower lid pulls its edge 1 px down;
    # with both lids' level the healthy eyes read 1.5 mm apart, a moderate resting tightness).
    offsets = original.manifest.refinement_rest_offsets.values
    names = [f"palpebral_fissure_{side}_mm" for side in ("left", "right")]
    assert set(offsets) >= {*names, *(f"{name}:upper_lid" for name in names)}
    kept = {name: offsets[f"{name}:upper_lid"] for name in names}
    # measured: left 0.45, right 0.87 mm (both lids: 1.00 and 0.16)
    assert all(0.2 <= value <= 1.2 for value in kept.values()), kept
    assert_resting_level_is_the_models(original, composite, names, kept=kept)
    # The healthy eyes then read within half a millimetre of each other at rest (0.2 mm
    # measured; the model's level 0.6 mm, both lids' edges 1.5 mm).
    rest = np.nanmedian(original.frames[names[0]][:10] - original.frames[names[1]][:10])
    assert abs(rest) <= 0.5, rest
    sources = original.manifest.landmark_sources
    assert sources["codes"]["5"] == "composite+lid-and-corner-edges"
    assert sources["counts"]["right"]["composite+lid-and-corner-edges"] >= 0.9 * original.n_frames


def test_a_given_refinement_level_replaces_the_recordings_own(recording, edges, tmp_path):
    # The validation's "known level" (docs/one_sided.md, Session 6): the left eye's level
    # given 0.3 mm above the one this recording took moves its refined fissure 0.3 mm down and
    # nothing else; the other levels given back as taken change nothing (to the 0.1 um the
    # manifest rounds them to, twice for an eye signal: its upper lids' share is given too).
    levels = known_levels(edges)
    assert "palpebral_fissure_left_mm:upper_lid" in levels
    name = "palpebral_fissure_left_mm"
    assert levels and name in levels
    shifted = {**levels, name: levels[name] + 0.3}
    again = measure(recording.frames, "composite-edges", tmp_path / "known.synk",
                    refinement_levels=shifted)
    entry = again.manifest.refinement_rest_offsets
    assert list(entry.given) == sorted(levels)
    assert entry.values[name] == pytest.approx(levels[name] + 0.3, abs=1e-4)
    from synkinesis.measure import SOURCE_CODES

    lid_refined = np.isin(again.frames["landmark_source_left"],
                          [SOURCE_CODES["composite+lid-edges"],
                           SOURCE_CODES["composite+lid-and-corner-edges"]])
    assert lid_refined.mean() > 0.8
    moved = again.frames[name] - edges.frames[name]
    np.testing.assert_allclose(moved[lid_refined], -0.3, atol=1e-3)
    for other in set(levels) - {name} - {f"{n}:upper_lid" for n in levels}:
        np.testing.assert_allclose(again.frames[other], edges.frames[other], atol=2e-4,
                                   equal_nan=True, err_msg=other)


def test_corner_edges_see_a_one_sided_corner_movement(recording, composite, edges, tmp_path):
    case = make_case(recording, "mouth", "right", 3.0)
    frames = with_images(recording.frames, case.frames)
    seen, leak, count = seen_and_leak(edges, measure(frames, "composite-edges",
                                                     tmp_path / "mouth.synk"), case)
    assert count >= 12  # the pulses are off in the recording's rest (dev.validate.off_at_rest)
    # The composite alone sees 0.58 here (the lateral part is followed by half); the corner
    # edges 0.8-1.0 (docs/one_sided.md).
    assert 0.80 <= seen <= 1.2 and leak <= 0.10, (seen, leak)
    # The resting level of the corner is its edge's own (issue 18, the default resting level
    # "upper-lid-and-corner-edges"): at rest each corner is the model's (the composite's) plus
    # the edge's resting offset, which the manifest records. On this face the left corner's
    # edge lies 2.8 mm lateral to the model's corner at rest, the right's 0.6 mm.
    names = [f"mouth_corner_{axis}_{side}_mm" for axis in "xy" for side in ("left", "right")]
    offsets = edges.manifest.refinement_rest_offsets.values
    kept = {name: offsets[name] for name in names}
    assert 2.0 <= kept["mouth_corner_x_left_mm"] <= 3.5, kept
    assert 0.2 <= kept["mouth_corner_x_right_mm"] <= 1.2, kept
    assert_resting_level_is_the_models(edges, composite, names, kept=kept)


def test_a_constant_corner_raise_is_seen_at_the_corner_edges_level(recording, edges,
                                                                   model_level, tmp_path):
    # Issue 18: the right mouth corner raised 2 mm (up and out) in every frame, rest included.
    # The default (the corner keeps its edge's resting level) reads it in full (0.98
    # measured); the model's resting level 0.74, because its resting offset takes the lateral
    # part the model missed at rest for the edge's own offset.
    case = make_case(recording, "mouth", "right", 2.0, constant=True)
    frames = with_images(recording.frames, case.frames)
    seen, leak, count = seen_and_leak(
        edges, measure(frames, "composite-edges", tmp_path / "default.synk"), case)
    assert count > 0.9 * recording.reference.n_frames
    assert 0.80 <= seen <= 1.20 and leak <= 0.10, (seen, leak)
    seen, _, _ = seen_and_leak(model_level, measure(frames, "composite-edges",
                                                    tmp_path / "model.synk",
                                                    resting_level="model"), case)
    assert seen < 0.80, seen


def test_flipped_video_gives_the_mirrored_result_with_pixel_edges(recording, edges, tmp_path):
    flipped = measure(with_images(recording.frames, [cv2.flip(i, 1) for i in recording.rgb]),
                      "composite-edges", tmp_path / "flipped.synk")
    # 0.05 mm measured (the composites' resampling rounding, which the mean shift of the corner
    # edges carries a little further); plain landmarks are off by 1.3 mm here.
    assert mirror_error(edges, flipped) <= 0.1


def test_mouth_corner_movement_does_not_leak(recording, composite, tmp_path):
    case = make_case(recording, "mouth", "right", 3.0)
    injected = measure(with_images(recording.frames, case.frames), "composite",
                       tmp_path / "mouth.synk")
    seen, leak, _ = seen_and_leak(composite, injected, case)
    assert leak <= 0.10
    assert seen >= 0.5  # the target is 0.8: see docs/one_sided.md for what is still missing


def test_rest_noise_and_jumps(recording, composite, edges):
    noise = rest_noise(composite, recording.reference)
    std, jumps = noise["eye"]
    assert std <= 0.15 and jumps <= 0.02, noise
    # With the pixel edges, eye and mouth (measured 0.055 and 0.146 mm: the mouth's 0.184 before
    # MediaPipe's lagging smoothing was replaced by a centred one, docs/one_sided.md).
    noise = rest_noise(edges, recording.reference)
    for region in ("eye", "mouth"):
        std, jumps = noise[region]
        assert std <= 0.15 and jumps <= 0.02, (region, noise)


def test_flipped_video_gives_the_mirrored_result(recording, composite, tmp_path):
    flipped = measure(with_images(recording.frames, [cv2.flip(i, 1) for i in recording.rgb]),
                      "composite", tmp_path / "flipped.synk")
    assert mirror_error(composite, flipped) <= 0.05


def test_each_sides_source_is_recorded(composite):
    sources = composite.manifest.landmark_sources
    assert sources["codes"]["2"] == "composite"
    for side in ("left", "right"):
        column = composite.frames[f"landmark_source_{side}"]
        assert column.shape == (composite.n_frames,)
        assert set(np.unique(column)) <= {1, 2}
        assert sources["counts"][side]["composite"] >= 0.9 * composite.n_frames


def test_composites_are_exactly_symmetric(recording):
    from synkinesis.landmarks.composite import half_face_composites, midline_from_landmarks

    landmarks = recording.reference.load_landmarks()
    for k in (0, 30):
        frame = midline_from_landmarks(landmarks[k], recording.rgb[k].shape[1])
        for image in half_face_composites(recording.rgb[k], frame):
            np.testing.assert_array_equal(image, image[:, ::-1])


def assert_nothing_called_above_mild(analysis):
    # An "uncertain" finding whose interval reaches down to none or mild is the recording
    # saying it cannot tell; resting tightness is not assessable without a rest segment.
    for finding in analysis.findings:
        if finding.severity == "uncertain":
            assert finding.severity_range[0] in ("none", "mild"), finding
            continue
        # not assessable: a span that is not the task (crying) or under a hand is left out
        assert finding.severity in ("none", "mild", "not measurable", "not assessable"), finding
    assert analysis.resting.severity in ("none", "mild", "not assessable"), analysis.resting


def test_the_healthy_face_reads_healthy_through_the_analysis_with_pixel_edges(edges):
    """Honest per-side signals carry each side's own noise and the face's natural asymmetry;
    on the healthy single_face video that stays below mild (the eye's resting level is its
    upper lids' edges', not the lower lids', which a skin fold pulls on one side)."""
    from synkinesis.analysis import analyze_measurement

    analysis = analyze_measurement(edges)
    assert_nothing_called_above_mild(analysis)
    assert not any("pulls one-sided movement" in w for w in analysis.warnings)


def test_symmetric_landmarks_are_said_to_miss_one_sided_movement(recording, tmp_path,
                                                                 single_face_measurement):
    from synkinesis.analysis import analyze_measurement

    symmetric = measure(recording.frames, "symmetric", tmp_path / "symmetric.synk")
    warnings = analyze_measurement(symmetric).warnings
    assert any("--method symmetric: the landmark model pulls" in w for w in warnings)
    # The default is the honest method, and says nothing of the kind.
    assert single_face_measurement.manifest.options["method"] == "composite-edges"
    assert not any("pulls one-sided movement" in w
                   for w in analyze_measurement(single_face_measurement).warnings)


def test_a_hand_over_half_the_face_is_flagged_and_the_face_reads_healthy(media, tmp_path):
    """WolfgangLanger_Pexels.mp4 has a hand over the mouth and one half of the face from 2.3
    to 9.7 s (checked by eye). Mirrored into a whole "face", that half is not a face to the
    landmark model, or (hand over the mouth, eyes in view) its lips and chin disagree with the
    other half's: that side is flagged HIDDEN_<side> and its signals left out (NaN), instead of
    reading the hand as one-sided movement; the other side is still measured, from its own
    composite. With the hand flagged and MediaPipe's lagging smoothing off, the honest signals
    of this healthy face read no synkinesis above mild (before either fix: severe ocular-oral,
    oral-ocular and mentalis on the right)."""
    from synkinesis.analysis import analyze_measurement
    from synkinesis.landmarks.sources import iter_video, probe_video
    from synkinesis.quality import UNUSABLE, FrameFlag

    path = media / "WolfgangLanger_Pexels.mp4"
    frames = list(iter_video(path, fps=probe_video(path).fps))
    measured = measure(frames, "composite-edges", tmp_path / "wolfgang.synk")
    time_s = measured.frames["time_s"]
    flags = measured.frames["flags"]
    hidden_left = (flags & FrameFlag.HIDDEN_LEFT) != 0
    hidden_right = (flags & FrameFlag.HIDDEN_RIGHT) != 0
    hidden = hidden_left | hidden_right
    hand = (time_s >= 2.3) & (time_s <= 9.7)
    assert hidden[hand].mean() >= 0.9, hidden[hand].mean()  # measured: 172 of 177
    assert hidden[~hand].mean() <= 0.03, hidden[~hand].sum()  # measured: 6 of 295 (a fast
    # turn of the head at 16.5 s)
    assert hidden_right[hand].sum() >= 0.8 * hidden[hand].sum()  # the hand's side (167)
    assert not FrameFlag.HIDDEN_RIGHT & UNUSABLE
    assert np.isnan(measured.frames["mouth_corner_y_right_mm"][hidden_right]).all()
    assert np.isnan(measured.frames["palpebral_fissure_right_mm"][hidden_right]).all()
    # The seen side is measured beside a covered half (both halves covered: nothing).
    only_right = hidden_right & ~hidden_left & ((flags & UNUSABLE) == 0)
    assert np.isfinite(measured.frames["palpebral_fissure_left_mm"][only_right]).mean() >= 0.9
    assert (((flags & FrameFlag.HALF_HIDDEN) != 0) == (hidden_left & hidden_right)).all()
    sources = measured.manifest.landmark_sources
    assert sources["codes"]["6"] == "hidden"
    found = sources["counts"]["right"]["hidden"] + sources["counts"]["left"]["hidden"]
    assert 0.8 * hidden.sum() <= found <= hidden_left.sum() + hidden_right.sum()
    assert sources["counts"]["right"]["hidden"] >= 0.9 * found  # the hand's side (154 of 163)
    assert measured.manifest.signal_smoothing["half_width_s"] == 0.1
    analysis = analyze_measurement(measured)
    assert_nothing_called_above_mild(analysis)


def test_a_constant_narrowing_is_seen_at_the_upper_lids_level_and_not_at_the_models(
        recording, edges, model_level, tmp_path):
    # Issue 18: a 1.5 mm narrowing of the right eye in every frame, rest included. The default
    # ("upper-lid-edges": the eye keeps its upper lids' edge level) reads it almost in full
    # (0.94 measured); the model's resting level reads about two thirds of it (0.68), because
    # its resting offset takes what the model missed at rest for the lashes' offset.
    case = make_case(recording, "eye", "right", 1.5, constant=True)
    assert (case.trigger == 1.0).all()
    frames = with_images(recording.frames, case.frames)
    default = measure(frames, "composite-edges", tmp_path / "default.synk")
    seen, leak, count = seen_and_leak(edges, default, case)
    assert count > 0.9 * recording.reference.n_frames
    assert 0.80 <= seen <= 1.20 and leak <= 0.10, (seen, leak)
    injected = measure(frames, "composite-edges", tmp_path / "model.synk",
                       resting_level="model")
    seen, _, _ = seen_and_leak(model_level, injected, case)
    assert 0.55 <= seen <= 0.80, seen
