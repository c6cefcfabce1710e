"""Background analysis of uploaded recordings, one at a time, with progress the page polls.

A job converts the browser's recording to a constant-frame-rate video (Debian's ffmpeg), then
calls :func:`synkinesis.workflow.record_recording` with the guided task spans: the one path that
measures, analyses and stores the files with the visit, as ``synk record add`` does.
"""

from __future__ import annotations

import contextvars
import logging
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("synkinesis.web.jobs")

__all__ = ["Job", "JobManager", "normalise_video"]


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
    convert: bool = field(default=True, repr=False)
    name: str = field(default="", repr=False)
    _total: int = field(default=0, repr=False)
    _frames: int = field(default=0, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "stage": self.stage, "progress": round(self.progress, 3),
                "message": self.message, "done": self.done, "failed": self.failed,
                "visit_id": self.visit_id, "recording_id": self.recording_id}


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
                         upload: Path, spans: Sequence[Mapping[str, Any]],
                         convert: bool = True, name: str = "") -> Job:
        """Queue the analysis of an uploaded recording; returns the job at once.

        ``convert``: re-encode a browser recording (:func:`normalise_video`); an existing
        video file (``convert=False``) is kept as it is, named after ``name``."""
        job = Job(uuid.uuid4().hex, patient_code, visit_ref, convert=convert, name=name)
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
        stem = f"{job.visit_ref.split('@')[-1]}_{job.id[:8]}"
        if job.convert:
            job.stage, job.message = "converting", "converting the browser recording"
            video = normalise_video(upload, videos / f"{stem}.mp4")
        else:  # an existing video file: kept as it is, under a safe name
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in job.name)[:60]
            video = _private_file(videos / f"{safe + '_' if safe else ''}{stem}{upload.suffix}")
            shutil.copyfile(upload, video)
        try:
            outcome = self._analyse_and_store(job, affected_side, video, spans, data_dir)
        except BaseException:
            if not self._stored(video):  # a recording stored before the failure keeps it
                video.unlink(missing_ok=True)
            raise
        job.recording_id = outcome.recording_id
        with self.store.reading() as session:
            from synkinesis.store.repository import find_visit

            job.visit_id = find_visit(session, ref=job.visit_ref).id
        job.stage, job.progress, job.done = "done", 1.0, True
        job.message = f"saved to the visit ({outcome.analysis_status})"

    def _stored(self, video: Path) -> bool:
        """Whether a recording of the record refers to this video (by its content)."""
        from synkinesis.store.recordings import file_sha256
        from synkinesis.store.repository import find_recording_by_sha256

        if not video.is_file():
            return False
        with self.store.reading() as session:
            return find_recording_by_sha256(session, sha256=file_sha256(video)) is not None

    def _analyse_and_store(self, job: Job, affected_side: str, video: Path, spans: list,
                           data_dir: Path) -> Any:
        """Measure, analyse with the spans (figures too) and store, as ``synk record add``
        does; returns the RecordOutcome. An analysis that fails (a recording too short, say)
        leaves the measurement stored with a status that says why."""
        from synkinesis.analysis import AnalysisOptions
        from synkinesis.measure import MeasureOptions
        from synkinesis.workflow import WorkflowOptions, record_recording

        def on_total(total: int) -> None:
            job._total = max(total, 1)

        def progress(frames: int) -> None:
            job._frames += frames
            job.progress = min(0.7, 0.05 + 0.65 * job._frames / max(job._total, 1))

        def on_stage(stage: str) -> None:
            job.stage, job.message, job.progress = {
                "measuring": ("measuring", "finding the face in every frame", 0.05),
                "analysing": ("analysing", "segmenting tasks, coupling, findings and scale "
                                           "items", 0.75),
                "storing": ("storing", "saving to the visit", 0.9)}[stage]

        side: Any = affected_side if affected_side in ("left", "right") else None
        options = WorkflowOptions(
            measure=MeasureOptions(method=self.store.settings.measure_method),
            analysis=AnalysisOptions(affected_side=side),
            spans=tuple(spans) or None, spans_source="browser recording",
            spans_outrun_recording=True, figures=True)
        return record_recording(self.store, video=video, visit_ref=job.visit_ref,
                                options=options, progress=progress, on_total=on_total,
                                on_stage=on_stage)
