"""The record's commands end to end (CliRunner, SYNK_DATABASE_URL at a tmp SQLite file):
a clinician follows a patient through three visits and two toxin sessions."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import json
from pathlib import Path

import pytest
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

SUNNYBROOK = ["-i", "rest_eye=narrow", "-i", "rest_cheek=1", "-i", "rest_mouth=1",
              "-i", "voluntary_brow_lift=3", "-i", "voluntary_eye_closure=4",
              "-i", "voluntary_smile=3", "-i", "voluntary_snarl=3", "-i", "voluntary_pucker=2",
              "-i", "synkinesis_brow_lift=1", "-i", "synkinesis_eye_closure=2",
              "-i", "synkinesis_snarl=1", "-i", "synkinesis_pucker=2"]


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def bad(result, message):
    """Bad input: exit code 2, one line naming the problem, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    assert message in lines[0], result.output
    return lines[0]


@pytest.fixture
def clinic(cli):
    ok(cli("patient", "add", "P001", "--side", "left", "--cause", "bell_palsy",
           "--onset", "2025-01-10"))
    for day, smile in (("2025-03-03", 2), ("2025-03-17", 1), ("2025-06-16", 1)):
        ok(cli("visit", "add", "P001", "--date", day))
        ok(cli("visit", "score", f"P001@{day}", "sunnybrook", *SUNNYBROOK,
               "-i", f"synkinesis_smile={smile}", "--rater-name", "Dr A"))
    ok(cli("toxin", "add", "P001", "--date", "2025-03-03", "-j", "orbicularis_oculi:left:7.5:3",
           "-j", "mentalis:left:2.5", "--dilution", "100 U in 2.5 mL"))
    ok(cli("toxin", "add", "P001", "--date", "2025-06-02", "-j", "oo:left:10:3",
           "--visit", "P001@2025-03-17"))
    return cli


def test_patient_commands(clinic):
    assert "P001" in ok(clinic("patient", "list"))
    shown = ok(clinic("patient", "show", "P001"))
    assert "P001: left side, bell_palsy, onset 2025-01-10" in shown
    assert "visit P001@2025-03-03: sunnybrook 37" in shown
    assert "last toxin 2025-06-02: onabotulinumtoxinA 10 U" in shown


def test_visit_score_stores_the_scales_result(clinic, tmp_path):
    out = ok(clinic("visit", "score", "P001@2025-03-03", "hb", "-i", "grade=III"))
    assert "stored house_brackmann 3, grade III for P001@2025-03-03 by clinician" in out
    form = tmp_path / "saq.json"
    form.write_text(json.dumps({"items": {"eye_closes_smiling": 4}}))
    out = ok(clinic("visit", "score", "P001@2025-03-03", "saq", "-f", form, "--draft"))
    assert "stored saq draft (no total)" in out
    bad(clinic("visit", "score", "P001@2025-03-03", "hb", "-i", "grade=VII"), "grade")
    bad(clinic("visit", "score", "P001@2025-03-04", "hb", "-i", "grade=I"),
        "P001 has no visit on 2025-03-04")


def test_history_trend_compare_due_doses(clinic, tmp_path):
    history = ok(clinic("history", "P001"))
    assert "2025-03-03  toxin     toxin onabotulinumtoxinA 10 U" in history
    assert "orbicularis_oculi left 7.5 U (3 pts), mentalis left 2.5 U" in history
    plot = tmp_path / "trend.png"
    trend = ok(clinic("trend", "P001", "sunnybrook", "--plot", plot))
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert "Sunnybrook" in trend and "higher is better" in trend
    rows = [line.split() for line in trend.splitlines() if line.strip().startswith("2025-")]
    assert [(r[0], r[1]) for r in rows] == [("2025-03-03", "37"), ("2025-03-17", "38"),
                                            ("2025-06-16", "38")]
    compare = ok(clinic("compare", "P001", "sunnybrook"))
    assert "37 (2025-03-03)" in compare and "38 (2025-03-17)" in compare and "better" in compare
    due = ok(clinic("due", "--today", "2025-07-01"))
    assert "P001" in due and "not before 2025-08-25 (55 days)" in due
    assert "due (since" in ok(clinic("due", "--today", "2025-09-01", "--interval-days", "84"))
    doses = ok(clinic("doses", "P001", "--effects"))
    assert "orbicularis_oculi" in doses and "sunnybrook.synkinesis_smile" in doses


