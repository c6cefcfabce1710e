"""Corrections (issue 16 item 18): visits, scores, toxin and therapy sessions are voided or
amended with a reason kept in the audit trail, never silently edited; voided entries stay in
the database and are hidden from history, trends, due dates, dose totals and exports unless
asked for."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import pytest
from store_fixtures import (
    SUNNYBROOK_SYNKINETIC,
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

from synkinesis.store import StoreValidationError, audit, queries, repository
from synkinesis.store.exchange import export_bundle, export_csv, fhir_bundle


@pytest.fixture
def filled(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids = fill_record(store)
    return store, ids


def _void(store, kind, ref, reason="entered by mistake"):
    with store.transaction() as session:
        entry = repository.find_entry(session, kind=kind, ref=ref)
        repository.void_entry(session, entry=entry, reason=reason)


def test_voided_toxin_session_stays_but_no_longer_counts(filled):
    store, ids = filled
    with pytest.raises(StoreValidationError, match="needs a reason"):
        _void(store, "toxin", ids["toxin"], reason="  ")
    _void(store, "toxin", ids["toxin"][:8])
    with store.transaction() as session:
        assert repository.find_entry(session, kind="toxin", ref=ids["toxin"]).voided
        kinds = [e.kind for e in queries.patient_timeline(session, patient_code="P001")]
        assert "toxin" not in kinds
        shown = queries.patient_timeline(session, patient_code="P001", include_voided=True)
        assert [e.title for e in shown if e.kind == "toxin"] == [
            "toxin onabotulinumtoxinA 10 U [voided: entered by mistake]"]
        assert queries.toxin_due(session, interval_days=84, today=TODAY) == []
        assert len(queries.toxin_due(session, interval_days=84, today=TODAY,
                                     include_voided=True)) == 1
        assert queries.dose_table(session, patient_code="P001").rows == ()
        assert queries.dose_table(session, patient_code="P001", include_voided=True).rows
        bundle = export_bundle(session, patient_code="P001")
        assert bundle["patient"]["toxin_sessions"] == []
        again = export_bundle(session, patient_code="P001", include_voided=True)
        assert again["patient"]["toxin_sessions"][0]["void_reason"] == "entered by mistake"
        events = audit.list_events(session, patient_code="P001")
        void = [e for e in events if e.action == "void"]
        assert len(void) == 1 and void[0].detail["reason"] == "entered by mistake"
        assert void[0].entity == "toxin_sessions" and void[0].entity_id == ids["toxin"]
    with pytest.raises(StoreValidationError, match="was voided on"):
        _void(store, "toxin", ids["toxin"])


def test_voided_visit_hides_its_scores_from_trends_and_exports(filled, tmp_path):
    store, ids = filled
    _void(store, "visit", "P001@2026-01-05", reason="wrong patient")
    with store.transaction() as session:
        assert queries.trend(session, patient_code="P001", index="sunnybrook").points == ()
        assert [p.value for p in queries.trend(session, patient_code="P001",
                                               index="sunnybrook",
                                               include_voided=True).points] == [37.0]
        def observations(**options):  # the visit's; the treatments are not voided here
            return [e["resource"] for e in fhir_bundle(session, patient_code="P001",
                                                       **options)["entry"]
                    if e["resource"]["resourceType"] == "Observation"]

        assert observations() == []
        statuses = {r["status"] for r in observations(include_voided=True)}
        assert statuses == {"entered-in-error"}
        rows = {path.stem: path.read_text().count("\n") - 1
                for path in export_csv(session, directory=tmp_path / "csv")}
        assert rows["visits"] == rows["scale_scores"] == rows["recordings"] == 0
        assert rows["toxin_sessions"] == 1  # not voided: only what was voided is hidden
        with pytest.raises(repository.NotFoundError, match="was voided"):
            repository.find_visit(session, ref="P001@2026-01-05")  # nothing more added to it


def test_amended_score_is_rescored_and_the_old_values_are_in_the_trail(filled):
    store, ids = filled
    with store.transaction() as session:
        score = repository.find_entry(session, kind="score", ref=ids["score"])
        with pytest.raises(Exception, match="synkinesis_smile"):
            repository.amend_score(session, score=score, reason="typo",
                                   items={"synkinesis_smile": 9})
    with store.transaction() as session:
        score = repository.find_entry(session, kind="score", ref=ids["score"])
        repository.amend_score(session, score=score, reason="smile synkinesis misread",
                               items={"synkinesis_smile": 3})
        assert score.total == 36 and score.result["items"]["synkinesis_smile"] == 3
    with store.transaction() as session:
        amend = [e for e in audit.list_events(session) if e.action == "amend"]
        assert len(amend) == 1 and amend[0].detail["reason"] == "smile synkinesis misread"
        assert amend[0].detail["changes"]["total"] == [37.0, 36.0]
        old, new = amend[0].detail["changes"]["result"]
        assert old["items"]["synkinesis_smile"] == 2 and new["items"]["synkinesis_smile"] == 3


def test_amended_toxin_session_keeps_the_old_injections_in_the_trail(filled):
    store, ids = filled
    with store.transaction() as session, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        toxin = repository.find_entry(session, kind="toxin", ref=ids["toxin"])
        repository.amend_toxin_session(
            session, toxin=toxin, reason="5 U, not 7.5", settings=store.settings,
            injections=[repository.InjectionSpec("oo", "left", 5.0, 3)], today=TODAY)
        assert toxin.total_units == 5.0
    with store.transaction() as session:
        amend = [e for e in audit.list_events(session) if e.action == "amend"]
        assert amend[0].detail["old_injections"] == [["orbicularis_oculi", "left", 7.5, 3],
                                                     ["mentalis", "left", 2.5, 1]]
        with pytest.raises(StoreValidationError, match="nothing to amend"):
            repository.amend_therapy_session(
                session, therapy=repository.find_entry(session, kind="therapy",
                                                       ref=ids["therapy"]),
                reason="no change", minutes=45)


def test_cli_void_and_amend(cli):
    assert cli("patient", "add", "P001", "--side", "left").exit_code == 0
    assert cli("visit", "add", "P001", "--date", "2026-01-05").exit_code == 0
    assert cli("visit", "score", "P001@2026-01-05", "hb", "-i", "grade=III").exit_code == 0
    added = cli("toxin", "add", "P001", "--date", "2026-01-05", "-j", "oo:left:5")
    toxin_id = added.output.split("added toxin session ")[1].split()[0]
    added = cli("therapy", "add", "P001", "--date", "2026-01-06", "--minutes", "30")
    therapy_id = added.output.split("added therapy session ")[1].split()[0]
    history = cli("history", "P001").output
    score_id = history.split("house_brackmann 3 (grade III) by clinician [")[1][:8]
    missing = cli("toxin", "void", toxin_id)
    assert missing.exit_code == 2 and "--reason" in missing.output
    done = cli("toxin", "void", toxin_id, "--reason", "entered twice")
    assert done.exit_code == 0 and f"voided toxin {toxin_id}" in done.output
    assert cli("therapy", "amend", therapy_id, "--minutes", "40",
               "--reason", "was 40").exit_code == 0
    amended = cli("visit", "score-amend", score_id, "-i", "grade=IV", "--reason", "misread")
    assert amended.exit_code == 0 and "now 4" in amended.output
    bad = cli("visit", "score-amend", score_id, "-i", "grade=IX", "--reason", "x")
    assert bad.exit_code == 2 and bad.output.startswith("error: ")
    assert cli("visit", "amend", "p001@2026-01-05", "--label", "baseline",
               "--reason", "label forgotten").exit_code == 0
    history = cli("history", "P001").output
    assert "toxin" not in history and "therapy 40 min" in history and "grade IV" in history
    assert "[voided: entered twice]" in cli("history", "P001", "--include-voided").output
    assert cli("visit", "void", "P001@2026-01-05", "--reason", "wrong patient").exit_code == 0
    assert "visit" not in cli("history", "P001").output
    trail = cli("audit", "--patient", "P001").output
    for line in ("void P001 toxin_sessions", "amend P001 therapy_sessions",
                 "amend P001 scale_scores", "amend P001 visits", "void P001 visits"):
        assert line in trail
    assert ": wrong patient" in trail and ": entered twice" in trail
