"""A visit's recording in the record: its rows and the files the record manages.

The store only persists. :func:`synkinesis.workflow.record_recording` drives a recording in:
:func:`plan_recording` checks the video and the files given with it against the record and
names the recording's files in the record's data directory (``settings.data_dir/<patient
code>/``); the workflow measures and analyses into them; :func:`store_recording` writes the
record in one transaction. If anything fails, the new files are removed again
(:func:`discard_recording_files`), so a failed ``synk record add`` leaves neither rows nor
files behind.

Why one file of over 500 lines: planning, writing and discarding a recording are one
transaction's three phases over the same file plan (:class:`RecordingPlan`); split, each
half would have to export the plan's internals to the other.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synkinesis.files import make_private_dir
from synkinesis.store.analysis_files import (
    analysis_segmentation,
    indices_from_analysis,
    read_analysis_file,
    scale_results_from_analysis,
)
from synkinesis.store.db import Store
from synkinesis.store.errors import StoreValidationError
from synkinesis.store.repository import (
    IndexValue,
    add_recording,
    check_not_recorded,
    check_patient_code,
    find_visit,
    visit_reference,
)

__all__ = [
    "RecordOutcome",
    "RecordingPlan",
    "attach_file",
    "checked_file",
    "check_results_match_video",
    "discard_recording_files",
    "figures_dir",
    "file_sha256",
    "keep_figures",
    "measure_indices",
    "patient_directory",
    "plan_recording",
    "remove_derived_files",
    "remove_patient_directory",
    "remove_patient_files",
    "source_name",
    "store_recording",
]


@dataclass(frozen=True)
class RecordOutcome:
    """What :func:`synkinesis.workflow.record_recording` stored.

    Attributes
    ----------
    recording_id, visit_ref, sha256 : str
    measurement_path : Path
    analysis_path : Path or None
    analysis_status : str
        ``"analysed"``, ``"attached"`` or why there is no analysis.
    indices : mapping of str to IndexValue
        Everything stored as measured indices.
    summary : mapping
        Frames, scale and rest information of the measurement.
    scale_notes : tuple of str
        The automatic scale scores stored from the analysis (or why one was not).
    segmentation : str
        How the analysis found the tasks: ``"guided"`` (task spans given), ``"unguided"``,
        or "" without an analysis.
    figures : tuple of Path
        The analysis's figures kept with the recording (:func:`figures_dir`), when asked for.
    """

    recording_id: str
    visit_ref: str
    sha256: str
    measurement_path: Path
    analysis_path: Path | None
    analysis_status: str
    indices: Mapping[str, IndexValue] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)
    scale_notes: tuple[str, ...] = ()
    segmentation: str = ""
    figures: tuple[Path, ...] = ()


def checked_file(path: str | None, sha256: str | None, what: str) -> tuple[Path | None, str]:
    """A derived file of the record when it exists and matches the sha256 the record kept;
    else None and why. Every reader that shows a stored file (the visit report, the web's
    visit page) asks this: a changed file is not shown as if it were what was recorded."""
    if not path:
        return None, f"no {what} stored"
    file = Path(path)
    if not file.is_file():
        return None, f"the {what} file {file} is missing"
    if sha256 and file_sha256(file) != sha256:
        return None, (f"the {what} file {file} has changed since it was recorded (sha256 "
                      f"differs from the record's {sha256[:12]}...): not used")
    return file, ""


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def patient_directory(data_dir: Path, code: str) -> Path:
    """The folder of a patient's derived files, ``data_dir / code`` (the code as stored).

    Raises
    ------
    StoreValidationError
        The code is not a valid patient code, or the folder would not lie inside
        ``data_dir`` (a code such as ``../x`` must never place files elsewhere, nor a
        symbolic link named like the patient lead into another folder).
    """
    root = Path(data_dir).resolve()
    named = root / check_patient_code(code, fold=False)
    directory = named.resolve()
    if directory.parent != root or directory != named:
        raise StoreValidationError(f"patient code {code!r} does not name a folder inside the "
                                   f"data directory {root}")
    return directory


def source_name(path: str | Path) -> str:
    """What the record keeps of a source file's path by default: its name (no folders, so
    no user or patient names from the path)."""
    return Path(str(path)).name


def check_results_match_video(
    video: Path, *, measurement: Any = None, analysis: Mapping[str, Any] | None = None,
    measured_frames: int | None = None, video_sha256: str | None = None,
) -> list[str]:
    """Check that attached result files were made from ``video``.

    A measure result's ``source.video`` (frame count, frame rate, width, height) must match
    the video as probed; an analysis must cover as many frames as the measurement
    (``measured_frames``). A measure result that gives its source's sha256 (``source.sha256``
    or ``source.video.sha256``) must give this video's (``video_sha256`` when known). A
    different file name alone is weaker evidence (files get renamed): it is returned as a
    note. Only names are read from the files, never a folder.

    Returns
    -------
    list of str
        Notes on file names that differ.

    Raises
    ------
    StoreValidationError
        A result that was not made from this video, saying what differs.
    """
    notes: list[str] = []
    if measurement is not None:
        from synkinesis.landmarks.sources import probe_video

        source = measurement.manifest.source
        described = source.video
        if not isinstance(described, Mapping):
            raise StoreValidationError(
                f"the measure result {measurement.path} was not made from a video (source "
                f"{source.kind}), so it "
                f"cannot be the measurement of {video.name}; use --force to attach it anyway")
        info = probe_video(video)
        differences = []
        for key, probed in (("frame_count", info.frame_count), ("fps", info.fps),
                            ("width", info.width), ("height", info.height)):
            stored = described.get(key)
            same = isinstance(stored, int | float) and (
                abs(float(stored) - float(probed)) <= 0.01 if key == "fps"
                else int(stored) == int(probed))
            if not same:
                differences.append(f"{key} {stored!r} vs {probed!r}")
        if differences:
            raise StoreValidationError(
                f"the measure result {measurement.path} was made from another video "
                f"({_described_name(described) or '?'}: " + ", ".join(differences)
                + f" in {video.name}); nothing was written (use --force to attach it anyway)")
        name = _described_name(described)
        claimed_sha = described.get("sha256") or source.sha256  # one per file
        if isinstance(claimed_sha, list | tuple) and len(claimed_sha) == 1:
            claimed_sha = claimed_sha[0]
        if isinstance(claimed_sha, str) and claimed_sha and claimed_sha != (
                video_sha256 or file_sha256(video)):
            raise StoreValidationError(
                f"the measure result {measurement.path} was made from another video (sha256 "
                f"{claimed_sha[:12]}..., {video.name} has another); nothing was written (use "
                "--force to attach it anyway)")
        if name and name != video.name:
            notes.append(f"the measure result was made from a file named {name}, not "
                         f"{video.name} (same frame count, rate and size)")
    if analysis is not None:
        frames = (analysis.get("recording") or {}).get("frames")
        if measured_frames is not None and frames != measured_frames:
            raise StoreValidationError(
                f"the analysis covers {frames!r} frames, the measurement of {video.name} "
                f"{measured_frames}: it was made from another recording; nothing was written "
                "(use --force to attach it anyway)")
        source = analysis.get("source") or {}
        named = _described_name(source) if isinstance(source, Mapping) else ""
        if named and named != video.name and Path(named).suffix != ".synk":
            notes.append(f"the analysis was made from a file named {named}, "
                         f"not {video.name} (same frame count)")
    return notes


def _described_name(described: Mapping[str, Any]) -> str:
    """The file name a result file gives for its source: ``name`` (files written since
    issue 16 give name and sha256, no folders), else the last part of an older ``path`` /
    ``input``. Never a full path."""
    for key in ("name", "input_name", "path", "input"):
        value = described.get(key)
        if isinstance(value, str) and value:
            return source_name(value)
    return ""


def measure_indices(summary: Mapping[str, Any], *, affected_side: str) -> dict[str, IndexValue]:
    """Indices of a measurement summary (:func:`synkinesis.measure.summarise_measurement`).

    Per signal and side (the patient's): the rest value ``<signal>_rest_<side>_mm`` and the
    movement range (5th..95th percentile) ``<signal>_range_<side>_mm``; with a one-sided palsy
    also ``<signal>_range_affected_pct`` = 100 * range(affected) / range(healthy), the
    Auto-eFACE style ratio (CLINICAL.md: judge the affected side against the healthy side).
    Plus ``usable_frames_pct``.
    """
    indices: dict[str, IndexValue] = {}
    for row in summary.get("rows", []):
        signal = row["signal"]
        for side in ("left", "right"):
            for kind in ("rest", "range"):
                value = row.get(f"{kind}_{side}")
                if isinstance(value, int | float) and math.isfinite(value):
                    indices[f"{signal}_{kind}_{side}_mm"] = IndexValue(float(value), "mm")
        if affected_side in ("left", "right"):
            healthy = "right" if affected_side == "left" else "left"
            affected_range, healthy_range = row.get(f"range_{affected_side}"), row.get(
                f"range_{healthy}")
            if (isinstance(affected_range, int | float) and isinstance(healthy_range, int | float)
                    and math.isfinite(affected_range) and math.isfinite(healthy_range)
                    and healthy_range > 0):
                indices[f"{signal}_range_affected_pct"] = IndexValue(
                    100.0 * affected_range / healthy_range, "%")
    frames = summary.get("frames") or {}
    if frames.get("count"):
        indices["usable_frames_pct"] = IndexValue(100.0 * frames["usable"] / frames["count"], "%")
    return indices


def _jsonable_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if hasattr(value, "item"):  # numpy scalars
            return clean(value.item())
        return value

    return clean(summary)


@dataclass(frozen=True)
class RecordingPlan:
    """A recording the record accepted and where its files go, before anything is measured.

    Attributes
    ----------
    video : Path
    sha256 : str
        The video's, which identifies it.
    visit_id, visit_ref : str
    patient_code : str
    affected_side : str
        The patient's, as recorded (``left``, ``right`` or another value that names none).
    directory : Path
        The patient's folder of derived files (0700).
    measurement_path, analysis_path : Path
        Where the measure result and the analysis of this recording go (named by visit date
        and sha256, never by the source's name).
    attached_measurement : synkinesis.measure.Measurement or None
        A measure result given to attach instead of measuring (read, not yet copied).
    attached_analysis : mapping or None
        An analysis file given to attach (read, not yet copied).
    notes : tuple of str
        Differences in file names between the video and attached files.
    """

    video: Path
    sha256: str
    visit_id: str
    visit_ref: str
    patient_code: str
    affected_side: str
    directory: Path
    measurement_path: Path
    analysis_path: Path
    attached_measurement: Any = None
    attached_analysis: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = ()


def plan_recording(
    store: Store, *, video: Path, visit_ref: str, measurement: Path | None = None,
    analysis: Path | None = None, spans: Path | None = None, force: bool = False,
) -> RecordingPlan:
    """Check a video (and the files given with it) against the record before anything is
    measured or written, and name the files it will have.

    Parameters
    ----------
    video : Path
        The recording; its sha256 identifies it (the same video cannot be added twice).
    visit_ref : str
        ``CODE@YYYY-MM-DD`` or a visit id.
    measurement, analysis : Path, optional
        Existing result files to attach instead of computing them. A measure result must
        have been made from ``video`` (:func:`check_results_match_video`) unless ``force``.
    spans : Path, optional
        A protocol file given for the analysis (only checked to exist here).

    Raises
    ------
    StoreValidationError, NotFoundError, DuplicateError
        Nothing was written.
    """
    video = Path(video)
    if not video.is_file():
        raise StoreValidationError(f"video {video} does not exist or is not a file")
    sha256 = file_sha256(video)
    with store.reading() as session:
        visit = find_visit(session, ref=visit_ref)
        visit_id, reference = visit.id, visit_reference(visit)
        code, affected_side = visit.patient.code, visit.patient.affected_side
        visit_date = visit.visit_date
        check_not_recorded(session, sha256=sha256)
    for given, what in ((measurement, "measurement"), (analysis, "analysis"),
                        (spans, "spans")):
        if given is not None and not Path(given).is_file():
            raise StoreValidationError(f"{what} file {given} does not exist")
    attached_analysis = None
    if analysis is not None:
        try:
            attached_analysis = read_analysis_file(Path(analysis))
        except ValueError as error:
            raise StoreValidationError(str(error)) from None
    directory = patient_directory(store.settings.data_dir, code)
    notes: list[str] = []
    attached_measurement = None
    if measurement is not None:
        from synkinesis.measure import read_measurement

        attached_measurement = read_measurement(Path(measurement))  # refuses other files
        if not force:
            notes += check_results_match_video(video, measurement=attached_measurement,
                                               video_sha256=sha256)
    make_private_dir(directory)
    stem = f"{visit_date.isoformat()}_{sha256[:12]}"
    return RecordingPlan(video=video, sha256=sha256, visit_id=visit_id, visit_ref=reference,
                         patient_code=code, affected_side=affected_side, directory=directory,
                         measurement_path=directory / f"{stem}.synk",
                         analysis_path=directory / f"{stem}.analysis.json",
                         attached_measurement=attached_measurement,
                         attached_analysis=attached_analysis, notes=tuple(notes))


def store_recording(
    store: Store, *, plan: RecordingPlan, summary: Mapping[str, Any],
    analysis: Mapping[str, Any] | None, analysis_status: str, protocol_version: str,
    keep_source_path: bool = False,
) -> RecordOutcome:
    """Write a planned recording, its files already in place, in one transaction: the
    recording row with its files' sha256, the measured indices and the analysis's automatic
    scale scores.

    Parameters
    ----------
    plan : RecordingPlan
        Its ``measurement_path`` must hold the measure result; its ``analysis_path`` the
        analysis when ``analysis`` is given.
    summary : mapping
        The measurement's summary (:func:`synkinesis.measure.summarise_measurement`).
    analysis : mapping or None
        The content of the analysis file at ``plan.analysis_path``; None without one.
    analysis_status : str
        ``"analysed"``, ``"attached"`` or why there is no analysis.
    protocol_version : str
        The recording protocol version stored with the recording.
    keep_source_path : bool
        Store the video's full path; by default only its file name is stored (with its
        sha256, which identifies it), so no folder names (user, patient) enter the record.

    The files are made private (0600) whichever layer wrote them. When the transaction
    fails they are removed (:func:`discard_recording_files`) and the error is raised.
    """
    try:
        summary = _jsonable_summary(summary)
        indices = measure_indices(summary, affected_side=plan.affected_side)
        stored_analysis = plan.analysis_path if analysis is not None else None
        automatic = [] if analysis is None else scale_results_from_analysis(analysis)
        if analysis is not None:
            indices.update(indices_from_analysis(analysis))
        for path in (plan.measurement_path, stored_analysis):
            if path is not None and path.is_file():
                os.chmod(path, 0o600)
        scale_notes: list[str] = []
        with store.transaction() as session:
            recording = add_recording(
                session, visit=find_visit(session, ref=plan.visit_id),
                video_path=str(plan.video.resolve()) if keep_source_path else plan.video.name,
                sha256=plan.sha256, protocol_version=protocol_version,
                measurement_path=str(plan.measurement_path),
                measurement_sha256=file_sha256(plan.measurement_path),
                analysis_path=None if stored_analysis is None else str(stored_analysis),
                analysis_sha256=None if stored_analysis is None else file_sha256(stored_analysis),
                analysis_status=analysis_status, files_managed=True, summary=summary,
                indices=indices)
            recording_id = recording.id
            for estimate in automatic:
                scale_notes.append(_store_automatic_score(session, recording, estimate))
    except BaseException:
        discard_recording_files(plan)
        raise
    return RecordOutcome(recording_id=recording_id, visit_ref=plan.visit_ref, sha256=plan.sha256,
                         measurement_path=plan.measurement_path, analysis_path=stored_analysis,
                         analysis_status=analysis_status, indices=indices, summary=summary,
                         scale_notes=tuple(scale_notes),
                         segmentation="" if analysis is None else analysis_segmentation(analysis))


def discard_recording_files(plan: RecordingPlan) -> list[str]:
    """Remove the files of a planned recording that was not stored (its measure result and
    analysis, only inside the patient's folder); returns those removed."""
    return remove_derived_files([str(plan.measurement_path), str(plan.analysis_path)],
                                root=plan.directory)


def figures_dir(data_dir: Path, patient_code: str, recording_id: str) -> Path:
    """Where the figures of a recording's analysis are kept: in the patient's own folder of
    the record, so that deleting the patient removes them."""
    return patient_directory(Path(data_dir), patient_code) / "figures" / recording_id


def keep_figures(store: Store, *, plan: RecordingPlan, recording_id: str,
                 figures: Sequence[Path]) -> tuple[Path, ...]:
    """Move a stored recording's figures into its folder (:func:`figures_dir`), private
    (0600); returns their new paths."""
    if not figures:
        return ()
    target = make_private_dir(figures_dir(store.settings.data_dir, plan.patient_code,
                                          recording_id))
    kept = []
    for figure in figures:
        moved = target / Path(figure).name
        shutil.move(str(figure), moved)
        os.chmod(moved, 0o600)
        kept.append(moved)
    return tuple(kept)


def attach_file(source: Path, target: Path) -> Path:
    """Copy a given result file atomically into the record as a new file readable by the
    user only (0600)."""
    from synkinesis.files import atomic_output

    with atomic_output(Path(target)) as temporary:
        shutil.copyfile(source, temporary)
    return Path(target)


def _store_automatic_score(session: Any, recording: Any, result: Mapping[str, Any]) -> str:
    """Re-score an analysis's automatic scale estimate through the scales library and store
    it (a draft when items are missing); returns a one-line note."""
    from synkinesis.scales import ScaleValidationError
    from synkinesis.store.repository import add_score

    instrument = str(result.get("instrument"))
    items = {key: (result.get("choices") or {}).get(key, value)
             for key, value in (result.get("items") or {}).items()}
    evidence = (result.get("provenance") or {}).get("evidence") or None
    try:
        with session.begin_nested():
            score = add_score(session, visit=recording.visit, instrument=instrument,
                              items=items, rater="automatic", rater_name="synkinesis analysis",
                              options=result.get("options") or None, evidence=evidence,
                              draft=bool(result.get("draft")) or bool(result.get("missing")),
                              recording=recording)
    except ScaleValidationError as error:
        return f"automatic {instrument} not stored: {error}"
    total = "draft" if score.total is None else f"{score.total:g}"
    return f"automatic {score.instrument} {total}"


def remove_patient_files(data_dir: Path, code: str, paths: list[str]) -> int:
    """Delete a deleted patient's derived files and folder; return how many files went.

    Only files inside the patient's own folder (``data_dir / code``, resolved, links
    followed) are ever removed, whatever the record said their paths were: a bundle or a
    tampered row pointing at another patient's files cannot make them disappear.
    """
    removed = len(remove_derived_files(paths, root=patient_directory(data_dir, code)))
    return removed + remove_patient_directory(data_dir, code)


def remove_patient_directory(data_dir: Path, code: str) -> int:
    """Delete a deleted patient's folder of derived data (record copies of measure results and
    analyses, the web app's converted videos and figures); return how many files it held.

    Only ``data_dir / code`` is removed; source videos elsewhere are never touched.
    """
    import shutil

    directory = patient_directory(data_dir, code)
    if not directory.is_dir():
        return 0
    count = sum(1 for path in directory.rglob("*") if path.is_file())
    shutil.rmtree(directory)
    return count


def remove_derived_files(paths: list[str], *, root: Path) -> list[str]:
    """Delete derived files the record manages (only inside ``root``: pass the patient's own
    folder, :func:`patient_directory`); return those removed.

    Source videos are never touched: only measure results and analyses the record wrote.
    Each path is resolved (links followed) and checked to lie inside ``root`` just before it
    is unlinked.
    """
    removed = []
    root = Path(root).resolve()
    for name in paths:
        path = Path(name).resolve()
        if root not in path.parents:
            continue
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(str(path))
    return removed
