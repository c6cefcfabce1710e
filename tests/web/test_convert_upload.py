"""Browser recordings (WebM, variable frame rate) are converted with PyAV, no ffmpeg tool
(issue 20 item 5)."""

from __future__ import annotations

import stat
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from synkinesis.landmarks.sources import iter_video, probe_video
from synkinesis.web.jobs import normalise_video


def write_webm(path: Path, times_ms: list[int]) -> Path:
    """A VP8 WebM as MediaRecorder writes one: millisecond times, irregular; frame k is grey
    level 20 + 4 k."""
    import av

    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"crf": "4", "b": "2M"}
        for k, ms in enumerate(times_ms):
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), 20 + 4 * k, np.uint8),
                                               format="rgb24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_a_variable_rate_webm_becomes_30_fps_showing_the_frame_of_each_tick(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("PATH", "")  # no ffmpeg tool to fall back on
    times = [0, 50, 90, 200, 240, 260, 400, 433, 466, 600, 700, 990]  # 1 s, 12 frames
    source = write_webm(tmp_path / "upload.webm", times)
    output = normalise_video(source, tmp_path / "out.mp4")
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    info = probe_video(output)
    assert (info.fps, info.codec, info.width, info.height) == (30.0, "h264", 160, 120)
    frames = list(iter_video(output, fps=info.fps))
    # the source lasts about 1 s (its last frame at 990 ms, shown one frame's time)
    assert len(frames) in (30, 31)
    frames = frames[:30]
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(30) / 30, atol=1e-9)
    shown = np.array([(np.median(f.rgb) - 20) / 4 for f in frames])
    # each tick shows the source frame on screen at that time (FFmpeg's fps filter rounds
    # the tick to the nearest source time: allow the neighbour at a boundary)
    tick_ms = np.arange(30) * 1000 / 30
    latest = np.searchsorted(times, tick_ms, side="right") - 1
    assert np.all(np.abs(np.round(shown) - latest) <= 1), (np.round(shown), latest)
    assert np.mean(np.round(shown) == latest) > 0.7


@pytest.mark.parametrize("content", [b"", b"not a video" * 100])
def test_an_upload_that_is_not_a_video_is_a_clear_error(tmp_path, content):
    source = tmp_path / "upload.webm"
    source.write_bytes(content)
    with pytest.raises(ValueError, match="the upload is not a readable video"):
        normalise_video(source, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()
