"""Where input and output meet the core: frames -> landmarks -> signals -> result file.

The per-frame loop only runs the landmark engine and copies its output into a small batch; pose
fitting and signals are computed on whole batches with NumPy, and landmarks go to a spool file,
so the cost per frame stays small and memory stays flat however long the video is.
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis import __version__
from synkinesis.landmarks.composite import SOURCE_NAMES
from synkinesis.landmarks.sources import (
    Frame,
    InputError,
    expand_inputs,
    iter_camera,
    iter_images,
    iter_video,
    probe_video,
)
from synkinesis.normalize import (
    DEFAULT_INTERPUPIL_MM,
    DEFAULT_IRIS_DIAMETER_MM,
    HeadPose,
    fit_head_pose,
    interpupil_distance,
    iris_diameter,
    iris_diameters,
    millimetres_per_unit,
    mirror_image_landmarks,
    to_head_frame,
)
from synkinesis.quality import (
    FLAG_DESCRIPTIONS,
    HIDDEN_PAD_S,
    HIDDEN_SIDE,
    UNUSABLE,
    FrameFlag,
    QualityLimits,
    distance_to_frames,
    eye_closure_flags,
    fit_outliers,
    flag_counts,
    partial_blinks,
)
from synkinesis.regions import SIDES, mirror_name
from synkinesis.results import (
    SUFFIX,
    LandmarkSpool,
    Measurement,
    read_measurement,
    write_measurement,
)
from synkinesis.signals import (
    add_rest_excursions,
    anchor_brow_to_pupil,
    blank_side,
    compute_signals,
    rest_reference,
    signal_name,
)
from synkinesis.signals import signal_definitions as _signal_definitions

Progress = Callable[[int], None]
BATCH = 64
N_BLENDSHAPES = 52


class MeasureError(RuntimeError):
    """A recording that cannot give a result (no face anywhere, nothing decodable)."""


@dataclass(frozen=True)
class MeasureOptions:
    """Options of ``synk measure`` (all documented in its --help)."""

    iris_diameter_mm: float = DEFAULT_IRIS_DIAMETER_MM
    interpupil_mm: float = DEFAULT_INTERPUPIL_MM
    mirrored: bool = False  # input shows the patient as in a mirror (selfie camera)
    method: str = "composite-edges"  # one of METHODS; the assessment default sees one side honestly
    rest_span_s: tuple[float, float] | None = None
    min_confidence: float = 0.5
    limits: QualityLimits = field(default_factory=QualityLimits)
    model_path: str | None = None
    #: The pixel refinements' resting offsets ((signal name, offset in that signal's unit)
    #: pairs, as in a result's manifest ``refinement_rest_offsets.values``) from a neutral
    #: recording of the same face, used instead of the ones taken from this recording's
    #: quietest frames: a recording without a neutral face cannot tell a one-sided change that
    #: never leaves it from the lashes' offset (docs/one_sided.md, Session 6). Developer option
    #: (the validation's "known level"); ``composite-edges`` only.
    refinement_levels: tuple[tuple[str, float], ...] | None = None
    #: Store each input's full path in the result (default: its file name and sha256 only;
    #: folder names often hold user or patient names).
    keep_paths: bool = False
    #: Measure a video that decodes far fewer frames than its container declares
    #: (:data:`MIN_DECODED_FRACTION`) instead of refusing it; the manifest records it.
    allow_truncated: bool = False
    #: Turn a video or photo whose face is upside down or on its side upright before
    #: landmarking (:mod:`synkinesis.landmarks.orientation`); False measures it as recorded.
    auto_orient: bool = True

    def validate(self) -> None:
        if not 5.0 <= self.iris_diameter_mm <= 20.0:
            raise InputError(
                f"iris diameter must be between 5 and 20 mm, got {self.iris_diameter_mm}")
        if not 30.0 <= self.interpupil_mm <= 100.0:
            raise InputError(
                f"inter-pupillary distance must be between 30 and 100 mm, got {self.interpupil_mm}")
        if self.method not in METHODS:
            raise InputError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if not 0.0 < self.min_confidence < 1.0:
            raise InputError(f"confidence must be between 0 and 1, got {self.min_confidence}")
        if self.rest_span_s is not None and not 0 <= self.rest_span_s[0] < self.rest_span_s[1]:
            raise InputError(f"rest span must be START:END seconds with START < END, "
                             f"got {self.rest_span_s}")
        if self.refinement_levels:
            if self.method != "composite-edges":
                raise InputError(f"refinement levels are for the composite-edges method (its "
                                 f"pixel refinements), not {self.method!r}")
            levels = dict(self.refinement_levels)
            unknown = sorted(set(levels) - set(REFINED_SIGNALS))
            if unknown:
                raise InputError(f"refinement levels for signals no refinement changes: "
                                 f"{', '.join(unknown)}")
            try:
                finite = all(np.isfinite(float(v)) for v in levels.values())
            except (TypeError, ValueError):
                finite = False
            if not finite:
                raise InputError("refinement levels must be finite numbers")


@dataclass
class FrameArrays:
    """Per-frame results of the landmark pass, before calibration (small, no landmarks)."""

    index: list[np.ndarray] = field(default_factory=list)
    time_s: list[np.ndarray] = field(default_factory=list)
    n_faces: list[np.ndarray] = field(default_factory=list)
    pose: list[np.ndarray] = field(default_factory=list)
    blendshapes: list[np.ndarray] = field(default_factory=list)
    raw_signals: list[dict[str, np.ndarray]] = field(default_factory=list)
    #: per batch: (n, 2) iris diameter of the patient's left and right eye (head units)
    iris_sides: list[np.ndarray] = field(default_factory=list)
    interpupil_units: list[np.ndarray] = field(default_factory=list)
    iris_px: list[np.ndarray] = field(default_factory=list)
    outside_fraction: list[np.ndarray] = field(default_factory=list)
    #: (n, 2) int8 per batch: where the patient's (left, right) landmarks came from
    #: (codes of :data:`SOURCE_CODES`), and whether the engine said so itself.
    sources: list[np.ndarray] = field(default_factory=list)
    engine_sources: bool = False
    #: per batch: signal name -> (n,) change made by a pixel refinement of the landmarks (lid
    #: and mouth-corner edges), raw units; empty when the batch was not refined.
    refinement: list[dict[str, np.ndarray]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    blendshape_names: tuple[str, ...] = ()

    def concatenated(self) -> dict[str, Any]:
        signals = {name: np.concatenate([block[name] for block in self.raw_signals])
                   for name in self.raw_signals[0]} if self.raw_signals else {}
        def cat(parts: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros((0, *shape))
        iris_sides = cat(self.iris_sides, (2,))
        return {
            "index": cat(self.index, ()).astype(np.int64),
            "time_s": cat(self.time_s, ()),
            "n_faces": cat(self.n_faces, ()).astype(np.int16),
            "pose": cat(self.pose, (14,)),
            "blendshapes": cat(self.blendshapes, (N_BLENDSHAPES,)).astype(np.float32),
            "signals": signals,
            "iris_sides": iris_sides,
            "iris_units": iris_sides.mean(axis=1),  # both eyes
            "interpupil_units": cat(self.interpupil_units, ()),
            "iris_px": cat(self.iris_px, ()),
            "outside_fraction": cat(self.outside_fraction, ()),
            "sources": cat(self.sources, (2,)).astype(np.int8),
            "refinement": self._refinement(),
        }

    def _refinement(self) -> dict[str, np.ndarray]:
        names = sorted({name for block in self.refinement for name in block})
        sizes = [len(index) for index in self.index]
        return {name: np.concatenate([block.get(name, np.zeros(size))
                                      for block, size in zip(self.refinement, sizes)])
                for name in names}

    def extend(self, other: FrameArrays) -> None:
        for name in ("index", "time_s", "n_faces", "pose", "blendshapes", "raw_signals",
                     "iris_sides", "interpupil_units", "iris_px", "outside_fraction", "sources",
                     "refinement", "names"):
            getattr(self, name).extend(getattr(other, name))
        self.blendshape_names = self.blendshape_names or other.blendshape_names
        self.engine_sources = self.engine_sources or other.engine_sources


#: Landmarking methods: what each costs and why it exists.
METHODS = {
    "symmetric": "each frame landmarked as seen and mirrored, anatomically averaged: "
                 "mirror-equivariant, less noise; twice the inference time; "
                 "like fast, sees only 41-57 % of a one-sided eye narrowing and leaks 17-23 % "
                 "of it to the other eye (docs/one_sided.md)",
    "fast": "one landmark pass per frame (live use); the model's left/right noise remains; "
            "sees only 40-60 % of a one-sided eye narrowing and leaks 16-26 % of it (and "
            "15-31 % of a mouth-corner movement) to the other side (docs/one_sided.md)",
    "composite": "each side landmarked in its own half-face mirror composite, so the model has "
                 "no other side to copy (issue 8); two single-face inferences per frame; "
                 "sees 60-80 % of a one-sided eye narrowing, 56-104 % of a mouth-corner "
                 "movement, leak <= 8 %",
    "composite-edges": "composite, with the central lid points and the mouth corners moved "
                       "onto the edges found in the pixels (resting level kept the model's): "
                       "sees 75-115 % of a one-sided eye narrowing (102-115 % on a plain face, "
                       "75-95 % on a mascara face) and 86-122 % of a mouth-corner movement, "
                       "leak <= 9 % (docs/one_sided.md); a half covered by a hand is flagged "
                       "and left out, the other half measured (the assessment default)",
}

#: Which refinement changes which quantity: the lid edges the eye's, the corner edge the
#: mouth corner's and the fold's (drawn to the corner).
LID_REFINED = ("palpebral_fissure", "eye_area", "eye_aspect_ratio")
CORNER_REFINED = ("mouth_corner_x", "mouth_corner_y", "nasolabial_length", "nasolabial_angle")
#: Signals that a pixel refinement of the lids or mouth corners changes; their level at rest is
#: kept the model's (see :func:`_keep_rest_level`).
REFINED_SIGNALS = tuple(signal_name(quantity, side)
                        for quantity in LID_REFINED + CORNER_REFINED for side in SIDES)

#: Share of the quietest open-eye frames over which a refinement's resting level is taken (its
#: trimmed mean there is taken off every frame): wider than the rest frames (10 %), so that which
#: frames count as rest moves it less (a flipped video, or one change elsewhere in the video,
#: picks other rest frames); a synkinetic movement comes with an expression, so these frames
#: stay clear of it.
REFINEMENT_LEVEL_FRACTION = 0.3

#: The iris scale: each eye's iris is measured over the frames in which that eye is most open
#: (this share of the usable frames with a plausible iris, at least MIN_SCALE_FRAMES; else
#: over every usable frame). A recording without rest keeps an eye that narrows with the smile
#: narrowed in most frames: with its widest 30 % (session 4), WolfgangLanger's left eye narrowed
#: 1 mm with her ever-present smile still grew the scale 0.9 % (its iris read smaller) and the
#: untouched eye "narrowed" 0.10 mm; with its widest tenth 0.1 % and 0.03 mm.
OPEN_EYE_SCALE_FRACTION = 0.1
MIN_SCALE_FRAMES = 3

#: Per-frame, per-side landmark source codes (columns ``landmark_source_{side}``).
SOURCE_CODES = {name: code for code, name in SOURCE_NAMES.items()}


def _engine(mode: str, options: MeasureOptions):
    from synkinesis.landmarks.engine import RunningMode
    from synkinesis.landmarks.mediapipe_engine import MediaPipeEngine

    def make(run_mode: str = mode, max_faces: int | None = None,
             min_confidence: float | None = None, smoothing: bool = True) -> MediaPipeEngine:
        running: RunningMode = "image" if run_mode == "image" else "video"
        extra = {} if max_faces is None else {"max_faces": max_faces}
        return MediaPipeEngine(mode=running, smoothing=smoothing,
                               min_confidence=min_confidence or options.min_confidence,
                               model_path=Path(options.model_path) if options.model_path else None,
                               **extra)

    if options.method == "fast":
        return make()
    from synkinesis.landmarks.engine import MirrorAveragedEngine

    if options.method in ("composite", "composite-edges"):
        from synkinesis.landmarks.composite import COMPOSITE_MIN_CONFIDENCE, CompositeEngine

        plain = MirrorAveragedEngine(make("image"), make("image"))
        edges = options.method == "composite-edges"
        presence = max(COMPOSITE_MIN_CONFIDENCE, options.min_confidence)
        if mode == "image":  # photos: each one's midline from its own plain landmarks
            return CompositeEngine(lambda: make("image", 1, presence), plain, track=False,
                                   refine_lids=edges, refine_corners=edges)
        # Assessment measures movement: MediaPipe's own smoothing, which lags it, is off.
        return CompositeEngine(lambda: make("video", 1, presence, smoothing=False), plain,
                               refine_lids=edges,
                               refine_corners=edges)
    return MirrorAveragedEngine(make(), make())


def _canonical(options: MeasureOptions):
    from synkinesis.landmarks.model import load_canonical_face

    return load_canonical_face(Path(options.model_path) if options.model_path else None)


class _Batcher:
    """Collects engine output frame by frame and processes it a batch at a time."""

    def __init__(self, spool: LandmarkSpool, canonical, options: MeasureOptions) -> None:
        self.spool = spool
        self.canonical = canonical
        self.options = options
        self.out = FrameArrays()
        self._reset()

    def _reset(self) -> None:
        self.landmarks = np.full((BATCH, 478, 3), np.nan, dtype=np.float32)
        self.blend = np.full((BATCH, N_BLENDSHAPES), np.nan, dtype=np.float32)
        self.meta = np.zeros((BATCH, 5))  # index, time, n_faces, width, height
        self.sources = np.zeros((BATCH, 2), dtype=np.int8)  # patient's left, right
        self.model = np.full((BATCH, 478, 3), np.nan, dtype=np.float32)  # before refinement
        self.refined = np.zeros(BATCH, dtype=bool)
        self.count = 0

    def add(self, frame: Frame, faces, main: int | None) -> None:
        k = self.count
        height, width = frame.rgb.shape[:2]
        self.meta[k] = (frame.index, frame.time_s, len(faces), width, height)
        if main is not None:
            self.landmarks[k] = faces[main].landmarks_px
            if faces[main].blendshapes is not None:
                self.blend[k, : faces[main].blendshapes.shape[0]] = faces[main].blendshapes
            model = getattr(faces[main], "model_landmarks_px", None)
            if model is not None:
                self.model[k] = model
                self.refined[k] = True
            sources = getattr(faces[main], "sources", None)
            if sources is not None:
                self.out.engine_sources = True
                self.sources[k] = (sources["left"], sources["right"])
            else:
                self.sources[k] = (SOURCE_CODES["plain"], SOURCE_CODES["plain"])
        else:
            self.landmarks[k] = np.nan
            self.blend[k] = np.nan
            self.sources[k] = (SOURCE_CODES["none"], SOURCE_CODES["none"])
        self.out.names.append(frame.name)
        self.count += 1
        if self.count == BATCH:
            self.flush()

    def flush(self) -> None:
        n = self.count
        if n == 0:
            return
        landmarks = self.landmarks[:n].astype(np.float64)
        width, height = self.meta[:n, 3], self.meta[:n, 4]
        blend = self.blend[:n]
        sources = self.sources[:n].copy()
        if self.options.mirrored:
            landmarks = mirror_image_landmarks(landmarks, width[:, None])
            blend = blend[:, _BLEND_MIRROR] if len(_BLEND_MIRROR) == blend.shape[1] else blend
            sources = sources[:, ::-1].copy()
        xy = landmarks[:, :, :2]
        outside = ((xy[..., 0] < 0) | (xy[..., 0] > width[:, None])
                   | (xy[..., 1] < 0) | (xy[..., 1] > height[:, None])).mean(axis=1)
        pose = fit_head_pose(landmarks, self.canonical.vertices, self.canonical.basis_ids,
                             self.canonical.basis_weights)
        head = to_head_frame(landmarks, pose)
        self.spool.append(landmarks.astype(np.float32))
        out = self.out
        out.index.append(self.meta[:n, 0].copy())
        out.time_s.append(self.meta[:n, 1].copy())
        out.n_faces.append(self.meta[:n, 2].copy())
        out.pose.append(pose.as_array())
        out.blendshapes.append(blend.copy())
        raw = compute_signals(head, 1.0)
        out.raw_signals.append(raw)
        out.refinement.append(self._refinement(raw, pose, width))
        out.iris_sides.append(iris_diameters(head))
        out.interpupil_units.append(interpupil_distance(head))
        out.iris_px.append(iris_diameter(landmarks))
        out.outside_fraction.append(np.where(np.isfinite(xy[..., 0]).all(axis=1), outside, 0.0))
        out.sources.append(sources)
        self._reset()

    def _refinement(self, raw: dict[str, np.ndarray], pose, width: np.ndarray,
                    ) -> dict[str, np.ndarray]:
        """Change that a pixel refinement made to each refined signal (raw units), or {}."""
        n = self.count
        refined = self.refined[:n]
        if not refined.any():
            return {}
        model = np.where(refined[:, None, None], self.model[:n],
                         self.landmarks[:n]).astype(np.float64)
        if self.options.mirrored:
            model = mirror_image_landmarks(model, width[:, None])
        before = compute_signals(to_head_frame(model, pose), 1.0)
        return {name: np.nan_to_num(raw[name] - before[name])
                for name in REFINED_SIGNALS if name in raw}


# MediaPipe's blendshape order (ARKit names); mirroring swaps the Left/Right members.
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)
_BLEND_MIRROR = [BLENDSHAPE_NAMES.index(mirror_name(name)) for name in BLENDSHAPE_NAMES]


def _engine_info(engine, options: MeasureOptions) -> dict[str, Any]:
    # A video tracked without MediaPipe's own smoothing over frames (the composite methods: it
    # lags real movement) gets a centred smoothing of its signals instead (smooth_signals).
    return {"name": engine.name, "version": engine.version, "model_sha256": engine.model_sha256,
            "method": options.method, "method_meaning": METHODS[options.method],
            "smooth_signals": bool(getattr(engine, "tracks_unsmoothed", False))}


def _landmark_pass(
    frames: Iterable[Frame],
    engine,
    spool: LandmarkSpool,
    options: MeasureOptions,
    progress: Progress | None,
) -> FrameArrays:
    batcher = _Batcher(spool, _canonical(options), options)
    previous_box = None
    from synkinesis.landmarks.engine import main_face_index

    for done, frame in enumerate(frames, start=1):
        faces = engine.detect(frame.rgb, timestamp_ms=int(round(frame.time_s * 1000)))
        main = None
        if faces:
            main = main_face_index(faces, frame.rgb.shape[:2], previous_box)
            previous_box = faces[main].bounding_box() if len(faces) > 1 else None
        batcher.add(frame, faces, main)
        if progress is not None and done % 16 == 0:
            progress(16)
    batcher.flush()
    if progress is not None:
        progress(len(batcher.out.names) % 16)
    if engine.blendshape_names and tuple(engine.blendshape_names) != BLENDSHAPE_NAMES:
        raise MeasureError("the landmark engine reports unexpected blendshape names")
    return batcher.out


@dataclass(frozen=True)
class _Segment:
    """A piece of work for one process: a whole input or a range of a long video."""

    kind: str  # "video" | "images" | "camera"
    paths: tuple[str, ...]
    start: int = 0
    stop: int | None = None
    fps: float = 30.0
    duration_s: float = 0.0
    #: Quarter turns counter-clockwise that show the face upright: one for a video, one per
    #: photo (:mod:`synkinesis.landmarks.orientation`); empty = as recorded.
    turns: tuple[int, ...] = ()


def _turned(frames: Iterable[Frame], turns: tuple[int, ...]) -> Iterable[Frame]:
    """Frames turned upright (a video's one turn, or each photo's own)."""
    from synkinesis.landmarks.orientation import turn

    if not any(turns):
        return frames
    return (replace(frame, rgb=turn(frame.rgb, turns[0] if len(turns) == 1
                                    else turns[frame.index]))
            for frame in frames)


def _run_segment(segment: _Segment, options: MeasureOptions, spool_dir: str,
                 progress: Progress | None = None) -> tuple[FrameArrays, str, dict[str, Any]]:
    """Landmark one segment into its own spool file (runs in a worker process too)."""
    spool = LandmarkSpool(Path(spool_dir))
    try:
        mode = "image" if segment.kind == "images" else "video"
        with _engine(mode, options) as engine:
            if segment.kind == "video":
                frames = iter_video(Path(segment.paths[0]), fps=segment.fps, start=segment.start,
                                    stop=segment.stop)
            elif segment.kind == "camera":
                frames = iter_camera(int(segment.paths[0]), duration_s=segment.duration_s)
            else:
                frames = iter_images([Path(p) for p in segment.paths])
            arrays = _landmark_pass(_turned(frames, segment.turns), engine, spool, options,
                                    progress)
            engine_info = _engine_info(engine, options)
    except BaseException:
        spool.discard()
        raise
    spool.close()
    return arrays, str(spool.path), engine_info


def _choose_rest(time_s: np.ndarray, blendshapes: np.ndarray, usable: np.ndarray,
                 eyes_open: np.ndarray, options: MeasureOptions) -> tuple[np.ndarray, dict]:
    """Frames that define rest: the given span, else the quietest tenth of usable frames."""
    if options.rest_span_s is not None:
        start, stop = options.rest_span_s
        mask = usable & (time_s >= start) & (time_s <= stop)
        if not mask.any():
            raise InputError(f"the rest span {start}..{stop} s holds no usable frame")
        return mask, {"method": "given span", "span_s": [start, stop], "frames": int(mask.sum())}
    candidates = usable & eyes_open
    if not candidates.any():
        candidates = usable
    mask, activity = _quiet_frames(blendshapes, candidates, 0.1)
    return mask, {
        "method": "quietest 10% of usable frames (lowest blendshape activity)",
        "frames": int(mask.sum()),
        "max_activity": float(activity[mask].max()),
    }


def _quiet_frames(blendshapes: np.ndarray, candidates: np.ndarray,
                  fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``fraction`` of candidate frames with the least expression (summed blendshapes,
    gaze excluded), at least one; and the activity of every frame."""
    active = [i for i, name in enumerate(BLENDSHAPE_NAMES)
              if name != "_neutral" and not name.startswith("eyeLook")]
    activity = np.nansum(blendshapes[:, active], axis=1)
    order = np.flatnonzero(candidates)[np.argsort(activity[candidates], kind="stable")]
    count = max(1, int(round(fraction * order.size)))
    mask = np.zeros(candidates.shape, dtype=bool)
    mask[order[:count]] = True
    return mask, activity


