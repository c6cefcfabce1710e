"""Files of the simulator: the real neutral face in, the result file and its sidecars out.

``synk simulate -o OUT.synk`` writes three files:

``OUT.synk``
    The measure result format (:mod:`synkinesis.measure.result_file`), written by
    :func:`synkinesis.measure.measurement_from_landmarks` through the same normalisation,
    signals and flags as ``synk measure``. Its manifest ``source`` is
    ``{"kind": "simulation", "parameters": <SimulationSpec.as_dict()>, "face": ..., ...}``.
``OUT.truth.json``
    Format ``synkinesis.simulation-truth`` version 2: the parameters again, the ground truth
    (:meth:`synkinesis.simulate.truth.GroundTruth.as_dict`) on the canonical face, the same
    truth on the recording's own face (``truth_on_recorded_face``, mm comparable with the
    analysis), the model's constants with units and sources.
``OUT.protocol.json``
    Format ``synkinesis.protocol-spans`` version 1: ``{"format", "format_version", "segments":
    [{"task", "start_s", "end_s"}, ...]}``, the time span of each task (guided analysis).

Format history: 1 (package 0.1.0) first version of both sidecars. Truth 2: patterns are
graded in the analysis' clinical convention (``patterns`` = index in Sunnybrook points, this
side against the other, from the mm-per-point anchors of :mod:`synkinesis.findings`, with
``pattern_severities`` and ``excess_mm``; was the mean excess over a healthy face in fractions
of the voluntary range with ``pattern_grades``), the patterns are the analysis' five (with
nasolabial; platysmal is its lower-lip proxy), the Sunnybrook synkinesis items are keyed by the
Sunnybrook scale's expressions (``brow_lift``, ``eye_closure``, ``smile``, ``snarl``,
``pucker``) with their points, and ``ocular_synkinesis_points_from_fissure`` is gone (the
ocular-oral index replaces it). Version 1 files are still read (their parameters are what
``synk predict --from`` uses).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis import __version__

TRUTH_FORMAT = "synkinesis.simulation-truth"
PROTOCOL_FORMAT = "synkinesis.protocol-spans"
TRUTH_VERSION = 2
PROTOCOL_VERSION = 1
ENGINE_INFO = {"name": "synkinesis.simulate", "version": __version__, "model_sha256": None}


class FaceError(RuntimeError):
    """No usable neutral face (missing file, no face in it, no default media)."""


def default_face_path(directories: list[Path] | None = None) -> Path:
    """The bundled example face: ``single_face.mp4`` in $SYNK_MEDIA_DIR or ../shared/data/media
    (relative to the working directory or to the source tree), or in ``directories`` if given.
    """
    if directories is None:
        directories = []
        if os.environ.get("SYNK_MEDIA_DIR"):
            directories.append(Path(os.environ["SYNK_MEDIA_DIR"]))
        directories.append(Path.cwd().parent / "shared" / "data" / "media")
        directories.append(Path(__file__).resolve().parents[4] / "shared" / "data" / "media")
    for directory in directories:
        if (Path(directory) / "single_face.mp4").is_file():
            return Path(directory) / "single_face.mp4"
    raise FaceError("no default face found: pass --face PHOTO|VIDEO|RESULT.synk, or set "
                    "SYNK_MEDIA_DIR to the example media directory (with single_face.mp4)")


def _rest_frames(measurement) -> np.ndarray:
    """Indices of the quietest tenth of usable frames (lowest expression activity).

    Closed eyes and covered halves are not excluded here, unlike the rest the measure step
    stores (``manifest.rest``): the simulator's neutral faces were made this way."""
    from synkinesis.measure.calibrate import expression_activity
    from synkinesis.quality import UNUSABLE

    usable = (np.asarray(measurement.frames["flags"]) & int(UNUSABLE)) == 0
    if not usable.any():
        raise FaceError(f"{measurement.path}: no usable frame for a neutral face")
    activity = expression_activity(np.asarray(measurement.blendshapes, dtype=float))
    candidates = np.flatnonzero(usable)
    order = candidates[np.argsort(activity[candidates], kind="stable")]
    return np.sort(order[: max(1, int(round(0.1 * order.size)))])


