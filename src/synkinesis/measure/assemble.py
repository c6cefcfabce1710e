"""From the landmark pass to a result file: the calibrate steps in order (:func:`calibrate`),
then the per-frame table, the manifest and the file (:func:`write_result`)."""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis import __version__
from synkinesis.measure import calibrate as steps
from synkinesis.measure.landmark_pass import FrameArrays, PassArrays
from synkinesis.measure.manifest import (
    Engine,
    FrameCounts,
    LandmarkArray,
    Manifest,
    Package,
    RefinementOffsets,
    Resolution,
    Rest,
    ScaleRecord,
    Source,
    rest_rows,
)
from synkinesis.measure.options import (
    BLENDSHAPE_NAMES,
    SOURCE_CODES,
    MeasureError,
    MeasureOptions,
    edge_level_signals,
    upper_lid_level_signals,
)
from synkinesis.measure.result_file import Measurement, read_measurement, write_measurement
from synkinesis.normalize import HeadPose, Scale, millimetres_per_unit
from synkinesis.quality import FLAG_DESCRIPTIONS, UNUSABLE, FrameFlag, flag_counts
from synkinesis.regions import SIDES
from synkinesis.signals import (
    add_rest_excursions,
    anchor_brow_to_pupil,
    blank_side,
    rest_reference,
    signal_definitions,
    signal_name,
)


@dataclass(frozen=True)
class Calibration:
    """One recording calibrated: what the result file stores besides the landmarks.

    Attributes
    ----------
    flags : (N,) int64 :class:`synkinesis.quality.FrameFlag` bits
    signals : name -> (N,) signals in their units, NaN in unusable frames
    scale : the mm scale
    scale_frames : which frames measured it (words)
    rest_mask : (N,) bool, the frames taken as rest
    rest_info : how rest was chosen (``method``, ``frames``, ``span_s`` or ``max_activity``)
    rest : signal name -> resting value
    refinement_offsets : refined signal -> resting offset taken off (its unit)
    given_offsets : the refined signals whose offset was given (``refinement_levels``)
    smoothed : whether the signals were smoothed (:func:`steps.smooth_signals`)
    resolution : the smallest change resolvable per region (:func:`steps.change_resolution`)
    """

    flags: np.ndarray
    signals: dict[str, np.ndarray]
    scale: Scale
    scale_frames: str
    rest_mask: np.ndarray
    rest_info: dict[str, Any]
    rest: dict[str, float]
    refinement_offsets: dict[str, float]
    given_offsets: tuple[str, ...]
    smoothed: bool
    resolution: Resolution | None = None


