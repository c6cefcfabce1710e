"""The standard expression protocol and its segmentation into task spans. Pure array maths.

A recording of the protocol is a sequence of tasks (rest, brow raise, eye closure, smiles, snarl,
pucker, "EEE", optional speech and chewing). Each task has *driver* regions (what the patient is
asked to move: its voluntary function) and *watched* regions (what should stay still, or move only
as much as on the healthy side: where synkinesis shows).

Segmentation gives every task its time span:

- **guided**: spans written by a recorder (a sidecar JSON list of ``{task, start_s, end_s}``) or
  typed on the command line; checked against the recording (:func:`guided_segments`);
- **unguided**: movement episodes found in the signals (and MediaPipe blendshapes when present),
  each named from the region that drives it, with a label confidence
  (:func:`unguided_segments`).

The recording itself and its region movements are :mod:`synkinesis.recording`'s.

Format history of :data:`PROTOCOL_VERSION`
------------------------------------------
1: first version (11 tasks, 8 regions).

Why one file of over 500 lines: the task definitions and both segmentations (guided,
unguided) share their rules (drivers, minimum spans, rest search); split, the rules would be
imported back by both halves.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from synkinesis.quality import FrameFlag, distance_to_frames
from synkinesis.recording import (
    Baseline,
    Recording,
    baseline_columns,
    region_movements,
    rest_baseline,
)
from synkinesis.regions import REGIONS, SIDES, Side
from synkinesis.signals import signal_name

PROTOCOL_VERSION = "1"

SegmentMethod = Literal["guided", "unguided"]


class ProtocolError(ValueError):
    """Task spans that do not fit the recording or name unknown tasks (a user error)."""


@dataclass(frozen=True)
class Task:
    """One task of the standard recording protocol.

    Attributes
    ----------
    name : str
        Machine name (``big_smile``); the simulator uses the same names.
    label : str
        What the clinician asks for.
    drivers : tuple of str
        Regions the task is meant to move (voluntary function).
    watched : tuple of str
        Regions that should not move more on the affected side than on the healthy side.
    optional : bool
        Speech and chewing are optional; missing optional tasks are not reported as missing.
    sunnybrook : str or None
        The Sunnybrook expression this task grades (``brow_lift``, ``eye_closure``, ``smile``,
        ``snarl``, ``pucker``).
    """

    name: str
    label: str
    drivers: tuple[str, ...]
    watched: tuple[str, ...]
    optional: bool = False
    sunnybrook: str | None = None


_LOWER_FACE = ("mouth_corner", "nasolabial", "upper_lip", "lower_lip", "chin")

TASKS: tuple[Task, ...] = (
    Task("rest", "face relaxed, eyes open, lips together", (), REGIONS[:-1]),
    Task("brow_raise", "raise the eyebrows", ("brow",),
         ("eye", *_LOWER_FACE, "neck"), sunnybrook="brow_lift"),
    Task("gentle_eye_closure", "close the eyes gently, as in sleep", ("eye",),
         ("brow", *_LOWER_FACE, "neck"), sunnybrook="eye_closure"),
    Task("tight_eye_closure", "squeeze the eyes shut", ("eye",),
         (*_LOWER_FACE, "neck")),
    Task("closed_smile", "smile with the lips closed", ("mouth_corner", "nasolabial"),
         ("brow", "eye", "chin", "lower_lip", "neck")),
    Task("big_smile", "smile broadly, showing the teeth",
         ("mouth_corner", "nasolabial", "upper_lip", "lower_lip"),
         ("brow", "eye", "chin", "neck"), sunnybrook="smile"),
    Task("snarl", "wrinkle the nose / lift the upper lip", ("upper_lip", "nasolabial"),
         ("brow", "eye", "lower_lip", "chin", "neck"), sunnybrook="snarl"),
    Task("pucker", 'pucker the lips ("OOO")', ("mouth_corner", "upper_lip", "lower_lip"),
         ("brow", "eye", "nasolabial", "neck"), sunnybrook="pucker"),
    Task("eee", 'say "EEE", showing the lower teeth', ("mouth_corner", "lower_lip"),
         ("brow", "eye", "chin", "neck")),
    Task("speech", "read a sentence aloud", ("mouth_corner", "upper_lip", "lower_lip"),
         ("brow", "eye", "chin", "neck"), optional=True),
    Task("chewing", "chew", ("lower_lip", "chin"), ("brow", "eye", "mouth_corner", "neck"),
         optional=True),
)

TASK_NAMES: tuple[str, ...] = tuple(task.name for task in TASKS)
MOUTH_TASKS = ("closed_smile", "big_smile", "pucker", "eee", "speech")
EYE_TASKS = ("gentle_eye_closure", "tight_eye_closure")
#: Names of unguided episodes that are not protocol tasks (kept in the result, not analysed).
COMPOUND = "compound"
UNKNOWN = "unknown"


#: How many times the guided protocol asks for each task: a clinician repeats a movement to
#: see whether it holds, and the analysis resamples the repetitions (its intervals) and
#: reports whether they agree (:func:`synkinesis.uncertainty.repetition_agreement`).
GUIDED_REPETITIONS = 2


def guided_steps(*, repetitions: int = GUIDED_REPETITIONS,
                 optional: bool = False) -> tuple[tuple[Task, int], ...]:
    """The order a guided recording asks for the tasks: ``(task, repetition)`` with
    repetition 1.. ``repetitions``. Rest opens and closes the recording (``repetitions``
    rests, the others between them); every other task is asked ``repetitions`` times in a row,
    each with its own relax, as a clinician asks. Optional tasks only with ``optional``.

    Raises
    ------
    ProtocolError
        ``repetitions`` below 1.
    """
    if isinstance(repetitions, bool) or not isinstance(repetitions, int) or repetitions < 1:
        raise ProtocolError(f"repetitions must be a whole number >= 1, got {repetitions!r}")
    rest = get_task("rest")
    middle = [(task, k) for task in TASKS if task.name != "rest"
              and (optional or not task.optional) for k in range(1, repetitions + 1)]
    rests = [(rest, k) for k in range(1, repetitions + 1)]
    half = len(middle) // repetitions // 2 * repetitions  # never between two repetitions
    return (rests[0], *middle[:half], *rests[1:-1], *middle[half:], *rests[1:][-1:])


def get_task(name: str) -> Task:
    """The task called ``name``; raises ProtocolError listing the known names."""
    for task in TASKS:
        if task.name == name:
            return task
    raise ProtocolError(f"unknown task {name!r}; tasks are: {', '.join(TASK_NAMES)}")


# ---------------------------------------------------------------------------------------------
# segments


@dataclass(frozen=True)
class Segment:
    """A span of the recording labelled with a task.

    Attributes
    ----------
    task : str
        A task name, or ``"compound"`` / ``"unknown"`` for unguided episodes that cannot be
        attributed to one task (not analysed).
    start_s, end_s : float
        Seconds, inclusive start, exclusive end.
    method : {"guided", "unguided"}
    confidence : float
        0..1, how sure the label is (1 for guided spans whose driver moved).
    note : str
        Why the confidence is what it is.
    """

    task: str
    start_s: float
    end_s: float
    method: SegmentMethod
    confidence: float
    note: str = ""

    def mask(self, time_s: np.ndarray) -> np.ndarray:
        t = np.asarray(time_s, dtype=float)
        return (t >= self.start_s) & (t < self.end_s)


@dataclass(frozen=True)
class RestInfo:
    """Where the rest baseline came from.

    Attributes
    ----------
    start_s, end_s : float
        Start of the first and end of the last rest span, seconds (for display only: other
        tasks may lie between two rest spans).
    method : str
        ``"rest task"`` or ``"quietest span"``.
    flagged : bool
        True when no rest task was given or found.
    n_frames : int
        Usable rest frames.
    spans : tuple of (start_s, end_s)
        The rest spans themselves, seconds, in time order; :meth:`mask` selects their frames.
    """

    start_s: float
    end_s: float
    method: str
    flagged: bool
    n_frames: int
    spans: tuple[tuple[float, float], ...] = ()

    def mask(self, time_s: np.ndarray) -> np.ndarray:
        """(N,) bool: frames inside a rest span (usable or not)."""
        t = np.asarray(time_s, dtype=float)
        out = np.zeros(t.shape, dtype=bool)
        for start, end in self.spans or ((self.start_s, self.end_s),):
            out |= (t >= start) & (t < end)
        return out


@dataclass(frozen=True)
class SegmentationOptions:
    """Thresholds of the unguided segmentation (all [U] project defaults, configurable).

    Attributes
    ----------
    min_episode_s : float
        Shortest movement episode kept, seconds.
    merge_gap_s : float
        Episodes of the same task closer than this are merged, seconds.
    rest_window_s : float
        Length of the quietest span used as rest, seconds (shorter recordings use 20 %).
    activity_threshold : float
        Normalised activity above which a frame belongs to a movement (1 = a clear movement
        of one region, see :data:`ACTIVITY_SCALES_MM`).
    compound_evidence : float
        An episode is ``compound`` when a task of another driver region reaches this evidence
        (1 = clearly performed) on BOTH sides (e.g. laughing with the eyes shut).
    compound_margin_s : float
        When rest is searched, frames this close to a compound episode or to a half of the face
        found covered (``HIDDEN_LEFT``/``RIGHT``) cost extra (the face is settling, a hand may
        still be near it), seconds.
    compound_rest_cost : float
        That extra cost at the edge of a compound episode (falling linearly to 0 at
        ``compound_margin_s``), in activity units (1 = a clear movement).
    hint_bonus : float
        Cost taken off the frames the measure step used as rest
        (:attr:`Recording.rest_hint_frames`), in activity units.
    """

    min_episode_s: float = 0.4
    merge_gap_s: float = 0.3
    rest_window_s: float = 1.0
    activity_threshold: float = 1.0
    compound_evidence: float = 1.0
    compound_margin_s: float = 3.0
    compound_rest_cost: float = 1.0
    hint_bonus: float = 0.25


#: Movement (mm) that counts as a clear voluntary movement of each region, for segmentation
#: only [U, project defaults]. The eye uses the fraction of the rest fissure instead (0.5).
ACTIVITY_SCALES_MM: dict[str, float] = {
    "brow": 2.0, "mouth_corner": 3.0, "upper_lip": 2.5, "lower_lip": 3.0,
}
EYE_CLOSURE_FRACTION = 0.5
#: Upper-lip rise plus lower-lip descent (mm) above which the lips count as parted [U].
OPEN_LIPS_MM = 2.0


def validate_spans(spans: Sequence[Mapping[str, object]], *, duration_s: float) -> list[Segment]:
    """Check task spans against the recording and turn them into guided segments.

    Parameters
    ----------
    spans : sequence of mappings with ``task``, ``start_s``, ``end_s``
    duration_s : float
        Length of the recording, seconds.

    Returns
    -------
    list of Segment
        In time order. A span that ends past the recording is cut at its end and says so in
        its ``note``.

    Raises
    ------
    ProtocolError
        Unknown task, end before start, a span outside the recording, or overlapping spans:
        the message names the span and the recording length.
    """
    segments = []
    for i, span in enumerate(spans):
        if not isinstance(span, Mapping) or not {"task", "start_s", "end_s"} <= set(span):
            raise ProtocolError(
                f"span {i + 1} must have task, start_s and end_s, got {span!r}")
        task = str(span["task"])
        get_task(task)
        try:
            start, end = float(span["start_s"]), float(span["end_s"])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ProtocolError(f"span {i + 1} ({task}): start_s and end_s must be numbers, "
                                f"got {span['start_s']!r}, {span['end_s']!r}") from None
        if not (np.isfinite(start) and np.isfinite(end)) or end <= start or start < 0:
            raise ProtocolError(f"span {i + 1} ({task}): needs 0 <= start_s < end_s, got "
                                f"{start:g}..{end:g} s")
        if start >= duration_s - 1e-6:
            raise ProtocolError(
                f"the protocol does not match the recording: {task} starts at {start:g} s but "
                f"the recording lasts {duration_s:.2f} s")
        note = (f"{task} {start:g}..{end:g} s ends past the end of the recording "
                f"({duration_s:.2f} s): analysed up to its end" if end > duration_s + 1e-6
                else "")
        segments.append(Segment(task, start, min(end, duration_s), "guided", 1.0, note))
    ordered = sorted(segments, key=lambda s: s.start_s)
    for a, b in zip(ordered, ordered[1:]):
        if b.start_s < a.end_s - 1e-6:
            raise ProtocolError(f"spans overlap: {a.task} {a.start_s:g}..{a.end_s:g} s and "
                                f"{b.task} {b.start_s:g}..{b.end_s:g} s")
    return ordered


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving median (NaN-aware), width in frames."""
    if width <= 1:
        return values
    from numpy.lib.stride_tricks import sliding_window_view

    half = width // 2
    padded = np.pad(values, (half, width - 1 - half), mode="edge")
    windows = sliding_window_view(padded, width)
    with warnings.catch_warnings():  # all-NaN windows (unusable stretches) give NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(windows, axis=1)


