"""Per-frame (online) measurement for the live loop: one camera frame -> region movements.

The batch measurement (the rest of :mod:`synkinesis.measure`) calibrates a whole recording at
once; a live session cannot wait for the end. :class:`LiveMeasurer` applies the same steps frame
by frame (the web's live socket only streams frames to it and its answers back),
reusing the library's functions (MediaPipe landmarks, :func:`~synkinesis.normalize.fit_head_pose`,
:func:`~synkinesis.signals.compute_signals`, :func:`~synkinesis.recording.region_movements`):

* scale: millimetres from the running median of the iris diameter over the first good frames
  (:func:`~synkinesis.normalize.millimetres_per_unit`), then fixed;
* rest: the median of the frames the client marks as rest (the exercise starts with a short
  "relax" phase), as :func:`~synkinesis.recording.rest_baseline` does for a recording;
* movement per region and side, in mm, positive in the region's active direction
  (:data:`~synkinesis.recording.REGION_SIGNALS`). Sides are the patient's.

No new measurement is defined here (the regions are :data:`~synkinesis.recording.MEASURED_REGIONS`,
the signals :func:`~synkinesis.signals.compute_signals`'s); nothing is written to disk. The pure
steps (:func:`head_frame`, :func:`frame_signals`, :func:`frame_movements`) are array functions,
tested against the batch computation on the same landmarks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Frames used to fix the millimetre scale (about 1 s at 30 fps).
SCALE_FRAMES = 30
#: Most rest frames kept for the baseline.
MAX_REST_FRAMES = 90
#: A face is "frontal enough" for measurement within these angles (degrees): the pipeline's
#: quality limits (:class:`~synkinesis.quality.QualityLimits`), tightened for live guidance.
FRONTAL_YAW_DEG = 15.0
FRONTAL_PITCH_DEG = 15.0


@dataclass
class LiveFrame:
    """What one frame gives.

    Attributes
    ----------
    n_faces : int
    pose_deg : (yaw, pitch, roll) or None, degrees
    frontal : bool
        One face, within :data:`FRONTAL_YAW_DEG` / :data:`FRONTAL_PITCH_DEG`.
    calibrated : bool
        The millimetre scale is known.
    movements : dict side -> dict region -> float (mm) or None
        Movement from rest; empty until a rest baseline exists.
    """

    n_faces: int
    pose_deg: tuple[float, float, float] | None = None
    frontal: bool = False
    calibrated: bool = False
    movements: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"n_faces": self.n_faces,
                "pose_deg": None if self.pose_deg is None else [round(a, 1)
                                                                 for a in self.pose_deg],
                "frontal": self.frontal, "calibrated": self.calibrated,
                "movements": self.movements}


def head_frame(landmarks_px: np.ndarray, canonical: Any) -> tuple[np.ndarray, Any]:
    """Landmarks (N, 478, 3) image pixels -> (head-frame landmarks, head pose), as the batch
    landmark pass computes them (:func:`~synkinesis.normalize.fit_head_pose`,
    :func:`~synkinesis.normalize.to_head_frame`)."""
    from synkinesis.normalize import fit_head_pose, to_head_frame

    landmarks = np.asarray(landmarks_px, dtype=np.float64)
    pose = fit_head_pose(landmarks, canonical.vertices, canonical.basis_ids,
                         canonical.basis_weights)
    return to_head_frame(landmarks, pose), pose


def is_frontal(n_faces: int, yaw_deg: float, pitch_deg: float) -> bool:
    """One face, within :data:`FRONTAL_YAW_DEG` / :data:`FRONTAL_PITCH_DEG`."""
    return n_faces == 1 and abs(yaw_deg) <= FRONTAL_YAW_DEG and abs(pitch_deg) <= FRONTAL_PITCH_DEG


def frame_signals(head: np.ndarray, mm_per_unit: float) -> dict[str, float]:
    """One frame's signal columns (mm / degrees) from its head-frame landmarks (1, 478, 3)."""
    from synkinesis.signals import compute_signals

    return {name: float(values[0]) for name, values in compute_signals(head, mm_per_unit).items()}


