"""A face recorded upside down or on its side is turned upright before landmarking, and
measures as the upright recording does (issue 16 item 13)."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.measure import MeasureOptions, measure_images, measure_video, summarise_measurement
from videotools import read_frames, write_lossless


def rest(measurement, quantity: str) -> np.ndarray:
    row = next(r for r in summarise_measurement(measurement)["rows"] if r["signal"] == quantity)
    return np.array([row["rest_left"], row["rest_right"]])


@pytest.fixture(scope="module")
def upright(media, tmp_path_factory):
    """single_face.mp4 written losslessly as recorded, so that the turned copies differ from it
    only by the turn."""
    folder = tmp_path_factory.mktemp("orientation")
    frames = read_frames(media / "single_face.mp4")
    path = write_lossless(folder / "upright.avi", frames)
    return frames, measure_video(path, folder / "upright.synk")


@pytest.mark.parametrize("turns", [2, 1, 3], ids=["upside-down", "turned-left",
                                                   "turned-right"])
def test_a_turned_video_measures_as_the_upright_one(upright, tmp_path, turns):
    frames, reference = upright
    # np.rot90 turns counter-clockwise: the recording is turned the other way round.
    turned = [np.ascontiguousarray(np.rot90(frame, -turns)) for frame in frames]
    measured = measure_video(write_lossless(tmp_path / "turned.avi", turned),
                             tmp_path / "turned.synk")
    orientation = measured.manifest.source.orientation
    assert orientation["quarter_turns_ccw"] == turns
    assert orientation["turned_ccw_deg"] == 90 * turns
    assert reference.manifest.source.orientation["quarter_turns_ccw"] == 0
    usable = (measured.manifest.frames.usable, reference.manifest.frames.usable)
    assert usable[0] >= usable[1] - 2, usable
    assert np.abs(rest(measured, "brow_height") - rest(reference, "brow_height")).max() < 1.0
    assert np.abs(rest(measured, "palpebral_fissure")
                  - rest(reference, "palpebral_fissure")).max() < 0.5


def test_without_orientation_the_upside_down_face_is_not_measured_as_upright(upright,
                                                                            tmp_path):
    """What the turn prevents: the mesh fitted upright on the inverted face."""
    frames, reference = upright
    turned = [np.ascontiguousarray(np.rot90(frame, 2)) for frame in frames]
    measured = measure_video(write_lossless(tmp_path / "turned.avi", turned),
                             tmp_path / "turned.synk",
                             options=MeasureOptions(auto_orient=False, method="fast"))
    assert measured.manifest.source.orientation is None
    assert (measured.manifest.frames.usable < reference.manifest.frames.usable - 10
            or np.abs(rest(measured, "brow_height")
                      - rest(reference, "brow_height")).max() > 3.0)


def test_each_photo_is_turned_upright_on_its_own(media, tmp_path):
    import cv2

    photo = cv2.imread(str(media / "single_face.jpg"))
    cv2.imwrite(str(tmp_path / "a_upright.png"), photo)
    cv2.imwrite(str(tmp_path / "b_sideways.png"), cv2.rotate(photo, cv2.ROTATE_90_CLOCKWISE))
    measured = measure_images(sorted(tmp_path.glob("*.png")), tmp_path / "photos.synk")
    assert measured.manifest.source.orientation["turned_ccw_deg"] == [0, 90]
    assert measured.manifest.frames.usable == 2
    brow = measured.frames["brow_height_left_mm"]
    assert abs(brow[0] - brow[1]) < 1.0


def test_key_frames_are_drawn_turned_as_they_were_landmarked(media):
    from synkinesis.reports.figures import _read_frame

    first = read_frames(media / "single_face.mp4")[0][:, :, ::-1]  # RGB
    turned = _read_frame(media / "single_face.mp4", 0, turns=1)
    assert turned.shape == (first.shape[1], first.shape[0], 3)
    assert np.array_equal(turned, np.rot90(first, 1))


@pytest.mark.parametrize("name", ["single_face.mp4", "WolfgangLanger_Pexels.mp4",
                                  "no_face.mp4"])
def test_the_litert_detector_scores_and_decides_as_the_tasks_api(media, name):
    """--engine litert orients with the detector network run by LiteRT (no MediaPipe): the same
    network, so the same scores at every turn of every sampled frame, and the same decision
    for the video as recorded and turned each way."""
    from synkinesis.landmarks.orientation import FaceOrientation, sample_video_frames
    from synkinesis.landmarks.sources import probe_video

    frames = sample_video_frames(media / name, probe_video(media / name).frame_count)
    with FaceOrientation(engine="mediapipe-tasks") as tasks, \
            FaceOrientation(engine="litert") as litert:
        ours = np.array([litert.scores(frame) for frame in frames])
        theirs = np.array([tasks.scores(frame) for frame in frames])
        assert np.abs(ours - theirs).max() < 0.02, (ours, theirs)
        for turns in range(4):
            turned = [np.ascontiguousarray(np.rot90(frame, -turns)) for frame in frames]
            decided = litert.orientation(turned)
            assert decided.turns == tasks.orientation(turned).turns
            assert decided.turns == (turns if name != "no_face.mp4" else 0)


def test_a_litert_run_never_imports_mediapipe(media, tmp_path):
    """Importing MediaPipe (and the matplotlib it pulls in) was 0.3 s and more of a litert
    run's fixed cost, for the orientation check alone."""
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path\n"
              "from synkinesis.measure import MeasureOptions, measure_video\n"
              f"measure_video(Path({str(media / 'single_face.mp4')!r}), "
              f"Path({str(tmp_path / 'fast.synk')!r}), "
              "options=MeasureOptions(method='fast', engine='litert'))\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('mediapipe', 'matplotlib')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
    assert (tmp_path / "fast.synk").exists()