def _finish(
    arrays: FrameArrays,
    *,
    options: MeasureOptions,
    source: dict[str, Any],
    engine_info: dict[str, Any],
    spool_paths: list[str],
    output: Path,
) -> Measurement:
    """Calibrate, flag, write the result file; raises MeasureError when nothing is measurable.

    The landmark spool files are always removed, whether or not a result is written.
    """
    try:
        return _calibrate_and_write(arrays, options=options, source=source,
                                    engine_info=engine_info, spool_paths=spool_paths,
                                    output=output)
    finally:
        for path in spool_paths:
            Path(path).unlink(missing_ok=True)


def _padded_in_time(mask: np.ndarray, time_s: np.ndarray, pad_s: float) -> np.ndarray:
    """``mask`` widened to every frame within ``pad_s`` seconds of a True frame."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any() or pad_s <= 0:
        return mask
    return mask | (distance_to_frames(time_s, mask) <= pad_s + 1e-9)


def _hidden_halves(sources: np.ndarray, time_s: np.ndarray,
                   has_face: np.ndarray) -> dict[str, np.ndarray]:
    """Per patient's side, (N,) bool: frames where that half is covered, padded by
    :data:`HIDDEN_PAD_S`. Sources columns are (left, right)."""
    codes = np.asarray(sources)
    found = {side: codes[:, column] == SOURCE_CODES["hidden"]
             for column, side in enumerate(("left", "right"))}
    # A half hidden in most of the recording is not a hand passing over it: the model scores
    # that face's half low throughout. Its frames stay measured (plain landmarks there).
    if (found["left"] | found["right"]).sum() > 0.5 * has_face.sum():
        return {side: np.zeros(codes.shape[0], dtype=bool) for side in found}
    return {side: _padded_in_time(mask, time_s, HIDDEN_PAD_S) & has_face
            for side, mask in found.items()}


def _open_eye_iris_scale(iris_sides: np.ndarray, interpupil: np.ndarray,
                         fissures: dict[str, np.ndarray], frames: np.ndarray,
                         iris_diameter_mm: float):
    """The iris :class:`Scale` from each eye's most open frames, or None when an eye has fewer
    than :data:`MIN_SCALE_FRAMES` frames with a plausible iris (12..30 % of the
    inter-pupillary distance).

    Each eye's median iris over the :data:`OPEN_EYE_SCALE_FRACTION` of frames in which its own
    fissure is widest, the two medians averaged: a narrowing of one eye (a blink, a squint,
    synkinesis) does not change which frames measure the other eye's iris, and its own iris is
    measured where the lids leave it whole.
    """
    from synkinesis.normalize import Scale

    iris_sides = np.asarray(iris_sides, dtype=float)
    interpupil = np.asarray(interpupil, dtype=float)
    medians, used = [], 0
    for column, side in enumerate(("left", "right")):
        iris, fissure = iris_sides[:, column], np.asarray(fissures[side], dtype=float)
        with np.errstate(invalid="ignore"):
            good = (np.asarray(frames, dtype=bool) & np.isfinite(iris) & np.isfinite(fissure)
                    & (iris > 0.12 * interpupil) & (iris < 0.30 * interpupil))
        count = int(round(OPEN_EYE_SCALE_FRACTION * good.sum()))
        if count < MIN_SCALE_FRAMES:
            return None
        widest = np.flatnonzero(good)[np.argsort(-fissure[good], kind="stable")[:count]]
        medians.append(float(np.median(iris[widest])))
        used += count
    measured = float(np.mean(medians))
    return Scale(iris_diameter_mm / measured, "iris", iris_diameter_mm, measured, used)


def _refined_frames(sources: np.ndarray) -> dict[str, np.ndarray]:
    """Per refined signal, (N,) bool: frames where its side's landmarks were refined in the
    pixels (lid edges for the eye signals, the corner edge for the mouth corner and fold)."""
    codes = np.asarray(sources)
    lids = (SOURCE_CODES["composite+lid-edges"], SOURCE_CODES["composite+lid-and-corner-edges"])
    corner = (SOURCE_CODES["composite+corner-edges"],
              SOURCE_CODES["composite+lid-and-corner-edges"])
    out = {}
    for column, side in enumerate(("left", "right")):
        for quantities, codes_of in ((LID_REFINED, lids), (CORNER_REFINED, corner)):
            done = np.isin(codes[:, column], codes_of)
            for quantity in quantities:
                out[signal_name(quantity, side)] = done
    return out


def _calibrate_and_write(
    arrays: FrameArrays,
    *,
    options: MeasureOptions,
    source: dict[str, Any],
    engine_info: dict[str, Any],
    spool_paths: list[str],
    output: Path,
) -> Measurement:
    data = arrays.concatenated()
    n = data["time_s"].shape[0]
    if n == 0:
        raise MeasureError(f"{source['description']}: no frame could be decoded")
    limits = options.limits
    pose = HeadPose.from_array(data["pose"])
    has_face = data["n_faces"] > 0
    if not has_face.any():
        raise MeasureError(f"{source['description']}: no face found in any of {n} frames")
    flags = np.zeros(n, dtype=np.int64)
    flags[~has_face] |= FrameFlag.NO_FACE
    flags[data["n_faces"] > 1] |= FrameFlag.MULTIPLE_FACES
    angles = pose.angles_deg()
    with np.errstate(invalid="ignore"):
        beyond = ((np.abs(angles[:, 0]) > limits.max_yaw_deg)
                  | (np.abs(angles[:, 1]) > limits.max_pitch_deg)
                  | (np.abs(angles[:, 2]) > limits.max_roll_deg))
        flags[has_face & beyond] |= FrameFlag.POSE_LIMIT
        flags[has_face & (data["outside_fraction"] > limits.max_outside_fraction)] |= (
            FrameFlag.PARTLY_OUTSIDE)
        flags[has_face & (data["iris_px"] < limits.min_iris_px)] |= FrameFlag.SMALL_FACE
    flags[fit_outliers(pose.residual, has_face & ~beyond, limits=limits)] |= FrameFlag.FIT_OUTLIER
    hidden = _hidden_halves(data["sources"], data["time_s"], has_face)
    for side, mask in hidden.items():
        flags[mask] |= HIDDEN_SIDE[side]
    flags[hidden["left"] & hidden["right"]] |= FrameFlag.HALF_HIDDEN
    usable = (flags & UNUSABLE) == 0
    # Frames with both halves seen: the scale, rest and the refinements' resting level come
    # from these only.
    seen = usable & ~hidden["left"] & ~hidden["right"]
    broad = seen if seen.any() else usable
    # Over all of those frames: the scale when too few frames measure each eye open (below).
    every_frame_scale = millimetres_per_unit(
        data["iris_units"], data["interpupil_units"], broad,
        iris_diameter_mm=options.iris_diameter_mm, interpupil_mm=options.interpupil_mm)
    if every_frame_scale is None:
        raise MeasureError(
            f"{source['description']}: no frame is usable for measurement "
            f"({_flag_summary(flag_counts(flags))})")
    definitions = _signal_definitions()
    power = {"mm": 1, "mm2": 2, "deg": 0, "ratio": 0}
    signals = dict(data["signals"])  # head-frame units until the scale is known
    for side, mask in hidden.items():  # a covered half is not measured
        signals = blank_side(signals, side, mask)
    eyes_open = np.ones(n, dtype=bool)
    open_by_side = {}
    for side in SIDES:
        # Relative to the eye's own open height: the same in units as in mm.
        closed, blink = eye_closure_flags(signals[signal_name("palpebral_fissure", side)],
                                          data["time_s"], usable, limits=limits)
        upper = side.upper()
        flags[closed] |= FrameFlag[f"EYE_CLOSED_{upper}"]
        flags[blink] |= FrameFlag[f"BLINK_{upper}"]
        eyes_open &= ~closed
        open_by_side[side] = usable & ~closed
    flags[partial_blinks(signals[signal_name("palpebral_fissure", "left")],
                         signals[signal_name("palpebral_fissure", "right")], data["time_s"],
                         usable, limits=limits)] |= FrameFlag.BLINK_LEFT | FrameFlag.BLINK_RIGHT
    # The iris scale from each eye's most open frames: the lids cover part of the iris in an
    # expression and its landmarks then read it smaller (a one-sided eye narrowing with the
    # smile shrank single_face's scale 2.6 %, and every signal of both sides with it).
    scale = _open_eye_iris_scale(
        data["iris_sides"], data["interpupil_units"],
        {side: signals[signal_name("palpebral_fissure", side)] for side in SIDES}, broad,
        options.iris_diameter_mm)
    scale_frames = (f"each eye's most open {OPEN_EYE_SCALE_FRACTION:.0%} of usable frames "
                    "(the lids cover part of the iris in expressions)")
    if scale is None:
        scale, scale_frames = every_frame_scale, "all usable frames"
    signals = {name: values * scale.mm_per_unit ** power.get(_unit(name), 1)
               for name, values in signals.items()}
    signals = anchor_brow_to_pupil(signals, open_by_side)
    rest_mask, rest_info = _choose_rest(data["time_s"], data["blendshapes"], broad, eyes_open,
                                        options)
    level_frames = (rest_mask if options.rest_span_s is not None or not (seen & eyes_open).any()
                    else _quiet_frames(data["blendshapes"], seen & eyes_open,
                                       REFINEMENT_LEVEL_FRACTION)[0])
    given_levels = dict(options.refinement_levels or ())
    signals, rest_level = _keep_rest_level(signals, data["refinement"], level_frames,
                                           scale.mm_per_unit, power,
                                           _refined_frames(data["sources"]), given=given_levels)
    given_names = sorted(given_levels.keys() & rest_level.keys())
    smoothed = bool(engine_info.get("smooth_signals"))
    if smoothed:
        signals = smooth_signals(signals, data["time_s"], usable)
    rest = rest_reference(signals, rest_mask)
    signals = add_rest_excursions(signals, rest)
    for name in signals:  # unusable frames carry no measurement
        signals[name] = np.where(usable, signals[name], np.nan)
    frames: dict[str, np.ndarray] = {
        "frame": data["index"],
        "time_s": data["time_s"],
        "source": np.array(arrays.names, dtype=object) if any(arrays.names) else None,
        "flags": flags,
        "n_faces": data["n_faces"],
        **{name: signals[name].astype(np.float32) for name in signals},
    }
    if arrays.engine_sources:
        for column, name in enumerate(("landmark_source_left", "landmark_source_right")):
            frames[name] = data["sources"][:, column]
    frames = {k: v for k, v in frames.items() if v is not None}
    counts = flag_counts(flags)
    manifest: dict[str, Any] = {
        "package": {"name": "synkinesis", "version": __version__},
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": engine_info,
        "source": source,
        "options": _options_dict(options),
        "frames": {"count": n, "usable": int(usable.sum()), "with_face": int(has_face.sum())},
        "scale": {**asdict(scale), "frames": scale_frames},
        "rest": {**rest_info, "reference": rest},
        **({"signal_smoothing": {
            "method": "Savitzky-Golay, quadratic, centred, within runs of usable frames",
            "half_width_s": SIGNAL_SMOOTHING_HALF_S,
            "meaning": "the landmark model's own smoothing over frames is off for this method "
                       "(it lags real movement); the signals are smoothed here instead, "
                       "without delay"}}
           if smoothed else {}),
        **({"refinement_rest_offsets": {
            "meaning": "mean change (20 % trimmed) the pixel refinement (lid and mouth-corner "
                       "edges) made to each signal in the quietest 30 % of open-eye frames "
                       "(or the given rest span), taken off every frame: the refinement "
                       "measures movement, the landmark model the resting level (lashes, for "
                       "one, bias the lid edges differently per eye); 'given' names the "
                       "signals whose offset was given instead (MeasureOptions."
                       "refinement_levels: from a neutral recording of the same face)",
            "values": rest_level,
            **({"given": given_names} if given_names else {})}} if rest_level else {}),
        "signals": [asdict(d) for d in definitions],
        "flags": {flag.name: {"bit": int(flag), "meaning": FLAG_DESCRIPTIONS[flag.name]}
                  for flag in FrameFlag if flag.name},
        "unusable_flags": [flag.name for flag in FrameFlag if flag & UNUSABLE],
        "flag_counts": counts,
        "blendshape_names": list(BLENDSHAPE_NAMES),
        **({"landmark_sources": {
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
            "counts": {side: {name: int((data["sources"][:, column] == code).sum())
                              for name, code in SOURCE_CODES.items()}
                       for column, side in enumerate(("left", "right"))},
        }} if arrays.engine_sources else {}),
        "pose_columns": ["scale", *[f"r{i}{j}" for i in range(3) for j in range(3)],
                         "tx", "ty", "tz", "residual"],
        "landmarks": {"shape": [n, 478, 3],
                      "units": "image pixels (x right, y down, z depth) of the frames as "
                               "landmarked: turned upright first when source.orientation "
                               "says so",
                      "side_convention": "MediaPipe indices; left = the patient's left",
                      "mirrored_input_corrected": options.mirrored},
        "platform": {"python": platform.python_version(), "machine": platform.machine()},
    }
    spool_path = _merge_spools(spool_paths, output.parent)
    try:
        write_measurement(output, manifest=manifest, frames=frames, pose=data["pose"],
                          blendshapes=data["blendshapes"], landmark_spool=spool_path,
                          n_frames=n)
    finally:
        spool_path.unlink(missing_ok=True)
    return read_measurement(output)


#: Half-width of that smoothing, seconds (5 frames at 24 fps, 7 at 30, 13 at 60).
SIGNAL_SMOOTHING_HALF_S = 0.1


def smooth_signals(signals: dict[str, np.ndarray], time_s: np.ndarray, usable: np.ndarray,
                   ) -> dict[str, np.ndarray]:
    """Centred Savitzky-Golay smoothing (quadratic) of every signal, within runs of usable
    frames: for videos tracked without MediaPipe's own smoothing over frames (its one-euro
    filter lags real movement: :class:`synkinesis.landmarks.mediapipe_engine.MediaPipeEngine`).

    Centred, so it does not delay a movement, and quadratic, so it keeps a movement's height
    (a blink is flagged from the raw signals before this). Each run of usable frames is smoothed
    on its own; runs shorter than the window are left as they are.
    """
    from scipy.signal import savgol_filter

    t = np.asarray(time_s, dtype=float)
    if t.size < 3:
        return signals
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
                smoothed[start:stop] = savgol_filter(values[start:stop], window, 2)
        out[name] = smoothed
    return out


def _keep_rest_level(signals: dict[str, np.ndarray], refinement: dict[str, np.ndarray],
                     rest_mask: np.ndarray, mm_per_unit: float, power: dict[str, int],
                     refined: dict[str, np.ndarray] | None = None,
                     given: dict[str, float] | None = None,
                     ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Take each refined signal's resting refinement (20 % trimmed mean over ``rest_mask``) off
    every frame in which it was refined.

    Pixel lid edges follow lid movement the model misses, but their absolute position includes
    the lashes, which differ between the eyes: a healthy face read one eye 1.4 mm narrower at
    rest with them (docs/one_sided.md); a mouth-corner edge lies 0.2..2.6 mm from the model's
    corner depending on the side. Keeping the model's level at rest and the refinement's
    movement from it removes that bias without touching what the refinement adds.

    A trimmed mean rather than a median: where a refinement sometimes takes one edge and
    sometimes another, a median jumps between them when a few frames enter or leave the set
    (a flipped video differed by 0.21 mm; trimmed mean: 0.11 mm).

    ``refined``: per signal, (N,) bool, the frames its refinement was made in (all frames when
    not given). A frame without it (the first, a re-acquired face, the seen side beside a
    covered half) is the model's own and keeps its value: taking the offset off there too would
    shift it by the lashes' bias (0.96 mm on WolfgangLanger's left eye).

    ``given``: offsets (each in its signal's unit) to take off instead of the ones over
    ``rest_mask`` (:attr:`MeasureOptions.refinement_levels`); signals not in it get their own.

    Returns the corrected signals and the offsets taken off (signal name -> value).
    """
    from scipy.stats import trim_mean

    out, offsets = dict(signals), {}
    for name, change in refinement.items():
        if name not in out:
            continue
        change = change * mm_per_unit ** power.get(_unit(name), 1)
        done = (np.ones(change.shape, dtype=bool) if refined is None or name not in refined
                else np.asarray(refined[name], dtype=bool))
        if given is not None and name in given:
            offset = float(given[name])
        else:
            at_rest = rest_mask & done & np.isfinite(change) & np.isfinite(out[name])
            if not at_rest.any():
                continue
            offset = float(trim_mean(change[at_rest], 0.2))
        out[name] = np.where(done, out[name] - offset, out[name])
        offsets[name] = round(offset, 4)
    return out, offsets


