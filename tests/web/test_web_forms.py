"""Web forms for what the CLI records (visits, therapy, procedures and block outcomes, an
existing video uploaded to a visit) and the visit-vs-visit comparison page, without a browser:
each form stores through the same validators as the CLI, refuses bad input on the page (400,
no traceback), needs a clinician and the CSRF token, and keeps patients apart."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
from web_fixtures import PASSWORD, open_test_record

from synkinesis.web.settings import load_web_settings

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
ACCOUNTS = {"drx": ("clinician", None), "pat1": ("patient", "P001"),
            "pat2": ("patient", "P002")}
HTML = {"Accept": "text/html"}


@pytest.fixture
def record(tmp_path):
    store, url = open_test_record(tmp_path, patients={"P001": "left", "P002": "right"},
                                  accounts=ACCOUNTS)
    yield store, url
    store.close()


def client_for(store, url):
    from fastapi.testclient import TestClient

    from synkinesis.web import create_app

    settings = load_web_settings(environ={}, database_url=url)
    return TestClient(create_app(settings, store=store), base_url="http://127.0.0.1",
                      raise_server_exceptions=False)


def logged_in(client, username="drx"):
    answer = client.post("/login", data={"username": username, "password": PASSWORD},
                         follow_redirects=False)
    assert answer.status_code == 303
    return client


def token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _visit(client, code, day, csrf, label=""):
    made = client.post(f"/patients/{code}/visits", data={
        "visit_date": day, "label": label, "csrf_token": csrf}, follow_redirects=False)
    assert made.status_code == 303, made.text
    return made.headers["location"].rsplit("/", 1)[-1]


def test_visit_form_creates_a_visit_and_refuses_bad_input_on_the_page(record):
    store, url = record
    with client_for(store, url) as client:
        page = logged_in(client).get("/patients/P001/visits/new", headers=HTML)
        assert page.status_code == 200 and 'id="visit-form"' in page.text
        csrf = token(page)
        forged = client.post("/patients/P001/visits", data={"visit_date": "2026-01-05"})
        assert forged.status_code == 403
        bad = client.post("/patients/P001/visits", data={
            "visit_date": "2026-13-45", "label": "kept", "csrf_token": csrf}, headers=HTML)
        assert bad.status_code == 400 and 'id="form-error"' in bad.text
        assert "2026-13-45" in bad.text and 'value="kept"' in bad.text  # the input is kept
        assert "Traceback" not in bad.text
        visit_id = _visit(client, "P001", "2026-01-05", csrf, label="baseline")
        shown = client.get(f"/visits/{visit_id}", headers=HTML)
        assert shown.status_code == 200 and "baseline" in shown.text
        assert 'id="upload-form"' in shown.text


def test_patients_cannot_use_the_clinician_forms_nor_see_other_patients(record):
    store, url = record
    with client_for(store, url) as client:
        for path in ("/patients/P001/visits/new", "/patients/P001/therapy",
                     "/patients/P001/procedures", "/patients/P001/compare"):
            assert client.get(path).status_code == 401, path  # no login: nothing
        assert client.post("/patients/P001/visits", data={"visit_date": "2026-01-05"}
                           ).status_code in (401, 403)
        logged_in(client, "pat1")
        for path in ("/patients/P001/visits/new", "/patients/P001/therapy",
                     "/patients/P001/procedures"):
            assert client.get(path).status_code == 403, path
        assert client.get("/patients/P002/compare").status_code in (403, 404)
        assert client.get("/patients/P001/compare", headers=HTML).status_code == 200


def test_therapy_form_validates_and_stores(record):
    from synkinesis.store.repository import get_patient

    store, url = record
    with client_for(store, url) as client:
        csrf = token(logged_in(client).get("/patients/P001/therapy", headers=HTML))
        form = {"session_date": "2026-01-12", "exercises": "closed-lip smile\n\nslow blink",
                "csrf_token": csrf}
        words = client.post("/patients/P001/therapy", data={**form, "minutes": "lots"})
        assert words.status_code == 400 and "minutes must be a whole number" in words.text
        negative = client.post("/patients/P001/therapy", data={**form, "minutes": "-5"})
        assert negative.status_code == 400 and 'id="form-error"' in negative.text
        stored = client.post("/patients/P001/therapy", data={**form, "minutes": "45"})
        assert stored.status_code == 200 and "stored the therapy session" in stored.text
    with store.reading() as session:
        (therapy,) = get_patient(session, code="P001").therapy_sessions
        assert therapy.minutes == 45 and therapy.exercises == ["closed-lip smile",
                                                               "slow blink"]
        assert therapy.therapist == "drx"


def test_procedure_form_and_block_outcome(record):
    from synkinesis.store.repository import get_patient

    store, url = record
    with client_for(store, url) as client:
        csrf = token(logged_in(client).get("/patients/P001/procedures", headers=HTML))
        form = {"kind": "nerve_block", "target": "depressor_anguli_oris", "side": "left",
                "procedure_date": "2026-02-01", "agent": "lidocaine 1%",
                "prediction": "wider smile", "csrf_token": csrf}
        bad_values = client.post("/patients/P001/procedures",
                                 data={**form, "prediction_values": "sunnybrook=lots"})
        assert bad_values.status_code == 400 and "NAME=NUMBER" in bad_values.text
        bad_target = client.post("/patients/P001/procedures",
                                 data={**form, "target": "elbow"})
        assert bad_target.status_code == 400 and "unknown nerve_block target" in \
            bad_target.text
        stored = client.post("/patients/P001/procedures",
                             data={**form, "prediction_values": "sunnybrook=60"})
        assert stored.status_code == 200 and "stored the nerve block" in stored.text
        with store.reading() as session:
            (procedure,) = get_patient(session, code="P001").procedures
            procedure_id = procedure.id
            assert procedure.prediction_values == {"sunnybrook": 60.0}
        outcome = {"outcome": "wider", "outcome_values": "sunnybrook=58",
                   "outcome_date": "2026-02-01", "csrf_token": csrf}
        # through another patient's path: the same 404 as a procedure that does not exist
        assert client.post(f"/patients/P002/procedures/{procedure_id}/outcome",
                           data=outcome).status_code == 404
        early = client.post(f"/patients/P001/procedures/{procedure_id}/outcome",
                            data={**outcome, "outcome_date": "2026-01-01"})
        assert early.status_code == 400 and 'id="form-error"' in early.text
        done = client.post(f"/patients/P001/procedures/{procedure_id}/outcome", data=outcome)
        assert done.status_code == 200 and "wider (2026-02-01)" in done.text
    with store.reading() as session:
        (procedure,) = get_patient(session, code="P001").procedures
        assert procedure.outcome_values == {"sunnybrook": 58.0}


def _score(store, visit_id, items):
    from synkinesis.store.repository import add_score, find_visit

    with store.transaction() as session:
        add_score(session, visit=find_visit(session, ref=visit_id), instrument="sunnybrook",
                  items=items)


SUNNYBROOK = {"rest_eye": "narrow", "rest_cheek": 1, "rest_mouth": 1,
              "voluntary_brow_lift": 3, "voluntary_eye_closure": 4, "voluntary_smile": 3,
              "voluntary_snarl": 3, "voluntary_pucker": 2, "synkinesis_brow_lift": 1,
              "synkinesis_eye_closure": 2, "synkinesis_smile": 2, "synkinesis_snarl": 1,
              "synkinesis_pucker": 2}  # total 37


def test_comparison_page_names_the_direction_of_every_change(record):
    store, url = record
    with client_for(store, url) as client:
        csrf = token(logged_in(client).get("/patients/P001/visits/new", headers=HTML))
        first = _visit(client, "P001", "2026-01-05", csrf)
        empty = client.get("/patients/P001/compare", headers=HTML)
        assert "fewer than two visits" in empty.text
        second = _visit(client, "P001", "2026-03-02", csrf)
        other = _visit(client, "P002", "2026-01-05", csrf)
        _score(store, first, SUNNYBROOK)
        _score(store, second, {**SUNNYBROOK, "voluntary_smile": 4, "synkinesis_smile": 3})
        page = client.get("/patients/P001/compare", headers=HTML)  # the last two by default
        assert page.status_code == 200
        rows = re.findall(r'<tr class="verdict-([a-z-]+)"><td>([^<]+)</td>', page.text)
        verdicts = {label.strip(): verdict for verdict, label in rows}
        # composite = voluntary (+4) - resting (0) - synkinesis (+1): 37 -> 40
        assert verdicts["Sunnybrook Facial Grading System composite score"] == "better"
        assert verdicts["Sunnybrook Facial Grading System: resting symmetry score"] == \
            "unchanged"
        assert verdicts["Sunnybrook Facial Grading System: voluntary movement score"] == \
            "better"
        assert verdicts["Sunnybrook Facial Grading System: synkinesis score"] == "worse"
        assert "P001@2026-01-05 → P001@2026-03-02" in page.text
        swapped = client.get(f"/patients/P001/compare?a={second}&b={first}", headers=HTML)
        assert "verdict-worse\"><td>Sunnybrook Facial Grading System: voluntary" in \
            swapped.text
        foreign = client.get(f"/patients/P001/compare?a={first}&b={other}", headers=HTML)
        assert foreign.status_code == 400 and "choose two visits of this patient" in \
            foreign.text and "P002" not in foreign.text
        same = client.get(f"/patients/P001/compare?a={first}&b={first}", headers=HTML)
        assert same.status_code == 400 and "two different visits" in same.text


def test_upload_of_an_existing_video_goes_through_the_workflow(record, media, tmp_path):
    from synkinesis.store.models import RecordingRow
    from synkinesis.store.recordings import file_sha256

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed: apt-get install ffmpeg")
    clip = tmp_path / "phone clip.mp4"  # 20 frames: measured quickly, too short to analyse
    subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", str(media / "single_face.mp4"),
                    "-frames:v", "20", "-an", str(clip)], check=True)
    not_video = tmp_path / "notes.mp4"
    not_video.write_bytes(b"not a video at all, only text" * 10)
    store, url = record
    with client_for(store, url) as client:
        csrf = token(logged_in(client).get("/patients/P001/visits/new", headers=HTML))
        visit_id = _visit(client, "P001", "2026-01-05", csrf)
        path = f"/visits/{visit_id}/upload"
        with not_video.open("rb") as handle:
            refused = client.post(path, data={"csrf_token": csrf},
                                  files={"video": ("notes.mp4", handle, "video/mp4")})
        assert refused.status_code == 415 and "not a video" in refused.text
        with clip.open("rb") as handle:
            wrong_kind = client.post(path, data={"csrf_token": csrf},
                                     files={"video": ("clip.txt", handle, "text/plain")})
        assert wrong_kind.status_code == 415 and "choose a video file" in wrong_kind.text
        with clip.open("rb") as handle:
            forged = client.post(path, files={"video": ("clip.mp4", handle, "video/mp4")})
        assert forged.status_code == 403
        logged_in(client, "pat2")
        with clip.open("rb") as handle:  # another patient's visit: as if there were none
            assert client.post(path, data={"csrf_token": csrf}, files={
                "video": ("clip.mp4", handle, "video/mp4")}).status_code in (403, 404)
        csrf = token(logged_in(client).get("/patients/P001/visits/new", headers=HTML))
        with clip.open("rb") as handle:
            started = client.post(path, data={"csrf_token": csrf},
                                  files={"video": (clip.name, handle, "video/mp4")})
        assert started.status_code == 200, started.text
        status_url = started.json()["progress_url"] + "/status"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = client.get(status_url).json()
            if status["done"] or status["failed"]:
                break
            time.sleep(0.3)
        assert status["done"], status
        assert status["visit_id"] == visit_id
    with store.reading() as session:
        (recording,) = session.query(RecordingRow).all()
        assert recording.visit_id == visit_id
        # kept as uploaded (not re-encoded): the stored video is the file, byte for byte
        assert recording.sha256 == file_sha256(clip)
        assert recording.analysis_status.startswith("analysis failed: the recording is too "
                                                    "short")
        video = Path(recording.video_path)
    # in the patient's own folder, private, named after the file; the upload copy is gone
    stored = list((store.settings.data_dir / "P001" / "videos").glob(f"*{video.name}"))
    assert len(stored) == 1 and stored[0].name.startswith("phone_clip_")
    assert stat.S_IMODE(stored[0].stat().st_mode) == 0o600
    assert not list((store.settings.data_dir / "uploads").glob("*"))
