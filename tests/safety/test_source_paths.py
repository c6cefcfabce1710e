"""Result files name their sources by file name and content sha256, not by a path whose
folders hold user and patient names; full paths only with --keep-paths (issue 16 item 16)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synkinesis.measure import read_measurement


def synk(*args):
    return subprocess.run([sys.executable, "-m", "synkinesis", *map(str, args)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def patient_video(media, tmp_path) -> Path:
    folder = tmp_path / "Jane Doe 1961-02-03"
    folder.mkdir()
    return Path(shutil.copy(media / "single_face.mp4", folder / "visit.mp4"))


def all_text(path: Path) -> str:
    import zipfile

    if path.suffix == ".synk":
        with zipfile.ZipFile(path) as archive:
            return archive.read("manifest.json").decode()
    return path.read_text()


def test_results_name_the_file_and_its_sha256_not_its_folder(patient_video, tmp_path):
    out = tmp_path / "results"
    assert synk("measure", patient_video, "-o", out / "visit.synk", "--method", "fast",
                "-q").returncode == 0
    assert synk("analyze", out / "visit.synk", "-o", out, "--no-figures",
                "-q").returncode == 0
    for written in (out / "visit.synk", out / "visit.analysis.json"):
        text = all_text(written)
        assert "Jane Doe" not in text and str(tmp_path) not in text, written
    source = read_measurement(out / "visit.synk").manifest.source
    assert source.files == ("visit.mp4",) and source.video["path"] == "visit.mp4"
    assert source.sha256 == (hashlib.sha256(patient_video.read_bytes()).hexdigest(),)

    kept = tmp_path / "kept.synk"
    assert synk("measure", patient_video, "-o", kept, "--method", "fast", "--keep-paths",
                "-q").returncode == 0
    assert read_measurement(kept).manifest.source.files == (str(patient_video),)


def test_figures_find_the_video_beside_the_result_only_when_its_content_matches(
        patient_video, tmp_path):
    from synkinesis.reports.figures import source_video

    result = patient_video.with_suffix(".synk")
    assert synk("measure", patient_video, "--method", "fast", "-q").returncode == 0
    assert source_video(read_measurement(result)) == patient_video
    patient_video.write_bytes(patient_video.read_bytes() + b"\0")  # another video, same name
    assert source_video(read_measurement(result)) is None
