"""The web app in a real browser (Debian's Chromium driven by Playwright, the camera faked
from the real test video): recording, biofeedback, dashboard, access control, bad input."""

# pytest fixtures are imported from web_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

import pytest
from web_fixtures import (
    BASE_ARGS,
    CHROMIUM,
    login,
    screenshots,
    server,
    shoot,
    web_root,
)


def test_guided_recording_produces_an_analysed_visit(browser, server, screenshots):
    context, page = login(browser, server, "drtest")
    page.goto(f"{server.url}/patients/P001/record")
    page.wait_for_selector("#start:not([disabled])", timeout=30_000)
    page.wait_for_function(
        "document.getElementById('face-status').textContent.startsWith('Face OK')",
        timeout=30_000)
    shoot(page, screenshots, "record-face-check")
    page.click("#start")
    page.wait_for_url("**/jobs/*", timeout=90_000)
    page.wait_for_function("document.getElementById('job-progress').value > 0.1",
                           timeout=120_000)
    shoot(page, screenshots, "record-progress")
    page.wait_for_selector("#job-result:not([hidden])", timeout=180_000)
    page.click("#job-visit")
    page.wait_for_selector(".analysis-status")
    status = page.inner_text(".analysis-status")
    assert status == "analysed", status
    assert page.locator(".findings tbody tr").count() >= 3
    assert "past the end of the recording" not in page.inner_text(".recording")
    assert page.locator(".figures img").count() >= 1
    assert page.locator("#scores .score-automatic").count() >= 1
    shoot(page, screenshots, "visit-analysis")
    automatic = page.locator("#scores .score-automatic")
    accept = page.locator("#scores .score-automatic button.accept")
    if accept.count():
        accept.first.click()  # House-Brackmann, complete
        page.wait_for_selector("#scores .score-clinician")
    else:
        # The fake camera loops single_face (neutral 0.55 s, then a smile) from whatever phase
        # the recording starts in; when its neutral part fills the 0.8 s big-smile span, no
        # voluntary movement is measured and no House-Brackmann grade is suggested. Then every
        # automatic score is a draft, offered for completion, never for acceptance as it is.
        # (Accepting is tested without the browser: tests/web/test_web_app.py.)
        complete = page.locator("#scores .score-automatic a.button", has_text="Complete")
        assert complete.count() == automatic.count() >= 1
    context.close()


def test_biofeedback_shows_the_smile_and_saves_no_empty_session(browser, server, screenshots):
    from synkinesis.store.repository import get_patient

    context, page = login(browser, server, "pat1")
    page.goto(f"{server.url}/patients/P001/exercise")
    shoot(page, screenshots, "exercise-list")
    page.click("text=Small smile, eye open")
    page.wait_for_selector("#finish:not([disabled])", timeout=60_000)
    # Finished at once, before any repetition could be held: nothing is stored, the page
    # says why and the session goes on.
    page.click("#finish")
    page.wait_for_function("document.getElementById('session-message').textContent"
                           ".includes('no repetition')", timeout=10_000)
    assert page.is_visible("#session-message")
    page.wait_for_selector("#finish:not([disabled])", timeout=10_000)
    # single_face.mp4 is a smile: the target bar (mouth corner) must rise above the goal.
    page.wait_for_function("window.synkStats.maxTarget !== null && window.synkStats.maxTarget > 2",
                           timeout=30_000)
    page.wait_for_function(
        "parseFloat(document.querySelector('#target-bar .fill').style.width) > 0",
                           timeout=10_000)
    shoot(page, screenshots, "exercise-bars")
    stats = page.evaluate("window.synkStats")
    unexpected = [e for e in stats["errors"] if "no repetition" not in e]
    assert stats["received"] > 20 and not unexpected, unexpected
    context.close()
    with server.store.reading() as session:
        assert get_patient(session, code="P001").therapy_sessions == []
    # A saved session (saving itself, once per socket and only with a repetition, is tested
    # without the browser: this video's loop is mostly smile, so the rest baseline the page
    # takes may be the smile itself and a clean repetition cannot be counted on) is listed.
    from synkinesis.store.repository import add_therapy_session

    with server.store.transaction() as session:
        add_therapy_session(session, patient_code="P001", session_date=datetime.now(UTC).date(),
                            minutes=3, exercises=["Small smile, eye open"],
                            biofeedback={"exercise": "smile_eye_open", "repetitions": 4,
                                         "warnings": 1, "score_pct": 80.0})
    context, page = login(browser, server, "pat1")
    page.goto(f"{server.url}/patients/P001/exercise")
    assert "Small smile, eye open" in page.inner_text("#recent-sessions")
    context.close()


