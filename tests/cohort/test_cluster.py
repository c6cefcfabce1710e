""":mod:`synkinesis.cohort.cluster`: batch workers held to one core each, in a local pool of
spawned processes and on a Dask LocalCluster, and let go after a Dask run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from synkinesis.cohort.cluster import (
    DASK_CONFIG,
    WORKER_ENV,
    OneCorePerWorker,
    cpu_plan,
    local_pool,
    usable_cpu_ids,
    worker_environment,
    worker_state,
)

CPUS = usable_cpu_ids()


def _state_together(barrier) -> dict:
    """A worker's state, once every worker holds a task (so each task runs on its own)."""
    barrier.wait()
    return worker_state()


def test_cpu_plan_is_round_robin_and_binds_nothing_when_oversubscribed():
    assert cpu_plan(2, [4, 7]) == [4, 7]
    assert cpu_plan(1, [4, 7]) == [4]
    assert cpu_plan(3, [4, 7]) is None
    assert cpu_plan(0, [4, 7]) is None


def test_worker_environment_is_set_inside_and_restored_after(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    with worker_environment():
        assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["MALLOC_ARENA_MAX"] == "2"
    assert os.environ["OMP_NUM_THREADS"] == "8" and "MALLOC_ARENA_MAX" not in os.environ


def test_a_spawned_worker_reads_the_limits_before_its_first_import():
    # what a worker of the pool starts with: MALLOC_ARENA_MAX is only read at process start
    code = ("import os, sys; print(os.environ['MALLOC_ARENA_MAX'], "
            "os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)")
    with worker_environment():
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.split()
    assert out == ["2", "1", "False"]


def test_local_pool_workers_have_one_thread_pools_and_their_own_cpu():
    import multiprocessing

    workers = min(2, len(CPUS))
    with multiprocessing.get_context("spawn").Manager() as manager, local_pool(workers) as pool:
        barrier = manager.Barrier(workers, timeout=120)
        states = [f.result() for f in [pool.submit(_state_together, barrier)
                                       for _ in range(workers)]]
    by_pid = {s["pid"]: s for s in states}
    assert len(by_pid) == workers
    for state in by_pid.values():
        assert state["cv2_threads"] == 1
        assert state["usable_cpus"] == 1  # the paired landmarkers run one after the other
        assert state["env"] == WORKER_ENV
        assert len(state["cpus"]) == 1  # bound: as many workers as CPUs or fewer
    assert sorted(s["cpus"][0] for s in by_pid.values()) == CPUS[:workers]


def test_local_pool_without_binding_keeps_the_cpus_but_not_the_threads():
    with local_pool(1, bind=False) as pool:
        state = pool.submit(worker_state).result()
    assert state["cpus"] == CPUS
    assert state["cv2_threads"] == 1 and state["usable_cpus"] == 1


def test_oversubscribed_local_pool_binds_no_worker():
    with local_pool(len(CPUS) + 1) as pool:
        state = pool.submit(worker_state).result()
    assert state["cpus"] == CPUS and state["cv2_threads"] == 1


def test_plan_numbers_the_one_thread_workers_of_each_host():
    workers = {"tcp://a:2": {"host": "a", "nthreads": 1}, "tcp://a:1": {"host": "a", "nthreads": 1},
               "tcp://b:1": {"host": "b", "nthreads": 1}, "tcp://b:2": {"host": "b", "nthreads": 4}}
    assert OneCorePerWorker.plan(workers) == {"tcp://a:1": (0, 2), "tcp://a:2": (1, 2),
                                              "tcp://b:1": (0, 1)}


def test_dask_workers_are_held_during_the_run_and_let_go_after():
    distributed = pytest.importorskip("distributed")
    import dask

    # the profiler left on, to see the plugin stop it (DASK_CONFIG turns it off from the start)
    config = {k: v for k, v in DASK_CONFIG.items() if "profile" not in k}
    with dask.config.set(config), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        before = client.run(worker_state)
        profiled = client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
        for state in before.values():
            assert state["env"]["MALLOC_ARENA_MAX"] == "2"  # spawned with it
        plan = OneCorePerWorker.plan(client.scheduler_info()["workers"])
        client.register_plugin(OneCorePerWorker(plan), name=OneCorePerWorker.name)
        # in a task thread, as a recording runs (it existed before the plugin's set-up)
        held = {address: client.submit(worker_state, workers=[address], pure=False).result()
                for address in before}
        profiling = client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
        client.unregister_worker_plugin(OneCorePerWorker.name)
        after = client.run(worker_state)
        profiled_after = client.run(
            lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
    assert all(profiled.values()) and all(profiled_after.values())
    assert not any(profiling.values())
    for address, state in held.items():
        assert state["cv2_threads"] == 1 and state["usable_cpus"] == 1
        if len(CPUS) >= 2:
            assert state["cpus"] == [CPUS[plan[address][0]]]
        assert after[address]["cpus"] == before[address]["cpus"]
        assert after[address]["cv2_threads"] == before[address]["cv2_threads"]
        assert after[address]["usable_cpus"] == before[address]["usable_cpus"]
    if len(CPUS) >= 2:
        assert sorted(s["cpus"][0] for s in held.values()) == CPUS[:2]


def test_release_free_memory_gives_freed_heap_back_to_the_system():
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's malloc_trim: Linux")
    # 192 MB of malloc'd blocks freed while the heap's top stays in use: free() alone keeps
    # the pages (the worker's memory growing over recordings), malloc_trim gives them back
    code = (
        "from synkinesis.cohort.cluster import release_free_memory, worker_state\n"
        "blocks = [bytes(64 * 1024) for _ in range(3000)]\n"
        "keep = blocks[-1]\n"
        "del blocks\n"
        "before = worker_state()['rss_mb']\n"
        "print(release_free_memory(), before - worker_state()['rss_mb'])\n")
    released, freed_mb = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                        text=True, check=True).stdout.split()
    assert released == "True"
    assert float(freed_mb) > 100


def test_dask_config_spawns_workers_without_a_fixed_trim_threshold(monkeypatch):
    # Dask's default MALLOC_TRIM_THRESHOLD_ also fixes glibc's mmap threshold: every frame-sized
    # array is then mapped afresh, about 10 % more CPU per recording (docs/benchmarks.md)
    distributed = pytest.importorskip("distributed")
    import dask

    # a nanny leaves its variables in its own process's environment, which later workers
    # inherit: an earlier test's cluster with Dask's defaults would set it here
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)

    def environment():
        return {name: os.environ.get(name)
                for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "OMP_NUM_THREADS")}

    with dask.config.set(DASK_CONFIG), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        (env,) = client.run(environment).values()
    assert env == {"MALLOC_TRIM_THRESHOLD_": None, "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1"}
