"""A video that decodes far less than its container declares is refused by the library (so
`record add` and the web app refuse it too), unless asked for (issue 16 item 12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synkinesis.landmarks.sources import InputError, probe_video
from synkinesis.measure import MeasureOptions, measure_video, read_measurement, truncation


@pytest.fixture(scope="module")
def truncated(media, tmp_path_factory) -> Path:
    """The first 100 000 bytes of a 472-frame video: 24 frames decode."""
    path = tmp_path_factory.mktemp("truncated") / "cut.mp4"
    path.write_bytes((media / "WolfgangLanger_Pexels.mp4").read_bytes()[:100_000])
    return path


def test_a_truncated_video_is_refused_naming_both_counts(truncated, tmp_path):
    with pytest.raises(InputError, match="only 24 of the 472 frames"):
        measure_video(truncated, tmp_path / "cut.synk", options=MeasureOptions(method="fast"))
    assert list(tmp_path.iterdir()) == []  # no result, no spool left behind


def test_allow_truncated_measures_it_and_says_so_loudly(truncated, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "synkinesis", "measure", str(truncated), "-o",
         str(tmp_path / "cut.synk"), "--method", "fast", "--allow-truncated"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "TRUNCATED VIDEO: only 24 of the 472 frames" in result.stdout
    manifest = read_measurement(tmp_path / "cut.synk").manifest
    assert manifest.source.truncated["decoded_frames"] == 24
    assert manifest.source.truncated["declared_frames"] == 472
    assert manifest.options["allow_truncated"] is True


def test_whole_videos_and_variable_frame_rate_are_not_truncated(media, tmp_path):
    for name in ("single_face.mp4", "WolfgangLanger_Pexels.mp4"):
        info = probe_video(media / name)
        assert truncation(media / name, info, info.frame_count) is None
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg makes the variable-frame-rate video")
    variable = tmp_path / "vfr.mkv"  # frames 30.. shown twice as long
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(media / "single_face.mp4"),
                    "-vf", "setpts='if(lt(N,30),PTS,PTS*2)'", "-fps_mode", "vfr",
                    str(variable)], check=True, timeout=120)
    info = probe_video(variable)
    assert info.frame_count > 1.5 * 72  # the decoder's estimate from duration x rate
    assert truncation(variable, info, 72) is None