def calibrate(data: PassArrays, *, options: MeasureOptions, smooth: bool,
              description: str) -> Calibration:
    """Flag, scale, choose rest, keep the refinements' resting level and smooth.

    Raises
    ------
    MeasureError
        No frame, no face, or no usable frame (``description`` names the input).
    """
    n = data.time_s.shape[0]
    if n == 0:
        raise MeasureError(f"{description}: no frame could be decoded")
    limits = options.limits
    pose = HeadPose.from_array(data.pose)
    has_face = data.n_faces > 0
    if not has_face.any():
        raise MeasureError(f"{description}: no face found in any of {n} frames")
    hidden = steps.hidden_halves(data.sources, data.time_s, has_face)
    flags = steps.quality_flags(n_faces=data.n_faces, angles_deg=pose.angles_deg(),
                                fit_residual=pose.residual,
                                outside_fraction=data.outside_fraction, iris_px=data.iris_px,
                                hidden=hidden, limits=limits)
    usable = (flags & UNUSABLE) == 0
    # Frames with both halves seen: the scale, rest and the refinements' resting level come
    # from these only.
    seen = usable & ~hidden["left"] & ~hidden["right"]
    broad = seen if seen.any() else usable
    # Over all of those frames: the scale when too few frames measure each eye open (below).
    every_frame_scale = millimetres_per_unit(
        data.iris_units, data.interpupil_units, broad,
        iris_diameter_mm=options.iris_diameter_mm, interpupil_mm=options.interpupil_mm)
    if every_frame_scale is None:
        raise MeasureError(f"{description}: no frame is usable for measurement "
                           f"({_flag_summary(flag_counts(flags))})")
    signals = dict(data.signals)  # head-frame units until the scale is known
    for side, mask in hidden.items():  # a covered half is not measured
        signals = blank_side(signals, side, mask)
    fissures = {side: signals[signal_name("palpebral_fissure", side)] for side in SIDES}
    eye, open_by_side = steps.eye_flags(fissures, data.time_s, usable, limits=limits)
    flags = flags | eye
    eyes_open = open_by_side["left"] & open_by_side["right"]
    # The iris scale from each eye's most open frames, the larger eye's reading: the lids cover
    # part of the iris in an expression and its landmarks then read it smaller (a one-sided eye
    # narrowing with the smile shrank single_face's scale 2.6 %, and every signal of both sides
    # with it; one narrowed in every frame WolfgangLanger's 2.2 % with the two eyes averaged).
    scale = steps.open_eye_iris_scale(data.iris_sides, data.interpupil_units, fissures, broad,
                                      options.iris_diameter_mm)
    scale_frames = (f"each eye's most open {steps.OPEN_EYE_SCALE_FRACTION:.0%} of usable "
                    f"frames, at least {steps.MIN_OPEN_EYE_FRAMES}, "
                    f"{steps.OPEN_EYE_TRIM:.0%} trimmed mean; the larger eye's (the lids cover "
                    "part of the iris in expressions, never add to it)")
    if scale is None:
        scale, scale_frames = every_frame_scale, "all usable frames"
    signals = anchor_brow_to_pupil(steps.scale_signals(signals, scale.mm_per_unit),
                                   open_by_side)
    rest_mask, rest_info = steps.choose_rest(data.time_s, data.blendshapes, broad, eyes_open,
                                             rest_span_s=options.rest_span_s)
    level_frames = (rest_mask if options.rest_span_s is not None or not (seen & eyes_open).any()
                    else steps.quiet_frames(data.blendshapes, seen & eyes_open,
                                            steps.REFINEMENT_LEVEL_FRACTION)[0])
    given = dict(options.refinement_levels or ())
    refined = steps.refined_frames(data.sources)
    signals, refinement, _ = steps.drop_untextured_chin(signals, data.refinement, refined,
                                                        scale.mm_per_unit)
    signals, offsets = steps.keep_rest_level(signals, refinement, level_frames,
                                             scale.mm_per_unit, refined, given=given,
                                             edge_level=edge_level_signals(
                                                 options.level),
                                             upper_lid_level=upper_lid_level_signals(
                                                 options.level))
    if smooth:
        signals = steps.smooth_signals(signals, data.time_s, usable)
    rest = rest_reference(signals, rest_mask)
    resolution = steps.change_resolution(signals, rest_mask, data.iris_px, usable,
                                         options.iris_diameter_mm)
    signals = add_rest_excursions(signals, rest)
    signals = {name: np.where(usable, values, np.nan)  # unusable frames carry no measurement
               for name, values in signals.items()}
    return Calibration(flags=flags, signals=signals, scale=scale, scale_frames=scale_frames,
                       rest_mask=rest_mask, rest_info=rest_info, rest=rest,
                       refinement_offsets=offsets,
                       given_offsets=tuple(sorted(given.keys() & offsets.keys())),
                       smoothed=smooth, resolution=resolution)


def write_result(
    arrays: FrameArrays,
    *,
    options: MeasureOptions,
    source: dict[str, Any],
    engine_info: dict[str, Any],
    spool_paths: list[str],
    output: Path,
    on_phase: Callable[[str], None] | None = None,
) -> Measurement:
    """Calibrate the landmark pass and write the result file; raises MeasureError when nothing
    is measurable. The landmark spool files are always removed, whether or not a result is
    written. ``on_phase`` is told "calibrating", then "writing"."""
    say = on_phase or (lambda phase: None)
    try:
        data = arrays.concatenated()
        say("calibrating")
        calibration = calibrate(data, options=options,
                                smooth=bool(engine_info.get("smooth_signals")),
                                description=source["description"])
        frames = _frame_columns(data, calibration)
        manifest = _manifest(data, calibration, options=options, source=source,
                             engine_info=engine_info)
        say("writing")
        spool_path = _merge_spools(spool_paths, output.parent)
        try:
            write_measurement(output, manifest=manifest, frames=frames, pose=data.pose,
                              blendshapes=data.blendshapes, landmark_spool=spool_path,
                              n_frames=data.time_s.shape[0])
        finally:
            spool_path.unlink(missing_ok=True)
    finally:
        for path in spool_paths:
            Path(path).unlink(missing_ok=True)
    return read_measurement(output)


def _frame_columns(data: PassArrays, calibration: Calibration) -> dict[str, np.ndarray]:
    frames: dict[str, np.ndarray | None] = {
        "frame": data.index,
        "time_s": data.time_s,
        "source": np.array(data.names, dtype=object) if any(data.names) else None,
        "flags": calibration.flags,
        "n_faces": data.n_faces,
        **{name: values.astype(np.float32) for name, values in calibration.signals.items()},
    }
    if data.engine_sources:
        for column, name in enumerate(("landmark_source_left", "landmark_source_right")):
            frames[name] = data.sources[:, column]
    return {k: v for k, v in frames.items() if v is not None}


