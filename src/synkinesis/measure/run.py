"""The run: files, processes and progress around the landmark pass and calibration.

Each ``measure_*`` function turns one input (a video, a set of photos, decoded frames, a
camera, synthetic landmarks) into one result file: landmark pass
(:mod:`synkinesis.measure.landmark_pass`), calibration and writing
(:mod:`synkinesis.measure.assemble`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis.landmarks.sources import Frame, InputError, probe_video
from synkinesis.measure.assemble import write_result
from synkinesis.measure.engines import (
    canonical_face,
    make_engine,
    photo_orientations,
    video_orientation,
)
from synkinesis.measure.engines import (
    engine_info as describe_engine,
)
from synkinesis.measure.landmark_pass import (
    BATCH,
    CHUNKABLE_ENGINES,
    CHUNKABLE_METHODS,
    Batcher,
    FrameArrays,
    Progress,
    Segment,
    landmark_pass,
    run_segment,
)
from synkinesis.measure.options import MeasureOptions
from synkinesis.measure.outputs import describe_files, prepare_output
from synkinesis.measure.result_file import LandmarkSpool, Measurement


def why_not_split(options: MeasureOptions, workers: int) -> str | None:
    """Why ``workers > 1`` will not cut one video into chunks with these options (the video
    is then measured in one pass, with the same result); None when it can be cut (or
    ``workers`` is 1). A video shorter than two batches per worker is not cut either; that
    depends on the video and is not said here."""
    if workers <= 1:
        return None
    if options.method not in CHUNKABLE_METHODS:
        return (f"the {options.method} method measures a video in one pass (chunks need "
                f"--method {' or '.join(CHUNKABLE_METHODS)})")
    if options.engine not in CHUNKABLE_ENGINES:
        return (f"the {options.engine} engine's tracking does not repeat exactly after a cut "
                f"(chunks need --engine {' or '.join(CHUNKABLE_ENGINES)})")
    return None


def measure_video(
    path: Path,
    output: Path,
    *,
    options: MeasureOptions = MeasureOptions(),
    workers: int = 1,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Measurement:
    """Measure one video file into a result file.

    With ``workers > 1``, a method of :data:`CHUNKABLE_METHODS` and an engine of
    :data:`CHUNKABLE_ENGINES`, the video is cut into that
    many consecutive chunks landmarked in parallel processes, each after
    :data:`CHUNK_WARMUP` frames that bring the tracking to where one pass has it; results are
    merged in frame order and equal one pass's. Other methods measure in one pass.
    ``on_phase`` is told each step as it starts: "orienting" (with ``auto_orient``), "loading
    the model", "landmarks" (then ``progress`` counts frames), "calibrating", "writing".
    """
    say = on_phase or (lambda phase: None)
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
        say("orienting")
        orientation = video_orientation(Path(path), info, options)
        source["orientation"] = orientation.as_dict()
        turns = (orientation.turns,)
    say("loading the model")
    progress = _announcing(progress, say) if on_phase is not None else progress
    if (workers <= 1 or why_not_split(options, workers) is not None
            or info.frame_count < 2 * BATCH * workers):
        arrays, spool, engine_info = run_segment(
            Segment("video", (str(path),), fps=info.fps, turns=turns), options,
            str(output.parent), progress)
        spools = [spool]
    else:
        bounds = np.linspace(0, info.frame_count, workers + 1).astype(int)
        segments = [Segment("video", (str(path),), int(a), int(b) if i < workers - 1 else None,
                             info.fps, turns=turns)
                    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
        results = run_parallel(segments, options, output.parent, workers, progress,
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
    return write_result(arrays, options=options, source=source, engine_info=engine_info,
                        spool_paths=spools, output=output, on_phase=on_phase)


def _announcing(progress: Progress | None, say: Callable[[str], None]) -> Progress:
    """``progress`` that first says "landmarks" (the model is loaded when frames count)."""
    started = False

    def counted(frames: int) -> None:
        nonlocal started
        if not started:
            started = True
            say("landmarks")
        if progress is not None:
            progress(frames)

    return counted


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


def run_parallel(segments, options, directory: Path, workers: int, progress, *, sizes):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    results: list = [None] * len(segments)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(run_segment, segment, options, str(directory)): i
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
    arrays, spool, engine_info = run_segment(
        Segment("images", tuple(str(p) for p in paths), turns=turns), options,
        str(output.parent), progress)
    return write_result(arrays, options=options, source=source, engine_info=engine_info,
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
        with make_engine(mode, options) as engine:
            arrays = landmark_pass(frames, engine, spool, options, progress)
            engine_info = describe_engine(engine, options)
    except BaseException:
        spool.discard()
        raise
    spool.close()
    return write_result(arrays, options=options, source=source, engine_info=engine_info,
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
    arrays, spool, engine_info = run_segment(
        Segment("camera", (str(device),), duration_s=duration_s), options, str(output.parent),
        progress)
    return write_result(arrays, options=options, source=source, engine_info=engine_info,
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
        batcher = Batcher(spool, canonical_face(options), options)
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
    return write_result(batcher.out, options=options, source=source, engine_info=engine_info,
                   spool_paths=[str(spool.path)], output=output)


def measure_job(item: tuple[str, str, str], options: MeasureOptions) -> str:
    """One whole input in a worker process: ('video'|'images', input(s), output) -> output."""
    kind, inputs, output = item
    if kind == "video":
        measure_video(Path(inputs), Path(output), options=options)
    else:
        measure_images([Path(p) for p in inputs.split(os.pathsep)], Path(output), options=options)
    return output
