"""A measured index keeps its interval in the record (revision 0005): an old database
upgrades with its rows (no interval invented), an analysis' indices are stored with theirs,
the trend and the visit comparison show them, and bundles of version 2 still import."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811
from __future__ import annotations

import json
import shutil
import warnings

import pytest
from sqlalchemy import text
from store_fixtures import (
    TODAY,
    cli,
    fill_record,
    record_env,
    settings,
    sqlite_settings,
    sqlite_store,
)

from synkinesis.store import open_store, repository
from synkinesis.store.analysis_files import (
    finding_interval,
    index_text,
    indices_from_analysis,
    severity_text,
)
from synkinesis.store.db import create_store_engine, database_revision, upgrade_database
from synkinesis.store.queries import compare_visits, trend

UNCERTAIN = {"pattern": "ocular_oral", "severity": "uncertain", "index": 2.1,
             "severity_range": ["none", "severe"],
             "settle": "record a rest, repeat the task",
             "interval": {"low": 0.28, "high": 4.35, "level": 0.9, "replicates": 100}}


def test_interval_text_of_format_2_format_1_and_none():
    assert finding_interval(UNCERTAIN) == (0.28, 4.35, 0.9)
    assert index_text(UNCERTAIN) == "2.10 (90 % 0.28..4.35)"
    assert severity_text(UNCERTAIN) == ("uncertain (none..severe): record a rest, repeat "
                                        "the task")
    assert index_text({**UNCERTAIN, "interval": [1.5, 0.5]}) == "2.10 (0.50..1.50)"
    assert index_text({**UNCERTAIN, "interval": None}) == "2.10 (no interval)"
    assert index_text({**UNCERTAIN, "interval": {"low": None, "high": 1}}) == \
        "2.10 (no interval)"
    assert index_text({"pattern": "mentalis", "index": None}) == "-"
    assert severity_text({"severity": "mild", "settle": "ignored when called"}) == "mild"


def test_analysis_indices_keep_their_interval():
    data = {"findings": [UNCERTAIN, {"pattern": "mentalis", "index": 0.4, "interval": None}],
            "resting": {"pattern": "resting_tightness", "index": 1.2,
                        "interval": {"low": 1.0, "high": 1.4, "level": 0.9}}}
    found = indices_from_analysis(data)
    ocular = found["analysis.ocular_oral.index"]
    assert (ocular.value, ocular.low, ocular.high, ocular.level) == (2.1, 0.28, 4.35, 0.9)
    assert (found["analysis.mentalis.index"].low, found["analysis.mentalis.index"].high) == \
        (None, None)
    assert found["analysis.resting_tightness.index"].high == 1.4


def _old_database(settings) -> None:
    """A database at revision 0004 holding one measured index (stored without interval)."""
    engine = create_store_engine(settings.database_url)
    upgrade_database(engine, revision="0004")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO patients (id, code, affected_side, cause, onset_date, notes, "
            "created_at) VALUES ('p1', 'OLD1', 'left', 'bell_palsy', '2024-01-02', '', "
            "'2025-01-01 10:00:00')"))
        connection.execute(text(
            "INSERT INTO visits (id, patient_id, visit_date, label, clinician, notes, "
            "created_at) VALUES ('v1', 'p1', '2025-02-03', '', '', '', "
            "'2025-02-03 10:00:00')"))
        connection.execute(text(
            "INSERT INTO recordings (id, visit_id, video_path, sha256, protocol_version, "
            "analysis_status, files_managed, summary, created_at) VALUES ('r1', 'v1', "
            "'/v.mp4', :sha, '1', '', false, '{}', '2025-02-03 10:00:00')"), {"sha": "d" * 64})
        connection.execute(text(
            "INSERT INTO measured_indices (id, recording_id, name, value, unit, source) "
            "VALUES ('i1', 'r1', 'analysis.ocular_oral.index', 1.75, 'points', 'analysis')"))
    engine.dispose()


def test_a_copy_of_an_old_database_upgrades_and_then_stores_intervals(sqlite_settings,
                                                                        tmp_path):
    _old_database(sqlite_settings)
    original = sqlite_settings.database_url.removeprefix("sqlite:///")
    copy = tmp_path / "copy.sqlite"
    shutil.copy(original, copy)
    from synkinesis.store.settings import load_settings

    store = open_store(load_settings(database_url=f"sqlite:///{copy}",
                                     environ={"SYNK_DATA_DIR": str(tmp_path / "derived")}))
    # opening upgrades the copy
    try:
        assert database_revision(store.engine) == "0005"
        with store.transaction() as session:
            visit = repository.create_visit(session, patient_code="OLD1",
                                            visit_date="2025-05-01", today=TODAY)
            repository.add_recording(
                session, visit=visit, video_path="/w.mp4", sha256="e" * 64,
                indices=indices_from_analysis({"findings": [UNCERTAIN]}))
        with store.reading() as session:
            points = trend(session, patient_code="OLD1",
                           index="analysis.ocular_oral.index").points
            assert [(p.value, p.interval, p.level) for p in points] == [
                (1.75, None, None), (2.1, (0.28, 4.35), 0.9)]
            change = next(c for c in compare_visits(
                session, patient_code="OLD1", visit_a="OLD1@2025-02-03",
                visit_b="OLD1@2025-05-01").changes
                if c.index.name == "analysis.ocular_oral.index")
            assert (change.interval_a, change.interval_b) == (None, (0.28, 4.35))
    finally:
        store.close()
    engine = create_store_engine(f"sqlite:///{original}")  # the original is untouched
    assert database_revision(engine) == "0004"
    engine.dispose()


def test_a_version_2_bundle_imports_without_intervals(sqlite_store, tmp_path):
    from synkinesis.store.exchange import export_bundle, import_bundle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(sqlite_store)
    with sqlite_store.reading() as session:
        bundle = json.loads(json.dumps(export_bundle(session, patient_code="P001"),
                                       default=str))
    assert bundle["format_version"] == 3
    indices = [i for v in bundle["patient"]["visits"] for r in v["recordings"]
               for i in r["indices"]]
    assert indices and all({"low", "high", "level"} <= set(i) for i in indices)
    for index in indices:
        for key in ("low", "high", "level"):
            del index[key]
    broken = json.loads(json.dumps(bundle))
    next(i for v in broken["patient"]["visits"] for r in v["recordings"]
         for i in r["indices"])["high"] = float("inf")
    bundle["format_version"] = 2
    from synkinesis.store.settings import load_settings

    other = open_store(load_settings(database_url=f"sqlite:///{tmp_path / 'other.sqlite'}",
                                     environ={"SYNK_DATA_DIR": str(tmp_path / "other")}))
    try:
        from synkinesis.store.errors import StoreValidationError

        with pytest.raises(StoreValidationError, match=r"\.high: numbers must be finite"), \
                other.transaction() as session:
            import_bundle(session, bundle=broken)
        with other.transaction() as session:
            import_bundle(session, bundle=bundle)
        with other.reading() as session:
            points = trend(session, patient_code="P001",
                           index="palpebral_fissure_rest_left_mm").points
        assert points and all(p.interval is None for p in points)
    finally:
        other.close()


def test_synk_trend_prints_the_interval_column(cli, record_env, tmp_path):
    from synkinesis.store.settings import load_settings

    store = open_store(load_settings(database_url=record_env, environ={
        "SYNK_DATA_DIR": str(tmp_path / "derived")}))
    try:
        with store.transaction() as session:
            repository.create_patient(session, code="P001", affected_side="left")
            visit = repository.create_visit(session, patient_code="P001",
                                            visit_date="2026-02-01", today=TODAY)
            repository.add_recording(session, visit=visit, video_path="/a.mp4",
                                     sha256="f" * 64,
                                     indices=indices_from_analysis({"findings": [UNCERTAIN]}))
    finally:
        store.close()
    result = cli("trend", "P001", "analysis.ocular_oral.index")
    assert result.exit_code == 0, result.output
    assert "interval" in result.output and "90 % 0.28..4.35" in result.output
    as_json = cli("trend", "P001", "analysis.ocular_oral.index", "--json", "-")
    point = json.loads(as_json.output)["rows"][0]["point"]
    assert (point["interval"], point["level"]) == ([0.28, 4.35], 0.9)
    plot = tmp_path / "trend.png"  # drawn with the interval as an error bar
    assert cli("trend", "P001", "analysis.ocular_oral.index", "--plot", plot).exit_code == 0
    assert plot.stat().st_size > 0
