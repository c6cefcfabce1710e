"""measure_video names its steps as they start, so a progress bar does not sit at 0/N while
the model loads or at N/N while the result is calibrated and written."""

from __future__ import annotations

from synkinesis.measure import MeasureOptions, measure_video
from videotools import read_frames, write_lossless


def test_measure_video_announces_each_phase_in_order(media, tmp_path):
    frames = read_frames(media / "single_face.mp4")[:20]
    video = write_lossless(tmp_path / "short.avi", frames)
    events: list[object] = []
    measured = measure_video(video, tmp_path / "short.synk",
                             options=MeasureOptions(method="fast"),
                             progress=lambda n: events.append(n), on_phase=events.append)
    phases = [e for e in events if isinstance(e, str)]
    assert phases == ["orienting", "loading the model", "landmarks", "calibrating", "writing"]
    # every frame is counted after "landmarks" and before "calibrating"
    between = events[events.index("landmarks") + 1:events.index("calibrating")]
    assert sum(between) == len(frames) == measured.n_frames