def test_dashboard_shows_the_trend(browser, server, screenshots):
    from synkinesis.store.repository import (
        InjectionSpec,
        add_score,
        add_toxin_session,
        create_visit,
    )

    today = datetime.now(UTC).date()
    items = {"rest_eye": "narrow", "rest_cheek": 1, "rest_mouth": 1,
             "voluntary_brow_lift": 3, "voluntary_eye_closure": 4, "voluntary_smile": 3,
             "voluntary_snarl": 3, "voluntary_pucker": 2, "synkinesis_brow_lift": 1,
             "synkinesis_eye_closure": 2, "synkinesis_smile": 2, "synkinesis_snarl": 1,
             "synkinesis_pucker": 2}
    with server.store.transaction() as session:
        for weeks, smile in ((30, 3), (16, 2), (2, 1)):
            visit = create_visit(session, patient_code="P002",
                                 visit_date=today - timedelta(weeks=weeks))
            add_score(session, visit=visit, instrument="sunnybrook",
                      items={**items, "synkinesis_smile": smile}, rated_at=datetime.now(UTC))
        add_toxin_session(session, patient_code="P002", session_date=today - timedelta(weeks=14),
                          product="onabotulinumtoxinA", settings=server.store.settings,
                          injections=[InjectionSpec("orbicularis_oculi", "right", 5.0, 2)])
    context, page = login(browser, server, "drtest")
    page.goto(f"{server.url}/patients")
    page.click("text=P002")
    page.wait_for_selector("#trend-chart svg .point")
    assert page.locator("#trend-chart svg .point").count() == 3
    assert page.locator("#trend-chart svg .treatment").count() == 1
    page.hover("#trend-chart svg .point >> nth=2")
    assert ": 38" in page.text_content("#trend-chart .tooltip")  # 37, one synkinesis point less
    assert page.locator("#timeline .ev-toxin").count() == 1
    shoot(page, screenshots, "dashboard-trend")
    context.close()


def test_toxin_form_picks_muscles_on_the_face_diagram(browser, server, screenshots):
    context, page = login(browser, server, "drtest")
    page.goto(f"{server.url}/patients/P002/toxin")
    page.click("#face-diagram [data-muscle=orbicularis_oculi][data-side=right]")
    page.click("#face-diagram [data-muscle=mentalis][data-side=right]")
    rows = page.locator("#injections tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("select[name=muscle]").input_value() == "orbicularis_oculi"
    assert rows.nth(1).locator("select[name=side]").input_value() == "right"
    rows.nth(0).locator("input[name=units]").fill("20")  # above the 12.5 U maximum: a warning
    shoot(page, screenshots, "toxin-diagram")
    page.click("#toxin-form button[type=submit]")
    page.wait_for_selector("p.ok")
    assert "stored 22.5 U for P002" in page.inner_text("p.ok")
    assert "above the configured maximum" in page.inner_text("p.warning")
    context.close()


def test_patient_cannot_open_another_patients_page(browser, server, screenshots, caplog):
    context, page = login(browser, server, "pat1")
    response = page.goto(f"{server.url}/patients/P002")
    assert response.status == 404
    forbidden = page.inner_text("#error-message")
    shoot(page, screenshots, "patient-forbidden")
    # another patient's record reads exactly like one that does not exist
    assert page.goto(f"{server.url}/patients/P999").status == 404
    assert page.inner_text("#error-message") == forbidden
    assert page.goto(f"{server.url}/patients/P002/trend?index=sunnybrook").status == 404
    assert page.goto(f"{server.url}/patients").status == 403
    assert page.goto(f"{server.url}/patients/P001").status == 200
    context.close()
    assert any("access denied" in r.getMessage() and "P002" in r.getMessage()
               for r in caplog.records)


def test_a_page_under_another_host_name_cannot_read_the_record(playwright_instance, web_root,
                                                               screenshots):
    """DNS rebinding: a page of evil.example whose name then resolves to 127.0.0.1 (Chromium's
    host resolver rules stand in for the attacker's DNS) reaches the server same-origin; even
    the no-login server answers it nothing. Chromium's own Private Network Access block is
    switched off: other browsers, and older ones, do not have it; the server must not rely
    on it."""
    from web_fixtures import start_server

    srv, stop = start_server(web_root / "rebinding", patients={"P001": "left"},
                             no_login=True)
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=BASE_ARGS + ["--host-resolver-rules=MAP evil.example 127.0.0.1",
                          "--disable-features=BlockInsecurePrivateNetworkRequests,"
                          "PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks"])
    try:
        page = browser.new_context(bypass_csp=True).new_page()
        evil = f"http://evil.example:{srv.port}"
        page.route(f"{evil}/attack", lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>attacker</title>"))
        page.goto(f"{evil}/attack")
        stolen = page.evaluate("""async () => {
            const answer = await fetch('/patients');
            const socket = await new Promise((resolve) => {
                const ws = new WebSocket(location.origin.replace('http', 'ws') +
                                         '/ws/live?patient=P001');
                ws.onmessage = (event) => resolve('message: ' + event.data);
                ws.onerror = () => resolve('refused');
            });
            return {status: answer.status, text: await answer.text(), socket};
        }""")
        assert stolen["status"] == 400 and "P001" not in stolen["text"], stolen
        assert stolen["socket"] == "refused", stolen
        direct = page.goto(f"{evil}/patients")
        assert direct.status == 400 and "Invalid host header" in page.content()
        shoot(page, screenshots, "rebinding-refused")
        assert page.goto(f"{srv.url}/patients").status == 200   # the real name still works
        assert "P001" in page.content()
    finally:
        browser.close()
        stop()


def test_login_page_says_the_account_is_locked_after_wrong_passwords(browser, server,
                                                                     screenshots):
    from web_fixtures import PASSWORD

    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server.url}/login")
    for attempt in range(10):
        page.fill("input[name=username]", "lockme")
        page.fill("input[name=password]", f"wrong password {attempt}")
        page.click("button[type=submit]")
        page.wait_for_selector("p.error")
    assert "locked" in page.inner_text("p.error")
    page.fill("input[name=username]", "lockme")
    page.fill("input[name=password]", PASSWORD)       # the right one, during the lockout
    page.click("button[type=submit]")
    page.wait_for_selector("p.error")
    assert "this account is locked for 15 min" in page.inner_text("p.error")
    assert "/login" in page.url and page.goto(f"{server.url}/patients").url.endswith(
        "/login?next=/patients")
    shoot(page, screenshots, "login-locked")
    context.close()


