"""Video decoding with PyAV: real presentation times, exact seeking, clear refusals (issue 20
item 5)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from synkinesis.landmarks.sources import (
    InputError,
    decoded_extent,
    frame_times,
    iter_video,
    probe_video,
)

#: Irregular frame times in ms, as a phone gives them when the light changes: 30 fps, then
#: 15 fps, then jittered, with one long gap.
TIMES_MS = ([round(i * 1000 / 30) for i in range(30)]
            + [1000 + round(i * 1000 / 15) for i in range(15)]
            + [2000 + 37 * i + (11 if i % 3 == 0 else 0) for i in range(20)]
            + [3500, 3533, 3566, 3600])


def write_vfr(path: Path, times_ms: list[int], *, codec: str = "libx264",
              size=(160, 120)) -> Path:
    """A video whose frame k is shown at ``times_ms[k]`` and shows its own number as a grey
    level (so a frame can be recognised after decoding)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        if codec == "libx264":
            stream.options = {"crf": "0", "g": "12", "bf": "2"}
        for k, ms in enumerate(times_ms):
            image = np.full((size[1], size[0], 3), 3 * k + 10, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = ms
            frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def grey(frame) -> int:
    return int(round((float(np.median(frame.rgb)) - 10) / 3))


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_variable_frame_rate_video_gives_its_true_times(tmp_path, suffix):
    video = write_vfr(tmp_path / f"vfr{suffix}", TIMES_MS)
    info = probe_video(video)
    frames = list(iter_video(video, fps=info.fps))
    assert [f.index for f in frames] == list(range(len(TIMES_MS)))
    assert [grey(f) for f in frames] == list(range(len(TIMES_MS)))
    true = (np.array(TIMES_MS) - TIMES_MS[0]) / 1000
    np.testing.assert_allclose([f.time_s for f in frames], true, atol=1e-9)
    # index / fps, what the decoder gave before, is off by over a third of a second
    assert max(abs(f.time_s - f.index / info.fps) for f in frames) > 0.3
    count, last_s = decoded_extent(video)
    assert count == len(TIMES_MS) and last_s == pytest.approx(true[-1])


@pytest.mark.parametrize("start, stop", [(1, 5), (13, 29), (29, 47), (50, None), (68, None)])
def test_seeking_starts_at_exactly_the_wanted_frame(tmp_path, start, stop):
    """A chunk (B-frames, a key frame every 12) is the same frames with the same times as
    the same range of a whole pass."""
    video = write_vfr(tmp_path / "vfr.mp4", TIMES_MS)
    whole = list(iter_video(video, fps=30.0))
    part = list(iter_video(video, fps=30.0, start=start, stop=stop))
    expected = whole[start:stop]
    assert [f.index for f in part] == [f.index for f in expected]
    assert [f.time_s for f in part] == [f.time_s for f in expected]
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(part, expected))


def test_frame_times_are_the_presentation_times_in_order(tmp_path):
    video = write_vfr(tmp_path / "vfr.mkv", TIMES_MS)
    assert frame_times(video).tolist() == TIMES_MS


def test_the_shared_videos_decode_as_before(media):
    """Constant-rate videos: times are index / fps (to float precision), all frames decode."""
    for name, count in (("single_face.mp4", 72), ("WolfgangLanger_Pexels.mp4", 472)):
        info = probe_video(media / name)
        assert (info.width, info.height, info.frame_count, info.codec) == (640, 360, count,
                                                                            "h264")
        frames = list(iter_video(media / name, fps=info.fps))
        assert len(frames) == count
        np.testing.assert_allclose([f.time_s for f in frames],
                                   np.arange(count) / info.fps, atol=1e-9)