def _blend_mean(recording: Recording, names: Sequence[str]) -> np.ndarray | None:
    values = [recording.blendshape(name) for name in names]
    if any(v is None for v in values):
        return None
    return np.mean(np.vstack(values), axis=0)  # type: ignore[arg-type]


def task_evidence(
    recording: Recording, moves: Mapping[Side, Mapping[str, np.ndarray]], baseline: Baseline
) -> dict[str, np.ndarray]:
    """Per-frame evidence (about 1 = clearly performing) for each task, per side combined.

    Returns
    -------
    dict task -> (2, N) float array
        Row 0 the patient's left, row 1 the right. Signal evidence, averaged with MediaPipe
        blendshape evidence where the blendshapes exist (so synthetic recordings without
        blendshapes are segmented from signals alone).
    """
    sides = {}
    for k, side in enumerate(SIDES):
        m = moves[side]
        rest_fissure = baseline[signal_name("palpebral_fissure", side)]
        closure = m["eye"] / max(rest_fissure, 1.0) / EYE_CLOSURE_FRACTION
        brow_up = m["brow"] / ACTIVITY_SCALES_MM["brow"]
        rise = m["mouth_corner_rise"] / ACTIVITY_SCALES_MM["mouth_corner"]
        lateral = m["mouth_corner_lateral"] / ACTIVITY_SCALES_MM["mouth_corner"]
        upper = m["upper_lip"] / ACTIVITY_SCALES_MM["upper_lip"]
        # A smile moves the corner up AND out; a snarl lifts it with little lateral movement.
        smile = np.minimum(rise, 2 * lateral) + 0.5 * np.maximum(lateral, 0)
        # Lip separation: the lower lip follows the corner up in a closed smile.
        opened = (m["upper_lip"] + m["lower_lip"]) >= OPEN_LIPS_MM
        sides[k] = {
            "brow_raise": brow_up,
            "gentle_eye_closure": closure * (brow_up > -0.5),
            "tight_eye_closure": closure * (brow_up <= -0.5),
            "closed_smile": smile * ~opened,
            "big_smile": smile * opened,
            "snarl": upper - 0.7 * np.maximum(lateral, 0),
            "pucker": -lateral,
            "eee": 0.8 * lateral - np.maximum(rise, 0),
        }
    out = {task: np.vstack([sides[0][task], sides[1][task]]) for task in sides[0]}
    blend = {
        "brow_raise": _blend_mean(recording, ("browInnerUp", "browOuterUpLeft",
                                              "browOuterUpRight")),
        "eye_closure": _blend_mean(recording, ("eyeBlinkLeft", "eyeBlinkRight")),
        "squint": _blend_mean(recording, ("eyeSquintLeft", "eyeSquintRight", "browDownLeft",
                                          "browDownRight")),
        "smile": _blend_mean(recording, ("mouthSmileLeft", "mouthSmileRight")),
        "open": recording.blendshape("jawOpen"),
        "upper_up": _blend_mean(recording, ("mouthUpperUpLeft", "mouthUpperUpRight")),
        "sneer": _blend_mean(recording, ("noseSneerLeft", "noseSneerRight")),
        "pucker": _blend_mean(recording, ("mouthPucker", "mouthFunnel")),
        "stretch": _blend_mean(recording, ("mouthStretchLeft", "mouthStretchRight")),
    }
    present = {k: v for k, v in blend.items() if v is not None}
    if len(present) == len(blend):
        b = {k: np.nan_to_num(v) / 0.5 for k, v in present.items()}
        tight = b["squint"] >= 0.8
        opened = (b["open"] >= 0.3) | (b["upper_up"] >= 0.8)
        blend_tasks = {
            "brow_raise": b["brow_raise"],
            "gentle_eye_closure": b["eye_closure"] * ~tight,
            "tight_eye_closure": b["eye_closure"] * tight,
            "closed_smile": b["smile"] * ~opened,
            "big_smile": b["smile"] * opened,
            "snarl": b["sneer"] - 0.5 * b["smile"],
            "pucker": b["pucker"] - 0.5 * b["smile"],
            "eee": b["stretch"] - 0.5 * b["smile"],
        }
        for task, values in blend_tasks.items():
            out[task] = 0.5 * (out[task] + values[None, :])
    # A frame with a covered half says nothing about which task is performed: compound or not
    # is told from both sides.
    seen = recording.both_sides_seen
    for task in out:
        out[task] = np.where(seen[None, :], out[task], np.nan)
    return out


