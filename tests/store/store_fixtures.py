"""Fixtures and helpers of the patient-record tests: a fresh record per test (SQLite in
tmp_path, and PostgreSQL: SYNK_TEST_POSTGRES_URL or a server started once per test run), a
fixed "today", a filled record, and a CLI runner.

Not a conftest.py: a second ``conftest`` module would shadow the root one that other tests
import by name. Test modules import what they use from here (fixtures included).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

#: Every test uses this as "today", so dates in the future are well defined.
TODAY = date(2026, 6, 1)

SUNNYBROOK_SYNKINETIC = {
    "rest_eye": "narrow", "rest_cheek": 1, "rest_mouth": 1,
    "voluntary_brow_lift": 3, "voluntary_eye_closure": 4, "voluntary_smile": 3,
    "voluntary_snarl": 3, "voluntary_pucker": 2,
    "synkinesis_brow_lift": 1, "synkinesis_eye_closure": 2, "synkinesis_smile": 2,
    "synkinesis_snarl": 1, "synkinesis_pucker": 2,
}  # total 37 (CLINICAL.md test vector)


def _find_initdb() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1] if candidates else None


_SERVER: dict[str, str] = {}


def _start_postgres() -> str:
    """Start a throwaway PostgreSQL cluster once per test run (Debian's postgresql binaries,
    a unix socket in a temporary directory, trust auth; as the ``postgres`` user when running
    as root), stopped at exit. Skips with the reason when it cannot."""
    if "skip" in _SERVER:
        pytest.skip(_SERVER["skip"])
    if "url" in _SERVER:
        return _SERVER["url"]
    try:
        return _SERVER.setdefault("url", _start_postgres_once())
    except pytest.skip.Exception as skip:
        _SERVER["skip"] = str(skip)
        raise


def _start_postgres_once() -> str:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL not tested: the psycopg driver is not installed "
                    "(or set SYNK_TEST_POSTGRES_URL)")
    initdb = _find_initdb()
    if initdb is None:
        pytest.skip("PostgreSQL not tested: no initdb found (install Debian's postgresql, "
                    "or set SYNK_TEST_POSTGRES_URL)")
    # directly under the temporary root: the server user must reach it (pytest's tmp tree
    # is private to the user running the tests)
    directory = Path(tempfile.mkdtemp(prefix="synk-test-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("PostgreSQL not tested: running as root without runuser")
        prefix = [runuser, "-u", "postgres", "--"]
        try:
            shutil.chown(directory, user="postgres")
        except (LookupError, PermissionError) as error:
            pytest.skip(f"PostgreSQL not tested: no postgres user to run the server ({error})")
    data = directory / "data"
    pg_ctl = initdb.parent / "pg_ctl"
    try:
        subprocess.run([*prefix, str(initdb), "-D", str(data), "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, str(pg_ctl), "-D", str(data), "-w", "-l",
                        str(directory / "log"), "-o",
                        f"-k {directory} -c listen_addresses=''", "start"],
                       check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        pytest.skip(f"PostgreSQL not tested: could not start a server ({error}; "
                    f"{detail.decode(errors='replace').strip()[-200:]})")

    def stop() -> None:
        subprocess.run([*prefix, str(pg_ctl), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql+psycopg://postgres@/postgres?host={directory}"


@pytest.fixture(scope="session")
def postgres_url():
    """SYNK_TEST_POSTGRES_URL, else the throwaway server (see :func:`_start_postgres`)."""
    return os.environ.get("SYNK_TEST_POSTGRES_URL") or _start_postgres()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request, tmp_path):
    """A database URL for an empty record on each backend (PostgreSQL: a fresh schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'record.sqlite'}"
        return
    url = request.getfixturevalue("postgres_url")
    from sqlalchemy import create_engine, text

    schema = f"synk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(backend_url, tmp_path):
    from synkinesis.store.settings import load_settings

    return load_settings(database_url=backend_url,
                         environ={"SYNK_DATA_DIR": str(tmp_path / "derived")})


