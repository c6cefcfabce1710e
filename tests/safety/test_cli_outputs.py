"""Every command that writes files: never over an input, never over an existing file without
--overwrite, private modes whatever the umask, and a one-line error (exit 2) where a write or
a damaged input used to end in a traceback (issue 16 items 1, 15 and the tracebacks)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


def synk(*args, umask: int | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "synkinesis", *map(str, args)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200", **(env or {})},
                          preexec_fn=None if umask is None else (lambda: os.umask(umask)))


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().lower().startswith("error:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def video(media, tmp_path) -> Path:
    copy = tmp_path / "visit.mp4"
    shutil.copy(media / "single_face.mp4", copy)
    return copy


def test_measure_never_writes_over_its_input(video):
    before = video.read_bytes()
    for extra in ((), ("--overwrite",)):
        result = synk("measure", video, "-o", video, *extra)
        assert_one_line_error(result, "is the input")
    assert video.read_bytes() == before


def test_measure_refuses_an_existing_result_or_table_unless_overwrite(video, tmp_path):
    out = tmp_path / "out" / "visit.synk"
    out.parent.mkdir()
    out.write_bytes(b"an earlier result")
    assert_one_line_error(synk("measure", video, "-o", out, "-q"), "exists", "--overwrite")
    assert out.read_bytes() == b"an earlier result"
    out.unlink()
    table = out.with_suffix(".csv")
    table.write_text("an earlier table")
    assert_one_line_error(synk("measure", video, "-o", out, "--csv", "-q"), "visit.csv exists")
    assert not out.exists() and table.read_text() == "an earlier table"
    result = synk("measure", video, "-o", out, "--csv", "--overwrite", "--method", "fast", "-q",
                  umask=0o022)
    assert result.returncode == 0, result.stderr
    assert table.read_text().startswith('"frame"')
    # Patient data: private whatever the umask the command was started with (item 15).
    assert (mode(out), mode(table)) == (0o600, 0o600)


def test_measure_makes_private_folders_whatever_the_umask(video, tmp_path):
    out = tmp_path / "new" / "deeper" / "visit.synk"
    result = synk("measure", video, "-o", out, "--csv", "--method", "fast", "-q", umask=0o022)
    assert result.returncode == 0, result.stderr
    assert [mode(p) for p in (out.parent.parent, out.parent)] == [0o700, 0o700]
    assert [mode(p) for p in (out, out.with_suffix(".csv"))] == [0o600, 0o600]


def test_analyze_refuses_existing_outputs_and_writes_private_ones(single_face_measurement,
                                                                  tmp_path):
    result = synk("analyze", single_face_measurement.path, "-o", tmp_path / "a", "-q",
                  umask=0o022)
    assert result.returncode == 0, result.stderr
    analysis = tmp_path / "a" / "single_face.analysis.json"
    figures = tmp_path / "a" / "figures"
    assert [mode(p) for p in (tmp_path / "a", figures)] == [0o700, 0o700]
    assert mode(analysis) == 0o600
    assert {mode(p) for p in figures.iterdir()} == {0o600}
    before = analysis.read_bytes()
    again = synk("analyze", single_face_measurement.path, "-o", tmp_path / "a", "-q")
    assert_one_line_error(again, "single_face.analysis.json exists", "--overwrite")
    assert analysis.read_bytes() == before
    analysis.unlink()  # the figures of the earlier run would still be replaced
    assert_one_line_error(synk("analyze", single_face_measurement.path, "-o", tmp_path / "a",
                               "-q"), "figures", "exists")
    assert synk("analyze", single_face_measurement.path, "-o", tmp_path / "a", "-q",
                "--overwrite").returncode == 0


def test_simulate_score_and_export_refuse_existing_outputs(tmp_path):
    truth = tmp_path / "p.truth.json"
    truth.write_text("{}")
    assert_one_line_error(synk("simulate", "-o", tmp_path / "p.synk", "-q"),
                          "p.truth.json exists")
    assert truth.read_text() == "{}" and not (tmp_path / "p.synk").exists()

    scored = tmp_path / "hb.json"
    scored.write_text("kept")
    refused = synk("score", "hb", "-i", "grade=III", "--json", scored)
    assert refused.returncode == 2 and "hb.json exists" in refused.stderr
    assert scored.read_text() == "kept"
    assert synk("score", "hb", "-i", "grade=III", "--json", scored,
                "--overwrite").returncode == 0
    assert json.loads(scored.read_text())["instrument"]

    record = {"SYNK_DATABASE_URL": f"sqlite:///{tmp_path / 'record' / 'r.sqlite'}",
              "SYNK_DATA_DIR": str(tmp_path / "record")}
    assert synk("db", "upgrade", env=record).returncode == 0
    exported = tmp_path / "tables"
    assert synk("db", "export", "--csv", exported, env=record).returncode == 0
    assert_one_line_error(synk("db", "export", "--csv", exported, env=record), "exists")
    assert synk("db", "export", "--csv", exported, "--overwrite", env=record).returncode == 0
    assert_one_line_error(synk("db", "export", "P1", "--bundle", tmp_path / "record" /
                               "r.sqlite", "--overwrite", env=record), "is the input")
    plot = tmp_path / "trend.png"
    plot.write_bytes(b"an earlier plot")
    assert_one_line_error(synk("trend", "P1", "hb", "--plot", plot, env=record),
                          "trend.png exists")
    assert plot.read_bytes() == b"an earlier plot"


def test_unwritable_outputs_are_one_line_errors(video, tmp_path, monkeypatch):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder")
    assert_one_line_error(synk("measure", video, "-o", a_file / "visit.synk", "-q"),
                          "cannot write", "Not a directory")
    assert_one_line_error(synk("measure", video, "-o", "/proc/visit.synk", "-q"),
                          "cannot write /proc/visit.synk")
    # A read-only folder (root is not stopped by chmod, so the write itself fails here).
    from typer.testing import CliRunner

    import synkinesis.measure.result_file
    from synkinesis.cli import app

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".x.part"))

    monkeypatch.setattr(synkinesis.measure.result_file, "_write_archive", refuse)
    run = CliRunner().invoke(app, ["measure", str(video), "-o", str(tmp_path / "r.synk"),
                                   "--method", "fast", "-q"])
    assert run.exit_code == 2, run.output
    assert run.exception is None or isinstance(run.exception, SystemExit)
    assert f"cannot write {tmp_path / 'r.synk'}: Permission denied" in run.output
    assert not (tmp_path / "r.synk").exists()


def test_negative_camera_number_is_refused_before_opening(tmp_path):
    result = synk("measure", "--camera", "-1", "--duration", "1", "-o", tmp_path / "c.synk")
    assert_one_line_error(result, "camera number must be 0 or more")


def _damaged(source: Path, target: Path, *, drop: str = "", manifest=None) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            if name == drop:
                continue
            data = original.read(name)
            if name == "manifest.json" and manifest is not None:
                data = manifest(json.loads(data))
            copy.writestr(name, data)
    return target


@pytest.mark.parametrize("case", ["frames.npy", "landmarks.npy", "pose.npy", "manifest",
                                  "not json", "no signals", "version"])
def test_a_damaged_result_file_is_a_one_line_error(single_face_measurement, tmp_path, case):
    source = single_face_measurement.path
    target = tmp_path / "damaged.synk"
    if case.endswith(".npy"):
        _damaged(source, target, drop=case)
    elif case == "manifest":
        _damaged(source, target, drop="manifest.json")
    elif case == "not json":
        _damaged(source, target, manifest=lambda m: b"{not json")
    elif case == "no signals":
        _damaged(source, target, manifest=lambda m: json.dumps({**m, "signals": None}))
    else:
        _damaged(source, target, manifest=lambda m: json.dumps({**m, "format_version": "x"}))
    result = synk("analyze", target, "-o", tmp_path / "out", "-q")
    assert_one_line_error(result, "damaged.synk")