def test_therapy_and_procedure(clinic):
    out = ok(clinic("therapy", "add", "P001", "--date", "2025-03-10", "--minutes", "45",
                    "-e", "closed-lip smile, eye relaxed", "-b", "eye_narrowing_pct=18"))
    assert "added therapy session" in out
    out = ok(clinic("procedure", "add", "P001", "--kind", "nerve_block", "--target", "dao",
                    "--side", "left", "--date", "2025-06-16", "--agent", "lidocaine 1%",
                    "--predict-value", "sunnybrook=45"))
    procedure_id = out.strip().split("id ")[-1]
    out = ok(clinic("procedure", "outcome", procedure_id[:8], "--date", "2025-06-16",
                    "--value", "sunnybrook=44", "--outcome", "wider smile"))
    assert "sunnybrook 44 (predicted sunnybrook 45)" in out
    history = ok(clinic("history", "P001"))
    assert "nerve block depressor_anguli_oris left" in history
    assert "predicted: sunnybrook 45" in history and "wider smile; sunnybrook 44" in history
    assert "exercises: closed-lip smile, eye relaxed" in history
    muscles = ok(clinic("toxin", "muscles"))
    assert "orbicularis_oculi" in muscles and "12.5" in muscles


def test_db_commands(clinic, tmp_path):
    assert "schema already at revision 0005" in ok(clinic("db", "upgrade"))
    status = ok(clinic("db", "status"))
    assert "schema revision 0005" in status and "injections: 3" in status
    bundle, fhir, csv_dir = tmp_path / "b.json", tmp_path / "f.json", tmp_path / "csv"
    out = ok(clinic("db", "export", "P001", "--bundle", bundle, "--fhir", fhir, "--csv", csv_dir))
    # two toxin sessions (Procedure) with three injections (MedicationAdministration)
    assert "8 FHIR resource(s): 3 MedicationAdministration, 3 Observation, 2 Procedure; " \
           "validated" in " ".join(out.split())
    assert len(list(csv_dir.glob("*.csv"))) == 10  # 9 tables and the tidy scale items
    assert json.loads(bundle.read_text())["patient"]["code"] == "P001"
    backup = ok(clinic("db", "backup", tmp_path / "backups"))
    assert "database backed up to" in backup
    bad(clinic("db", "import", bundle), "patient P001 already exists")
    deleted = ok(clinic("patient", "delete", "P001", input="P001\n"))
    assert "deleted patient P001" in deleted
    assert "imported P001 (3 visit(s))" in ok(clinic("db", "import", bundle))
    bad(clinic("db", "export", "P001"), "give --bundle FILE")
    bad(clinic("db", "import", tmp_path / "missing.json"), "cannot read")


def test_patient_delete_confirmation(clinic):
    line = bad(clinic("patient", "delete", "P001", input="P002\n"), "needs confirmation")
    assert "nothing was deleted" in line
    assert "P001" in ok(clinic("patient", "list"))
    assert "deleted patient P001" in ok(clinic("patient", "delete", "P001", "--confirm", "P001"))
    assert "no patients yet" in ok(clinic("patient", "list"))


def test_patient_delete_removes_everything_the_app_made_for_them(clinic, tmp_path):
    """The web app keeps converted videos and figures in the patient's folder of the record:
    deleting the patient must remove them (they show the patient's face)."""
    import os

    folder = Path(os.environ["SYNK_DATA_DIR"]) / "P001"
    (folder / "videos").mkdir(parents=True)
    (folder / "videos" / "2025-03-03_abcd.mp4").write_bytes(b"face video")
    (folder / "figures" / "rec1").mkdir(parents=True)
    (folder / "figures" / "rec1" / "signals.png").write_bytes(b"png")
    other = Path(os.environ["SYNK_DATA_DIR"]) / "P002"
    other.mkdir(parents=True)
    (other / "keep.synk").write_bytes(b"other patient")
    line = ok(clinic("patient", "delete", "P001", "--confirm", "P001"))
    assert "deleted patient P001 and 2 derived file(s)" in line
    assert not folder.exists() and (other / "keep.synk").exists()


@pytest.mark.parametrize(("args", "message"), [
    (("patient", "add", "P001", "--side", "left"), "patient P001 already exists"),
    (("patient", "add", "P9", "--side", "up"), "'up' is not one of 'left', 'right'"),
    (("patient", "add", "P9", "--side", "left", "--onset", "2999-01-01"), "in the future"),
    (("patient", "show", "P404"), "no patient 'P404'"),
    (("visit", "add", "P001", "--date", "2024-12-31"), "before the onset of P001"),
    (("visit", "add", "P001", "--date", "03/05/2025"), "must be a date YYYY-MM-DD"),
    (("toxin", "add", "P001", "--date", "2025-07-01", "-j", "bicep:left:5"),
     "unknown muscle 'bicep'"),
    (("toxin", "add", "P001", "--date", "2025-07-01", "-j", "mentalis:top:5"),
     "unknown side 'top'"),
    (("toxin", "add", "P001", "--date", "2025-07-01", "-j", "mentalis:left:-5"),
     "must be a positive number"),
    (("toxin", "add", "P001", "--date", "2025-07-01", "-j", "mentalis:left"),
     "MUSCLE:SIDE:UNITS[:POINTS]"),
    (("therapy", "add", "P001", "--date", "2999-01-01"), "in the future"),
    (("procedure", "add", "P001", "--kind", "facelift", "--target", "dao", "--side", "left",
      "--date", "2025-07-01"), "'facelift' is not one of 'nerve_block'"),
    (("procedure", "outcome", "abc", "--date", "2025-07-01"), "at least 6 characters"),
    (("trend", "P001", "nothing"), "unknown index 'nothing'"),
    (("compare", "P001", "sunnybrook", "--date", "soon"), "--date must be a date"),
    (("due", "--today", "tomorrow"), "--today must be a date"),
    (("record", "add", "/no/such/video.mp4", "--visit", "P001@2025-03-03"),
     "does not exist"),
])
def test_bad_input_is_one_line_and_exit_2(clinic, args, message):
    before = clinic("db", "status").output
    bad(clinic(*args), message)
    assert clinic("db", "status").output == before  # nothing written