def neutral_face_from_measurement(measurement, *, model_path: Path | None = None):
    """A :class:`~synkinesis.simulate.face.NeutralFace` from a measure result (its rest frames)."""
    from synkinesis.landmarks.model import load_canonical_face
    from synkinesis.simulate.face import neutral_face_from_landmarks

    canonical = load_canonical_face(model_path)
    frames = _rest_frames(measurement)
    landmarks = measurement.load_landmarks()[frames]
    source = measurement.manifest.source
    if source.kind == "video" and source.video is not None:
        size = (source.video["height"], source.video["width"])
    else:
        valid = landmarks[np.isfinite(landmarks).all(axis=(1, 2))]
        size = (int(np.ceil(np.nanmax(valid[..., 1]) * 1.25)),
                int(np.ceil(np.nanmax(valid[..., 0]) * 1.25)))
    try:
        return neutral_face_from_landmarks(
            landmarks, frame_size=size, canonical_vertices=canonical.vertices,
            basis_ids=canonical.basis_ids, basis_weights=canonical.basis_weights,
            description=f"{source.description or measurement.path} "
                        f"(rest frames {frames.tolist()[:10]})")
    except ValueError as exc:
        raise FaceError(f"{measurement.path}: {exc}") from None


#: How a photo or video is landmarked for a neutral face (see :func:`load_neutral_face`).
NEUTRAL_FACE_METHOD = "symmetric"


def load_neutral_face(path: Path | None = None, *, work_dir: Path | None = None):
    """Measure a photo, video or existing ``.synk`` result and return its neutral face.

    A photo's face is used as it is (it should be at rest); a video's quietest tenth of frames
    (lowest expression activity) gives the median neutral shape.
    """
    from synkinesis.landmarks.sources import InputError, expand_inputs
    from synkinesis.measure import (
        MeasureError,
        MeasureOptions,
        ResultFileError,
        measure_images,
        measure_video,
        read_measurement,
    )

    path = Path(path) if path is not None else default_face_path()
    if not path.exists():
        raise FaceError(f"face file not found: {path}")
    try:
        if path.suffix == ".synk":
            return neutral_face_from_measurement(read_measurement(path))
        videos, images = expand_inputs([path])
        # A neutral shape, not one-sided movement: the mirror-averaged landmarks. The pixel
        # refinements of the assessment default move the lid points onto the lash line (their
        # bias is taken off the signals, not the stored landmarks), and a neutral face with
        # that bias moves asymmetrically under symmetric commands (single_face.mp4: a healthy
        # simulated pucker read 1 Sunnybrook point in the truth).
        options = MeasureOptions(method=NEUTRAL_FACE_METHOD)
        with tempfile.TemporaryDirectory(dir=work_dir) as directory:
            target = Path(directory) / "face.synk"
            if videos:
                measurement = measure_video(videos[0], target, options=options)
            elif images:
                measurement = measure_images(images[:1], target, options=options)
            else:
                raise FaceError(f"{path}: not a photo, video or .synk result")
            measurement.load_landmarks()
            return neutral_face_from_measurement(measurement)
    except (InputError, MeasureError, ResultFileError) as exc:
        raise FaceError(str(exc)) from None


