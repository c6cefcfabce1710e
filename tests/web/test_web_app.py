"""The web app without a browser: settings refused when unsafe, accounts in the record, the
no-login mode, CSRF, and the exercise feedback logic. (Issue 16's protections:
test_web_security.py.)"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from synkinesis.web.accounts import AccountError, add_account, hash_password, verify_password
from synkinesis.web.biofeedback import ExerciseTracker, get_exercise, threshold_from_analysis
from synkinesis.web.settings import UnsafeSettingsError, load_web_settings


def test_unsafe_settings_are_refused(tmp_path):
    with pytest.raises(UnsafeSettingsError, match="SYNK_WEB_SECRET"):
        load_web_settings(environ={"SYNK_WEB_ENV": "production"}, host="127.0.0.1")
    with pytest.raises(UnsafeSettingsError, match="SYNK_WEB_SECRET"):
        load_web_settings(environ={}, host="10.0.0.5")
    with pytest.raises(UnsafeSettingsError, match="refusing --no-login on 10.0.0.5"):
        load_web_settings(environ={"SYNK_WEB_SECRET": "s" * 40}, host="10.0.0.5",
                          no_login=True)
    with pytest.raises(UnsafeSettingsError, match="SYNK_WEB_ALLOWED_HOSTS"):
        load_web_settings(environ={"SYNK_WEB_SECRET": "s" * 40}, host="0.0.0.0")
    with pytest.raises(UnsafeSettingsError, match="host names like"):
        load_web_settings(environ={"SYNK_WEB_SECRET": "s" * 40,
                                   "SYNK_WEB_ALLOWED_HOSTS": "clinic.example:https"})
    settings = load_web_settings(environ={"SYNK_WEB_SECRET": "s" * 40,
                                          "SYNK_WEB_ALLOWED_HOSTS": "clinic.example:443"},
                                 host="0.0.0.0", port=8443)
    assert settings.environment == "production" and settings.cookie_secure
    assert settings.host_names == ("clinic.example",) and not settings.no_login
    assert "https://clinic.example:443" in settings.origins
    local = load_web_settings(environ={})
    assert local.host_names == ("127.0.0.1", "localhost", "[::1]") and not local.no_login


def test_cli_manages_accounts_in_the_record(tmp_path, monkeypatch):
    from synkinesis.cli import app
    from synkinesis.store import load_settings, open_store
    from synkinesis.store.repository import create_patient

    url = f"sqlite:///{tmp_path / 'record.sqlite'}"
    monkeypatch.setenv("SYNK_DATABASE_URL", url)
    monkeypatch.setenv("SYNK_DATA_DIR", str(tmp_path))
    store = open_store(load_settings())
    with store.transaction() as session:
        create_patient(session, code="P001", affected_side="left")
    store.close()
    runner = CliRunner()
    added = runner.invoke(app, ["serve", "adduser", "p1", "--role", "patient", "--patient",
                                "p001", "--password-stdin"], input="a long password\n")
    assert added.exit_code == 0, added.output
    assert "for patient P001" in added.output  # the record's code, compared upper-cased
    bad = runner.invoke(app, ["serve", "adduser", "p2", "--role", "patient",
                              "--password-stdin"], input="a long password\n")
    assert bad.exit_code == 2 and "--patient CODE" in bad.output
    listed = runner.invoke(app, ["serve", "users"])
    assert "p1: patient (patient P001)" in listed.output
    removed = runner.invoke(app, ["serve", "deluser", "p1"])
    assert removed.exit_code == 0 and "no accounts" in runner.invoke(app, ["serve",
                                                                           "users"]).output
    assert runner.invoke(app, ["serve", "deluser", "p1"]).exit_code == 2
    old = tmp_path / "web-accounts.json"
    old.write_text(json.dumps({"format": "synkinesis.web_accounts", "format_version": 1,
                               "accounts": [{"username": "drold", "role": "clinician",
                                             "password_hash": hash_password("pw of before"),
                                             "patient_code": None}]}))
    imported = runner.invoke(app, ["serve", "users", "--import", str(old)])
    assert imported.exit_code == 0 and "imported 1 accounts" in imported.output
    assert "drold: clinician" in imported.output
    again = runner.invoke(app, ["serve", "users", "--import", str(old)])
    assert again.exit_code == 2 and "exists" in again.output


def test_passwords_are_scrypt_hashed():
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and verify_password("correct horse", stored)
    assert not verify_password("wrong horse", stored) and not verify_password("x", "garbage")
    with pytest.raises(AccountError, match="at least"):
        add_account(None, username="short", role="clinician", password="short")


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_no_login_mode_needs_no_login_but_forms_need_the_csrf_token(tmp_path):
    from fastapi.testclient import TestClient

    from synkinesis.store import load_settings, open_store
    from synkinesis.web import create_app

    url = f"sqlite:///{tmp_path / 'record.sqlite'}"
    settings = load_web_settings(environ={}, database_url=url, no_login=True)
    store = open_store(load_settings(database_url=url, environ={}))
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        page = client.get("/patients", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "NO LOGIN" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        cookie = page.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        form = {"code": "P009", "affected_side": "left", "cause": "unknown"}
        forged = client.post("/patients", data=form, follow_redirects=False)
        assert forged.status_code == 403
        made = client.post("/patients", data={**form, "csrf_token": token},
                           follow_redirects=False)
        assert made.status_code == 303 and made.headers["location"] == "/patients/P009"
        assert client.get("/patients/P009/record").status_code == 200
    store.close()


def test_tracker_counts_clean_holds_and_warns_on_unwanted_movement():
    exercise = get_exercise("smile_eye_open")
    tracker = ExerciseTracker(exercise, "left", threshold_mm=1.0, hold_s=1.0)
    t = 0.0

    def feed(target: float, unwanted: float, seconds: float) -> dict:
        nonlocal t
        out = {}
        for _ in range(int(seconds * 30)):
            t += 1 / 30
            out = tracker.update(t, {"left": {"mouth_corner": target, "eye": unwanted}})
        return out

    feed(0.0, 0.0, 0.5)
    assert feed(3.0, 0.2, 1.2)["reps"] == 1          # held 1 s, eye open
    assert feed(3.0, 0.2, 1.2)["reps"] == 1          # must relax before the next
    feed(0.0, 0.0, 0.3)
    out = feed(3.0, 2.0, 1.2)                          # eye narrows: warning, no repetition
    assert out["warning"] and out["reps"] == 1 and tracker.warnings == 1
    assert tracker.score() == pytest.approx(100 * 2.4 / 3.6, abs=2)  # 2.4 s of 3.6 s clean
    summary = tracker.summary()
    assert summary["repetitions"] == 1 and summary["exercise"] == "smile_eye_open"


def test_threshold_starts_from_the_healthy_side_of_the_latest_analysis():
    exercise = get_exercise("smile_eye_open")
    tasks, regions = ["rest", "closed_smile"], ["brow", "eye"]
    analysis = {"coupling": {"tasks": tasks, "regions": regions, "noise_floor_mm": [0.3, 0.6],
                             "movement_mm": {"left": [[0, 0], [0.5, 3.0]],
                                             "right": [[0, 0], [0.4, 1.4]]}}}
    threshold, source = threshold_from_analysis(exercise, analysis, affected_side="left")
    assert threshold == 1.4 and "healthy (right)" in source
    assert threshold_from_analysis(exercise, None, affected_side="left")[0] == 1.0


def test_threshold_from_an_odd_analysis_is_capped_and_says_so(caplog):
    from synkinesis.web.biofeedback import MAX_THRESHOLD_MM

    exercise = get_exercise("smile_eye_open")
    analysis = {"coupling": {"tasks": ["closed_smile"], "regions": ["eye"],
                             "noise_floor_mm": [0.6],
                             "movement_mm": {"left": [[3.0]], "right": [[10.87]]}}}
    with caplog.at_level("WARNING", logger="synkinesis.web.biofeedback"):
        threshold, source = threshold_from_analysis(exercise, analysis, affected_side="left")
    assert threshold == MAX_THRESHOLD_MM == 3.0
    assert "CAPPED at 3 mm" in source and "10.87" in source
    assert "capped" in caplog.text
    analysis["coupling"]["movement_mm"]["right"] = [[2.9]]       # just below: not capped
    threshold, source = threshold_from_analysis(exercise, analysis, affected_side="left")
    assert threshold == 2.9 and "CAPPED" not in source


def test_session_cookies_are_signed():
    from synkinesis.web.security import LOCAL_ACCOUNT, SessionManager

    sessions = SessionManager(lifetime_s=60, secret="k" * 40)
    session = sessions.create(LOCAL_ACCOUNT)
    cookie = sessions.cookie_value(session)
    assert sessions.get(cookie) is session
    assert sessions.get(session.token) is None                  # unsigned
    token, _, signature = cookie.partition(".")
    forged = ("1" if signature[0] == "0" else "0") + signature[1:]  # always a different one
    assert sessions.get(f"{token}.{forged}") is None             # forged signature
    other = SessionManager(lifetime_s=60, secret="z" * 40)
    assert other.get(cookie) is None                             # another secret


def test_a_failing_recording_job_says_why_and_leaves_no_video(tmp_path, media):
    import shutil
    import time

    from synkinesis.store import load_settings, open_store
    from synkinesis.store.repository import create_patient, create_visit
    from synkinesis.web.jobs import JobManager

    store = open_store(load_settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite'}",
                                     environ={}))
    with store.transaction() as session:
        create_patient(session, code="P1", affected_side="left")
        visit_id = create_visit(session, patient_code="P1", visit_date="2026-01-05").id
    upload = tmp_path / "upload.bin"
    shutil.copyfile(media / "no_face.mp4", upload)
    jobs = JobManager(store)
    job = jobs.submit_recording(patient_code="P1", affected_side="left", visit_ref=visit_id,
                                upload=upload, spans=[])
    deadline = time.monotonic() + 120
    while not (job.done or job.failed) and time.monotonic() < deadline:
        time.sleep(0.2)
    jobs.shutdown()
    assert job.failed and "no face" in job.message
    assert not upload.exists()
    assert not list((store.settings.data_dir / "videos" / "P1").glob("*"))
    store.close()


def test_a_recording_too_short_to_analyse_is_stored_with_its_measurement(tmp_path, media):
    """The web job stores as ``synk record add`` does (issue 17): an analysis that fails
    keeps the measurement, and the recording's status says why (before, the job failed and
    nothing was kept)."""
    import shutil
    import subprocess
    import time

    from synkinesis.store import load_settings, open_store
    from synkinesis.store.models import RecordingRow
    from synkinesis.store.repository import create_patient, create_visit
    from synkinesis.web.jobs import JobManager

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed: apt-get install ffmpeg")
    store = open_store(load_settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite'}",
                                     environ={"SYNK_DATA_DIR": str(tmp_path / "data")}))
    with store.transaction() as session:
        create_patient(session, code="P1", affected_side="left")
        visit_id = create_visit(session, patient_code="P1", visit_date="2026-01-05").id
    upload = tmp_path / "upload.mp4"  # 20 frames, 0.67 s: shorter than the analysis needs
    subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", str(media / "single_face.mp4"),
                    "-frames:v", "20", "-an", str(upload)], check=True)
    jobs = JobManager(store)
    job = jobs.submit_recording(patient_code="P1", affected_side="left", visit_ref=visit_id,
                                upload=upload, spans=[])
    deadline = time.monotonic() + 300
    while not (job.done or job.failed) and time.monotonic() < deadline:
        time.sleep(0.2)
    jobs.shutdown()
    assert job.done, job.message
    assert "analysis failed: the recording is too short to analyse" in job.message
    with store.reading() as session:
        (recording,) = session.query(RecordingRow).all()
        assert recording.analysis_status.startswith("analysis failed: the recording is too "
                                                    "short")
        assert recording.analysis_path is None
    assert list((tmp_path / "data" / "P1").glob("*.synk"))
    assert not list((tmp_path / "data" / "P1").glob("*.analysis.json"))
    store.close()


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_a_clinician_accepts_a_complete_automatic_score_not_a_draft(tmp_path):
    """The accept button of the visit page (in the browser test only when the fake camera's
    loop happens to put a smile in the big-smile span, so that a House-Brackmann grade is
    suggested): a complete automatic score is stored again as the clinician's; a draft has no
    button, and posting to it anyway is refused with a reason, not stored."""
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from synkinesis.store import load_settings, open_store
    from synkinesis.store.repository import add_score, create_patient, create_visit
    from synkinesis.web import create_app

    url = f"sqlite:///{tmp_path / 'record.sqlite'}"
    settings = load_web_settings(environ={}, database_url=url, no_login=True)
    store = open_store(load_settings(database_url=url, environ={}))
    with store.transaction() as session:
        create_patient(session, code="P010", affected_side="left")
        visit = create_visit(session, patient_code="P010", visit_date="2026-11-02")
        def evidence(*keys):
            return {key: {"measurement": "mean voluntary ratio", "value": 0.8,
                          "confidence": 0.4, "unit": "ratio"} for key in keys}

        complete = add_score(session, visit=visit, instrument="house_brackmann",
                             items={"grade": 2}, rater="automatic",
                             rated_at=datetime.now(UTC), evidence=evidence("grade"))
        draft = add_score(session, visit=visit, instrument="eface",
                          items={"brow_rest": 100}, rater="automatic",
                          rated_at=datetime.now(UTC), draft=True,
                          evidence=evidence("brow_rest"))
        visit_id, complete_id, draft_id = visit.id, complete.id, draft.id
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        page = client.get(f"/visits/{visit_id}", headers={"Accept": "text/html"})
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        assert f"/scores/{complete_id}/accept" in page.text
        assert f"/scores/{draft_id}/accept" not in page.text
        accepted = client.post(f"/visits/{visit_id}/scores/{complete_id}/accept",
                               data={"csrf_token": token}, follow_redirects=False)
        assert accepted.status_code == 303
        refused = client.post(f"/visits/{visit_id}/scores/{draft_id}/accept",
                              data={"csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 400 and "correct it in the form" in refused.text
    with store.reading() as session:
        from synkinesis.store.repository import find_visit

        scores = [(s.instrument, s.rater) for s in find_visit(session, ref=visit_id).scores]
    assert sorted(scores) == [("eface", "automatic"), ("house_brackmann", "automatic"),
                              ("house_brackmann", "clinician")]
    store.close()