def frame_movements(signals: dict[str, float], baseline: dict[str, float],
                    time_s: float = 0.0) -> dict[str, dict[str, float | None]]:
    """Movement from rest of every measured region, per side (patient's), mm rounded to 0.01,
    None where not finite; :func:`~synkinesis.recording.region_movements` on one frame."""
    from synkinesis.recording import MEASURED_REGIONS, Recording, region_movements

    recording = Recording(time_s=np.array([time_s]),
                          signals={k: np.array([v]) for k, v in signals.items()},
                          flags=np.zeros(1, dtype=np.int64))
    moves = region_movements(recording, baseline)
    return {side: {region: _finite(moves[side][region][0]) for region in MEASURED_REGIONS}
            for side in moves}


class LiveMeasurer:
    """Landmarks one frame at a time (VIDEO mode, tracking) and returns region movements.

    Parameters
    ----------
    engine : landmark engine, optional
        Default: a :class:`~synkinesis.landmarks.mediapipe_engine.MediaPipeEngine` (one per
        session: it tracks across frames and is not shared between threads).
    max_faces : int
        Faces the default engine looks for. MediaPipe re-runs its face detector on every frame
        while it tracks fewer faces than this, so 1 is fastest (exercises); 2 is enough to
        notice a second person (guided recording).
    """

    def __init__(self, engine: Any = None, *, max_faces: int = 1) -> None:
        from synkinesis.landmarks.model import load_canonical_face

        if engine is None:
            from synkinesis.landmarks.mediapipe_engine import MediaPipeEngine

            engine = MediaPipeEngine(mode="video", max_faces=max_faces)
        self.engine = engine
        self.canonical = load_canonical_face()
        self._iris: deque[float] = deque(maxlen=SCALE_FRAMES)
        self._interpupil: deque[float] = deque(maxlen=SCALE_FRAMES)
        self.mm_per_unit: float | None = None
        self._rest: list[dict[str, float]] = []
        self.baseline: dict[str, float] | None = None
        self._previous_box = None

    def close(self) -> None:
        """Release the landmark engine."""
        self.engine.close()

    def reset_rest(self) -> None:
        """Forget the rest baseline (a new rest phase follows)."""
        self._rest = []
        self.baseline = None

    def measure(self, rgb: np.ndarray, *, timestamp_ms: int, rest: bool = False) -> LiveFrame:
        """Measure one RGB frame (H, W, 3) uint8; ``rest`` adds it to the rest baseline."""
        from synkinesis.landmarks.engine import main_face_index
        from synkinesis.normalize import interpupil_distance, iris_diameter, millimetres_per_unit
        from synkinesis.recording import baseline_columns

        faces = self.engine.detect(rgb, timestamp_ms=timestamp_ms)
        if not faces:
            self._previous_box = None
            return LiveFrame(n_faces=0)
        main = main_face_index(faces, rgb.shape[:2], self._previous_box)
        self._previous_box = faces[main].bounding_box() if len(faces) > 1 else None
        head, pose = head_frame(faces[main].landmarks_px[None], self.canonical)
        yaw, pitch, roll = (float(a) for a in pose.angles_deg()[0])
        frontal = is_frontal(len(faces), yaw, pitch)
        frame = LiveFrame(n_faces=len(faces), pose_deg=(yaw, pitch, roll), frontal=frontal)
        if self.mm_per_unit is None:
            if frontal:
                self._iris.append(float(iris_diameter(head)[0]))
                self._interpupil.append(float(interpupil_distance(head)[0]))
            if len(self._iris) == SCALE_FRAMES:
                scale = millimetres_per_unit(np.array(self._iris), np.array(self._interpupil),
                                             np.ones(SCALE_FRAMES, dtype=bool))
                self.mm_per_unit = None if scale is None else scale.mm_per_unit
            if self.mm_per_unit is None:
                return frame
        frame.calibrated = True
        signals = frame_signals(head, self.mm_per_unit)
        if rest and frontal:
            self._rest.append({name: signals[name] for name in baseline_columns()})
            self._rest = self._rest[-MAX_REST_FRAMES:]
            self.baseline = {name: float(np.median([r[name] for r in self._rest]))
                             for name in baseline_columns()}
        if self.baseline is None:
            return frame
        frame.movements = frame_movements(signals, self.baseline, timestamp_ms / 1000.0)
        return frame


def _finite(value: float) -> float | None:
    return round(float(value), 2) if np.isfinite(value) else None