def _manifest(data: PassArrays, calibration: Calibration, *, options: MeasureOptions,
              source: dict[str, Any], engine_info: dict[str, Any]) -> Manifest:
    n = data.time_s.shape[0]
    flags = calibration.flags
    usable = (flags & UNUSABLE) == 0
    info = calibration.rest_info
    span = info.get("span_s")
    offsets = calibration.refinement_offsets
    return Manifest(
        package=Package("synkinesis", __version__),
        created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
        engine=Engine.from_dict(engine_info),
        source=Source.from_dict(source),
        options=options.as_dict(),
        frames=FrameCounts(count=n, usable=int(usable.sum()),
                           with_face=int((data.n_faces > 0).sum())),
        scale=ScaleRecord(**asdict(calibration.scale), frames=calibration.scale_frames),
        rest=Rest(method=info["method"], frames=info["frames"], reference=calibration.rest,
                  rows=rest_rows(calibration.rest_mask),
                  span_s=None if span is None else (span[0], span[1]),
                  max_activity=info.get("max_activity")),
        signal_smoothing=({
            "method": "Savitzky-Golay, quadratic, centred, within runs of usable frames",
            "half_width_s": steps.SIGNAL_SMOOTHING_HALF_S,
            "meaning": "the landmark model's own smoothing over frames is off for this method "
                       "(it lags real movement); the signals are smoothed here instead, "
                       "without delay"} if calibration.smoothed else None),
        refinement_rest_offsets=RefinementOffsets(
            values=offsets, given=calibration.given_offsets,
            meaning=("mean change (20 % trimmed) the pixel refinement (lid and mouth-corner "
                     "edges) made to each signal in the quietest 30 % of open-eye frames "
                     "(or the given rest span); "
                     + _level_meaning(options.level)
                     + "; 'given' names the signals whose offset was given instead "
                       "(MeasureOptions.refinement_levels)"),
        ) if offsets else None,
        signals=signal_definitions(),
        flags={flag.name: {"bit": int(flag), "meaning": FLAG_DESCRIPTIONS[flag.name]}
               for flag in FrameFlag if flag.name},
        unusable_flags=tuple(flag.name for flag in FrameFlag if flag & UNUSABLE),
        flag_counts=flag_counts(flags),
        blendshape_names=BLENDSHAPE_NAMES,
        landmark_sources={
            "columns": ["landmark_source_left", "landmark_source_right"],
            "codes": {str(code): name for name, code in SOURCE_CODES.items()},
            "meaning": "where each side's landmarks came from in each frame (patient's sides): "
                       "plain = the whole frame as seen and mirrored; composite = that side's "
                       "half-face mirror composite; +lid-edges: with the central lid points "
                       "moved onto lid edges found in the pixels; +corner-edges: with the mouth "
                       "corner moved onto the commissure found in the pixels; hidden = that "
                       "half is covered (its composite was not a face, or its lips and chin "
                       "disagreed with the other half's): its landmarks are a guess, its "
                       "signals are not given (NaN) and the frame is flagged HIDDEN_LEFT or "
                       "HIDDEN_RIGHT",
            "counts": {side: {name: int((data.sources[:, column] == code).sum())
                              for name, code in SOURCE_CODES.items()}
                       for column, side in enumerate(("left", "right"))},
        } if data.engine_sources else None,
        resolution=calibration.resolution,
        pose_columns=("scale", *[f"r{i}{j}" for i in range(3) for j in range(3)],
                      "tx", "ty", "tz", "residual"),
        landmarks=LandmarkArray(
            shape=(n, 478, 3),
            units="image pixels (x right, y down, z depth) of the frames as landmarked: "
                  "turned upright first when source.orientation says so",
            side_convention="MediaPipe indices; left = the patient's left",
            mirrored_input_corrected=options.mirrored),
        platform={"python": platform.python_version(), "machine": platform.machine()},
    )


def _level_meaning(level: str) -> str:
    """What the resting level in effect did with the refinements' resting offsets."""
    upper_lids = ("the eye signals keep their upper lids' share (the ':upper_lid' entries; "
                  "added to the frames without the refinement) and have the lower lids' taken "
                  "off, so that a one-sided eye narrowing present in every frame is seen")
    kept = ("added to the frames without the refinement: the resting level is the "
            "refinements' for the signals options.resting_level names, so a one-sided change "
            "present in every frame is seen, and the edges' own per-side offset (lashes, light) "
            "is kept as asymmetry")
    if level == "upper-lid-edges":
        return (upper_lids + "; the other signals have theirs taken off every refined frame "
                "(options.resting_level 'upper-lid-edges')")
    if level == "upper-lid-and-corner-edges":
        return (upper_lids + "; the mouth corner and fold signals have theirs " + kept
                + " (options.resting_level 'upper-lid-and-corner-edges')")
    if level != "model":
        return kept
    return ("taken off every refined frame: the resting level is the landmark model's "
            "(options.resting_level 'model')")


def _merge_spools(paths: list[str], directory: Path) -> Path:
    if len(paths) == 1:
        return Path(paths[0])
    handle, name = tempfile.mkstemp(prefix=".landmarks-merged-", dir=directory)
    with os.fdopen(handle, "wb") as merged:
        for path in paths:
            with open(path, "rb") as part:
                for block in iter(lambda: part.read(1 << 22), b""):
                    merged.write(block)
    return Path(name)


def _flag_summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count) or "none"
