"""Head-pose removal, millimetre scale, and mirroring of landmark series. Pure array maths.

Coordinates
-----------
Engine landmarks are image pixels: x to the right, y down, z (depth, same scale as x) away from
the viewer. :func:`to_head_frame` turns each frame into the *head frame* of MediaPipe's canonical
face: a weighted similarity (Umeyama) fit of the pose-basis landmarks onto the canonical mesh,
giving x towards the patient's left, y up, z towards the viewer, in canonical units (about 1 cm).
Rotation, translation and distance to the camera are removed; the expression is not.
:func:`millimetres_per_unit` then calibrates canonical units to millimetres from the iris.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synkinesis.defaults import DEFAULT_INTERPUPIL_MM, DEFAULT_IRIS_DIAMETER_MM
from synkinesis.regions import MIRROR_PAIRS, SIDE_LANDMARKS


@dataclass(frozen=True)
class HeadPose:
    """Per-frame similarity transforms from image pixels to the head frame.

    ``head = scale * rotation @ image_righthanded + translation`` where ``image_righthanded`` is
    (x, -y, -z) of the pixel landmarks.

    Attributes
    ----------
    scale : (N,) array, canonical units per pixel
    rotation : (N, 3, 3) array
    translation : (N, 3) array, canonical units
    residual : (N,) array, canonical units
        Weighted RMS distance between the fitted pose-basis landmarks and the canonical mesh:
        constant-ish for one face, jumps when landmarks are distorted (occlusion, bad fit).
    """

    scale: np.ndarray
    rotation: np.ndarray
    translation: np.ndarray
    residual: np.ndarray

    def angles_deg(self) -> np.ndarray:
        """(N, 3) yaw, pitch, roll of the head relative to the camera, in degrees.

        Yaw is positive when the patient turns towards their left, pitch when they look up,
        roll when the head tilts towards the patient's left shoulder (sign conventions of the
        head frame; magnitudes are what the quality limits use).
        """
        head_to_camera = np.swapaxes(self.rotation, 1, 2)
        r = head_to_camera
        yaw = np.degrees(np.arctan2(-r[:, 2, 0], np.hypot(r[:, 0, 0], r[:, 1, 0])))
        pitch = np.degrees(np.arctan2(r[:, 2, 1], r[:, 2, 2]))
        roll = np.degrees(np.arctan2(r[:, 1, 0], r[:, 0, 0]))
        return np.stack([yaw, pitch, roll], axis=1)

    def as_array(self) -> np.ndarray:
        """(N, 14) float array: scale, rotation (row-major 9), translation (3), residual."""
        n = self.scale.shape[0]
        return np.concatenate(
            [
                self.scale[:, None],
                self.rotation.reshape(n, 9),
                self.translation,
                self.residual[:, None],
            ],
            axis=1,
        )

    @classmethod
    def from_array(cls, packed: np.ndarray) -> HeadPose:
        packed = np.asarray(packed, dtype=np.float64)
        n = packed.shape[0]
        return cls(
            scale=packed[:, 0],
            rotation=packed[:, 1:10].reshape(n, 3, 3),
            translation=packed[:, 10:13],
            residual=packed[:, 13],
        )


def _image_to_righthanded(landmarks_px: np.ndarray) -> np.ndarray:
    return landmarks_px * np.array([1.0, -1.0, -1.0])


def fit_head_pose(
    landmarks_px: np.ndarray,
    canonical: np.ndarray,
    basis_ids: np.ndarray,
    basis_weights: np.ndarray,
) -> HeadPose:
    """Fit one similarity transform per frame (weighted Umeyama, proper rotations only).

    Parameters
    ----------
    landmarks_px : (N, 478, 3) array, pixels
        Frames with no face may be all-NaN; their pose is NaN.
    canonical : (468, 3) array, canonical units
    basis_ids : (K,) int array
    basis_weights : (K,) float array

    Returns
    -------
    HeadPose
    """
    source = _image_to_righthanded(np.asarray(landmarks_px, dtype=np.float64)[:, basis_ids, :])
    target = np.asarray(canonical, dtype=np.float64)[basis_ids]
    weights = np.asarray(basis_weights, dtype=np.float64)
    weights = weights / weights.sum()
    n = source.shape[0]
    valid = np.isfinite(source).all(axis=(1, 2))

    mu_source = np.einsum("k,nkd->nd", weights, source)
    mu_target = weights @ target
    centred_source = source - mu_source[:, None, :]
    centred_target = target - mu_target
    covariance = np.einsum("k,ki,nkj->nij", weights, centred_target, centred_source)
    covariance[~valid] = np.eye(3)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.sign(np.linalg.det(u @ vt))
    correction = np.ones((n, 3))
    correction[:, 2] = sign
    rotation = u @ (correction[:, :, None] * vt)
    variance = np.einsum("k,nkd->n", weights, centred_source**2)
    scale = (singular * correction).sum(axis=1) / np.where(variance > 0, variance, np.nan)
    translation = mu_target - scale[:, None] * np.einsum("nij,nj->ni", rotation, mu_source)
    fitted = scale[:, None, None] * np.einsum("nij,nkj->nki", rotation, source)
    fitted += translation[:, None, :]
    residual = np.sqrt(np.einsum("k,nk->n", weights, ((fitted - target) ** 2).sum(axis=2)))
    for array in (scale, translation, residual):
        array[~valid] = np.nan
    rotation[~valid] = np.nan
    return HeadPose(scale=scale, rotation=rotation, translation=translation, residual=residual)


def to_head_frame(landmarks_px: np.ndarray, pose: HeadPose) -> np.ndarray:
    """Apply the per-frame poses: (N, 478, 3) pixels -> (N, 478, 3) canonical units."""
    source = _image_to_righthanded(np.asarray(landmarks_px, dtype=np.float64))
    head = np.einsum("nij,nkj->nki", pose.rotation, source) * pose.scale[:, None, None]
    return head + pose.translation[:, None, :]


def iris_diameters(head: np.ndarray) -> np.ndarray:
    """(N, 2) horizontal iris diameter of the patient's left and right eye, in the units of
    ``head``."""
    diameters = []
    for side in ("left", "right"):
        a, b = SIDE_LANDMARKS[side].iris_horizontal
        diameters.append(np.linalg.norm(head[:, a, :] - head[:, b, :], axis=1))
    return np.column_stack(diameters)


def iris_diameter(head: np.ndarray) -> np.ndarray:
    """(N,) mean horizontal iris diameter of both eyes, in the units of ``head``."""
    return np.mean(iris_diameters(head), axis=1)


def interpupil_distance(head: np.ndarray) -> np.ndarray:
    """(N,) distance between the two iris centres, in the units of ``head``."""
    left, right = SIDE_LANDMARKS["left"].iris_centre, SIDE_LANDMARKS["right"].iris_centre
    return np.linalg.norm(head[:, left, :] - head[:, right, :], axis=1)


@dataclass(frozen=True)
class Scale:
    """Millimetres per head-frame unit for one recording, and how it was obtained."""

    mm_per_unit: float
    method: str  # "iris" or "interpupil"
    reference_mm: float
    measured_units: float  # median iris diameter (or IPD) in head-frame units
    frames_used: int


def millimetres_per_unit(
    iris_units: np.ndarray,
    interpupil_units: np.ndarray,
    usable: np.ndarray,
    *,
    iris_diameter_mm: float = DEFAULT_IRIS_DIAMETER_MM,
    interpupil_mm: float = DEFAULT_INTERPUPIL_MM,
) -> Scale | None:
    """Calibrate head-frame units to mm from the median iris diameter of usable frames.

    Falls back to the inter-pupillary distance when no frame gives a plausible iris (iris
    diameter between 12 % and 30 % of the inter-pupillary distance; about 19 % in adults).
    Returns None when neither
    can be measured (no usable frame).
    """
    iris_units = np.asarray(iris_units, dtype=float)
    interpupil_units = np.asarray(interpupil_units, dtype=float)
    usable = np.asarray(usable, dtype=bool) & np.isfinite(iris_units) & np.isfinite(
        interpupil_units
    )
    plausible = usable & (iris_units > 0.12 * interpupil_units) & (
        iris_units < 0.30 * interpupil_units
    )
    if plausible.any():
        measured = float(np.median(iris_units[plausible]))
        return Scale(iris_diameter_mm / measured, "iris", iris_diameter_mm, measured,
                     int(plausible.sum()))
    if usable.any():
        measured = float(np.median(interpupil_units[usable]))
        return Scale(interpupil_mm / measured, "interpupil", interpupil_mm, measured,
                     int(usable.sum()))
    return None


def mirror_image_landmarks(landmarks_px: np.ndarray, image_width: float) -> np.ndarray:
    """Landmarks of the horizontally flipped image, renamed to the anatomical points.

    Flipping the image moves the patient's left to where their right was; renumbering through
    :data:`~synkinesis.regions.MIRROR_PAIRS` keeps every index on its anatomical point.
    Used for mirrored (selfie) input and to test mirror invariance.
    """
    flipped = np.array(landmarks_px, dtype=np.float64, copy=True)
    flipped[..., 0] = image_width - flipped[..., 0]
    return flipped[..., list(MIRROR_PAIRS), :]