def _unit(column: str) -> str:
    """Unit suffix of a signal column name (mm, mm2, deg, ratio)."""
    return column.rsplit("_", 1)[-1] if not column.startswith("_") else "mm"


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


def _options_dict(options: MeasureOptions) -> dict[str, Any]:
    out = asdict(options)
    out["limits"] = asdict(options.limits)
    if options.refinement_levels is not None:
        out["refinement_levels"] = dict(options.refinement_levels)
    return out


def _flag_summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count) or "none"


def prepare_output(output: Path) -> Path:
    """Make the output's folder (private, 0700, if it is new) and check that a file can be
    written there, before any frame is landmarked.

    Raises
    ------
    OSError
        Naming ``output``: its folder cannot be made or written (read-only, a file where a
        folder should be, no space).
    """
    from synkinesis.files import make_private_dir

    output = Path(output)
    try:
        make_private_dir(output.parent)
        with tempfile.TemporaryFile(dir=output.parent):
            pass
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(output)) from None
    return output


def output_path_for(input_path: Path, output: Path | None, *, many: bool) -> Path:
    """Where the result of one input goes: OUT itself, or OUT/<input stem>.synk."""
    if output is None:
        return input_path.with_suffix(SUFFIX)
    if many or output.is_dir() or output.suffix == "":
        return output / (input_path.stem + SUFFIX)
    return output