def sidecar_paths(output: Path) -> tuple[Path, Path]:
    """(truth, protocol) sidecar paths beside a result file ``OUT.synk``."""
    output = Path(output)
    stem = output.with_suffix("")
    return (stem.parent / f"{stem.name}.truth.json", stem.parent / f"{stem.name}.protocol.json")


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    from synkinesis.files import atomic_output

    with atomic_output(path) as temporary:
        temporary.write_text(json.dumps(payload, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def model_constants() -> dict[str, Any]:
    """Every named model constant with value, unit and source (for the truth file and docs)."""
    from synkinesis.simulate import anatomy, nerve, treatments

    def table(values: dict[str, Any]) -> dict[str, Any]:
        return {name: asdict(p) for name, p in values.items()}

    return {
        "regrowth": table(nerve.PARAMETER_INFO),
        "muscle_axon_share": table(anatomy.MUSCLE_AXON_SHARE),
        "muscle_path_length_mm": table(anatomy.MUSCLE_PATH_LENGTH_MM),
        "branch_muscle_weights": {b: table(w) for b, w in anatomy.BRANCH_MUSCLE_WEIGHTS.items()},
        "central_commands": anatomy.CENTRAL_COMMANDS,
        "toxin": {"max_effect": asdict(treatments.TOXIN_MAX_EFFECT),
                  "onset_days": asdict(treatments.TOXIN_ONSET_DAYS),
                  "wear_off_days": asdict(treatments.TOXIN_WEAR_OFF_DAYS),
                  "wear_off_width_days": asdict(treatments.TOXIN_WEAR_OFF_WIDTH_DAYS),
                  "half_effect_units": table(treatments.TOXIN_HALF_EFFECT_UNITS)},
        "nerve_block_days": asdict(treatments.NERVE_BLOCK_DAYS),
        "retraining": {"efficacy": asdict(treatments.RETRAINING_EFFICACY),
                       "time_constant_days": asdict(treatments.RETRAINING_TIME_CONSTANT_DAYS)},
    }


def write_simulation(output: Path, spec, recording, truth, face, *, face_truth=None) -> Any:
    """Write ``OUT.synk`` and its two sidecars; returns the :class:`Measurement`.

    ``truth`` is measured on the canonical face; ``face_truth``, if given, is the same truth
    measured on the recording's own neutral face (mm comparable with an analysis of OUT.synk)
    and is stored as ``truth_on_recorded_face``. The rest baseline is the protocol's rest span,
    given explicitly to the measure path.
    """
    from synkinesis.measure import MeasureOptions, measurement_from_landmarks

    output = Path(output)
    truth_path, protocol_path = sidecar_paths(output)
    rest = recording.spans[0]
    source = {
        "kind": "simulation",
        "description": f"simulated patient (seed {spec.seed})",
        "files": [],
        "parameters": spec.as_dict(),
        "face": face.description,
        "truth_file": truth_path.name,
        "protocol_file": protocol_path.name,
    }
    measurement = measurement_from_landmarks(
        recording.landmarks_px, recording.time_s, output, frame_size=recording.frame_size,
        source=source, engine_info=dict(ENGINE_INFO),
        options=MeasureOptions(rest_span_s=(rest.start_s, rest.end_s)))
    _write_json(truth_path, {
        "format": TRUTH_FORMAT, "format_version": TRUTH_VERSION,
        "package": {"name": "synkinesis", "version": __version__},
        "result_file": output.name,
        "parameters": spec.as_dict(),
        "truth": truth.as_dict(),
        "truth_face": "canonical face (MediaPipe canonical mesh, mm)",
        **({"truth_on_recorded_face": face_truth.as_dict()} if face_truth is not None else {}),
        "model_constants": model_constants(),
    })
    _write_json(protocol_path, protocol_payload(recording.spans))
    return measurement


def protocol_payload(spans) -> dict[str, Any]:
    """The protocol sidecar's content."""
    return {"format": PROTOCOL_FORMAT, "format_version": PROTOCOL_VERSION,
            "segments": [asdict(span) for span in spans]}


def read_truth(path: Path) -> dict[str, Any]:
    """Read an ``OUT.truth.json``; raises ValueError (one line) for anything else."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read a truth file ({exc})") from None
    if payload.get("format") != TRUTH_FORMAT:
        raise ValueError(f"{path}: not a {TRUTH_FORMAT} file")
    if int(payload.get("format_version", 0)) > TRUTH_VERSION:
        raise ValueError(f"{path}: truth format {payload['format_version']} is newer than this "
                         f"program reads ({TRUTH_VERSION})")
    return payload


def movement_from_analysis(path: Path) -> tuple[dict[str, np.ndarray], str | None]:
    """Measured movement per side and the affected side from an analysis file
    (``synk analyze``), in the simulator's task x region order.

    Returns
    -------
    movement : dict side -> (9, 8) array, mm in each region's active direction (NaN: not
        measured)
    affected_side : "left", "right" or None (the analysis' named side, else its leaning)

    Raises
    ------
    ValueError
        One line, when the file is not a readable analysis.
    """
    from synkinesis.simulate.anatomy import REGIONS, TASKS

    path = Path(path)
    try:
        payload = json.loads(path.read_text())
        if payload.get("format") != "synkinesis.analysis":
            raise ValueError("not a synkinesis.analysis file")
        coupling = payload["coupling"]
        movement = {side: np.full((len(TASKS), len(REGIONS)), np.nan)
                    for side in ("left", "right")}
        for i, task in enumerate(coupling["tasks"]):
            for j, region in enumerate(coupling["regions"]):
                if task not in TASKS or region not in REGIONS:
                    continue
                for side in movement:
                    value = coupling["movement_mm"][side][i][j]
                    if value is not None:
                        movement[side][TASKS.index(task), REGIONS.index(region)] = float(value)
        affected = payload.get("affected_side") or {}
        side = affected.get("side") or affected.get("leaning")
    except (OSError, json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read an analysis file ({exc})") from None
    return movement, side
