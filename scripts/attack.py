#!/usr/bin/env python3
"""Replay issue 16's list of attacks and careless uses against a real `synk serve` and the
real commands, and print held / broke for each item.

It makes a throw-away record in a temporary folder (two patients, a real recorded video,
a clinician and two patient accounts), starts `synk serve` on a free 127.0.0.1 port, and
tries each item the way an attacker or a careless user would: over HTTP and WebSocket
against the server, and by running `synk` commands. Nothing outside the temporary folder is
touched; only 127.0.0.1 is contacted.

Usage:  python scripts/attack.py [--media DIR] [--keep]
        (the venv's python; media: $SYNK_MEDIA_DIR or ../shared/data/media)
Exit status 0 when every item held, 1 when one broke.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import io
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
RESULTS: list[tuple[str, str, bool, str]] = []


# ------------------------------------------------------------------------------- plumbing

class Lab:
    """The throw-away record, its environment and the running server."""

    def __init__(self, work: Path, media: Path) -> None:
        self.work, self.media = work, media
        self.env = {**os.environ, "SYNK_DATABASE_URL": f"sqlite:///{work / 'record.sqlite'}",
                    "SYNK_DATA_DIR": str(work / "recordings"), "NO_COLOR": "1",
                    "COLUMNS": "200"}
        self.synk_bin = str(Path(sys.executable).with_name("synk"))
        self.port = 0
        self.server: subprocess.Popen | None = None
        self._cookies: dict[str, str] = {}

    def synk(self, *args: object, stdin: str | None = None, env: dict | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([self.synk_bin, *map(str, args)], capture_output=True, text=True,
                              input=stdin, env=env or self.env, cwd=self.work, timeout=timeout)

    def db(self, query: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.work / "record.sqlite") as connection:
            return connection.execute(query, params).fetchall()

    # -- the server
    def start(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        log = open(self.work / "serve.log", "w")  # noqa: SIM115 - closed with the process
        self.server = subprocess.Popen([self.synk_bin, "serve", "--port", str(self.port)],
                                       env=self.env, cwd=self.work, stdout=log, stderr=log)
        for _ in range(120):
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError("synk serve did not start: " + (self.work / "serve.log").read_text())

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=20)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.server.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def request(self, method: str, path: str, *, body: bytes | None = None,
                headers: dict | None = None, cookie: str = "",
                timeout: float = 30) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if cookie:
            sent["Cookie"] = cookie
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def cookie(self, username: str) -> str:
        """A logged-in session of ``username``, made once: the server allows one client
        address 20 logins a minute, and this harness is one client."""
        if username not in self._cookies:
            status, cookie = self.login(username)
            if status != 303:
                raise RuntimeError(f"could not log in as {username}: {status}")
            self._cookies[username] = cookie
        return self._cookies[username]

    def login(self, username: str, password: str = PASSWORD) -> tuple[int, str]:
        body = urllib.parse.urlencode({"username": username, "password": password}).encode()
        status, headers, _ = self.request(
            "POST", "/login", body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        cookie = headers.get("set-cookie", "").split(";", 1)[0]
        return status, cookie

    async def socket(self, cookie: str, query: str, *, origin: str | None = None):
        import websockets

        headers = {"Cookie": cookie, "Origin": origin or f"http://127.0.0.1:{self.port}"}
        return await websockets.connect(f"ws://127.0.0.1:{self.port}/ws/live?{query}",
                                        additional_headers=headers, max_size=None)


def item(number: str, title: str) -> Callable:
    """Register an attack: the function returns (held, what was seen)."""
    def wrap(function: Callable) -> Callable:
        function.item = (number, title)
        ATTACKS.append(function)
        return function
    return wrap


ATTACKS: list[Callable] = []


def no_traceback(result: subprocess.CompletedProcess) -> bool:
    return "Traceback" not in result.stderr + result.stdout


def one_line(result: subprocess.CompletedProcess) -> str:
    text = (result.stderr or result.stdout).strip().splitlines()
    return f"exit {result.returncode}: {text[-1][:110] if text else '(nothing)'}"


def run_async(coroutine):
    return asyncio.run(coroutine)


# ------------------------------------------------------------------------- the attacks

@item("1", "measure -o INPUT never replaces the input; an existing output needs --overwrite")
def overwrite_input(lab: Lab):
    video = lab.work / "v.mp4"
    shutil.copyfile(lab.media / "single_face.mp4", video)
    before = video.read_bytes()
    same = lab.synk("measure", video, "-o", video)
    existing = lab.work / "existing.synk"
    existing.write_bytes(b"keep me")
    again = lab.synk("measure", video, "-o", existing)
    held = (same.returncode != 0 and video.read_bytes() == before and again.returncode == 2
            and existing.read_bytes() == b"keep me" and no_traceback(same))
    return held, f"{one_line(same)} | {one_line(again)}"


@item("2", "an imported bundle cannot make `patient delete` remove another patient's files")
def bundle_paths(lab: Lab):
    before = {p: p.read_bytes() for p in (lab.work / "recordings" / "P001").rglob("*")
              if p.is_file()}
    export = lab.work / "p001.json"
    lab.synk("db", "export", "P001", "--bundle", export, "--overwrite")
    bundle = json.loads(export.read_text())
    ids: dict[str, str] = {}

    def rewrite(node):
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if (key == "id" or key.endswith("_id")) and isinstance(value, str):
                    node[key] = ids.setdefault(value, str(uuid.uuid4()))
                elif key.endswith("sha256") and isinstance(value, str) and len(value) == 64:
                    node[key] = uuid.uuid4().hex * 2
                elif key.endswith("_path") and isinstance(value, str) and value:
                    node[key] = str(next(iter(before), value))  # P001's own file
                else:
                    rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    rewrite(bundle["patient"])
    bundle["patient"]["code"] = "P009"
    forged = lab.work / "forged.json"
    forged.write_text(json.dumps(bundle))
    imported = lab.synk("db", "import", forged)
    deleted = lab.synk("patient", "delete", "P009", "--confirm", "P009")
    after = {p: p.read_bytes() for p in before if p.is_file()}
    held = after == before and no_traceback(imported) and no_traceback(deleted)
    return held, (f"import {one_line(imported)}; delete {one_line(deleted)}; "
                  f"P001 files kept {len(after)}/{len(before)}")


@item("3", "DNS rebinding: other Host names and WebSocket origins are refused; serve needs a "
      "login unless --no-login")
def rebinding(lab: Lab):
    status, _, _ = lab.request("GET", "/patients",
                               headers={"Host": f"evil.example:{lab.port}"})
    posted, _, _ = lab.request("POST", "/patients", body=b"code=P666&affected_side=left",
                               headers={"Host": f"evil.example:{lab.port}",
                                        "Content-Type": "application/x-www-form-urlencoded"})
    cookie = lab.cookie("drx")

    async def evil_origin():
        ws = await lab.socket(cookie, "patient=P001", origin="http://evil.example")
        message = json.loads(await ws.recv())
        await ws.close()
        return message

    refused = run_async(evil_origin())
    empty = lab.work / "empty"
    env = {**lab.env, "SYNK_DATABASE_URL": f"sqlite:///{empty}.sqlite",
           "SYNK_DATA_DIR": str(empty)}
    serve = lab.synk("serve", "--port", "1", env=env, timeout=60)
    created = lab.db("SELECT count(*) FROM patients WHERE code = 'P666'")[0][0]
    held = (status == 400 and posted == 400 and created == 0 and refused["type"] == "error"
            and serve.returncode == 2 and "--no-login" in serve.stderr)
    return held, (f"GET {status}, POST {posted}, socket: {refused.get('message')!r}; "
                  f"serve without accounts: {one_line(serve)}")


@item("4", "removing accounts while running never opens the app")
def accounts_removed(lab: Lab):
    lab.synk("serve", "adduser", "temp", "--role", "clinician", "--password-stdin",
             stdin=PASSWORD + "\n")
    _, cookie = lab.login("temp")
    ok, _, _ = lab.request("GET", "/patients", cookie=cookie)
    lab.synk("serve", "deluser", "temp")
    after, _, _ = lab.request("GET", "/patients", cookie=cookie)
    anonymous, _, _ = lab.request("GET", "/patients")
    held = ok == 200 and after in (303, 401) and anonymous in (303, 401)
    return held, f"before {ok}, after deluser {after}, without a cookie {anonymous}"


@item("5", "accounts live in the record's database")
def accounts_in_db(lab: Lab):
    names = {row[0] for row in lab.db("SELECT username FROM web_accounts")}
    listed = lab.synk("serve", "users")
    held = {"drx", "pat1", "pat2"} <= names and "drx" in listed.stdout
    return held, f"web_accounts: {sorted(names)}"


@item("6", "login throttling: wrong passwords lock the account, the right one included")
def throttling(lab: Lab):
    lab.synk("serve", "adduser", "victim", "--role", "clinician", "--password-stdin",
             stdin=PASSWORD + "\n")
    codes = [lab.login("victim", f"guess {n}")[0] for n in range(12)]
    right, cookie = lab.login("victim")
    held = right != 303 and not cookie and 429 in codes[10:] + [right]
    return held, f"wrong: {codes}; then the right password: {right}"


@item("7", "a patient account cannot tell whether another patient has a visit")
def visit_probe(lab: Lab):
    other = lab.db("SELECT visits.id FROM visits JOIN patients ON patients.id = "
                   "visits.patient_id WHERE patients.code = 'P002'")[0][0]
    cookie = lab.cookie("pat1")
    theirs = lab.request("GET", f"/visits/{other}", cookie=cookie)
    missing = lab.request("GET", f"/visits/{uuid.uuid4()}", cookie=cookie)
    held = theirs[0] == missing[0] == 404 and theirs[2] == missing[2]
    return held, f"another's visit {theirs[0]}, a missing one {missing[0]}, same body " \
                 f"{theirs[2] == missing[2]}"


def _jpeg_declaring(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (128, 128, 128)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 7] = height.to_bytes(2, "big")
    data[sof + 7:sof + 9] = width.to_bytes(2, "big")
    return bytes(data) + b"\0" * 1_500_000  # the 1.5 MB file


@item("8", "a frame declaring 20000x20000 is refused by its header, before decoding")
def huge_frame(lab: Lab):
    import struct

    cookie = lab.cookie("pat1")
    before = lab.rss_mb()

    async def send_huge():
        ws = await lab.socket(cookie, "patient=P001")
        while json.loads(await ws.recv())["type"] != "ready":
            pass
        await ws.send(struct.pack("<IB3x", 1, 0) + _jpeg_declaring(20000, 20000))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 30))
        await ws.close()
        return answer

    answer = run_async(send_huge())
    grown = lab.rss_mb() - before
    image = lab.work / "huge.jpg"
    image.write_bytes(_jpeg_declaring(20000, 20000))
    measured = lab.synk("measure", image, "-o", lab.work / "huge.synk")
    held = (answer.get("type") == "error" and grown < 300 and measured.returncode == 2
            and no_traceback(measured))
    return held, (f"socket: {answer.get('message', answer)!r}, server grew {grown:.0f} MB; "
                  f"measure {one_line(measured)}")


@item("9", "one account cannot take every live slot")
def live_slots(lab: Lab):
    patient = lab.cookie("pat1")
    clinician = lab.cookie("drx")

    async def open_many():
        sockets, answers = [], []
        for _ in range(3):
            ws = await lab.socket(patient, "patient=P001")
            answers.append(json.loads(await ws.recv())["type"])
            sockets.append(ws)
        ws = await lab.socket(clinician, "patient=P001")
        answers.append(json.loads(await ws.recv())["type"])
        sockets.append(ws)
        for ws in sockets:
            await ws.close()
        return answers

    answers = run_async(open_many())
    held = answers == ["ready", "ready", "error", "ready"]
    return held, f"pat1 x3 then drx: {answers}"


@item("10", "20 'finish' messages store no empty therapy session")
def finish_flood(lab: Lab):
    cookie = lab.cookie("pat1")

    async def flood():
        ws = await lab.socket(cookie, "patient=P001&exercise=smile_eye_open")
        while json.loads(await ws.recv())["type"] != "ready":
            pass
        for _ in range(20):
            await ws.send(json.dumps({"type": "finish"}))
        answers = [json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] for _ in range(20)]
        await ws.close()
        return answers

    answers = run_async(flood())
    stored = lab.db("SELECT count(*) FROM therapy_sessions")[0][0]
    held = stored == 0 and set(answers) == {"error"}
    return held, f"answers {sorted(set(answers))}, therapy sessions stored: {stored}"


def _post_streaming(lab: Lab, headers: dict, parts) -> int | str:
    """POST a body part by part on a raw socket, reading the answer as soon as the server
    gives one (a server that refuses early closes the connection: sending on would fail and
    could lose its answer). Returns the status code, or what went wrong."""
    import select

    with socket.create_connection(("127.0.0.1", lab.port), timeout=30) as raw:
        head = "POST /patients/P001/recordings HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in
            {"Host": f"127.0.0.1:{lab.port}", **headers}.items()) + "\r\n"
        answer = b""
        try:
            raw.sendall(head.encode())
            for part in parts:
                if select.select([raw], [], [], 0)[0]:
                    break  # the server has answered: stop sending
                raw.sendall(part)
            raw.settimeout(30)
            while b"\r\n" not in answer:
                data = raw.recv(4096)
                if not data:
                    break
                answer += data
        except OSError as error:
            if not answer:
                try:
                    answer = raw.recv(4096)
                except OSError:
                    return type(error).__name__
    line = answer.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else repr(answer[:40])


@item("11", "uploads: no body is read before the login; a chunked body over the limit is 413")
def uploads(lab: Lab):
    # declares 50 MB but sends 1 MB: a server that reads the body before the login check
    # waits for the rest (and times out); one that checks first answers 401 at once
    started = time.monotonic()
    anonymous = _post_streaming(lab, {"Content-Length": "50000000",
                                      "Content-Type": "multipart/form-data; boundary=x"},
                                [b"x" * (1 << 20)])
    seconds = time.monotonic() - started
    head = (b'--b0undary\r\nContent-Disposition: form-data; name="video"; filename="v.webm"'
            b"\r\nContent-Type: video/webm\r\n\r\n")
    chunk = b"\x1a\x45\xdf\xa3" * (1 << 18)
    parts = [b"%x\r\n%s\r\n" % (len(head), head),
             *(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(205)),  # limit 200 MB
             b"0\r\n\r\n"]
    chunked = _post_streaming(lab, {"Cookie": lab.cookie("drx"),
                                    "Transfer-Encoding": "chunked",
                                    "Content-Type": "multipart/form-data; boundary=b0undary"},
                              parts)
    held = anonymous == 401 and chunked == 413
    return held, f"anonymous {anonymous} in {seconds:.1f} s, chunked over the limit {chunked}"


@item("12", "a truncated video is refused, not measured from its first frames")
def truncated(lab: Lab):
    cut = lab.work / "cut.mp4"
    cut.write_bytes((lab.media / "WolfgangLanger_Pexels.mp4").read_bytes()[:100_000])
    result = lab.synk("measure", cut, "-o", lab.work / "cut.synk")
    held = result.returncode == 2 and no_traceback(result) and not (lab.work / "cut.synk").exists()
    return held, one_line(result)


@item("13", "an upside-down video is turned upright (or its frames flagged)")
def upside_down(lab: Lab):
    from synkinesis.measure import read_measurement

    flipped = lab.work / "flipped.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i",
                    lab.media / "single_face.mp4", "-vf", "hflip,vflip", flipped], check=True)
    results = {}
    for name, video in (("upright", lab.media / "single_face.mp4"), ("flipped", flipped)):
        out = lab.work / f"{name}.synk"
        lab.synk("measure", video, "-o", out, "--overwrite")
        frames = read_measurement(out).frames
        import numpy as np
        results[name] = (float(np.nanmedian(frames["brow_height_left_mm"])),
                         int(np.isfinite(frames["brow_height_left_mm"]).sum()))
    held = abs(results["upright"][0] - results["flipped"][0]) < 1.0
    return held, (f"brow height left {results['upright'][0]:.1f} mm upright, "
                  f"{results['flipped'][0]:.1f} mm flipped ({results['flipped'][1]} frames)")


@item("14", "impossible scores, Infinity and deep nesting in a bundle are refused")
def bad_bundle(lab: Lab):
    export = lab.work / "p002.json"
    lab.synk("db", "export", "P002", "--bundle", export, "--overwrite")
    outcomes = []
    for name, text in (
        ("infinity", export.read_text().replace('"notes": ""', '"notes": Infinity', 1)),
        ("deep", "[" * 100_000 + "]" * 100_000),
        ("hb99", json.dumps(_with_hb_99(json.loads(export.read_text())))),
    ):
        path = lab.work / f"bad-{name}.json"
        path.write_text(text)
        result = lab.synk("db", "import", path)
        outcomes.append((name, result.returncode, no_traceback(result)))
    held = all(code == 2 and clean for _, code, clean in outcomes)
    return held, ", ".join(f"{name} exit {code}" for name, code, _ in outcomes)


def _with_hb_99(bundle: dict) -> dict:
    bundle["patient"]["code"] = "P077"
    visit = bundle["patient"]["visits"][0]
    visit["scores"] = [{"id": str(uuid.uuid4()), "instrument": "house_brackmann",
                        "items": {"grade": 99}, "total": 99, "grade": "IX"}]
    return bundle


@item("T", "tracebacks: unwritable -o, a .synk without frames.npy, %00 in a figure name, "
      "--camera -1")
def tracebacks(lab: Lab):
    import zipfile

    unwritable = lab.synk("measure", lab.media / "single_face.jpg", "-o", "/proc/x.synk")
    damaged = lab.work / "damaged.synk"
    with zipfile.ZipFile(lab.work / "upright.synk") as source, \
            zipfile.ZipFile(damaged, "w") as target:
        for member in source.namelist():
            if member != "frames.npy":
                target.writestr(member, source.read(member))
    analysed = lab.synk("analyze", damaged, "-o", lab.work / "damaged-out")
    camera = lab.synk("measure", "--camera", "-1", "-o", lab.work / "cam.synk")
    visit = lab.db("SELECT visits.id, recordings.id FROM recordings JOIN visits ON visits.id = "
                   "recordings.visit_id")[0]
    cookie = lab.cookie("drx")
    figure = lab.request("GET", f"/visits/{visit[0]}/recordings/{visit[1]}/figures/a%00.png",
                         cookie=cookie)
    commands = (unwritable, analysed, camera)
    held = (all(r.returncode == 2 and no_traceback(r) for r in commands)
            and figure[0] == 404 and "content-security-policy" in figure[1])
    return held, (" | ".join(one_line(r) for r in commands)
                  + f" | figure %00: {figure[0]}")


@item("15", "files and folders the commands and the app create are 0600 / 0700")
def private_files(lab: Lab):
    loose = []
    made = [lab.work / name for name in ("upright.synk", "flipped.synk", "p001.json")]
    for path in [*made, *(lab.work / "recordings").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            loose.append(f"{path.relative_to(lab.work)} {oct(mode)}")
    return not loose, "all private" if not loose else "; ".join(loose[:4])


@item("16", "result files and bundles keep file names and sha256, not folders")
def no_paths(lab: Lab):
    import zipfile

    leaks = []
    with zipfile.ZipFile(lab.work / "upright.synk") as archive:
        if str(lab.media) in archive.read("manifest.json").decode():
            leaks.append("the .synk manifest")
    for path in (lab.work / "recordings").rglob("*.json"):
        if str(lab.work) in path.read_text(errors="replace"):
            leaks.append(path.name)
    export = lab.work / "p001-names.json"
    lab.synk("db", "export", "P001", "--bundle", export, "--overwrite")
    if str(lab.media) in export.read_text():
        leaks.append("the bundle")
    return not leaks, "no folder names" if not leaks else "paths in " + ", ".join(leaks)


@item("17", "the audit trail records views and denied accesses with who and from where")
def audit_trail(lab: Lab):
    clinician = lab.cookie("drx")
    lab.request("GET", "/patients/P001", cookie=clinician)
    patient = lab.cookie("pat2")
    lab.request("GET", "/patients/P001", cookie=patient)
    listed = lab.synk("audit", "--patient", "P001", "--json", "-")
    events = json.loads(listed.stdout or "[]")
    seen = {(e["action"], e["actor"], e["via"]) for e in events}
    held = ("view", "drx", "web") in seen and ("denied", "pat2", "web") in seen
    return held, f"{len(events)} events; view by drx {('view', 'drx', 'web') in seen}, " \
                 f"denied to pat2 {('denied', 'pat2', 'web') in seen}"


@item("18", "corrections: a visit is voided with a reason, kept and audited")
def corrections(lab: Lab):
    lab.synk("visit", "add", "P002", "--date", "2026-01-05")
    voided = lab.synk("visit", "void", "P002@2026-01-05", "--reason",
                      "entered for the wrong patient")
    kept = lab.db("SELECT void_reason FROM visits WHERE visit_date = '2026-01-05'")
    trail = lab.synk("audit", "--patient", "P002", "--json", "-")
    held = (voided.returncode == 0 and kept == [("entered for the wrong patient",)]
            and '"void"' in trail.stdout)
    return held, f"void {one_line(voided)}; kept with reason: {bool(kept)}"


@item("19", "patient codes are case-folded; a patient account needs an existing patient")
def codes(lab: Lab):
    twin = lab.synk("patient", "add", "p001", "--side", "left")
    nope = lab.synk("serve", "adduser", "ghost", "--role", "patient", "--patient", "NOPE",
                    "--password-stdin", stdin=PASSWORD + "\n")
    held = twin.returncode == 2 and nope.returncode == 2 and no_traceback(nope)
    return held, f"p001 beside P001: {one_line(twin)} | --patient NOPE: {one_line(nope)}"


# ----------------------------------------------------------------------------- main

def prepare(lab: Lab) -> None:
    steps = [
        ("patient", "add", "P001", "--side", "left"),
        ("patient", "add", "P002", "--side", "right"),
        ("visit", "add", "P001", "--date", "2026-11-02"),
        ("visit", "add", "P002", "--date", "2026-11-03"),
        ("record", "add", lab.media / "single_face.mp4", "--visit", "P001@2026-11-02"),
    ]
    for name, role, code in (("drx", "clinician", None), ("pat1", "patient", "P001"),
                             ("pat2", "patient", "P002")):
        steps.append(("serve", "adduser", name, "--role", role,
                      *(("--patient", code) if code else ()), "--password-stdin"))
    for step in steps:
        result = lab.synk(*step, stdin=PASSWORD + "\n" if "adduser" in step else None)
        if result.returncode != 0:
            raise RuntimeError(f"setting up: synk {' '.join(map(str, step))}: "
                               + one_line(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    media = args.media or Path(os.environ.get("SYNK_MEDIA_DIR")
                               or ROOT.parent / "shared" / "data" / "media")
    work = Path(tempfile.mkdtemp(prefix="synk-attack-"))
    lab = Lab(work, media)
    try:
        prepare(lab)
        lab.start()
        for attack in ATTACKS:
            number, title = attack.item
            try:
                held, seen = attack(lab)
            except Exception as error:  # an attack that crashes the harness is a finding
                held, seen = False, f"{type(error).__name__}: {error}"
                traceback.print_exc(file=sys.stderr)
            RESULTS.append((number, title, held, seen))
            print(f"{'held ' if held else 'BROKE'}  {number:>2}  {title}\n          {seen}",
                  flush=True)
    finally:
        lab.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    broke = [number for number, _, held, _ in RESULTS if not held]
    print(f"{len(RESULTS) - len(broke)} held, {len(broke)} broke"
          + (f": {', '.join(broke)}" if broke else ""))
    return 1 if broke else 0


if __name__ == "__main__":
    sys.exit(main())
