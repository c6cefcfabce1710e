import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from synkinesis.landmarks.model import load_canonical_face
from synkinesis.normalize import (
    HeadPose,
    fit_head_pose,
    millimetres_per_unit,
    mirror_image_landmarks,
    to_head_frame,
)
from synkinesis.regions import MIRROR_PAIRS

CANONICAL = load_canonical_face()


def _canonical_478() -> np.ndarray:
    vertices = CANONICAL.vertices
    # Irises: put plausible points around the eye centres so the array has 478 rows.
    out = np.zeros((478, 3))
    out[:468] = vertices
    for centre, ring, eye in ((468, (469, 470, 471, 472), (33, 133)),
                              (473, (474, 475, 476, 477), (263, 362))):
        c = vertices[list(eye)].mean(axis=0)
        out[centre] = c
        for k, (dx, dy) in zip(ring, ((0.6, 0), (0, 0.6), (-0.6, 0), (0, -0.6))):
            out[k] = c + [dx, dy, 0]
    # Ring order for the left eye is mirrored (474 lateral is at -x of its centre... keep simple)
    return out


def _to_image(head: np.ndarray, rotation: np.ndarray, scale: float, shift) -> np.ndarray:
    """Inverse of the head frame: canonical -> image pixels (y down, z away)."""
    camera = scale * head @ rotation.T + np.asarray(shift)
    return camera * np.array([1, -1, -1])


@settings(max_examples=40, deadline=None)
@given(
    yaw=st.floats(-30, 30), pitch=st.floats(-20, 20), roll=st.floats(-40, 40),
    scale=st.floats(5, 60), tx=st.floats(0, 1000), ty=st.floats(0, 800),
)
def test_pose_fit_recovers_any_similarity(yaw, pitch, roll, scale, tx, ty):
    head = _canonical_478()
    rotation = Rotation.from_euler("yxz", [yaw, pitch, roll], degrees=True).as_matrix()
    image = _to_image(head, rotation, scale, (tx, -ty, -50))[None]
    pose = fit_head_pose(image, CANONICAL.vertices, CANONICAL.basis_ids, CANONICAL.basis_weights)
    np.testing.assert_allclose(to_head_frame(image, pose)[0], head, atol=1e-6)
    np.testing.assert_allclose(pose.scale[0], 1 / scale, rtol=1e-9)
    assert pose.residual[0] < 1e-6
    # Pose packs and unpacks losslessly.
    again = HeadPose.from_array(pose.as_array())
    np.testing.assert_allclose(again.rotation, pose.rotation)


def test_pose_angles_have_the_right_magnitude():
    head = _canonical_478()
    for axis, index in (("y", 0), ("x", 1), ("z", 2)):
        rotation = Rotation.from_euler(axis, 20, degrees=True).as_matrix()
        image = _to_image(head, rotation, 10, (300, -200, 0))[None]
        pose = fit_head_pose(image, CANONICAL.vertices, CANONICAL.basis_ids,
                             CANONICAL.basis_weights)
        angles = pose.angles_deg()[0]
        assert abs(abs(angles[index]) - 20) < 1e-6
        assert np.abs(np.delete(angles, index)).max() < 1e-6


def test_frames_without_face_give_nan_pose():
    image = np.full((2, 478, 3), np.nan)
    image[1] = _to_image(_canonical_478(), np.eye(3), 10, (100, -100, 0))
    pose = fit_head_pose(image, CANONICAL.vertices, CANONICAL.basis_ids, CANONICAL.basis_weights)
    assert np.isnan(pose.scale[0]) and np.isfinite(pose.scale[1])


def test_mirror_image_landmarks_is_an_involution_and_swaps_sides():
    rng = np.random.default_rng(0)
    landmarks = rng.uniform(0, 640, size=(3, 478, 3))
    once = mirror_image_landmarks(landmarks, 640)
    np.testing.assert_allclose(mirror_image_landmarks(once, 640), landmarks)
    # The point renamed as 33 (right lateral canthus) comes from 263 of the flipped image.
    np.testing.assert_allclose(once[:, 33, 0], 640 - landmarks[:, MIRROR_PAIRS[33], 0])


def test_scale_from_iris_and_fallback():
    iris = np.array([1.2, 1.18, np.nan, 1.22])
    ipd = np.array([6.3, 6.3, 6.3, 6.3])
    usable = np.array([True, True, True, False])
    scale = millimetres_per_unit(iris, ipd, usable, iris_diameter_mm=11.77)
    assert scale.method == "iris" and scale.frames_used == 2
    assert abs(scale.mm_per_unit - 11.77 / 1.19) < 1e-9
    implausible = millimetres_per_unit(np.array([3.0, 3.0]), np.array([6.3, 6.3]),
                                       np.array([True, True]), interpupil_mm=63)
    assert implausible.method == "interpupil" and abs(implausible.mm_per_unit - 10) < 1e-9
    assert millimetres_per_unit(iris, ipd, np.zeros(4, bool)) is None
