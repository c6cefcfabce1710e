"""What a bundle may not do (issue 16 items 2, 14, 16, 19): point the record at another
patient's files, smuggle impossible scores or numbers, crash the parser, carry full paths;
and patient codes that differ only in case are one patient."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest
from store_fixtures import (
    TODAY,
    add_patient,
    cli,
    fill_record,
    record_env,
    sqlite_settings,
    sqlite_store,
)

from synkinesis.store import DuplicateError, NotFoundError, StoreValidationError, repository
from synkinesis.store.exchange import (
    MAX_JSON_DEPTH,
    export_bundle,
    export_csv,
    import_bundle,
    read_json,
)
from synkinesis.store.models import Patient, RecordingRow
from synkinesis.store.recordings import remove_derived_files, remove_patient_files


@pytest.fixture
def filled(sqlite_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fill_record(sqlite_store)
    return sqlite_store


def _bundle(store, code="P001", **options):
    with store.reading() as session:
        return json.loads(json.dumps(export_bundle(session, patient_code=code, **options)))


def _import(store, bundle, **options):
    with store.transaction() as session:
        return import_bundle(session, bundle=bundle, today=TODAY,
                             data_dir=store.settings.data_dir, **options).code


# --- item 2: derived-file paths come from the patient's own folder, never from input ---------


def test_bundle_cannot_point_at_another_patients_files(filled, tmp_path):
    data_dir = filled.settings.data_dir
    victim = data_dir / "P002"
    victim.mkdir(parents=True)
    victim_files = [victim / "2026-01-05_aaaaaaaaaaaa.synk",
                    victim / "2026-01-05_aaaaaaaaaaaa.analysis.json"]
    for path in victim_files:
        path.write_text("the other patient's result")
    bundle = _bundle(filled)
    bundle["patient"]["code"] = "EVIL"
    recording = bundle["patient"]["visits"][0]["recordings"][0]
    recording.update(measurement_path=str(victim_files[0]), files_managed=True,
                     analysis_path=f"{data_dir}/EVIL/../P002/{victim_files[1].name}",
                     sha256="e" * 64)
    _retarget_ids(bundle)
    _import(filled, bundle)
    with filled.reading() as session:
        stored = session.query(RecordingRow).filter(RecordingRow.sha256 == "e" * 64).one()
        assert stored.measurement_path == str((data_dir / "EVIL" / victim_files[0].name)
                                              .resolve())
        assert Path(stored.analysis_path).parent == (data_dir / "EVIL").resolve()
    assert cli_delete(filled, "EVIL")
    assert all(path.read_text() == "the other patient's result" for path in victim_files)


def test_deletion_removes_only_files_inside_the_patients_own_folder(tmp_path):
    data_dir = tmp_path / "data"
    own, other = data_dir / "P001", data_dir / "P002"
    own.mkdir(parents=True)
    other.mkdir()
    mine, theirs = own / "a.synk", other / "b.synk"
    mine.write_text("x")
    theirs.write_text("y")
    (own / "link.synk").symlink_to(theirs)
    removed = remove_patient_files(data_dir, "P001",
                                   [str(mine), str(theirs), str(own / "link.synk"),
                                    str(own / ".." / "P002" / "b.synk")])
    assert removed == 2 and not own.exists()  # a.synk and the link itself, not its target
    assert theirs.read_text() == "y"
    assert remove_derived_files([str(theirs)], root=own) == []


def _retarget_ids(bundle):
    """Fresh ids, so a tampered copy of an exported patient imports beside it."""
    import uuid

    def walk(row):
        if isinstance(row, dict):
            if "id" in row and isinstance(row["id"], str) and len(row["id"]) == 36:
                row["id"] = str(uuid.uuid4())
            for value in row.values():
                walk(value)
        elif isinstance(row, list):
            for value in row:
                walk(value)

    walk(bundle["patient"])
    patient = bundle["patient"]
    visit = patient["visits"][0]
    for name in ("toxin_sessions", "therapy_sessions", "procedures"):
        for row in patient[name]:
            row["visit_id"] = visit["id"] if row["visit_id"] else None
    for score in visit["scores"]:
        score["recording_id"] = visit["recordings"][0]["id"] if score["recording_id"] else None


def cli_delete(store, code):
    with store.transaction() as session:
        code = repository.get_patient(session, code=code).code
        files = repository.delete_patient(session, code=code, confirm=code)
    remove_patient_files(store.settings.data_dir, code, files)
    return True


# --- item 14: every imported value re-validated; nesting and numbers bounded ----------------


def _hb_score(bundle, total, grade):
    score = bundle["patient"]["visits"][0]["scores"][0]
    from synkinesis.scales import result_to_dict
    from synkinesis.scales import score as score_form

    result = result_to_dict(score_form("hb", {"grade": "III"}))
    result.update(total=total, total_display=total)
    result["items"] = {"grade": total}
    result["choices"] = {"grade": grade}
    result["grade"] = dict(result["grade"], name=grade)
    score.update(instrument="house_brackmann", instrument_version=result["instrument_version"],
                 total=float(total), result=result)


@pytest.mark.parametrize(("total", "grade", "message"), [
    (99, "IX", r"scores\[0\]: .*grade"),
    (4, "III", r"total 4.0 is not what the items give \(3\)"),
])
def test_impossible_scores_are_refused(filled, total, grade, message):
    bundle = _bundle(filled)
    _hb_score(bundle, total, grade)
    if total == 4:
        bundle["patient"]["visits"][0]["scores"][0]["result"]["items"] = {"grade": 3}
    _retarget_ids(bundle)
    bundle["patient"]["code"] = "P009"
    for recording in bundle["patient"]["visits"][0]["recordings"]:
        recording["sha256"] = "f" * 64
    with pytest.raises(StoreValidationError, match=message):
        _import(filled, bundle)


def test_a_true_house_brackmann_score_imports(filled):
    bundle = _bundle(filled)
    _hb_score(bundle, 3, "III")
    bundle["patient"]["visits"][0]["scores"][0]["result"]["items"] = {"grade": 3}
    _import(filled, bundle, replace=True)
    with filled.reading() as session:
        visit = repository.get_patient(session, code="P001").visits[0]
        assert visit.scores[0].total == 3.0


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e300])
def test_non_finite_or_absurd_index_values_are_refused(filled, value):
    bundle = _bundle(filled)
    bundle["patient"]["visits"][0]["recordings"][0]["indices"][0]["value"] = value
    with pytest.raises(StoreValidationError, match="finite"):
        _import(filled, bundle, replace=True)


def test_json_with_infinity_or_deep_nesting_is_refused_before_parsing(tmp_path, cli):
    infinite = tmp_path / "inf.json"
    infinite.write_text('{"format": "synkinesis.patient_bundle", "x": Infinity}')
    with pytest.raises(StoreValidationError, match="Infinity is not a number JSON allows"):
        read_json(infinite)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(StoreValidationError, match=f"more than the {MAX_JSON_DEPTH}"):
        read_json(deep)
    tricky = tmp_path / "tricky.json"  # brackets inside strings do not count
    tricky.write_text(json.dumps({"text": "[" * 1000 + '\\"{'}))
    assert read_json(tricky)["text"].startswith("[[[")
    result = cli("db", "import", str(deep))
    assert result.exit_code == 2 and result.output.startswith("error: ")
    assert "Traceback" not in result.output


def test_deeply_nested_mapping_is_refused_without_recursion(sqlite_store):
    nested: dict = {}
    inner = nested
    for _ in range(50_000):
        inner["x"] = {}
        inner = inner["x"]
    bundle = {"format": "synkinesis.patient_bundle", "format_version": 2, "patient": nested}
    with pytest.raises(StoreValidationError, match="nests deeper"), \
            sqlite_store.transaction() as session:
        import_bundle(session, bundle=bundle)


# --- item 16: no absolute source paths unless asked -----------------------------------------


def test_exports_keep_file_names_not_paths_unless_asked(filled, tmp_path):
    bundle = _bundle(filled)
    recording = bundle["patient"]["visits"][0]["recordings"][0]
    assert recording["video_path"] == "a.mp4" and recording["measurement_path"] == "a.synk"
    assert "/videos/" not in json.dumps(bundle) and "/derived/" not in json.dumps(bundle)
    full = _bundle(filled, source_paths=True)
    assert full["patient"]["visits"][0]["recordings"][0]["video_path"] == "/videos/a.mp4"
    with filled.reading() as session:
        paths = export_csv(session, directory=tmp_path / "csv")
    text = (tmp_path / "csv" / "recordings.csv").read_text()
    assert "a.mp4" in text and "/videos/" not in text and "/derived/" not in text
    assert len(paths) == 10  # 9 tables and the tidy scale items


def test_results_are_matched_by_the_name_and_sha256_they_give(tmp_path):
    from synkinesis.store.recordings import _described_name

    assert _described_name({"name": "smile.mp4", "sha256": "0" * 64}) == "smile.mp4"
    assert _described_name({"path": "/home/anna/Patients/Mueller/smile.mp4"}) == "smile.mp4"
    assert _described_name({"input": "C:/x/y.mp4"}) == "y.mp4"


# --- item 19: codes are case-folded on input --------------------------------------------------


def test_codes_differing_only_in_case_are_one_patient(sqlite_store):
    with sqlite_store.transaction() as session:
        assert add_patient(session, code="p001").code == "P001"
    with pytest.raises(DuplicateError, match="P001 already exists"), \
            sqlite_store.transaction() as session:
        add_patient(session, code="P001")
    with sqlite_store.transaction() as session:
        assert repository.get_patient(session, code="p001").code == "P001"
        visit = repository.create_visit(session, patient_code="p001", visit_date="2026-01-05",
                                        today=TODAY)
        assert repository.find_visit(session, ref="p001@2026-01-05") is visit
        with pytest.raises(NotFoundError, match="no patient 'NOPE'"):
            repository.get_patient(session, code="NOPE")


def test_bundle_code_is_case_folded(filled, tmp_path):
    bundle = _bundle(filled)
    bundle["patient"]["code"] = "p001"
    with pytest.raises(DuplicateError, match="P001 already exists"):
        _import(filled, bundle)


def test_cli_lookups_fold_case_and_say_when_a_code_does_not_exist(cli):
    assert cli("patient", "add", "p001", "--side", "left").output.startswith(
        "added patient P001")
    again = cli("patient", "add", "P001", "--side", "left")
    assert again.exit_code == 2 and "already exists" in again.output
    assert cli("visit", "add", "p001", "--date", "2026-01-05").exit_code == 0
    missing = cli("history", "NOPE")
    assert missing.exit_code == 2 and "no patient 'NOPE'" in missing.output
    missing = cli("due", "--patient", "NOPE")
    assert missing.exit_code == 2 and "no patient 'NOPE'" in missing.output


# --- item 15: what the store creates is private whatever the umask --------------------------


def test_store_folders_and_files_are_private_under_a_lax_umask(filled, tmp_path):
    from synkinesis.store.backup import backup_database

    previous = os.umask(0o022)
    try:
        with filled.reading() as session:
            export_csv(session, directory=tmp_path / "out" / "csv")
        backup = backup_database(filled, destination=tmp_path / "backups" / "today")
        from synkinesis.store.exchange import write_json

        bundle = write_json(_bundle(filled), tmp_path / "bundles" / "P001.json")
    finally:
        os.umask(previous)
    for folder in (tmp_path / "out", tmp_path / "out" / "csv", tmp_path / "backups",
                   tmp_path / "backups" / "today"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert (tmp_path / "bundles").stat().st_mode & 0o777 == 0o700
    for path in [*(tmp_path / "out" / "csv").iterdir(), backup.database, bundle]:
        assert path.stat().st_mode & 0o777 == 0o600, path


@pytest.mark.parametrize(("field", "value", "message"), [
    ("position", "first", "expected a whole number"),
    ("units", True, "expected a finite number"),
    ("muscle", ["oo"], "expected text"),
])
def test_values_of_the_wrong_kind_are_refused_with_where_they_are(filled, field, value,
                                                                   message):
    bundle = _bundle(filled)
    bundle["patient"]["toxin_sessions"][0]["injections"][0][field] = value
    with pytest.raises(StoreValidationError,
                       match=rf"toxin_sessions\[0\]\.injections\[0\]\.{field}: {message}"):
        _import(filled, bundle, replace=True)


def test_attached_analysis_nested_too_deep_is_refused_without_a_traceback(tmp_path):
    from synkinesis.store.analysis_files import read_analysis_file

    deep = tmp_path / "deep.analysis.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nested deeper than"):
        read_analysis_file(deep)


def test_depth_check_is_fast_on_long_strings():
    import time

    from synkinesis.store.exchange import json_depth

    text = json.dumps({"notes": "x" * 20_000_000 + '\\"[[', "rows": [[[1]]]})
    started = time.perf_counter()
    assert json_depth(text) == 4
    assert time.perf_counter() - started < 5  # was 15 s with a per-character alternation
