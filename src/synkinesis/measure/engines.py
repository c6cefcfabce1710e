"""The landmark engine each method runs, and the face detector that finds which way up a face
is. MediaPipe is imported only inside these functions, and only for ``--engine
mediapipe-tasks`` (litert's orientation check runs the same detector network with LiteRT)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synkinesis.measure.options import METHODS, MeasureOptions


def make_engine(mode: str, options: MeasureOptions, *, blendshapes: bool = True):
    """The landmark engine of ``options.method`` for ``mode`` ("video": tracking over frames in
    time order; "image": independent photos). A context manager.

    ``blendshapes=False`` skips the blendshape network where the engine can (``litert``; the
    Tasks API always runs it): for callers that read only landmarks (the live exercises)."""
    from synkinesis.landmarks.engine import RunningMode

    if options.engine == "litert":
        from synkinesis.landmarks.litert_engine import LiteRTEngine as Engine
    else:
        from synkinesis.landmarks.mediapipe_engine import MediaPipeEngine as Engine

    def make(run_mode: str = mode, max_faces: int | None = None,
             min_confidence: float | None = None, smoothing: bool = True):
        running: RunningMode = "image" if run_mode == "image" else "video"
        extra = {} if max_faces is None else {"max_faces": max_faces}
        if options.engine == "litert":  # no smoothing over frames to switch
            # as many faces as the Tasks API keeps, so that a second face is counted and
            # flagged (MULTIPLE_FACES) with either engine; the main one is chosen downstream
            from synkinesis.landmarks.mediapipe_engine import MAX_FACES

            return Engine(mode=running, min_confidence=min_confidence or options.min_confidence,
                          model_path=_model_path(options), blendshapes=blendshapes,
                          max_faces=MAX_FACES if max_faces is None else max_faces)
        return Engine(mode=running, smoothing=smoothing,
                      min_confidence=min_confidence or options.min_confidence,
                      model_path=_model_path(options), **extra)

    if options.method == "fast":
        return make()
    from synkinesis.landmarks.engine import MirrorAveragedEngine

    if options.method in ("composite", "composite-edges"):
        from synkinesis.landmarks.composite import (
            COMPOSITE_MIN_CONFIDENCE,
            PHOTO_COMPOSITE_MIN_CONFIDENCE,
            CompositeEngine,
        )

        plain = MirrorAveragedEngine(make("image"), make("image"))
        edges = options.method == "composite-edges"
        presence = max(COMPOSITE_MIN_CONFIDENCE, options.min_confidence)
        if mode == "image":  # photos: each one's midline from its own plain landmarks
            photo = max(PHOTO_COMPOSITE_MIN_CONFIDENCE, options.min_confidence)
            # No chin-pad texture refinement: it follows the pad from one frame of the same
            # face to the next, and each photo is a picture of its own (registered to the last
            # photo's pad it read millimetres on a healthy chin; a photo's own first patch is
            # its reference, which moves nothing).
            return CompositeEngine(lambda: make("image", 1, photo), plain, track=False,
                                   refine_lids=edges, refine_corners=edges)
        # Assessment measures movement: MediaPipe's own smoothing, which lags it, is off.
        return CompositeEngine(lambda: make("video", 1, presence, smoothing=False), plain,
                               refine_lids=edges, refine_corners=edges,
                               refine_chin=edges and options.chin_texture)
    symmetric = MirrorAveragedEngine(make(), make())
    # litert never smooths over frames: the pipeline smooths the signals instead (as for the
    # composite methods and litert's fast method).
    symmetric.tracks_unsmoothed = options.engine == "litert" and mode == "video"
    return symmetric


def canonical_face(options: MeasureOptions):
    """The landmark model's canonical face (the head pose is fitted to it)."""
    from synkinesis.landmarks.model import load_canonical_face

    return load_canonical_face(_model_path(options))


def engine_info(engine, options: MeasureOptions) -> dict[str, Any]:
    """What the manifest records about the engine that landmarked a recording."""
    # A video tracked without MediaPipe's own smoothing over frames (the composite methods: it
    # lags real movement) gets a centred smoothing of its signals instead (smooth_signals).
    return {"name": engine.name, "version": engine.version, "model_sha256": engine.model_sha256,
            "method": options.method, "method_meaning": METHODS[options.method],
            "smooth_signals": bool(getattr(engine, "tracks_unsmoothed", False))}


def video_orientation(path: Path, info, options: MeasureOptions):
    """Which way up the face is in a video (:class:`synkinesis.landmarks.orientation.
    Orientation`), from frames sampled over it."""
    from synkinesis.landmarks.orientation import FaceOrientation, sample_video_frames

    frames = sample_video_frames(Path(path), info.frame_count)
    with FaceOrientation(_model_path(options), engine=options.engine) as faces:
        return faces.orientation(frames)


def photo_orientations(paths: list[Path], options: MeasureOptions) -> tuple[int, ...]:
    """Quarter turns counter-clockwise that show each photo's face upright."""
    from synkinesis.landmarks.orientation import FaceOrientation
    from synkinesis.landmarks.sources import read_image

    with FaceOrientation(_model_path(options), engine=options.engine) as faces:
        return tuple(faces.orientation([read_image(path)[0]]).turns for path in paths)


def _model_path(options: MeasureOptions) -> Path | None:
    return Path(options.model_path) if options.model_path else None
