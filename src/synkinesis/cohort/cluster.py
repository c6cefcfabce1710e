"""How batch workers use the machine: one core each, memory that stays flat.

A recording's task left to itself keeps more than one core busy: the mirror-averaged and
composite passes run two landmarkers at once
(:class:`~synkinesis.landmarks.engine.PairedDetection`), and OpenCV, the video decoder and
NumPy's BLAS start thread pools the size of the machine. Two such workers on two cores fight
over them, so the second worker adds little. A batch worker is therefore held to one core
(:func:`hold_to_one_core`):

* one-thread pools: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` (and
  NumExpr's, Accelerate's) set to 1 in the worker's environment before it starts
  (:func:`worker_environment`) and again in the worker, ``cv2.setNumThreads(1)``, the BLAS
  pools already loaded limited through threadpoolctl when it is installed, and this package's
  own pairs of landmarkers run one after the other
  (:func:`~synkinesis.landmarks.engine.limit_cpus`). The LiteRT engine's interpreter runs
  one thread already (``num_threads=1``); MediaPipe's Tasks API takes no thread count (its
  options name a model and a delegate only) and runs its graph on threads of its own (in a
  landmarker's per-thread CPU time two of them shared the work), which only the binding below
  keeps on the worker's CPU;
* when there are no more workers than usable CPUs, each worker is bound to its own CPU
  (``os.sched_setaffinity``, round robin over the usable CPUs): the threads that cannot be
  configured (MediaPipe's graph executor, FFmpeg's decoder, which sizes its pool from the
  affinity) then share that one CPU instead of spilling onto the others';
* glibc's malloc keeps at most 2 arenas (``MALLOC_ARENA_MAX=2``, which glibc reads when the
  process starts, hence set in the environment the worker is spawned with): with one arena per
  thread that ever allocated, the native threads of each recording's landmarkers left arenas
  that grew the worker's resident memory recording after recording;
* after each recording the worker gives the memory its allocator holds free back to the
  system (:func:`release_free_memory`).

On Dask the same set-up runs in each worker through :class:`OneCorePerWorker`, registered by
:func:`synkinesis.cohort.batch.run_batch` for the run and removed after it; it also stops the
worker's statistical profiler (a stack sample of every thread every 10 ms).
:data:`DASK_CONFIG` is the configuration to start a ``LocalCluster`` with.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = [
    "DASK_CONFIG",
    "MALLOC_ENV",
    "ONE_THREAD_ENV",
    "WORKER_ENV",
    "OneCorePerWorker",
    "cpu_plan",
    "hold_to_one_core",
    "init_local_worker",
    "local_pool",
    "process_cpus",
    "release_free_memory",
    "release_one_core",
    "usable_cpu_ids",
    "worker_environment",
    "worker_state",
]

#: Thread pools of the numerical libraries, one thread each (read when they load).
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                  "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}
#: glibc malloc: at most 2 arenas (read when the process starts).
MALLOC_ENV = {"MALLOC_ARENA_MAX": "2"}
#: The environment a batch worker process is spawned with (on top of the parent's).
WORKER_ENV = {**ONE_THREAD_ENV, **MALLOC_ENV}
#: Dask configuration for a LocalCluster of batch workers: the nanny spawns each worker with
#: :data:`WORKER_ENV` (it sets the one-thread variables itself by default), WITHOUT Dask's
#: default ``MALLOC_TRIM_THRESHOLD_=65536``, and the workers' profiler is off. Setting glibc's
#: trim threshold also fixes its mmap threshold, so every frame-sized array is mapped and
#: unmapped afresh: 16 recordings took 22.3 CPU s in a one-worker LocalCluster with it, 20.8
#: and 21.4 s without, 20.2 s in the local pool (docs/benchmarks.md). The worker gives memory
#: back after each recording instead (:func:`release_free_memory`).
DASK_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    **{f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_ENV.items()},
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # None: not set
    # the worker's own housekeeping, woken less often: the event loop's tick check (every
    # 20 ms by default), the system monitor (500 ms) and the memory monitor (100 ms); a
    # recording's task runs for a second or more
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
#: The profiler's periodic callbacks of a Dask worker.
_PROFILER_CALLBACKS = ("profile", "profile-cycle")


def usable_cpu_ids() -> list[int]:
    """The CPUs this process may run on, sorted (all CPUs where the OS gives no affinity)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return list(range(os.cpu_count() or 1))


