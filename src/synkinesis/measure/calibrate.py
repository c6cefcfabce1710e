"""Calibration of the landmark pass, as pure steps: arrays in, arrays out.

Each step takes per-frame arrays of one recording (N frames, in time order) and returns new
arrays; none reads a file, the clock or an option object. :func:`synkinesis.measure.assemble.
calibrate` runs them in order:

1. :func:`quality_flags` and :func:`hidden_halves` - which frames are usable, which halves are
   covered;
2. :func:`eye_flags` - closed eyes and blinks (relative to each eye's own open height);
3. :func:`open_eye_iris_scale` - millimetres per head-frame unit;
4. :func:`choose_rest` / :func:`quiet_frames` - the rest frames;
5. :func:`keep_rest_level` - one resting level for refined and unrefined frames;
6. :func:`smooth_signals` - centred smoothing of videos tracked without the model's own;
7. :func:`change_resolution` - the smallest change resolvable per region.

Sides are the patient's; ``(N, 2)`` side arrays are ordered (left, right).

Why one file of over 500 lines: the steps are one sequence over the same arrays (flags feed the
scale, the scale and flags feed rest, rest feeds the levels and the resolution); each is a
short public function tested on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from synkinesis.landmarks.sources import InputError
from synkinesis.measure.manifest import RegionResolution, Resolution
from synkinesis.measure.options import (
    BLENDSHAPE_NAMES,
    CHIN_REFINED,
    CHIN_REFINED_SIGNALS,
    CORNER_REFINED,
    LID_REFINED,
    SOURCE_CODES,
    chin_texture_key,
    upper_lid_share,
)
from synkinesis.normalize import Scale
from synkinesis.quality import (
    HIDDEN_PAD_S,
    HIDDEN_SIDE,
    FrameFlag,
    QualityLimits,
    distance_to_frames,
    eye_closure_flags,
    fit_outliers,
    partial_blinks,
)
from synkinesis.regions import SIDES
from synkinesis.signals import signal_name
from synkinesis.sustained import trim_mean

#: The iris scale: each eye's iris is measured over the frames in which that eye is most open
#: (this share of the usable frames with a plausible iris, at least MIN_SCALE_FRAMES; else
#: over every usable frame), and the larger of the two eyes' readings is taken
#: (:func:`open_eye_iris_scale`). The share was a tenth until issue 18: a change present in
#: every frame that makes one half-face another picture to the model reorders that eye's
#: widest frames near the cut, and her iris reads 1.24..1.30 in some of WolfgangLanger's frames
#: and 1.32..1.39 in others; over a fifth a reordering is a smaller share of the frames
#: (docs/dev/one_sided_history.md, session 10). Wider (30 %) lets an eye narrowed with an
#: ever-present smile into its "open" frames (session 4; with the larger eye's reading it
#: showed again as a 0.07 leak of a moving 1 mm narrowing, session 10).
OPEN_EYE_SCALE_FRACTION = 0.2
MIN_SCALE_FRAMES = 3
#: ... but over at least this many frames per eye (half a second at 30 fps): the iris landmarks
#: of one frame scatter by 2.4 % (single_face), and a median of its 7 widest frames (a tenth of
#: 72) moved 0.8..1.1 % when a constant one-sided corner raise made one half-face another
#: picture to the model, which read 0.13..0.20 of the raise on the untouched corner (every
#: signal is scaled); over 14 frames 0.15..0.25 % and 0.03..0.05 (docs/dev/one_sided_history.md,
#: session 8). Longer recordings (from 70 usable frames) are not affected.
MIN_OPEN_EYE_FRAMES = 14
#: Share of each eye's widest frames' iris readings left out at either end before their mean
#: (a trimmed mean): an odd reading (a mis-tracked frame) does not count, and, unlike a median,
#: the mean moves by a share when frames swap in or out of the widest ones instead of jumping
#: between the readings' clusters.
OPEN_EYE_TRIM = 0.1

#: Share of usable frames taken as rest when no rest span is given (the quietest ones), with
#: every frame within :data:`REST_ACTIVITY_NOISE` of the busiest of them.
REST_FRACTION = 0.1
#: Noise of a frame's summed expression blendshapes (:func:`expression_activity`): a frame and
#: the same frame mirrored read this far apart (single_face.mp4: median 0.03, 90th percentile
#: 0.08 with the Tasks API and 0.09 with LiteRT). Frames whose activity lies within it of the
#: quietest :data:`REST_FRACTION`'s busiest one are as quiet as far as the blendshapes can tell,
#: and are taken as rest too: a cut among them was a knife edge (single_face's 7th and 8th
#: quietest frames lay 0.0001..0.0012 apart, so a mirrored copy took other rest frames and moved
#: its resting fissure 0.06 mm with LiteRT).
REST_ACTIVITY_NOISE = 0.1

#: Share of the quietest open-eye frames over which a refinement's resting level is taken (its
#: trimmed mean there is taken off every frame): wider than the rest frames (10 %), so that which
#: frames count as rest moves it less (a flipped video, or one change elsewhere in the video,
#: picks other rest frames); a synkinetic movement comes with an expression, so these frames
#: stay clear of it.
REFINEMENT_LEVEL_FRACTION = 0.3

#: Half-width of the signals' smoothing (:func:`smooth_signals`), seconds (5 frames at 24 fps,
#: 7 at 30, 13 at 60).
SIGNAL_SMOOTHING_HALF_S = 0.1

#: The smallest movement, image pixels, a landmark or pixel refinement is taken to resolve
#: whatever the face: a one-sided 1 mm eye narrowing, a median 1.3 px in the trigger frames of
#: the mascara face (WolfgangLanger, 1.7 px per mm), was seen 0.70..0.83 even with a known
#: resting level (docs/dev/one_sided_history.md, session 6), at the resolution limit (issue 18);
#: the plain face (single_face, 1.2 px per mm) saw it in full. Two pixels keeps clear of that.
RESOLVABLE_PX = 2.0
#: A change is resolvable at this many rest-noise standard deviations: the difference of two
#: readings each with that noise, at 95 % (1.96 * sqrt 2).
RESOLVABLE_NOISE_FACTOR = 2.77
#: Signal quantities whose rest noise stands for each region (the worst one counts).
RESOLUTION_SIGNALS: dict[str, tuple[str, ...]] = {
    "brow": ("brow_height",),
    "eye": ("palpebral_fissure",),
    "nasolabial": ("nasolabial_length",),
    "mouth_corner": ("mouth_corner_x", "mouth_corner_y"),
    "upper_lip": ("upper_lip_height",),
    "lower_lip": ("lower_lip_height",),
    "chin": ("chin_height",),
}

#: Power of the mm scale each unit carries (mm2 scales with its square; angles and ratios not).
UNIT_POWER = {"mm": 1, "mm2": 2, "deg": 0, "ratio": 0}


def unit_of(column: str) -> str:
    """Unit suffix of a signal column name (mm, mm2, deg, ratio)."""
    return column.rsplit("_", 1)[-1] if not column.startswith("_") else "mm"


def quality_flags(
    *,
    n_faces: np.ndarray,
    angles_deg: np.ndarray,
    fit_residual: np.ndarray,
    outside_fraction: np.ndarray,
    iris_px: np.ndarray,
    hidden: Mapping[str, np.ndarray],
    limits: QualityLimits,
) -> np.ndarray:
    """(N,) int64 :class:`synkinesis.quality.FrameFlag` bits from what the landmark pass saw.

    Parameters
    ----------
    n_faces : (N,) int, faces found per frame
    angles_deg : (N, 3) head yaw, pitch and roll, degrees
    fit_residual : (N,) head-pose fit residual
    outside_fraction : (N,) share of the landmarks outside the image
    iris_px : (N,) iris diameter, image pixels
    hidden : side -> (N,) bool, covered halves (:func:`hidden_halves`)
    limits : the quality limits
    """
    n_faces = np.asarray(n_faces)
    has_face = n_faces > 0
    flags = np.zeros(n_faces.shape[0], dtype=np.int64)
    flags[~has_face] |= FrameFlag.NO_FACE
    flags[n_faces > 1] |= FrameFlag.MULTIPLE_FACES
    angles = np.asarray(angles_deg)
    with np.errstate(invalid="ignore"):
        beyond = ((np.abs(angles[:, 0]) > limits.max_yaw_deg)
                  | (np.abs(angles[:, 1]) > limits.max_pitch_deg)
                  | (np.abs(angles[:, 2]) > limits.max_roll_deg))
        flags[has_face & beyond] |= FrameFlag.POSE_LIMIT
        flags[has_face & (np.asarray(outside_fraction) > limits.max_outside_fraction)] |= (
            FrameFlag.PARTLY_OUTSIDE)
        flags[has_face & (np.asarray(iris_px) < limits.min_iris_px)] |= FrameFlag.SMALL_FACE
    flags[fit_outliers(fit_residual, has_face & ~beyond, limits=limits)] |= FrameFlag.FIT_OUTLIER
    for side, mask in hidden.items():
        flags[mask] |= HIDDEN_SIDE[side]
    flags[hidden["left"] & hidden["right"]] |= FrameFlag.HALF_HIDDEN
    return flags


def padded_in_time(mask: np.ndarray, time_s: np.ndarray, pad_s: float) -> np.ndarray:
    """(N,) bool: ``mask`` widened to every frame within ``pad_s`` seconds of a True frame."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any() or pad_s <= 0:
        return mask
    return mask | (distance_to_frames(time_s, mask) <= pad_s + 1e-9)


