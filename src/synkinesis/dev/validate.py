"""Score a landmarking method on injected one-sided changes (issue 8).

The figures, per recording and method:

seen
    median over trigger frames (trigger >= 0.5, both eyes open, change not capped) of the measured
    change on the affected side divided by the applied change (1.0 = sees all of it);
    measured change = (method on the injected video) - (same method on the original video).
    Both in the same unit: the applied change (known in the pixels, expressed in mm through the
    placing ``fast`` pass's iris scale and head pose) is converted into the mm of the scored
    method on the original video (its own iris scale and head pose). The methods read the same
    iris differently (WolfgangLanger, session 4: ``composite-edges`` 7 % fewer mm per pixel
    than ``fast``): that is a calibration of the whole face, both sides alike, not a share of a
    one-sided change missed. A change of the method's scale caused by the injection (an eye
    narrowed on one side reads its iris smaller) still counts against it: the original video's
    scale is used.
leak
    the same for the other side: the untouched eye's apparent narrowing, or the untouched mouth
    corner's apparent movement in the mirrored direction (absolute value; 0 = no leak).
rest noise
    on the original video: standard deviation of frame-to-frame differences of the palpebral
    fissures and mouth-corner coordinates over steady pairs of consecutive frames (both usable,
    no eye closure within 0.3 s, expression change in the lower half of the recording's); the
    worst signal.
jumps
    share of those pairs in which a signal moves more than 1 mm (worst signal).
mirror
    median |difference| between the original's signals and the horizontally flipped video's
    signals with left and right swapped (worst signal of the ones above), mm.

Developer code: it measures videos (MediaPipe) and is used by ``scripts/validate_one_sided.py``
and the tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synkinesis.dev.inject import (
    InjectedCase,
    inject_eye,
    inject_mouth,
    pulse_trigger,
    smile_trigger,
)
from synkinesis.quality import UNUSABLE, FrameFlag, distance_to_frames
from synkinesis.regions import Side, other_side

if TYPE_CHECKING:
    from synkinesis.measure import Measurement

#: Signals whose noise, jumps and mirror error are reported.
WATCHED = ("palpebral_fissure_left_mm", "palpebral_fissure_right_mm", "mouth_corner_x_left_mm",
           "mouth_corner_x_right_mm", "mouth_corner_y_left_mm", "mouth_corner_y_right_mm")
_CLOSED = FrameFlag.EYE_CLOSED_LEFT | FrameFlag.EYE_CLOSED_RIGHT
#: Closed eyes and blinks, partial ones included: the lids move around them.
_BLINKING = _CLOSED | FrameFlag.BLINK_LEFT | FrameFlag.BLINK_RIGHT


@dataclass
class DecodedVideo:
    """A real video decoded into memory and its plain reference measurement."""

    name: str
    frames: list  # of synkinesis.landmarks.sources.Frame
    reference: Measurement  # by --method fast (places the warps)

    @property
    def rgb(self) -> list[np.ndarray]:
        return [frame.rgb for frame in self.frames]


def load_recording(path: Path, workdir: Path, *, max_frames: int | None = None,
                   engine: str = "mediapipe-tasks") -> DecodedVideo:
    """Decode a video (optionally its first ``max_frames``) and measure it with the fast method
    (``engine``: :attr:`MeasureOptions.engine`). The reference pass places the injections'
    warps and gives their truth: it stays on the Tasks API whatever the default engine, as
    the truth was checked with it (litert's unsmoothed fast pass put the truth 0.5 mm from
    the warped dots in 3 of 48 frames of single_face, docs/benchmarks.md)."""
    from synkinesis.landmarks.sources import iter_video, probe_video

    info = probe_video(path)
    frames = list(iter_video(path, fps=info.fps))[:max_frames]
    reference = measure(frames, "fast", workdir / f"{path.stem}-reference.synk", engine=engine)
    return DecodedVideo(path.stem, frames, reference)


def measure(frames, method: str, output: Path, *,
            refinement_levels: dict[str, float] | None = None,
            resting_level: str | None = None, engine: str | None = None,
            chin_texture: bool = False):
    """Measure in-memory frames with one method (VIDEO mode); ``refinement_levels``: the pixel
    refinements' resting offsets to use (``known_levels`` of another measurement);
    ``resting_level``: :attr:`MeasureOptions.resting_level` (default: the method's);
    ``engine``: :attr:`MeasureOptions.engine` (None: the default engine); ``chin_texture``:
    :attr:`MeasureOptions.chin_texture` (composite-edges only; ignored by the other methods)."""
    from synkinesis.defaults import DEFAULT_ENGINE
    from synkinesis.measure import MeasureOptions, measure_frames

    levels = tuple(refinement_levels.items()) if refinement_levels else None
    return measure_frames(frames, output, source={"description": output.stem},
                          options=MeasureOptions(method=method, refinement_levels=levels,
                                                 resting_level=resting_level,
                                                 engine=engine or DEFAULT_ENGINE,
                                                 chin_texture=chin_texture
                                                 and method == "composite-edges"))


def known_levels(measurement) -> dict[str, float] | None:
    """The pixel refinements' resting offsets a measurement took (None without refinements):
    given to the measurement of an injected video, they stand for a neutral reference of the
    same face, which a recording without rest does not have
    (docs/dev/one_sided_history.md, session 6)."""
    from synkinesis.measure.options import LID_REFINED_SIGNALS, REFINED_SIGNALS, upper_lid_share

    entry = measurement.manifest.refinement_rest_offsets
    names = {*REFINED_SIGNALS, *(upper_lid_share(name) for name in LID_REFINED_SIGNALS)}
    return ({name: value for name, value in entry.values.items() if name in names}
            if entry else None)


def with_images(frames, images: list[np.ndarray]):
    """The same frames (index, time) with other pixels."""
    from synkinesis.landmarks.sources import Frame

    return [Frame(index=f.index, time_s=f.time_s, rgb=image, name=f.name)
            for f, image in zip(frames, images)]


def make_case(recording: DecodedVideo, kind: str, side: Side, amount_mm: float, *,
              constant: bool = False) -> InjectedCase:
    """An injected case from the recording: the eye narrowed with the smile (ocular-oral), or the
    mouth corner moved in 2-second pulses (oral-ocular; a trigger independent of the face, off
    while the recording rests: :func:`off_at_rest`).

    ``constant``: the change is there in every frame, rest included (resting tightness: a
    narrower eye, a raised mouth corner; issue 18), instead of coming with a movement.
    """
    ref = recording.reference
    landmarks = ref.load_landmarks()
    scale = ref.manifest.scale.mm_per_unit
    if constant:
        trigger = np.ones(len(recording.frames))
    elif kind == "eye":
        trigger = smile_trigger(ref.blendshapes, ref.manifest.blendshape_names)
    else:
        trigger = pulse_trigger(ref.frames["time_s"]) * off_at_rest(ref)
    if kind == "eye":
        return inject_eye(recording.rgb, landmarks, ref.pose, scale, side=side,
                          amount_mm=amount_mm, trigger=trigger)
    return inject_mouth(recording.rgb, landmarks, ref.pose, scale, side=side,
                        amount_mm=amount_mm, trigger=trigger)


#: Time over which an injected change fades in after the recording's rest frames, seconds.
REST_RAMP_S = 0.25


def off_at_rest(reference) -> np.ndarray:
    """(N,) 0..1 envelope: 0 in the frames the pipeline takes as the recording's rest (the
    quietest tenth by blendshapes), rising as a raised cosine over :data:`REST_RAMP_S` away
    from them.

    Synkinesis is movement with a voluntary movement, not at rest, and the methods that refine
    landmarks in the pixels keep each signal's resting level the landmark model's: a change
    injected into the rest frames themselves would be partly taken off every frame as if it were
    an appearance bias. The smile trigger is already 0 there; the mouth pulses, independent of
    the face, are switched off there by this envelope. (Before it, the pulses were on in
    single_face's first second, where the pipeline finds its rest.)
    """
    from synkinesis.measure.calibrate import choose_rest

    time_s = np.asarray(reference.frames["time_s"], dtype=float)
    flags = np.asarray(reference.frames["flags"])
    usable = (flags & UNUSABLE) == 0
    eyes_open = (flags & _CLOSED) == 0
    rest, _ = choose_rest(time_s, np.asarray(reference.blendshapes), usable, eyes_open)
    if not rest.any():
        return np.ones_like(time_s)
    distance = np.min(np.abs(time_s[:, None] - time_s[rest][None, :]), axis=1)
    return np.sin(0.5 * np.pi * np.clip(distance / REST_RAMP_S, 0.0, 1.0)) ** 2


def _usable(measurement) -> np.ndarray:
    return (measurement.frames["flags"] & UNUSABLE) == 0


def applied_in_method_mm(case: InjectedCase, original) -> np.ndarray:
    """(N,) the case's applied change in the mm of the method that measured ``original`` (its
    scale and per-frame head-pose scale; NaN where it found no face). See the module docstring.
    """
    if case.mm_per_px is None:
        return np.asarray(case.applied_mm, dtype=float)
    method = (float(original.manifest.scale.mm_per_unit)
              * np.asarray(original.pose, dtype=float)[:, 0])
    return np.asarray(case.applied_mm, dtype=float) * method / np.asarray(case.mm_per_px)


def seen_and_leak(original, injected, case: InjectedCase,
                  exclude: np.ndarray | None = None) -> tuple[float, float, int]:
    """(seen, leak, trigger frames) of one injected case; see the module docstring.

    ``exclude``: (N,) bool, frames left out (e.g. a hand known to cover the region).
    """
    requested = case.applied_mm
    applied = applied_in_method_mm(case, original)
    flags = original.frames["flags"] | injected.frames["flags"]
    keep = np.ones(requested.shape, dtype=bool) if exclude is None else ~np.asarray(exclude)
    frames = (keep & (case.trigger >= 0.5) & _usable(original) & _usable(injected)
              & ((flags & _CLOSED) == 0) & np.isfinite(applied)
              & (requested >= 0.999 * case.amount_mm * case.trigger))
    side, other = case.side, other_side(case.side)
    if case.kind == "eye":
        def narrowing(s: str) -> np.ndarray:
            name = f"palpebral_fissure_{s}_mm"
            return original.frames[name] - injected.frames[name]

        seen = narrowing(side)[frames] / applied[frames]
        leak = narrowing(other)[frames] / applied[frames]
    else:
        direction = case.applied_xy_mm / np.maximum(requested, 1e-9)[:, None]

        def movement(s: str) -> np.ndarray:
            return np.column_stack([
                injected.frames[f"mouth_corner_{axis}_{s}_mm"]
                - original.frames[f"mouth_corner_{axis}_{s}_mm"] for axis in ("x", "y")])

        seen = (movement(side) * direction).sum(axis=1)[frames] / applied[frames]
        leak = (movement(other) * direction).sum(axis=1)[frames] / applied[frames]
    count = int(frames.sum())
    if count == 0:
        return float("nan"), float("nan"), 0
    return float(np.nanmedian(seen)), float(abs(np.nanmedian(leak))), count


def rest_noise(measurement, reference,
               exclude: np.ndarray | None = None) -> dict[str, tuple[float, float]]:
    """Per region ("eye": fissures, "mouth": corner x and y): (worst frame-to-frame std in mm,
    worst share of pairs jumping > 1 mm) at rest.

    Pairs of consecutive frames count as "at rest" when both are usable, no eye is closed or
    blinking (partial blinks included) within 0.3 s (the lids move around a blink), and the
    expression hardly changes between them: the
    summed change of the reference's blendshapes (eye gaze excluded) is in the lower half of the
    recording's. ``exclude``: (N,) bool, frames left out (e.g. a hand over the face).
    """
    names = reference.manifest.blendshape_names
    active = [i for i, n in enumerate(names) if n != "_neutral" and not n.startswith("eyeLook")]
    change = np.nansum(np.abs(np.diff(reference.blendshapes[:, active], axis=0)), axis=1)
    closed = ((measurement.frames["flags"] | reference.frames["flags"]) & _BLINKING) != 0
    time_s = reference.frames["time_s"]
    # lids still moving just before and after a closure
    near_closure = distance_to_frames(time_s, closed) <= 0.3
    good = _usable(measurement) & _usable(reference) & ~near_closure
    if exclude is not None:
        good &= ~np.asarray(exclude)
    pairs = good[1:] & good[:-1]
    pairs &= change <= np.median(change[pairs])
    out = {}
    for region, names in (("eye", WATCHED[:2]), ("mouth", WATCHED[2:])):
        stds, jumps = [], []
        for name in names:
            difference = np.diff(measurement.frames[name].astype(float))[pairs]
            difference = difference[np.isfinite(difference)]  # a covered half: not measured
            stds.append(float(np.std(difference)) if difference.size else float("nan"))
            jumps.append(float(np.mean(np.abs(difference) > 1.0)) if difference.size
                         else float("nan"))
        out[region] = (max(stds), max(jumps))
    return out


def mirror_error(original, flipped) -> float:
    """Worst median |original - mirrored(flipped)| over the watched signals, mm."""
    from synkinesis.signals import mirror_signals

    mirrored = mirror_signals({n: flipped.frames[n] for n in WATCHED})
    return max(float(np.nanmedian(np.abs(original.frames[n] - mirrored[n]))) for n in WATCHED)


def timed_measure(frames, method: str, output: Path, *, resting_level: str | None = None,
                  engine: str | None = None, chin_texture: bool = False):
    """(measurement, seconds per frame)."""
    start = time.perf_counter()
    result = measure(frames, method, output, resting_level=resting_level, engine=engine,
                     chin_texture=chin_texture)
    return result, (time.perf_counter() - start) / len(frames)
