"""The simulated protocol repeats each task as the guided protocol does, and the camera can be
moved closer (more pixels per mm) or given another frame."""

from __future__ import annotations

import numpy as np
import pytest

from synkinesis.simulate import Injury, ModelError, SimulationSpec, simulate_patient
from synkinesis.simulate.anatomy import MUSCLES, TASKS, command_matrix
from synkinesis.simulate.camera import face_width_px, with_camera
from synkinesis.simulate.face import to_pixels
from synkinesis.simulate.recording import ProtocolTiming, protocol_commands
from synkinesis.simulate.scenarios import parse_frame


@pytest.mark.parametrize("repetitions", [1, 2, 3])
def test_each_task_is_performed_repetitions_times_in_a_row(repetitions):
    timing = ProtocolTiming(repetitions=repetitions, blink_rate_hz=0.0)  # blinks: not tasks
    time_s, command, spans = protocol_commands(timing, rng=np.random.default_rng(5))
    moving = [task for task in TASKS if task != "rest"]
    assert [s.task for s in spans] == ["rest"] + [t for t in moving for _ in range(repetitions)]
    assert all(a.end_s == pytest.approx(b.start_s) for a, b in zip(spans, spans[1:]))
    table = command_matrix()
    for span in spans[1:]:
        # every repetition is a movement of its own: the task's main muscle rises and falls
        # back inside its own span
        muscle = int(np.argmax(table[TASKS.index(span.task)]))
        inside = (time_s >= span.start_s) & (time_s < span.end_s)
        level = command[inside, muscle]
        assert level.max() > 0.8 * table[TASKS.index(span.task), muscle]
        assert level[0] < 0.05 and level[-1] < 0.05
    # each repetition draws its own timing and effort: the two holds differ
    if repetitions >= 2:
        frontalis = command[:, MUSCLES.index("frontalis")]
        first, second = spans[1], spans[2]
        a = frontalis[(time_s >= first.start_s) & (time_s < first.end_s)]
        b = frontalis[(time_s >= second.start_s) & (time_s < second.end_s)]
        assert not np.allclose(a[: min(a.size, b.size)], b[: min(a.size, b.size)])
    assert time_s[-1] == pytest.approx(timing.rest_s + len(moving) * repetitions
                                       * timing.task_duration_s(), abs=2 / timing.fps)


def test_default_protocol_asks_each_task_twice_like_the_guided_protocol():
    from synkinesis.protocol import GUIDED_REPETITIONS

    assert ProtocolTiming().repetitions == GUIDED_REPETITIONS == 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"repetitions": 0}, "repetitions must be in 1..10"),
    ({"repetitions": 1.5}, "repetitions must be a whole number"),
    ({"frame_width": 640}, "given together"),
    ({"frame_width": 8, "frame_height": 8}, "16..8192"),
    ({"face_px": 5.0}, "face_px must be 20..8192"),
])
def test_bad_repetitions_and_camera_are_refused(changes, message):
    with pytest.raises(ModelError, match=message):
        ProtocolTiming(**changes).validate()


def test_parse_frame():
    assert parse_frame("1920x1080") == (1920, 1080)
    assert parse_frame(None) == (0, 0)
    for bad in ("1920", "axb", "10x10"):
        with pytest.raises(ModelError, match="--frame"):
            parse_frame(bad)


def test_camera_scales_the_face_about_its_place_in_the_frame(neutral_face):
    width = face_width_px(neutral_face)
    closer = with_camera(neutral_face, face_px=2.5 * width, frame_size=(1080, 1920))
    assert face_width_px(closer) == pytest.approx(2.5 * width)
    assert closer.frame_size == (1080, 1920)
    before = to_pixels(neutral_face.head_mm[None], neutral_face)[0]
    after = to_pixels(closer.head_mm[None], closer)[0]
    # the same shape, 2.5 x larger, its centre at the same fraction of the frame
    np.testing.assert_allclose((after - after.mean(0))[:, :2],
                               2.5 * (before - before.mean(0))[:, :2], atol=1e-6)
    height, old_width = neutral_face.frame_size
    np.testing.assert_allclose(after.mean(0)[:2] / [1920, 1080],
                               before.mean(0)[:2] / [old_width, height], atol=1e-9)
    assert with_camera(neutral_face) is neutral_face
    with pytest.raises(ValueError, match="does not fit"):
        with_camera(neutral_face, face_px=1000, frame_size=(360, 640))


def test_a_closer_camera_gives_less_jitter_in_mm(neutral_face, canonical):
    """The same 1 px tracker noise is fewer mm on a face with more pixels: what --face-px is
    for. Measured on the simulated landmarks at rest, through the pixel scale."""
    jitter_mm = {}
    for face_px in (0.0, 450.0):
        frame = (1080, 1920) if face_px else None
        spec = SimulationSpec(injuries=(Injury("left", "proximal", 0.8),), seed=3,
                              timing=ProtocolTiming(noise_px=1.0, head_motion_deg=0.0,
                                                    head_shift_mm=0.0, blink_rate_hz=0.0,
                                                    repetitions=1, face_px=face_px,
                                                    frame_width=1920 if face_px else 0,
                                                    frame_height=1080 if face_px else 0))
        recording, _ = simulate_patient(spec, neutral_face,
                                        canonical_vertices=canonical.vertices)
        assert recording.frame_size == (frame or neutral_face.frame_size)
        rest = recording.time_s < recording.spans[0].end_s
        pixels = recording.landmarks_px[rest].astype(float)
        # frame-to-frame jitter of a still face: the tracker noise, 1 px whatever the camera
        jitter_px = float(np.std(np.diff(pixels[:, :, :2], axis=0))) / np.sqrt(2)
        assert jitter_px == pytest.approx(1.0, rel=0.05)
        camera = with_camera(neutral_face, face_px=face_px, frame_size=frame)
        jitter_mm[face_px] = jitter_px * face_width_mm(neutral_face) / face_width_px(camera)
    ratio = face_width_px(neutral_face) / 450.0
    assert jitter_mm[450.0] == pytest.approx(ratio * jitter_mm[0.0], rel=0.1)


def face_width_mm(face) -> float:
    a, b = 234, 454
    return float(np.hypot(*(face.head_mm[a, :2] - face.head_mm[b, :2])))
