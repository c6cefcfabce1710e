"""The standard photo set: one photo per task (rest, brow raise, eye closures, smiles, snarl,
pucker, "EEE") of one person -> the same analysis as a video of the protocol.

A photo set is measured exactly as photos are (:func:`synkinesis.measure.measure_images`: the
same landmarks, half-face composites and edge refinement as a video), with the rest photo as the
measure step's rest. Each photo is then one *held* posture: the analysis sees it as a span of
:data:`HOLD_FRAMES` identical frames labelled with its task (a guided span), so the coupling
matrix, findings and scale estimates are the video path's own code: static items from the rest
photo, dynamic items and synkinesis from each task photo against rest. A still photo has no
frame-to-frame jitter to measure its landmark noise from, so moved copies of the rest photo are
landmarked too (:func:`rest_spread`) and stand as further rest postures: the coupling's noise
floor is their spread.

Tasks come from the file names (``rest.jpg``, ``brow_raise.jpg``, ``eye_closure_gentle.jpg``,
... :data:`TASK_FILE_NAMES`; a ``PERSON_`` prefix groups the photos of several people in one
folder) or from a list file (one ``TASK PATH`` per line). A set holds one person. Faces are not
compared for identity (the landmark shape does not tell people apart and the package uses no
face-recognition model), so photos whose names give no task are refused rather than merged.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: File-name stems (and list-file names) of each task; the protocol's own names work as well.
TASK_FILE_NAMES: dict[str, str] = {
    "rest": "rest",
    "brow_raise": "brow_raise",
    "eye_closure_gentle": "gentle_eye_closure",
    "eye_closure_tight": "tight_eye_closure",
    "smile_closed": "closed_smile",
    "smile_open": "big_smile",
    "snarl": "snarl",
    "pucker": "pucker",
    "eee": "eee",
    # the protocol's task names
    "gentle_eye_closure": "gentle_eye_closure",
    "tight_eye_closure": "tight_eye_closure",
    "closed_smile": "closed_smile",
    "big_smile": "big_smile",
}

#: Frames each photo stands for, at :data:`HOLD_RATE_HZ`: longer than the coupling's minimum
#: held duration (0.25 s), so a photo is one held posture.
HOLD_FRAMES = 10
HOLD_RATE_HZ = 30.0
#: Frames between two photos (no face): more than a blink's padding (0.1 s) and pairing offset.
GAP_FRAMES = 4
#: Slightly moved copies of the rest photo landmarked besides it; their spread gives the noise
#: floor (:func:`rest_copies`).
REST_COPIES = 6

class PhotoSetError(ValueError):
    """A photo set that cannot be assessed (the message says why and what to do)."""


@dataclass(frozen=True)
class PhotoSet:
    """The photos of one person, by task.

    Attributes
    ----------
    name : str
        The person's prefix in the file names, or ``"photos"`` when there is none.
    photos : mapping task -> Path
        Protocol task names (``rest``, ``big_smile``...) to photo files; ``rest`` is required.
    """

    name: str
    photos: Mapping[str, Path]

    @property
    def ordered(self) -> list[tuple[str, Path]]:
        """(task, path) in protocol order, rest first."""
        from synkinesis.protocol import TASK_NAMES

        return [(t, self.photos[t]) for t in TASK_NAMES if t in self.photos]


def task_of(name: str) -> tuple[str, str] | None:
    """(person prefix, task) from a file name, or None when it names no task.

    ``rest.jpg`` -> ("", "rest"); ``p07_smile_open.png`` -> ("p07", "big_smile"). Case, dashes
    and spaces are ignored.
    """
    stem = re.sub(r"[-\s]+", "_", Path(name).stem.strip().lower())
    for alias in sorted(TASK_FILE_NAMES, key=len, reverse=True):
        if stem == alias:
            return "", TASK_FILE_NAMES[alias]
        if stem.endswith("_" + alias):
            return stem[: -len(alias) - 1].strip("_"), TASK_FILE_NAMES[alias]
    return None


def _names_hint() -> str:
    return ("name each photo by its task (" + ", ".join(
        f"{alias}.jpg" for alias in list(TASK_FILE_NAMES)[:9])
        + "; PERSON_TASK.jpg for several people) or give a list file of 'TASK PATH' lines")


def _group(pairs: Sequence[tuple[str, str, Path]]) -> list[PhotoSet]:
    """(person, task, path) triples -> one PhotoSet per person; duplicates and a missing rest
    are refused."""
    people: dict[str, dict[str, Path]] = {}
    for person, task, path in pairs:
        tasks = people.setdefault(person, {})
        if task in tasks:
            raise PhotoSetError(
                f"two photos for the task {task}"
                + (f" of {person}" if person else "")
                + f": {tasks[task].name} and {path.name}. A set holds one photo per task of "
                "one person; for several people prefix the file names (PERSON_TASK.jpg)")
        tasks[task] = path
    sets = []
    for person in sorted(people):
        tasks = people[person]
        if "rest" not in tasks:
            raise PhotoSetError(
                f"no rest photo{' for ' + person if person else ''} (rest.jpg): the static items "
                "and every movement are measured against it. Found: "
                + ", ".join(sorted(p.name for p in tasks.values())))
        sets.append(PhotoSet(person or "photos", dict(tasks)))
    return sets


def read_list_file(path: Path) -> list[PhotoSet]:
    """A list file: one ``TASK PATH`` per line (``#`` starts a comment; paths relative to the
    list file's folder). Tasks as in :data:`TASK_FILE_NAMES`. One person."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise PhotoSetError(f"cannot read the list file {path}: {error}") from None
    pairs = []
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise PhotoSetError(f"{path.name} line {number}: expected 'TASK PATH', got {raw!r}")
        alias, file = parts[0].lower().replace("-", "_"), parts[1].strip().strip('"')
        if alias not in TASK_FILE_NAMES:
            raise PhotoSetError(f"{path.name} line {number}: unknown task {parts[0]!r}; tasks "
                                f"are: {', '.join(TASK_FILE_NAMES)}")
        photo = Path(file) if Path(file).is_absolute() else Path(path).parent / file
        if not photo.is_file():
            raise PhotoSetError(f"{path.name} line {number}: {file}: no such file")
        pairs.append(("", TASK_FILE_NAMES[alias], photo))
    if not pairs:
        raise PhotoSetError(f"{path.name} lists no photo ('TASK PATH' lines)")
    return _group(pairs)


def find_photo_sets(source: Path) -> list[PhotoSet]:
    """The photo sets in a folder (tasks from the file names, people from their prefixes) or
    a list file.

    Raises
    ------
    PhotoSetError
        No photos, photos whose names give no task, two photos of one task of one person, or
        no rest photo.
    """
    from synkinesis.landmarks.sources import IMAGE_SUFFIXES

    source = Path(source)
    if source.is_file():
        if source.suffix.lower() in IMAGE_SUFFIXES:
            raise PhotoSetError(f"{source.name} is one photo: --photos takes a folder of the "
                                "set's photos or a list file of 'TASK PATH' lines")
        return read_list_file(source)
    if not source.is_dir():
        raise PhotoSetError(f"{source}: no such folder or list file")
    photos = sorted(p for p in source.iterdir()
                    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not photos:
        raise PhotoSetError(f"{source} holds no photos ({', '.join(IMAGE_SUFFIXES)})")
    return _group(_named_pairs(photos, where=f" in {source.name}"))


def _named_pairs(photos: Sequence[Path], *, where: str = "") -> list[tuple[str, str, Path]]:
    """(person, task, path) of photos named by task (:func:`task_of`); photos whose names
    give no task are refused, all named in the message."""
    pairs, unnamed = [], []
    for photo in photos:
        found = task_of(photo.name)
        if found is None:
            unnamed.append(photo.name)
        else:
            pairs.append((found[0], found[1], photo))
    if unnamed:
        raise PhotoSetError(
            f"{len(unnamed)} photo(s){where} name no task: "
            + ", ".join(unnamed[:6]) + (" ..." if len(unnamed) > 6 else "") + ". "
            + _names_hint())
    return pairs


# ---------------------------------------------------------------------------------------------
# the analysis


@dataclass(frozen=True, eq=False)
class PhotoSetResult:
    """One assessed photo set.

    Attributes
    ----------
    photo_set : PhotoSet
    analysis : synkinesis.analysis.Analysis
    content : dict
        The analysis file's content.
    measurement_path, analysis_path : Path
    identity : mapping
        The one-person check: its method, the largest face distance, the pair and threshold.
    """

    photo_set: PhotoSet
    analysis: Any
    content: Mapping[str, Any]
    measurement_path: Path
    analysis_path: Path
    identity: Mapping[str, Any] = field(default_factory=dict)
    figures: tuple[Path, ...] = ()


def held_recording(measurement: Any, tasks: Sequence[str], *,
                   rest_spread: Mapping[str, np.ndarray] | None = None,
                   hold: int = HOLD_FRAMES, gap: int = GAP_FRAMES, rate_hz: float = HOLD_RATE_HZ
                   ) -> tuple[Any, list[dict[str, Any]], np.ndarray]:
    """A photo-set measurement (one frame per photo, in the order of ``tasks``, rest first) as a
    recording of held postures: each photo ``hold`` identical frames labelled with its task,
    photos ``gap`` frames apart (no face there), so that nothing spreads from one photo into the
    next (a blink's padding, a window).

    ``rest_spread`` (signal column -> (K,) deviations from the rest photo's value, from
    :func:`rest_copies`) adds K more rest postures: the rest photo plus each deviation. The
    rest baseline stays the rest photo's (the deviations are centred) and the noise floor is
    their spread.

    FIT_OUTLIER is not kept: it marks frames whose fit residual is far above the recording's
    typical one, and a photo set's photos are different expressions by design.

    Returns the :class:`synkinesis.recording.Recording`, its guided spans and the measurement
    row (photo) of every frame (-1 in the gaps).
    """
    from synkinesis.analysis import recording_from_measurement
    from synkinesis.quality import FrameFlag
    from synkinesis.recording import Recording

    photo = recording_from_measurement(measurement)
    n = photo.n_frames
    if n != len(tasks) or not tasks or tasks[0] != "rest":
        raise PhotoSetError(f"the measurement holds {n} frames for {len(tasks)} photos, "
                            "rest first")
    spread = {k: np.asarray(v, dtype=float) for k, v in (rest_spread or {}).items()}
    copies = len(next(iter(spread.values()))) if spread else 0
    rows = [0] * (1 + copies) + list(range(1, n))
    labels = ["rest"] * (1 + copies) + list(tasks[1:])
    step = hold + gap
    index = np.full(len(rows) * step - gap, -1)
    posture = np.full(index.size, -1)
    for k, row in enumerate(rows):
        index[k * step: k * step + hold] = row
        posture[k * step: k * step + hold] = k
    held = index >= 0
    take = np.where(held, index, 0)
    time_s = np.arange(index.size) / rate_hz

    def spread_out(values: np.ndarray, fill: float) -> np.ndarray:
        values = np.asarray(values)[take]
        return np.where(held.reshape((-1,) + (1,) * (values.ndim - 1)), values, fill)

    signals = {}
    for name, values in photo.signals.items():
        column = spread_out(np.asarray(values, dtype=float), np.nan)
        if name in spread:
            for c in range(copies):
                column[posture == 1 + c] = float(values[0]) + spread[name][c]
        signals[name] = column
    flags = np.where(held, np.asarray(photo.flags)[take], int(FrameFlag.NO_FACE))
    flags = flags & ~np.int64(int(FrameFlag.FIT_OUTLIER))
    recording = Recording(
        time_s=time_s, signals=signals, flags=flags,
        blendshapes=None if photo.blendshapes is None else spread_out(photo.blendshapes, np.nan),
        blendshape_names=photo.blendshape_names,
        rest_hint=photo.rest_hint,
        rest_hint_frames=held & (index == 0),
    )
    half = 0.5 / rate_hz
    spans = [{"task": task, "start_s": max(k * step / rate_hz - half, 0.0),
              "end_s": (k * step + hold) / rate_hz - half}
             for k, task in enumerate(labels)]
    return recording, spans, index


def rest_spread(rest: Path, options: Any, count: int = REST_COPIES) -> dict[str, np.ndarray]:
    """Signal column -> (count,) deviations of moved copies of the rest photo from their mean
    (:func:`rest_copies`, measured as a photo set of their own with the same options)."""
    from dataclasses import replace

    from synkinesis.measure import measure_images, read_measurement

    with tempfile.TemporaryDirectory(prefix="synkinesis-rest-") as scratch:
        copies = rest_copies(rest, Path(scratch), count)
        output = Path(scratch) / "rest-copies.synk"
        measure_images([rest, *copies], output,
                       options=replace(options, rest_span_s=(0.0, count + 0.5)))
        measurement = read_measurement(output)
    spread = {}
    for name, values in measurement.signals().items():
        values = np.asarray(values, dtype=float)
        spread[name] = values[1:] - np.nanmean(values)
    return spread


def rest_copies(rest: Path, folder: Path, count: int = REST_COPIES) -> list[Path]:
    """``count`` copies of the rest photo shifted by a pixel or scaled by 1 % (PNG, lossless),
    written into ``folder``: landmarked again, their spread is the photo's own landmark noise
    (what a video measures from the jitter of its rest frames)."""
    import cv2

    from synkinesis.landmarks.sources import read_image

    image, _ = read_image(rest)
    height, width = image.shape[:2]
    centre = (width / 2.0, height / 2.0)
    moves = [(1, 0, 1.0), (0, 1, 1.0), (-1, -1, 1.0), (0, 0, 1.01), (0, 0, 0.99), (1, -1, 1.0)]
    paths = []
    for k in range(count):
        dx, dy, scale = moves[k % len(moves)]
        matrix = cv2.getRotationMatrix2D(centre, 0.0, scale)
        matrix[:, 2] += (dx, dy)
        moved = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        path = Path(folder) / f"rest-copy-{k}.png"
        if not cv2.imwrite(str(path), cv2.cvtColor(moved, cv2.COLOR_RGB2BGR)):
            raise PhotoSetError(f"cannot write a copy of the rest photo into {folder}")
        paths.append(path)
    return paths


def assess_photo_set(photo_set: PhotoSet, output_dir: Path, *,
                     measure_options: Any = None, analysis_options: Any = None,
                     keep_paths: bool = False, overwrite: bool = False) -> PhotoSetResult:
    """Measure one person's photo set, analyse it and write
    ``<name>.synk`` and ``<name>.analysis.json`` into ``output_dir``.

    Raises
    ------
    PhotoSetError
        No face in the rest photo.
    synkinesis.analysis.AnalysisError, synkinesis.measure.MeasureError, ...
        As ``synk analyze``.
    """
    from dataclasses import replace

    from synkinesis.analysis import (
        SUFFIX,
        AnalysisOptions,
        analysis_to_dict,
        analyze_recording,
        source_info,
        write_analysis,
    )
    from synkinesis.files import check_output_path, make_private_dir
    from synkinesis.measure import MeasureOptions, measure_images, read_measurement
    from synkinesis.measure.result_file import SUFFIX as MEASURE_SUFFIX

    measure_options = measure_options or MeasureOptions()
    analysis_options = analysis_options or AnalysisOptions()
    ordered = photo_set.ordered
    tasks = [t for t, _ in ordered]
    paths = [p for _, p in ordered]
    output_dir = Path(output_dir)
    make_private_dir(output_dir)
    synk = output_dir / (photo_set.name + MEASURE_SUFFIX)
    analysis_path = output_dir / (photo_set.name + SUFFIX)
    for target in (synk, analysis_path):
        check_output_path(target, inputs=paths, overwrite=overwrite)
    # The rest photo (first) is the measure step's rest: its resting levels and refinements.
    options = replace(measure_options, keep_paths=keep_paths, rest_span_s=(0.0, 0.5))
    measure_images(paths, synk, options=options)
    measurement = read_measurement(synk, landmarks=True)

    landmarks = measurement.load_landmarks()
    seen = np.isfinite(landmarks).all(axis=(1, 2))
    if not seen[0]:
        synk.unlink(missing_ok=True)
        raise PhotoSetError(f"no face found in the rest photo {paths[0].name}: the static items "
                            "and every movement are measured against it")
    # Faces are not compared for identity: the one model the package uses is MediaPipe's
    # landmarker, and its landmark shape does not tell two people apart (docs/photos.md). One
    # person per set rests on the naming (find_photo_sets), and the result says so.
    identity: dict[str, Any] = {"checked": False,
                                "reason": "faces are not compared; one person per set is "
                                          "taken from the file naming"}
    spread = rest_spread(paths[0], options)
    recording, spans, index = held_recording(measurement, tasks, rest_spread=spread)
    # A video's minimum length and usable frames are one photo here: the rest photo alone
    # gives the static items.
    analysis_options = replace(analysis_options, min_duration_s=HOLD_FRAMES / HOLD_RATE_HZ,
                               min_usable_frames=HOLD_FRAMES)
    analysis = analyze_recording(recording, spans=spans, options=analysis_options)
    missed = [paths[k].name for k in range(len(tasks)) if not seen[k]]
    from synkinesis.quality import FrameFlag

    outliers = [paths[k].name for k, f in enumerate(measurement.frames["flags"])
                if int(f) & int(FrameFlag.FIT_OUTLIER)]
    extra = [f"photo set: no face found in {', '.join(missed)} (not analysed)"] if missed else []
    extra.append(f"photo set: each photo is one held posture (a single instant, where a video "
                 f"needs a movement held {analysis_options.coupling.min_duration_s:g} s); the "
                 f"noise floor comes from {REST_COPIES} slightly moved copies of the rest photo")
    if outliers:
        extra.append(f"photo set: {', '.join(outliers)} fit the face model less well than the "
                     "other photos (FIT_OUTLIER); kept, as a set's photos differ by design: "
                     "check them for a hand or hair over the face")
    analysis = replace(analysis, warnings=(*analysis.warnings, *extra))
    source = {**source_info(measurement, keep_paths=keep_paths), "spans_source": "photo set",
              "photo_set": {"name": photo_set.name,
                            "photos": {t: (str(p) if keep_paths else p.name)
                                       for t, p in ordered},
                            "hold_frames": HOLD_FRAMES, "hold_rate_hz": HOLD_RATE_HZ,
                            "identity": identity}}
    content = analysis_to_dict(analysis, source=source, options=analysis_options,
                               frame_numbers=index)
    write_analysis(analysis_path, content)
    return PhotoSetResult(photo_set, analysis, content, synk, analysis_path, identity)


def photo_sets_of(photos: Mapping[str, Any] | Sequence[Any]) -> list[PhotoSet]:
    """The photo sets of photos given in Python: a mapping task -> photo (one person; tasks as
    in :data:`TASK_FILE_NAMES`), or a list of photos named by task as in a folder
    (:func:`task_of`; a ``PERSON_`` prefix splits people).

    Raises
    ------
    PhotoSetError
        An unknown task, a photo that is not a file or names no task, two photos of one task,
        or no rest photo.
    """
    pairs: list[tuple[str, str, Path]] = []
    if isinstance(photos, Mapping):
        for alias, photo in photos.items():
            task = TASK_FILE_NAMES.get(str(alias).strip().lower().replace("-", "_"))
            if task is None:
                raise PhotoSetError(f"unknown task {alias!r}; tasks are: "
                                    f"{', '.join(TASK_FILE_NAMES)}")
            pairs.append(("", task, Path(photo)))
    else:
        pairs = _named_pairs([Path(photo) for photo in photos])
    if not pairs:
        raise PhotoSetError("no photos given")
    missing = [str(path) for _, _, path in pairs if not path.is_file()]
    if missing:
        raise PhotoSetError(f"{', '.join(missing[:6])}: no such file")
    return _group(pairs)


def assess_photo_sets(sets: Sequence[PhotoSet], output_dir: Path, **options: Any
                      ) -> list[PhotoSetResult]:
    """Assess each of ``sets`` into ``output_dir`` as ``<person>.synk`` and
    ``<person>.analysis.json``; ``options`` as :func:`assess_photo_set`. Every set's outputs
    are checked before any is measured."""
    from synkinesis.analysis import SUFFIX
    from synkinesis.files import check_output_path
    from synkinesis.measure.result_file import SUFFIX as MEASURE_SUFFIX

    for photo_set in sets:
        for suffix in (MEASURE_SUFFIX, SUFFIX):
            check_output_path(Path(output_dir) / (photo_set.name + suffix),
                              inputs=list(photo_set.photos.values()),
                              overwrite=bool(options.get("overwrite", False)))
    return [assess_photo_set(photo_set, output_dir, **options) for photo_set in sets]


def assess_photos(source: Path, output_dir: Path, **options: Any) -> list[PhotoSetResult]:
    """Every photo set in a folder or list file (:func:`find_photo_sets`: one per person
    prefix), each assessed into ``output_dir`` as ``<person>.synk`` and
    ``<person>.analysis.json`` (``photos.*`` without a prefix). ``options`` as
    :func:`assess_photo_set`. Every set's names, rest photo and outputs are checked before any
    is measured.
    """
    return assess_photo_sets(find_photo_sets(Path(source)), output_dir, **options)
