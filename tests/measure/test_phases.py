"""measure_video names its steps as they start, so a progress bar does not sit at 0/N while
the model loads or at N/N while the result is calibrated and written."""

from __future__ import annotations

from datetime import date

from synkinesis.measure import MeasureOptions, measure_video
from videotools import read_frames, write_lossless


def test_measure_video_announces_each_phase_in_order(media, tmp_path):
    frames = read_frames(media / "single_face.mp4", 20)
    video = write_lossless(tmp_path / "short.avi", frames)
    events: list[object] = []
    measured = measure_video(video, tmp_path / "short.synk",
                             options=MeasureOptions(method="fast"),
                             progress=lambda n: events.append(n), on_phase=events.append)
    phases = [e for e in events if isinstance(e, str)]
    assert phases == ["orienting", "loading the model", "landmarks", "calibrating", "writing"]
    # every frame is counted after "landmarks" and before "calibrating"
    between = events[events.index("landmarks") + 1:events.index("calibrating")]
    assert sum(between) == len(frames) == measured.n_frames


#: The measure step's phases, then the workflow's own.
MEASURE_PHASES = ["orienting", "loading the model", "landmarks", "calibrating", "writing"]


def _short_video(media, tmp_path, count=36):
    return write_lossless(tmp_path / "short.avi", read_frames(media / "single_face.mp4", count))


def test_analyze_names_the_measure_phases_then_analysing(media, tmp_path):
    """``synk analyze`` (measure_and_analyse) passes the measure step's phases on and adds its
    own, in order; ``on_stage`` still hears its coarser stages."""
    from synkinesis.workflow import WorkflowOptions, measure_and_analyse

    events: list[object] = []
    stages: list[str] = []
    run = measure_and_analyse(
        _short_video(media, tmp_path), output_dir=tmp_path / "out",
        options=WorkflowOptions(measure=MeasureOptions(method="fast"), figures=False),
        progress=lambda n: events.append(n), on_phase=events.append, on_stage=stages.append)
    assert [e for e in events if isinstance(e, str)] == [*MEASURE_PHASES, "analysing"]
    between = events[events.index("landmarks") + 1:events.index("calibrating")]
    assert sum(between) == run.measurement.n_frames
    assert stages == ["measuring", "analysing"]


def test_record_add_names_the_measure_phases_then_analysing_and_storing(media, tmp_path):
    """``synk record add`` (record_recording): the same phases, then storing."""
    from synkinesis.store import open_store, repository
    from synkinesis.store.settings import load_settings
    from synkinesis.workflow import WorkflowOptions, record_recording

    store = open_store(load_settings(database_url=f"sqlite:///{tmp_path / 'record.sqlite'}",
                                     environ={"SYNK_DATA_DIR": str(tmp_path / "derived")}))
    today = date(2026, 1, 6)
    with store.transaction() as session:
        repository.create_patient(session, code="P001", affected_side="left",
                                  cause="bell_palsy", onset_date="2025-01-10", notes="",
                                  today=today)
        repository.create_visit(session, patient_code="P001", visit_date="2026-01-05",
                                today=today)
    phases: list[str] = []
    outcome = record_recording(
        store, video=_short_video(media, tmp_path), visit_ref="P001@2026-01-05",
        options=WorkflowOptions(measure=MeasureOptions(method="fast"), figures=False),
        on_phase=phases.append)
    assert outcome.measurement_path.is_file()
    store.close()
    assert phases == [*MEASURE_PHASES, "analysing", "storing"]


def test_synk_analyze_shows_the_phases_on_its_progress_bar(media, tmp_path, monkeypatch):
    """The command hands the phases to the progress bar's phase column."""
    from typer.testing import CliRunner

    from synkinesis.cli import app
    from synkinesis.cli.common import _Advance

    shown: list[str] = []
    monkeypatch.setattr(_Advance, "phase", lambda self, name: shown.append(name))
    result = CliRunner().invoke(app, ["analyze", str(_short_video(media, tmp_path)), "-o",
                                      str(tmp_path / "out"), "--no-figures", "--method",
                                      "fast"])
    assert result.exit_code == 0, result.output
    assert shown == [*MEASURE_PHASES, "analysing"]
