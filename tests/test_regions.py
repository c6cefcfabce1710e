import numpy as np

from synkinesis import regions
from synkinesis.landmarks.model import load_canonical_face


def test_mirror_pairs_match_the_canonical_mesh():
    canonical = load_canonical_face()
    assert regions.derive_mirror_pairs(canonical.vertices) == regions.MIRROR_PAIRS


def test_mirror_pairs_are_an_involution_and_mirror_the_mesh():
    pairs = np.array(regions.MIRROR_PAIRS)
    assert len(pairs) == regions.N_LANDMARKS
    assert (pairs[pairs] == np.arange(regions.N_LANDMARKS)).all()
    vertices = load_canonical_face().vertices
    mirrored = vertices[pairs[: regions.N_MESH]] * np.array([-1, 1, 1])
    np.testing.assert_allclose(mirrored, vertices, atol=1e-5)
    # Midline points have x = 0 in the canonical mesh.
    midline = [i for i in regions.MIDLINE if i < regions.N_MESH]
    assert len(midline) == 28
    np.testing.assert_allclose(vertices[midline, 0], 0, atol=1e-6)


def test_iris_pairs_keep_medial_and_lateral():
    # 469 is the right iris point towards the patient's left (medial); its mirror is 476.
    assert regions.MIRROR_PAIRS[468] == 473
    assert regions.MIRROR_PAIRS[469] == 476
    assert regions.MIRROR_PAIRS[470] == 475


def test_left_side_is_on_the_patients_left_in_the_canonical_mesh():
    vertices = load_canonical_face().vertices
    left, right = regions.SIDE_LANDMARKS["left"], regions.SIDE_LANDMARKS["right"]
    # Head frame x points to the patient's left.
    assert vertices[left.mouth_corner, 0] > 0 > vertices[right.mouth_corner, 0]
    assert left.lateral_canthus == 263 and right.lateral_canthus == 33


def test_mirror_name():
    assert regions.mirror_name("eyeBlinkLeft") == "eyeBlinkRight"
    assert regions.mirror_name("brow_height_right_mm") == "brow_height_left_mm"
    assert regions.mirror_name("mouth_width_mm") == "mouth_width_mm"