def _thread_ids() -> list[int]:
    """This process's threads (Linux), else [0] (the calling thread)."""
    try:
        return [int(t) for t in os.listdir("/proc/self/task")]
    except (OSError, ValueError):
        return [0]


def process_cpus() -> list[int]:
    """The CPUs any thread of this process may run on, sorted."""
    cpus: set[int] = set()
    for thread in _thread_ids():
        try:
            cpus |= os.sched_getaffinity(thread)
        except (AttributeError, OSError):  # ended meanwhile; not on Linux
            continue
    return sorted(cpus) or usable_cpu_ids()


def _bind_process(cpus: set[int]) -> None:
    """Bind every thread of this process to ``cpus`` (threads started later inherit it from
    the thread that starts them: a Dask worker's task threads exist before its plugins run,
    and ``sched_setaffinity(0)`` binds only the calling thread)."""
    for thread in _thread_ids():
        try:
            os.sched_setaffinity(thread, cpus)
        except ProcessLookupError:  # the thread ended meanwhile
            continue


def cpu_plan(workers: int, cpus: Sequence[int] | None = None) -> list[int] | None:
    """The CPU of each of ``workers`` workers, round robin over ``cpus`` (default: the usable
    ones), or None when there are more workers than CPUs (then none is bound: a bound worker
    could not use a CPU its neighbour leaves idle)."""
    cpus = list(usable_cpu_ids() if cpus is None else cpus)
    if workers < 1 or workers > len(cpus) or not hasattr(os, "sched_setaffinity"):
        return None
    return [cpus[i % len(cpus)] for i in range(workers)]


@contextmanager
def worker_environment(env: Mapping[str, str] = WORKER_ENV) -> Iterator[None]:
    """Processes started inside get ``env`` in their environment (a spawned child copies this
    process's environment when it starts); this process's environment is restored after."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def hold_to_one_core(cpu: int | None = None) -> dict[str, Any]:
    """Hold this process to one core: one-thread pools and this package's paired landmarkers
    one after the other, and bound to ``cpu`` when one is given. Call it before the heavy
    imports where possible (the numerical libraries read their thread variables when they
    load). Returns what it changed, for :func:`release_one_core`."""
    saved: dict[str, Any] = {"env": {name: os.environ.get(name) for name in ONE_THREAD_ENV}}
    os.environ.update(ONE_THREAD_ENV)
    if cpu is not None:
        saved["affinity"] = set(process_cpus())
        _bind_process({cpu})
    import cv2

    saved["cv2_threads"] = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ModuleNotFoundError:
        pass
    else:  # BLAS pools loaded before the variables were set (a Dask worker imports NumPy)
        saved["threadpools"] = threadpool_limits(limits=1)
    from synkinesis.landmarks import engine

    saved["cpu_limit"] = engine._CPU_LIMIT
    engine.limit_cpus(1)
    return saved


def release_one_core(saved: Mapping[str, Any]) -> None:
    """Undo :func:`hold_to_one_core` (a Dask worker after the run)."""
    import cv2

    from synkinesis.landmarks import engine

    engine.limit_cpus(saved["cpu_limit"])
    if "threadpools" in saved:
        saved["threadpools"].restore_original_limits()
    cv2.setNumThreads(saved["cv2_threads"])
    if "affinity" in saved:
        _bind_process(saved["affinity"])
    for name, value in saved["env"].items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def release_free_memory() -> bool:
    """Give the memory the allocator holds free back to the system (glibc's ``malloc_trim``:
    free pages inside every arena, not only at the heap's top). A batch worker calls it after
    each recording: the frames, landmark arrays and native buffers of a recording are freed
    when it ends, but glibc keeps the pages and the next recording's allocations fragment them
    further. Returns False where there is no glibc (macOS, Windows, musl)."""
    import ctypes
    import ctypes.util

    global _LIBC
    if _LIBC is None:
        name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(name) if name else None
        except OSError:
            libc = None
        _LIBC = libc if libc is not None and hasattr(libc, "malloc_trim") else False
    if _LIBC is False:
        return False
    _LIBC.malloc_trim(0)
    return True


_LIBC: Any = None


def init_local_worker(counter: Any, plan: Sequence[int] | None) -> None:
    """Initializer of a local pool's worker process: held to one core, bound to the next CPU of
    ``plan`` (:func:`cpu_plan`; ``counter`` a shared ``multiprocessing.Value`` counting the
    workers started)."""
    cpu = None
    if plan:
        with counter.get_lock():
            number = counter.value
            counter.value += 1
        cpu = plan[number % len(plan)]
    hold_to_one_core(cpu)


@contextmanager
def local_pool(workers: int, *, bind: bool = True) -> Iterator[Any]:
    """A pool of ``workers`` spawned processes, each held to one core (:func:`init_local_worker`,
    bound to its own CPU when ``bind`` and :func:`cpu_plan` allows) and spawned with
    :data:`WORKER_ENV`. Spawn, not fork: MediaPipe's threads do not survive a fork. The pool
    starts its processes as tasks are submitted, so submit inside the ``with``."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    plan = cpu_plan(workers) if bind else None
    with worker_environment(), ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=init_local_worker,
            initargs=(context.Value("i", 0), plan)) as pool:
        yield pool


