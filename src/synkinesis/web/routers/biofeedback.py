"""Live biofeedback: the exercise page and the WebSocket that measures frames as they come.

Protocol (``/ws/live?patient=CODE[&exercise=NAME]``; without an exercise the socket only checks
the face, for guided recording):

* browser -> server, binary: 8-byte header (uint32 little-endian frame id, uint8 flags: bit 0 =
  rest phase, 3 bytes reserved) followed by a JPEG image (at most 1920 x 1080);
* browser -> server, text: ``{"type": "finish"}`` saves the session as a therapy session
  (once per socket, and only when at least one repetition was completed);
* server -> browser, text JSON: ``ready``, ``frame`` (id, faces, pose, movements per side and
  region in mm, the exercise feedback, dropped count), ``saved``, ``error``.

A frame that arrives while the previous one is being measured replaces any frame already
waiting (one slot, latest frame wins): a fast or stalled client is never queued without bound,
and the reply says how many frames were dropped (``dropped``: in all; ``dropped_since``: since
the previous reply). Each session has its own landmark engine (it tracks that face from frame
to frame) and at most one frame in the app's shared measuring pool (one thread per core); the
frame is taken from the slot when a thread is free for it, not when it was queued, so a session
waiting behind others is answered for its newest frame. Garbage gets an ``error`` message; too
much garbage closes the socket. The server goes on either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, WebSocketDisconnect

from synkinesis.defaults import DEFAULT_METHOD
from synkinesis.web.biofeedback import (
    EXERCISES,
    ExerciseTracker,
    get_exercise,
    threshold_from_analysis,
)
from synkinesis.web.deps import app_state, patient_access, render, websocket_session
from synkinesis.web.security import AccessDenied, check_patient_access

router = APIRouter(tags=["biofeedback"])
log = logging.getLogger("synkinesis.web.live")

HEADER = struct.Struct("<IB3x")
MAX_FRAME_BYTES = 2 * 1024 * 1024
#: Largest live frame: the page sends 640 x 480; 1920 x 1080 (a 1080p webcam, ~6 MB decoded)
#: leaves room for a better camera while bounding what one frame may cost to decode.
MAX_PIXELS = 1920 * 1080
MAX_GARBAGE = 50
FLAG_REST = 1


def patient_context(store: Any, code: str) -> tuple[str, dict | None]:
    """The patient's affected side and latest analysis (None when never analysed)."""
    from synkinesis.store.analysis_files import read_analysis_file
    from synkinesis.store.repository import get_patient

    with store.reading() as session:
        patient = get_patient(session, code=code)
        recordings = sorted((r for v in patient.visits for r in v.recordings
                             if r.analysis_path), key=lambda r: (r.visit.visit_date,
                                                                 r.created_at))
        side, path = patient.affected_side, recordings[-1].analysis_path if recordings else None
    analysis = None
    if path and Path(path).is_file():
        try:
            analysis = read_analysis_file(Path(path))
        except ValueError:
            analysis = None
    if side not in ("left", "right"):
        inferred = (analysis or {}).get("affected_side") or {}
        side = inferred.get("side") or inferred.get("leaning") or "left"
    return side, analysis


def recent_sessions(store: Any, code: str, *, limit: int = 10) -> list[dict[str, Any]]:
    """The patient's latest therapy sessions with their biofeedback, newest first."""
    from synkinesis.store.repository import get_patient

    with store.reading() as session:
        therapy = sorted(get_patient(session, code=code).therapy_sessions,
                         key=lambda t: (t.session_date, t.created_at), reverse=True)[:limit]
        return [{"date": t.session_date, "exercises": ", ".join(t.exercises),
                 "reps": (t.biofeedback or {}).get("repetitions"),
                 "score": (t.biofeedback or {}).get("score_pct"),
                 "warnings": (t.biofeedback or {}).get("warnings")} for t in therapy]


@router.get("/patients/{code}/exercise")
def exercise_page(request: Request, name: str = "", code: str = Depends(patient_access)):
    from synkinesis.store.errors import NotFoundError

    state = app_state(request)
    try:
        side, analysis = patient_context(state.store, code)
    except NotFoundError as error:
        raise HTTPException(404, str(error)) from None
    exercises: list[dict[str, Any]] = []
    for exercise in EXERCISES:
        threshold, source = threshold_from_analysis(exercise, analysis, affected_side=side)
        exercises.append({"exercise": exercise, "threshold": threshold, "source": source})
    chosen = next((e for e in exercises if e["exercise"].name == name), None)
    return render(request, "exercise.html", {"code": code, "side": side, "exercises": exercises,
                                             "chosen": chosen,
                                             "recent": recent_sessions(state.store, code),
                                             "hold_s": state.settings.exercise_hold_s})


