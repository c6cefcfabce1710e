"""Benchmark of ``synk batch`` (issue 22): scale-out, Dask overhead, kill-and-resume, memory.

Makes ``--n`` short copies of the shared videos with random re-encodes (ffmpeg: random start,
CRF, preset and width) in a temporary folder, never in the repository, then, each run into a
fresh output folder:

1. the archive on a local pool of 1 worker and of 2 workers: the speed-up (target >= 1.8x);
2. the archive on a Dask ``LocalCluster`` of 2 worker processes of 1 thread each, started with
   :data:`synkinesis.cohort.cluster.DASK_CONFIG`, against the local pool of 2 (target: at most
   10 % more time; the cluster's start-up is timed apart);
3. ``synk batch --workers 2`` as a process, killed (SIGKILL, whole process group) at a random
   moment, restarted: every recording must end with exactly one ``done.json`` and the restart
   redo only what had none;
4. the resident memory (RSS) of every worker when each recording's result arrives: per worker
   at its first and at its last recording, and the growth per 100 recordings fitted over the
   second half of the run (flat: growth within 10 % of the first RSS and a slope near 0).

For each run it prints the wall time, the workers' CPU time (psutil, user + system), the cores
they kept busy (CPU / wall) and the RSS per worker; then each target with its figure. A local
run's wall and CPU time include its workers' start (a process, its imports); the Dask run's
do not include the cluster's start (timed apart), only the first task's imports.
Every worker is held to one core (:mod:`synkinesis.cohort.cluster`): on 2 quiet cores the
1-worker run keeps about 1.0 core busy and the 2-worker run about 2.

Usage::

    nice -n 10 python scripts/bench_batch.py [--n 8] [--seconds 2.5] [--seed 0]

``--n 100 --seconds 2.5`` takes about 6 minutes on 2 quiet cores (about 1.3 s of CPU per
recording, a worker's start included: about 130 s for 1 worker, 65..75 s each for 2 workers,
Dask and kill + restart, 15 s of copies). ``--memory-only`` runs the 1-worker part alone and
prints the worker's RSS at every recording: it needs no quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
#: Below this RSS a child process is not a worker (the pool's resource tracker, a manager).
WORKER_MIN_MB = 150.0
#: Flat memory: a worker's RSS at its last recording within this fraction of its first.
FLAT_FRACTION = 0.10


def _sources() -> list[Path]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from fetch_media import fetch  # noqa: PLC0415 - the project's one way to find the media

    folder = fetch()
    return [folder / "single_face.mp4", folder / "WolfgangLanger_Pexels.mp4"]


def _duration_s(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / av.time_base


def make_archive(folder: Path, *, n: int, seconds: float, rng: np.random.Generator) -> list[str]:
    """``n`` re-encoded clips into ``folder`` (each at least 1.5 s: single_face.mp4 lasts
    2.43 s); returns one line per clip saying how."""
    sources = _sources()
    durations = [_duration_s(s) for s in sources]
    commands, made = [], []
    for i in range(n):
        source, duration = sources[i % len(sources)], durations[i % len(sources)]
        start = round(float(rng.uniform(0.0, max(0.0, min(1.5, duration - 1.5)))), 2)
        crf = int(rng.integers(18, 33))
        preset = str(rng.choice(["ultrafast", "veryfast", "medium"]))
        width = int(rng.choice([480, 640]))
        target = folder / f"clip{i:03d}.mp4"
        commands.append(["ffmpeg", "-loglevel", "error", "-y", "-ss", str(start), "-i",
                         str(source), "-t", str(seconds), "-an", "-vf", f"scale={width}:-2",
                         "-c:v", "libx264", "-crf", str(crf), "-preset", preset, str(target)])
        made.append(f"{target.name}: {source.name} from {start} s, crf {crf}, {preset}, "
                    f"width {width}")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda command: subprocess.run(command, check=True), commands))
    return made


class WorkerProbe:
    """When each recording's result arrives: the RSS (MB) and CPU seconds (user + system) of
    every worker process, i.e. every descendant of this process above :data:`WORKER_MIN_MB`
    (local pool workers; a LocalCluster's worker processes, its nannies being in this one)."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self.events: list[dict[int, tuple[float, float]]] = []  # pid -> (rss MB, cpu s)
        self.start_cpu = self._sample()

    def _sample(self) -> dict[int, tuple[float, float]]:
        import psutil

        out = {}
        for child in self._me.children(recursive=True):
            try:
                with child.oneshot():
                    rss, cpu = child.memory_info().rss / 2**20, child.cpu_times()
            except psutil.Error:
                continue
            if rss >= WORKER_MIN_MB:
                out[child.pid] = (rss, cpu.user + cpu.system)
        return out

    def __call__(self, _result: object) -> None:
        self.events.append(self._sample())

    def cpu_s(self) -> float:
        """The workers' CPU seconds from this probe's creation to the last result."""
        last: dict[int, float] = {}
        for event in self.events:
            last.update({pid: cpu for pid, (_, cpu) in event.items()})
        return sum(cpu - self.start_cpu.get(pid, (0.0, 0.0))[1] for pid, cpu in last.items())

    def memory(self, workers: int) -> list[dict]:
        """Per worker: RSS at its first recording (the first result after which every worker
        has had time for one: result number ``workers``), at the last result, and the slope
        fitted over the second half of the results (MB per 100 recordings of the run)."""
        first_event = min(workers, len(self.events)) - 1
        out = []
        for pid in sorted({p for e in self.events for p in e}):
            series = [(k, e[pid][0]) for k, e in enumerate(self.events) if pid in e]
            later = [(k, rss) for k, rss in series if k >= len(self.events) // 2]
            slope = (float(np.polyfit(*zip(*later), 1)[0]) * 100
                     if len({k for k, _ in later}) >= 3 else float("nan"))
            first = next((rss for k, rss in series if k >= first_event), series[0][1])
            out.append({"pid": pid, "first_mb": first, "last_mb": series[-1][1],
                        "slope_mb_per_100": slope})
        return out


def _describe(label: str, wall_s: float, cpu_s: float, memory: list[dict]) -> str:
    rss = ", ".join(f"{m['first_mb']:.0f} -> {m['last_mb']:.0f} MB" + (
        "" if np.isnan(m["slope_mb_per_100"])
        else f" ({m['slope_mb_per_100']:+.0f} MB per 100 recordings in the second half)")
        for m in memory)
    return (f"{label}: wall {wall_s:6.1f} s, workers' CPU {cpu_s:6.1f} s = "
            f"{cpu_s / wall_s:.2f} cores busy; RSS per worker first -> last recording: {rss}")


def timed_local(archive: Path, output: Path, workers: int):
    """Wall seconds, the workers' CPU seconds, their memory and the result of a local run."""
    from synkinesis.cohort.batch import read_archive, run_batch
    from synkinesis.workflow import WorkflowOptions

    probe = WorkerProbe()
    start = time.monotonic()
    run = run_batch(read_archive(archive), options=WorkflowOptions(), output_dir=output,
                    workers=workers, on_result=probe)
    wall = time.monotonic() - start
    return wall, probe.cpu_s(), probe.memory(workers), run


def timed_dask(archive: Path, output: Path, workers: int = 2):
    import dask
    from distributed import Client, LocalCluster

    from synkinesis.cohort.batch import read_archive, run_batch
    from synkinesis.cohort.cluster import DASK_CONFIG
    from synkinesis.workflow import WorkflowOptions

    start = time.monotonic()
    with dask.config.set(DASK_CONFIG), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        up = time.monotonic() - start
        probe = WorkerProbe()
        start = time.monotonic()
        run = run_batch(read_archive(archive), options=WorkflowOptions(), output_dir=output,
                        client=client, on_result=probe)
        wall = time.monotonic() - start
    return up, wall, probe.cpu_s(), probe.memory(workers), run


def kill_and_resume(archive: Path, output: Path, *, n: int, full_s: float,
                    rng: np.random.Generator) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    command = [sys.executable, "-m", "synkinesis", "batch", str(archive), "-o", str(output),
               "--workers", "2", "-q"]
    delay = float(rng.uniform(0.2, 0.8)) * full_s
    process = subprocess.Popen(command, env=env, start_new_session=True,
                               stderr=subprocess.DEVNULL)
    time.sleep(delay)
    killed = process.poll() is None
    if killed:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = len(list(output.glob("recordings/*/done.json")))
    start = time.monotonic()
    subprocess.run(command, env=env, check=True, stderr=subprocess.DEVNULL)
    restart_s = time.monotonic() - start
    report = json.loads((output / "batch-report.json").read_text())
    markers = list(output.glob("recordings/*/done.json"))
    recordings = [json.loads(p.read_text())["recording"] for p in markers]
    return {"kill_after_s": round(delay, 1), "killed": killed, "done_before_kill": before,
            "restart_s": round(restart_s, 1), "restart_done_now": report["done_now"],
            "restart_skipped": report["skipped"], "failed": report["failed"],
            "done_markers": len(markers),
            "exactly_once": sorted(recordings) == sorted(set(recordings)) and len(markers) == n
            and report["done_now"] + before == n and report["skipped"] == before}


def memory_only(archive: Path, output: Path, n: int) -> None:
    """One worker, the archive's recordings one after the other: its RSS at each recording."""
    from synkinesis.cohort.batch import read_archive, run_batch
    from synkinesis.workflow import WorkflowOptions

    probe = WorkerProbe()
    run = run_batch(read_archive(archive), options=WorkflowOptions(), output_dir=output,
                    workers=1, on_result=probe)
    rss = [round(next(iter(e.values()))[0]) for e in probe.events if e]
    (memory,) = probe.memory(1)
    print(f"1 worker, {n} recordings ({run.failed} failed): CPU {probe.cpu_s():.1f} s "
          f"({probe.cpu_s() / n:.2f} s per recording, the worker's start included)")
    print("RSS (MB) at each recording:", " ".join(map(str, rss)))
    print(f"first {memory['first_mb']:.0f} MB, last {memory['last_mb']:.0f} MB, peak "
          f"{max(rss)} MB; second half {memory['slope_mb_per_100']:+.0f} MB per 100 recordings")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=8, help="recordings in the archive")
    parser.add_argument("--seconds", type=float, default=2.5, help="length of each clip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-only", action="store_true",
                        help="only the 1-worker run, printing the worker's RSS at each "
                             "recording and its CPU seconds per recording (no wall-clock "
                             "figure: fine on a loaded machine)")
    args = parser.parse_args()
    if args.n < 4:
        parser.error("--n must be at least 4 (2 recordings per worker)")
    sys.path.insert(0, str(ROOT / "src"))
    from synkinesis.cohort.cluster import usable_cpu_ids

    began = time.monotonic()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="synk-bench-batch-") as scratch:
        folder = Path(scratch)
        archive = folder / "archive"
        archive.mkdir()
        for line in make_archive(archive, n=args.n, seconds=args.seconds, rng=rng):
            print("  ", line)
        print(f"{args.n} recordings of {args.seconds} s; usable CPUs {usable_cpu_ids()}; "
              f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
        if args.memory_only:
            memory_only(archive, folder / "one", args.n)
            return
        one_s, one_cpu, one_memory, one = timed_local(archive, folder / "one", 1)
        print(_describe("local pool, 1 worker ", one_s, one_cpu, one_memory), flush=True)
        two_s, two_cpu, two_memory, two = timed_local(archive, folder / "two", 2)
        print(_describe("local pool, 2 workers", two_s, two_cpu, two_memory), flush=True)
        up_s, dask_s, dask_cpu, dask_memory, dask = timed_dask(archive, folder / "dask")
        print(_describe("Dask LocalCluster, 2 ", dask_s, dask_cpu, dask_memory)
              + f" (cluster start {up_s:.1f} s apart)", flush=True)
        resumed = kill_and_resume(archive, folder / "killed", n=args.n, full_s=two_s, rng=rng)
        print("kill and restart:", json.dumps(resumed), flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}; whole benchmark "
              f"{time.monotonic() - began:.0f} s")
        failed = [r["recording"] for run in (one, two, dask) for r in run.results
                  if r["status"] == "failed"]
        speed_up, overhead = one_s / two_s, dask_s / two_s - 1
        growth = [(m["last_mb"] - m["first_mb"]) / m["first_mb"]
                  for m in one_memory + two_memory + dask_memory]
        print("targets:")
        print(f"  speed-up, 2 workers over 1: {speed_up:.2f}x (target >= 1.8x): "
              f"{_verdict(speed_up >= 1.8)}")
        print(f"  Dask LocalCluster over the local pool: {100 * overhead:+.1f} % "
              f"(target <= +10 %): {_verdict(overhead <= 0.10)}; with the cluster's start "
              f"counted: {100 * ((up_s + dask_s) / two_s - 1):+.1f} %")
        print(f"  kill and restart, every recording exactly once: "
              f"{_verdict(resumed['exactly_once'] and not resumed['failed'])}")
        print(f"  memory per worker flat (last within {100 * FLAT_FRACTION:.0f} % of first): "
              f"worst {100 * max(growth):+.1f} %: {_verdict(max(growth) <= FLAT_FRACTION)}")
        if failed:
            print(f"  {len(failed)} recordings failed: {', '.join(sorted(set(failed)))}")
            sys.exit(1)


if __name__ == "__main__":
    main()