@pytest.fixture
def sqlite_settings(tmp_path):
    from synkinesis.store.settings import load_settings

    return load_settings(database_url=f"sqlite:///{tmp_path / 'record.sqlite'}",
                         environ={"SYNK_DATA_DIR": str(tmp_path / "derived")})


@pytest.fixture
def store(settings):
    from synkinesis.store import open_store

    opened = open_store(settings)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(sqlite_settings):
    from synkinesis.store import open_store

    opened = open_store(sqlite_settings)
    yield opened
    opened.close()


def add_patient(session, code="P001", **overrides):
    from synkinesis.store import repository

    values = dict(code=code, affected_side="left", cause="bell_palsy", onset_date="2025-01-10",
                  notes="", today=TODAY)
    values.update(overrides)
    return repository.create_patient(session, **values)


@pytest.fixture
def record_env(tmp_path, monkeypatch):
    """SYNK_DATABASE_URL / SYNK_DATA_DIR pointing at tmp_path, for CLI tests."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("SYNK_DATABASE_URL", url)
    monkeypatch.setenv("SYNK_DATA_DIR", str(tmp_path / "derived"))
    monkeypatch.delenv("SYNK_MAX_UNITS", raising=False)
    monkeypatch.delenv("SYNK_TOXIN_INTERVAL_DAYS", raising=False)
    monkeypatch.delenv("SYNK_MEASURE_METHOD", raising=False)
    return url


@pytest.fixture
def cli(record_env):
    """Run ``synk ...`` (the record's commands) in-process; returns the click Result."""
    from synkinesis.cli import app  # the real command: its usage errors are error: lines too

    runner = CliRunner()

    def run(*args: str, input: str | None = None, columns: int = 200):
        return runner.invoke(app, [str(a) for a in args], input=input,
                             env={"COLUMNS": str(columns)})

    return run


def fill_record(store):
    """One patient with one of every entity; returns their ids by entity name."""
    from synkinesis.store import repository

    with store.transaction() as session:
        patient = add_patient(session, notes="tight eye when eating")
        visit = repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                        label="baseline", clinician="Dr A", notes="first",
                                        today=TODAY)
        recording = repository.add_recording(
            session, visit=visit, video_path="/videos/a.mp4", sha256="a" * 64,
            protocol_version="1", measurement_path="/derived/a.synk",
            measurement_sha256="b" * 64, analysis_status="analysis not requested",
            summary={"frames": {"count": 10, "usable": 9}},
            indices={"palpebral_fissure_rest_left_mm": repository.IndexValue(9.5, "mm")})
        score = repository.add_score(
            session, visit=visit, instrument="sunnybrook", items=SUNNYBROOK_SYNKINETIC,
            rater_name="Dr A", rated_at=datetime(2026, 1, 5, 10, 30, tzinfo=UTC),
            recording=recording)
        toxin = repository.add_toxin_session(
            session, patient_code="P001", session_date="2026-01-05", product="botox",
            dilution="100 U / 2.5 mL", clinician="Dr B", notes="n", visit=visit,
            injections=[repository.InjectionSpec("oo", "left", 7.5, 3),
                        repository.InjectionSpec("mentalis", "left", 2.5)],
            settings=store.settings, today=TODAY)
        therapy = repository.add_therapy_session(
            session, patient_code="P001", session_date="2026-01-12", minutes=45,
            exercises=["closed-lip smile, eye relaxed"], biofeedback={"eye_pct": 12.5,
                                                                       "mirror": "yes"},
            therapist="T", notes="home practice", today=TODAY)
        procedure = repository.add_procedure(
            session, patient_code="P001", kind="nerve block", target="DAO", side="left",
            procedure_date="2026-02-01", agent="lidocaine 1%", prediction="wider smile",
            prediction_values={"sunnybrook": 60}, today=TODAY)
        repository.record_procedure_outcome(session, procedure=procedure, outcome="wider",
                                            outcome_values={"sunnybrook": 58},
                                            outcome_date="2026-02-01", today=TODAY)
        return {name: obj.id for name, obj in dict(
            patient=patient, visit=visit, recording=recording, score=score, toxin=toxin,
            therapy=therapy, procedure=procedure).items()}