def hidden_halves(sources: np.ndarray, time_s: np.ndarray,
                  has_face: np.ndarray) -> dict[str, np.ndarray]:
    """Per patient's side, (N,) bool: frames where that half is covered, padded by
    :data:`synkinesis.quality.HIDDEN_PAD_S` seconds.

    ``sources`` is (N, 2) :data:`SOURCE_CODES` of the (left, right) landmarks; ``time_s`` (N,)
    seconds; ``has_face`` (N,) bool. A half hidden in more than half of the frames with a face
    is not a hand passing over it (the model scores that face's half low throughout): nothing
    is hidden then.
    """
    codes = np.asarray(sources)
    found = {side: codes[:, column] == SOURCE_CODES["hidden"]
             for column, side in enumerate(("left", "right"))}
    if (found["left"] | found["right"]).sum() > 0.5 * np.asarray(has_face).sum():
        return {side: np.zeros(codes.shape[0], dtype=bool) for side in found}
    return {side: padded_in_time(mask, time_s, HIDDEN_PAD_S) & has_face
            for side, mask in found.items()}


def eye_flags(fissures: Mapping[str, np.ndarray], time_s: np.ndarray, usable: np.ndarray, *,
              limits: QualityLimits) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Closed eyes and blinks: ``(flags, open_by_side)``.

    ``fissures`` maps each side to its (N,) palpebral fissure (any unit: relative to the eye's
    own open height); ``usable`` (N,) bool. ``flags`` is (N,) int64 with ``EYE_CLOSED_*`` and
    ``BLINK_*`` bits; ``open_by_side`` maps each side to (N,) bool, usable frames where that eye
    is not closed.
    """
    n = np.asarray(time_s).shape[0]
    flags = np.zeros(n, dtype=np.int64)
    open_by_side = {}
    for side in SIDES:
        closed, blink = eye_closure_flags(fissures[side], time_s, usable, limits=limits)
        upper = side.upper()
        flags[closed] |= FrameFlag[f"EYE_CLOSED_{upper}"]
        flags[blink] |= FrameFlag[f"BLINK_{upper}"]
        open_by_side[side] = usable & ~closed
    flags[partial_blinks(fissures["left"], fissures["right"], time_s, usable,
                         limits=limits)] |= FrameFlag.BLINK_LEFT | FrameFlag.BLINK_RIGHT
    return flags, open_by_side


def open_eye_iris_scale(iris_sides: np.ndarray, interpupil: np.ndarray,
                        fissures: Mapping[str, np.ndarray], frames: np.ndarray,
                        iris_diameter_mm: float) -> Scale | None:
    """The iris :class:`synkinesis.normalize.Scale` from each eye's most open frames, or None
    when an eye has fewer than :data:`MIN_SCALE_FRAMES` frames in that share with a plausible
    iris (12..30 % of the inter-pupillary distance).

    Parameters
    ----------
    iris_sides : (N, 2) iris diameter of the (left, right) eye, head-frame units
    interpupil : (N,) inter-pupillary distance, head-frame units
    fissures : side -> (N,) palpebral fissure, head-frame units
    frames : (N,) bool, the frames that may measure it
    iris_diameter_mm : the iris' true diameter, mm

    Each eye's iris is the :data:`OPEN_EYE_TRIM` trimmed mean over the
    :data:`OPEN_EYE_SCALE_FRACTION` of frames (at least :data:`MIN_OPEN_EYE_FRAMES`) in which
    its own fissure is widest: a narrowing of one eye (a blink, a squint, synkinesis) does not
    change which frames measure the other eye's iris, and its own iris is measured where the
    lids leave it whole. The larger of the two eyes' readings is the scale's: a lid can hide
    part of an iris, so that its landmarks read it smaller, but never add to it. An eye
    narrowed in every frame (resting tightness) therefore does not move the scale, unless it
    is the eye whose iris reads larger on that face, and then by at most the difference
    between the two eyes' readings (both irises are the same size; the readings differ by
    the landmarks' error, 0.5..1.5 % on the test faces).
    """
    iris_sides = np.asarray(iris_sides, dtype=float)
    interpupil = np.asarray(interpupil, dtype=float)
    readings, used = [], 0
    for column, side in enumerate(("left", "right")):
        iris, fissure = iris_sides[:, column], np.asarray(fissures[side], dtype=float)
        with np.errstate(invalid="ignore"):
            good = (np.asarray(frames, dtype=bool) & np.isfinite(iris) & np.isfinite(fissure)
                    & (iris > 0.12 * interpupil) & (iris < 0.30 * interpupil))
        count = int(round(OPEN_EYE_SCALE_FRACTION * good.sum()))
        if count < MIN_SCALE_FRAMES:
            return None
        count = max(count, min(MIN_OPEN_EYE_FRAMES, int(good.sum())))
        widest = np.flatnonzero(good)[np.argsort(-fissure[good], kind="stable")[:count]]
        readings.append(trim_mean(iris[widest], OPEN_EYE_TRIM))
        used += count
    measured = max(readings)
    return Scale(iris_diameter_mm / measured, "iris", iris_diameter_mm, measured, used)


def scale_signals(signals: Mapping[str, np.ndarray],
                  mm_per_unit: float) -> dict[str, np.ndarray]:
    """Signals in head-frame units -> in their own unit (mm, mm2; degrees and ratios as
    they are)."""
    return {name: values * mm_per_unit ** UNIT_POWER.get(unit_of(name), 1)
            for name, values in signals.items()}


def expression_activity(blendshapes: np.ndarray,
                        names: Sequence[str] = BLENDSHAPE_NAMES) -> np.ndarray:
    """(N,) summed expression blendshapes per frame: all but ``_neutral`` and the ``eyeLook*``
    gaze coefficients (NaN counts 0). ``blendshapes`` is (N, B) in ``names`` order."""
    active = [i for i, name in enumerate(names)
              if name != "_neutral" and not name.startswith("eyeLook")]
    return np.nansum(np.asarray(blendshapes)[:, active], axis=1)


def quiet_frames(blendshapes: np.ndarray, candidates: np.ndarray,
                 fraction: float, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The ``fraction`` of candidate frames with the least expression, at least one, and every
    candidate frame whose activity lies within ``noise`` of the busiest of them.

    ``blendshapes`` is (N, 52) in :data:`BLENDSHAPE_NAMES` order, ``candidates`` (N,) bool.
    Returns ``(mask, activity)``: (N,) bool, and every frame's :func:`expression_activity`.
    Without ``noise``, ties go to the earlier frame.
    """
    activity = expression_activity(blendshapes)
    order = np.flatnonzero(candidates)[np.argsort(activity[candidates], kind="stable")]
    count = max(1, int(round(fraction * order.size)))
    mask = np.zeros(candidates.shape, dtype=bool)
    mask[order[:count]] = True
    if noise > 0:
        mask |= candidates & (activity <= activity[order[count - 1]] + noise)
    return mask, activity


