"""Background analysis of uploaded recordings, one at a time, with progress the page polls.

A job converts the browser's recording to a constant-frame-rate video (PyAV), then
calls :func:`synkinesis.workflow.record_recording` with the guided task spans: the one path that
measures, analyses and stores the files with the visit, as ``synk record add`` does.
"""

from __future__ import annotations

import contextvars
import logging
import os
import shutil
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
    (the converter, copyfile) keep the mode."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)
    return path


#: Frame rate of a converted browser recording (the rate the recording page asks for).
NORMALISED_FPS = 30


def normalise_video(source: Path, output: Path) -> Path:
    """Re-encode a browser recording (WebM from MediaRecorder: variable frame rate, no frame
    count, no index to seek in) to a 30 fps H.264 MP4, so frame times are regular and the
    file can be cut into chunks. Done with PyAV (FFmpeg's libraries in the wheel, the same
    ``fps`` filter as the ffmpeg tool: each 1/30 s tick takes the frame shown at that time).
    The file is readable by this user only (0600).

    Raises
    ------
    ValueError
        The upload is not a video that decodes (with the decoder's reason).
    """
    import av
    from av.filter import Graph

    from synkinesis.landmarks.sources import InputError, _decoded, _open_video, _upright

    try:
        container, stream = _open_video(source)
    except InputError as error:
        raise ValueError(f"the upload is not a readable video: {error}") from None
    _private_file(output)
    written = 0
    try:
        with container, av.open(str(output), "w", format="mp4") as out:
            encoder = None
            graph = sink = None
            for frame in _decoded(container, stream):
                if frame.pts is None:
                    continue
                image = av.VideoFrame.from_ndarray(_upright(frame), format="rgb24")
                image.pts, image.time_base = frame.pts, stream.time_base
                image.duration = frame.duration  # the last frame lasts its own time
                if encoder is None:
                    encoder = out.add_stream("libx264", rate=NORMALISED_FPS)
                    encoder.width, encoder.height = image.width - image.width % 2, \
                        image.height - image.height % 2
                    encoder.pix_fmt = "yuv420p"
                    encoder.options = {"preset": "veryfast", "crf": "17"}
                    graph = Graph()
                    buffer = graph.add_buffer(width=image.width, height=image.height,
                                              format="rgb24", time_base=stream.time_base)
                    rate = graph.add("fps", f"fps={NORMALISED_FPS}")
                    crop = graph.add("crop", f"{encoder.width}:{encoder.height}:0:0")
                    scale = graph.add("format", "yuv420p")
                    sink = graph.add("buffersink")
                    buffer.link_to(rate)
                    rate.link_to(crop)
                    crop.link_to(scale)
                    scale.link_to(sink)
                    graph.configure()
                graph.push(image)
                written += _drain(graph, encoder, out)
            if encoder is None:
                raise ValueError("the upload is not a readable video: no frame could be "
                                 "decoded")
            graph.push(None)  # end of stream: the fps filter gives its last frames
            written += _drain(graph, encoder, out)
            for packet in encoder.encode():
                out.mux(packet)
    except (av.error.FFmpegError, OSError) as error:
        output.unlink(missing_ok=True)
        raise ValueError(f"the upload could not be converted: {error}") from None
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    if written == 0:
        output.unlink(missing_ok=True)
        raise ValueError("the upload is not a readable video: no frame could be decoded")
    return output


def _drain(graph, encoder, out) -> int:
    """Encode every frame the filter graph has ready; returns how many."""
    import av

    count = 0
    while True:
        try:
            frame = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return count
        for packet in encoder.encode(frame):
            out.mux(packet)
        count += 1


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
