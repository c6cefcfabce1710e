"""``synk visit compare A B``: any two visits of a patient side by side from the CLI (the
table and --json), over queries.compare_visits; bad visits refused with one error line."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F401, F811

from __future__ import annotations

import json
import shutil

import pytest
from store_fixtures import cli, record_env

A, B = "P001@2026-01-05", "P001@2026-03-02"
#: Guided spans of single_face.mp4 (2.4 s), as in tests/test_workflow_doors.py.
SAQ = [arg for key in ("eye_closes_smiling", "eye_closes_speaking", "eye_closes_puckering",
                       "neck_tightens_smiling", "face_tight_eye_closure",
                       "mouth_moves_eye_closure", "neck_tight_eye_closure",
                       "eye_waters_eating", "twitching_tightness")
       for arg in ("-i", f"{key}=3")]
SPANS = ["--span=rest=0.0:0.5", "--span=big_smile=0.7:2.3"]


@pytest.fixture
def two_visits(cli):
    for args in (["patient", "add", "P001", "--side", "left"],
                 ["patient", "add", "P002", "--side", "right"],
                 ["visit", "add", "P001", "--date", "2026-01-05"],
                 ["visit", "add", "P001", "--date", "2026-03-02"],
                 ["visit", "add", "P002", "--date", "2026-02-01"],
                 ["visit", "score", A, "hb", "-i", "grade=IV"],
                 ["visit", "score", B, "hb", "-i", "grade=II"],
                 ["visit", "score", A, "saq", *SAQ],
                 ["visit", "score", B, "saq", *SAQ]):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    return cli


def test_table_names_the_direction_of_each_index(two_visits):
    result = two_visits("visit", "compare", A, B)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"P001: {A} (A) vs {B} (B)" in lines[0]
    hb = next(line for line in lines if "House-Brackmann" in line)
    assert hb.split()[-4:] == ["4", "2", "-2", "better"]  # lower grade is better
    saq = [line for line in lines if "patient" in line.split()]
    assert saq and all(line.split()[-1] == "unchanged" for line in saq)


def test_json_to_stdout_and_to_a_file(two_visits, tmp_path):
    result = two_visits("visit", "compare", A, B, "--json", "-")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # only the document, no table
    assert document["format"] == "synkinesis.visit_comparison"
    assert (document["visit_a"]["date"], document["visit_b"]["date"]) == ("2026-01-05",
                                                                          "2026-03-02")
    by_key = {(c["index"], c["rater"]): c for c in document["changes"]}
    hb = by_key[("house_brackmann", "clinician")]
    assert (hb["a"], hb["b"], hb["change"], hb["verdict"]) == (4, 2, -2, "better")
    assert by_key[("saq", "patient")]["verdict"] == "unchanged"
    # B before A: the change and its direction turn round
    swapped = json.loads(two_visits("visit", "compare", B, A, "--json", "-").stdout)
    assert {(c["index"], c["rater"]): c for c in swapped["changes"]}[
        ("house_brackmann", "clinician")]["verdict"] == "worse"

    path = tmp_path / "cmp.json"
    result = two_visits("visit", "compare", A, B, "--json", path)
    assert result.exit_code == 0 and "House-Brackmann" in result.output
    assert json.loads(path.read_text()) == document
    again = two_visits("visit", "compare", A, B, "--json", path)
    assert again.exit_code == 2 and again.output.startswith("error:")
    assert two_visits("visit", "compare", A, B, "--json", path, "--overwrite").exit_code == 0


@pytest.mark.parametrize("a, b, message", [
    (A, "P009@2026-03-02", "no patient 'P009'"),
    (A, "P001@2026-07-07", "no visit"),
    (A, "P002@2026-02-01", "is not a visit of P001"),
    (A, A, "two different visits"),
    ("nonsense", B, "error:"),
])
def test_bad_visits_one_error_line_exit_2(two_visits, a, b, message):
    result = two_visits("visit", "compare", a, b)
    assert result.exit_code == 2
    assert result.output.startswith("error:") and len(result.output.strip().splitlines()) == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_real_analysed_recording_at_each_visit(cli, media, tmp_path):
    """single_face.mp4 recorded and analysed at A; at B the same film with other spans
    (a copy with a trailing byte, which the decoder ignores, since the record refuses the
    very same file twice): the findings' indices (synkinesis points, lower is better) and
    the measured indices (no direction) of both analyses are compared."""
    video_a, video_b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    shutil.copyfile(media / "single_face.mp4", video_a)
    video_b.write_bytes(video_a.read_bytes() + b"\0")
    for args in (["patient", "add", "P001", "--side", "left"],
                 ["visit", "add", "P001", "--date", "2026-01-05"],
                 ["visit", "add", "P001", "--date", "2026-03-02"],
                 ["record", "add", video_a, "--visit", A, "-q", *SPANS],
                 ["record", "add", video_b, "--visit", B, "-q", "--span=rest=0.0:0.6",
                  "--span=big_smile=0.9:2.3"]):
        result = cli(*args)
        assert result.exit_code == 0, result.output
    result = cli("visit", "compare", A, B, "--json", "-")
    assert result.exit_code == 0, result.output
    changes = {c["index"]: c for c in json.loads(result.stdout)["changes"]}
    ocular_oral = changes["analysis.ocular_oral.index"]
    assert ocular_oral["a"] is not None and ocular_oral["b"] is not None
    assert ocular_oral["higher_is_better"] is False
    assert ocular_oral["label"] == "ocular-oral index (analysis)"
    # the analysis stores a 90 % interval for each index (format 2): a change inside the
    # overlap of both intervals is named as such, not better or worse
    low_a, high_a = ocular_oral["interval_a"]
    low_b, high_b = ocular_oral["interval_b"]
    overlap = low_a <= high_b and low_b <= high_a
    expected = ("within the interval" if overlap
                else "unchanged" if ocular_oral["change"] == 0
                else "better" if ocular_oral["change"] < 0 else "worse")
    assert ocular_oral["verdict"] == expected
    fissure = changes["palpebral_fissure_range_affected_pct"]
    assert fissure["verdict"] in ("no direction", "unchanged")
    assert fissure["b"] - fissure["a"] == pytest.approx(fissure["change"])
    table = cli("visit", "compare", A, B)
    assert table.exit_code == 0, table.output
    row = next(line for line in table.output.splitlines()
               if line.strip().startswith(ocular_oral["label"]))
    assert row.rstrip().endswith(expected)


def test_intervals_are_printed_and_written_where_the_analysis_stores_them():
    """An analysis that stores an interval: both values shown with it, the change inside
    the overlap named "within the interval" (the table and the JSON agree)."""
    from datetime import date

    from rich.console import Console

    from synkinesis.cli import visit
    from synkinesis.store.queries import IndexSpec, VisitChange, VisitComparison

    spec = IndexSpec("analysis.ocular_oral.index", "analysis ocular oral index", "", False)
    comparison = VisitComparison("P001", A, B, date(2026, 1, 5), date(2026, 3, 2), (
        VisitChange(spec, "", 1.2, 1.0, (0.9, 1.5), (0.7, 1.3)),))
    document = visit.comparison_document(comparison)
    (change,) = document["changes"]
    assert change["interval_a"] == [0.9, 1.5] and change["verdict"] == "within the interval"
    console = Console(width=200, record=True)
    original, visit.console = visit.console, console
    try:
        visit._print_comparison(comparison)
    finally:
        visit.console = original
    row = next(line for line in console.export_text().splitlines() if "ocular oral" in line)
    assert "1.2 [0.9, 1.5]" in row and "1 [0.7, 1.3]" in row
    assert row.split()[-3:] == ["the", "interval"] or row.rstrip().endswith(
        "within the interval")