def choose_rest(time_s: np.ndarray, blendshapes: np.ndarray, usable: np.ndarray,
                eyes_open: np.ndarray, *,
                rest_span_s: tuple[float, float] | None = None) -> tuple[np.ndarray, dict]:
    """Frames that define rest: the usable frames of the given span, else the quietest
    :data:`REST_FRACTION` of the usable frames with both eyes open (of all usable frames when
    none has them open) and every such frame within :data:`REST_ACTIVITY_NOISE` of the busiest
    of them (the blendshapes cannot tell those apart, and which of them came first would
    decide rest on a knife edge).

    Parameters
    ----------
    time_s : (N,) seconds
    blendshapes : (N, 52) in :data:`BLENDSHAPE_NAMES` order
    usable : (N,) bool, frames that may be rest
    eyes_open : (N,) bool
    rest_span_s : (start, stop) seconds, optional

    Returns
    -------
    mask : (N,) bool
    info : how it was chosen (``method``, ``frames`` and ``span_s`` or ``max_activity``)

    Raises
    ------
    InputError
        The given span holds no usable frame.
    """
    if rest_span_s is not None:
        start, stop = rest_span_s
        mask = usable & (time_s >= start) & (time_s <= stop)
        if not mask.any():
            raise InputError(f"the rest span {start}..{stop} s holds no usable frame")
        return mask, {"method": "given span", "span_s": [start, stop], "frames": int(mask.sum())}
    candidates = usable & eyes_open
    if not candidates.any():
        candidates = usable
    mask, activity = quiet_frames(blendshapes, candidates, REST_FRACTION, REST_ACTIVITY_NOISE)
    return mask, {
        "method": (f"quietest {REST_FRACTION:.0%} of usable frames (lowest blendshape "
                   f"activity) and those within the activity's noise ({REST_ACTIVITY_NOISE:g}) "
                   "of them"),
        "frames": int(mask.sum()),
        "max_activity": float(activity[mask].max()),
    }


