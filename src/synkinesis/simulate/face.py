"""What each muscle does to the face: displacement fields on the 478 landmarks, and the real
neutral face they move. Pure array maths.

Fields are defined in the head frame of MediaPipe's canonical mesh (x towards the patient's
left, y up, z towards the viewer), in millimetres at full activation, for the muscles of the
patient's RIGHT side; the left side's fields are their mirror images through
:data:`~synkinesis.regions.MIRROR_PAIRS`, so the two sides are symmetric by construction.
Each field is a few control landmarks with a displacement, spread to neighbouring landmarks by
a normalised Gaussian (radius in mm) within a band of heights on the muscle's own side (midline
included), never onto the lid margins (only eyelid closure moves them) nor the menton (the chin
signal's reference). The eyelid closure of orbicularis oculi is the one face-specific part: it
is scaled to the lid gaps of the face it moves, so full activation closes that eye exactly.

All excursions are assumptions, checked against CLINICAL.md: a healthy big smile moves the
mouth corner ~15 mm and narrows the eyes ~21 % (normals 21.6 % [V]), full eye closure closes
the fissure, a brow raise lifts the brow ~8 mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synkinesis.defaults import DEFAULT_IRIS_DIAMETER_MM
from synkinesis.normalize import (
    fit_head_pose,
    interpupil_distance,
    iris_diameter,
    millimetres_per_unit,
    to_head_frame,
)
from synkinesis.regions import MIRROR_PAIRS, N_LANDMARKS, N_MESH, SIDE_LANDMARKS, SIDES
from synkinesis.simulate.anatomy import MUSCLES, REGIONS

__all__ = [
    "FIELD_NAMES",
    "FieldSpec",
    "MUSCLE_FIELDS",
    "NeutralFace",
    "REGION_SIGN",
    "REGION_SIGNAL",
    "canonical_face_mm",
    "displace",
    "eyelid_closure",
    "muscle_fields",
    "neutral_face_from_landmarks",
    "region_movements",
    "region_values",
    "to_pixels",
]

Vector = tuple[float, float, float]


@dataclass(frozen=True)
class FieldSpec:
    """Displacement field of one right-side muscle at full activation.

    Attributes
    ----------
    controls : tuple of (landmark indices, (dx, dy, dz) mm)
        Head-frame displacement of those landmarks (x towards the patient's left: medial for
        the right side).
    radius_mm : float
        Gaussian spread to neighbouring landmarks on the canonical mesh.
    band_mm : (low, high)
        Only landmarks whose canonical height y lies in this band move (the controls always do).
    """

    controls: tuple[tuple[tuple[int, ...], Vector], ...]
    radius_mm: float
    band_mm: tuple[float, float]


_BROW = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
_CORNER = (61, 78, 62, 76, 184, 191)
_UPPER_LIP = (39, 37, 40, 185)
_LOWER_LIP = (181, 84, 91, 146)
_ALA = (129, 98, 64, 48, 102)
_CHIN = (208, 199, 200, 201, 171, 32, 175)

#: Fields of the right-side muscles (assumptions; see the module docstring).
MUSCLE_FIELDS: dict[str, FieldSpec] = {
    "frontalis": FieldSpec(
        ((_BROW, (0.0, 8.0, 0.0)), ((104, 69, 108), (0.0, 3.0, 0.0)),
         ((160, 159, 158), (0.0, 1.0, 0.0))), 10.0, (31.0, 90.0)),
    "corrugator": FieldSpec(((((107, 66, 55, 65)), (3.0, -3.0, 0.0)),), 8.0, (31.0, 90.0)),
    "procerus": FieldSpec((((107, 55), (0.5, -2.5, 0.0)), ((9,), (0.0, -1.5, 0.0))), 8.0,
                          (31.0, 90.0)),
    "orbicularis_oculi": FieldSpec(
        (((70, 63, 46, 53), (0.0, -2.5, 0.0)), ((117, 118, 50, 101), (0.0, 2.5, 0.0)),
         ((130, 226), (1.5, 0.0, 0.0))), 7.0, (0.0, 60.0)),
    "zygomaticus_major": FieldSpec(
        ((_CORNER, (-5.0, 7.0, -1.5)), ((205, 50, 187, 207), (-1.0, 2.0, 1.0))), 10.0,
        (-70.0, 5.0)),
    "zygomaticus_minor": FieldSpec(
        (((39, 40, 185), (-1.0, 3.5, 0.0)), ((36, 203, 206), (0.0, 2.0, 0.0))), 8.0,
        (-70.0, 5.0)),
    "levator_labii_superioris": FieldSpec(
        ((_UPPER_LIP, (0.0, 4.5, 0.5)), ((0,), (0.0, 2.0, 0.3)), (_ALA, (0.0, 1.5, 0.0))), 8.0,
        (-60.0, 15.0)),
    "levator_anguli_oris": FieldSpec(((_CORNER, (0.0, 4.0, 0.0)),), 8.0, (-70.0, 0.0)),
    "risorius": FieldSpec(((_CORNER, (-5.0, 0.0, -0.5)),), 8.0, (-70.0, 0.0)),
    "buccinator": FieldSpec(((_CORNER, (-2.0, 0.0, -2.5)),), 10.0, (-70.0, 0.0)),
    "orbicularis_oris": FieldSpec(
        ((_CORNER, (7.0, 0.0, 3.0)), (_UPPER_LIP, (3.0, -0.5, 5.0)),
         (_LOWER_LIP, (3.0, 0.5, 5.0)), ((0, 17, 13, 14), (0.0, 0.0, 3.0))), 6.0,
        (-65.0, -25.0)),
    "nasalis": FieldSpec(((_ALA, (1.0, -0.5, 0.0)),), 5.0, (-20.0, 15.0)),
    "depressor_anguli_oris": FieldSpec(((_CORNER, (-1.0, -5.0, 0.0)),), 8.0, (-90.0, -30.0)),
    "depressor_labii_inferioris": FieldSpec(
        ((_LOWER_LIP, (-1.0, -4.5, 0.5)), ((17,), (0.0, -2.0, 0.0))), 7.0, (-90.0, -40.0)),
    "mentalis": FieldSpec(
        ((_CHIN, (0.0, 3.0, 1.5)), ((181, 84, 17), (0.0, 1.5, 1.5))), 6.0, (-92.0, -45.0)),
    "platysma": FieldSpec(
        ((_CORNER, (-1.5, -2.0, 0.0)), (_LOWER_LIP, (-1.0, -1.5, 0.0))), 12.0, (-90.0, -35.0)),
}

#: Upper/lower lid margin pairs of the right eye (outer to inner), and the second ring.
LID_PAIRS: tuple[tuple[int, int], ...] = (
    (246, 7), (161, 163), (160, 144), (159, 145), (158, 153), (157, 154), (173, 155))
UPPER_LID_RING: tuple[int, ...] = (247, 30, 29, 27, 28, 56, 190)
LOWER_LID_RING: tuple[int, ...] = (25, 110, 24, 23, 22, 26, 112)
#: Fraction of the lid gap closed by the upper lid (the rest by the lower lid) [assumption].
UPPER_LID_SHARE = 0.8
_LID_MARGIN = frozenset(i for pair in LID_PAIRS for i in pair) | {33, 133}
_FIXED = frozenset({152})  # menton: the chin signal's reference

#: Signal (see :mod:`synkinesis.signals`) whose change measures each region's movement.
#: The mouth corner uses the 2-D corner displacement (``mouth_corner_excursion``); the neck has
#: no landmark and uses platysma activation.
REGION_SIGNAL: dict[str, str] = {
    "brow": "brow_height",
    "eye": "palpebral_fissure",
    "nasolabial": "nasolabial_length",
    "mouth_corner": "mouth_corner_excursion",
    "upper_lip": "upper_lip_height",
    "lower_lip": "lower_lip_height",
    "chin": "chin_height",
    "neck": "platysma_activation",
}

#: +1 when a region's active movement raises its signal, -1 when it lowers it (the eye
#: narrows, the nasolabial line shortens, the lower lip descends): movement = sign x change
#: from rest, as in the analysis (``synkinesis.recording.REGION_SIGNALS``; a test keeps the two
#: in agreement).
REGION_SIGN: dict[str, float] = {
    "brow": 1.0,
    "eye": -1.0,
    "nasolabial": -1.0,
    "mouth_corner": 1.0,
    "upper_lip": 1.0,
    "lower_lip": -1.0,
    "chin": 1.0,
    "neck": 1.0,
}


def canonical_face_mm(canonical_vertices: np.ndarray) -> np.ndarray:
    """The canonical mesh as a 478-landmark face in millimetres (head frame).

    Parameters
    ----------
    canonical_vertices : (468, 3) array, centimetres
        :attr:`synkinesis.landmarks.model.CanonicalFace.vertices`.

    Returns
    -------
    (478, 3) array, mm
        The mesh, plus iris landmarks placed at each eye's centre with the default iris diameter
        (:data:`~synkinesis.defaults.DEFAULT_IRIS_DIAMETER_MM`).
    """
    mesh = np.asarray(canonical_vertices, dtype=float) * 10.0
    face = np.zeros((N_LANDMARKS, 3))
    face[:N_MESH] = mesh
    radius = DEFAULT_IRIS_DIAMETER_MM / 2.0
    for side in SIDES:
        lm = SIDE_LANDMARKS[side]
        centre = mesh[list(lm.eye_contour)].mean(axis=0)
        centre[2] += 1.0
        ring = lm.iris_centre + np.arange(5)
        # Ring order (MediaPipe): centre, +x, +y (image up), -x, -y.
        offsets = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]]) * radius
        face[ring] = centre + offsets
    # The left iris is numbered as the mirror of the right one.
    face[468:473] = face[list(MIRROR_PAIRS[473:478])] * np.array([-1.0, 1.0, 1.0])
    return face


def _spec_field(spec: FieldSpec, mesh_mm: np.ndarray) -> np.ndarray:
    field = np.zeros((N_LANDMARKS, 3))
    y = mesh_mm[:, 1]
    # Own side and midline only (x <= 0 is the patient's right): paired muscles do not reach
    # across the midline.
    movable = (y >= spec.band_mm[0]) & (y <= spec.band_mm[1]) & (mesh_mm[:, 0] <= 1e-6)
    movable[list(_LID_MARGIN | _FIXED)] = False
    weight_sum = np.zeros(N_MESH)
    blended = np.zeros((N_MESH, 3))
    for indices, vector in spec.controls:
        for index in indices:
            distance2 = ((mesh_mm - mesh_mm[index]) ** 2).sum(axis=1)
            weight = np.exp(-distance2 / (2.0 * spec.radius_mm**2))
            weight_sum += weight
            blended += weight[:, None] * np.asarray(vector)
    field[:N_MESH] = np.where(movable[:, None], blended / np.maximum(weight_sum, 1.0)[:, None], 0)
    for indices, vector in spec.controls:
        field[list(indices)] = vector
    return field


def _mirror_field(field: np.ndarray) -> np.ndarray:
    return field[list(MIRROR_PAIRS)] * np.array([-1.0, 1.0, 1.0])


def _lid_closure(face_mm: np.ndarray, side: str) -> np.ndarray:
    """Eyelid closure of one side scaled to this face's lid gaps (full activation closes)."""
    field = np.zeros((N_LANDMARKS, 3))
    pairs = LID_PAIRS if side == "right" else tuple(
        (MIRROR_PAIRS[u], MIRROR_PAIRS[d]) for u, d in LID_PAIRS)
    upper_ring = UPPER_LID_RING if side == "right" else tuple(MIRROR_PAIRS[i] for i in
                                                              UPPER_LID_RING)
    lower_ring = LOWER_LID_RING if side == "right" else tuple(MIRROR_PAIRS[i] for i in
                                                              LOWER_LID_RING)
    for (upper, lower), ring_up, ring_down in zip(pairs, upper_ring, lower_ring):
        gap = max(face_mm[upper, 1] - face_mm[lower, 1], 0.0)
        field[upper, 1] = -UPPER_LID_SHARE * gap
        field[lower, 1] = (1.0 - UPPER_LID_SHARE) * gap
        field[ring_up, 1] = -0.5 * UPPER_LID_SHARE * gap
        field[ring_down, 1] = 0.5 * (1.0 - UPPER_LID_SHARE) * gap
    return field


