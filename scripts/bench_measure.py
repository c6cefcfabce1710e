#!/usr/bin/env python3
"""Speed and memory of `synk measure` (issue 2). Prints figures and ratios; asserts nothing.

Measures, on the real 640x360 example video:
1. raw MediaPipe FaceLandmarker inference alone (VIDEO mode, same options as the pipeline) on
   frames decoded beforehand, on one core;
2. the full measure pipeline (landmarks, pose removal, signals, flags, result file) on the same
   decoded frames, one core, for --method fast and --method symmetric, and the ratios;
3. one worker vs two workers on two files (wall time, both cores);
4. peak memory (max RSS) of `synk measure` on the example looped to 1 and 10 minutes;
5. the default method (composite-edges) as a whole `synk measure` process on one core: frames
   per CPU second (user + system time of the process: imports, model loading, decoding,
   landmarks, file), the cost the issue 18 ruling gates at >= 30 fps per core.

``--engines``: instead, CPU time per frame on one core (time.process_time of this process,
all its threads: meaningful on a loaded machine, where wall time is not) of the raw Tasks API
FaceLandmarker, the landmark network alone (LiteRT, one thread), the LiteRT engine's loop
(--engine litert) with and without blendshapes, and `measure` --method fast and
composite-edges with either engine.

Usage: python scripts/bench_measure.py [--skip-memory] [--minutes 10] [--default-only]
       python scripts/bench_measure.py --engines [--video single_face.mp4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def decoded_frames(path: Path):
    from synkinesis.landmarks.sources import iter_video, probe_video

    info = probe_video(path)
    return list(iter_video(path, fps=info.fps)), info


def warm_imports() -> None:
    """Import everything both timed paths use, so neither pays for imports."""
    import mediapipe  # noqa: F401

    import synkinesis.measure  # noqa: F401
    from synkinesis.landmarks import mediapipe_engine  # noqa: F401
    from synkinesis.landmarks.model import load_canonical_face

    load_canonical_face()


def raw_inference_fps(frames, repeats: int) -> float:
    from synkinesis.landmarks.mediapipe_engine import MediaPipeEngine

    # Timed like the pipeline: from creating the landmarker to the last result (imports are
    # warm in both), but nothing else: no conversion, no signals, no file.
    start = time.perf_counter()
    engine = MediaPipeEngine(mode="video")
    landmarker, mp = engine._landmarker, engine._mp
    stamp = 0
    for _ in range(repeats):
        for frame in frames:
            landmarker.detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=frame.rgb), stamp)
            stamp += 34
    engine.close()
    elapsed = time.perf_counter() - start
    return repeats * len(frames) / elapsed


def pipeline_fps(frames, repeats: int, method: str, directory: Path) -> float:
    from synkinesis.landmarks.sources import Frame
    from synkinesis.measure import MeasureOptions, measure_frames

    fps = frames[1].time_s and 1 / frames[1].time_s
    stream = [Frame(index=i, time_s=i / fps, rgb=f.rgb)
              for i, f in enumerate(frames * repeats)]
    start = time.perf_counter()
    measure_frames(stream, directory / f"bench-{method}.synk", source={"description": "bench"},
                   options=MeasureOptions(method=method))
    return len(stream) / (time.perf_counter() - start)


def cpu_ms(run, count: int, rounds: int) -> float:
    """Least CPU time per item over ``rounds`` runs of ``run()`` (which handles ``count``
    items), ms."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return 1000 * best / count