def file_sha256(path: Path) -> str:
    """The sha256 of a file's content, read in blocks (memory does not grow with its size)."""
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def describe_files(paths: list[Path], *, keep_paths: bool) -> dict[str, Any]:
    """What a result stores about its input files: their names (full paths only with
    ``keep_paths``) and content sha256, which identifies a file wherever it is moved or
    whatever it is renamed to, without a folder name that may carry a user's or patient's
    name."""
    return {"files": [str(p) if keep_paths else Path(p).name for p in paths],
            "sha256": [file_sha256(Path(p)) for p in paths]}


def measure_video(
    path: Path,
    output: Path,
    *,
    options: MeasureOptions = MeasureOptions(),
    workers: int = 1,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> Measurement:
    """Measure one video file into a result file.

    With ``workers > 1`` the video is cut into that many consecutive chunks landmarked in
    parallel processes (tracking restarts at each cut); results are merged in frame order.
    """
    options.validate()
    info = probe_video(Path(path))
    if on_total is not None:
        on_total(info.frame_count)
    prepare_output(output)
    video = info.as_dict()
    if not options.keep_paths:
        video["path"] = Path(path).name
    source = {"kind": "video", "description": Path(path).name,
              **describe_files([Path(path)], keep_paths=options.keep_paths), "video": video}
    turns: tuple[int, ...] = ()
    if options.auto_orient:
        orientation = video_orientation(Path(path), info, options)
        source["orientation"] = orientation.as_dict()
        turns = (orientation.turns,)
    if workers <= 1 or info.frame_count < 2 * BATCH * workers:
        arrays, spool, engine_info = _run_segment(
            _Segment("video", (str(path),), fps=info.fps, turns=turns), options,
            str(output.parent), progress)
        spools = [spool]
    else:
        bounds = np.linspace(0, info.frame_count, workers + 1).astype(int)
        segments = [_Segment("video", (str(path),), int(a), int(b) if i < workers - 1 else None,
                             info.fps, turns=turns)
                    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
        results = _run_parallel(segments, options, output.parent, workers, progress,
                                sizes=[b - a for a, b in zip(bounds[:-1], bounds[1:])])
        arrays = FrameArrays()
        for part, _, _ in results:
            arrays.extend(part)
        engine_info, spools = results[0][2], [r[1] for r in results]
    try:
        truncated = truncation(Path(path), info, sum(len(i) for i in arrays.index))
        if truncated is not None:
            if not options.allow_truncated:
                raise InputError(
                    f"{Path(path).name}: only {truncated['decoded_frames']} of the "
                    f"{truncated['declared_frames']} frames its container declares could be "
                    f"decoded ({truncated['decoded_s']:.1f} of {truncated['declared_s']:.1f} "
                    "s): the file is truncated or damaged (an interrupted copy or recording?); "
                    "copy or export it again (synk measure --allow-truncated measures the part "
                    "that decodes)")
            source["truncated"] = truncated
    except BaseException:
        for spool_path in spools:
            Path(spool_path).unlink(missing_ok=True)
        raise
    return _finish(arrays, options=options, source=source, engine_info=engine_info,
                   spool_paths=spools, output=output)


def video_orientation(path: Path, info, options: MeasureOptions):
    """Which way up the face is in a video (:class:`synkinesis.landmarks.orientation.
    Orientation`), from frames sampled over it."""
    from synkinesis.landmarks.orientation import FaceOrientation, sample_video_frames

    frames = sample_video_frames(Path(path), info.frame_count)
    with FaceOrientation(Path(options.model_path) if options.model_path else None) as faces:
        return faces.orientation(frames)


def photo_orientations(paths: list[Path], options: MeasureOptions) -> tuple[int, ...]:
    """Quarter turns counter-clockwise that show each photo's face upright."""
    from synkinesis.landmarks.orientation import FaceOrientation
    from synkinesis.landmarks.sources import read_image

    with FaceOrientation(Path(options.model_path) if options.model_path else None) as faces:
        return tuple(faces.orientation([read_image(path)[0]]).turns for path in paths)


#: A video is truncated when fewer than this share of the frames its container declares
#: decode, and they end before this share of its declared duration. Intact files decode
#: what they declare (the shared mp4, mkv, webm and y4m videos exactly; no_face.mp4 95 of 98,
#: an MJPEG avi 72 of 73); a variable-frame-rate mkv, whose count the decoder estimates from
#: duration x rate, decoded 72 of an estimated 143 frames but over 99 % of its duration,
#: hence the second test. A file cut short by a tenth has lost a task of the protocol.
MIN_DECODED_FRACTION = 0.9


def truncation(path: Path, info, decoded_frames: int) -> dict[str, Any] | None:
    """None for a video that decoded (nearly) as far as its container declares; else what
    was decoded against what was declared (frames and seconds).

    ``info`` is its :class:`synkinesis.landmarks.sources.VideoInfo`; ``decoded_frames`` the
    frames the landmark pass decoded."""
    from synkinesis.landmarks.sources import decoded_extent

    declared = int(info.frame_count)
    if decoded_frames >= MIN_DECODED_FRACTION * declared:
        return None
    declared_s = declared / info.fps
    _, last_s = decoded_extent(Path(path))
    decoded_s = last_s + 1.0 / info.fps  # the last frame lasts one frame interval
    if decoded_s >= MIN_DECODED_FRACTION * declared_s:  # variable frame rate, not missing
        return None
    return {"decoded_frames": int(decoded_frames), "declared_frames": declared,
            "decoded_s": round(decoded_s, 3), "declared_s": round(declared_s, 3),
            "meaning": "the video decodes only this far of what its container declares (a "
                       "truncated or damaged file); it was measured anyway on request "
                       "(allow_truncated), and the rest of the recording is not in this "
                       "result"}


def _run_parallel(segments, options, directory: Path, workers: int, progress, *, sizes):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    results: list = [None] * len(segments)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_run_segment, segment, options, str(directory)): i
                   for i, segment in enumerate(segments)}
        try:
            from concurrent.futures import as_completed

            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                if progress is not None:
                    progress(sizes[index])
        except BaseException:
            for done in results:
                if done is not None:
                    Path(done[1]).unlink(missing_ok=True)
            raise
    return results


