"""The live (per-frame) measurement gives what the batch measurement gives for the same landmarks:
same head frame, same signals at the same scale, same region movements from the same rest frames.
"""

import numpy as np
import pytest

from synkinesis.defaults import DEFAULT_IRIS_DIAMETER_MM
from synkinesis.landmarks.engine import FaceObservation
from synkinesis.landmarks.model import load_canonical_face
from synkinesis.measure.calibrate import open_eye_iris_scale, scale_signals
from synkinesis.measure.live import SCALE_FRAMES, LiveMeasurer, frame_movements, head_frame
from synkinesis.normalize import interpupil_distance, iris_diameters
from synkinesis.recording import MEASURED_REGIONS, Recording, region_movements, rest_baseline
from synkinesis.signals import compute_signals, signal_name

N_FRAMES = 60
N_REST = 20  # frames after the scale frames that the client marks as rest


def _face_frames(n: int, seed: int = 3) -> np.ndarray:
    """(n, 478, 3) image-pixel landmarks: the canonical face with irises, a little noise and head
    motion, the patient's right brow and mouth corner moving up in the second half."""
    canonical = load_canonical_face()
    rng = np.random.default_rng(seed)
    head = np.zeros((478, 3))
    head[:468] = canonical.vertices
    for centre, ring, eye in ((468, (469, 470, 471, 472), (33, 133)),
                              (473, (476, 475, 474, 477), (263, 362))):
        c = canonical.vertices[list(eye)].mean(axis=0) + [0, 0.05, 0]
        head[centre] = c
        sign = -1 if centre == 468 else 1
        for k, offset in zip(ring, ([-sign * 0.6, 0, 0], [0, 0.6, 0], [sign * 0.6, 0, 0],
                                    [0, -0.6, 0])):
            head[k] = c + offset
    frames = np.repeat(head[None], n, axis=0)
    frames += rng.normal(0, 0.01, frames.shape)
    moving = np.arange(n) >= SCALE_FRAMES + N_REST
    ramp = np.where(moving, np.linspace(0, 0.4, n), 0.0)
    for index in (70, 63, 105, 66, 107, 46, 53, 52, 65, 55):  # right brow (patient's)
        frames[:, index, 1] += ramp
    frames[:, 61, 1] += ramp  # right mouth corner up
    angle = np.deg2rad(rng.uniform(-4, 4, n))  # small yaw
    x, z = frames[..., 0].copy(), frames[..., 2].copy()
    frames[..., 0] = np.cos(angle)[:, None] * x + np.sin(angle)[:, None] * z
    frames[..., 2] = -np.sin(angle)[:, None] * x + np.cos(angle)[:, None] * z
    # head units -> image pixels (y down, z away from the viewer), 12 px per unit
    pixels = np.empty_like(frames)
    pixels[..., 0] = 320 + 12 * frames[..., 0]
    pixels[..., 1] = 240 - 12 * frames[..., 1]
    pixels[..., 2] = -12 * frames[..., 2]
    return pixels.astype(np.float32)


class _Replay:
    """A landmark engine that returns prepared landmarks, one frame per call."""

    def __init__(self, frames: np.ndarray) -> None:
        self.frames = list(frames)

    def detect(self, rgb, *, timestamp_ms=None):
        return [FaceObservation(landmarks_px=self.frames.pop(0), blendshapes=None)]

    def close(self) -> None:
        pass


def test_live_frames_equal_the_batch_signals_and_movements():
    pixels = _face_frames(N_FRAMES)
    measurer = LiveMeasurer(engine=_Replay(pixels))
    image = np.zeros((480, 640, 3), dtype=np.uint8)
    rest = np.zeros(N_FRAMES, dtype=bool)
    rest[SCALE_FRAMES:SCALE_FRAMES + N_REST] = True
    live = [measurer.measure(image, timestamp_ms=33 * i, rest=bool(rest[i]))
            for i in range(N_FRAMES)]
    assert all(frame.frontal for frame in live)
    assert [frame.calibrated for frame in live] == [i >= SCALE_FRAMES - 1 for i in range(N_FRAMES)]

    # the batch computation: one pose fit over all frames, raw signals, the scale applied after
    canonical = load_canonical_face()
    head, _ = head_frame(pixels, canonical)
    first = slice(0, SCALE_FRAMES)
    raw = compute_signals(head[first], 1.0)
    scale = open_eye_iris_scale(iris_diameters(head[first]), interpupil_distance(head[first]),
                                {side: raw[signal_name("palpebral_fissure", side)]
                                 for side in ("left", "right")},
                                np.ones(SCALE_FRAMES, dtype=bool), DEFAULT_IRIS_DIAMETER_MM)
    assert measurer.mm_per_unit == pytest.approx(scale.mm_per_unit, rel=1e-12)
    signals = scale_signals(compute_signals(head, 1.0), scale.mm_per_unit)
    recording = Recording(time_s=np.arange(N_FRAMES) * 0.033, signals=signals,
                          flags=np.zeros(N_FRAMES, dtype=np.int64))
    baseline = rest_baseline(recording, rest)
    for name, value in measurer.baseline.items():
        assert value == pytest.approx(baseline[name], abs=1e-9), name
    batch = region_movements(recording, baseline)

    compared = 0
    for i, frame in enumerate(live):
        if i < SCALE_FRAMES:
            assert frame.movements == {}  # no rest baseline yet
            continue
        if i < SCALE_FRAMES + N_REST - 1:
            continue  # the baseline is the running median of the rest frames so far
        assert set(frame.movements) == {"left", "right"}
        for side, moves in frame.movements.items():
            assert tuple(moves) == MEASURED_REGIONS
            for region, value in moves.items():
                assert value == pytest.approx(batch[side][region][i], abs=0.006), (i, side, region)
                compared += 1
    assert compared == (N_FRAMES - SCALE_FRAMES - N_REST + 1) * 2 * len(MEASURED_REGIONS)
    # the movement is seen, on the moving side only
    last = live[-1].movements
    assert last["right"]["brow"] > 2.0 and abs(last["left"]["brow"]) < 0.5
    assert last["right"]["mouth_corner"] > 2.0


def test_frame_movements_is_region_movements_on_one_frame():
    head, _ = head_frame(_face_frames(2), load_canonical_face())
    rest = {k: float(v[0]) for k, v in compute_signals(head[:1], 0.8).items()}
    moved = {k: float(v[0]) for k, v in compute_signals(head[1:], 0.8).items()}
    moves = frame_movements(moved, rest)
    expected = region_movements(
        Recording(time_s=np.zeros(1), signals={k: np.array([v]) for k, v in moved.items()},
                  flags=np.zeros(1, dtype=np.int64)), rest)
    for side in ("left", "right"):
        for region in MEASURED_REGIONS:
            assert moves[side][region] == pytest.approx(round(expected[side][region][0], 2))


def test_engine_name_is_checked_and_the_framing_pass_stays_on_the_tasks_api():
    with pytest.raises(ValueError, match="engine_name must be one of"):
        LiveMeasurer(engine=_Replay(_face_frames(1)), engine_name="tflite")
    # guided recording's framing pass notices a second face; only the Tasks API re-detects
    # while it tracks, so "fast" keeps it whatever engine the exercises use
    fast = LiveMeasurer(engine=_Replay(_face_frames(1)), method="fast", engine_name="litert")
    assert fast.engine_name == "mediapipe-tasks"
