"""`synk measure` end to end through the real command, on real media and on bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from synkinesis.measure import read_measurement
from synkinesis.quality import FrameFlag
from videotools import read_frames, write_lossless


def synk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "synkinesis", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def assert_clean_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert "error:" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def leftovers(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.suffix in (".synk", ".part", ".f32")
            or p.name.startswith(".")]


def test_help_explains_options_with_an_example():
    result = synk("measure", "--help")
    assert result.returncode == 0
    for text in ("--output", "--camera", "--workers", "--iris-mm", "--mirrored", "--method",
                 "Example"):
        assert text in result.stdout


def test_measure_video_writes_result_csv_and_summary(media, tmp_path):
    result = synk("measure", media / "single_face.mp4", "-o", tmp_path / "smile.synk", "--csv")
    assert result.returncode == 0, result.stderr
    assert "palpebral_fissure" in result.stdout and "scale" in result.stdout
    measurement = read_measurement(tmp_path / "smile.synk")
    assert measurement.n_frames == 72
    header = (tmp_path / "smile.csv").read_text().splitlines()[0]
    assert "palpebral_fissure_left_mm" in header and "flags" in header


def test_directory_of_photos_and_videos_with_two_workers(media, tmp_path):
    folder = tmp_path / "visit"
    folder.mkdir()
    for name in ("single_face.mp4", "single_face.jpg", "astronaut.png"):
        (folder / name).symlink_to(media / name)
    (folder / "notes.txt").write_text("ignored: not media")
    out = tmp_path / "results"
    result = synk("measure", folder, "-o", out, "--workers", "2", "--method", "fast")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.synk")) == ["photos.synk", "single_face.synk"]
    photos = read_measurement(out / "photos.synk")
    assert list(photos.frames["source"]) == ["astronaut.png", "single_face.jpg"]
    # An Arrow thread pool once aborted the interpreter at exit one run in three: repeat.
    for _ in range(3):
        again = synk("measure", folder / "single_face.mp4", media / "single_face.mp4", "-o",
                     tmp_path / "again", "--workers", "2", "--method", "fast", "-q",
                     "--overwrite")  # the second and third run replace the first's
        assert again.returncode == 0, again.stderr
    # Same file name from two folders: two results, nothing overwritten.
    assert sorted(p.name for p in (tmp_path / "again").glob("*.synk")) == [
        "single_face-2.synk", "single_face.synk"]


def test_workers_over_one_video_say_why_it_is_not_cut(media, tmp_path):
    """--workers with an engine whose tracking a cut changes: one pass, and the user is told
    (a review finding: the option was silently ignored)."""
    from synkinesis.measure import MeasureOptions, why_not_split

    assert why_not_split(MeasureOptions(method="fast", engine="mediapipe-tasks"), 2) is None
    assert why_not_split(MeasureOptions(method="fast", engine="litert"), 1) is None
    assert "litert" in why_not_split(MeasureOptions(method="fast", engine="litert"), 2)
    assert "composite-edges" in why_not_split(MeasureOptions(method="composite-edges"), 2)
    result = synk("measure", media / "single_face.mp4", "-o", tmp_path / "one.synk",
                  "--workers", "2", "--method", "fast", "--engine", "litert")
    assert result.returncode == 0, result.stderr
    assert "--workers 2 does not cut the video into chunks" in result.stderr
    assert "litert" in result.stderr and "one pass" in result.stderr
    quiet = synk("measure", media / "single_face.mp4", "-o", tmp_path / "two.synk",
                 "--workers", "2", "--method", "fast", "--engine", "litert", "-q")
    assert quiet.returncode == 0 and "note:" not in quiet.stderr


@pytest.mark.parametrize("case", ["empty", "truncated", "text", "unsupported", "missing",
                                  "corrupt_image", "empty_dir"])
def test_bad_files_give_a_clear_message_and_no_output(media, tmp_path, case):
    target = {
        "empty": tmp_path / "empty.mp4",
        "truncated": tmp_path / "truncated.mp4",
        "text": tmp_path / "text.mp4",
        "unsupported": tmp_path / "notes.txt",
        "missing": tmp_path / "missing.mp4",
        "corrupt_image": tmp_path / "broken.jpg",
        "empty_dir": tmp_path / "nothing",
    }[case]
    if case == "empty":
        target.write_bytes(b"")
    elif case == "truncated":
        target.write_bytes((media / "single_face.mp4").read_bytes()[:60_000])
    elif case in ("text", "unsupported"):
        target.write_text("this is not a video\n")
    elif case == "corrupt_image":
        target.write_bytes(b"\xff\xd8\xff" + os.urandom(2000))
    elif case == "empty_dir":
        target.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    result = synk("measure", target, "-o", out / "result.synk")
    expected = {"empty": "empty (0 bytes)", "truncated": "", "text": "not a readable video",
                "unsupported": "unsupported format", "missing": "no such file",
                "corrupt_image": "not a readable image", "empty_dir": "no video or image"}[case]
    assert_clean_error(result, expected)
    assert leftovers(out) == []


@pytest.mark.parametrize("name", ["no_face.mp4", "free-mountain-vector-01.jpg"])
def test_no_face_exits_non_zero(media, tmp_path, name):
    result = synk("measure", media / name, "-o", tmp_path / "out.synk")
    assert_clean_error(result, "no face found")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("engine", ["mediapipe-tasks", "litert"])
def test_several_faces_measure_the_main_one(media, tmp_path, engine):
    patient = cv2.imread(str(media / "single_face.jpg"))
    bystander = cv2.resize(cv2.imread(str(media / "0-f1-su-ph.jpg")), None, fx=0.5, fy=0.5)
    canvas = np.full((patient.shape[0], patient.shape[1] + bystander.shape[1], 3), 90, np.uint8)
    canvas[:, : patient.shape[1]] = patient
    canvas[: bystander.shape[0], patient.shape[1]:] = bystander
    cv2.imwrite(str(tmp_path / "two.png"), canvas)
    result = synk("measure", tmp_path / "two.png", "-o", tmp_path / "two.synk",
                  "--engine", engine)
    assert result.returncode == 0, result.stderr
    measurement = read_measurement(tmp_path / "two.synk", landmarks=True)
    assert measurement.manifest.options["engine"] == engine
    assert measurement.frames["n_faces"][0] == 2
    assert measurement.frames["flags"][0] & FrameFlag.MULTIPLE_FACES
    assert np.nanmax(measurement.landmarks_px[0, :, 0]) < patient.shape[1]  # the patient's face


def test_grayscale_huge_and_portrait_inputs_work(media, tmp_path):
    gray = cv2.cvtColor(cv2.imread(str(media / "single_face.jpg")), cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(tmp_path / "gray.png"), gray)
    huge = cv2.resize(cv2.imread(str(media / "astronaut.png")), (6000, 6000))
    cv2.imwrite(str(tmp_path / "huge.jpg"), huge)
    for name in ("gray.png", "huge.jpg"):
        result = synk("measure", tmp_path / name, "-o", tmp_path / f"{name}.synk", "-q")
        assert result.returncode == 0, result.stderr
    frames = [frame[:, 140:500] for frame in read_frames(media / "single_face.mp4")]  # 360x360
    portrait = [cv2.copyMakeBorder(f, 140, 140, 0, 0, cv2.BORDER_CONSTANT) for f in frames]
    write_lossless(tmp_path / "portrait.avi", portrait)
    result = synk("measure", tmp_path / "portrait.avi", "-o", tmp_path / "portrait.synk", "-q")
    assert result.returncode == 0, result.stderr
    assert read_measurement(tmp_path / "portrait.synk").manifest.source.video["height"] == 640


@pytest.mark.parametrize("case", ["sideways", "tiny"])
def test_extreme_pose_and_tiny_face_are_reported(media, tmp_path, case):
    image = cv2.imread(str(media / "single_face.jpg"))
    if case == "sideways":
        image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    else:
        image = cv2.resize(image, None, fx=0.08, fy=0.08, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(tmp_path / f"{case}.png"), image)
    # A face on its side is turned upright unless asked not to (tests/test_orientation.py).
    result = synk("measure", tmp_path / f"{case}.png", "-o", tmp_path / "out.synk",
                  *(["--no-orient"] if case == "sideways" else []))
    if result.returncode == 0:  # measured: then the frame must carry the flag
        flags = read_measurement(tmp_path / "out.synk").frames["flags"][0]
        assert flags & (FrameFlag.POSE_LIMIT | FrameFlag.SMALL_FACE)
    else:
        assert_clean_error(result)
        assert any(text in result.stderr for text in
                   ("no face found", "POSE_LIMIT", "SMALL_FACE")), result.stderr


def test_out_of_range_options_are_refused(media, tmp_path):
    result = synk("measure", media / "single_face.jpg", "--iris-mm", "40")
    assert_clean_error(result, "iris diameter")
    result = synk("measure", media / "single_face.jpg", "--rest", "abc")
    assert_clean_error(result, "--rest")
    result = synk("measure", media / "single_face.jpg", "--method", "magic")
    assert_clean_error(result, "is not one of 'composite-edges', 'composite',")
    result = synk("measure")
    assert_clean_error(result, "--camera")


def test_missing_camera_is_a_clear_error(tmp_path):
    result = synk("measure", "--camera", "7", "--duration", "1", "-o", tmp_path / "cam.synk")
    assert_clean_error(result, "camera 7")
    assert leftovers(tmp_path) == []


def test_manifest_is_json_readable_by_other_tools(media, tmp_path):
    import zipfile

    synk("measure", media / "single_face.jpg", "-o", tmp_path / "photo.synk", "-q")
    with zipfile.ZipFile(tmp_path / "photo.synk") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert set(archive.namelist()) == {"manifest.json", "frames.npy", "landmarks.npy",
                                           "pose.npy", "blendshapes.npy"}
    assert manifest["format"] == "synkinesis.measure"
    assert {s["unit"] for s in manifest["signals"]} <= {"mm", "mm2", "deg", "ratio"}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_bad_input_among_several_does_not_stop_the_others(media, tmp_path, workers):
    out = tmp_path / "out"
    result = synk("measure", media / "no_face.mp4", media / "single_face.mp4", "-o", out,
                  "--workers", workers, "--method", "fast", "--csv", "-q")
    assert_clean_error(result, "no_face.mp4: no face found")
    assert sorted(p.name for p in out.iterdir()) == ["single_face.csv", "single_face.synk"]
    assert read_measurement(out / "single_face.synk").n_frames == 72


def test_the_clinic_method_setting_is_the_default_method(media, tmp_path):
    """SYNK_MEASURE_METHOD sets the default of --method (the record and web app use it too)."""
    env = {**os.environ, "COLUMNS": "120", "SYNK_MEASURE_METHOD": "composite"}
    run = subprocess.run([sys.executable, "-m", "synkinesis", "measure",
                          str(media / "single_face.jpg"), "-o", str(tmp_path / "a.synk"), "-q"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert read_measurement(tmp_path / "a.synk").manifest.options["method"] == "composite"
    env["SYNK_MEASURE_METHOD"] = "nonsense"
    bad = subprocess.run([sys.executable, "-m", "synkinesis", "measure",
                          str(media / "single_face.jpg"), "-o", str(tmp_path / "b.synk")],
                         capture_output=True, text=True, env=env, timeout=300)
    assert_clean_error(bad, "SYNK_MEASURE_METHOD", "'nonsense' is not one of")
    assert not (tmp_path / "b.synk").exists()