def test_scale_form_rejects_out_of_range_items(browser, server, screenshots):
    with server.store.transaction() as session:
        from synkinesis.store.repository import create_visit

        visit = create_visit(session, patient_code="P002", visit_date=datetime.now(UTC).date()
                             - timedelta(days=1), label="form test")
        visit_id = visit.id
    context, page = login(browser, server, "drtest")
    page.goto(f"{server.url}/visits/{visit_id}/scales/eface")
    page.fill("#item-brow_rest", "250")  # 0..200
    page.evaluate("document.getElementById('scale-form').noValidate = true")
    page.check("input[name=draft]")
    page.click("#save-score")
    assert "brow_rest" in page.inner_text("#form-error")
    shoot(page, screenshots, "scale-form-rejected")
    page.goto(f"{server.url}/visits/{visit_id}/scales/sunnybrook")
    page.evaluate("""() => { const o = document.createElement('option'); o.value = '7';
        document.getElementById('item-voluntary_smile').appendChild(o); }""")
    page.select_option("#item-voluntary_smile", "7")
    page.check("input[name=draft]")
    page.click("#save-score")
    assert "voluntary_smile" in page.inner_text("#form-error")
    with server.store.reading() as session:
        from synkinesis.store.repository import find_visit

        assert find_visit(session, ref=visit_id).scores == []
    context.close()


def test_camera_denied_says_how_to_fix_it(playwright_instance, server, screenshots):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=BASE_ARGS + ["--use-fake-device-for-media-stream", "--deny-permission-prompts"])
    try:
        context, page = login(browser, server, "pat1")
        page.goto(f"{server.url}/patients/P001/exercise?name=smile_eye_open")
        page.wait_for_function(
            "document.getElementById('camera-status').classList.contains('error')")
        text = page.inner_text("#camera-status")
        assert "denied" in text and "allow the camera" in text, text
        shoot(page, screenshots, "camera-denied")
    finally:
        browser.close()


def test_recording_pauses_without_a_face(playwright_instance, server, web_root, media,
                                         screenshots):
    from web_fixtures import make_y4m

    camera = make_y4m(media / "no_face.mp4", web_root / "no_face.y4m")
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=BASE_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                          f"--use-file-for-fake-video-capture={camera}"])
    try:
        context, page = login(browser, server, "drtest")
        page.goto(f"{server.url}/patients/P002/record")
        page.wait_for_selector("#start:not([disabled])", timeout=30_000)
        page.wait_for_function(
            "document.getElementById('face-status').textContent.startsWith('No face visible')",
            timeout=30_000)
        page.click("#start")
        page.wait_for_function(
            "document.getElementById('prompt').textContent.startsWith('Paused: No face')")
        shoot(page, screenshots, "record-paused-no-face")
    finally:
        browser.close()


def test_upload_of_non_video_or_oversized_file_is_refused(browser, server):
    context, page = login(browser, server, "drtest")
    page.goto(f"{server.url}/patients/P001/record")
    csrf = page.get_attribute("#recorder", "data-csrf")
    upload = f"{server.url}/patients/P001/recordings"
    text = page.request.post(upload, multipart={
        "video": {"name": "notes.webm", "mimeType": "video/webm", "buffer": b"hello " * 100},
        "csrf_token": csrf, "spans": "[]"})
    assert text.status == 415 and "not a video" in text.json()["detail"]
    # Oversized: refused from the declared length, before any of the body is read.
    limit = server.state().settings.max_upload_bytes
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall((f"POST /patients/P001/recordings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                     f"Content-Length: {limit + 1}\r\n\r\n").encode())
        answer = b""
        while b"}" not in answer and (chunk := raw.recv(4096)):
            answer += chunk
        answer = answer.decode()
    assert answer.startswith("HTTP/1.1 413") and "larger than the limit" in answer
    no_token = page.request.post(upload, multipart={
        "video": {"name": "x.webm", "mimeType": "video/webm", "buffer": b"x"}, "spans": "[]"})
    assert no_token.status == 403
    context.close()
