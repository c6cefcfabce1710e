"""The web app in a real browser (Debian's Chromium driven by Playwright, the camera faked
from the real test video): recording, biofeedback, dashboard, access control, bad input."""

# pytest fixtures are imported from web_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import pytest
from web_fixtures import (
    browser,
    fake_camera,
    login,
    playwright_instance,
    screenshots,
    server,
    shoot,
    web_root,
)


def test_guided_recording_produces_an_analysed_visit(browser, server, screenshots):
    context, page = login(browser, server, "drtest")
    page.goto(f"{server.url}/patients/P001/record")
    page.wait_for_selector("#start:not([disabled])", timeout=30_000)
    page.wait_for_function("document.getElementById('face-status').textContent.startsWith('Face OK')",
                           timeout=30_000)
    shoot(page, screenshots, "record-face-check")
    page.click("#start")
    page.wait_for_url("**/jobs/*", timeout=90_000)
    shoot(page, screenshots, "record-progress")
    page.wait_for_selector("#job-result:not([hidden])", timeout=180_000)
    page.click("#job-visit")
    page.wait_for_selector(".analysis-status")
    status = page.inner_text(".analysis-status")
    assert status in ("attached", "analysed"), status
    assert page.locator(".findings tbody tr").count() >= 3
    assert page.locator(".figures img").count() >= 1
    assert page.locator("#scores .score-automatic").count() >= 1
    shoot(page, screenshots, "visit-analysis")
    context.close()