def engine_cpu(frames, rounds: int, directory: Path) -> None:
    """--engines: CPU ms per frame of each stage on one core (see the module docstring)."""
    import numpy as np

    from synkinesis.landmarks.litert_engine import (
        LANDMARK_SIZE,
        LiteRTEngine,
        region_from_landmarks,
    )
    from synkinesis.landmarks.mediapipe_engine import MediaPipeEngine
    from synkinesis.landmarks.sources import Frame
    from synkinesis.measure import MeasureOptions, measure_frames

    n = len(frames)

    def tasks(**kw):
        def run():
            with MediaPipeEngine(mode="video", **kw) as engine:
                for i, frame in enumerate(frames):
                    engine.detect(frame.rgb, timestamp_ms=i * 34)
        return run

    def loop(**kw):
        def run():
            with LiteRTEngine(mode="video", **kw) as engine:
                for frame in frames:
                    engine.detect(frame.rgb)
        return run

    probe = LiteRTEngine(mode="video")
    points = probe.detect(frames[0].rgb)[0].landmarks_px
    crop = np.random.default_rng(0).random((1, LANDMARK_SIZE, LANDMARK_SIZE, 3), np.float32)
    region = region_from_landmarks(points)

    def network():
        for _ in frames:
            probe._landmarker.set_tensor(probe._lm_in, crop)
            probe._landmarker.invoke()
            probe._landmarker.get_tensor(probe._lm_points)

    def blendshapes():
        for _ in frames:
            probe.blend(points)

    def detector():
        for frame in frames[:50]:
            probe.detect_faces(frame.rgb)

    def crop_and_map():
        for frame in frames:
            probe.landmark(frame.rgb, region)

    def pipeline(method: str, engine: str):
        fps = 1 / frames[1].time_s

        def run():
            stream = [Frame(index=i, time_s=i / fps, rgb=f.rgb) for i, f in enumerate(frames)]
            measure_frames(stream, directory / f"cpu-{method}-{engine}.synk",
                           source={"description": "bench"},
                           options=MeasureOptions(method=method, engine=engine))
        return run

    rows = [
        ("raw Tasks API FaceLandmarker (VIDEO, 3 faces, smoothing)", tasks(), n),
        ("Tasks API, 1 face, no smoothing (the composite trackers')",
         tasks(max_faces=1, smoothing=False), n),
        ("landmark network alone (LiteRT invoke)", network, n),
        ("blendshape network alone", blendshapes, n),
        ("face detector with decoding (per call)", detector, min(50, n)),
        ("landmark network + crop + mapping back", crop_and_map, n),
        ("litert loop (--engine litert), blendshapes", loop(), n),
        ("litert loop, no blendshapes", loop(blendshapes=False), n),
        ("measure --method fast, mediapipe-tasks", pipeline("fast", "mediapipe-tasks"), n),
        ("measure --method fast, litert", pipeline("fast", "litert"), n),
        ("measure composite-edges, mediapipe-tasks",
         pipeline("composite-edges", "mediapipe-tasks"), n),
        ("measure composite-edges, litert", pipeline("composite-edges", "litert"), n),
    ]
    print(f"CPU ms per frame, one core (least of {rounds} rounds; load "
          f"{os.getloadavg()[0]:.1f} at start):")
    for label, run, count in rows:
        print(f"  {label:58s} {cpu_ms(run, count, rounds):7.2f}")
    print(f"load {os.getloadavg()[0]:.1f} at the end")


def two_workers(video: Path, directory: Path) -> tuple[float, float]:
    copies = []
    for i in range(2):
        copy = directory / f"copy{i}.mp4"
        shutil.copy(video, copy)
        copies.append(copy)
    times = []
    for workers in (1, 2):
        out = directory / f"w{workers}"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "synkinesis", "measure", *map(str, copies), "-o",
                        str(out), "--workers", str(workers), "--method", "fast", "-q"],
                       check=True)
        times.append(time.perf_counter() - start)
    return times[0], times[1]


def looped_video(source_frames, info, minutes: float, path: Path) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), info.fps,
                             (info.width, info.height))
    total = int(minutes * 60 * info.fps)
    bgr = [cv2.cvtColor(f.rgb, cv2.COLOR_RGB2BGR) for f in source_frames]
    for i in range(total):
        writer.write(bgr[i % len(bgr)])
    writer.release()
    return path


def peak_memory_mb(video: Path, directory: Path, method: str) -> tuple[float, float]:
    """Max RSS of a `synk measure` child process (MB) and its wall time (s)."""
    script = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"subprocess.run([sys.executable, '-m', 'synkinesis', 'measure', {str(video)!r}, '-o', "
        f"{str(directory / 'mem.synk')!r}, '--method', {method!r}, '-q'], check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
        "time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), float(out[1])


