"""Fixtures of the browser tests: a fake camera from the real video, a server, Chromium.

Imported by name from the test modules (no conftest.py, so nothing shadows the root one).
Skips with the reason when Debian's chromium or ffmpeg is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SYNK_CHROMIUM", "/usr/bin/chromium")
BASE_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage"]
PASSWORD = "correct horse battery"


def require_browser() -> None:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM}): "
                    "apt-get install chromium")
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed: apt-get install ffmpeg")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("the playwright Python package is not installed")


def make_y4m(video: Path, output: Path) -> Path:
    """The video as a 640x480 30 fps .y4m for Chromium's fake camera (it loops the file)."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(video), "-vf",
                    "scale=-2:480,crop=640:480,fps=30", "-pix_fmt", "yuv420p", str(output)],
                   check=True)
    return output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    port: int
    app: object
    store: object
    root: Path

    def state(self):
        return self.app.state.synk


def open_test_record(root: Path, *, patients: dict | None = None,
                     accounts: dict | None = None):
    """A record in ``root`` with ``patients`` (code -> affected side) and ``accounts``
    (name -> (role, patient code or None), all with :data:`PASSWORD`)."""
    from synkinesis.store import load_settings, open_store
    from synkinesis.store.repository import create_patient
    from synkinesis.web.accounts import add_account

    root.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{root / 'record.sqlite'}"
    store = open_store(load_settings(database_url=url, environ={}))
    with store.transaction() as session:
        for code, side in (patients or {}).items():
            create_patient(session, code=code, affected_side=side)
        for name, (role, code) in (accounts or {}).items():
            add_account(session, username=name, role=role, password=PASSWORD,
                        patient_code=code)
    return store, url


@pytest.fixture(name="record")
def clinician_record(tmp_path):
    """The ``record`` fixture of the pages' tests: a record with patient P001 (right side
    affected) and clinician ``drx``, as ``(store, url, folder)``."""
    store, url = open_test_record(tmp_path, patients={"P001": "right"},
                                  accounts={"drx": ("clinician", None)})
    yield store, url, tmp_path
    store.close()


def add_analysed_visit(store, folder: Path, analysis: dict, day: str = "2026-11-02",
                       patient: str = "P001") -> str:
    """A visit of ``patient`` on ``day`` with one recording whose analysis file (written to
    ``folder``) is ``analysis``, its indices stored as ``synk record add`` stores them; returns
    the visit's id."""
    import json

    from synkinesis.store import repository
    from synkinesis.store.analysis_files import indices_from_analysis
    from synkinesis.store.recordings import file_sha256

    file = folder / f"{day}.analysis.json"
    file.write_text(json.dumps(analysis))
    with store.transaction() as session:
        visit = repository.create_visit(session, patient_code=patient, visit_date=day)
        repository.add_recording(session, visit=visit, video_path=f"/videos/{day}.mp4",
                                 sha256=day[-1] * 64, analysis_path=str(file),
                                 analysis_sha256=file_sha256(file), analysis_status="analysed",
                                 indices=indices_from_analysis(analysis))
        return visit.id


def logged_in_get(store, url: str, path: str, username: str = "drx", **params) -> str:
    """The page at ``path`` for ``username`` (an account with :data:`PASSWORD`) from an app on
    ``store``, its text with whitespace runs made single spaces."""
    from fastapi.testclient import TestClient

    from synkinesis.web import create_app
    from synkinesis.web.settings import load_web_settings

    settings = load_web_settings(environ={}, database_url=url)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1",
                    raise_server_exceptions=False) as client:
        login = client.post("/login", data={"username": username, "password": PASSWORD},
                            follow_redirects=False)
        assert login.status_code == 303
        page = client.get(path, params=params)
    assert page.status_code == 200, page.text
    return " ".join(page.text.split())


def start_server(root: Path, *, patients: dict | None = None, accounts: dict | None = None,
                 **overrides) -> tuple:
    """A uvicorn server in a thread on a free loopback port; returns (Server, stop())."""
    import uvicorn

    from synkinesis.web import create_app
    from synkinesis.web.settings import load_web_settings

    store, url = open_test_record(root, patients=patients, accounts=accounts)
    port = free_port()
    settings = load_web_settings(environ={}, host="127.0.0.1", port=port, database_url=url,
                                 **overrides)
    app = create_app(settings, store=store)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ws_max_size=4 * 1024 * 1024))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()

    return Server(f"http://127.0.0.1:{port}", port, app, store, root), stop


ACCOUNTS = {"drtest": ("clinician", None), "pat1": ("patient", "P001"),
            "pat2": ("patient", "P002"), "lockme": ("clinician", None)}


@pytest.fixture(scope="session")
def web_root():
    root = Path(tempfile.mkdtemp(prefix="synk-web-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshots(web_root) -> Path:
    folder = Path(os.environ.get("SYNK_SCREENSHOTS")
                  or tempfile.mkdtemp(prefix="synk-web-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page, folder: Path, name: str) -> Path:
    """Save a full-page screenshot and print its name (the issue's closing note lists them)."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


@pytest.fixture(scope="session")
def server(web_root):
    """The app with clinician and patient accounts (logins required), short guided-recording
    timings; every test logs in from 127.0.0.1, so the per-client login rate is raised."""
    require_browser()
    srv, stop = start_server(web_root / "server", patients={"P001": "left", "P002": "right"},
                             accounts=ACCOUNTS, record_countdown_s=0.3,
                             record_hold_s=0.8, record_relax_s=0.3, exercise_hold_s=1.0,
                             max_upload_bytes=12 * 1024 * 1024, login_attempts_per_minute=1000)
    yield srv
    stop()


@pytest.fixture(scope="session")
def fake_camera(web_root, media) -> Path:
    """``media`` is the root conftest's fixture (real test media)."""
    require_browser()
    return make_y4m(media / "single_face.mp4", web_root / "single_face.y4m")


@pytest.fixture(scope="session")
def playwright_instance():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance, fake_camera):
    """Chromium with the real video as its camera and camera permission granted."""
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=BASE_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                          f"--use-file-for-fake-video-capture={fake_camera}"])
    yield browser
    browser.close()


def login(browser, server: Server, username: str):
    """A new browser context logged in as ``username``; returns (context, page)."""
    # bypass_csp: Playwright evaluates its waiting functions as strings, which the app's CSP
    # (script-src 'self') forbids; the app itself never needs eval.
    context = browser.new_context(viewport={"width": 1200, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def run_async(coroutine):
    """``asyncio.run`` in its own thread: Playwright's sync API (the browser tests) leaves an
    event loop running in the main thread, where ``asyncio.run`` would refuse."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()

