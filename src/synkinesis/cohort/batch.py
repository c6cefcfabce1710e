"""Whole archives through the one workflow: every recording measured and analysed once, resumable.

An archive is a folder of videos or a CSV manifest (:func:`read_archive`). Each recording is one
task (:func:`run_recording`) that calls :func:`synkinesis.workflow.measure_and_analyse` into its
own folder ``OUT/recordings/<key>/``, where ``key`` is the sha256 of the video's content, this
software's version, the options and its protocol file's content (:func:`job_key`). The task
writes ``done.json`` last and atomically; a task whose ``done.json`` exists is skipped, so a run
that was killed resumes where it stopped and a recording is never done twice. A recording that
fails is reported with its reason and never stops the others.

:func:`run_batch` runs the tasks in a local process pool, or on a Dask distributed cluster when
given a ``distributed.Client`` (one task per recording); the results are the same. Every
worker is held to one core (:mod:`synkinesis.cohort.cluster`), so N workers use N cores.
:mod:`synkinesis.cohort.tables` turns them into the cohort tables.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from synkinesis import __version__

__all__ = [
    "CLINICIAN_PREFIX",
    "DONE_FORMAT",
    "DONE_FORMAT_VERSION",
    "REPORT_FORMAT",
    "REPORT_FORMAT_VERSION",
    "MANIFEST_COLUMNS",
    "VIDEO_SUFFIXES",
    "ArchiveError",
    "BatchEntry",
    "BatchRun",
    "batch_report",
    "job_key",
    "read_archive",
    "run_batch",
    "run_recording",
    "write_run",
]

#: Video files a folder archive holds (others are ignored).
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
#: Manifest columns: ``path`` is required, the others optional.
MANIFEST_COLUMNS = ("path", "recording", "subject", "visit", "side", "protocol", "rater")
#: A manifest column ``clinician.<instrument>.<item>`` holds a clinician's score of that item.
CLINICIAN_PREFIX = "clinician."
#: Format of a recording's ``done.json``; 1: first version.
DONE_FORMAT = "synkinesis.batch_result"
DONE_FORMAT_VERSION = 1
_SIDES = ("left", "right", "auto", "")


class ArchiveError(ValueError):
    """An archive that cannot be read: no such folder, a manifest without a ``path`` column, an
    unknown side or instrument item. The message is one line."""


@dataclass(frozen=True)
class BatchEntry:
    """One recording of an archive.

    Attributes
    ----------
    path : Path
        The video (or ``.synk`` measure result).
    recording : str
        Its name in the cohort tables (manifest ``recording``, else the path as the manifest or
        the folder gives it, relative to the archive).
    subject, visit : str
    side : {"left", "right"} or None
        The patient's affected side (None: inferred).
    protocol : Path or None
        Its protocol file of task spans (None: the sidecar beside the video, if any).
    rater : str
        Who gave the clinician scores ("" when unnamed).
    clinician : tuple of (instrument, item, value)
        The clinician's scores of this recording, as the manifest gives them (text).
    """

    path: Path
    recording: str
    subject: str = ""
    visit: str = ""
    side: str | None = None
    protocol: Path | None = None
    rater: str = ""
    clinician: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class BatchRun:
    """What :func:`run_batch` did.

    Attributes
    ----------
    results : tuple of mapping
        One per recording, in archive order: the ``done.json`` content of a recording done (now
        or by an earlier run), or ``{"status": "failed", "reason": ...}``.
    done_now, skipped, failed : int
        Recordings analysed by this run, found done by an earlier run, and failed.
    """

    results: tuple[Mapping[str, Any], ...]
    done_now: int
    skipped: int
    failed: int


def _clinician_column(column: str) -> tuple[str, str]:
    from synkinesis.scales.base import ScaleValidationError
    from synkinesis.scales.registry import get_instrument

    parts = column[len(CLINICIAN_PREFIX):].split(".")
    if len(parts) != 2 or not all(parts):
        raise ArchiveError(f"manifest column {column!r}: expected clinician.INSTRUMENT.ITEM, "
                           "e.g. clinician.house_brackmann.grade")
    try:
        definition = get_instrument(parts[0])
    except ScaleValidationError as error:
        raise ArchiveError(f"manifest column {column!r}: {error}") from None
    keys = [item.key for item in definition.items] + ["total"]
    if parts[1] not in keys:
        raise ArchiveError(f"manifest column {column!r}: {definition.name} has no item "
                           f"{parts[1]!r} (items: {', '.join(keys)})")
    return definition.name, parts[1]


def _read_manifest(manifest: Path) -> list[BatchEntry]:
    try:
        with manifest.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = [c.strip() for c in reader.fieldnames or []]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ArchiveError(f"{manifest}: cannot read it as a CSV manifest: {error}") from None
    if not rows:
        raise ArchiveError(f"{manifest}: the manifest has no rows")
    if "path" not in columns:
        raise ArchiveError(f"{manifest}: the manifest needs a 'path' column (optional: "
                           f"{', '.join(MANIFEST_COLUMNS[1:])}, clinician.INSTRUMENT.ITEM), "
                           f"got {', '.join(columns)}")
    scored = {c: _clinician_column(c) for c in columns if c.startswith(CLINICIAN_PREFIX)}
    unknown = [c for c in columns if c not in MANIFEST_COLUMNS and c not in scored]
    if unknown:
        raise ArchiveError(f"{manifest}: unknown manifest columns {', '.join(unknown)} (allowed: "
                           f"{', '.join(MANIFEST_COLUMNS)}, clinician.INSTRUMENT.ITEM)")
    entries = []
    for number, raw in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not row["path"]:
            raise ArchiveError(f"{manifest}, line {number}: the path is empty")
        side = row.get("side", "").lower()
        if side not in _SIDES:
            raise ArchiveError(f"{manifest}, line {number}: side must be one of left, right, "
                               f"auto or empty, got {row['side']!r}")
        path = manifest.parent / row["path"]
        protocol = row.get("protocol", "")
        entries.append(BatchEntry(
            path=path, recording=row.get("recording") or row["path"],
            subject=row.get("subject", ""), visit=row.get("visit", ""),
            side=side if side in ("left", "right") else None,
            protocol=manifest.parent / protocol if protocol else None,
            rater=row.get("rater", ""),
            clinician=tuple((*scored[c], row[c]) for c in scored if row.get(c))))
    return entries


def read_archive(archive: str | os.PathLike[str]) -> list[BatchEntry]:
    """The recordings of an archive: a folder (every video under it, sorted, named by their
    path relative to it) or a CSV manifest (columns :data:`MANIFEST_COLUMNS` and
    ``clinician.INSTRUMENT.ITEM``; relative paths are relative to the manifest's folder).

    Raises
    ------
    ArchiveError
        No such folder or file, a folder without videos, a manifest that cannot be read.
        Recordings that do not exist are not checked here: they fail in their task.
    """
    source = Path(archive)
    if source.is_dir():
        videos = sorted(p for p in source.rglob("*")
                        if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()
                        and not any(part.startswith(".") for part in p.relative_to(source).parts))
        if not videos:
            raise ArchiveError(f"{source}: no videos in this folder ({', '.join(VIDEO_SUFFIXES)})")
        return [BatchEntry(path=p, recording=p.relative_to(source).as_posix()) for p in videos]
    if source.is_file():
        if source.suffix.lower() != ".csv":
            raise ArchiveError(f"{source}: the archive must be a folder or a CSV manifest, "
                               f"got a {source.suffix or 'suffix-less'} file")
        return _read_manifest(source)
    raise ArchiveError(f"{source}: no such folder or file")


def _options_description(options: Any) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(options), default=str, sort_keys=True))


def job_key(content_sha256: str, options: Any, *, protocol_sha256: str | None = None) -> str:
    """The identity of a recording's task: its content, this software's version, the workflow
    options and the content of its protocol file (a change to any of them makes it a new
    task). The protocol file counts by content, not by path: an archive that moves keeps its
    keys, an edited protocol file does not."""
    import hashlib

    described = _options_description(options)
    described.pop("protocol_file", None)
    text = json.dumps({"sha256": content_sha256, "version": __version__,
                       "options": described, "protocol_sha256": protocol_sha256},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _entry_options(entry: BatchEntry, options: Any) -> Any:
    from dataclasses import replace

    analysis = options.analysis
    if entry.side is not None:
        analysis = replace(analysis, affected_side=entry.side)
    return replace(options, analysis=analysis, overwrite=True,
                   protocol_file=entry.protocol or options.protocol_file)


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _entry_fields(entry: BatchEntry) -> dict[str, Any]:
    """What a result says of its entry (not of the recording's content)."""
    return {"recording": entry.recording, "subject": entry.subject, "visit": entry.visit,
            "input": entry.path.name, "side": entry.side, "rater": entry.rater,
            "clinician": [list(score) for score in entry.clinician]}


def run_recording(entry: BatchEntry, options: Any, output_dir: str | os.PathLike[str]
                  ) -> dict[str, Any]:
    """Measure and analyse one recording into ``output_dir/recordings/<key>/`` (one task).

    Returns the content of its ``done.json`` (``"status": "done"``; ``"skipped": True`` when an
    earlier run had done it) or ``{"status": "failed", "reason": ...}``; never raises for a bad
    recording. ``options`` is a :class:`synkinesis.workflow.WorkflowOptions`; the entry's side
    and protocol file replace its own.
    """
    from synkinesis.analysis import sidecar_for
    from synkinesis.files import atomic_output
    from synkinesis.measure import file_sha256
    from synkinesis.workflow import measure_and_analyse

    base = _entry_fields(entry)
    try:
        options = _entry_options(entry, options)
        sha256 = file_sha256(entry.path)
        protocol = options.protocol_file or sidecar_for(entry.path)
        key = job_key(sha256, options, protocol_sha256=None if options.spans or protocol is None
                      else file_sha256(protocol))
        folder = Path(output_dir) / "recordings" / key
        done = folder / "done.json"
        if done.is_file():
            return {**json.loads(done.read_text(encoding="utf-8")), **base, "skipped": True}
        run = measure_and_analyse(entry.path, options=options, output_dir=folder)
        content = {
            "format": DONE_FORMAT, "format_version": DONE_FORMAT_VERSION,
            "status": "done", **base, "key": key, "sha256": sha256,
            "options": _options_description(options),
            "analysis_file": f"recordings/{key}/{Path(str(run.analysis_path)).name}",
            "analysis": run.content,
        }
        with atomic_output(done) as temporary:
            temporary.write_text(json.dumps(content), encoding="utf-8")
        return {**content, "skipped": False}
    except Exception as error:  # one bad recording never stops the archive
        return {"status": "failed", **base, "reason": _reason(error)}


def _worker_task(entry: BatchEntry, options: Any, output_dir: str | os.PathLike[str]
                 ) -> dict[str, Any]:
    """A worker's task: :func:`run_recording`, then the memory it freed given back to the
    system, so that a worker's memory stays flat over many recordings."""
    from synkinesis.cohort.cluster import release_free_memory

    try:
        return run_recording(entry, options, output_dir)
    finally:
        release_free_memory()


def _result_of(future: Any, entry: BatchEntry) -> dict[str, Any]:
    """A task's result; a worker that died under it (a decoder crash, the memory killer, a
    lost cluster node) fails that recording, not the run."""
    try:
        return dict(future.result())
    except Exception as error:
        return {"status": "failed", **_entry_fields(entry),
                "reason": f"the worker running it stopped: {_reason(error)}"}


def _local_results(entries: Sequence[BatchEntry], options: Any, output_dir: Path,
                   workers: int, bind: bool) -> Iterable[tuple[int, dict[str, Any]]]:
    from concurrent.futures import as_completed

    from synkinesis.cohort.cluster import local_pool

    # each worker held to one core, with one-thread pools and 2 malloc arenas
    with local_pool(workers, bind=bind) as pool:
        futures = {pool.submit(_worker_task, entry, options, output_dir): i
                   for i, entry in enumerate(entries)}
        for future in as_completed(futures):
            yield futures[future], _result_of(future, entries[futures[future]])


def _dask_results(entries: Sequence[BatchEntry], options: Any, output_dir: Path,
                  client: Any, bind: bool) -> Iterable[tuple[int, dict[str, Any]]]:
    from distributed import as_completed

    from synkinesis.cohort.cluster import OneCorePerWorker

    plan = OneCorePerWorker.plan(client.scheduler_info()["workers"]) if bind else {}
    client.register_plugin(OneCorePerWorker(plan), name=OneCorePerWorker.name)
    try:
        futures = {client.submit(_worker_task, entry, options, str(output_dir), pure=False,
                                 key=f"synk-batch-{i}-{entry.path.name}"): i
                   for i, entry in enumerate(entries)}
        for future in as_completed(list(futures)):
            yield futures[future], _result_of(future, entries[futures[future]])
    finally:  # the cluster may serve others after this run: its workers as they were
        client.unregister_worker_plugin(OneCorePerWorker.name)


def run_batch(entries: Sequence[BatchEntry], *, options: Any, output_dir: str | os.PathLike[str],
              workers: int | None = None, client: Any = None, bind_cpus: bool = True,
              on_result: Callable[[Mapping[str, Any]], None] | None = None) -> BatchRun:
    """Run every recording's task (:func:`run_recording`) and collect the results.

    Parameters
    ----------
    entries : sequence of BatchEntry
    options : synkinesis.workflow.WorkflowOptions
        How every recording is measured and analysed (validated here, once).
    output_dir : path
        Where ``recordings/<key>/`` are written (and found by a resumed run).
    workers : int, optional
        Local worker processes (ignored with ``client``); default: the usable CPUs. Each is
        held to one core (:mod:`synkinesis.cohort.cluster`).
    client : distributed.Client, optional
        Run the tasks on this Dask cluster instead, one task per recording. Its workers need
        this package (same version) and read access to the recordings and ``output_dir`` at
        the same paths. Each worker is held to one core for the run
        (:class:`~synkinesis.cohort.cluster.OneCorePerWorker`); start them with one thread
        each.
    bind_cpus : bool
        Bind each worker to its own CPU when there are no more workers (of a host) than
        usable CPUs (False: one-thread pools only).
    on_result : callable, optional
        Called with each result as it arrives (progress).

    Raises
    ------
    AnalysisError, MeasureError
        Bad options (before any task runs).
    """
    options.validate()
    output = Path(output_dir).resolve()
    (output / "recordings").mkdir(parents=True, exist_ok=True)
    # Rows of a manifest that name the same file with the same side and protocol (several
    # raters, say) are one task: two tasks would write the same folder at once.
    tasks: dict[tuple[str, str | None, str | None], list[int]] = {}
    for index, entry in enumerate(entries):
        identity = (str(entry.path.resolve()), entry.side,
                    None if entry.protocol is None else str(entry.protocol.resolve()))
        tasks.setdefault(identity, []).append(index)
    unique = [entries[indices[0]] for indices in tasks.values()]
    if client is not None:
        stream = _dask_results(unique, options, output, client, bind_cpus)
    else:
        from synkinesis.landmarks.engine import usable_cpus

        count = usable_cpus() if workers is None else max(1, int(workers))
        stream = _local_results(unique, options, output, count, bind_cpus)
    groups = list(tasks.values())
    results: list[dict[str, Any] | None] = [None] * len(entries)
    for task, result in stream:
        for position, index in enumerate(groups[task]):
            results[index] = {**result, **_entry_fields(entries[index]),
                              "skipped": result.get("skipped", False) or position > 0}
            if on_result is not None:
                on_result(results[index])
    final = tuple(r for r in results if r is not None)
    failed = sum(r["status"] == "failed" for r in final)
    skipped = sum(bool(r.get("skipped")) for r in final)
    return BatchRun(final, len(final) - failed - skipped, skipped, failed)



#: Format of the run's report ``batch-report.json``; 1: first version.
REPORT_FORMAT = "synkinesis.batch_report"
REPORT_FORMAT_VERSION = 1


def batch_report(run: BatchRun, *, options: Any, elapsed_s: float | None = None
                 ) -> dict[str, Any]:
    """The run's report: counts, every failed recording with its reason, the options."""
    return {
        "format": REPORT_FORMAT, "format_version": REPORT_FORMAT_VERSION,
        "package": {"name": "synkinesis", "version": __version__},
        "recordings": len(run.results), "done_now": run.done_now, "skipped": run.skipped,
        "failed": run.failed, "elapsed_s": elapsed_s,
        "failures": [{"recording": r["recording"], "input": r["input"], "reason": r["reason"]}
                     for r in run.results if r["status"] == "failed"],
        "options": _options_description(options),
    }


def write_run(run: BatchRun, output_dir: str | os.PathLike[str], *, options: Any,
              elapsed_s: float | None = None) -> list[Path]:
    """Write the cohort tables (:func:`synkinesis.cohort.tables.write_cohort_tables`) and the
    report ``batch-report.json`` into ``output_dir``; returns the paths written."""
    from synkinesis.cohort.tables import cohort_tables, write_cohort_tables
    from synkinesis.files import atomic_output

    written = write_cohort_tables(cohort_tables(run.results), output_dir)
    report = Path(output_dir) / "batch-report.json"
    with atomic_output(report) as temporary:
        temporary.write_text(json.dumps(batch_report(run, options=options, elapsed_s=elapsed_s),
                                        indent=2) + "\n", encoding="utf-8")
    return [*written, report]
