"""Schema only through Alembic: empty and first-revision databases upgrade; a newer schema is
refused and left untouched; the models match the newest revision."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text
from store_fixtures import (
    backend_url,
    cli,
    postgres_url,
    record_env,
    settings,
    sqlite_settings,
    sqlite_store,
    store,
)

from synkinesis.store import SchemaError, open_store
from synkinesis.store.db import (
    code_head,
    create_store_engine,
    database_revision,
    upgrade_database,
)
from synkinesis.store.models import Base


def test_empty_database_upgrades_to_head_and_matches_models(settings):
    engine = create_store_engine(settings.database_url)
    before, after = upgrade_database(engine)
    assert (before, after) == (None, code_head()) and after == "0005"
    assert set(inspect(engine).get_table_names()) >= {t.name for t in
                                                      Base.metadata.sorted_tables}
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert upgrade_database(engine) == ("0005", "0005")  # idempotent
    engine.dispose()


def test_database_made_by_first_revision_upgrades_with_its_data(settings):
    engine = create_store_engine(settings.database_url)
    upgrade_database(engine, revision="0001")
    assert database_revision(engine) == "0001"
    summary = {"frames": {"count": 3}, "indices": {"palpebral_fissure_rest_left_mm": 9.25,
                                                   "x_pct": {"value": 80, "unit": "%"},
                                                   "bad": None}}
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO patients (id, code, affected_side, cause, onset_date, notes, "
            "created_at) VALUES ('p1', 'OLD1', 'right', 'trauma', '2024-01-02', '', "
            "'2025-01-01 10:00:00')"))
        connection.execute(text(
            "INSERT INTO visits (id, patient_id, visit_date, label, clinician, notes, "
            "created_at) VALUES ('v1', 'p1', '2025-02-03', '', '', '', "
            "'2025-02-03 10:00:00')"))
        connection.execute(text(
            "INSERT INTO recordings (id, visit_id, video_path, sha256, protocol_version, "
            "analysis_status, files_managed, summary, created_at) VALUES ('r1', 'v1', "
            "'/v.mp4', :sha, '1', '', false, :summary, '2025-02-03 10:00:00')"),
            {"sha": "d" * 64, "summary": json.dumps(summary)})
    engine.dispose()
    store = open_store(settings)  # upgrades automatically on first use
    try:
        assert database_revision(store.engine) == "0005"
        from synkinesis.store.queries import trend

        with store.reading() as session:
            result = trend(session, patient_code="OLD1", index="palpebral_fissure_rest_left_mm")
            assert [(p.day.isoformat(), p.value) for p in result.points] == [
                ("2025-02-03", 9.25)]
            assert trend(session, patient_code="OLD1", index="x_pct").points[0].value == 80
            from synkinesis.store.repository import get_patient

            patient = get_patient(session, code="OLD1")
            assert patient.created_at.utcoffset().total_seconds() == 0
    finally:
        store.close()


def _stamp(engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"),
                           {"r": revision})


def test_newer_schema_is_refused_and_left_unchanged(settings):
    store = open_store(settings)
    _stamp(store.engine, "0099_from_the_future")
    tables = set(inspect(store.engine).get_table_names())
    store.close()
    with pytest.raises(SchemaError, match="newer than this synkinesis"):
        open_store(settings)
    engine = create_store_engine(settings.database_url)
    with pytest.raises(SchemaError, match="upgrade synkinesis"):
        upgrade_database(engine)
    assert database_revision(engine) == "0099_from_the_future"
    assert set(inspect(engine).get_table_names()) == tables
    engine.dispose()


def test_out_of_date_schema_is_refused_without_upgrade(sqlite_settings):
    engine = create_store_engine(sqlite_settings.database_url)
    upgrade_database(engine, revision="0001")
    engine.dispose()
    with pytest.raises(SchemaError, match="synk db upgrade"):
        open_store(sqlite_settings, upgrade=False)


def test_bad_database_url_is_one_clear_error():
    from synkinesis.store import StoreError

    with pytest.raises(StoreError, match="not a SQLAlchemy URL"):
        create_store_engine("not a url")
    with pytest.raises(StoreError, match="driver"):
        create_store_engine("nosuchdb+nodriver://x/y")


def test_migrations_ship_as_package_files():
    from importlib.resources import files

    versions = files("synkinesis.store.migrations") / "versions"
    names = {entry.name for entry in versions.iterdir()}
    assert {"__init__.py", "0001_initial.py", "0002_measured_indices.py"} <= names
    assert (files("synkinesis.store.migrations") / "env.py").is_file()


def test_revision_0003_adds_the_audit_trail_and_void_columns_and_downgrades(settings):
    engine = create_store_engine(settings.database_url)
    upgrade_database(engine, revision="0002")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO patients (id, code, affected_side, cause, onset_date, notes, "
            "created_at) VALUES ('p1', 'OLD1', 'right', 'trauma', '2024-01-02', '', "
            "'2025-01-01 10:00:00')"))
        connection.execute(text(
            "INSERT INTO visits (id, patient_id, visit_date, label, clinician, notes, "
            "created_at) VALUES ('v1', 'p1', '2025-02-03', '', '', '', "
            "'2025-02-03 10:00:00')"))
    upgrade_database(engine, revision="0003")
    inspector = inspect(engine)
    assert "audit_events" in inspector.get_table_names()
    for table in ("visits", "scale_scores", "toxin_sessions", "therapy_sessions", "procedures"):
        assert {"voided_at", "void_reason"} <= {c["name"] for c in inspector.get_columns(table)}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT voided_at, void_reason FROM visits")).all() == [
            (None, "")]
    from alembic import command

    from synkinesis.store.db import alembic_config

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    inspector = inspect(engine)
    assert "audit_events" not in inspector.get_table_names()
    assert "voided_at" not in {c["name"] for c in inspector.get_columns("visits")}
    engine.dispose()


def test_downgrades_that_would_lose_voids_the_trail_or_logins_are_refused(settings):
    from alembic import command

    from synkinesis.store.db import alembic_config

    engine = create_store_engine(settings.database_url)
    upgrade_database(engine)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO web_accounts (id, username, role, password_hash, created_at) VALUES "
            "('a1', 'drx', 'clinician', 'scrypt$x', '2026-01-01 10:00:00')"))
        connection.execute(text(
            "INSERT INTO patients (id, code, affected_side, cause, onset_date, notes, "
            "created_at) VALUES ('p1', 'OLD1', 'right', 'trauma', '2024-01-02', '', "
            "'2025-01-01 10:00:00')"))
        connection.execute(text(
            "INSERT INTO visits (id, patient_id, visit_date, label, clinician, notes, "
            "created_at, voided_at, void_reason) VALUES ('v1', 'p1', '2025-02-03', '', '', "
            "'', '2025-02-03 10:00:00', '2025-02-04 10:00:00', 'wrong patient')"))
    for revision, says in (("0003", "web account"), ("0002", "voided entries")):
        with pytest.raises(RuntimeError, match=says), engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
        if revision == "0003":
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM web_accounts"))
                command.downgrade(alembic_config(connection), "0003")
    with engine.connect() as connection:  # the voided visit is still voided
        assert connection.execute(text("SELECT void_reason FROM visits")).all() == [
            ("wrong patient",)]
    engine.dispose()
