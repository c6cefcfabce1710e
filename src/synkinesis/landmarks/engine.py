"""The landmark engine protocol and the observations an engine returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

RunningMode = Literal["video", "image"]


@dataclass(frozen=True)
class FaceObservation:
    """One face found in one frame.

    Attributes
    ----------
    landmarks_px : (478, 3) float32 array
        x, y in pixels of the frame; z (depth, away from the viewer) in the same pixel scale.
    blendshapes : (52,) float32 array or None
        Expression coefficients 0..1 in the engine's ``blendshape_names`` order.
    """

    landmarks_px: np.ndarray
    blendshapes: np.ndarray | None

    def bounding_box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the landmarks, pixels."""
        xy = self.landmarks_px[:, :2]
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


class LandmarkEngine(Protocol):
    """What the pipeline needs from a face landmark backend."""

    name: str
    version: str
    model_sha256: str
    blendshape_names: tuple[str, ...]

    def detect(self, rgb: np.ndarray, *, timestamp_ms: int | None = None) -> list[FaceObservation]:
        """All faces in one RGB uint8 frame (H, W, 3). ``timestamp_ms`` in video mode."""
        ...

    def close(self) -> None:
        """Release the backend."""
        ...


def main_face_index(
    faces: list[FaceObservation],
    frame_shape: tuple[int, int],
    previous_box: tuple[float, float, float, float] | None = None,
) -> int:
    """Pick the patient's face among several: the one that continues the previous main face
    (largest overlap), else the largest and most central one.
    """
    if len(faces) == 1:
        return 0
    height, width = frame_shape
    boxes = [face.bounding_box() for face in faces]
    if previous_box is not None:
        overlaps = [_iou(box, previous_box) for box in boxes]
        best = int(np.argmax(overlaps))
        if overlaps[best] > 0.3:
            return best
    scores = []
    for x0, y0, x1, y1 in boxes:
        area = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
        cx, cy = (x0 + x1) / 2 / width - 0.5, (y0 + y1) / 2 / height - 0.5
        scores.append(area * (1.0 - min(np.hypot(cx, cy), 0.7)))
    return int(np.argmax(scores))


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