#: Tasks that share a driver: a second task from the same group is not a compound movement.
_DRIVER_GROUP = {"brow_raise": "brow", "gentle_eye_closure": "eye", "tight_eye_closure": "eye",
                 "closed_smile": "mouth", "big_smile": "mouth", "snarl": "mouth",
                 "pucker": "mouth", "eee": "mouth"}


#: The driver group of each task (public: the coupling's "not the task" check reads it).
DRIVER_GROUP: Mapping[str, str] = _DRIVER_GROUP


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def quietest_span(
    recording: Recording,
    activity: np.ndarray,
    *,
    options: SegmentationOptions,
    allowed: np.ndarray | None = None,
    penalty: np.ndarray | None = None,
) -> tuple[int, int]:
    """Frames ``[start, stop)`` of the quietest window (lowest mean activity, eyes open).

    Parameters
    ----------
    activity : (N,) float array
        Normalised movement per frame (NaN = unusable, never chosen).
    allowed : (N,) bool array, optional
        Frames that may be part of the window.
    penalty : (N,) float array, optional
        Extra cost per frame, activity units (``inf`` = never).
    """
    n = recording.n_frames
    window_s = min(options.rest_window_s, 0.2 * recording.duration_s)
    width = int(np.clip(round(window_s / recording.frame_interval_s), 3, max(n, 3)))
    width = min(width, n)
    flags = np.asarray(recording.flags, dtype=np.int64)
    closed = (flags & int(FrameFlag.EYE_CLOSED_LEFT | FrameFlag.EYE_CLOSED_RIGHT)) != 0
    cost = np.where(np.isfinite(activity), np.abs(activity), np.inf)
    cost = np.where(closed, cost + 10.0, cost)
    if penalty is not None:
        cost = cost + penalty
    if allowed is not None:
        cost = np.where(allowed, cost, np.inf)
    csum = np.concatenate([[0.0], np.cumsum(np.where(np.isfinite(cost), cost, 1e6))])
    means = (csum[width:] - csum[:-width]) / width
    start = int(np.argmin(means))
    return start, start + width