def default_process_fps(video: Path, directory: Path, n_frames: int) -> tuple[float, float]:
    """The default method as a whole `synk measure` child process pinned to one core:
    (frames per CPU second, frames per wall second)."""
    script = (
        "import os, resource, subprocess, sys, time\n"
        "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
        "t = time.perf_counter()\n"
        f"subprocess.run([sys.executable, '-m', 'synkinesis', 'measure', {str(video)!r}, '-o', "
        f"{str(directory / 'default.synk')!r}, '--overwrite', '-q'], check=True)\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(usage.ru_utime + usage.ru_stime, time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True).stdout.split()
    return n_frames / float(out[0]), n_frames / float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=2, help="passes over the video per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs; best is kept")
    parser.add_argument("--default-only", action="store_true",
                        help="only the default method as a whole process on one core")
    parser.add_argument("--engines", action="store_true",
                        help="only the CPU time per frame of each engine and stage")
    parser.add_argument("--video", default="WolfgangLanger_Pexels.mp4",
                        help="a file of the shared media")
    parser.add_argument("--size", metavar="WxH",
                        help="--engines: resize the decoded frames first (e.g. 1280x720)")
    args = parser.parse_args()
    from fetch_media import fetch

    media = fetch(quiet=True)
    video = media / args.video
    frames, info = decoded_frames(video)
    warm_imports()
    if args.engines:
        if args.size:
            import cv2

            from synkinesis.landmarks.sources import Frame

            width, height = (int(v) for v in args.size.lower().split("x"))
            frames = [Frame(index=f.index, time_s=f.time_s,
                            rgb=cv2.resize(f.rgb, (width, height), interpolation=cv2.INTER_CUBIC))
                      for f in frames]
        height, width = frames[0].rgb.shape[:2]
        print(f"video: {video.name} {info.width}x{info.height} as {width}x{height}, "
              f"{len(frames)} frames")
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        with tempfile.TemporaryDirectory() as tmp:
            engine_cpu(frames, args.rounds, Path(tmp))
        return
    print(f"video: {video.name} {info.width}x{info.height} {info.fps:.2f} fps, "
          f"{len(frames)} frames; repeats {args.repeats}; cpu count {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        best_cpu = best_wall = 0.0
        for _ in range(args.rounds):
            cpu, wall = default_process_fps(video, directory, len(frames))
            best_cpu, best_wall = max(best_cpu, cpu), max(best_wall, wall)
        print(f"default method (composite-edges), whole `synk measure` process on one core "
              f"(best of {args.rounds}): {best_cpu:.1f} frames per CPU second, "
              f"{best_wall:.1f} per wall second")
        if args.default_only:
            return
        all_cores = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(all_cores)})
        # The machine is shared: interleave the three measurements and keep the best of each.
        raw = fast = symmetric = 0.0
        for _ in range(args.rounds):
            raw = max(raw, raw_inference_fps(frames, args.repeats))
            fast = max(fast, pipeline_fps(frames, args.repeats, "fast", directory))
            symmetric = max(symmetric, pipeline_fps(frames, args.repeats, "symmetric", directory))
        os.sched_setaffinity(0, all_cores)
        print(f"one core, decoded frames (best of {args.rounds} interleaved rounds):")
        print(f"  raw MediaPipe inference          {raw:7.1f} fps")
        print(f"  measure pipeline --method fast   {fast:7.1f} fps   ratio to raw {fast / raw:.3f}")
        print(f"  measure pipeline --method symmetric {symmetric:4.1f} fps   ratio to raw "
              f"{symmetric / raw:.3f}")
        one, two = two_workers(video, directory)
        one_again, two_again = two_workers(video, directory)
        one, two = min(one, one_again), min(two, two_again)
        print(f"two files, --method fast: 1 worker {one:.1f} s, 2 workers {two:.1f} s, "
              f"speed-up {one / two:.2f}x")
        if not args.skip_memory:
            for minutes in (1.0, args.minutes):
                path = looped_video(frames, info, minutes, directory / f"loop{minutes:g}.mp4")
                for method in ("fast",):
                    peak, seconds = peak_memory_mb(path, directory, method)
                    print(f"{minutes:g}-minute video ({int(minutes * 60 * info.fps)} frames), "
                          f"--method {method}: peak RSS {peak:.0f} MB, {seconds:.0f} s")



if __name__ == "__main__":
    main()