def eyelid_closure(orbicularis_oculi: np.ndarray) -> np.ndarray:
    """Fraction (0..1) of the lid gap closed at an orbicularis oculi activation (0..1).

    ``1 - (1 - a)**2``: the lids are light, so a small activation narrows the fissure more than
    in proportion, and closure saturates [assumption]. A normal big smile's orbicularis oculi
    command of 0.11 then narrows the eye ~21 % (normals 21.6 +/- 13.4 % [V]).
    """
    a = np.clip(np.asarray(orbicularis_oculi, dtype=float), 0.0, 1.0)
    return 1.0 - (1.0 - a) ** 2


#: Field rows: one per muscle, then the eyelid closure of orbicularis oculi.
FIELD_NAMES: tuple[str, ...] = (*MUSCLES, "eyelid_closure")


def muscle_fields(canonical_vertices: np.ndarray, face_mm: np.ndarray | None = None) -> np.ndarray:
    """Displacement fields of every muscle on both sides.

    Parameters
    ----------
    canonical_vertices : (468, 3) array, centimetres
        The canonical mesh, on which the fields are defined.
    face_mm : (478, 3) array, mm, optional
        The neutral face the fields will move (head frame); its lid gaps scale the eyelid
        closure. Default: the canonical face.

    Returns
    -------
    (2, 17, 478, 3) array, mm at full activation
        Indexed [side in :data:`~synkinesis.regions.SIDES` order, :data:`FIELD_NAMES` row,
        landmark, xyz]. Row 16, the eyelid closure, is driven through :func:`eyelid_closure`.
    """
    mesh_mm = np.asarray(canonical_vertices, dtype=float) * 10.0
    if face_mm is None:
        face_mm = canonical_face_mm(canonical_vertices)
    right = np.stack([_spec_field(MUSCLE_FIELDS[m], mesh_mm) for m in MUSCLES])
    fields = np.zeros((len(SIDES), len(FIELD_NAMES), N_LANDMARKS, 3))
    for s, side in enumerate(SIDES):
        fields[s, : len(MUSCLES)] = right if side == "right" else np.stack(
            [_mirror_field(f) for f in right])
        fields[s, -1] = _lid_closure(face_mm, side)
    return fields