def decode_jpeg(data: bytes) -> np.ndarray:
    """RGB (H, W, 3) uint8 from JPEG bytes; ValueError for anything else.

    The size the JPEG header declares is read first (without decoding): a small file declaring
    a huge image is refused before any pixel memory is taken.
    """
    import cv2

    from synkinesis.landmarks.sources import check_image_size, image_size

    if data[:2] != b"\xff\xd8":
        raise ValueError("a frame must be a JPEG image after the 8-byte header")
    if image_size(data) is None:
        raise ValueError("the JPEG image could not be decoded (its header is unreadable)")
    check_image_size(data, what="a live frame", max_pixels=MAX_PIXELS)
    buffer = np.frombuffer(data, dtype=np.uint8)
    rgb_flag = getattr(cv2, "IMREAD_COLOR_RGB", None)  # OpenCV >= 4.10
    # Straight to RGB where OpenCV can (the same pixels without a second full-frame pass:
    # 0.6 instead of 1.5 ms for the page's 640 x 480 frames, docs/benchmarks.md)
    image = cv2.imdecode(buffer, rgb_flag if rgb_flag is not None else cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("the JPEG image could not be decoded")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ValueError("frames larger than 1920 x 1080 are refused")
    return image if rgb_flag is not None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class LiveConnection:
    """One socket: a receive loop filling a one-frame slot and a measuring loop emptying it."""

    def __init__(self, websocket: WebSocket, *, code: str, user: Any, tracker: Any) -> None:
        self.ws = websocket
        self.code = code
        self.user = user
        self.tracker = tracker
        #: the newest frame not yet measured: (id, flags, JPEG, arrival time)
        self.slot: tuple[int, int, bytes, float] | None = None
        #: the receive loop fills the slot, a pool thread empties it
        self.slot_lock = threading.Lock()
        self.ready = asyncio.Event()
        self.dropped = 0
        self.dropped_reported = 0
        self.garbage = 0
        self.closed = False
        self.started = time.monotonic()
        self.measurer: Any = None
        self.send_lock = asyncio.Lock()
        self.saved = False

    async def send(self, message: dict) -> None:
        async with self.send_lock:
            await self.ws.send_text(json.dumps(message))

    async def error(self, message: str) -> None:
        self.garbage += 1
        await self.send({"type": "error", "message": message})
        if self.garbage >= MAX_GARBAGE:
            await self.send({"type": "error", "message": "too many bad messages; closing"})
            self.closed = True
            await self.ws.close(code=1003)

    async def receive_loop(self) -> None:
        while not self.closed:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("bytes") is not None:
                data = message["bytes"]
                if len(data) <= HEADER.size or len(data) > MAX_FRAME_BYTES:
                    await self.error(f"a frame must be an 8-byte header and a JPEG of at most "
                                     f"{MAX_FRAME_BYTES} bytes, got {len(data)} bytes")
                    continue
                frame_id, flags = HEADER.unpack_from(data)
                with self.slot_lock:
                    if self.slot is not None:
                        self.dropped += 1
                    self.slot = (frame_id, flags, data[HEADER.size:], time.monotonic())
                self.ready.set()
            else:
                await self.on_text(message.get("text") or "")
        self.closed = True
        self.ready.set()

    async def on_text(self, text: str) -> None:
        try:
            command = json.loads(text)
        except ValueError:
            await self.error("text messages must be JSON, e.g. {\"type\": \"finish\"}")
            return
        kind = command.get("type") if isinstance(command, dict) else None
        if kind == "finish" and self.tracker is not None:
            if self.saved:
                await self.error("this session is already saved; open the exercise again "
                                 "for a new one")
            elif self.tracker.reps == 0:
                await self.error("nothing to save yet: no repetition was completed")
            else:
                self.saved = True  # before the thread runs: a second finish cannot slip in
                reply = await asyncio.to_thread(self.save)
                self.saved = reply["type"] == "saved"
                await self.send(reply)
        elif kind == "ping":
            await self.send({"type": "pong"})
        else:
            await self.error(f"unknown message type {kind!r} (expected 'finish' or 'ping')")

    def save(self) -> dict:
        from synkinesis.store.errors import StoreError
        from synkinesis.store.repository import add_therapy_session

        summary = self.tracker.summary()
        minutes = max(1, round((time.monotonic() - self.started) / 60))
        state = self.ws.app.state.synk
        try:
            with state.store.transaction() as session:
                therapy = add_therapy_session(
                    session, patient_code=self.code, session_date=datetime.now(UTC).date(),
                    minutes=minutes, exercises=[self.tracker.exercise.label],
                    biofeedback=summary,
                    therapist=self.user.username if self.user.role == "clinician" else "")
                therapy_id = therapy.id
        except StoreError as error:
            return {"type": "error", "message": f"not saved: {error}"}
        return {"type": "saved", "therapy_id": therapy_id, "summary": summary}

    async def measure_loop(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            if self.closed:
                return
            if self.slot is None:
                continue
            try:
                answer = await asyncio.get_running_loop().run_in_executor(
                    self.ws.app.state.synk.live.pool, self.measure_newest)
            except ValueError as error:
                await self.error(str(error))
                continue
            if answer is None:
                continue
            frame_id, arrived, result = answer
            result.update({"type": "frame", "id": frame_id, "dropped": self.dropped,
                           "dropped_since": self.dropped - self.dropped_reported,
                           "server_ms": round(1000 * (time.monotonic() - arrived), 1)})
            self.dropped_reported = self.dropped
            try:
                await self.send(result)
            except (WebSocketDisconnect, RuntimeError):
                return

    def measure_newest(self) -> tuple[int, float, dict] | None:
        """On a pool thread: measure the newest frame waiting (None when there is none);
        its id, arrival time and reply."""
        with self.slot_lock:
            if self.slot is None:
                return None
            frame_id, flags, jpeg, arrived = self.slot
            self.slot = None
        return frame_id, arrived, self.measure(jpeg, flags)

    def measure(self, jpeg: bytes, flags: int) -> dict:
        rgb = decode_jpeg(jpeg)
        now = time.monotonic() - self.started
        frame = self.measurer.measure(rgb, timestamp_ms=int(now * 1000),
                                      rest=bool(flags & FLAG_REST))
        out = frame.as_dict()
        if self.tracker is not None and frame.movements and not flags & FLAG_REST:
            out["feedback"] = self.tracker.update(now, frame.movements)
        return out


@router.websocket("/ws/live")
async def live_socket(websocket: WebSocket, patient: str = "", exercise: str = ""):
    from synkinesis.measure.live import LiveMeasurer
    from synkinesis.store.errors import NotFoundError

    session = websocket_session(websocket)
    await websocket.accept()
    state = websocket.app.state.synk

    async def refuse(message: str, code: int) -> None:
        await websocket.send_text(json.dumps({"type": "error", "message": message}))
        await websocket.close(code=code)

    if session is None:
        await refuse("log in first (and connect from this app's own pages)", 1008)
        return
    try:
        check_patient_access(session.account, patient, what="live biofeedback",
                             store=state.store)
        side, analysis = await asyncio.to_thread(patient_context, state.store, patient)
    except (AccessDenied, NotFoundError):
        # the same answer for another patient's record and one that does not exist
        await refuse(f"no patient record {patient!r}", 1008)
        return
    try:
        chosen = get_exercise(exercise) if exercise else None
    except ValueError as error:
        await refuse(str(error), 1008)
        return
    username = session.account.username
    busy = state.live.acquire(username)
    if busy is not None:
        await refuse(busy, 1013)
        return
    tracker: ExerciseTracker | None = None
    ready: dict[str, Any] = {"type": "ready", "side": side, "exercise": None}
    if chosen is not None:
        threshold, source = threshold_from_analysis(chosen, analysis, affected_side=side)
        tracker = ExerciseTracker(chosen, side, threshold, hold_s=state.settings.exercise_hold_s)
        ready["exercise"] = {"name": chosen.name, "label": chosen.label,
                             "threshold_mm": threshold, "threshold_source": source,
                             "goal_mm": chosen.target_goal_mm, "hold_s": tracker.hold_s}
    connection = LiveConnection(websocket, code=patient, user=session.account, tracker=tracker)
    try:
        # An exercise measures what the assessment measures (the one-sided method); guided
        # recording only guides the framing (the single pass, which notices a second face).
        connection.measurer = await asyncio.to_thread(
            LiveMeasurer, max_faces=1 if chosen is not None else 2,
            method=DEFAULT_METHOD if chosen is not None else "fast")
        await connection.send(ready)
        measuring = asyncio.create_task(connection.measure_loop())
        try:
            await connection.receive_loop()
        finally:
            connection.closed = True
            connection.ready.set()
            await measuring
    except WebSocketDisconnect:
        pass
    finally:
        state.live.release(username)
        if connection.measurer is not None:
            try:
                await asyncio.to_thread(connection.measurer.close)
            except RuntimeError:  # the interpreter is shutting down (no new threads): close
                with contextlib.suppress(RuntimeError):  # here; MediaPipe's may be gone too
                    connection.measurer.close()
