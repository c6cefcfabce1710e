"""The guided recording page asks every task of the protocol twice (issue 19 item 5)."""

from __future__ import annotations

import re

import pytest
from web_fixtures import PASSWORD, open_test_record

from synkinesis.web.settings import load_web_settings

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def test_the_record_page_lists_each_task_twice(tmp_path):
    from fastapi.testclient import TestClient

    from synkinesis.protocol import TASKS
    from synkinesis.web import create_app

    store, url = open_test_record(tmp_path, patients={"P001": "left"},
                                  accounts={"drx": ("clinician", None)})
    try:
        settings = load_web_settings(environ={}, database_url=url)
        with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
            assert client.post("/login", data={"username": "drx", "password": PASSWORD},
                               follow_redirects=False).status_code == 303
            page = client.get("/patients/P001/record")
    finally:
        store.close()
    assert page.status_code == 200
    steps = re.findall(r'<li data-task="([a-z_]+)" data-repetition="(\d)">([^<]+)</li>',
                       page.text)
    for task in TASKS:
        found = [(k, label) for name, k, label in steps if name == task.name]
        assert [k for k, _ in found] == ([] if task.optional else ["1", "2"]), task.name
    assert ("2", "smile broadly, showing the teeth (2 of 2)") in [
        (k, label) for name, k, label in steps if name == "big_smile"]