def displace(face_mm: np.ndarray, fields: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """Move a neutral face by muscle activations.

    Parameters
    ----------
    face_mm : (478, 3) array, mm, head frame
    fields : (2, 17, 478, 3) array from :func:`muscle_fields`
    activations : (N, 2, 16) array, 0..1, [frame, side, muscle]

    Returns
    -------
    (N, 478, 3) array, mm, head frame
    """
    activations = np.asarray(activations, dtype=float)
    lids = eyelid_closure(activations[..., MUSCLES.index("orbicularis_oculi")])
    rows = np.concatenate([activations, lids[..., None]], axis=-1)
    flat = rows.reshape(rows.shape[0], -1)
    moved = flat @ fields.reshape(fields.shape[0] * fields.shape[1], -1)
    return face_mm[None] + moved.reshape(-1, N_LANDMARKS, 3)


def region_values(head_mm: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """Each region's signal value per side, from head-frame faces.

    Parameters
    ----------
    head_mm : (N, 478, 3) array, mm
    activations : (N, 2, 16) array (for the neck, which has no landmark)

    Returns
    -------
    (N, 2, 8) array
        Region values per frame and side (:data:`REGIONS` order): mm for the landmark regions,
        platysma activation for the neck, NaN for the mouth corner (a 2-D position, whose
        movement :func:`region_movements` measures).
    """
    from synkinesis.signals import compute_signals, signal_name

    signals = compute_signals(head_mm, 1.0)
    out = np.full((head_mm.shape[0], len(SIDES), len(REGIONS)), np.nan)
    platysma = MUSCLES.index("platysma")
    for s, side in enumerate(SIDES):
        for r, region in enumerate(REGIONS):
            quantity = REGION_SIGNAL[region]
            if region == "neck":
                out[:, s, r] = np.asarray(activations)[:, s, platysma]
            elif region != "mouth_corner":
                out[:, s, r] = signals[signal_name(quantity, side)]
    return out


def region_movements(head_mm: np.ndarray, rest_mm: np.ndarray, activations: np.ndarray,
                     rest_activation: np.ndarray) -> np.ndarray:
    """How far each region moved from rest, positive in its active direction
    (:data:`REGION_SIGN`).

    Parameters
    ----------
    head_mm : (N, 478, 3) array, mm; rest_mm : (478, 3) array, mm
    activations : (N, 2, 16) array; rest_activation : (2, 16) array

    Returns
    -------
    (N, 2, 8) array
        mm for the landmark regions (mouth corner: 2-D corner displacement in the frontal
        plane, never negative); activation units (0..1) for the neck.
    """
    values = region_values(head_mm, activations)
    rest = region_values(rest_mm[None], np.asarray(rest_activation)[None])
    signs = np.array([REGION_SIGN[region] for region in REGIONS])
    moved = (values - rest) * signs
    corner = REGIONS.index("mouth_corner")
    for s, side in enumerate(SIDES):
        index = SIDE_LANDMARKS[side].mouth_corner
        moved[:, s, corner] = np.linalg.norm(head_mm[:, index, :2] - rest_mm[index, :2], axis=1)
    return moved


@dataclass(frozen=True)
class NeutralFace:
    """A real face at rest, in the head frame, with the camera pose that shows it.

    Attributes
    ----------
    head_mm : (478, 3) array, mm
        Landmarks in the head frame of the canonical mesh (pose removed).
    mm_per_unit : float
        Millimetres per head-frame unit (iris scale of the recording).
    scale : float
        Head-frame units per pixel of the reference frame.
    rotation : (3, 3) array; translation : (3,) array, head-frame units
        Reference pose: ``head = scale * rotation @ (x, -y, -z)_px + translation``.
    frame_size : (height, width), pixels
    description : str
        Where the face came from.
    """

    head_mm: np.ndarray
    mm_per_unit: float
    scale: float
    rotation: np.ndarray
    translation: np.ndarray
    frame_size: tuple[int, int]
    description: str = ""


def neutral_face_from_landmarks(
    landmarks_px: np.ndarray,
    *,
    frame_size: tuple[int, int],
    canonical_vertices: np.ndarray,
    basis_ids: np.ndarray,
    basis_weights: np.ndarray,
    description: str = "",
) -> NeutralFace:
    """A neutral face from landmarks of rest frames of a real recording.

    Parameters
    ----------
    landmarks_px : (N, 478, 3) array, pixels
        Frames of the face at rest (NaN frames are skipped).
    frame_size : (height, width), pixels
    canonical_vertices, basis_ids, basis_weights
        From :func:`synkinesis.landmarks.model.load_canonical_face`.

    Returns
    -------
    NeutralFace
        Median head-frame shape of the frames; pose of the frame nearest that median.

    Raises
    ------
    ValueError
        No frame has a face, or no scale can be measured.
    """
    landmarks = np.asarray(landmarks_px, dtype=float)
    landmarks = landmarks[np.isfinite(landmarks).all(axis=(1, 2))]
    if landmarks.shape[0] == 0:
        raise ValueError("no frame with a face to build the neutral face from")
    pose = fit_head_pose(landmarks, canonical_vertices, basis_ids, basis_weights)
    head = to_head_frame(landmarks, pose)
    scale = millimetres_per_unit(iris_diameter(head), interpupil_distance(head),
                                 np.ones(head.shape[0], bool))
    if scale is None:
        raise ValueError("cannot measure a millimetre scale on the neutral face")
    median = np.median(head, axis=0)
    nearest = int(np.argmin(((head - median) ** 2).sum(axis=(1, 2))))
    return NeutralFace(
        head_mm=median * scale.mm_per_unit,
        mm_per_unit=scale.mm_per_unit,
        scale=float(pose.scale[nearest]),
        rotation=pose.rotation[nearest].copy(),
        translation=pose.translation[nearest].copy(),
        frame_size=(int(frame_size[0]), int(frame_size[1])),
        description=description,
    )


def _rotation(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations from angles in radians (about y, x, z of the head frame)."""
    cy, sy, cp, sp, cr, sr = (np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch),
                              np.cos(roll), np.sin(roll))
    n = yaw.shape[0]
    ry = np.zeros((n, 3, 3))
    ry[:, 0, 0], ry[:, 0, 2], ry[:, 1, 1], ry[:, 2, 0], ry[:, 2, 2] = cy, sy, 1, -sy, cy
    rx = np.zeros((n, 3, 3))
    rx[:, 0, 0], rx[:, 1, 1], rx[:, 1, 2], rx[:, 2, 1], rx[:, 2, 2] = 1, cp, -sp, sp, cp
    rz = np.zeros((n, 3, 3))
    rz[:, 0, 0], rz[:, 0, 1], rz[:, 1, 0], rz[:, 1, 1], rz[:, 2, 2] = cr, -sr, sr, cr, 1
    return rz @ rx @ ry


def to_pixels(head_mm: np.ndarray, face: NeutralFace, *,
              head_angles_rad: np.ndarray | None = None,
              head_shift_mm: np.ndarray | None = None) -> np.ndarray:
    """Image pixels of head-frame faces, seen through the neutral face's camera pose.

    Parameters
    ----------
    head_mm : (N, 478, 3) array, mm, head frame
    face : NeutralFace
    head_angles_rad : (N, 3) array, optional
        Extra head rotation per frame (yaw, pitch, roll) about the face's centre.
    head_shift_mm : (N, 3) array, optional
        Extra head translation per frame.

    Returns
    -------
    (N, 478, 3) array, pixels (x right, y down, z away from the viewer)
    """
    units = np.asarray(head_mm, dtype=float) / face.mm_per_unit
    if head_angles_rad is not None:
        centre = units.mean(axis=1, keepdims=True)
        rotation = _rotation(*np.asarray(head_angles_rad, dtype=float).T)
        units = np.einsum("nij,nkj->nki", rotation, units - centre) + centre
    if head_shift_mm is not None:
        units = units + np.asarray(head_shift_mm)[:, None, :] / face.mm_per_unit
    righthanded = np.einsum("ji,nkj->nki", face.rotation, units - face.translation) / face.scale
    return righthanded * np.array([1.0, -1.0, -1.0])
