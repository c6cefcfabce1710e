"""`db export --csv` writes the scale items in tidy form: one row per scored item of an
instrument, with its instrument, rater and visit, beside the subscores and the total."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F811
from __future__ import annotations

import csv
import warnings

import pytest
from store_fixtures import TODAY, add_patient, fill_record, sqlite_settings, sqlite_store  # noqa: F401

from synkinesis.store import repository
from synkinesis.store.exchange import SCALE_ITEM_COLUMNS, export_csv


@pytest.fixture
def filled(sqlite_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids = fill_record(sqlite_store)
    return sqlite_store, ids


def _items(store, tmp_path, **options):
    with store.reading() as session:
        export_csv(session, directory=tmp_path / "csv", **options)
    with open(tmp_path / "csv" / "scale_items.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == SCALE_ITEM_COLUMNS
        return list(reader)


def test_one_row_per_scored_item_with_instrument_rater_and_visit(filled, tmp_path):
    store, ids = filled
    rows = _items(store, tmp_path)
    items = [r for r in rows if r["kind"] == "item"]
    assert len(items) == 13  # the Sunnybrook's 13 items
    eye = next(r for r in items if r["item"] == "rest_eye")
    assert eye == {**eye, "patient_code": "P001", "visit_id": ids["visit"],
                   "visit_date": "2026-01-05", "visit_label": "baseline",
                   "score_id": ids["score"], "instrument": "sunnybrook", "rater": "clinician",
                   "rater_name": "Dr A", "draft": "False", "value": "1", "choice": "narrow"}
    assert eye["item_label"] and eye["rated_at"].startswith("2026-01-05T10:30:00")
    subscores = {r["item"]: float(r["value"]) for r in rows if r["kind"] == "subscore"}
    assert subscores == {"resting": 15, "voluntary": 60, "synkinesis": 8}
    (total,) = [r for r in rows if r["kind"] == "total"]
    assert float(total["value"]) == 37  # 60 - 15 - 8


def test_a_draft_leaves_unscored_items_out_and_the_total_empty(sqlite_store, tmp_path):
    with sqlite_store.transaction() as session:
        add_patient(session)
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                        today=TODAY)
        repository.add_score(session, visit=visit, instrument="saq",
                             items={"eye_closes_smiling": 4}, draft=True, rater="patient")
    rows = _items(sqlite_store, tmp_path)
    items = [r for r in rows if r["kind"] == "item"]
    assert [(r["item"], r["value"], r["rater"]) for r in items] == [
        ("eye_closes_smiling", "4", "patient")]
    (total,) = [r for r in rows if r["kind"] == "total"]
    assert total["value"] == "" and total["draft"] == "True"


def test_voided_scores_only_with_include_voided(filled, tmp_path):
    store, ids = filled
    with store.transaction() as session:
        entry = repository.find_entry(session, kind="score", ref=ids["score"])
        repository.void_entry(session, entry=entry, reason="wrong form")
    assert _items(store, tmp_path) == []
    assert len(_items(store, tmp_path, include_voided=True)) == 13 + 3 + 1