def refined_frames(sources: np.ndarray) -> dict[str, np.ndarray]:
    """Per refined signal, (N,) bool: frames where its side's landmarks were refined in the
    pixels (lid edges for the eye signals, the corner edge for the mouth corner and fold).
    ``sources`` is (N, 2) :data:`SOURCE_CODES` of the (left, right) landmarks."""
    codes = np.asarray(sources)
    lids = (SOURCE_CODES["composite+lid-edges"], SOURCE_CODES["composite+lid-and-corner-edges"])
    corner = (SOURCE_CODES["composite+corner-edges"],
              SOURCE_CODES["composite+lid-and-corner-edges"])
    # the chin pads are refined in every frame where both sides are composites (once they
    # have a reference: the first such frame with texture)
    composite = (SOURCE_CODES["composite"], *lids, *corner)
    chin = np.isin(codes, composite).all(axis=1) if codes.size else np.zeros(len(codes), bool)
    out = {}
    for column, side in enumerate(("left", "right")):
        for quantities, codes_of in ((LID_REFINED, lids), (CORNER_REFINED, corner)):
            done = np.isin(codes[:, column], codes_of)
            for quantity in quantities:
                out[signal_name(quantity, side)] = done
        for quantity in CHIN_REFINED:
            out[signal_name(quantity, side)] = chin
    return out


