"""Issue 16's protections of the web app, without a browser: Host names, logins by default and
a mode that never relaxes, accounts in the record, login throttling, the same 404 for "not
yours" and "not there", image headers before decoding, live-session limits, one saved session
per socket, the login before any upload byte, 413 for chunked bodies, tracebacks, file modes."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner
from web_fixtures import PASSWORD, open_test_record, run_async

from imagetools import jpeg_declaring
from synkinesis.web.settings import load_web_settings

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
LOCAL = "http://127.0.0.1"
ACCOUNTS = {"drx": ("clinician", None), "pat1": ("patient", "P001"),
            "pat2": ("patient", "P002")}


@pytest.fixture
def record(tmp_path):
    store, url = open_test_record(tmp_path, patients={"P001": "left", "P002": "right"},
                                  accounts=ACCOUNTS)
    yield store, url
    store.close()


def client_for(store, url, *, no_login=False, base_url=LOCAL, **overrides):
    from fastapi.testclient import TestClient

    from synkinesis.web import create_app

    settings = load_web_settings(environ={}, database_url=url, no_login=no_login or None,
                                 **overrides)
    app = create_app(settings, store=store)
    return TestClient(app, base_url=base_url, raise_server_exceptions=False)


def log_in(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password},
                       follow_redirects=False)


# ------------------------------------------------------------------ item 3: Host, login, mode

def test_other_host_names_are_refused_in_both_modes(record):
    store, url = record
    for no_login in (False, True):
        with client_for(store, url, no_login=no_login) as client:
            evil = client.get("/patients", headers={"Host": "evil.example:8000"})
            assert evil.status_code == 400 and "Invalid host header" in evil.text
            assert evil.headers["x-frame-options"] == "DENY"
            for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000"):
                assert client.get("/healthz", headers={"Host": host}).status_code == 200


def test_logins_are_required_on_loopback_unless_no_login(record):
    store, url = record
    with client_for(store, url) as client:
        assert client.get("/patients").status_code == 401
        assert client.get("/patients", headers={"Accept": "text/html"},
                          follow_redirects=False).headers["location"].startswith("/login")
        assert log_in(client, "drx").status_code == 303
        assert client.get("/patients").status_code == 200
    with client_for(store, url, no_login=True) as client:
        assert client.get("/patients").status_code == 200


def test_a_record_without_accounts_is_not_opened_without_no_login(tmp_path):
    store, url = open_test_record(tmp_path)
    try:
        with client_for(store, url) as client:
            assert client.get("/patients").status_code == 401
    finally:
        store.close()


def test_socket_origin_is_checked_against_the_configured_origins(record):
    from synkinesis.web.deps import normalised_origin

    store, url = record
    settings = load_web_settings(environ={}, port=8000)
    assert normalised_origin("http://localhost:8000") in settings.origins
    assert normalised_origin("http://evil.example:8000") not in settings.origins
    assert normalised_origin("https://clinic.example") == "https://clinic.example:443"
    with client_for(store, url, no_login=True, port=8000) as client:
        # a rebinding page controls Host and Origin alike: Host == Origin is not enough
        with client.websocket_connect("/ws/live?patient=P001", headers={
                "Host": "localhost:9999", "Origin": "http://localhost:9999"}) as ws:
            assert "log in" in ws.receive_json()["message"]


def test_serve_refuses_to_start_without_accounts_or_with_a_broken_record(tmp_path, monkeypatch):
    from sqlalchemy import text

    from synkinesis.cli import app
    from synkinesis.store import load_settings, open_store

    monkeypatch.setenv("SYNK_DATABASE_URL", f"sqlite:///{tmp_path / 'record.sqlite'}")
    monkeypatch.setenv("SYNK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SYNK_WEB_ACCOUNTS", str(tmp_path / "web-accounts.json"))
    monkeypatch.setattr(os, "umask", lambda mask: 0o022)  # serve sets it; not for the tests
    runner = CliRunner()
    refused = runner.invoke(app, ["serve"])
    assert refused.exit_code == 2, refused.output
    assert "synk serve adduser NAME --role clinician" in refused.output
    assert "--no-login" in refused.output
    (tmp_path / "web-accounts.json").write_text("{}")
    assert "users --import" in runner.invoke(app, ["serve"]).output
    no_login_far = runner.invoke(app, ["serve", "--no-login", "--host", "10.1.2.3"],
                                 env={"SYNK_WEB_SECRET": "s" * 40})
    assert no_login_far.exit_code == 2 and "refusing --no-login" in no_login_far.output
    store = open_store(load_settings())
    with store.transaction() as session:
        session.execute(text("DROP TABLE web_accounts"))
    store.close()
    broken = runner.invoke(app, ["serve"])
    assert broken.exit_code == 2 and "cannot read the web accounts" in broken.output
    assert "Traceback" not in broken.output


def test_serve_starts_with_logins_or_says_loudly_that_there_are_none(record, monkeypatch):
    import uvicorn

    from synkinesis.cli import app
    from synkinesis.files import PRIVATE_UMASK

    _store, url = record
    monkeypatch.setenv("SYNK_DATABASE_URL", url)
    umasks, served = [], []
    monkeypatch.setattr(os, "umask", lambda mask: umasks.append(mask) or 0o022)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(
        app.state.synk.settings.no_login))
    runner = CliRunner()
    with_login = runner.invoke(app, ["serve"])
    assert with_login.exit_code == 0 and "login required" in with_login.output
    no_login = runner.invoke(app, ["serve", "--no-login"])
    assert no_login.exit_code == 0 and "NO LOGIN" in no_login.output
    assert served == [False, True] and umasks == [PRIVATE_UMASK, PRIVATE_UMASK]


# ------------------------------------------------------------------ item 4: never relaxes

def test_removing_accounts_while_running_never_opens_the_app(record):
    from sqlalchemy import text

    from synkinesis.web.accounts import remove_account

    store, url = record
    with client_for(store, url) as client:
        log_in(client, "drx")
        assert client.get("/patients").status_code == 200
        with store.transaction() as session:
            remove_account(session, username="drx")
        assert client.get("/patients").status_code == 401      # its session ended
        assert log_in(client, "drx").status_code == 401
        assert log_in(client, "pat1").status_code == 303
        assert client.get("/patients/P001").status_code == 200
        with store.transaction() as session:
            session.execute(text("DROP TABLE web_accounts"))    # a broken accounts table
        page = client.get("/patients/P001", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "cannot be read" in page.text
        assert page.headers["content-security-policy"].startswith("default-src")
        assert log_in(client, "drx").status_code == 503


# ------------------------------------------------------------------ item 5: accounts in the DB

def test_accounts_live_in_the_record_and_an_old_file_is_imported_once(record, tmp_path):
    from synkinesis.web.accounts import (
        AccountError,
        add_account,
        authenticate,
        hash_password,
        import_accounts_file,
        list_accounts,
    )

    store, _url = record
    old = tmp_path / "web-accounts.json"
    old.write_text(json.dumps({"format": "synkinesis.web_accounts", "format_version": 1,
                               "accounts": [{"username": "legacy", "role": "patient",
                                             "password_hash": hash_password("an old password"),
                                             "patient_code": "P002"}]}))
    with store.transaction() as session:
        assert [a.username for a in import_accounts_file(session, path=old)] == ["legacy"]
    with store.reading() as session:
        assert authenticate(session, username="legacy", password="an old password")
        assert "legacy" in [a.username for a in list_accounts(session)]
    with pytest.raises(AccountError, match="exists"), store.transaction() as session:
        import_accounts_file(session, path=old)
    with pytest.raises(AccountError, match="no patient 'NOPE'"), \
            store.transaction() as session:
        add_account(session, username="ghost", role="patient", password="long enough pw",
                    patient_code="NOPE")
    from synkinesis.store.repository import delete_patient

    with store.transaction() as session:
        delete_patient(session, code="P002", confirm="P002")
    with store.reading() as session:           # deleted with their patient
        names = [a.username for a in list_accounts(session)]
    assert "legacy" not in names and "pat2" not in names and "pat1" in names


def test_cli_adduser_refuses_a_patient_the_record_does_not_have(tmp_path, monkeypatch):
    from synkinesis.cli import app

    monkeypatch.setenv("SYNK_DATABASE_URL", f"sqlite:///{tmp_path / 'record.sqlite'}")
    monkeypatch.setenv("SYNK_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["serve", "adduser", "px", "--role", "patient",
                                      "--patient", "NOPE", "--password-stdin"],
                                input="a long password\n")
    assert result.exit_code == 2 and "no patient 'NOPE'" in result.output


# ------------------------------------------------------------------ item 6: throttling

def test_throttle_locks_an_account_and_limits_a_client():
    from synkinesis.web.throttle import LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(max_failures=3, window_s=60, lockout_s=100, client_attempts=5,
                             client_window_s=10, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.begin(username="Dr", client="a") is None
        locked = throttle.finish(username="dr", success=False)
    assert locked
    refusal = throttle.begin(username="DR", client="b")
    assert refusal.account_locked and "locked for 2 min" in refusal.message
    now[0] = 101.0
    assert throttle.begin(username="dr", client="b") is None
    throttle.finish(username="dr", success=True)
    # parallel guesses are counted as they start
    assert [throttle.begin(username="x", client=f"c{i}") is None for i in range(4)] == [
        True, True, True, False]
    for i in range(5):
        throttle.begin(username=f"u{i}", client="fast")
    assert "from this computer" in throttle.begin(username="u9", client="fast").message


def test_wrong_passwords_lock_the_account_even_against_the_right_one(record, caplog):
    store, url = record
    with client_for(store, url, login_lockout_failures=10) as client:
        answers = [log_in(client, "drx", "wrong password!").status_code for _ in range(10)]
        assert answers == [401] * 10
        right = log_in(client, "drx")
        assert right.status_code == 429 and "locked" in right.text
        assert client.get("/patients").status_code == 401
        assert log_in(client, "pat1").status_code == 303    # other accounts are not locked
    assert any("locked" in r.getMessage() and r.name == "synkinesis.web.security"
               for r in caplog.records)


def test_one_client_cannot_guess_fast(record):
    store, url = record
    with client_for(store, url, login_attempts_per_minute=5) as client:
        answers = [log_in(client, f"user{i}", "whatever pw").status_code for i in range(6)]
    assert answers == [401] * 5 + [429]


# ------------------------------------------------------------------ item 7: same 404

def test_a_patient_cannot_tell_other_patients_data_from_missing_data(record):
    from synkinesis.store.repository import create_visit, visit_reference

    store, url = record
    with store.transaction() as session:
        visit = create_visit(session, patient_code="P002", visit_date="2026-03-04")
        ref, visit_id = visit_reference(visit), visit.id
    with client_for(store, url) as client:
        log_in(client, "pat1")
        missing_ref = ref.replace("2026-03-04", "2026-03-05")
        for existing, missing in ((f"/visits/{ref}", f"/visits/{missing_ref}"),
                                  (f"/visits/{visit_id}", f"/visits/{'0' * 36}"),
                                  ("/patients/P002", "/patients/P999"),
                                  ("/patients/P002/trend?index=sunnybrook",
                                   "/patients/P999/trend?index=sunnybrook"),
                                  (f"/visits/{visit_id}/recordings/x/figures/a.png",
                                   f"/visits/{'0' * 36}/recordings/x/figures/a.png")):
            a, b = client.get(existing), client.get(missing)
            assert (a.status_code, a.text) == (b.status_code, b.text) and a.status_code == 404
    with client_for(store, url) as client:  # control: the same pages are there for the owner
        log_in(client, "pat2")
        assert client.get(f"/visits/{visit_id}").status_code == 200
        assert client.get("/patients/P002").status_code == 200


# ------------------------------------------------------------------ item 8: image headers

def test_live_frames_are_refused_by_their_header_before_decoding(monkeypatch):
    import cv2

    from synkinesis.web.routers.biofeedback import decode_jpeg

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("decoded a frame its header should have refused")

    monkeypatch.setattr(cv2, "imdecode", no_decoding)
    with pytest.raises(ValueError, match="too many pixels"):       # the 20000 x 20000
        decode_jpeg(jpeg_declaring(20000, 20000))
    with pytest.raises(ValueError, match="12000 x 12000"):
        decode_jpeg(jpeg_declaring(12000, 12000))
    with pytest.raises(ValueError, match="1921 x 1080"):
        decode_jpeg(jpeg_declaring(1921, 1080))


# ------------------------------------------------------------------ items 9, 10: live socket

def test_live_sessions_are_limited_per_account_and_in_all():
    from synkinesis.web.biofeedback import LiveLimiter

    limiter = LiveLimiter(3, per_account=2)
    try:
        assert limiter.acquire("pat1") is None and limiter.acquire("pat1") is None
        assert "already has 2" in limiter.acquire("pat1")
        assert limiter.acquire("drx") is None
        assert "too many live sessions" in limiter.acquire("pat2")
        limiter.release("pat1")
        assert limiter.acquire("pat2") is None
    finally:
        limiter.pool.shutdown()


def test_one_socket_stores_one_session_and_none_without_repetitions(record):
    from synkinesis.store.repository import get_patient
    from synkinesis.web.biofeedback import ExerciseTracker, get_exercise
    from synkinesis.web.routers.biofeedback import LiveConnection
    from synkinesis.web.security import LOCAL_ACCOUNT

    store, _url = record
    sent: list[dict] = []

    class FakeSocket:
        app = SimpleNamespace(state=SimpleNamespace(synk=SimpleNamespace(store=store)))

        async def send_text(self, text):
            sent.append(json.loads(text))

    tracker = ExerciseTracker(get_exercise("smile_eye_open"), "left", 1.0)
    connection = LiveConnection(FakeSocket(), code="P001", user=LOCAL_ACCOUNT, tracker=tracker)

    async def finish(times: int):
        await asyncio.gather(*(connection.on_text('{"type": "finish"}') for _ in range(times)))

    run_async(finish(3))
    assert {m["type"] for m in sent} == {"error"} and "no repetition" in sent[0]["message"]
    tracker.reps = 2
    sent.clear()
    run_async(finish(20))
    assert [m["type"] for m in sent].count("saved") == 1
    assert "already saved" in next(m for m in sent if m["type"] == "error")["message"]
    with store.reading() as session:
        assert len(get_patient(session, code="P001").therapy_sessions) == 1


# ------------------------------------------------------------------ item 11: uploads

def test_an_anonymous_upload_is_refused_before_its_body_is_read(record):
    from synkinesis.web import create_app

    store, url = record
    app = create_app(load_web_settings(environ={}, database_url=url), store=store)
    read = []

    async def receive():
        read.append(True)
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}

    answer: list[dict] = []

    async def send(message):
        answer.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/patients/P001/recordings",
             "raw_path": b"/patients/P001/recordings", "query_string": b"",
             "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
             "headers": [(b"host", b"127.0.0.1:8000"), (b"content-length", b"100000"),
                         (b"content-type", b"multipart/form-data; boundary=x")]}
    run_async(app(scope, receive, send))
    assert answer[0]["status"] == 401 and not read
    assert (b"x-content-type-options", b"nosniff") in answer[0]["headers"]


def test_a_chunked_upload_over_the_limit_is_413(record):
    store, url = record
    with client_for(store, url, max_upload_bytes=64 * 1024) as client:
        log_in(client, "drx")
        page = client.get("/patients/P001/record", headers={"Accept": "text/html"})
        csrf = re.search(r'data-csrf="([^"]+)"', page.text).group(1)
        boundary = "b0undary"

        def chunks():
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\""
                   f"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                   "name=\"video\"; filename=\"v.webm\"\r\nContent-Type: video/webm\r\n\r\n"
                   ).encode()
            for _ in range(200):
                yield b"\x1a\x45\xdf\xa3" * 256
            yield f"\r\n--{boundary}--\r\n".encode()

        answer = client.post("/patients/P001/recordings", content=chunks(), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 413 and "larger than the limit" in answer.text, answer.text


def test_uploads_and_videos_are_private_files(record, tmp_path, monkeypatch, media):
    from synkinesis.web.jobs import normalise_video

    store, url = record
    previous = os.umask(0o022)  # a permissive umask: the files must be private anyway
    try:
        with client_for(store, url) as client:
            log_in(client, "drx")
            state = client.app.state.synk
            seen = []

            def capture(**kwargs):
                path = Path(kwargs["upload"])
                seen.append((stat.S_IMODE(path.stat().st_mode),
                             stat.S_IMODE(path.parent.stat().st_mode)))
                return SimpleNamespace(id="job")

            monkeypatch.setattr(state.jobs, "submit_recording", capture)
            page = client.get("/patients/P001/record", headers={"Accept": "text/html"})
            csrf = re.search(r'data-csrf="([^"]+)"', page.text).group(1)
            video = (media / "single_face.mp4").read_bytes()
            answer = client.post("/patients/P001/recordings", data={"csrf_token": csrf},
                                 files={"video": ("v.mp4", video, "video/mp4")})
            assert answer.status_code == 200, answer.text
        assert seen == [(0o600, 0o700)]
        output = normalise_video(media / "single_face.mp4", tmp_path / "out.mp4")
        assert stat.S_IMODE(output.stat().st_mode) == 0o600
    finally:
        os.umask(previous)


# ------------------------------------------------------------------ tracebacks

def test_bad_figure_names_are_404_and_errors_carry_the_security_headers(record):
    from synkinesis.store.repository import create_visit

    store, url = record
    with store.transaction() as session:
        visit_id = create_visit(session, patient_code="P001", visit_date="2026-01-02").id
    with client_for(store, url) as client:
        log_in(client, "drx")
        bad = client.get(f"/visits/{visit_id}/recordings/r/figures/a%00.png")
        assert bad.status_code == 404

        @client.app.get("/boom")
        def boom():
            raise RuntimeError("a bug")

        crash = client.get("/boom")
        assert crash.status_code == 500 and "Traceback" not in crash.text
        assert crash.headers["x-frame-options"] == "DENY"
        assert crash.headers["content-security-policy"].startswith("default-src")


# ------------------------------------------------------------------ review: voided, changed

def test_voided_scores_are_not_shown_or_accepted_and_a_changed_analysis_is_not_shown(
        record, tmp_path):
    from synkinesis.store.repository import add_score, create_visit, find_entry, void_entry

    store, url = record
    evidence = {"grade": {"measurement": "mean voluntary ratio", "value": 0.5,
                          "confidence": 0.4, "unit": "ratio"}}
    with store.transaction() as session:
        visit = create_visit(session, patient_code="P001", visit_date="2026-03-04")
        score = add_score(session, visit=visit, instrument="house_brackmann",
                          items={"grade": 3}, rater="automatic", evidence=evidence)
        visit_id, score_id = visit.id, score.id
    with store.transaction() as session:
        void_entry(session, entry=find_entry(session, kind="score", ref=score_id),
                   reason="entered for the wrong patient")
    with client_for(store, url) as client:
        log_in(client, "drx")
        page = client.get(f"/visits/{visit_id}", headers={"Accept": "text/html"})
        assert page.status_code == 200 and score_id not in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        accepted = client.post(f"/visits/{visit_id}/scores/{score_id}/accept",
                               data={"csrf_token": csrf}, follow_redirects=False)
        assert accepted.status_code == 404
    with store.reading() as session:
        from synkinesis.store.repository import find_visit

        assert [s.rater for s in find_visit(session, ref=visit_id).scores] == ["automatic"]

    from synkinesis.web.routers.visits import analysis_view

    analysis = tmp_path / "a.analysis.json"
    analysis.write_text(json.dumps({"format": "synkinesis.analysis", "format_version": 1,
                                    "findings": []}))
    from synkinesis.store.recordings import file_sha256

    recorded = file_sha256(analysis)
    assert analysis_view(str(analysis), recorded) is not None
    analysis.write_text(analysis.read_text() + " ")
    assert analysis_view(str(analysis), recorded) is None


def test_no_login_mode_keeps_one_session_for_cookieless_requests(record):
    store, url = record
    with client_for(store, url, no_login=True) as client:
        for _ in range(50):
            client.cookies.clear()
            assert client.get("/patients").status_code == 200
        assert len(client.app.state.synk.sessions._sessions) == 1