def measure_images(
    paths: list[Path],
    output: Path,
    *,
    options: MeasureOptions = MeasureOptions(),
    progress: Progress | None = None,
) -> Measurement:
    """Measure a set of photos of one patient (one frame per photo, IMAGE mode)."""
    options.validate()
    prepare_output(output)
    source = {"kind": "images", "description": ", ".join(p.name for p in paths[:5])
              + (" ..." if len(paths) > 5 else ""),
              **describe_files(list(paths), keep_paths=options.keep_paths)}
    turns: tuple[int, ...] = ()
    if options.auto_orient:
        turns = photo_orientations(list(paths), options)
        source["orientation"] = {
            "turned_ccw_deg": [90 * k for k in turns],
            "meaning": "each photo was turned this far counter-clockwise before landmarking, "
                       "so that its face is upright (the face detector scored that turn "
                       "highest); landmarks are in the pixels of the turned photo"}
    arrays, spool, engine_info = _run_segment(
        _Segment("images", tuple(str(p) for p in paths), turns=turns), options,
        str(output.parent), progress)
    return _finish(arrays, options=options, source=source, engine_info=engine_info,
                   spool_paths=[spool], output=output)


def measure_frames(
    frames: Iterable[Frame],
    output: Path,
    *,
    source: dict[str, Any],
    options: MeasureOptions = MeasureOptions(),
    mode: str = "video",
    progress: Progress | None = None,
) -> Measurement:
    """Measure frames that are already decoded (a browser stream, a benchmark, a test).

    ``mode`` is "video" (tracking; frames in time order) or "image" (independent photos).
    """
    options.validate()
    prepare_output(output)
    spool = LandmarkSpool(output.parent)
    try:
        with _engine(mode, options) as engine:
            arrays = _landmark_pass(frames, engine, spool, options, progress)
            engine_info = _engine_info(engine, options)
    except BaseException:
        spool.discard()
        raise
    spool.close()
    return _finish(arrays, options=options, source=source, engine_info=engine_info,
                   spool_paths=[str(spool.path)], output=output)