def drop_untextured_chin(signals: Mapping[str, np.ndarray],
                         refinement: Mapping[str, np.ndarray],
                         refined: Mapping[str, np.ndarray], mm_per_unit: float,
                         ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]:
    """Take the chin-pad texture refinement off a side whose pad has too little texture.

    Per chin signal: the median over its refined frames of the pad's fine texture (the
    landmark pass' ``refinement[chin_texture_key(name)]``); below
    :data:`synkinesis.landmarks.chin_texture.MIN_FINE_TEXTURE` (smooth skin: the registration
    follows shading, which a smile changes) the refinement's change is subtracted from the
    signal in every frame, and zeroed, so that the side keeps the landmark model's chin.

    Returns the signals, the refinement, and each chin signal's median texture (NaN when
    never registered).
    """
    from synkinesis.landmarks.chin_texture import MIN_FINE_TEXTURE

    out, changes, medians = dict(signals), dict(refinement), {}
    for name in CHIN_REFINED_SIGNALS:
        texture = refinement.get(chin_texture_key(name))
        if texture is None or name not in out or name not in refinement:
            continue
        done = np.asarray(refined.get(name, np.ones(len(texture), dtype=bool)), dtype=bool)
        values = np.asarray(texture, dtype=float)[done]
        values = values[np.isfinite(values) & (values > 0)]
        median = float(np.median(values)) if values.size else float("nan")
        medians[name] = round(median, 3)
        if not median >= MIN_FINE_TEXTURE:
            out[name] = out[name] - changes[name] * mm_per_unit ** UNIT_POWER.get(
                unit_of(name), 1)
            changes[name] = np.zeros_like(changes[name])
    return out, changes, medians


