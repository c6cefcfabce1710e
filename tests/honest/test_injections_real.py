"""Pixel-level injections through the real pipeline (issue 19, scripts/validate_injections.py):
on the healthy single_face video, a moderate ocular-oral synkinesis warped into the left eye
is found on the left; the original video calls none."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "validate_injections", ROOT / "scripts" / "validate_injections.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def video(media, tmp_path_factory, script):
    from synkinesis.landmarks.sources import iter_video, probe_video

    path = media / "single_face.mp4"
    frames = list(iter_video(path, fps=probe_video(path).fps))
    cache = tmp_path_factory.mktemp("injections")
    reference = script._measure_cached(frames, cache / "reference.synk", method="fast")
    return frames, reference, cache


def test_the_truth_is_graded_from_the_anchors(script):
    """0.77 mm per point for the eye during the smile (CLINICAL.md), rounded to the nearest
    point; the eFACE ocular item is Auto-eFACE's ratio of the fissures."""
    assert [script.truth_class(p) for p in (0.0, 0.49, 1.0, 2.0, 2.6, 3.0)] == [0, 0, 1, 2, 3, 3]
    items = script.truth_items("ocular_oral", 2.0, fissure_mm=10.0)
    assert items["synkinesis_smile"] == 2
    assert items["ocular_synkinesis"] == pytest.approx(100 * (10 - 1.54) / 10)
    assert script.truth_items(None, 0.0, 10.0)["synkinesis_smile"] == 0


def test_an_injected_case_is_found_on_its_side_and_the_original_is_not(video, script):
    from synkinesis.dev.validate import with_images

    frames, reference, cache = video
    original = script._analyse(script._measure_cached(frames, cache / "original.synk"))
    assert not original["patterns"]["ocular_oral"]["called"], original["patterns"]

    amount = 2.0 * script.MM_PER_POINT["ocular_oral"]  # moderate: 1.54 mm
    case = script._inject("ocular_oral", frames, reference, "left", amount)
    assert script._coverage(case)["applied_share"] > 0.9
    injected = script._analyse(script._measure_cached(with_images(frames, case.frames),
                                                      cache / "injected.synk"))
    finding = injected["patterns"]["ocular_oral"]
    assert finding["called"], finding
    assert finding["side"] == "left"
    # graded within one class of the truth (moderate)
    assert abs(script.truth_class(finding["index_by_side"]["left"]) - 2) <= 1