def measure_camera(
    device: int,
    output: Path,
    *,
    duration_s: float,
    options: MeasureOptions = MeasureOptions(),
    progress: Progress | None = None,
) -> Measurement:
    """Measure ``duration_s`` seconds from a camera (VIDEO mode, tracking)."""
    options.validate()
    prepare_output(output)
    source = {"kind": "camera", "description": f"camera {device}", "files": [],
              "device": device, "duration_s": duration_s}
    arrays, spool, engine_info = _run_segment(
        _Segment("camera", (str(device),), duration_s=duration_s), options, str(output.parent),
        progress)
    return _finish(arrays, options=options, source=source, engine_info=engine_info,
                   spool_paths=[spool], output=output)


def measurement_from_landmarks(
    landmarks_px: np.ndarray,
    time_s: np.ndarray,
    output: Path,
    *,
    frame_size: tuple[int, int],
    source: dict[str, Any],
    engine_info: dict[str, Any],
    blendshapes: np.ndarray | None = None,
    options: MeasureOptions = MeasureOptions(),
) -> Measurement:
    """Write a result file from landmark series that did not come from a camera (e.g. the
    simulator), through exactly the same normalisation, signals, flags and format.

    Parameters
    ----------
    landmarks_px : (N, 478, 3) array, image pixels (x right, y down, z away), NaN = no face
    time_s : (N,) array, seconds
    frame_size : (height, width) of the notional image, pixels
    source : dict describing the origin (needs a "description" string)
    engine_info : dict with "name", "version", "model_sha256" (may be None)
    blendshapes : (N, 52) array in :data:`BLENDSHAPE_NAMES` order, or None (NaN)
    """
    options.validate()
    landmarks_px = np.asarray(landmarks_px, dtype=np.float32)
    n = landmarks_px.shape[0]
    if landmarks_px.shape[1:] != (478, 3) or np.asarray(time_s).shape != (n,):
        raise InputError("landmarks must be (N, 478, 3) with one time per frame")
    prepare_output(output)
    height, width = frame_size
    rgb = np.zeros((height, width, 3), dtype=np.uint8)  # shape only; never read
    from synkinesis.landmarks.engine import FaceObservation

    spool = LandmarkSpool(output.parent)
    try:
        batcher = _Batcher(spool, _canonical(options), options)
        for i in range(n):
            face = None
            if np.isfinite(landmarks_px[i]).all():
                face = FaceObservation(landmarks_px=landmarks_px[i],
                                       blendshapes=None if blendshapes is None
                                       else np.asarray(blendshapes[i], dtype=np.float32))
            batcher.add(Frame(index=i, time_s=float(time_s[i]), rgb=rgb),
                        [face] if face is not None else [], 0 if face is not None else None)
        batcher.flush()
    except BaseException:
        spool.discard()
        raise
    spool.close()
    return _finish(batcher.out, options=options, source=source, engine_info=engine_info,
                   spool_paths=[str(spool.path)], output=output)