def _as_pyav_gives_each_frame(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """Every frame as PyAV converts it on its own (``to_ndarray(format="rgb24")``, a converter
    made for that frame) and its time as the exact Fraction, rounded once."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        pixels, times, origin = [], [], None
        for frame in container.decode(stream):
            origin = frame.pts if origin is None else origin
            pixels.append(frame.to_ndarray(format="rgb24"))
            times.append(float((frame.pts - origin) * stream.time_base))
    return pixels, times


def test_one_converter_per_video_gives_every_frame_and_time_as_before(media, tmp_path):
    """iter_video keeps one colour converter for a whole video and computes times without a
    Fraction per frame (the decoding cost of issue 23): the same pixels, bit for bit, and
    the same float times as a converter per frame and Fraction arithmetic gave."""
    videos = [media / "single_face.mp4", media / "WolfgangLanger_Pexels.mp4",
              write_vfr(tmp_path / "vfr.mp4", TIMES_MS), write_vfr(tmp_path / "vfr.mkv",
                                                                   TIMES_MS)]
    for video in videos:
        pixels, times = _as_pyav_gives_each_frame(video)
        frames = list(iter_video(video, fps=30.0))
        assert len(frames) == len(pixels) > 50, video.name
        assert [f.time_s for f in frames] == times, video.name  # exactly, not approximately
        assert all(np.array_equal(f.rgb, p) for f, p in zip(frames, pixels)), video.name


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"this is not a video at all" * 40, "not a readable video"),
])
def test_bad_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        probe_video(path)


def test_a_file_without_a_video_stream_is_a_clear_error(tmp_path):
    import av

    path = tmp_path / "sound.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), dtype=np.int16), format="s16",
                                           layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(InputError, match="holds no video stream"):
        probe_video(path)


def test_orientation_metadata_is_applied_as_opencv_did(media, tmp_path):
    """A phone video stored sideways with a 'rotate' tag decodes upright (the same pixels as
    OpenCV's automatic orientation gave)."""
    import shutil
    import subprocess

    import cv2

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg (a test tool here) writes the rotate tag")
    video = tmp_path / "rotated.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(media / "single_face.mp4"), "-c",
                    "copy", "-metadata:s:v:0", "rotate=90", str(video)], check=True)
    info = probe_video(video)
    assert (info.width, info.height) == (360, 640)
    first = next(iter(iter_video(video, fps=info.fps)))
    capture = cv2.VideoCapture(str(video))
    ok, bgr = capture.read()
    capture.release()
    assert ok and np.array_equal(first.rgb, bgr[..., ::-1])


@pytest.mark.parametrize("cpus", [2, 1], ids=["thread", "one-cpu"])
def test_read_ahead_gives_the_same_frames_and_stops_its_thread(tmp_path, monkeypatch, cpus):
    """Two CPUs or more: decoding on a thread of its own; one: the frames as they come, no
    thread (it could overlap nothing there). Either way the same frames, and stopping early
    closes the decoder."""
    import threading

    from synkinesis.landmarks import read_ahead as module
    from synkinesis.landmarks.read_ahead import read_ahead

    monkeypatch.setattr(module, "usable_cpus", lambda: cpus)
    video = write_vfr(tmp_path / "vfr.mp4", TIMES_MS)
    expected = list(iter_video(video, fps=30.0))
    started = []
    real_thread = threading.Thread

    def counted(*args, **kwargs):
        started.append(kwargs.get("name"))
        return real_thread(*args, **kwargs)

    monkeypatch.setattr(threading, "Thread", counted)
    got = list(read_ahead(iter_video(video, fps=30.0), depth=2))
    assert started == (["synk-decode"] if cpus > 1 else [])
    assert [f.index for f in got] == [f.index for f in expected]
    assert [f.time_s for f in got] == [f.time_s for f in expected]
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(got, expected))
    # stopped early (an error in the landmark loop): the decoding thread ends with it, and
    # the decoder is closed
    closed = []

    def source():
        try:
            yield from iter_video(video, fps=30.0)
        finally:
            closed.append(True)

    early = read_ahead(source(), depth=2)
    assert next(early).index == 0
    early.close()
    assert closed == [True]
    assert not any(t.name == "synk-decode" and t.is_alive() for t in threading.enumerate())


def test_a_process_pinned_to_one_cpu_counts_one():
    import os
    import subprocess
    import sys

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this system")
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from synkinesis.landmarks.read_ahead import usable_cpus; print(usable_cpus())")
    pinned = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert pinned == "1"
    from synkinesis.landmarks.read_ahead import usable_cpus

    assert usable_cpus() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("cpus", [2, 1], ids=["thread", "one-cpu"])
def test_read_ahead_raises_a_decoding_error_where_it_happened(monkeypatch, cpus):
    from synkinesis.landmarks import read_ahead as module
    from synkinesis.landmarks.read_ahead import read_ahead
    from synkinesis.landmarks.sources import Frame

    monkeypatch.setattr(module, "usable_cpus", lambda: cpus)

    def broken():
        for i in range(3):
            yield Frame(index=i, time_s=i / 30, rgb=np.zeros((2, 2, 3), np.uint8))
        raise InputError("damaged at frame 3")

    seen = []
    with pytest.raises(InputError, match="damaged at frame 3"):
        for frame in read_ahead(broken()):
            seen.append(frame.index)
    assert seen == [0, 1, 2]
