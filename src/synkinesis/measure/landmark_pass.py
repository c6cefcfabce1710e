"""The landmark pass: frames -> raw landmarks (to a spool file), head pose, raw signals in
head-frame units, landmark sources and blendshapes, before any calibration.

The per-frame loop only runs the landmark engine and copies its output into a small batch; pose
fitting and signals are computed on whole batches with NumPy, and landmarks go to a spool file,
so the cost per frame stays small and memory stays flat however long the video is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis.landmarks.read_ahead import read_ahead
from synkinesis.landmarks.sources import Frame, iter_camera, iter_images, iter_video
from synkinesis.measure.engines import canonical_face, engine_info, make_engine
from synkinesis.measure.options import (
    BLENDSHAPE_NAMES,
    CHIN_REFINED_SIGNALS,
    LID_REFINED_SIGNALS,
    N_BLENDSHAPES,
    REFINED_SIGNALS,
    SOURCE_CODES,
    MeasureError,
    MeasureOptions,
    chin_texture_key,
    upper_lid_share,
)
from synkinesis.measure.result_file import LandmarkSpool
from synkinesis.normalize import (
    fit_head_pose,
    interpupil_distance,
    iris_diameter,
    iris_diameters,
    mirror_image_landmarks,
    to_head_frame,
)
from synkinesis.regions import SIDE_LANDMARKS, mirror_name
from synkinesis.signals import compute_signals

Progress = Callable[[int], None]
BATCH = 64
_BLEND_MIRROR = [BLENDSHAPE_NAMES.index(mirror_name(name)) for name in BLENDSHAPE_NAMES]


@dataclass(frozen=True)
class PassArrays:
    """The landmark pass over a whole recording (N frames), before calibration.

    Attributes
    ----------
    index : (N,) int64, frame numbers
    time_s : (N,) float, seconds
    n_faces : (N,) int16, faces found
    pose : (N, 14) float, head pose (:class:`synkinesis.normalize.HeadPose`)
    blendshapes : (N, 52) float32, in :data:`BLENDSHAPE_NAMES` order, NaN without a face
    signals : signal name -> (N,) raw signals in head-frame units (patient's sides)
    iris_sides : (N, 2) iris diameter of the patient's (left, right) eye, head-frame units
    interpupil_units : (N,) inter-pupillary distance, head-frame units
    iris_px : (N,) iris diameter, image pixels
    outside_fraction : (N,) share of landmarks outside the image
    sources : (N, 2) int8, :data:`SOURCE_CODES` of the patient's (left, right) landmarks
    refinement : refined signal name -> (N,) change a pixel refinement made, head-frame units
    names : (N,) source file name per frame ("" for a video)
    engine_sources : whether the engine reported the sources itself
    """

    index: np.ndarray
    time_s: np.ndarray
    n_faces: np.ndarray
    pose: np.ndarray
    blendshapes: np.ndarray
    signals: dict[str, np.ndarray]
    iris_sides: np.ndarray
    interpupil_units: np.ndarray
    iris_px: np.ndarray
    outside_fraction: np.ndarray
    sources: np.ndarray
    refinement: dict[str, np.ndarray]
    names: list[str]
    engine_sources: bool

    @property
    def iris_units(self) -> np.ndarray:
        """(N,) iris diameter of both eyes (their mean), head-frame units."""
        return self.iris_sides.mean(axis=1)


@dataclass
class FrameArrays:
    """Per-frame results of the landmark pass, batch by batch (small, no landmarks)."""

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

    def concatenated(self) -> PassArrays:
        signals = {name: np.concatenate([block[name] for block in self.raw_signals])
                   for name in self.raw_signals[0]} if self.raw_signals else {}

        def cat(parts: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros((0, *shape))

        return PassArrays(
            index=cat(self.index, ()).astype(np.int64),
            time_s=cat(self.time_s, ()),
            n_faces=cat(self.n_faces, ()).astype(np.int16),
            pose=cat(self.pose, (14,)),
            blendshapes=cat(self.blendshapes, (N_BLENDSHAPES,)).astype(np.float32),
            signals=signals,
            iris_sides=cat(self.iris_sides, (2,)),
            interpupil_units=cat(self.interpupil_units, ()),
            iris_px=cat(self.iris_px, ()),
            outside_fraction=cat(self.outside_fraction, ()),
            sources=cat(self.sources, (2,)).astype(np.int8),
            refinement=self._refinement(),
            names=list(self.names),
            engine_sources=self.engine_sources,
        )

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


class Batcher:
    """Collects engine output frame by frame and processes it a batch at a time.

    ``blend``: the engine's blendshape model (``blend(landmarks) -> (52,)``), for an engine
    whose blendshapes were left to the caller (:func:`landmark_pass`): run on each batch's
    main faces when the batch is processed."""

    def __init__(self, spool: LandmarkSpool, canonical, options: MeasureOptions, *,
                 blend: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.spool = spool
        self.canonical = canonical
        self.options = options
        self._blend_model = blend
        self.out = FrameArrays()
        self._reset()

    def _reset(self) -> None:
        self.landmarks = np.full((BATCH, 478, 3), np.nan, dtype=np.float32)
        self.blend = np.full((BATCH, N_BLENDSHAPES), np.nan, dtype=np.float32)
        self.meta = np.zeros((BATCH, 5))  # index, time, n_faces, width, height
        self.sources = np.zeros((BATCH, 2), dtype=np.int8)  # patient's left, right
        self.model = np.full((BATCH, 478, 3), np.nan, dtype=np.float32)  # before refinement
        self.refined = np.zeros(BATCH, dtype=bool)
        self.chin_texture = np.full((BATCH, 2), np.nan)  # patient's left, right
        self.unblended = np.zeros(BATCH, dtype=bool)  # main face without its blendshapes yet
        self.count = 0

    def add(self, frame: Frame, faces, main: int | None) -> None:
        k = self.count
        height, width = frame.rgb.shape[:2]
        self.meta[k] = (frame.index, frame.time_s, len(faces), width, height)
        if main is not None:
            self.landmarks[k] = faces[main].landmarks_px
            if faces[main].blendshapes is not None:
                self.blend[k, : faces[main].blendshapes.shape[0]] = faces[main].blendshapes
            elif self._blend_model is not None:
                self.unblended[k] = True
            model = getattr(faces[main], "model_landmarks_px", None)
            if model is not None:
                self.model[k] = model
                self.refined[k] = True
            chin = getattr(faces[main], "chin_texture", None)
            if chin is not None:
                self.chin_texture[k] = (chin.get("left", np.nan), chin.get("right", np.nan))
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
        for k in np.flatnonzero(self.unblended[:n]):
            blend = self._blend_model(self.landmarks[k])  # type: ignore[misc]
            self.blend[k, : blend.shape[0]] = blend
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
        out = {name: np.nan_to_num(raw[name] - before[name])
               for name in REFINED_SIGNALS if name in raw
               and (self.options.chin_texture or name not in CHIN_REFINED_SIGNALS)}
        if self.options.chin_texture:
            # each chin pad's fine texture per frame (the pipeline keeps a side's refinement
            # only where the recording's median has enough of it)
            texture = self.chin_texture[:n]
            if self.options.mirrored:
                texture = texture[:, ::-1]
            for column, name in enumerate(CHIN_REFINED_SIGNALS):
                out[chin_texture_key(name)] = texture[:, column].copy()
        # The upper lids' share of the eye signals' refinement (issue 18: the lower lids' edges
        # carry a face's per-eye bias, a skin fold under the lid): the signals once more with
        # only the lower lids refined.
        lower = [i for side in SIDE_LANDMARKS.values() for i in side.lower_lid]
        lower_only = np.where(refined[:, None, None], self.model[:n],
                              self.landmarks[:n]).astype(np.float64)
        lower_only[:, lower] = self.landmarks[:n, lower]
        if self.options.mirrored:
            lower_only = mirror_image_landmarks(lower_only, width[:, None])
        partial = compute_signals(to_head_frame(lower_only, pose), 1.0)
        out.update({upper_lid_share(name): np.nan_to_num(raw[name] - partial[name])
                    for name in LID_REFINED_SIGNALS if name in raw})
        return out


def landmark_pass(
    frames: Iterable[Frame],
    engine,
    spool: LandmarkSpool,
    options: MeasureOptions,
    progress: Progress | None = None,
    *,
    keep_from: int = 0,
) -> FrameArrays:
    """Run ``engine`` over ``frames`` (the main face of each), landmarks into ``spool``.

    Frames numbered below ``keep_from`` only warm the engine up (its tracking, smoothing and
    refinement state, see :data:`CHUNK_WARMUP`); nothing of them is kept.

    An engine that can leave its blendshapes to the caller (``blendshapes_deferrable``: the
    litert engine of ``--method fast``) does so: they are computed for the kept main faces a
    batch at a time, the same numbers (the model reads only the landmarks), but the landmark
    network then runs 64 frames in a row without the blendshape network between its calls
    evicting it from the processor's caches (0.1-0.15 ms less per frame, measured on one
    core), and not for faces that are not kept."""
    defer = (getattr(engine, "blendshapes_deferrable", False)
             and not getattr(engine, "defer_blendshapes", True))
    batcher = Batcher(spool, canonical_face(options), options,
                      blend=engine.blend if defer else None)
    if defer:
        engine.defer_blendshapes = True
    try:
        return _landmark_frames(frames, engine, batcher, progress, keep_from)
    finally:
        if defer:
            engine.defer_blendshapes = False


def _landmark_frames(frames: Iterable[Frame], engine, batcher: Batcher,
                     progress: Progress | None, keep_from: int) -> FrameArrays:
    previous_box = None
    from synkinesis.landmarks.engine import main_face_index

    done = 0
    for frame in frames:
        faces = engine.detect(frame.rgb, timestamp_ms=int(round(frame.time_s * 1000)))
        main = None
        if faces:
            main = main_face_index(faces, frame.rgb.shape[:2], previous_box)
            previous_box = faces[main].bounding_box() if len(faces) > 1 else None
        if frame.index >= keep_from:
            batcher.add(frame, faces, main)
            done += 1
            if progress is not None and done % 16 == 0:
                progress(16)
        # Let go of the frame before the next one is decoded: a frame still held then keeps
        # the allocator from reusing its memory for the next, which it then takes afresh from
        # the system (a page fault per 4 KB: 0.3 ms of CPU per 1920x1080 frame, measured
        # with decoding on this thread, issue 23).
        del frame
    batcher.flush()
    if progress is not None:
        progress(len(batcher.out.names) % 16)
    if engine.blendshape_names and tuple(engine.blendshape_names) != BLENDSHAPE_NAMES:
        raise MeasureError("the landmark engine reports unexpected blendshape names")
    return batcher.out


#: Frames landmarked before a chunk of a video (and then dropped), so that the engine's state
#: at the chunk's first frame is the one a single pass has there: MediaPipe's tracking (each
#: frame's face region from the previous landmarks) and its one-euro smoothing. With these
#: frames the chunks of WolfgangLanger_Pexels.mp4 give one pass's result exactly (every column,
#: methods fast and symmetric; tests/test_measure_real.py); without them the frames after the
#: cut differed by up to 1.24 mm.
CHUNK_WARMUP = 64

#: Methods whose engine forgets where it started within :data:`CHUNK_WARMUP` frames, exactly,
#: so that a video may be cut into chunks. The half-face composites are not among them: their
#: midline follows the previous frame's landmarks, and the composite images resampled from it
#: feed the next landmarks, a loop that stays on a slightly different path after a restart.
#: Measured on WolfgangLanger_Pexels.mp4 (composite-edges, cut at frame 236, 64 frames of
#: warm-up): median 0.04 mm but 99th percentile 0.64 mm and up to 5.7 mm^2 of eye area 160
#: frames after the cut, and 116 cells measured in one and not the other. Those methods measure
#: a video in one pass (their two half-face landmarkers already run side by side).
CHUNKABLE_METHODS = ("fast", "symmetric")

#: Engines whose tracking forgets where it started within :data:`CHUNK_WARMUP` frames, exactly.
#: Not litert's loop: each frame's face region comes from the previous frame's landmarks with
#: nothing that snaps it back (no smoothing state to settle either), and after a restart it
#: stays on a slightly different path. Measured on WolfgangLanger_Pexels.mp4 (--method fast,
#: cut at frame 236, 64 frames of warm-up): every frame after the cut 0.06-0.34 px apart (the
#: largest landmark difference per frame), none the same again; the Tasks API: none apart.
#: With litert a video is measured in one pass whatever ``workers`` says.
CHUNKABLE_ENGINES = ("mediapipe-tasks",)


@dataclass(frozen=True)
class Segment:
    """A piece of work for one process: a whole input or a range of a long video.

    A video chunk starting after frame 0 is decoded from ``start - warmup`` on; the warm-up
    frames are landmarked and dropped (:data:`CHUNK_WARMUP`)."""

    kind: str  # "video" | "images" | "camera"
    paths: tuple[str, ...]
    start: int = 0
    stop: int | None = None
    fps: float = 30.0
    duration_s: float = 0.0
    #: Quarter turns counter-clockwise that show the face upright: one for a video, one per
    #: photo (:mod:`synkinesis.landmarks.orientation`); empty = as recorded.
    turns: tuple[int, ...] = ()
    warmup: int = CHUNK_WARMUP


def _turned(frames: Iterable[Frame], turns: tuple[int, ...]) -> Iterable[Frame]:
    """Frames turned upright (a video's one turn, or each photo's own)."""
    from synkinesis.landmarks.orientation import turn

    if not any(turns):
        return frames
    return (replace(frame, rgb=turn(frame.rgb, turns[0] if len(turns) == 1
                                    else turns[frame.index]))
            for frame in frames)


def run_segment(segment: Segment, options: MeasureOptions, spool_dir: str,
                progress: Progress | None = None) -> tuple[FrameArrays, str, dict[str, Any]]:
    """Landmark one segment into its own spool file (runs in a worker process too)."""
    spool = LandmarkSpool(Path(spool_dir))
    decoded = None
    try:
        mode = "image" if segment.kind == "images" else "video"
        with make_engine(mode, options) as engine:
            keep_from = 0
            if segment.kind == "video":
                keep_from = segment.start
                # decoded on its own thread, a few frames ahead of the landmarks
                decoded = read_ahead(iter_video(Path(segment.paths[0]), fps=segment.fps,
                                                start=max(segment.start - segment.warmup, 0),
                                                stop=segment.stop))
                frames = decoded
            elif segment.kind == "camera":
                frames = iter_camera(int(segment.paths[0]), duration_s=segment.duration_s)
            else:
                frames = iter_images([Path(p) for p in segment.paths])
            arrays = landmark_pass(_turned(frames, segment.turns), engine, spool, options,
                                   progress, keep_from=keep_from)
            info = engine_info(engine, options)
    except BaseException:
        spool.discard()
        raise
    finally:
        if decoded is not None:
            decoded.close()  # stops the decoding thread at once, even after an error
    spool.close()
    return arrays, str(spool.path), info
