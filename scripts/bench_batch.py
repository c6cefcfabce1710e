"""Benchmark of ``synk batch`` (issue 22): scale-out, Dask overhead, kill-and-resume, memory.

Makes ``--n`` short copies of the shared videos with random re-encodes (ffmpeg: random start,
CRF, preset and width) in a temporary folder, never in the repository, then:

1. runs the archive on a local pool of 1 worker and of 2 workers (fresh output folders): the
   speed-up (target >= 1.8x);
2. runs it on a Dask ``LocalCluster`` of 2 worker processes (1 thread each) against the local
   pool of 2 (target: at most 10 % more time; the cluster's start-up is timed apart);
3. starts ``synk batch`` as a process, kills it (SIGKILL, whole process group) at a random moment,
   restarts it and checks that every recording ends with exactly one ``done.json`` and that
   the restart redid only what had no ``done.json``;
4. samples the resident memory (RSS) of every worker process during the 2-worker local run:
   per worker, after its first recording and at the end (flat = no growth with the number of
   recordings).

Usage::

    nice -n 10 python scripts/bench_batch.py [--n 8] [--seconds 2.5] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _sources() -> list[Path]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from fetch_media import fetch  # noqa: PLC0415 - the project's one way to find the media

    folder = fetch()
    return [folder / "single_face.mp4", folder / "WolfgangLanger_Pexels.mp4"]


def make_archive(folder: Path, *, n: int, seconds: float, rng: np.random.Generator) -> list[str]:
    """``n`` re-encoded clips into ``folder``; returns one line per clip saying how."""
    sources, made = _sources(), []
    for i in range(n):
        source = sources[i % len(sources)]
        start = round(float(rng.uniform(0.0, 1.5)), 2)
        crf = int(rng.integers(18, 33))
        preset = str(rng.choice(["ultrafast", "veryfast", "medium"]))
        width = int(rng.choice([480, 640]))
        target = folder / f"clip{i:03d}.mp4"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", str(start), "-i",
                        str(source), "-t", str(seconds), "-an", "-vf", f"scale={width}:-2",
                        "-c:v", "libx264", "-crf", str(crf), "-preset", preset, str(target)],
                       check=True)
        made.append(f"{target.name}: {source.name} from {start} s, crf {crf}, {preset}, "
                    f"width {width}")
    return made


class MemorySampler:
    """Samples the RSS of every descendant process of this one, every ``interval`` s."""

    def __init__(self, interval: float = 0.25) -> None:
        import psutil

        self._me, self._interval = psutil.Process(), interval
        self.samples: list[tuple[float, int, float]] = []  # (t, pid, rss MB)
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        start = self.start = time.monotonic()
        while not self._stop.is_set():
            for child in self._me.children(recursive=True):
                try:
                    self.samples.append((time.monotonic() - start, child.pid,
                                         child.memory_info().rss / 2**20))
                except psutil.Error:
                    pass
            self._stop.wait(self._interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def per_worker(self, after: float, before: float, min_mb: float = 150.0
                   ) -> list[tuple[int, float, float]]:
        """(pid, RSS MB at the first sample after ``after`` s, at the last sample before
        ``before`` s) of each worker that loaded the landmarker (RSS above ``min_mb``: not the
        pool's resource tracker)."""
        out = []
        for pid in sorted({p for _, p, _ in self.samples}):
            mine = [(t, rss) for t, p, rss in self.samples if p == pid and after <= t <= before]
            if mine and max(rss for _, rss in mine) >= min_mb:
                out.append((pid, mine[0][1], mine[-1][1]))
        return out


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of the ended child processes (the pool's workers)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_local(archive: Path, output: Path, workers: int, finished: list | None = None):
    """Wall seconds, CPU seconds of the workers, and the result of a local run; ``finished``
    gets each recording's end time."""
    from synkinesis.cohort.batch import read_archive, run_batch
    from synkinesis.workflow import WorkflowOptions

    start, cpu = time.monotonic(), _children_cpu_s()
    run = run_batch(read_archive(archive), options=WorkflowOptions(), output_dir=output,
                    workers=workers,
                    on_result=None if finished is None
                    else lambda _: finished.append(time.monotonic()))
    return time.monotonic() - start, _children_cpu_s() - cpu, run


def timed_dask(archive: Path, output: Path):
    from distributed import Client, LocalCluster

    from synkinesis.cohort.batch import read_archive, run_batch
    from synkinesis.workflow import WorkflowOptions

    start, cpu = time.monotonic(), _children_cpu_s()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        up = time.monotonic() - start
        start = time.monotonic()
        run = run_batch(read_archive(archive), options=WorkflowOptions(), output_dir=output,
                        client=client)
        elapsed = time.monotonic() - start
    # the cluster's processes, start and stop included
    return up, elapsed, _children_cpu_s() - cpu, run


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
    subprocess.run(command, env=env, check=True, stderr=subprocess.DEVNULL)
    report = json.loads((output / "batch-report.json").read_text())
    markers = list(output.glob("recordings/*/done.json"))
    recordings = [json.loads(p.read_text())["recording"] for p in markers]
    return {"kill_after_s": round(delay, 1), "killed": killed, "done_before_kill": before,
            "restart_done_now": report["done_now"], "restart_skipped": report["skipped"],
            "failed": report["failed"], "done_markers": len(markers),
            "exactly_once": sorted(recordings) == sorted(set(recordings)) and len(markers) == n
            and report["done_now"] + before == n and report["skipped"] == before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=8, help="recordings in the archive")
    parser.add_argument("--seconds", type=float, default=2.5, help="length of each clip")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="synk-bench-batch-") as scratch:
        folder = Path(scratch)
        archive = folder / "archive"
        archive.mkdir()
        for line in make_archive(archive, n=args.n, seconds=args.seconds, rng=rng):
            print("  ", line)
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        one_s, one_cpu, one = timed_local(archive, folder / "one", 1)
        finished: list[float] = []
        with MemorySampler() as sampler:
            two_s, two_cpu, two = timed_local(archive, folder / "two", 2, finished)
        up_s, dask_s, dask_cpu, dask = timed_dask(archive, folder / "dask")
        assert one.done_now == two.done_now == dask.done_now == args.n, "a recording failed"
        print(f"local pool, 1 worker : {one_s:6.1f} s  ({args.n / one_s:.2f} recordings/s), "
              f"workers' CPU {one_cpu:.1f} s = {one_cpu / one_s:.2f} cores busy")
        print(f"local pool, 2 workers: {two_s:6.1f} s  speed-up {one_s / two_s:.2f}x "
              f"(target >= 1.8x), workers' CPU {two_cpu:.1f} s = {two_cpu / two_s:.2f} cores "
              "busy")
        print(f"Dask LocalCluster 2  : {dask_s:6.1f} s  {100 * (dask_s / two_s - 1):+.1f} % vs "
              f"the local pool (target <= +10 %); cluster start {up_s:.1f} s apart; "
              f"cluster CPU {dask_cpu:.1f} s")
        # from the second recording's end on: each worker has then done at least one
        for pid, first, end in sampler.per_worker(after=finished[1] - sampler.start,
                                                  before=finished[-1] - sampler.start):
            print(f"worker {pid} RSS: {first:.0f} MB after its first recording, {end:.0f} MB "
                  f"at the end ({end - first:+.0f} MB over {args.n // 2 - 1} more recordings)")
        resumed = kill_and_resume(archive, folder / "killed", n=args.n, full_s=two_s, rng=rng)
        print("kill and restart:", json.dumps(resumed))
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