def test_dose_above_maximum_warns_and_is_stored(clinic):
    result = clinic("toxin", "add", "P001", "--date", "2025-07-01", "-j", "mentalis:left:8")
    out = ok(result)
    assert "warning: 8 U into mentalis (left) is above the configured maximum 5 U" in out
    assert "added toxin session" in out


def test_newer_schema_is_refused_by_every_command(clinic, record_env):
    from sqlalchemy import create_engine, text

    engine = create_engine(record_env)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    for args in (("patient", "list"), ("db", "upgrade"), ("history", "P001")):
        bad(clinic(*args), "newer than this synkinesis")


def test_help_texts_have_examples(cli):
    for args in (("patient", "add"), ("visit", "add"), ("visit", "score"), ("record", "add"),
                 ("toxin", "add"), ("therapy", "add"), ("procedure", "add"), ("history",),
                 ("trend",), ("compare",), ("due",), ("doses",), ("db", "backup"),
                 ("db", "export"), ("db", "import"), ("patient", "delete")):
        out = ok(cli(*args, "--help"))
        assert "Example" in out and "synk " in out, args


def test_unwritable_outputs_and_a_non_database_are_one_line_errors(cli, tmp_path,
                                                                   monkeypatch):
    ok(cli("patient", "add", "P001", "--side", "left", "--onset", "2025-01-10"))
    ok(cli("visit", "add", "P001", "--date", "2025-03-03"))
    ok(cli("visit", "score", "P001@2025-03-03", "hb", "-i", "grade=II"))
    a_file = tmp_path / "afile"
    a_file.write_text("")
    bad(cli("trend", "P001", "hb", "--plot", "/proc/nope/x.png"),
        "cannot write /proc/nope/x.png")
    bad(cli("db", "export", "P001", "--bundle", "/proc/nope/P1.json"),
        "cannot write /proc/nope/P1.json")
    bad(cli("db", "export", "P001", "--fhir", tmp_path), f"cannot write {tmp_path}")
    bad(cli("db", "export", "--csv", a_file), f"cannot write {a_file}")
    bad(cli("db", "backup", a_file), "exists and is not a directory")
    not_a_database = tmp_path / "bundle.json"
    not_a_database.write_text(json.dumps({"format": "synkinesis.patient_bundle"}) * 300)
    monkeypatch.setenv("SYNK_DATABASE_URL", f"sqlite:///{not_a_database}")
    for args in (("patient", "list"), ("db", "upgrade")):
        bad(cli(*args), "file is not a database")


def test_patient_list_is_readable_in_80_columns(cli):
    ok(cli("patient", "add", "P001", "--side", "bilateral", "--cause", "acoustic_neuroma",
           "--onset", "2025-01-10"))
    ok(cli("visit", "add", "P001", "--date", "2025-03-03"))
    out = ok(cli("patient", "list", columns=80))
    assert "…" not in out, out
    assert all(len(line) <= 80 for line in out.splitlines()), out
    for word in ("P001", "bilateral", "acoustic", "neuroma", "2025-01-10", "2025-03-03"):
        assert word in out, out


@pytest.mark.parametrize("args", [
    ("patient", "add", "P002", "--side", "right"),
    ("visit", "add", "P001", "--date", "2025-08-01"),
    ("toxin", "add", "P001", "--date", "2025-08-01", "-j", "mentalis:left:2.5"),
    ("therapy", "add", "P001", "--date", "2025-08-01"),
])
def test_nothing_is_reported_added_when_the_commit_fails(clinic, monkeypatch, args):
    """A commit that fails (here: a writer elsewhere took the row) after the command built its
    message must not leave an "added ..." line on screen."""
    from contextlib import contextmanager

    from synkinesis.store.db import Store
    from synkinesis.store.errors import DuplicateError

    original = Store.transaction

    @contextmanager
    def failing_commit(self):
        with original(self) as session:
            yield session
            raise DuplicateError("conflicts with a record written meanwhile; nothing was written")

    monkeypatch.setattr(Store, "transaction", failing_commit)
    result = clinic(*args)
    bad(result, "nothing was written")
    assert "added" not in result.output
