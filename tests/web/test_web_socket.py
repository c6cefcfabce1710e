"""The live WebSocket under abuse: garbage, frames far too fast, wrong origin, no login."""

# pytest fixtures are imported from web_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import asyncio
import json
import struct
import sys
from pathlib import Path

import httpx
import pytest
from web_fixtures import PASSWORD, run_async, server, web_root

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def session_cookie(server, username: str) -> str:
    with httpx.Client(base_url=server.url) as client:
        client.post("/login", data={"username": username, "password": PASSWORD})
        return f"synk_session={client.cookies['synk_session']}"


def jpeg_frames(media_dir: Path, count: int) -> list[bytes]:
    import cv2

    from videotools import read_frames

    frames = read_frames(media_dir / "single_face.mp4")
    out = []
    for i in range(count):
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(frames[i % len(frames)],
                                                     cv2.COLOR_RGB2BGR))
        out.append(data.tobytes())
    return out


async def receive_until(ws, kind: str, limit: int = 200) -> dict:
    for _ in range(limit):
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} message")


def test_garbage_gets_an_error_and_the_server_survives(server, media):
    import websockets

    url = server.url.replace("http", "ws") + "/ws/live?patient=P001"
    cookie = session_cookie(server, "pat1")
    frames = jpeg_frames(media, 60)

    async def scenario():
        async with websockets.connect(url, additional_headers={"Cookie": cookie}) as ws:
            assert (await receive_until(ws, "ready"))["side"] == "left"
            await ws.send("this is not json")
            assert "JSON" in (await receive_until(ws, "error"))["message"]
            await ws.send(b"\x01\x02")
            assert "header" in (await receive_until(ws, "error"))["message"]
            await ws.send(struct.pack("<IB3x", 1, 0) + b"not a jpeg at all")
            assert "JPEG" in (await receive_until(ws, "error"))["message"]
            await ws.send(json.dumps({"type": "launch"}))
            assert "unknown message type" in (await receive_until(ws, "error"))["message"]
            # 60 frames at once, far faster than they can be measured: the server keeps one
            # waiting frame, drops the rest and says so; nothing queues without bound.
            for i, jpeg in enumerate(frames, start=10):
                await ws.send(struct.pack("<IB3x", i, 0) + jpeg)
            replies = []
            while not replies or replies[-1]["id"] != 69:
                replies.append(await receive_until(ws, "frame"))
            assert len(replies) < 30 and replies[-1]["dropped"] >= 30
            assert replies[-1]["n_faces"] == 1

        # The server goes on: a new connection works.
        async with websockets.connect(url, additional_headers={"Cookie": cookie}) as ws:
            await receive_until(ws, "ready")
            await ws.send(struct.pack("<IB3x", 1, 0) + frames[0])
            assert (await receive_until(ws, "frame"))["id"] == 1

    run_async(scenario())
    assert httpx.get(server.url + "/healthz").text == "ok"


def test_socket_refuses_strangers(server):
    import websockets

    base = server.url.replace("http", "ws") + "/ws/live?patient=P002"

    async def first(headers: dict, url: str = base) -> dict:
        async with websockets.connect(url, additional_headers=headers) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=20))

    assert "log in" in run_async(first({}))["message"]
    cookie = session_cookie(server, "pat1")
    # another patient's record and one that does not exist get the same answer
    assert run_async(first({"Cookie": cookie}))["message"] == "no patient record 'P002'"
    missing = run_async(first({"Cookie": cookie}, url=base.replace("P002", "P999")))["message"]
    assert missing == "no patient record 'P999'"
    assert "log in" in run_async(first({"Cookie": cookie,
                                          "Origin": "http://evil.example"}))["message"]
    assert "log in" in run_async(first({"Cookie": cookie,
                                  "Origin": f"http://127.0.0.1:{server.port + 1}"}))["message"]