def test_orientation_samples_key_frames_near_the_evenly_spaced_ones():
    """A key frame decodes on its own; any other frame after all frames from its key frame."""
    from synkinesis.landmarks.orientation import sample_frame_numbers

    evenly = [0, 67, 134, 201, 269, 336, 403, 471]
    # WolfgangLanger_Pexels.mp4's key frames: every 72 frames; the last sample has none near
    assert sample_frame_numbers(472, range(0, 472, 72)) == [0, 72, 144, 216, 288, 360, 432,
                                                            471]
    assert sample_frame_numbers(472, range(472)) == evenly  # every frame a key frame
    assert sample_frame_numbers(472, [0]) == evenly  # one key frame: nothing near
    assert sample_frame_numbers(472, []) == evenly  # no key frame known
    assert sample_frame_numbers(1, [0]) == [0]


def test_sampled_frames_are_the_frames_decoded_one_by_one(media):
    from synkinesis.landmarks.orientation import sample_frame_numbers, sample_video_frames
    from synkinesis.landmarks.sources import iter_video, key_frame_indices, probe_video

    for name in ("WolfgangLanger_Pexels.mp4", "single_face.mp4"):
        path = media / name
        count = probe_video(path).frame_count
        sampled = sample_video_frames(path, count)
        numbers = sample_frame_numbers(count, key_frame_indices(path))
        assert len(sampled) == len(numbers) == 8
        for frame, number in zip(sampled, numbers):
            alone = next(iter(iter_video(path, fps=30.0, start=number, stop=number + 1)))
            assert np.array_equal(frame, alone.rgb)
    assert key_frame_indices(media / "WolfgangLanger_Pexels.mp4").tolist() == list(
        range(0, 472, 72))


@pytest.mark.parametrize("shape", [(360, 640, 3), (641, 359, 3), (7, 5), (4, 9, 4)])
def test_a_turn_moves_the_pixels_as_numpy_turns_them(shape):
    """turn() copies with OpenCV's rotation (issue 23: ten times cheaper): the very array
    NumPy's turn gives, for every quarter turn, contiguous, and the input kept as it was."""
    from synkinesis.landmarks.orientation import turn

    image = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    kept = image.copy()
    for turns in range(-4, 8):
        got = turn(image, turns)
        expected = np.rot90(image, turns)
        assert got.shape == expected.shape and np.array_equal(got, expected), turns
        assert got.flags.c_contiguous
    assert np.array_equal(image, kept)
    # a view that is not contiguous (a half of a frame) turns the same way
    half = image[:, ::2]
    assert np.array_equal(turn(half, 1), np.rot90(half, 1))