def movement_activity(
    recording: Recording, moves: Mapping[Side, Mapping[str, np.ndarray]], baseline: Baseline
) -> np.ndarray:
    """(N,) normalised movement: the largest region movement on either side (1 = clear)."""
    parts = []
    for side in SIDES:
        m = moves[side]
        rest_fissure = baseline[signal_name("palpebral_fissure", side)]
        parts.append(np.abs(m["eye"]) / max(rest_fissure, 1.0) / EYE_CLOSURE_FRACTION)
        for region, scale in ACTIVITY_SCALES_MM.items():
            parts.append(np.abs(m[region]) / scale)
    stacked = np.vstack(parts)
    with warnings.catch_warnings():  # unusable frames are all-NaN columns
        warnings.simplefilter("ignore", RuntimeWarning)
        activity = np.nanmax(stacked, axis=0)
    return np.where(recording.both_sides_seen, activity, np.nan)


def unguided_segments(
    recording: Recording,
    moves: Mapping[Side, Mapping[str, np.ndarray]],
    baseline: Baseline,
    *,
    options: SegmentationOptions = SegmentationOptions(),
) -> list[Segment]:
    """Find movement episodes and name their task.

    Every frame whose activity exceeds ``options.activity_threshold`` is labelled with the task
    of highest evidence (mean of both sides, so a paralysed side does not hide the task); runs
    of one label form episodes. An episode where a task of another driver region is nearly as
    strong on BOTH sides is ``compound`` (two voluntary movements at once, e.g. laughing with
    the eyes shut): co-movement there cannot be attributed, so it is not analysed. One-sided
    co-movement, the mark of synkinesis, never makes an episode compound.

    Returns
    -------
    list of Segment
        Unguided segments in time order (rest is not included; see :func:`quietest_span`).
    """
    dt = recording.frame_interval_s
    evidence = task_evidence(recording, moves, baseline)
    names = list(evidence)
    smooth_width = max(1, int(round(0.2 / dt)))
    with warnings.catch_warnings():
        # Frames where both sides are unusable have no evidence: NaN, no warning on stderr.
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_evidence = np.vstack([_smooth(np.nanmean(evidence[t], axis=0), smooth_width)
                                   for t in names])  # (T, N)
        min_evidence = np.vstack([_smooth(np.nanmin(evidence[t], axis=0), smooth_width)
                                  for t in names])
    activity = _smooth(movement_activity(recording, moves, baseline), smooth_width)
    moving = np.isfinite(activity) & (activity >= options.activity_threshold)
    filled = np.where(np.isfinite(mean_evidence), mean_evidence, -np.inf)
    best = np.argmax(filled, axis=0)
    labels = np.where(moving & np.isfinite(filled.max(axis=0)), best, -1)
    # Close short gaps inside runs of the same label.
    gap = int(round(options.merge_gap_s / dt))
    runs = _label_runs(labels)
    for (a_label, _a_start, a_stop), (b_label, b_start, _) in zip(runs, runs[1:]):
        if a_label == b_label and a_label >= 0 and b_start - a_stop <= gap:
            labels[a_stop:b_start] = a_label
    min_len = max(2, int(round(options.min_episode_s / dt)))
    segments = []
    for label, start, stop in _label_runs(labels):
        if label < 0 or stop - start < min_len:
            continue
        task = names[label]
        scores = np.nanmean(mean_evidence[:, start:stop], axis=1)
        both_sides = np.nanmean(min_evidence[:, start:stop], axis=1)
        order = np.argsort(-np.nan_to_num(scores, nan=-np.inf))
        top = scores[order[0]]
        rivals = [i for i in order[1:] if _DRIVER_GROUP[names[i]] != _DRIVER_GROUP[task]]
        rival = rivals[0] if rivals else None
        second = scores[order[1]] if len(order) > 1 else 0.0
        other = _bilateral_other_driver(moves, baseline, task, start, stop)
        if rival is not None and both_sides[rival] >= options.compound_evidence:
            other = (names[rival], float(both_sides[rival]))
        if other is not None and other[1] >= options.compound_evidence:
            segments.append(Segment(
                COMPOUND, float(recording.time_s[start]), _end_time(recording, stop),
                "unguided", float(np.clip(other[1] / (2 * options.compound_evidence), 0.5, 0.95)),
                f"{task} with {other[0]} moving clearly on both sides at once: not analysed"))
            continue
        margin = (top - max(second, 0.0)) / max(top, 1e-9)
        strength = float(np.clip(top / 1.5, 0, 1))
        confidence = float(np.clip(0.5 * strength + 0.5 * margin, 0.05, 0.95))
        segments.append(Segment(
            task, float(recording.time_s[start]), _end_time(recording, stop), "unguided",
            round(confidence, 3),
            f"driver {'/'.join(get_task(task).drivers)}; runner-up {names[order[1]]}"
            if len(order) > 1 else ""))
    return segments


