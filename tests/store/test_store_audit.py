"""The audit trail (issue 16 item 17): creations, changes and deletions are recorded by the
store itself with who and from where; views and denied accesses by the CLI and the web."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import getpass
import json
import socket
import warnings

import pytest
from store_fixtures import (
    TODAY,
    add_patient,
    backend_url,
    cli,
    fill_record,
    postgres_url,
    record_env,
    settings,
    sqlite_settings,
    sqlite_store,
    store,
)

from synkinesis.store import audit, repository
from synkinesis.store.models import AuditEvent


def _events(store, **where):
    with store.reading() as session:
        return [(e.action, e.patient_code, e.entity, e.actor, e.via)
                for e in audit.list_events(session, **where)]


def test_every_write_is_recorded_with_the_acting_user(store):
    with audit.acting_as(audit.Actor("dr_a", "web", "10.0.0.7")):
        with store.transaction() as session:
            add_patient(session)
            repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                    today=TODAY)
        with store.transaction() as session:
            visit = repository.find_visit(session, ref="P001@2026-01-05")
            visit.label = "quietly edited"  # even a bare attribute write is caught
    events = [e for e in _all(store) if e.patient_code == "P001"]
    assert [(e.action, e.entity) for e in events] == [
        ("create", "patients"), ("create", "visits"), ("change", "visits")]
    assert {(e.actor, e.via, e.client) for e in events} == {("dr_a", "web", "10.0.0.7")}
    assert events[2].detail["changes"] == {"label": ["", "quietly edited"]}
    assert events[0].entity_id == repository_ids(store)["patient"]
    assert events[1].entity_id == events[2].entity_id  # the visit created, then changed
    assert all(e.at.tzinfo is not None for e in events)


def repository_ids(store):
    with store.reading() as session:
        return {"patient": repository.get_patient(session, code="P001").id}


def test_a_rolled_back_write_leaves_no_event(store):
    with pytest.raises(RuntimeError), store.transaction() as session:
        add_patient(session)
        raise RuntimeError("abandoned")
    assert _events(store) == []


def test_cli_create_and_delete_are_recorded_with_the_os_user(cli, tmp_path):
    assert cli("patient", "add", "P001", "--side", "left").exit_code == 0
    assert cli("visit", "add", "p001", "--date", "2026-01-05").exit_code == 0
    assert cli("patient", "show", "P001").exit_code == 0
    assert cli("patient", "delete", "P001", "--confirm", "P001").exit_code == 0
    listed = cli("audit", "--patient", "P001", "--json", "-")
    assert listed.exit_code == 0, listed.output
    events = json.loads(listed.output)
    assert [(e["action"], e["entity"]) for e in events] == [
        ("create", "patients"), ("create", "visits"), ("view", ""), ("delete", "patients")]
    assert {(e["actor"], e["via"], e["client"]) for e in events} == {
        (getpass.getuser(), "cli", socket.gethostname())}
    assert events[3]["detail"]["rows"] == {"visits": 1}  # the whole patient in one event
    table = cli("audit", "--since", "2000-01-01")
    assert "delete P001 patients" in table.output
    assert cli("audit", "--since", "yesterday").exit_code == 2


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_web_view_by_a_clinician_and_denied_access_by_a_patient_are_recorded(tmp_path):
    from fastapi.testclient import TestClient

    from synkinesis.store import load_settings, open_store
    from synkinesis.web import create_app
    from synkinesis.web.accounts import add_account
    from synkinesis.web.settings import load_web_settings

    password = "correct horse battery"
    url = f"sqlite:///{tmp_path / 'record.sqlite'}"
    store = open_store(load_settings(database_url=url, environ={
        "SYNK_DATA_DIR": str(tmp_path / "derived")}))
    with store.transaction() as session:
        add_patient(session)
        repository.create_patient(session, code="P002", affected_side="right")
        add_account(session, username="drweb", role="clinician", password=password)
        add_account(session, username="pat2", role="patient", password=password,
                    patient_code="P002")
    settings = load_web_settings(environ={}, database_url=url)
    app = create_app(settings, store=store)
    # another patient's page answers as a missing one would (404), and is still recorded
    for user, path, status in (("drweb", "/patients/P001", 200),
                               ("pat2", "/patients/P001", 404)):
        with TestClient(app, base_url="http://127.0.0.1") as client:
            login = client.post("/login", data={"username": user, "password": password},
                                follow_redirects=False)
            assert login.status_code == 303, login.text
            assert client.get(path).status_code == status
    events = [(e.action, e.patient_code, e.actor, e.via, e.client, e.detail.get("what"))
              for e in _all(store) if e.action in ("view", "denied")]
    assert events == [("view", "P001", "drweb", "web", "testclient", "/patients/P001"),
                      ("denied", "P001", "pat2", "web", "testclient", "/patients/P001")]
    store.close()


def _all(store):
    with store.transaction() as session:  # committed: the events stay loaded
        return audit.list_events(session)


def test_the_trail_outlives_the_patient_and_is_not_in_the_csv_export(sqlite_store, tmp_path):
    from synkinesis.store.exchange import export_csv

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(sqlite_store)
    with sqlite_store.transaction() as session:
        repository.delete_patient(session, code="P001", confirm="P001")
    with sqlite_store.reading() as session:
        assert repository.count_rows(session, AuditEvent) > 0
        assert not (set(p.name for p in export_csv(session, directory=tmp_path / "csv"))
                    & {"audit_events.csv"})
    actions = [a for a, *_ in _events(sqlite_store, patient_code="P001")]
    assert actions[0] == "create" and actions[-1] == "delete"


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_web_logins_and_refusals_are_in_the_trail(tmp_path):
    from fastapi.testclient import TestClient

    from synkinesis.store import load_settings, open_store
    from synkinesis.web import create_app
    from synkinesis.web.accounts import add_account
    from synkinesis.web.settings import load_web_settings

    password = "correct horse battery"
    url = f"sqlite:///{tmp_path / 'record.sqlite'}"
    store = open_store(load_settings(database_url=url, environ={}))
    with store.transaction() as session:
        add_account(session, username="drweb", role="clinician", password=password)
    app = create_app(load_web_settings(environ={}, database_url=url,
                                       login_lockout_failures=2), store=store)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for tried in ("wrong password 1", "wrong password 2", password, password):
            client.post("/login", data={"username": "drweb", "password": tried},
                        follow_redirects=False)
    logins = [(e.actor, e.via, e.detail["username"], e.detail["outcome"])
              for e in _all(store) if e.action == "login"]
    assert logins == [("anonymous", "web", "drweb", "wrong password")] * 2 + [
        ("anonymous", "web", "drweb", "locked")] * 2
    store.close()


def test_logins_are_audited_without_passwords_and_survive_a_bundle_replace(sqlite_store):
    from synkinesis.store.exchange import export_bundle, import_bundle
    from synkinesis.web.accounts import add_account, list_accounts, remove_account

    with sqlite_store.transaction() as session:
        add_patient(session)
        add_account(session, username="pat1", role="patient", password="correct horse 1",
                    patient_code="P001")
        add_account(session, username="temp", role="clinician", password="correct horse 2")
    with sqlite_store.transaction() as session:
        add_account(session, username="temp", role="clinician", password="another secret 3",
                    replace=True)
        remove_account(session, username="temp")
    with sqlite_store.transaction() as session:
        bundle = export_bundle(session, patient_code="P001")
    with sqlite_store.transaction() as session:
        import_bundle(session, bundle=bundle, replace=True,
                      data_dir=sqlite_store.settings.data_dir)
    with sqlite_store.reading() as session:
        assert [(a.username, a.patient_code) for a in list_accounts(session)] == [
            ("pat1", "P001")]
    events = [e for e in _all(sqlite_store) if e.entity == "web_accounts"]
    assert [e.action for e in events] == ["create", "create", "change", "delete"] + [
        "change"] * (len(events) - 4)
    assert events[0].patient_code == "P001" and events[1].detail["username"] == "temp"
    text = json.dumps([e.detail for e in events])
    assert "scrypt" not in text and "(hidden)" in text


def test_every_store_opened_records_its_writes(tmp_path):
    # SQLAlchemy's event registry keys targets by id(): a new store's sessionmaker that got the
    # id of a collected one looked "already installed" and its writes left no trail (3 of 60
    # here before the fix; an event missing now and then in full test runs)
    import gc

    from synkinesis.store import load_settings, open_store

    url = f"sqlite:///{tmp_path / 'record.sqlite'}"
    for number in range(60):
        store = open_store(load_settings(database_url=url, environ={}))
        with store.transaction() as session:
            repository.create_patient(session, code=f"P{number:03d}", affected_side="left")
        store.close()
        del store
        gc.collect()
    store = open_store(load_settings(database_url=url, environ={}))
    with store.reading() as session:
        created = [e.patient_code for e in audit.list_events(session) if e.action == "create"]
    store.close()
    assert len(created) == 60
