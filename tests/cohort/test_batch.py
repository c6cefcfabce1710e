"""``synk batch`` and :mod:`synkinesis.cohort.batch`: an archive of short real clips (2 s of each
shared video) and a bad file, run locally, resumed, on a 2-worker Dask LocalCluster, and from a
CSV manifest with clinician scores whose scales table ``synk agreement`` reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("pingouin")

from synkinesis.cli import app  # noqa: E402
from synkinesis.cohort.batch import (  # noqa: E402
    ArchiveError,
    read_archive,
    run_batch,
    write_run,
)
from synkinesis.cohort.tables import (  # noqa: E402
    PATTERN_COLUMNS,
    RECORDING_COLUMNS,
    SCALE_COLUMNS,
    cohort_tables,
)
from synkinesis.workflow import WorkflowOptions  # noqa: E402

runner = CliRunner()
CLIP_FRAMES = 60  # 2 s at 30 fps: every test runs in seconds


#: The command makes its files private (umask 077): give the test process its own back.
pytestmark = pytest.mark.usefixtures("restore_umask")


@pytest.fixture(scope="module")
def archive(media, tmp_path_factory) -> Path:
    """Two 2 s clips of the shared videos (lossless) and a file that is not a video."""
    from videotools import read_frames, write_lossless

    folder = tmp_path_factory.mktemp("archive")
    (folder / "visits").mkdir()
    write_lossless(folder / "visits" / "wolfgang.avi",
                   read_frames(media / "WolfgangLanger_Pexels.mp4", CLIP_FRAMES))
    write_lossless(folder / "single.avi", read_frames(media / "single_face.mp4", CLIP_FRAMES))
    (folder / "broken.mp4").write_bytes(b"not a video at all")
    return folder


@pytest.fixture(scope="module")
def local_run(archive, tmp_path_factory):
    """The archive run once on 2 local worker processes."""
    output = tmp_path_factory.mktemp("local")
    run = run_batch(read_archive(archive), options=WorkflowOptions(), output_dir=output,
                    workers=2)
    return output, run


def test_folder_archive_lists_videos_sorted_by_relative_path(archive):
    entries = read_archive(archive)
    assert [e.recording for e in entries] == ["broken.mp4", "single.avi", "visits/wolfgang.avi"]


def test_every_recording_is_analysed_and_a_bad_file_is_reported(local_run):
    output, run = local_run
    assert (run.done_now, run.skipped, run.failed) == (2, 0, 1)
    by_name = {r["recording"]: r for r in run.results}
    assert "not a readable video" in by_name["broken.mp4"]["reason"]
    for name in ("single.avi", "visits/wolfgang.avi"):
        done = output / "recordings" / by_name[name]["key"] / "done.json"
        assert json.loads(done.read_text())["status"] == "done"
        assert (output / by_name[name]["analysis_file"]).is_file()


def test_tables_read_back_with_pandas_in_both_formats(local_run, tmp_path):
    _, run = local_run
    written = write_run(run, tmp_path, options=WorkflowOptions())
    assert {p.name for p in written} >= {"patterns.parquet", "scales.csv", "batch-report.json"}
    for name in ("patterns", "scales", "recordings"):
        parquet = pd.read_parquet(tmp_path / f"{name}.parquet")
        csv = pd.read_csv(tmp_path / f"{name}.csv")
        assert list(parquet.columns) == list(csv.columns)
        assert len(parquet) == len(csv) > 0
    patterns = pd.read_parquet(tmp_path / "patterns.parquet")
    assert list(patterns.columns[:len(PATTERN_COLUMNS)]) == list(PATTERN_COLUMNS)
    analyses = [r["analysis"] for r in run.results if r["status"] == "done"]
    assert len(patterns) == sum(len(a["findings"]) + 1 for a in analyses)  # + resting
    assert "index_by_side_left" in patterns.columns  # finding fields flow through generically
    # no side named in the manifest: each finding carries the other side's call (other_*)
    by_recording = {r["recording"]: r["analysis"] for r in run.results if r["status"] == "done"}
    called = 0
    for row in patterns.itertuples():
        analysis = by_recording[row.recording]
        finding = next(f for f in [*analysis["findings"], analysis["resting"]]
                       if f["pattern"] == row.pattern)
        other = finding.get("other_side")
        if other is None:
            assert pd.isna(row.other_side) and pd.isna(row.other_index)
            continue
        called += 1
        assert (row.other_side, row.other_severity) == (other["side"], other["severity"])
        assert (row.other_index, row.other_low, row.other_high) == pytest.approx(
            (other["index"], other["low"], other["high"]))
    assert called > 0
    assert "other_side_index" not in patterns.columns  # not flattened a second time
    scales = pd.read_parquet(tmp_path / "scales.parquet")
    assert list(scales.columns) == [c for c in SCALE_COLUMNS if c != "rater"]
    assert scales["clinician"].isna().all()
    recordings = pd.read_parquet(tmp_path / "recordings.parquet")
    assert list(recordings.columns) == list(RECORDING_COLUMNS)
    assert sorted(recordings["status"]) == ["done", "done", "failed"]
    done = recordings[recordings["status"] == "done"]
    assert done["model_sha256"].str.fullmatch("[0-9a-f]{64}").all()
    assert (done["usable_fraction"] > 0.5).all()
    report = json.loads((tmp_path / "batch-report.json").read_text())
    assert [f["recording"] for f in report["failures"]] == ["broken.mp4"]


def test_a_restart_skips_what_is_done_and_redoes_an_interrupted_recording(archive, local_run,
                                                                          tmp_path):
    output, first = local_run
    resumed = tmp_path / "resumed"
    shutil.copytree(output, resumed)
    # a run killed in the middle of a recording: its outputs may exist, its done.json not
    key = next(r["key"] for r in first.results if r["recording"] == "single.avi")
    (resumed / "recordings" / key / "done.json").unlink()
    run = run_batch(read_archive(archive), options=WorkflowOptions(), output_dir=resumed,
                    workers=1)
    assert (run.done_now, run.skipped, run.failed) == (1, 1, 1)
    assert [r["recording"] for r in run.results if r["status"] == "done"
            and not r["skipped"]] == ["single.avi"]
    again = run_batch(read_archive(archive), options=WorkflowOptions(), output_dir=resumed)
    assert (again.done_now, again.skipped, again.failed) == (0, 2, 1)
    # other options are other tasks
    other = run_batch(read_archive(archive)[1:2], output_dir=resumed,
                      options=WorkflowOptions(analysis=WorkflowOptions().analysis.__class__(
                          affected_side="left")))
    assert (other.done_now, other.skipped) == (1, 0)


def test_a_dask_local_cluster_gives_the_same_tables(archive, local_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, local = local_run
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        run = run_batch(read_archive(archive), options=WorkflowOptions(),
                        output_dir=tmp_path, client=client)
    assert (run.done_now, run.skipped, run.failed) == (2, 0, 1)
    ours, theirs = cohort_tables(run.results), cohort_tables(local.results)
    for name in ours:
        pd.testing.assert_frame_equal(ours[name], theirs[name])


def test_a_worker_held_to_one_core_gives_what_this_process_gives(archive, local_run, tmp_path):
    # this process runs its landmarker pairs side by side (on a machine of 2 CPUs or more),
    # the held workers one after the other on their own CPU: the same tables
    from synkinesis.cohort.batch import run_recording

    _, local = local_run
    entry = next(e for e in read_archive(archive) if e.recording == "single.avi")
    here = run_recording(entry, WorkflowOptions(), tmp_path)
    held = next(r for r in local.results if r["recording"] == "single.avi")
    assert here["status"] == held["status"] == "done" and not here["skipped"]
    ours, theirs = cohort_tables([here]), cohort_tables([held])
    for name in ours:
        pd.testing.assert_frame_equal(ours[name], theirs[name])


def test_manifest_with_clinician_scores_feeds_synk_agreement(archive, local_run, tmp_path):
    output, _ = local_run
    # the resting items need a rest: without one they are not assessed (issue 19), so the
    # manifest names a protocol file with a rest span for each clip
    protocol = tmp_path / "rest.json"
    protocol.write_text(json.dumps([{"task": "rest", "start_s": 0.0, "end_s": 0.6}]))
    rows = ["path,recording,subject,visit,protocol,clinician.eface.brow_rest,clinician.hb.grade"]
    for i, (clip, brow) in enumerate([("single.avi", 97), ("single.avi", 92),
                                      ("visits/wolfgang.avi", 101), ("single.avi", 99),
                                      ("visits/wolfgang.avi", 108)]):
        rows.append(f"{archive / clip},r{i},S{i % 3},2026-01-0{i + 1},{protocol},{brow},"
                    f"{'II' if i else ''}")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n")
    result = runner.invoke(app, ["batch", str(manifest), "-o", str(output), "-q"])
    assert result.exit_code == 0, result.output
    scales = pd.read_parquet(output / "scales.parquet")
    brow = scales[scales["item"] == "brow_rest"].set_index("recording")
    assert list(brow["clinician"]) == ["97", "92", "101", "99", "108"]
    assert brow.loc["r0", "automatic"] == brow.loc["r1", "automatic"]  # one file, one task
    assert brow["automatic"].notna().all()
    report = json.loads((output / "batch-report.json").read_text())
    # a protocol is part of a task's key: these are new tasks, not the folder run's
    assert report["done_now"] + report["skipped"] == 5 and report["done_now"] >= 1
    agreement = runner.invoke(app, ["agreement", str(output / "scales.parquet"),
                                    "--instrument", "eface", "--json", "-"])
    assert agreement.exit_code == 0, agreement.output
    items = {r["item"]: r for r in json.loads(agreement.stdout)["results"]}
    assert items["brow_rest"]["statistics"]["n"] == 5


def test_cli_bad_inputs_exit_2_with_one_line(tmp_path):
    missing = runner.invoke(app, ["batch", str(tmp_path / "nowhere"), "-o", str(tmp_path)])
    assert missing.exit_code == 2 and "no such folder or file" in missing.output
    manifest = tmp_path / "m.csv"
    manifest.write_text("video,subject\na.mp4,S1\n")
    no_path = runner.invoke(app, ["batch", str(manifest), "-o", str(tmp_path / "o")])
    assert no_path.exit_code == 2 and "needs a 'path' column" in no_path.output
    manifest.write_text("path,clinician.eface.nonsense\na.mp4,3\n")
    bad_item = runner.invoke(app, ["batch", str(manifest), "-o", str(tmp_path / "o")])
    assert bad_item.exit_code == 2 and "has no item 'nonsense'" in bad_item.output
    manifest.write_text("path\na.mp4\n")
    scheduler = runner.invoke(app, ["batch", str(manifest), "-o", str(tmp_path / "o"),
                                    "--scheduler", "localhost:1"])
    assert scheduler.exit_code == 2 and "--scheduler must be an address" in scheduler.output


def test_manifest_errors_name_the_line(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,side\na.mp4,left\nb.mp4,up\n")
    with pytest.raises(ArchiveError, match="line 3: side must be one of"):
        read_archive(manifest)


def test_a_worker_that_dies_fails_its_recording_not_the_run(tmp_path):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from synkinesis.cohort.batch import BatchEntry, _result_of

    future: Future = Future()
    future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
    result = _result_of(future, BatchEntry(path=tmp_path / "a.mp4", recording="a"))
    assert result["status"] == "failed" and result["recording"] == "a"
    assert "the worker running it stopped: BrokenProcessPool" in result["reason"]


def test_the_key_follows_the_protocol_file_by_content_not_by_path(tmp_path):
    from synkinesis.cohort.batch import job_key

    options = WorkflowOptions()
    one = job_key("ab" * 32, options, protocol_sha256="cd" * 32)
    moved = job_key("ab" * 32, WorkflowOptions(protocol_file=tmp_path / "elsewhere.json"),
                    protocol_sha256="cd" * 32)
    assert one == moved
    assert job_key("ab" * 32, options, protocol_sha256="ef" * 32) != one
    assert job_key("ab" * 32, options) != one
    assert job_key("ab" * 32, WorkflowOptions(figures=True), protocol_sha256="cd" * 32) != one


def test_cli_summary_names_counts_and_failures(archive, local_run):
    output, _ = local_run
    result = runner.invoke(app, ["batch", str(archive), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "3 recordings: 0 analysed, 2 already done, 1 failed" in result.output
    assert "failed: broken.mp4: InputError" in result.output
    assert (output / "recordings.parquet").is_file()