def keep_rest_level(signals: Mapping[str, np.ndarray], refinement: Mapping[str, np.ndarray],
                    rest_mask: np.ndarray, mm_per_unit: float,
                    refined: Mapping[str, np.ndarray] | None = None,
                    given: Mapping[str, float] | None = None,
                    *, edge_level: Collection[str] = (),
                    upper_lid_level: Collection[str] = (),
                    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Put every frame of each refined signal on one resting level: the landmark model's
    (default), or for the signals named in ``edge_level`` the pixel refinements' own.

    Parameters
    ----------
    signals : name -> (N,) signals in their units (mm, mm2, deg, ratio)
    refinement : name -> (N,) change a pixel refinement made, head-frame units
    rest_mask : (N,) bool, the frames whose resting offset is measured
    mm_per_unit : the recording's scale
    refined : name -> (N,) bool, the frames its refinement was made in (all when not given)
    given : name -> offset (its signal's unit) to use instead of the one over ``rest_mask``
        (:attr:`MeasureOptions.refinement_levels`); for a signal in ``upper_lid_level`` its
        upper lids' share can be given too (key ``upper_lid_share(name)``), else a given
        offset puts that signal on the model's level
    edge_level : signal names that keep the refinements' resting level
        (:attr:`MeasureOptions.resting_level`)
    upper_lid_level : eye signal names whose upper lids' share of the refinement
        (``refinement[upper_lid_share(name)]``) keeps its resting level while the lower lids'
        share has its resting offset taken off

    Returns the corrected signals and the resting offsets (signal name -> the refinement's
    20 % trimmed mean change over ``rest_mask``, or the given one; rounded to 4 decimals).

    Model level: the resting offset is taken off every refined frame, so the refinements add
    only movement from rest. Pixel lid edges follow lid movement the model misses, but their
    absolute position includes the lashes and any second edge near the lid (single_face's left
    lower lid: a skin fold 3..4 px below the margin pulls the edge centroid down, reading that
    healthy eye 0.85 mm wider than the model at rest, the other eye 0.16 mm); a mouth-corner
    edge lies 0.2..2.6 mm from the model's corner depending on the side. The model level removes
    that bias, and with it part of a one-sided change present in every frame (a constant
    1..2.5 mm narrowing of one eye read 0.62..0.73 on single_face; docs/dev/
    one_sided_history.md, session 7).

    Upper-lid level: the lower lids' edges carry single_face's per-eye bias (a skin fold),
    the upper lids' do not (at their own level they read its healthy eyes 0.21 mm apart); so
    the upper lids keep their level and the lower lids add only movement (the share recorded
    under ``upper_lid_share(name)`` in the returned offsets).

    Edge level: the refined frames keep the refinement, resting level included (the same
    narrowing read 0.92..1.08, but that healthy face's resting tightness went from mild to
    moderate); frames without the refinement (the first, a re-acquired face, the seen side
    beside a covered half) are the model's own and get the resting offset added, so that they
    do not step by it (0.96 mm on WolfgangLanger's left eye).

    A trimmed mean rather than a median: where a refinement sometimes takes one edge and
    sometimes another, a median jumps between them when a few frames enter or leave the set
    (a flipped video differed by 0.21 mm; trimmed mean: 0.11 mm).
    """
    out, offsets = dict(signals), {}
    for name, change in refinement.items():
        if name not in out:
            continue
        change = change * mm_per_unit ** UNIT_POWER.get(unit_of(name), 1)
        done = (np.ones(change.shape, dtype=bool) if refined is None or name not in refined
                else np.asarray(refined[name], dtype=bool))
        share = refinement.get(upper_lid_share(name))
        known = given is not None and name in given
        known_share = known and upper_lid_share(name) in given
        if name in upper_lid_level and share is not None and (known_share or not known):
            upper = share * mm_per_unit ** UNIT_POWER.get(unit_of(name), 1)
            at_rest = rest_mask & done & np.isfinite(change) & np.isfinite(out[name])
            if known_share:  # both given: the lower lids' is their difference
                upper_offset = float(given[upper_lid_share(name)])
                lower_offset = float(given[name]) - upper_offset
            elif not at_rest.any():
                continue
            else:
                upper_offset = trim_mean(upper[at_rest], 0.2)
                lower_offset = trim_mean((change - upper)[at_rest], 0.2)
            out[name] = np.where(done, out[name] - lower_offset, out[name] + upper_offset)
            offsets[name] = round(upper_offset + lower_offset, 4)
            offsets[upper_lid_share(name)] = round(upper_offset, 4)
            continue
        if given is not None and name in given:
            offset = float(given[name])
        else:
            at_rest = rest_mask & done & np.isfinite(change) & np.isfinite(out[name])
            if not at_rest.any():
                continue
            offset = trim_mean(change[at_rest], 0.2)
        if name in edge_level:
            out[name] = np.where(done, out[name], out[name] + offset)
        else:
            out[name] = np.where(done, out[name] - offset, out[name])
        offsets[name] = round(offset, 4)
    return out, offsets


def savgol_quadratic(values: np.ndarray, window: int) -> np.ndarray:
    """Savitzky-Golay smoothing, quadratic, over ``window`` (odd) samples, the ends fitted by
    the quadratic of the first and last window: ``scipy.signal.savgol_filter(values, window,
    2)`` in its default "interp" mode, to rounding (about 1e-15 of the values), without
    importing scipy.signal, which cost 0.5 s of CPU in every `synk measure` process.

    ``values``: (N,) floats, N >= ``window``."""
    values = np.asarray(values, dtype=float)
    n, half = values.shape[0], window // 2
    offsets = np.arange(-half, half + 1, dtype=float)
    # the fitted quadratic's value at the centre: row 0 of the least-squares solution
    weights = np.linalg.pinv(np.vander(offsets, 3, increasing=True))[0]
    out = np.convolve(values, weights[::-1], mode="same")
    steps = np.arange(window, dtype=float)
    for start, first, last in ((0, 0, half), (n - window, n - half, n)):
        fitted = np.polyfit(steps, values[start:start + window], 2)
        out[first:last] = np.polyval(fitted, np.arange(first - start, last - start, dtype=float))
    return out


def smooth_signals(signals: Mapping[str, np.ndarray], time_s: np.ndarray, usable: np.ndarray,
                   ) -> dict[str, np.ndarray]:
    """Centred Savitzky-Golay smoothing (quadratic, half-width :data:`SIGNAL_SMOOTHING_HALF_S`)
    of every (N,) signal, within runs of usable frames: for videos tracked without MediaPipe's
    own smoothing over frames (its one-euro filter lags real movement:
    :class:`synkinesis.landmarks.mediapipe_engine.MediaPipeEngine`).

    Centred, so it does not delay a movement, and quadratic, so it keeps a movement's height
    (a blink is flagged from the raw signals before this). Each run of usable frames is smoothed
    on its own; runs shorter than the window are left as they are.
    """
    t = np.asarray(time_s, dtype=float)
    if t.size < 3:
        return dict(signals)
    step = float(np.median(np.diff(t)))
    half = max(2, int(round(SIGNAL_SMOOTHING_HALF_S / step))) if step > 0 else 2
    window = 2 * half + 1
    out = {}
    for name, values in signals.items():
        values = np.asarray(values, dtype=float)
        good = np.asarray(usable, dtype=bool) & np.isfinite(values)
        smoothed = values.copy()
        edges = np.flatnonzero(np.diff(np.concatenate([[0], good.astype(np.int8), [0]])))
        for start, stop in zip(edges[::2], edges[1::2]):
            if stop - start >= window:
                smoothed[start:stop] = savgol_quadratic(values[start:stop], window)
        out[name] = smoothed
    return out


def change_resolution(signals: Mapping[str, np.ndarray], rest_mask: np.ndarray,
                      iris_px: np.ndarray, usable: np.ndarray,
                      iris_diameter_mm: float) -> Resolution | None:
    """The smallest change the recording resolves per region (None without a usable iris).

    Parameters
    ----------
    signals : name -> (N,) signals in mm (patient's sides), as the analysis reads them
    rest_mask : (N,) bool, the rest frames
    iris_px : (N,) iris diameter, image pixels
    usable : (N,) bool
    iris_diameter_mm : the iris' true diameter, mm

    Per region (:data:`RESOLUTION_SIGNALS`), the rest noise is the largest robust standard
    deviation (1.4826 x the median absolute deviation) over the rest frames of its signals on
    either side (None with fewer than 3 finite values),
    and the resolvable change ``max(RESOLVABLE_PX / px_per_mm, RESOLVABLE_NOISE_FACTOR *
    noise)``: a change smaller than a few pixels, or than the face's own stillness at rest,
    cannot be told from measurement error.
    """
    iris = np.asarray(iris_px, dtype=float)[np.asarray(usable, dtype=bool)]
    iris = iris[np.isfinite(iris) & (iris > 0)]
    if iris.size == 0:
        return None
    px_per_mm = float(np.median(iris)) / iris_diameter_mm
    floor_mm = RESOLVABLE_PX / px_per_mm
    rest = np.asarray(rest_mask, dtype=bool)
    regions = {}
    for region, quantities in RESOLUTION_SIGNALS.items():
        spreads = []
        for quantity in quantities:
            for side in SIDES:
                values = signals.get(signal_name(quantity, side))
                if values is None:
                    continue
                at_rest = np.asarray(values, dtype=float)[rest]
                at_rest = at_rest[np.isfinite(at_rest)]
                if at_rest.size >= 3:
                    # Robust (1.4826 x median absolute deviation): a recording without a rest
                    # task has the start of an expression among its quietest frames
                    # (single_face's mouth corner rises 4.5 mm in its last two; standard
                    # deviation 1.7 mm, robust 0.2 mm).
                    deviation = np.abs(at_rest - np.median(at_rest))
                    spreads.append(1.4826 * float(np.median(deviation)))
        noise = max(spreads) if spreads else None
        resolvable = (None if noise is None
                      else max(floor_mm, RESOLVABLE_NOISE_FACTOR * noise))
        regions[region] = RegionResolution(
            noise_mm=None if noise is None else round(noise, 4),
            resolvable_mm=None if resolvable is None else round(resolvable, 4))
    return Resolution(
        px_per_mm=round(px_per_mm, 4), pixel_floor_px=RESOLVABLE_PX,
        noise_factor=RESOLVABLE_NOISE_FACTOR, regions=regions,
        meaning="smallest change (mm) the recording resolves per region: the larger of "
                "pixel_floor_px at the face's pixels per mm (median iris) and noise_factor "
                "times the rest noise (largest robust standard deviation, 1.4826 x median "
                "absolute deviation, of the region's signals, either side, over the rest "
                "frames)")