def worker_state() -> dict[str, Any]:
    """How this process stands: its pid, the CPUs its threads may run on, OpenCV's threads,
    the CPUs this package's landmarkers use, the variables of :data:`WORKER_ENV`, its threads
    and resident memory (MB, Linux) (tests and the benchmark run it in the workers)."""
    import cv2

    from synkinesis.landmarks.engine import usable_cpus

    state: dict[str, Any] = {"pid": os.getpid(), "cpus": process_cpus(),
                             "cv2_threads": cv2.getNumThreads(), "usable_cpus": usable_cpus(),
                             "env": {name: os.environ.get(name) for name in WORKER_ENV}}
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            status = dict(line.split(":", 1) for line in handle if ":" in line)
        state["threads"] = int(status["Threads"])
        state["rss_mb"] = int(status["VmRSS"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):  # not on Linux
        pass
    return state


def _worker_plugin_base() -> type:
    try:
        from distributed.diagnostics.plugin import WorkerPlugin
    except ModuleNotFoundError:  # Dask is optional: the class still imports without it
        return object
    return WorkerPlugin


class OneCorePerWorker(_worker_plugin_base()):  # type: ignore[misc]
    """Dask worker plugin: each worker of a batch run held to one core
    (:func:`hold_to_one_core`) and its profiler stopped; undone when it is unregistered.

    Parameters
    ----------
    cpus : mapping of worker address -> (number, count), optional
        Where each worker stands among its host's one-thread workers (:meth:`plan`): it is bound
        to its own CPU when the host has at least ``count`` usable CPUs. Workers not named
        here, or that run more than one thread, are not bound.
    """

    name = "synkinesis-one-core"

    def __init__(self, cpus: Mapping[str, tuple[int, int]] | None = None) -> None:
        self.cpus = dict(cpus or {})
        self._saved: dict[str, Any] | None = None
        self._profiler: dict[str, Any] = {}

    @staticmethod
    def plan(workers: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
        """Worker address -> (its number among the one-thread workers of its host, how many
        there are) from the scheduler's worker information (``client.scheduler_info()
        ["workers"]``), numbered in address order. A worker binds itself to its host's CPU of
        that number when the host has at least that many usable CPUs."""
        by_host: dict[str, list[str]] = {}
        for address, info in workers.items():
            if info.get("nthreads") == 1:
                by_host.setdefault(str(info.get("host") or address), []).append(address)
        return {address: (number, len(addresses)) for addresses in by_host.values()
                for number, address in enumerate(sorted(addresses))}

    def setup(self, worker: Any) -> None:
        cpu = None
        number, count = self.cpus.get(worker.address, (0, 0))
        if count and worker.state.nthreads == 1:
            plan = cpu_plan(count)
            cpu = None if plan is None else plan[number]
        self._saved = hold_to_one_core(cpu)
        for name in _PROFILER_CALLBACKS:
            callback = worker.periodic_callbacks.pop(name, None)
            if callback is not None:
                callback.stop()
                self._profiler[name] = callback

    def teardown(self, worker: Any) -> None:
        if self._saved is not None:
            release_one_core(self._saved)
            self._saved = None
        for name, callback in self._profiler.items():
            worker.periodic_callbacks[name] = callback
            callback.start()
        self._profiler = {}