_GROUP_REGIONS = {"brow": ("brow",), "eye": ("eye",),
                  "mouth": ("mouth_corner", "upper_lip", "lower_lip")}


def _bilateral_other_driver(moves: Mapping[Side, Mapping[str, np.ndarray]], baseline: Baseline,
                            task: str, start: int, stop: int) -> tuple[str, float] | None:
    """The strongest region of another driver group that moves on BOTH sides during frames
    ``[start, stop)``: (region, median over frames of the weaker side's movement / its scale).

    Synkinetic co-movement is one-sided or clearly asymmetric; a second region moving on both
    sides as much as a voluntary movement means two movements at once (crying, laughing)."""
    best: tuple[str, float] | None = None
    for group, regions in _GROUP_REGIONS.items():
        if group == _DRIVER_GROUP[task]:
            continue
        for region in regions:
            per_side = []
            for side in SIDES:
                scale = (max(baseline[signal_name("palpebral_fissure", side)], 1.0)
                         * EYE_CLOSURE_FRACTION if region == "eye"
                         else ACTIVITY_SCALES_MM[region])
                per_side.append(moves[side][region][start:stop] / scale)
            weaker = np.fmin(per_side[0], per_side[1])
            if not np.isfinite(weaker).any():
                continue
            value = float(np.nanmedian(weaker))
            if best is None or value > best[1]:
                best = (region, value)
    return best


