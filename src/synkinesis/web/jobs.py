"""Background analysis of uploaded recordings, one at a time, with progress the page polls.

A job converts the browser's recording to a constant-frame-rate video (Debian's ffmpeg), then
calls the library: :func:`synkinesis.measure.measure_video`,
:func:`synkinesis.analysis.run_analysis` with the guided task spans, and
:func:`synkinesis.store.recordings.record_video`, which stores both files with the visit.
"""

from __future__ import annotations

import contextvars
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("synkinesis.web.jobs")

__all__ = ["Job", "JobManager", "figures_dir", "normalise_video"]


@dataclass
class Job:
    """What the progress page shows."""

    id: str
    patient_code: str
    visit_ref: str
    stage: str = "queued"
    progress: float = 0.0  # 0..1
    message: str = ""
    done: bool = False
    failed: bool = False
    visit_id: str | None = None
    recording_id: str | None = None
    _total: int = field(default=0, repr=False)
    _frames: int = field(default=0, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "stage": self.stage, "progress": round(self.progress, 3),
                "message": self.message, "done": self.done, "failed": self.failed,
                "visit_id": self.visit_id, "recording_id": self.recording_id}


def figures_dir(data_dir: Path, patient_code: str, recording_id: str) -> Path:
    """Where the figures of a recording's analysis are kept: in the patient's own folder of
    the record, so that deleting the patient removes them."""
    from synkinesis.store.recordings import patient_directory

    return patient_directory(Path(data_dir), patient_code) / "figures" / recording_id


def _private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 (whatever the umask); writers that open it later
    (ffmpeg, copyfile) keep the mode."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)
    return path


def normalise_video(source: Path, output: Path) -> Path:
    """Re-encode a browser recording (WebM, variable frame rate, no frame count) to 30 fps
    H.264 MP4 so frame times are exact; without ffmpeg the original is kept. The file is
    readable by this user only (0600)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        kept = _private_file(output.with_suffix(source.suffix))
        shutil.copyfile(source, kept)
        return kept
    _private_file(output)
    result = subprocess.run(
        [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(source), "-vf", "fps=30",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "17", "-pix_fmt", "yuv420p", "-an",
         str(output)], capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0 or not output.is_file():
        raise ValueError("the upload is not a readable video: "
                         + (result.stderr.strip().splitlines() or ["ffmpeg failed"])[-1])
    return output


class JobManager:
    """Runs recording jobs in one worker thread (analysis uses the CPU fully)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synk-job")

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def submit_recording(self, *, patient_code: str, affected_side: str, visit_ref: str,
                         upload: Path, spans: Sequence[Mapping[str, Any]]) -> Job:
        """Queue the analysis of an uploaded recording; returns the job at once."""
        job = Job(uuid.uuid4().hex, patient_code, visit_ref)
        with self._lock:
            self._jobs[job.id] = job
        # the job runs as the account that asked for it: the audit trail's acting user (a
        # context variable) goes with it into the worker thread
        context = contextvars.copy_context()
        self._pool.submit(context.run, self._run, job, affected_side, Path(upload), list(spans))
        return job

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, affected_side: str, upload: Path, spans: list) -> None:
        try:
            self._record(job, affected_side, upload, spans)
        except Exception as error:  # shown on the progress page, the server goes on
            log.exception("recording job %s failed", job.id)
            job.failed, job.stage = True, "failed"
            job.message = " ".join(str(error).split()) or type(error).__name__
        finally:
            upload.unlink(missing_ok=True)

    def _record(self, job: Job, affected_side: str, upload: Path, spans: list) -> None:
        from synkinesis.files import make_private_dir

        data_dir = Path(self.store.settings.data_dir)
        from synkinesis.store.recordings import patient_directory

        # Inside the patient's folder of the record: deleting the patient removes it.
        videos = make_private_dir(patient_directory(data_dir, job.patient_code) / "videos")
        job.stage, job.message = "converting", "converting the browser recording"
        video = normalise_video(upload, videos / f"{job.visit_ref.split('@')[-1]}_{job.id[:8]}.mp4")
        try:
            outcome = self._analyse_and_store(job, affected_side, video, spans, data_dir)
        except BaseException:
            video.unlink(missing_ok=True)  # nothing stored refers to it
            raise
        job.recording_id = outcome.recording_id
        with self.store.reading() as session:
            from synkinesis.store.repository import find_visit

            job.visit_id = find_visit(session, ref=job.visit_ref).id
        job.stage, job.progress, job.done = "done", 1.0, True
        job.message = f"analysed: {outcome.analysis_status}"

    def _analyse_and_store(self, job: Job, affected_side: str, video: Path, spans: list,
                           data_dir: Path) -> Any:
        """Measure, analyse with the spans (figures too), store; returns the RecordOutcome."""
        from synkinesis.analysis import AnalysisOptions, run_analysis
        from synkinesis.files import make_private_dir
        from synkinesis.measure import MeasureOptions, measure_video
        from synkinesis.store.recordings import record_video

        with tempfile.TemporaryDirectory(prefix=".web-job-", dir=data_dir) as scratch:
            work = Path(scratch)

            def on_total(total: int) -> None:
                job._total = max(total, 1)

            def progress(frames: int) -> None:
                job._frames += frames
                job.progress = min(0.7, 0.05 + 0.65 * job._frames / max(job._total, 1))

            job.stage, job.progress = "measuring", 0.05
            job.message = "finding the face in every frame"
            measurement = measure_video(video, work / "recording.synk",
                                        options=MeasureOptions(
                                            method=self.store.settings.measure_method),
                                        progress=progress,
                                        on_total=on_total)
            job.stage, job.progress = "analysing", 0.75
            job.message = "segmenting tasks, coupling, findings and scale items"
            side: Any = affected_side if affected_side in ("left", "right") else None
            measured = Path(str(measurement.path))
            spans = recorded_spans(spans, measurement.frames["time_s"])
            run = run_analysis(measured, work, spans=spans or None,
                               options=AnalysisOptions(affected_side=side), figures=True)
            job.stage, job.message, job.progress = "storing", "saving to the visit", 0.9
            outcome = record_video(self.store, video=video, visit_ref=job.visit_ref,
                                   measurement=measured,
                                   analysis=run.analysis_path)
            target = make_private_dir(figures_dir(data_dir, job.patient_code,
                                                  outcome.recording_id))
            for figure in run.figures:
                moved = target / Path(figure).name
                shutil.move(str(figure), moved)
                os.chmod(moved, 0o600)
        return outcome


def recorded_spans(spans: Sequence[Mapping[str, Any]], time_s: Any) -> list[Mapping[str, Any]]:
    """The task spans that the browser's recording holds.

    The page times the tasks with its own clock and stops the recorder after the last one; the
    recording (converted to 30 fps) can end a few frames before the last span's start on a busy
    machine. Such a span was not recorded: it is left out (the analysis then reports the task
    as missing) instead of failing the whole visit's analysis.
    """
    import numpy as np

    t = np.asarray(time_s, dtype=float)
    if t.size == 0:
        return list(spans)
    step = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    end = float(t[-1] - t[0] + step)
    return [span for span in spans
            if not isinstance(span.get("start_s"), int | float)
            or float(span["start_s"]) < end - 1e-6]
