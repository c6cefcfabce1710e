"""The chin-pad texture refinement on real video (issue 19): a 2 mm one-sided chin lift warped
into single_face.mp4 with the smile (scripts/validate_injections.py's mentalis case) is seen
on its side and not on the other; without the refinement the landmark model misses it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "validate_injections_chin", ROOT / "scripts" / "validate_injections.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lifted(media, tmp_path_factory, script):
    """(original, injected, coverage) with the refinement on, (original, injected) without."""
    from synkinesis.dev.validate import with_images
    from synkinesis.landmarks.sources import iter_video, probe_video

    path = media / "single_face.mp4"
    frames = list(iter_video(path, fps=probe_video(path).fps))
    cache = tmp_path_factory.mktemp("chin")
    reference = script._measure_cached(frames, cache / "reference.synk", method="fast")
    case = script._inject("mentalis", frames, reference, "left", 2.0)
    coverage = script._coverage(case)
    images = with_images(frames, case.frames)
    out = {}
    for chin in (True, False):
        script.CHIN_TEXTURE = chin
        out[chin] = (script._measure_cached(frames, cache / f"original-{chin}.synk"),
                     script._measure_cached(images, cache / f"injected-{chin}.synk"))
    script.CHIN_TEXTURE = False
    return out, coverage


def test_a_one_sided_chin_lift_is_seen_with_the_refinement(lifted, script):
    measurements, coverage = lifted
    assert coverage["applied_share"] > 0.9
    original, injected = measurements[True]
    found = script.seen("mentalis", "left", 2.0, coverage, original, injected)
    # measured 0.79 / 0.00 (this case; docs/one_sided.md, "Chin-pad texture": 0.80 / 0.01
    # with the rest span of scripts/validate_injections.py)
    assert 0.7 <= found["seen"] <= 1.2, found
    assert abs(found["leak"]) <= 0.1, found
    assert found["frames"] >= 40


def test_the_landmark_model_alone_misses_it(lifted, script):
    measurements, coverage = lifted
    original, injected = measurements[False]
    found = script.seen("mentalis", "left", 2.0, coverage, original, injected)
    assert found["seen"] < 0.2, found  # measured 0.01 (docs/validation.md: 0.02)


def test_a_smooth_chin_keeps_the_models(media, tmp_path, wolfgang_measurement):
    """WolfgangLanger_Pexels.mp4's smooth chin has too little fine texture to follow (its
    registration wandered by up to 8 mm): with the option on, both sides keep the model's
    chin height."""
    import numpy as np

    from synkinesis.measure import MeasureOptions, measure_video

    refined = measure_video(media / "WolfgangLanger_Pexels.mp4", tmp_path / "chin.synk",
                            options=MeasureOptions(chin_texture=True))
    for side in ("left", "right"):
        name = f"chin_height_{side}_mm"
        difference = np.abs(refined.frames[name] - wolfgang_measurement.frames[name])
        assert np.nanmedian(difference) < 0.01, name
        assert np.nanmax(difference) < 0.1, name


def test_photos_are_not_registered_to_each_other(media, tmp_path):
    """Photos are pictures of their own: with the option on, each photo's chin height in a set
    is what it is measured alone, in either order, and what the set gives with the option off
    (registered to the previous photo's pad, single_face.jpg's chin read 15.19 / 11.99 mm in a
    set with 15-f13-anc-ph.jpg instead of 12.37 / 13.44)."""
    import numpy as np

    from synkinesis.measure import MeasureOptions, measure_images

    names = ["single_face.jpg", "15-f13-anc-ph.jpg"]
    on = MeasureOptions(method="composite-edges", chin_texture=True)
    off = MeasureOptions(method="composite-edges")
    columns = ["chin_height_left_mm", "chin_height_right_mm"]

    def heights(paths, options, out):
        measured = measure_images([media / n for n in paths], tmp_path / out, options=options)
        return np.array([[measured.frames[c][k] for c in columns] for k in range(len(paths))])

    alone = {n: heights([n], on, f"{n}.synk")[0] for n in names}
    for order in (names, names[::-1]):
        together = heights(order, on, "on.synk")
        np.testing.assert_allclose(together, heights(order, off, "off.synk"), atol=1e-6)
        for k, name in enumerate(order):
            # the set's own calibration moves a photo's chin height by at most 0.08 mm here,
            # with the option on or off; a registration across photos moved it by 1.5..2.9 mm
            np.testing.assert_allclose(together[k], alone[name], atol=0.2, err_msg=name)