def _end_time(recording: Recording, stop: int) -> float:
    t = np.asarray(recording.time_s, dtype=float)
    return float(t[stop]) if stop < t.size else float(t[-1] + recording.frame_interval_s)


def _label_runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(label, start, stop) of each run of equal labels."""
    if labels.size == 0:
        return []
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [labels.size]])
    return [(int(labels[a]), int(a), int(b)) for a, b in zip(starts, stops)]


@dataclass(frozen=True)
class Segmentation:
    """The task spans of a recording and its rest baseline.

    Attributes
    ----------
    segments : tuple of Segment
        Analysed and not analysed (compound/unknown) spans, in time order.
    method : {"guided", "unguided"}
    rest : RestInfo
    baseline : mapping column -> float
        Rest values per side (mm / degrees).
    missing_tasks : tuple of str
        Required protocol tasks with no span.
    notes : tuple of str
        Warnings for the user (missing rest, driver that did not move...).
    """

    segments: tuple[Segment, ...]
    method: SegmentMethod
    rest: RestInfo
    baseline: Mapping[str, float]
    missing_tasks: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def task_segments(self, task: str) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if s.task == task)

    @property
    def tasks_present(self) -> tuple[str, ...]:
        present = {s.task for s in self.segments}
        return tuple(t for t in TASK_NAMES if t in present)


def segment_recording(
    recording: Recording,
    *,
    spans: Sequence[Mapping[str, object]] | None = None,
    options: SegmentationOptions = SegmentationOptions(),
) -> Segmentation:
    """Segment a recording: guided when ``spans`` are given, unguided otherwise.

    The rest baseline comes from the ``rest`` span(s) when there are any; otherwise from the
    quietest span of the recording (flagged, and said in ``notes``).

    Raises
    ------
    ProtocolError
        Spans that do not fit the recording (see :func:`validate_spans`).
    """
    t = np.asarray(recording.time_s, dtype=float)
    notes: list[str] = []
    hint = dict(recording.rest_hint or {})
    # Rest needs both sides: a frame with a covered half (its signals NaN) is never rest.
    usable = recording.both_sides_seen
    if not all(np.isfinite(hint.get(c, np.nan)) for c in baseline_columns()):
        first = np.zeros(recording.n_frames, dtype=bool)
        first[np.flatnonzero(usable)[: max(3, recording.n_frames // 10)]] = True
        hint = rest_baseline(recording, first)
    first_moves = region_movements(recording, hint)
    activity = movement_activity(recording, first_moves, hint)

    guided = spans is not None
    segments: list[Segment] = (validate_spans(spans, duration_s=recording.duration_s)
                               if spans is not None else [])
    notes.extend(s.note for s in segments if s.note)
    rest_segments = [s for s in segments if s.task == "rest"]
    rest_mask = np.zeros(recording.n_frames, dtype=bool)
    for segment in rest_segments:
        rest_mask |= segment.mask(t) & usable
    if rest_mask.sum() >= 3:
        rest = RestInfo(rest_segments[0].start_s, rest_segments[-1].end_s, "rest task", False,
                        int(rest_mask.sum()),
                        tuple((s.start_s, s.end_s) for s in rest_segments))
    else:
        allowed = None
        if guided:
            allowed = np.ones(recording.n_frames, dtype=bool)
            for segment in segments:
                allowed &= ~segment.mask(t)
            if allowed.sum() < 3:
                allowed = None
        penalty = np.where(usable | ~recording.usable, 0.0, np.inf)
        if recording.rest_hint_frames is not None:
            penalty -= options.hint_bonus * (np.asarray(recording.rest_hint_frames, dtype=bool)
                                              & usable)
        start, stop = quietest_span(recording, activity, options=options, allowed=allowed,
                                    penalty=penalty)
        compound_distance = None
        if not guided:
            # Episodes found from this first rest: a quiet span right after two movements at
            # once (crying with a hand over the mouth) is rarely a true rest; prefer one away.
            first_rest = np.zeros(recording.n_frames, dtype=bool)
            first_rest[start:stop] = True
            first_baseline = rest_baseline(recording, first_rest & usable)
            episodes = unguided_segments(recording, region_movements(recording, first_baseline),
                                         first_baseline, options=options)
            compound_distance = _distance_to(t, [s for s in episodes if s.task == COMPOUND])
            # A half found covered (a hand over it) is the same: the face settles after it.
            compound_distance = np.fmin(compound_distance,
                                        distance_to_frames(t, recording.usable & ~usable))
            penalty += options.compound_rest_cost * np.clip(
                1.0 - compound_distance / options.compound_margin_s, 0.0, None)
            penalty[compound_distance == 0] = np.inf
            start, stop = quietest_span(recording, activity, options=options, penalty=penalty)
        rest_mask = np.zeros(recording.n_frames, dtype=bool)
        rest_mask[start:stop] = True
        rest_mask &= usable
        span = (float(t[start]), _end_time(recording, stop))
        rest = RestInfo(*span, "quietest span", True, int(rest_mask.sum()), (span,))
        notes.append(f"no rest segment: the quietest span {rest.start_s:.2f}..{rest.end_s:.2f} s "
                     "was used as rest (check it in the signals figure). If the face is not "
                     "neutral there, a one-sided change present throughout is partly taken as "
                     "rest and under-read: record a rest")
        if compound_distance is not None and np.isfinite(compound_distance).any():
            gap = float(np.min(compound_distance[start:stop]))
            if gap < options.compound_margin_s:
                notes.append(
                    f"the rest span starts {gap:.1f} s from a compound episode or a covered "
                    "half of the face and no quiet span lies farther from one: the face may "
                    "not have settled, or a hand may still cover it (check the rest frame "
                    "figure)")
        if not guided or not rest_segments:
            segments.append(Segment("rest", rest.start_s, rest.end_s,
                                    "guided" if guided else "unguided",
                                    0.5, "quietest span, not a recorded rest task"))
    baseline = rest_baseline(recording, rest_mask)
    moves = region_movements(recording, baseline)
    if guided:
        segments = _check_guided(recording, segments, moves, baseline, notes)
    else:
        found = unguided_segments(recording, moves, baseline, options=options)
        segments = [s for s in segments if s.task == "rest"] + [
            s for s in found if not _overlaps_rest(s, rest)]
    segments.sort(key=lambda s: s.start_s)
    present = {s.task for s in segments}
    missing = tuple(task.name for task in TASKS
                    if not task.optional and task.name not in present and task.name != "rest")
    return Segmentation(tuple(segments), "guided" if guided else "unguided", rest, baseline,
                        missing, tuple(notes))


def _distance_to(time_s: np.ndarray, segments: Sequence[Segment]) -> np.ndarray:
    """(N,) seconds from each frame to the nearest of ``segments`` (0 inside, inf if none)."""
    distance = np.full(time_s.shape, np.inf)
    for segment in segments:
        gap = np.fmax(segment.start_s - time_s, time_s - segment.end_s)
        distance = np.fmin(distance, np.clip(gap, 0.0, None))
    return distance


def _overlaps_rest(segment: Segment, rest: RestInfo) -> bool:
    overlap = sum(max(min(segment.end_s, end) - max(segment.start_s, start), 0.0)
                  for start, end in rest.spans)
    return overlap > 0.5 * (segment.end_s - segment.start_s)


def _check_guided(recording: Recording, segments: list[Segment],
                  moves: Mapping[Side, Mapping[str, np.ndarray]], baseline: Baseline,
                  notes: list[str]) -> list[Segment]:
    """Lower the confidence of guided spans whose driver region did not move on either side."""
    evidence = task_evidence(recording, moves, baseline)
    checked = []
    t = np.asarray(recording.time_s, dtype=float)
    for segment in segments:
        mask = segment.mask(t) & recording.usable
        if segment.task == "rest" or segment.task not in evidence:
            checked.append(segment)
            continue
        if mask.sum() < 2:
            notes.append(f"{segment.task} {segment.start_s:g}..{segment.end_s:g} s has no usable "
                         "frame: not analysed")
            continue
        drivers = [r for r in get_task(segment.task).drivers if r in moves["left"]]
        peak = 0.0
        for side in SIDES:
            for region in drivers:
                values = np.abs(moves[side][region][mask])
                if np.isfinite(values).any():
                    scale = (max(baseline[signal_name("palpebral_fissure", side)], 1.0)
                             * EYE_CLOSURE_FRACTION if region == "eye"
                             else ACTIVITY_SCALES_MM.get(region, 2.0))
                    peak = max(peak, float(np.nanpercentile(values, 90)) / scale)
        if peak < 0.25:
            notes.append(f"{segment.task} {segment.start_s:g}..{segment.end_s:g} s: the driver "
                         f"region ({', '.join(drivers)}) hardly moved on either side; was the "
                         "task performed in this span?")
            checked.append(Segment(segment.task, segment.start_s, segment.end_s, "guided", 0.3,
                                   "driver region did not move"))
        else:
            checked.append(segment)
    return checked
