"""``synk agreement`` end to end: a cohort table on disk -> table, CSV, JSON, plots; bad inputs
give one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("pingouin")
pytest.importorskip("statsmodels")

from synkinesis.cli import app  # noqa: E402

runner = CliRunner()


#: The command makes its files private (umask 077): give the test process its own back.
pytestmark = pytest.mark.usefixtures("restore_umask")


def cohort(n: int = 30, *, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        grade = int(rng.integers(1, 7))
        smile = float(rng.uniform(20, 100))
        rows += [
            (f"{i:03d}", "house_brackmann", "grade",
             int(np.clip(grade + rng.choice([-1, 0, 0, 1]), 1, 6)), grade),
            (f"{i:03d}", "eface", "oral_commissure_smile",
             round(float(np.clip(smile + 4 + rng.normal(0, 6), 0, 100)), 1), round(smile, 1)),
        ]
    return pd.DataFrame(rows, columns=["recording", "instrument", "item", "automatic",
                                       "clinician"])


@pytest.fixture
def table_csv(tmp_path):
    path = tmp_path / "cohort.csv"
    cohort().to_csv(path, index=False)
    return path


def run(*args: str):
    return runner.invoke(app, ["agreement", *map(str, args)])


def test_table_csv_json_and_plots(table_csv, tmp_path):
    out_csv, out_json, plots = tmp_path / "a.csv", tmp_path / "a.json", tmp_path / "plots"
    result = run(table_csv, "-o", out_csv, "--json", out_json, "--plots", plots)
    assert result.exit_code == 0, result.output
    assert "house_brackmann" in result.output and "ICC(A,1)" in result.output
    frame = pd.read_csv(out_csv)
    assert list(frame["item"]) == ["oral_commissure_smile", "grade"]
    assert (frame["n"] == 30).all() and frame["kappa"].notna().tolist() == [False, True]
    assert frame["format"].iloc[0] == "synkinesis.agreement/1"
    assert "pingouin" in frame["software"].iloc[0]
    document = json.loads(out_json.read_text())
    assert document["format"] == "synkinesis.agreement"
    assert set(document["software"]) >= {"synkinesis", "pingouin", "statsmodels", "scipy"}
    assert sorted(p.name for p in plots.iterdir()) == ["eface_oral_commissure_smile.png",
                                                       "house_brackmann_grade.png"]
    assert (plots / "house_brackmann_grade.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out_csv.stat().st_mode & 0o077) == 0  # private


def test_parquet_instrument_filter_and_json_to_stdout(tmp_path):
    path = tmp_path / "cohort.parquet"
    cohort().to_parquet(path)
    result = run(path, "--instrument", "hb", "--json", "-")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (entry,) = document["results"]
    assert entry["instrument"] == "house_brackmann" and entry["statistics"]["n"] == 30


def test_outputs_are_never_overwritten_unless_asked(table_csv, tmp_path):
    out = tmp_path / "a.csv"
    out.write_text("keep me")
    result = run(table_csv, "-o", out)
    assert result.exit_code == 2 and "exists" in result.output and "--overwrite" in result.output
    assert out.read_text() == "keep me"
    assert run(table_csv, "-o", out, "--overwrite").exit_code == 0
    assert run(table_csv, "-o", table_csv, "--overwrite").exit_code == 2  # never the input


def test_items_with_too_few_pairs_say_so(tmp_path):
    few = cohort(3, seed=1).query("item == 'grade'").assign(instrument="fngs2", item="eye")
    table = pd.concat([cohort(30), few])
    path = tmp_path / "cohort.csv"
    table.to_csv(path, index=False)
    result = run(path)
    assert result.exit_code == 0, result.output
    assert "not enough pairs" in result.output and "fngs2" in result.output


@pytest.mark.parametrize(("table", "message"), [
    (cohort().drop(columns=["clinician"]), "must have the columns recording, instrument, item, "
                                           "automatic, clinician"),
    (cohort().assign(instrument="nope"), "unknown instrument 'nope'"),
    (cohort().assign(instrument="hb", item="smile"), "house_brackmann has no item 'smile'"),
    (cohort(4), "not enough pairs"),
    (cohort().iloc[:0], "the table has no rows"),
])
def test_bad_tables_exit_2_with_one_line(tmp_path, table, message):
    path = tmp_path / "cohort.csv"
    table.to_csv(path, index=False)
    result = run(path)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_missing_file_and_wrong_formats(tmp_path, table_csv):
    for args, message in (
        ([tmp_path / "none.csv"], "no such file"),
        ([tmp_path / "table.xlsx"], "must be CSV or Parquet"),
        ([table_csv, "-o", tmp_path / "out.txt"], "must end in .csv or .json"),
        ([table_csv, "--instrument", "sunnybrook"], "no rows of sunnybrook"),
    ):
        result = run(*args)
        assert result.exit_code == 2 and message in result.output, result.output


def test_help_explains_each_statistic_with_an_example():
    result = runner.invoke(app, ["agreement", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for word in ("ICC(A,1)", "kappa", "bias", "LoA", "rho", "synk agreement cohort.csv"):
        assert word in result.output, word


def test_without_the_research_extra_one_line_names_it(table_csv):
    code = ("import sys; sys.modules['pingouin'] = None; sys.argv = ['synk', 'agreement', "
            f"{str(table_csv)!r}]; from synkinesis.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 2
    assert "pip install 'synkinesis[research]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_command_line_loads_the_research_stack_only_when_the_command_runs():
    code = ("import sys, synkinesis.cli, synkinesis.cohort; "
            "print(' '.join(sorted(sys.modules)))")
    loaded = {name.split(".")[0] for name in subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()}
    assert not loaded & {"pandas", "pingouin", "statsmodels", "sklearn", "matplotlib"}


def test_plots_per_rater_and_their_mean(tmp_path):
    rows = []
    for i in range(8):
        for rater, offset in (("Dr A", 0), ("Dr B", 1)):
            rows.append((f"r{i}", "hb", "grade", (i % 5) + 1, (i % 5) + 1 + offset * (i % 2),
                         rater))
    path = tmp_path / "raters.csv"
    pd.DataFrame(rows, columns=["recording", "instrument", "item", "automatic", "clinician",
                                "rater"]).to_csv(path, index=False)
    plots = tmp_path / "plots"
    result = run(path, "--plots", plots)
    assert result.exit_code == 0, result.output
    assert "mean of raters" in result.output
    assert sorted(p.name for p in plots.iterdir()) == [
        "house_brackmann_grade_Dr-A.png", "house_brackmann_grade_Dr-B.png",
        "house_brackmann_grade_mean.png"]
    again = run(path, "--plots", plots)
    assert again.exit_code == 2 and "exists" in again.output
