"""The landmark engine protocol and the observations an engine returns."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol

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
    sources : dict or None
        Where each side's landmarks came from, for engines that combine several passes
        (:mod:`synkinesis.landmarks.composite`): ``{"left": code, "right": code}`` keyed by the
        patient's side (MediaPipe index sets), codes as in ``composite.SOURCE_NAMES``.
    model_landmarks_px : (478, 3) float32 array or None
        For engines that refine the model's landmarks in the pixels (lid and mouth-corner
        edges): the landmarks as the model gave them. The pipeline uses them to keep each
        refined signal's level at rest the model's, so that a refinement adds movement but no
        per-side bias (lashes, lip shape).
    chin_texture : dict or None
        For engines that refine the chin pads by their texture
        (:mod:`synkinesis.landmarks.chin_texture`): each side's fine texture in this frame
        (grey levels; NaN where not registered), keyed as ``sources``.
    """

    landmarks_px: np.ndarray
    blendshapes: np.ndarray | None
    sources: dict[str, int] | None = None
    model_landmarks_px: np.ndarray | None = None
    chin_texture: dict[str, float] | None = None

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


class PairedDetection:
    """Run two engines' ``detect`` on their own images at the same time.

    MediaPipe runs its graph in native threads and the Python caller waits outside the GIL, so
    two landmarkers (each its own graph and tracker) overlap on a machine with two cores: the
    mirror-averaged pass and the two half-face composites then take about the wall time of one
    inference instead of two (``docs/benchmarks.md``). The results are the same as one after the
    other: each engine sees only its own images, in order. One call is made on a worker thread,
    the other on the caller's; an exception of either is raised here.

    A process pinned to one CPU (``taskset -c 0``, a cpuset of one CPU) runs the two one after
    the other on the caller's thread: there they cannot overlap, and switching between two
    native graphs costs a little (single_face.mp4's composites on one core: 18.8 instead of
    19.2 ms per pair in isolation; in the whole pipeline the difference is within the noise).
    A CPU quota (``docker --cpus=1``) does not show in the affinity: there the two threads stay.

    ``concurrent`` forces either way (tests).
    """

    def __init__(self, *, concurrent: bool | None = None) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self.concurrent = usable_cpus() > 1 if concurrent is None else concurrent

    def __call__(self, first: LandmarkEngine, first_image: np.ndarray, second: LandmarkEngine,
                 second_image: np.ndarray, timestamp_ms: int | None,
                 ) -> tuple[list[FaceObservation], list[FaceObservation]]:
        if not self.concurrent:
            return (first.detect(first_image, timestamp_ms=timestamp_ms),
                    second.detect(second_image, timestamp_ms=timestamp_ms))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synk-landmarks")
        pending = self._pool.submit(first.detect, first_image, timestamp_ms=timestamp_ms)
        try:
            second_faces = second.detect(second_image, timestamp_ms=timestamp_ms)
        finally:
            first_faces = pending.result()  # waits even when the second call failed
        return first_faces, second_faces

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def defer_blendshapes_of(engines: Sequence[Any]) -> bool:
    """Have every engine of ``engines`` leave its blendshapes to the caller (its
    ``defer_blendshapes`` attribute; the caller then runs its ``blend`` on the faces whose
    blendshapes it keeps), when all of them can (``blendshapes_deferrable``: the LiteRT
    engine with its blendshape model). Returns whether they do; otherwise nothing changes."""
    deferred = all(getattr(engine, "blendshapes_deferrable", False) for engine in engines)
    if deferred:
        for engine in engines:
            engine.defer_blendshapes = True
    return deferred


#: Set by :func:`limit_cpus`: at most this many CPUs for this process's own threads.
_CPU_LIMIT: int | None = None


def limit_cpus(count: int | None) -> None:
    """Hold this process's own parallel work (:class:`PairedDetection`, the live pool) to at
    most ``count`` CPUs whatever its affinity says (None: no limit). A batch worker that shares
    the machine with other workers sets 1 (:mod:`synkinesis.cohort.cluster`); takes effect for
    engines made afterwards."""
    global _CPU_LIMIT
    _CPU_LIMIT = None if count is None else max(1, int(count))


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the OS reports it), at most the limit
    of :func:`limit_cpus`."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        count = os.cpu_count() or 1
    return count if _CPU_LIMIT is None else min(count, _CPU_LIMIT)


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


