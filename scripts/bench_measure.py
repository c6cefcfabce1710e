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
(--engine litert) with blendshapes after each frame, a batch of 64 frames at a time (as
`measure --method fast` runs them) and without, and `measure` --method fast and
composite-edges with either engine.

``--process``: instead, whole `synk measure` processes (the real command, in a child process
pinned to one core) on the video as re-encoded once (472 frames) and looped 4 times (1,888
frames, the same encoder), with the CPU time of each phase: interpreter start-up, imports,
the command up to the first phase, orienting, loading the model, landmarks (decoding
included; decoding alone is timed separately in the same child, after the run), calibrating,
writing; synkinesis's bytecode compiled beforehand, as an installed package has it
(``--no-bytecode``: as the environment says; where PYTHONDONTWRITEBYTECODE is set, each run
compiles the sources it imports, about 60 ms of CPU). Overhead = everything but landmarking
proper (start-up, imports, set-up, orienting, loading, decoding, calibrating, writing), as a
share of the whole; and the raw Tasks API's CPU ms per frame in the same run for the ratio.

Usage: python scripts/bench_measure.py [--skip-memory] [--minutes 10] [--default-only]
       python scripts/bench_measure.py --engines [--video single_face.mp4]
       python scripts/bench_measure.py --process [--methods composite-edges,fast]
                                       [--engine-list litert,mediapipe-tasks] [--loops 1,4]
                                       [--no-bytecode]
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

    def deferred_loop():
        # as the landmark pass runs --method fast with litert: the blendshapes of a batch of 64
        # frames after their landmarks
        with LiteRTEngine(mode="video") as engine:
            engine.defer_blendshapes = True
            pending = []
            for frame in frames:
                pending.extend(face.landmarks_px for face in engine.detect(frame.rgb))
                if len(pending) >= 64:
                    for points in pending:
                        engine.blend(points)
                    pending = []
            for points in pending:
                engine.blend(points)

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
        ("litert loop, blendshapes a batch of 64 at a time", deferred_loop, n),
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


#: The child of ``--process``: the real `synk measure` command, with the CPU time (all threads,
#: time.process_time) at each phase it announces. Pinned to one core before anything loads.
_PROCESS_CHILD = r"""
import json, os, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
# (phase starting, CPU s so far); before the first: the interpreter's own start-up
marks = [("imports", time.process_time())]
from synkinesis.cli import common
from synkinesis.cli import main
marks.append(("set-up", time.process_time()))
phase = common._Advance.phase
def announced(self, name):
    marks.append((name, time.process_time()))
    phase(self, name)
common._Advance.phase = announced
from synkinesis.measure import landmark_pass as passes
landmark_pass = passes.landmark_pass
def timed_pass(*args, **kwargs):  # the engine is made: the frames start here
    marks.append(("landmarks", time.process_time()))
    return landmark_pass(*args, **kwargs)
passes.landmark_pass = timed_pass
video, output, method, engine = sys.argv[1:5]
try:
    sys.argv = ["synk", "measure", video, "-o", output, "--overwrite", "-q", "--method", method,
                "--engine", engine]
    main()
except SystemExit as stop:
    if stop.code:
        raise
marks.append(("end", time.process_time()))
from synkinesis.landmarks.read_ahead import read_ahead
from synkinesis.landmarks.sources import iter_video, probe_video
info = probe_video(video)
start = time.process_time()
frames = 0
for frame in read_ahead(iter_video(video, fps=info.fps)):
    frames += 1
    del frame  # as the landmark loop lets go of each frame before the next decodes
print(json.dumps({"marks": marks, "decoding": time.process_time() - start, "frames": frames}))
"""

#: Phases of ``--process`` in the order of the table; "set-up" is the command before its first
#: phase (arguments, probing the video, the output).
_PHASES = ("start-up", "imports", "set-up", "orienting", "loading the model", "landmarks",
           "calibrating", "writing")


def child_environment(directory: Path, *, bytecode: bool = True) -> dict[str, str]:
    """The environment of the ``--process`` children: this checkout's sources, and (unless
    ``bytecode`` is False) their compiled bytecode kept in ``directory``, as an installed
    package has it (pip compiles it on installing; an editable checkout writes it on its first
    run): where PYTHONDONTWRITEBYTECODE is set, every run would otherwise compile the
    sources of the modules it imports afresh (about 60 ms of CPU for `synk measure`)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(directory / "pycache")
    return env


def compile_sources(env: dict[str, str]) -> None:
    """This checkout's bytecode written where ``env`` keeps it, before anything is timed."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "synkinesis")],
                   env=env, check=True, capture_output=True)


