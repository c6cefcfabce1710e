"""Two engines landmarked at the same time (the mirror-averaged pass, the two half-face
composites): the same results as one after the other, really at the same time, and an error of
either one raised to the caller."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from synkinesis.landmarks.engine import FaceObservation, MirrorAveragedEngine, PairedDetection


class Recording:
    """An engine that returns a face made from its image and remembers what it was given."""

    name, version, model_sha256, blendshape_names = "recording", "1", None, ()

    def __init__(self, barrier: threading.Barrier | None = None, fail: bool = False) -> None:
        self.seen: list[tuple[float, int | None, str]] = []
        self.barrier = barrier
        self.fail = fail

    def detect(self, rgb, *, timestamp_ms=None):
        self.seen.append((float(rgb[0, 0, 0]), timestamp_ms, threading.current_thread().name))
        if self.barrier is not None:
            self.barrier.wait()  # both calls must be running at once to pass this
        if self.fail:
            raise ValueError("no model")
        points = np.zeros((478, 3), dtype=np.float32)
        points[:, 0] = np.linspace(1.0, rgb.shape[1] - 1.0, 478)
        points[:, 1] = np.linspace(1.0, rgb.shape[0] - 1.0, 478)
        points[:, 2] = rgb[0, 0, 0]  # which image this face was found in
        return [FaceObservation(landmarks_px=points, blendshapes=None)]

    def close(self) -> None:
        pass


def image(value: int) -> np.ndarray:
    return np.full((4, 6, 3), value, dtype=np.uint8)


@pytest.mark.parametrize("concurrent", [True, False])
def test_each_engine_gets_its_own_images_in_order(concurrent):
    first, second = Recording(), Recording()
    paired = PairedDetection(concurrent=concurrent)
    for k in range(5):
        a, b = paired(first, image(k), second, image(100 + k), 33 * k)
        assert a[0].landmarks_px[0, 2] == k and b[0].landmarks_px[0, 2] == 100 + k
    paired.close()
    assert [(v, t) for v, t, _ in first.seen] == [(k, 33 * k) for k in range(5)]
    assert [(v, t) for v, t, _ in second.seen] == [(100 + k, 33 * k) for k in range(5)]


def test_the_two_calls_run_at_the_same_time():
    barrier = threading.Barrier(2, timeout=10)
    first, second = Recording(barrier), Recording(barrier)
    paired = PairedDetection(concurrent=True)
    paired(first, image(1), second, image(2), 0)  # would raise BrokenBarrierError if serial
    paired.close()
    assert first.seen[0][2] != second.seen[0][2]


@pytest.mark.parametrize("concurrent", [True, False])
@pytest.mark.parametrize("failing", ["first", "second"])
def test_an_error_of_either_engine_reaches_the_caller(failing, concurrent):
    first = Recording(fail=failing == "first")
    second = Recording(fail=failing == "second")
    paired = PairedDetection(concurrent=concurrent)
    with pytest.raises(ValueError, match="no model"):
        paired(first, image(1), second, image(2), 0)
    # Both were called at once (one after the other: up to the failing one); the pair is still
    # usable afterwards.
    assert len(first.seen) == 1
    assert len(second.seen) == (1 if concurrent or failing == "second" else 0)
    first.fail = second.fail = False
    a, b = paired(first, image(3), second, image(4), 1)
    assert a and b
    paired.close()


def test_one_usable_core_runs_the_two_one_after_the_other(monkeypatch):
    from synkinesis.landmarks import engine

    monkeypatch.setattr(engine.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert engine.usable_cpus() == 1
    paired = PairedDetection()
    assert not paired.concurrent
    first, second = Recording(), Recording()
    paired(first, image(1), second, image(2), 0)
    assert first.seen[0][2] == second.seen[0][2] == threading.current_thread().name
    monkeypatch.setattr(engine.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert PairedDetection().concurrent


def test_mirror_averaged_engine_is_the_mean_of_the_image_and_its_mirror():
    # The flipped stream sees the mirrored image (its first pixel is the original's last).
    frame = np.zeros((4, 6, 3), dtype=np.uint8)
    frame[:, 0] = 10
    frame[:, -1] = 30
    engine = MirrorAveragedEngine(Recording(), Recording())
    (face,) = engine.detect(frame, timestamp_ms=0)
    engine.close()
    assert engine._direct.seen[0][0] == 10 and engine._flipped.seen[0][0] == 30
    np.testing.assert_allclose(face.landmarks_px[:, 2], 20.0)


def test_a_cpu_limit_runs_the_two_one_after_the_other(monkeypatch):
    from synkinesis.landmarks import engine

    monkeypatch.setattr(engine.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(engine, "_CPU_LIMIT", None)
    assert engine.usable_cpus() == 4 and PairedDetection().concurrent
    engine.limit_cpus(1)  # a batch worker (synkinesis.cohort.cluster)
    assert engine.usable_cpus() == 1 and not PairedDetection().concurrent
    engine.limit_cpus(None)
    assert engine.usable_cpus() == 4
