"""Displacement fields, the real neutral face, and synthetic recordings."""

from __future__ import annotations

import time

import numpy as np
import pytest

from synkinesis.normalize import fit_head_pose, to_head_frame
from synkinesis.regions import MIDLINE, MIRROR_PAIRS, N_MESH
from synkinesis.simulate import (
    MUSCLES,
    TASKS,
    Injury,
    ModelError,
    ProtocolTiming,
    SimulationSpec,
    regenerate,
    simulate_patient,
)
from synkinesis.simulate.face import FIELD_NAMES, displace, eyelid_closure, to_pixels
from synkinesis.simulate.recording import protocol_commands, synthesize_recording

LEFT, RIGHT = 0, 1  # SIDES order


def test_fields_are_mirror_images_and_stay_on_their_side(fields, face_mm):
    assert fields.shape == (2, len(FIELD_NAMES), 478, 3)
    mirrored = fields[RIGHT][:, list(MIRROR_PAIRS)] * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(fields[LEFT], mirrored, atol=1e-9)
    right_points = face_mm[:N_MESH, 0] < -1e-6
    for row, name in enumerate(FIELD_NAMES):
        moved = np.linalg.norm(fields[LEFT, row, :N_MESH], axis=1) > 1e-9
        assert not (moved & right_points).any(), name
    # the menton (chin reference) and the iris never move
    assert np.abs(fields[:, :, 152]).max() == 0
    assert np.abs(fields[:, :, N_MESH:]).max() == 0
    # midline points move only up/down and forward when both sides act together
    both = fields[LEFT] + fields[RIGHT]
    np.testing.assert_allclose(both[:, list(MIDLINE), 0], 0.0, atol=1e-9)


def test_full_eyelid_closure_closes_the_eye(fields, face_mm):
    activation = np.zeros((1, 2, len(MUSCLES)))
    activation[0, :, MUSCLES.index("orbicularis_oculi")] = 1.0
    closed = displace(face_mm, fields, activation)[0]
    for upper, lower in ((159, 145), (386, 374)):
        assert closed[upper, 1] == pytest.approx(closed[lower, 1], abs=1e-9)
    assert eyelid_closure(np.array([0.0, 0.11, 1.0])) == pytest.approx([0.0, 0.2079, 1.0])


def test_neutral_face_is_real_and_pixels_round_trip(neutral_face, canonical):
    assert neutral_face.frame_size == (360, 640)
    assert 5.0 < neutral_face.mm_per_unit < 15.0  # canonical units are ~1 cm
    pixels = to_pixels(neutral_face.head_mm[None], neutral_face)
    assert ((pixels[..., 0] > 0) & (pixels[..., 0] < 640)).all()
    assert ((pixels[..., 1] > 0) & (pixels[..., 1] < 360)).all()
    pose = fit_head_pose(pixels, canonical.vertices, canonical.basis_ids,
                         canonical.basis_weights)
    back = to_head_frame(pixels, pose)[0] * neutral_face.mm_per_unit
    # the median neutral shape is not itself a pose-fit optimum: equal to within 0.1 mm
    np.testing.assert_allclose(back, neutral_face.head_mm, atol=0.1)


def test_protocol_timing_is_natural():
    timing = ProtocolTiming(repetitions=1)  # each task once (repetitions: their own test)
    time_s, command, spans = protocol_commands(timing, rng=np.random.default_rng(3))
    assert [s.task for s in spans] == list(TASKS)
    assert spans[0].start_s == 0 and all(a.end_s == pytest.approx(b.start_s)
                                         for a, b in zip(spans, spans[1:]))
    assert time_s[-1] == pytest.approx(spans[-1].end_s, abs=1 / timing.fps)
    assert ((command >= 0) & (command <= 1)).all()
    rest = time_s < spans[0].end_s
    frontalis = command[:, MUSCLES.index("frontalis")]
    brow = spans[1]
    inside = (time_s >= brow.start_s) & (time_s < brow.end_s)
    assert frontalis[~inside].max() == 0.0
    peak = time_s[np.argmax(frontalis)]
    assert brow.start_s + timing.reaction_s < peak < brow.end_s - timing.release_s
    # onset and release take time: no jump from rest to the hold level
    assert np.abs(np.diff(frontalis)).max() < 0.2
    assert command[rest][:, MUSCLES.index("zygomaticus_major")].max() == 0.0


def test_bad_timing_is_refused():
    with pytest.raises(ModelError, match="noise_px must be a finite number >= 0"):
        ProtocolTiming(noise_px=-1.0).validate()
    with pytest.raises(ModelError, match="fps must be in"):
        ProtocolTiming(fps=1000.0).validate()


def test_same_seed_same_recording(neutral_face, canonical):
    spec = SimulationSpec(injuries=(Injury("left", "proximal", 0.8),), seed=9)
    a, truth_a = simulate_patient(spec, neutral_face, canonical_vertices=canonical.vertices)
    b, truth_b = simulate_patient(spec, neutral_face, canonical_vertices=canonical.vertices)
    np.testing.assert_array_equal(a.landmarks_px, b.landmarks_px)
    np.testing.assert_array_equal(truth_a.coupling["left"], truth_b.coupling["left"])
    c, _ = simulate_patient(SimulationSpec(injuries=spec.injuries, seed=10), neutral_face,
                            canonical_vertices=canonical.vertices)
    assert not np.array_equal(a.landmarks_px, c.landmarks_px)
    assert a.landmarks_px.dtype == np.float32 and a.landmarks_px.shape[1:] == (478, 3)
    assert ((a.activation >= 0) & (a.activation <= 1)).all()


def test_benchmark_7000_axons_and_a_full_protocol_under_a_second(neutral_face, canonical):
    from synkinesis.simulate.face import muscle_fields

    fields = muscle_fields(canonical.vertices, neutral_face.head_mm)
    best = np.inf
    for seed in range(2):
        # CPU time, not wall time: the suite runs on shared machines (~0.15 s on one core for
        # the default protocol, every task twice)
        start = time.process_time()
        nerve = regenerate((Injury("left", "proximal", 0.8),), rng=np.random.default_rng(seed))
        recording = synthesize_recording(nerve, neutral_face, fields, day=365.0,
                                         rng=np.random.default_rng(seed))
        best = min(best, time.process_time() - start)
    assert nerve.parameters.n_axons == 7000
    assert recording.time_s[-1] >= 60.0 and recording.landmarks_px.shape[0] >= 1800
    assert best < 1.0
