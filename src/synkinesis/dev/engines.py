"""Two measurements of one recording, frame by frame: how far apart two landmark engines (or
two runs) are in what the later steps read: the landmarks, their per-side sources, the
blendshapes, and the rest frames that the blendshapes pick.

Made for issue 23 (may ``--engine litert`` replace the Tasks API as the default?): it tells a
difference of the loop (landmarks apart, faces lost in other frames) from a decision taken on a
knife edge (the same landmarks within hundredths of a pixel, a threshold crossed by one engine
and not the other). ``scripts/compare_engines.py`` prints it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synkinesis.measure.calibrate import expression_activity
from synkinesis.quality import UNUSABLE, FrameFlag

#: Source columns of the per-frame table (the patient's left and right side).
SOURCE_COLUMNS = ("landmark_source_left", "landmark_source_right")


def rest_candidates(measurement) -> np.ndarray:
    """(N,) bool: the frames the measure step chooses rest among (usable, neither half
    covered, both eyes open when any frame has them open), as
    :func:`synkinesis.measure.calibrate.choose_rest` is called."""
    flags = np.asarray(measurement.frames["flags"], dtype=np.int64)
    hidden = int(FrameFlag.HIDDEN_LEFT | FrameFlag.HIDDEN_RIGHT)
    seen = ((flags & int(UNUSABLE)) == 0) & ((flags & hidden) == 0)
    eyes_open = (flags & int(FrameFlag.EYE_CLOSED_LEFT | FrameFlag.EYE_CLOSED_RIGHT)) == 0
    return seen & eyes_open if (seen & eyes_open).any() else seen


def rest_frames(measurement) -> np.ndarray:
    """Row numbers of the frames the measurement took as rest (empty when it records none)."""
    rows = measurement.manifest.rest.rows or []
    return np.concatenate([np.arange(a, b) for a, b in rows] + [np.zeros(0, dtype=int)])


def rest_margin(measurement) -> float | None:
    """How far the quietest frame left out of rest lies above the busiest one taken, in
    summed expression blendshapes (:func:`expression_activity`); None when rest was not
    chosen by activity. A margin below the activity's own noise means another run may pick
    other frames."""
    taken = rest_frames(measurement)
    if measurement.manifest.rest.max_activity is None or taken.size == 0:
        return None
    activity = expression_activity(np.asarray(measurement.blendshapes, dtype=float))
    left_out = rest_candidates(measurement)
    left_out[taken] = False
    if not left_out.any():
        return None
    return float(activity[left_out].min() - activity[taken].max())


def compare_measurements(reference, other, *, worst: int = 5) -> dict[str, Any]:
    """Frame-by-frame differences of ``other`` from ``reference`` (two
    :class:`synkinesis.measure.result_file.Measurement` of the same recording, landmarks on
    file). Pixels for landmarks (x, y), coefficients 0..1 for blendshapes.

    Returns a dict: ``landmarks_px`` (median, p99, max over every point of every frame where
    both have a face), ``frame_median_px`` (per frame median: its median, max, and the
    ``worst`` frames with their values), ``blendshapes`` (|difference| median, p99, max),
    ``activity`` (|difference| of the summed expression blendshapes: median, max),
    ``sources_differ`` (frames whose left or right landmark source differs), ``faces_differ``
    (frames where only one found a face), and ``rest`` (each one's rest frames and margin).
    """
    if reference.n_frames != other.n_frames:
        raise ValueError(f"not the same recording: {reference.n_frames} and "
                         f"{other.n_frames} frames")
    a, b = reference.load_landmarks(), other.load_landmarks()
    face_a = np.asarray(reference.frames["n_faces"]) > 0
    face_b = np.asarray(other.frames["n_faces"]) > 0
    both = face_a & face_b
    distance = np.linalg.norm(a[both, :, :2] - b[both, :, :2], axis=-1)
    per_frame = np.full(reference.n_frames, np.nan)
    per_frame[both] = np.median(distance, axis=1)
    order = np.argsort(-np.nan_to_num(per_frame, nan=-1.0), kind="stable")[:worst]
    blend = np.abs(np.asarray(reference.blendshapes, dtype=float)[both]
                   - np.asarray(other.blendshapes, dtype=float)[both])
    activity = np.abs(expression_activity(np.asarray(reference.blendshapes, dtype=float))
                      - expression_activity(np.asarray(other.blendshapes, dtype=float)))[both]
    sources = np.zeros(reference.n_frames, dtype=bool)
    for column in SOURCE_COLUMNS:
        if column in reference.frames and column in other.frames:
            sources |= np.asarray(reference.frames[column]) != np.asarray(other.frames[column])

    def stats(values: np.ndarray) -> dict[str, float]:
        if values.size == 0:
            return {"median": float("nan"), "p99": float("nan"), "max": float("nan")}
        return {"median": float(np.nanmedian(values)),
                "p99": float(np.nanpercentile(values, 99)), "max": float(np.nanmax(values))}

    return {
        "frames": reference.n_frames,
        "landmarks_px": stats(distance.ravel()),
        "frame_median_px": {"median": float(np.nanmedian(per_frame)),
                            "max": float(np.nanmax(per_frame)),
                            "worst": [(int(i), float(per_frame[i])) for i in order]},
        "blendshapes": stats(blend.ravel()),
        "activity": {"median": float(np.median(activity)) if activity.size else float("nan"),
                     "max": float(activity.max()) if activity.size else float("nan")},
        "sources_differ": [int(i) for i in np.flatnonzero(sources)],
        "faces_differ": [int(i) for i in np.flatnonzero(face_a != face_b)],
        "rest": {"reference": rest_frames(reference).tolist(),
                 "other": rest_frames(other).tolist(),
                 "reference_margin": rest_margin(reference),
                 "other_margin": rest_margin(other)},
    }
