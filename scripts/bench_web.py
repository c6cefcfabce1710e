#!/usr/bin/env python
"""Live-loop latency of the web app, measured in the real browser.

Starts ``synk serve``'s app on a free loopback port (temporary record, no accounts), launches
Debian's Chromium headless with the camera faked from the real test video (640x480, 30 fps
.y4m made with ffmpeg), opens the biofeedback page and reads the page's own timings: the time
from a frame leaving the browser (``WebSocket.send``) to its feedback arriving (``onmessage``),
and from the canvas capture (before JPEG encoding) to the feedback.

Scenarios: one session at 30 fps; four simultaneous sessions at 15 fps each. Prints p50/p95
(over all sessions, and p95 per session), frames answered per second, frames skipped by the
browser (one frame in flight) and dropped by the server (one-slot buffer), and the p50 of the
first and last third of the run (a growing backlog would show as a rising delay).

    .venv/bin/python scripts/bench_web.py [--seconds 20] [--inflight 1]

``--no-browser``: the same two scenarios with Python clients sending pre-encoded 640x480 JPEGs
(one frame in flight, a frame due while one is in flight skipped, as the page does), which
separates the server's cost from the browser's; also prints the process's CPU time per answered
frame. ``taskset -c 0`` in front of it runs it on one core (the issue's target).

``--minutes M``: the memory run: one exercise session at 30 fps over the socket for M minutes,
the process's resident memory sampled every 10 s, and the slope of a line through the second
half (MB per minute).

``--measurer FRAMES`` measures only the live measurement itself, without the web app: CPU time
per frame (``time.process_time``, all threads of the process: it does not depend on what else
runs on the machine, unlike wall time) of the honest one-sided path the exercises use
(``composite-edges``, with the Tasks API and with the LiteRT loop) and of the old single pass
(``fast``), over the real video looped to FRAMES frames, with the resident memory at the start
and end of each run.

``--live-method`` / ``--live-engine`` force the exercises' method or landmark engine (for
comparison with the app's: composite-edges on LiteRT where installed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("SYNK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream"]


def media_video() -> Path:
    for candidate in (os.environ.get("SYNK_MEDIA_DIR"), ROOT.parent / "shared/data/media",
                      ROOT / ".media-cache/media"):
        if candidate and (Path(candidate) / "single_face.mp4").is_file():
            return Path(candidate) / "single_face.mp4"
    sys.exit("single_face.mp4 not found: set SYNK_MEDIA_DIR or run scripts/fetch_media.py")


def start_server(root: Path):
    import uvicorn

    from synkinesis.store import load_settings, open_store
    from synkinesis.store.repository import create_patient
    from synkinesis.web import create_app
    from synkinesis.web.settings import load_web_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"sqlite:///{root / 'record.sqlite'}"
    # no_login: a loopback-only server without accounts (the tests' way; login is not measured)
    settings = load_web_settings(environ={}, port=port, accounts_path=root / "none.json",
                                 database_url=url, no_login=True,
                                 max_live_per_account=4)
    store = open_store(load_settings(database_url=url, environ={}))
    with store.transaction() as session:
        create_patient(session, code="BENCH", affected_side="left")
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), host="127.0.0.1",
                                           port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def scenario(browser, base: str, *, sessions: int, fps: float, seconds: float,
             inflight: int) -> dict:
    pages, contexts = [], []
    for _ in range(sessions):
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.goto(f"{base}/patients/BENCH/exercise?name=smile_eye_open&fps={fps:g}"
                  f"&inflight={inflight}")
        contexts.append(context)
        pages.append(page)
    for page in pages:  # calibration and rest phase done, exercise running
        page.wait_for_function("!document.getElementById('finish').disabled", timeout=60_000)
    starts = [page.evaluate("({n: window.synkStats.latencies.length, s: window.synkStats.sent,"
                            " k: window.synkStats.skipped, d: window.synkStats.serverDropped})")
              for page in pages]
    time.sleep(seconds)
    latencies, capture, server_ms, answered, skipped, dropped, sent = [], [], [], 0, 0, 0, 0
    thirds = []
    for page, start in zip(pages, starts):
        stats = page.evaluate("window.synkStats")
        lat = np.array(stats["latencies"][start["n"]:])
        latencies.append(lat)
        capture.append(np.array(stats["captureLatencies"][start["n"]:]))
        server_ms.append(np.array(stats["serverMs"][start["n"]:], dtype=float))
        answered += lat.size
        sent += stats["sent"] - start["s"]
        skipped += stats["skipped"] - start["k"]
        dropped += stats["serverDropped"] - start["d"]
        third = max(lat.size // 3, 1)
        thirds.append((np.median(lat[:third]), np.median(lat[-third:])))
    for context in contexts:
        context.close()
    lat, cap, srv = (np.concatenate(x) for x in (latencies, capture, server_ms))
    return {
        "sessions": sessions, "fps_requested": fps, "seconds": seconds,
        "frames_answered_per_s_per_session": answered / seconds / sessions,
        "sent": sent, "skipped_in_browser": skipped, "dropped_by_server": dropped,
        "send_to_feedback_ms": (np.percentile(lat, 50), np.percentile(lat, 95)),
        "p95_per_session": [float(np.percentile(x, 95)) for x in latencies],
        "capture_to_feedback_ms": (np.percentile(cap, 50), np.percentile(cap, 95)),
        "server_ms": (np.percentile(srv, 50), np.percentile(srv, 95)),
        "p50_first_vs_last_third_ms": (float(np.mean([a for a, _ in thirds])),
                                       float(np.mean([b for _, b in thirds]))),
    }


def video_jpegs(video: Path) -> list[bytes]:
    """The video's frames as the page sends them: 640x480 JPEGs, quality 80, looped back and
    forth (no jump when the loop restarts)."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    jpegs = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        height, width = frame.shape[:2]
        top = max((height - 480) // 2, 0)
        frame = cv2.resize(frame, (width * 480 // height, 480))[:, :640] if height != 480 \
            else frame[top:top + 480, :640]
        jpegs.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    return jpegs + jpegs[::-1][1:-1]


#: Frames a client marks as rest at the start of a session (the page's "relax" phase).
REST_FRAMES = 60


async def socket_client(url: str, jpegs: list[bytes], *, fps: float, seconds: float,
                        on_answer=None) -> list[float]:
    """One live session as the page runs it: a frame every 1/fps s, one frame in flight (a
    frame falling due while one is in flight is skipped, as the page does); the first
    :data:`REST_FRAMES` sent marked rest, then ``seconds`` of exercise frames. Returns
    frame-sent -> feedback times (ms) of the exercise frames; ``on_answer(rest)`` is called
    after each answer (``rest``: a rest frame's)."""
    import asyncio
    import json
    import struct

    import websockets

    latencies: list[float] = []
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()  # ready
        start = time.perf_counter()
        measured_from = float("inf")  # the first frame after the rest frames
        frame_id = n_sent = 0
        while (now := time.perf_counter()) - measured_from < seconds:
            elapsed = now - start
            # the next frame due (frames that fell due while one was in flight are skipped)
            index = max(int(np.ceil(elapsed * fps)), frame_id)
            await asyncio.sleep(max(0.0, start + index / fps - time.perf_counter()))
            frame_id = index + 1
            rest = n_sent < REST_FRAMES
            n_sent += 1
            sent = time.perf_counter()
            if not rest:
                measured_from = min(measured_from, sent)
            await ws.send(struct.pack("<IB3x", frame_id, 1 if rest else 0)
                          + jpegs[index % len(jpegs)])
            while json.loads(await ws.recv()).get("type") != "frame":
                pass
            if not rest:
                latencies.append(1000 * (time.perf_counter() - sent))
            if on_answer is not None:
                on_answer(rest)
    return latencies


def socket_clients(base: str, video: Path, *, sessions: int, fps: float,
                   seconds: float) -> dict:
    """The live loop without a browser: ``sessions`` Python clients at once sending
    pre-encoded 640x480 JPEGs (one in flight each), separating the server's cost from the
    browser's. p50/p95 over all sessions and p95 per session; process CPU time per answered
    frame (server and clients: one process) while every session is past its rest phase (the
    sessions' start-up, model loading and the first inferences, left out)."""
    import asyncio

    jpegs = video_jpegs(video)
    url = base.replace("http", "ws") + "/ws/live?patient=BENCH&exercise=smile_eye_open"
    ticks: list[tuple[bool, float]] = []  # per answer: all sessions past rest, process CPU
    in_rest = [True] * sessions

    def answered(session: int, rest: bool) -> None:
        in_rest[session] = rest
        ticks.append((not any(in_rest), time.process_time()))

    async def run() -> list[list[float]]:
        return await asyncio.gather(*(
            socket_client(url, jpegs, fps=fps, seconds=seconds,
                          on_answer=lambda rest, k=k: answered(k, rest))
            for k in range(sessions)))

    results = asyncio.run(run())
    lat = np.concatenate([np.array(r) for r in results])
    steady = [cpu for all_past_rest, cpu in ticks if all_past_rest]
    return {"p50": np.percentile(lat, 50), "p95": np.percentile(lat, 95),
            "p95_per_session": [float(np.percentile(r, 95)) for r in results],
            "per_s": lat.size / seconds / sessions,
            "cpu_ms_per_frame": 1000 * (steady[-1] - steady[0]) / max(1, len(steady) - 1)
            if len(steady) > 1 else float("nan")}


def rss_mb() -> float:
    """This process's resident memory, MB."""
    import resource

    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


def memory_run(base: str, video: Path, *, minutes: float, fps: float = 30.0,
               every_s: float = 10.0) -> dict:
    """One exercise session over the socket for ``minutes``; the process's resident memory
    (server and client) sampled every ``every_s`` s. Returns the samples and the slope of a
    straight line through the second half (MB per minute; a leak shows as a steady rise
    there, after the start-up's allocations have settled)."""
    import asyncio

    jpegs = video_jpegs(video)
    url = base.replace("http", "ws") + "/ws/live?patient=BENCH&exercise=smile_eye_open"
    samples: list[tuple[float, float]] = [(0.0, rss_mb())]

    start = time.perf_counter()

    def sample(rest: bool) -> None:
        if (elapsed := time.perf_counter() - start) >= len(samples) * every_s:
            samples.append((elapsed, rss_mb()))

    latencies = asyncio.run(socket_client(url, jpegs, fps=fps, seconds=60 * minutes,
                                          on_answer=sample))
    t, mb = (np.array(x) for x in zip(*samples))
    half = t >= t[-1] / 2
    slope = float(np.polyfit(t[half] / 60, mb[half], 1)[0]) if half.sum() >= 2 else float("nan")
    return {"samples": samples, "slope_mb_per_min": slope, "answered": len(latencies),
            "p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95))}


def measurer_cpu(video: Path, method: str, n_frames: int, engine_name: str | None = None,
                 ) -> dict:
    """Per-frame CPU time (ms) and resident memory (MB) of one LiveMeasurer over the video
    looped to ``n_frames`` frames (timestamps keep rising; the first 60 frames are rest)."""
    from synkinesis.landmarks.sources import iter_video, probe_video
    from synkinesis.measure.live import LiveMeasurer

    info = probe_video(video)
    frames = [frame.rgb for frame in iter_video(video, fps=info.fps)]
    frames = frames + frames[::-1][1:-1]  # ping-pong: no jump when the loop restarts

    measurer = LiveMeasurer(method=method, engine_name=engine_name)
    cpu, rss = [], []
    try:
        for k in range(n_frames):
            start = time.process_time()
            measurer.measure(frames[k % len(frames)], timestamp_ms=int(k * 1000 / info.fps),
                             rest=k < 60)
            cpu.append(1000 * (time.process_time() - start))
            if k % 100 == 0:
                rss.append(rss_mb())
    finally:
        measurer.close()
    cpu_ms = np.array(cpu[30:])  # without the first frames (model start-up)
    return {"p50": np.percentile(cpu_ms, 50), "p95": np.percentile(cpu_ms, 95),
            "mean": cpu_ms.mean(), "rss_first": rss[1] if len(rss) > 1 else rss[0],
            "rss_last": rss[-1]}


def _forced(method: str | None, engine_name: str | None):
    """LiveMeasurer with ``method`` and/or ``engine_name`` forced (the router imports it from
    its module per socket)."""
    from synkinesis.measure.live import LiveMeasurer

    forced = {key: value for key, value in (("method", method), ("engine_name", engine_name))
              if value is not None}

    class Forced(LiveMeasurer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **{**kwargs, **forced})

    return Forced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--inflight", type=int, default=1,
                        help="frames in flight per page (the app uses 1)")
    parser.add_argument("--measurer", type=int, default=0, metavar="FRAMES",
                        help="only the live measurement's CPU time per frame, over FRAMES "
                             "frames (no browser)")
    parser.add_argument("--no-browser", action="store_true",
                        help="only the Python socket clients (no Chromium)")
    parser.add_argument("--live-method", choices=("composite-edges", "fast"), default=None,
                        help="measure the exercises with this method instead of the app's "
                             "(composite-edges); 'fast' = the old single pass, for comparison")
    parser.add_argument("--live-engine", choices=("litert", "mediapipe-tasks"), default=None,
                        help="the exercises' landmark engine instead of the app's (litert "
                             "where installed)")
    parser.add_argument("--minutes", type=float, default=0.0,
                        help="only the memory run: one exercise session at 30 fps over the "
                             "socket for this many minutes, resident memory every 10 s")
    options = parser.parse_args()
    if options.live_method or options.live_engine:
        import synkinesis.measure.live as live

        live.LiveMeasurer = _forced(options.live_method,  # type: ignore[misc]
                                    options.live_engine)
    if options.no_browser or options.minutes:
        from synkinesis.measure.live import live_engine_name

        root = Path(tempfile.mkdtemp(prefix="synk-bench-web-"))
        try:
            base, server = start_server(root)
            print(f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), "
                  f"load {os.getloadavg()[0]:.1f}; live method "
                  f"{options.live_method or 'composite-edges (the app)'}, engine "
                  f"{options.live_engine or live_engine_name() + ' (the app)'}")
            if options.minutes:
                r = memory_run(base, media_video(), minutes=options.minutes)
                for elapsed, mb in r["samples"]:
                    print(f"  {elapsed:6.0f} s  {mb:6.1f} MB")
                print(f"  resident memory {r['samples'][0][1]:.0f} -> {r['samples'][-1][1]:.0f}"
                      f" MB; slope over the second half {r['slope_mb_per_min']:+.2f} MB/min; "
                      f"{r['answered']} frames answered, send -> feedback p50 {r['p50']:.1f} "
                      f"ms, p95 {r['p95']:.1f} ms; load {os.getloadavg()[0]:.1f}")
            else:
                for sessions, fps in ((1, 30.0), (4, 15.0)):
                    r = socket_clients(base, media_video(), sessions=sessions, fps=fps,
                                       seconds=options.seconds)
                    per_session = ", ".join(f"{p:.1f}" for p in r["p95_per_session"])
                    print(f"  {sessions} x {fps:g} fps: send -> feedback p50 {r['p50']:.1f} "
                          f"ms, p95 {r['p95']:.1f} ms (per session: {per_session}), "
                          f"{r['per_s']:.1f} frames/s per session answered, process CPU "
                          f"{r['cpu_ms_per_frame']:.1f} ms per frame; "
                          f"load {os.getloadavg()[0]:.1f}")
            server.should_exit = True
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    if options.measurer:
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
              f"{media_video().name} looped to {options.measurer} frames; CPU = process_time")
        for method, engine in (("fast", "mediapipe-tasks"),
                               ("composite-edges", "mediapipe-tasks"),
                               ("composite-edges", "litert")):
            r = measurer_cpu(media_video(), method, options.measurer, engine)
            print(f"  {method:16s} {engine:16s} CPU per frame p50 {r['p50']:5.1f} ms  "
                  f"p95 {r['p95']:5.1f} ms  mean {r['mean']:5.1f} ms; memory "
                  f"{r['rss_first']:.0f} -> {r['rss_last']:.0f} MB")
        return
    if not Path(CHROMIUM).is_file() or shutil.which("ffmpeg") is None:
        sys.exit("needs Debian's chromium and ffmpeg: apt-get install chromium ffmpeg")
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="synk-bench-web-"))
    try:
        y4m = root / "camera.y4m"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(media_video()),
                        "-vf", "scale=-2:480,crop=640:480,fps=30", "-pix_fmt", "yuv420p",
                        str(y4m)], check=True)
        base, server = start_server(root)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=ARGS + [f"--use-file-for-fake-video-capture={y4m}"])
            print(f"machine: {os.cpu_count()} cores; chromium {browser.version}; "
                  f"frames 640x480 JPEG q0.8; {options.inflight} frame(s) in flight per page")
            for sessions, fps in ((1, 30.0), (4, 15.0)):
                r = scenario(browser, base, sessions=sessions, fps=fps, seconds=options.seconds,
                             inflight=options.inflight)
                print(f"\n{sessions} session(s) at {fps:g} fps for {options.seconds:g} s")
                print(f"  frame sent -> feedback   p50 {r['send_to_feedback_ms'][0]:6.1f} ms  "
                      f"p95 {r['send_to_feedback_ms'][1]:6.1f} ms (per session: "
                      + ", ".join(f"{p:.1f}" for p in r["p95_per_session"]) + ")")
                print(f"  capture -> feedback      p50 {r['capture_to_feedback_ms'][0]:6.1f} ms  "
                      f"p95 {r['capture_to_feedback_ms'][1]:6.1f} ms  (includes JPEG encoding)")
                print(f"  server (arrival -> sent) p50 {r['server_ms'][0]:6.1f} ms  "
                      f"p95 {r['server_ms'][1]:6.1f} ms")
                print(f"  answered {r['frames_answered_per_s_per_session']:.1f} frames/s per "
                      f"session; sent {r['sent']}, skipped in browser {r['skipped_in_browser']},"
                      f" dropped by server {r['dropped_by_server']}")
                first, last = r["p50_first_vs_last_third_ms"]
                print(f"  backlog check: p50 first third {first:.1f} ms, last third {last:.1f} ms")
            browser.close()
        print("\nwithout a browser (Python clients, pre-encoded JPEGs, one frame in flight):")
        for sessions, fps in ((1, 30.0), (4, 15.0)):
            r = socket_clients(base, media_video(), sessions=sessions, fps=fps,
                               seconds=options.seconds)
            print(f"  {sessions} x {fps:g} fps: send -> feedback p50 {r['p50']:.1f} ms, "
                  f"p95 {r['p95']:.1f} ms (per session: "
                  + ", ".join(f"{p:.1f}" for p in r["p95_per_session"])
                  + f"), {r['per_s']:.1f} frames/s per session answered")
        server.should_exit = True
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