class MirrorAveragedEngine:
    """Landmark every frame twice, as seen and horizontally flipped, and average the two
    anatomically renamed results.

    A landmark model is not exactly mirror-equivariant: the same face and its mirror image give
    landmarks that differ by about 0.5 mm and an iris (hence a mm scale) that differs by up to
    3 %. Averaging ``f(I)`` with ``M f(flip I)`` makes the measurement mirror-equivariant by
    construction (the flipped video gives exactly the mirrored result) and halves the
    independent noise, at twice the inference cost. Each stream keeps its own tracker.

    Parameters
    ----------
    direct, flipped : two engines of the same kind (one per stream)
    """

    def __init__(self, direct: LandmarkEngine, flipped: LandmarkEngine) -> None:
        self._direct, self._flipped = direct, flipped
        self.name = f"{direct.name}+mirror-average"
        self.version = direct.version
        self.model_sha256 = direct.model_sha256
        self._permutation: list[int] | None = None  # blendshape index of each mirrored name
        self._paired = PairedDetection()
        self._deferred = False
        self._last: tuple[list[FaceObservation], list[FaceObservation], int] | None = None

    def defer_blendshapes(self) -> bool:
        """Leave the blendshapes out of :meth:`detect` (None) where both engines can
        (``blendshapes_deferrable``); :meth:`with_blendshapes` then gives the last frame's
        faces with them, the same numbers as without deferring. Returns whether it does."""
        self._deferred = defer_blendshapes_of((self._direct, self._flipped))
        return self._deferred

    def with_blendshapes(self) -> list[FaceObservation]:
        """The last :meth:`detect`'s faces with their blendshapes (after
        :meth:`defer_blendshapes`: computed now, for this frame only)."""
        if self._last is None:
            return []
        direct, flipped, width = self._last
        if self._deferred:
            from dataclasses import replace

            blend_direct = self._direct.blend  # type: ignore[attr-defined]
            blend_flipped = self._flipped.blend  # type: ignore[attr-defined]
            direct = [replace(face, blendshapes=blend_direct(face.landmarks_px))
                      for face in direct]
            flipped = [replace(face, blendshapes=blend_flipped(face.landmarks_px))
                       for face in flipped]
        return self._combine(direct, flipped, width)

    @property
    def blendshape_names(self) -> tuple[str, ...]:
        return self._direct.blendshape_names or self._flipped.blendshape_names

    def _blend_permutation(self) -> list[int] | None:
        """Computed once, when the engine first reports its names (not on every frame)."""
        if self._permutation is None and self.blendshape_names:
            from synkinesis.regions import mirror_name

            names = self.blendshape_names
            self._permutation = [names.index(mirror_name(n)) for n in names]
        return self._permutation

    def detect(self, rgb: np.ndarray, *, timestamp_ms: int | None = None) -> list[FaceObservation]:
        import cv2

        width = rgb.shape[1]
        # cv2.flip: the same pixels as a contiguous copy of rgb[:, ::-1], in a fraction of the
        # time (numpy copies a reversed view element by element).
        direct, flipped_faces = self._paired(self._direct, rgb, self._flipped,
                                             cv2.flip(rgb, 1), timestamp_ms)
        self._last = (direct, flipped_faces, width)
        return self._combine(direct, flipped_faces, width)

    def _combine(self, direct: list[FaceObservation], flipped_faces: list[FaceObservation],
                 width: int) -> list[FaceObservation]:
        from synkinesis.normalize import mirror_image_landmarks

        permutation = self._blend_permutation()
        renamed = []
        for face in flipped_faces:
            blend = face.blendshapes
            if blend is not None and permutation is not None:
                blend = blend[permutation]
            renamed.append(FaceObservation(
                landmarks_px=mirror_image_landmarks(face.landmarks_px, width).astype(np.float32),
                blendshapes=blend))
        return _average_matched(direct, renamed)

    def close(self) -> None:
        self._paired.close()
        self._direct.close()
        self._flipped.close()

    def __enter__(self) -> MirrorAveragedEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _average_matched(
    first: list[FaceObservation], second: list[FaceObservation]
) -> list[FaceObservation]:
    """Average faces of two passes that overlap (IoU > 0.3); unmatched faces pass through.

    Symmetric in its two arguments, so the average does not depend on which pass is which.
    """
    out: list[FaceObservation] = []
    used: set[int] = set()
    for face in first:
        box = face.bounding_box()
        overlaps = [(_iou(box, other.bounding_box()), j) for j, other in enumerate(second)
                    if j not in used]
        best = max(overlaps, default=(0.0, -1))
        if best[0] > 0.3:
            other = second[best[1]]
            used.add(best[1])
            blend = None
            if face.blendshapes is not None and other.blendshapes is not None:
                blend = 0.5 * (face.blendshapes + other.blendshapes)
            out.append(FaceObservation(
                landmarks_px=0.5 * (face.landmarks_px + other.landmarks_px), blendshapes=blend))
        else:
            out.append(face)
    out.extend(other for j, other in enumerate(second) if j not in used)
    return out
