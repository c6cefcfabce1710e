"""Synthetic per-side signal series with known movements, for analysis tests.

A recording is a list of (task, seconds) steps; every task moves the signals of both sides by
the healthy amounts in :data:`HEALTHY`, and ``extra`` adds known one-sided movement (weakness or
synkinesis) to chosen tasks. Sides are the patient's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from synkinesis.quality import FrameFlag
from synkinesis.recording import Recording
from synkinesis.regions import SIDES, mirror_name
from synkinesis.signals import signal_definitions, signal_name

FPS = 30.0

#: Rest values per quantity (mm, degrees), identical on both sides.
REST = {"brow_height": 25.0, "palpebral_fissure": 10.0, "eye_area": 90.0,
        "eye_aspect_ratio": 0.3, "nasolabial_length": 30.0, "nasolabial_angle": 10.0,
        "mouth_corner_x": 25.0, "mouth_corner_y": -65.0, "mouth_corner_excursion": 0.0,
        "upper_lip_height": -58.0, "upper_lip_elevation": 0.0, "lower_lip_height": -72.0,
        "lower_lip_depression": 0.0, "chin_height": 13.0}

#: Healthy movement of each quantity in each task (change from rest, mm / degrees).
HEALTHY: dict[str, dict[str, float]] = {
    "rest": {},
    "brow_raise": {"brow_height": 4.0},
    "gentle_eye_closure": {"palpebral_fissure": -9.5},
    "tight_eye_closure": {"palpebral_fissure": -10.0, "brow_height": -2.0,
                          "nasolabial_length": -1.5},
    "closed_smile": {"mouth_corner_y": 4.0, "mouth_corner_x": 3.0, "nasolabial_length": -3.0,
                     "palpebral_fissure": -1.5, "nasolabial_angle": 5.0},
    "big_smile": {"mouth_corner_y": 6.0, "mouth_corner_x": 4.0, "nasolabial_length": -5.0,
                  "upper_lip_height": 4.0, "lower_lip_height": -4.0, "palpebral_fissure": -2.0,
                  "nasolabial_angle": 8.0},
    "snarl": {"upper_lip_height": 4.0, "nasolabial_length": -3.0, "mouth_corner_y": 1.0},
    "pucker": {"mouth_corner_x": -6.0, "palpebral_fissure": -0.2},
    "eee": {"mouth_corner_x": 5.0, "lower_lip_height": -3.0, "palpebral_fissure": -0.5},
}

FULL_PROTOCOL: tuple[tuple[str, float], ...] = (
    ("rest", 2.0), ("brow_raise", 2.0), ("rest", 1.0), ("gentle_eye_closure", 2.0),
    ("rest", 1.0), ("tight_eye_closure", 2.0), ("rest", 1.0), ("closed_smile", 2.0),
    ("rest", 1.0), ("big_smile", 2.0), ("rest", 1.0), ("snarl", 2.0), ("rest", 1.0),
    ("pucker", 2.0), ("rest", 1.0), ("eee", 2.0), ("rest", 1.0),
)


def _envelope(n: int) -> np.ndarray:
    """0 -> 1 -> 0 with 0.25 s raised-cosine ramps and a plateau."""
    ramp = max(1, min(int(0.25 * FPS), n // 3))
    env = np.ones(n)
    rise = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, ramp))
    env[:ramp] = rise
    env[n - ramp:] = rise[::-1]
    return env


def make_recording(
    steps: Sequence[tuple[str, float]] = FULL_PROTOCOL,
    *,
    extra: Mapping[tuple[str, str, str], float] | None = None,
    scale: Mapping[tuple[str, str], float] | None = None,
    noise_mm: float = 0.05,
    rng: np.random.Generator | None = None,
) -> tuple[Recording, list[dict[str, object]]]:
    """A synthetic recording and its guided spans.

    Parameters
    ----------
    extra : mapping (task, side, quantity) -> change
        Added to that side's quantity during the task (e.g. ``("big_smile", "left",
        "palpebral_fissure"): -2.0`` is 2 mm of extra eye narrowing on the left).
    scale : mapping (task, side) -> factor
        Multiplies that side's healthy movement in the task (0.5 = half strength: weakness).
    rng : numpy Generator, optional
        Noise source (seeded default).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    extra = dict(extra or {})
    scale = dict(scale or {})
    n = int(round(sum(seconds for _, seconds in steps) * FPS))
    time_s = np.arange(n) / FPS
    series = {(q, side): np.full(n, value) for q, value in REST.items() for side in SIDES}
    flags = np.zeros(n, dtype=np.int64)
    spans: list[dict[str, object]] = []
    start = 0
    for task, seconds in steps:
        stop = start + int(round(seconds * FPS))
        env = _envelope(stop - start)
        for side in SIDES:
            factor = scale.get((task, side), 1.0)
            for quantity, change in HEALTHY[task].items():
                series[(quantity, side)][start:stop] += factor * change * env
            for (x_task, x_side, quantity), change in extra.items():
                if x_task == task and x_side == side:
                    series[(quantity, side)][start:stop] += change * env
        spans.append({"task": task, "start_s": start / FPS, "end_s": stop / FPS})
        start = stop
    signals = {}
    for definition in signal_definitions():
        if definition.side is None:
            signals[definition.name] = np.full(n, 60.0)
            continue
        quantity = definition.name[: -len(f"_{definition.side}_{definition.unit}")]
        signals[definition.name] = (series[(quantity, definition.side)]
                                    + rng.normal(0, noise_mm, n))
    return Recording(time_s=time_s, signals=signals, flags=flags), spans