def process_phases(video: Path, directory: Path, method: str, engine: str,
                   env: dict[str, str] | None = None) -> dict:
    """CPU seconds of each phase of one `synk measure` child process on one core."""
    import json

    child = subprocess.run(
        [sys.executable, "-c", _PROCESS_CHILD, str(video), str(directory / "process.synk"),
         method, engine], capture_output=True, text=True,
        env=env if env is not None else child_environment(directory))
    if child.returncode:
        sys.exit(f"synk measure failed ({method}, {engine}, {video.name}):\n{child.stderr}")
    report = json.loads(child.stdout.strip().splitlines()[-1])
    marks = report["marks"]
    # "landmarks" is marked twice (the engine is made; the command announces it after the
    # first frames): the first counts.
    kept: list = []
    for name, at in marks:
        if name not in {k for k, _ in kept}:
            kept.append((name, at))
    phases = {"start-up": kept[0][1]}
    for (name, at), (_, following) in zip(kept, kept[1:]):
        phases[name] = following - at
    phases.update(decoding=report["decoding"], frames=report["frames"], total=kept[-1][1])
    return phases


def process_report(frames, info, video: Path, methods: list[str], engines: list[str],
                   loops: list[int], rounds: int, directory: Path, *,
                   bytecode: bool = True) -> None:
    """--process: the whole-process table (see the module docstring)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    env = child_environment(directory, bytecode=bytecode)
    if bytecode:
        compile_sources(env)
    raw = cpu_ms(_raw_tasks(frames), len(frames), rounds)
    inputs = [(f"{video.name} as recorded", video)]
    for count in loops:
        total = count * len(frames)
        path = looped_video(frames, info, total / info.fps / 60, directory / f"loop{count}.mp4")
        inputs.append((f"re-encoded, looped x{count} ({total} frames)", path))
    print(f"raw Tasks API FaceLandmarker on decoded frames: {raw:.2f} CPU ms per frame "
          f"(least of {rounds}; load {os.getloadavg()[0]:.1f})")
    print("synkinesis's bytecode: " + ("compiled beforehand, as installed" if bytecode else
                                       "not kept (PYTHONDONTWRITEBYTECODE as this environment "
                                       "says: the sources compiled on each run)"
                                       if os.environ.get("PYTHONDONTWRITEBYTECODE")
                                       else "as this environment keeps it"))
    for method in methods:
        for engine in engines:
            for label, path in inputs:
                best: dict | None = None
                for _ in range(rounds):
                    got = process_phases(path, directory, method, engine, env)
                    if best is None or got["total"] < best["total"]:
                        best = got
                assert best is not None
                n = best["frames"]
                total = best["total"]
                landmarking = best.get("landmarks", 0.0) - best["decoding"]
                overhead = total - landmarking
                per_frame = 1000 * total / n
                print(f"\n{method}, {engine}, {label}: {n} frames, whole process "
                      f"{total:.2f} CPU s = {per_frame:.2f} ms per frame "
                      f"({raw / per_frame:.2f}x raw); overhead {overhead:.2f} s = "
                      f"{100 * overhead / total:.1f} % (target <= 10 %); "
                      f"load {os.getloadavg()[0]:.1f}")
                for phase in (*_PHASES[:6], "decoding", *_PHASES[6:]):
                    if phase in best:
                        value = best[phase]
                        note = " (within landmarks)" if phase == "decoding" else ""
                        print(f"  {phase:18s} {value:7.3f} s  {1000 * value / n:6.2f} ms/frame"
                              f"{note}")


def _raw_tasks(frames):
    def run():
        from synkinesis.landmarks.mediapipe_engine import MediaPipeEngine

        with MediaPipeEngine(mode="video") as engine:
            for i, frame in enumerate(frames):
                engine.detect(frame.rgb, timestamp_ms=i * 34)
    return run


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
    parser.add_argument("--process", action="store_true",
                        help="only whole `synk measure` processes, CPU time of each phase")
    parser.add_argument("--methods", default="composite-edges,fast",
                        help="--process: methods, comma-separated")
    parser.add_argument("--engine-list", default="litert,mediapipe-tasks",
                        help="--process: engines, comma-separated")
    parser.add_argument("--loops", default="1,4",
                        help="--process: the video re-encoded looped this many times")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="--process: the children keep no compiled bytecode of synkinesis "
                             "when the environment says so (PYTHONDONTWRITEBYTECODE), as "
                             "before; default: compiled beforehand, as an installed package")
    parser.add_argument("--size", metavar="WxH",
                        help="--engines: resize the decoded frames first (e.g. 1280x720)")
    args = parser.parse_args()
    from fetch_media import fetch

    media = fetch(quiet=True)
    video = media / args.video
    frames, info = decoded_frames(video)
    warm_imports()
    if args.process:
        with tempfile.TemporaryDirectory() as tmp:
            process_report(frames, info, video, args.methods.split(","),
                           args.engine_list.split(","), [int(v) for v in args.loops.split(",")],
                           args.rounds, Path(tmp), bytecode=not args.no_bytecode)
        return
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
