"""The new forms in a real browser (Debian's Chromium driven by Playwright): an existing video
uploaded to a visit made with the visit form, analysed through the workflow and shown on the
visit page; the comparison of two visits chosen on the page."""

# pytest fixtures are imported from web_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import shutil
import subprocess

from web_fixtures import (
    login,
    screenshots,
    server,
    shoot,
    web_root,
)

SUNNYBROOK = {"rest_eye": "narrow", "rest_cheek": 1, "rest_mouth": 1,
              "voluntary_brow_lift": 3, "voluntary_eye_closure": 4, "voluntary_smile": 3,
              "voluntary_snarl": 3, "voluntary_pucker": 2, "synkinesis_brow_lift": 1,
              "synkinesis_eye_closure": 2, "synkinesis_smile": 2, "synkinesis_snarl": 1,
              "synkinesis_pucker": 2}  # total 37


def test_an_existing_video_is_uploaded_to_a_new_visit(browser, server, screenshots, media,
                                                      web_root):
    from synkinesis.store.repository import create_patient

    with server.store.transaction() as session:
        create_patient(session, code="P010", affected_side="left")
    clip = web_root / "phone clip.mp4"  # 20 frames: measured quickly, too short to analyse
    subprocess.run([shutil.which("ffmpeg"), "-nostdin", "-v", "error", "-y", "-i",
                    str(media / "single_face.mp4"), "-frames:v", "20", "-an", str(clip)],
                   check=True)
    context, page = login(browser, server, "drtest")
    page.goto(f"{server.url}/patients/P010")
    page.click("#new-visit")
    page.fill("input[name=label]", "phone video")
    page.evaluate("document.querySelector('input[name=visit_date]').type = 'text'")
    page.fill("input[name=visit_date]", "not a date")
    page.click("#save-visit")
    assert "not a date" in page.inner_text("#form-error")  # on the page, with the input kept
    assert page.input_value("input[name=label]") == "phone video"
    page.evaluate("document.querySelector('input[name=visit_date]').type = 'date'")
    page.fill("input[name=visit_date]", "2026-01-05")
    page.click("#save-visit")
    page.wait_for_url("**/visits/*")
    assert "No recording in this visit" in page.content()
    page.set_input_files("#upload-video", str(clip))
    shoot(page, screenshots, "visit-upload")
    page.click("#upload-submit")
    page.wait_for_url("**/jobs/*", timeout=30_000)
    page.wait_for_selector("#job-result:not([hidden])", timeout=300_000)
    assert "saved to the visit" in page.inner_text("#job-message")
    page.click("#job-visit")
    page.wait_for_selector(".analysis-status")
    status = page.inner_text(".analysis-status")
    assert status.startswith("analysis failed: the recording is too short"), status
    assert "phone video" in page.inner_text(".meta")
    context.close()


def test_two_visits_compared_with_the_direction_of_each_change(browser, server, screenshots):
    from synkinesis.store.repository import add_score, create_patient, create_visit

    with server.store.transaction() as session:
        create_patient(session, code="P011", affected_side="right")
        first = create_visit(session, patient_code="P011", visit_date="2026-01-05",
                             label="baseline")
        second = create_visit(session, patient_code="P011", visit_date="2026-03-02")
        third = create_visit(session, patient_code="P011", visit_date="2026-06-01")
        add_score(session, visit=first, instrument="sunnybrook", items=SUNNYBROOK)
        add_score(session, visit=second, instrument="sunnybrook", items={
            **SUNNYBROOK, "voluntary_smile": 4, "synkinesis_smile": 3})  # 40
        add_score(session, visit=third, instrument="sunnybrook", items={
            **SUNNYBROOK, "voluntary_smile": 2})  # 33
        ids = first.id, second.id, third.id
    context, page = login(browser, server, "drtest")
    page.goto(f"{server.url}/patients/P011")
    page.click("#compare-visits")
    page.wait_for_selector("#comparison")
    assert "P011@2026-03-02 → P011@2026-06-01" in page.inner_text("h2")  # the last two
    page.select_option("#visit-a", ids[0])
    page.select_option("#visit-b", ids[1])
    page.click("#compare")
    page.wait_for_selector("#comparison")
    rows = {page.locator("#comparison tbody tr").nth(i).locator("td").first.inner_text():
            page.locator("#comparison tbody tr").nth(i).locator(".verdict").inner_text()
            for i in range(page.locator("#comparison tbody tr").count())}
    shoot(page, screenshots, "compare-visits")
    assert rows["Sunnybrook Facial Grading System composite score"] == "better"
    assert rows["Sunnybrook Facial Grading System: synkinesis score"] == "worse"
    assert rows["Sunnybrook Facial Grading System: resting symmetry score"] == "unchanged"
    page.select_option("#visit-a", ids[1])
    page.select_option("#visit-b", ids[1])
    page.click("#compare")
    assert "two different visits" in page.inner_text("#form-error")
    context.close()