def measure_job(item: tuple[str, str, str], options: MeasureOptions) -> str:
    """One whole input in a worker process: ('video'|'images', input(s), output) -> output."""
    kind, inputs, output = item
    if kind == "video":
        measure_video(Path(inputs), Path(output), options=options)
    else:
        measure_images([Path(p) for p in inputs.split(os.pathsep)], Path(output), options=options)
    return output


def plan_outputs(inputs: list[Path], output: Path | None) -> list[tuple[str, str, Path]]:
    """(kind, input(s), output path) for each result ``synk measure`` will write.

    Each video gives one result; all photos together give one photo-set result.
    """
    videos, images = expand_inputs(inputs)
    many = len(videos) + (1 if images else 0) > 1
    jobs: list[tuple[str, str, Path]] = []
    for video in videos:
        jobs.append(("video", str(video), output_path_for(video, output, many=many)))
    if images:
        base = images[0] if len(images) == 1 else images[0].parent / "photos"
        jobs.append(("images", os.pathsep.join(map(str, images)),
                     output_path_for(base, output, many=many)))
    # Two inputs with the same name (from different folders) must not overwrite each other.
    seen: set[Path] = set()
    unique = []
    for kind, source, path in jobs:
        candidate, number = path, 2
        while candidate in seen:
            candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
            number += 1
        seen.add(candidate)
        unique.append((kind, source, candidate))
    return unique


def summarise(measurement: Measurement) -> dict[str, Any]:
    """Figures a clinician reads first: frames, scale, rest values per side, movement ranges."""
    manifest = measurement.manifest
    signals = measurement.signals()
    rows = []
    for quantity in ("brow_height", "palpebral_fissure", "nasolabial_length", "mouth_corner_y",
                     "mouth_corner_excursion", "chin_height"):
        row: dict[str, Any] = {"signal": quantity}
        for side in SIDES:
            name = signal_name(quantity, side)
            values = signals[name]
            finite = values[np.isfinite(values)]
            row[f"rest_{side}"] = manifest["rest"]["reference"].get(name)
            row[f"range_{side}"] = (float(np.percentile(finite, 95) - np.percentile(finite, 5))
                                    if finite.size else float("nan"))
        rows.append(row)
    return {
        "frames": manifest["frames"],
        "scale": manifest["scale"],
        "flag_counts": {k: v for k, v in manifest["flag_counts"].items() if v},
        "interpupil_mm": float(np.nanmedian(signals["interpupil_mm"])),
        "rest": manifest["rest"],
        "rows": rows,
    }