def close_eyes(
    recording: Recording,
    *,
    start_s: float,
    duration_s: float,
    fissure_mm: Mapping[str, float],
    flag: bool = True,
    lag_frames: int = 0,
) -> Recording:
    """The recording with eyes closed for ``duration_s`` from ``start_s``.

    Parameters
    ----------
    fissure_mm : mapping side -> mm
        Palpebral fissure of each closing eye (sides not named stay open).
    flag : bool
        Flag the closed frames BLINK_<SIDE>, as the measure step does for closures shorter
        than a blink limit.
    lag_frames : int
        The right eye closes and opens this many frames after the left (a bilateral blink is
        rarely frame-exact).
    """
    t = np.asarray(recording.time_s)
    signals = dict(recording.signals)
    flags = np.asarray(recording.flags, dtype=np.int64).copy()
    for side, value in fissure_mm.items():
        closed = np.flatnonzero((t >= start_s) & (t < start_s + duration_s))
        if side == "right":
            closed = np.clip(closed + lag_frames, 0, t.size - 1)
        column = signal_name("palpebral_fissure", side)
        signals[column] = np.asarray(signals[column], dtype=float).copy()
        signals[column][closed] = value
        if flag:
            flags[closed] |= int(FrameFlag[f"BLINK_{side.upper()}"])
    return Recording(time_s=recording.time_s, signals=signals, flags=flags,
                     blendshapes=recording.blendshapes,
                     blendshape_names=recording.blendshape_names, rest_hint=recording.rest_hint)


def mirror_recording(recording: Recording) -> Recording:
    """The same recording seen in a mirror: left and right columns, flags and blendshapes
    swapped, the head's yaw and roll negated (what a horizontally flipped video should
    measure)."""
    flags = np.asarray(recording.flags, dtype=np.int64)
    swapped = flags.copy()
    for a, b in (("BLINK_LEFT", "BLINK_RIGHT"), ("EYE_CLOSED_LEFT", "EYE_CLOSED_RIGHT"),
                 ("HIDDEN_LEFT", "HIDDEN_RIGHT")):
        fa, fb = int(FrameFlag[a]), int(FrameFlag[b])
        swapped &= ~(fa | fb)
        swapped |= np.where(flags & fa, fb, 0) | np.where(flags & fb, fa, 0)
    blendshapes = recording.blendshapes
    names = recording.blendshape_names
    if blendshapes is not None and names:
        order = [names.index(mirror_name(name)) for name in names]
        blendshapes = np.asarray(blendshapes)[:, order]
    hint = ({mirror_name(k): v for k, v in recording.rest_hint.items()}
            if recording.rest_hint else None)
    # in a mirror the head turns and tilts the other way; it nods the same way
    angles = (None if recording.head_angles_deg is None
              else np.asarray(recording.head_angles_deg) * np.array([-1.0, 1.0, -1.0]))
    return Recording(time_s=recording.time_s,
                     signals={mirror_name(k): v for k, v in recording.signals.items()},
                     flags=swapped, blendshapes=blendshapes, blendshape_names=names,
                     rest_hint=hint,
                     head_angles_deg=angles)


def guided(spans: list[dict[str, object]], *, drop: Sequence[str] = ()) -> list[dict[str, object]]:
    """Spans without the named tasks and without the rest spans between tasks (keeps the
    first rest)."""
    out = []
    seen_rest = False
    for span in spans:
        if span["task"] in drop:
            continue
        if span["task"] == "rest":
            if seen_rest:
                continue
            seen_rest = True
        out.append(span)
    return out


__all__ = ["FULL_PROTOCOL", "HEALTHY", "REST", "close_eyes", "guided", "make_recording",
           "mirror_recording", "signal_name"]