def test_one_account_cannot_take_every_live_slot(server):
    import websockets

    url = server.url.replace("http", "ws") + "/ws/live?patient=P002"
    cookie = session_cookie(server, "pat2")

    async def scenario():
        async with websockets.connect(url, additional_headers={"Cookie": cookie}) as one, \
                websockets.connect(url, additional_headers={"Cookie": cookie}) as two:
            await receive_until(one, "ready")
            await receive_until(two, "ready")
            async with websockets.connect(url, additional_headers={"Cookie": cookie}) as three:
                refused = json.loads(await asyncio.wait_for(three.recv(), timeout=20))
            clinician = session_cookie(server, "drtest")
            async with websockets.connect(url, additional_headers={"Cookie": clinician}) as dr:
                await receive_until(dr, "ready")
        return refused

    refused = run_async(scenario())
    assert refused["type"] == "error" and "already has 2 live sessions" in refused["message"]


def test_sessions_are_measured_apart_and_a_flooding_one_delays_no_other(server, media):
    """Three sockets at once, each with its own landmark engine: one floods 60 frames (one
    slot: it is answered for its newest frame, the rest dropped and reported); one sends a
    frame at a time (nothing dropped, every frame answered, by the one-sided exercise
    measurement); one sends a blank image (no face: its answers are its own, not the others')."""
    import cv2
    import numpy as np
    import websockets

    base = server.url.replace("http", "ws") + "/ws/live?patient="
    frames = jpeg_frames(media, 60)
    blank = cv2.imencode(".jpg", np.full((480, 640, 3), 128, np.uint8))[1].tobytes()

    async def flood(ws) -> list[dict]:
        await receive_until(ws, "ready")
        for i, jpeg in enumerate(frames, start=1):
            await ws.send(struct.pack("<IB3x", i, 0) + jpeg)
        replies = [await receive_until(ws, "frame")]
        while replies[-1]["id"] != len(frames):
            replies.append(await receive_until(ws, "frame"))
        return replies

    async def one_at_a_time(ws, images: list[bytes]) -> list[dict]:
        await receive_until(ws, "ready")
        replies = []
        for i, jpeg in enumerate(images, start=1):
            await ws.send(struct.pack("<IB3x", i, 1) + jpeg)  # rest phase
            replies.append(await receive_until(ws, "frame"))
        return replies

    async def scenario():
        pat1, clinician = session_cookie(server, "pat1"), session_cookie(server, "drtest")
        async with websockets.connect(base + "P001", additional_headers={"Cookie": pat1}) as a, \
                websockets.connect(base + "P001&exercise=smile_eye_open",
                                   additional_headers={"Cookie": pat1}) as b, \
                websockets.connect(base + "P002", additional_headers={"Cookie": clinician}) as c:
            return await asyncio.gather(flood(a), one_at_a_time(b, frames[:20]),
                                        one_at_a_time(c, [blank] * 10))

    flooded, steady, empty = run_async(scenario())
    assert len(flooded) < 40 and flooded[-1]["dropped"] >= 20
    assert sum(r["dropped_since"] for r in flooded) == flooded[-1]["dropped"]
    assert [r["id"] for r in steady] == list(range(1, 21))
    assert all(r["dropped"] == 0 and r["dropped_since"] == 0 for r in steady)
    assert all(r["n_faces"] == 1 for r in steady) and steady[-1]["pose_deg"] is not None
    assert all(r["n_faces"] == 0 for r in empty)
    assert all(r["n_faces"] == 1 for r in flooded)


@pytest.mark.parametrize("cores", [{0}, {0, 1, 2}])
def test_the_measuring_pool_has_one_thread_per_usable_core(monkeypatch, cores):
    """A server pinned to fewer cores than the machine has (taskset, a cpuset) measures with
    that many threads: more would only slow each other's frames down."""
    import os

    from synkinesis.web.biofeedback import LiveLimiter

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cores)
    limiter = LiveLimiter(8)
    try:
        assert limiter.pool._max_workers == len(cores)
    finally:
        limiter.pool.shutdown()
