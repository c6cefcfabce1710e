"""``--method fast`` with litert leaves the blendshapes to the landmark pass, which runs them a
batch at a time on the kept main faces: the numbers must be the engine's own, frame by frame."""

from __future__ import annotations

import numpy as np


def test_fast_litert_blendshapes_equal_the_engines_own(media, tmp_path):
    from synkinesis.landmarks.litert_engine import LiteRTEngine
    from synkinesis.landmarks.sources import iter_video, probe_video
    from synkinesis.measure import MeasureOptions, measure_frames

    path = media / "WolfgangLanger_Pexels.mp4"
    frames = list(iter_video(path, fps=probe_video(path).fps, stop=150))  # a batch and more
    with LiteRTEngine(mode="video") as engine:
        faces = [engine.detect(frame.rgb) for frame in frames]
    expected = np.array([found[0].blendshapes if found else np.full(52, np.nan)
                         for found in faces], dtype=np.float32)
    landmarks = np.array([found[0].landmarks_px for found in faces if found])
    measured = measure_frames(frames, tmp_path / "fast.synk", source={"description": "test"},
                              options=MeasureOptions(method="fast", engine="litert"))
    assert np.isfinite(expected).all()
    assert np.array_equal(measured.blendshapes, expected)
    assert np.array_equal(measured.load_landmarks(), landmarks)
