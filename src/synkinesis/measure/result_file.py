"""The measure result file: self-describing, versioned, read by every later stage.

A result file (``.synk``) is a zip archive:

``manifest.json``
    a :class:`synkinesis.measure.manifest.Manifest`: format name and version, package
    version, landmark engine and model sha256, input and video information, options, scale
    calibration, rest frames and reference, column definitions, flag definitions, summary
    counts.
``frames.npy``
    one row per frame, as one NumPy structured array whose fields are the columns: frame
    index, time (s), source file (photos, fixed-width unicode), quality flags, number of
    faces, and every region signal (mm, mm², degrees, ratios; side from the patient's view).
    Read with ``allow_pickle=False``: plain numbers and text, no Python objects. (Format
    versions 1 and 2 kept this table as ``frames.parquet``, read when pyarrow is installed.)
``landmarks.npy``
    (N, 478, 3) float32 landmarks in image pixels (NaN where no face); stored uncompressed and
    written from a spool so that memory does not grow with the recording.
``pose.npy``
    (N, 14) head pose per frame (see :class:`synkinesis.normalize.HeadPose`).
``blendshapes.npy``
    (N, 52) float32 expression coefficients, names in the manifest.

Format history: :mod:`synkinesis.measure.manifest` (older files are upgraded on read).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis.files import atomic_output
from synkinesis.measure.manifest import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Manifest,
    ResultFileError,
    upgrade,
)

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MEMBERS", "SUFFIX", "LandmarkSpool", "Measurement",
           "ResultFileError", "read_measurement", "signals_table", "write_measurement",
           "write_signals_csv"]

SUFFIX = ".synk"


@dataclass
class Measurement:
    """A measured recording (what ``synk measure`` writes and ``synk analyze`` reads).

    Attributes
    ----------
    manifest : Manifest
    frames : dict of column -> (N,) array
        ``frame``, ``time_s``, ``source``, ``flags``, ``n_faces`` and the signal columns.
    pose : (N, 14) float64 array
    blendshapes : (N, B) float32 array
    landmarks_px : (N, 478, 3) float32 array or None (loaded on demand)
    """

    manifest: Manifest
    frames: dict[str, np.ndarray]
    pose: np.ndarray
    blendshapes: np.ndarray
    landmarks_px: np.ndarray | None = None
    path: Path | None = field(default=None, compare=False)

    @property
    def n_frames(self) -> int:
        return int(self.frames["time_s"].shape[0])

    @property
    def signal_names(self) -> list[str]:
        return self.manifest.signal_names

    def signals(self) -> dict[str, np.ndarray]:
        return {name: self.frames[name] for name in self.signal_names}

    def resolvable_change_mm(self, region: str) -> float | None:
        """The smallest change (mm) this recording resolves in ``region`` (a name of
        :data:`synkinesis.regions.REGIONS`), from its pixels per mm and rest noise; None when
        not measured there or for a file written before it was recorded
        (:class:`synkinesis.measure.manifest.Resolution`)."""
        return self.manifest.resolvable_change_mm(region)

    def to_dataframe(self, decode_flags: bool = True):
        """The per-frame table as a ``pandas.DataFrame`` (needs the ``research`` extra).

        With ``decode_flags`` (default) as :func:`signals_table` gives it: one boolean column
        per quality flag after the ``flags`` bitmask, landmark sources as names, a side not
        measured in a frame as NaN. Without, the columns exactly as the result file stores
        them (flags as the bitmask, sources as codes).
        """
        _require_pandas()
        import pandas as pd

        return pd.DataFrame(signals_table(self, decode=decode_flags))

    def load_landmarks(self) -> np.ndarray:
        """(N, 478, 3) float32 landmarks in pixels, read from the file on first use."""
        if self.landmarks_px is None:
            if self.path is None:
                raise ResultFileError("this measurement has no landmarks and no file to read")
            try:
                with zipfile.ZipFile(self.path) as archive, \
                        archive.open("landmarks.npy") as handle:
                    landmarks = np.lib.format.read_array(handle, allow_pickle=False)
            except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
                raise ResultFileError(f"{self.path}: the landmarks cannot be read "
                                      f"({type(error).__name__}: {error})") from None
            if landmarks.shape != (self.n_frames, 478, 3):
                raise ResultFileError(f"{self.path}: landmarks.npy holds {landmarks.shape}, "
                                      f"expected ({self.n_frames}, 478, 3)")
            self.landmarks_px = landmarks
        return self.landmarks_px


class LandmarkSpool:
    """Append-only float32 landmark store on disk (bounded memory while measuring)."""

    def __init__(self, directory: Path) -> None:
        handle, name = tempfile.mkstemp(prefix=".landmarks-", suffix=".f32", dir=directory)
        os.close(handle)
        self.path = Path(name)
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self.count = 0

    def append(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype="<f4")
        self._file.write(block.tobytes())
        self.count += block.shape[0]

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _frames_npy_bytes(frames: dict[str, np.ndarray]) -> bytes:
    """The per-frame columns as one structured array (text as fixed-width unicode)."""
    columns = {name: _storable(np.asarray(values)) for name, values in frames.items()}
    n = len(next(iter(columns.values()))) if columns else 0
    table = np.empty(n, dtype=[(name, values.dtype) for name, values in columns.items()])
    for name, values in columns.items():
        table[name] = values
    return _npy_bytes(table)


def _storable(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:  # file names: Python strings -> '<U<longest>'
        return values.astype(str) if len(values) else values.astype("<U1")
    return values


def _frames_from_npy(data: bytes) -> dict[str, np.ndarray]:
    table = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    if table.ndim != 1 or table.dtype.names is None:
        raise ValueError(f"frames.npy holds a {table.shape} {table.dtype} array, expected "
                         "one row per frame with named columns")
    # text back to Python strings, as the measure step made them (and as pandas keeps text)
    return {name: table[name].astype(object) if table.dtype[name].kind == "U"
            else table[name].copy() for name in table.dtype.names}


def _frames_from_parquet(path: Path, data: bytes) -> dict[str, np.ndarray]:
    """The per-frame table of a format 1 or 2 file (Parquet), which needs pyarrow."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ResultFileError(
            f"{path}: an older result file (format version 1 or 2) keeps its frames as "
            "Parquet, which needs pyarrow: pip install 'synkinesis[research]' (or measure "
            "the recording again)") from None
    # Single-threaded: the table is small, and an Arrow thread pool left alive at exit
    # aborted the interpreter ("terminate called ...") after a process pool ran.
    table = pq.read_table(io.BytesIO(data), use_threads=False)
    return {name: table.column(name).to_numpy(zero_copy_only=False)
            for name in table.column_names}


def _npy_bytes(array: np.ndarray) -> bytes:
    sink = io.BytesIO()
    np.lib.format.write_array(sink, np.ascontiguousarray(array), allow_pickle=False)
    return sink.getvalue()


def write_measurement(
    path: Path,
    *,
    manifest: Manifest,
    frames: dict[str, np.ndarray],
    pose: np.ndarray,
    blendshapes: np.ndarray,
    landmark_spool: Path,
    n_frames: int,
) -> Path:
    """Write a result file atomically; the landmarks are copied from the spool file."""
    try:
        _write_archive(path, manifest=manifest.to_dict(), frames=frames, pose=pose,
                       blendshapes=blendshapes, landmark_spool=landmark_spool, n_frames=n_frames)
    except OSError as error:  # a full disk, a folder made read-only meanwhile: name the output
        raise OSError(error.errno, error.strerror, str(path)) from None
    return path


def _write_archive(path: Path, *, manifest: dict[str, Any], frames: dict[str, np.ndarray],
                   pose: np.ndarray, blendshapes: np.ndarray, landmark_spool: Path,
                   n_frames: int) -> None:
    with atomic_output(path) as temporary:
        with zipfile.ZipFile(temporary, "w", allowZip64=True) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, default=_json_default),
                             compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("frames.npy", _frames_npy_bytes(frames),
                             compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("pose.npy", _npy_bytes(pose), compress_type=zipfile.ZIP_DEFLATED)
            archive.writestr("blendshapes.npy", _npy_bytes(blendshapes),
                             compress_type=zipfile.ZIP_DEFLATED)
            header = io.BytesIO()
            shape = (n_frames, 478, 3)
            np.lib.format.write_array_header_1_0(
                header, {"descr": "<f4", "fortran_order": False, "shape": shape})
            with archive.open("landmarks.npy", "w", force_zip64=True) as member, open(
                landmark_spool, "rb"
            ) as spool:
                member.write(header.getvalue())
                for block in iter(lambda: spool.read(1 << 22), b""):
                    member.write(block)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in the manifest")


def read_measurement(path: Path, *, landmarks: bool = False) -> Measurement:
    """Read a result file written by :func:`write_measurement`.

    Raises ResultFileError for a file that is not a measure result or is of a newer format.
    Files of format 1 and 2 (frames as Parquet) need pyarrow (the ``research`` extra).
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ResultFileError(f"{path}: not a synkinesis result file ({exc})") from None
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except (KeyError, ValueError, OSError, zipfile.BadZipFile):
            raise ResultFileError(f"{path}: not a synkinesis result file (no readable "
                                  "manifest.json)") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            found = manifest.get("format") if isinstance(manifest, dict) else manifest
            raise ResultFileError(f"{path}: a {found!r} file, expected {FORMAT_NAME!r}")
        version = manifest.get("format_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ResultFileError(f"{path}: format_version must be a whole number >= 1, got "
                                  f"{version!r}")
        if version > FORMAT_VERSION:
            raise ResultFileError(
                f"{path}: format version {version} is newer than this program reads "
                f"({FORMAT_VERSION}); upgrade synkinesis")
        members = MEMBERS if version >= 3 else _PARQUET_MEMBERS
        missing = [name for name in members if name not in archive.namelist()]
        if missing:
            raise ResultFileError(f"{path}: a damaged result file (no {', '.join(missing)}; "
                                  f"a result holds {', '.join(members)})")
        frames_member = members[1]
        try:
            data = archive.read(frames_member)
            frames = (_frames_from_npy(data) if version >= 3
                      else _frames_from_parquet(path, data))
            pose = np.load(io.BytesIO(archive.read("pose.npy")), allow_pickle=False)
            blendshapes = np.load(io.BytesIO(archive.read("blendshapes.npy")),
                                  allow_pickle=False)
        except ResultFileError:
            raise
        except Exception as error:  # noqa: BLE001 - any damage in a member is the file's
            raise ResultFileError(f"{path}: a damaged result file ({type(error).__name__}: "
                                  f"{error})") from None
    _check_arrays(path, frames, pose, blendshapes)
    raw, version = upgrade(manifest, time_s=frames["time_s"], flags=frames["flags"],
                           blendshapes=blendshapes)
    try:
        typed = Manifest.from_dict(raw, upgraded_from=version if version < FORMAT_VERSION
                                   else None)
    except ResultFileError as error:
        raise ResultFileError(f"{path}: a damaged result file ({error})") from None
    missing = [name for name in typed.signal_names if name not in frames]
    if missing:
        raise ResultFileError(f"{path}: a damaged result file (signals {', '.join(missing[:3])} "
                              f"listed in the manifest are not in {frames_member})")
    measurement = Measurement(manifest=typed, frames=frames, pose=pose,
                              blendshapes=blendshapes, path=path)
    if landmarks:
        measurement.load_landmarks()
    return measurement


#: The members of a result file.
MEMBERS = ("manifest.json", "frames.npy", "landmarks.npy", "pose.npy", "blendshapes.npy")
#: ... of format versions 1 and 2.
_PARQUET_MEMBERS = ("manifest.json", "frames.parquet", "landmarks.npy", "pose.npy",
                    "blendshapes.npy")


def _check_arrays(path: Path, frames: dict[str, np.ndarray], pose: np.ndarray,
                  blendshapes: np.ndarray) -> None:
    """The arrays of a result agree with each other: one row per frame everywhere."""
    if "time_s" not in frames or "flags" not in frames:
        raise ResultFileError(f"{path}: a damaged result file (the frames table has no "
                              "time_s or flags column)")
    n = frames["time_s"].shape[0]
    if pose.ndim != 2 or pose.shape[0] != n or blendshapes.ndim != 2 or blendshapes.shape[0] != n:
        raise ResultFileError(f"{path}: a damaged result file ({n} frames, but pose "
                              f"{pose.shape} and blendshapes {blendshapes.shape})")


def _require_pandas() -> None:
    """pandas is the ``research`` extra's: say how to install it when it is missing."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise ImportError("a DataFrame needs pandas, which the research extra installs: "
                          "pip install 'synkinesis[research]'") from None


def signals_table(measurement: Measurement, *, decode: bool = True) -> dict[str, np.ndarray]:
    """The per-frame table as others read it: column name -> (N,) NumPy array, in order.

    ``pandas.DataFrame(table)`` (what :meth:`Measurement.to_dataframe` does) or
    ``pyarrow.table(table)`` take it as it is. Columns as in the result file, except: after
    the ``flags`` bitmask, one boolean column per quality flag (``flag_NO_FACE``,
    ``flag_BLINK_LEFT``, ...); the landmark sources as names (``plain``,
    ``composite+lid-edges``, ...) instead of codes. A missing value (a side not measured in
    that frame) is NaN in the float columns; the CSV leaves it empty. ``decode=False``: the
    columns as stored.
    """
    from synkinesis.landmarks.composite import SOURCE_NAMES
    from synkinesis.quality import FrameFlag

    columns: dict[str, np.ndarray] = {}
    for name, values in measurement.frames.items():
        values = np.asarray(values)
        if decode and name.startswith("landmark_source_"):
            values = np.array([SOURCE_NAMES.get(int(code), str(int(code))) for code in values],
                              dtype=object)
        columns[name] = values
        if decode and name == "flags":
            flags = values.astype(np.int64)
            for flag in FrameFlag:
                columns[f"flag_{flag.name}"] = (flags & int(flag)) != 0
    return columns


class _Bare(str):
    """A CSV cell written as it is: under ``QUOTE_NONNUMERIC`` the csv module quotes what is
    not a number, and a ``str`` with ``__float__`` counts as one. Numbers, ``true``/``false``
    and empty (missing) cells are bare; text cells (file and source names) are quoted."""

    def __float__(self) -> float:
        text = str(self)
        return {"true": 1.0, "false": 0.0, "": float("nan")}.get(text) or float(text)


_TRUE, _FALSE, _EMPTY = _Bare("true"), _Bare("false"), _Bare("")


def _float_cell(value: np.floating) -> str:
    """The shortest text that reads back as the same float32/float64 (as Arrow's CSV writer
    gave it: plain from 1e-6 to below 1e10, else ``1.5e+16``/``2.5e-7``; ``0``, ``-0``)."""
    if np.isnan(value):
        return _EMPTY
    if np.isinf(value):
        return _Bare("inf" if value > 0 else "-inf")
    if value == 0:
        return _Bare("-0" if np.signbit(value) else "0")
    mantissa, exponent_text = np.format_float_scientific(value, unique=True, trim="-").split("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "")
    exponent = int(exponent_text)
    if -6 <= exponent < 10:
        point = exponent + 1
        if point <= 0:
            text = "0." + "0" * -point + digits
        elif point >= len(digits):
            text = digits + "0" * (point - len(digits))
        else:
            text = digits[:point] + "." + digits[point:]
    else:
        text = digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + "e" + \
            ("+" if exponent > 0 else "-") + str(abs(exponent))
    return _Bare(sign + text)


def _csv_cells(values: np.ndarray) -> list[str]:
    kind = values.dtype.kind
    if kind == "b":
        return [_TRUE if value else _FALSE for value in values]
    if kind in "iu":
        return [_Bare(value) for value in values.tolist()]
    if kind == "f":
        return [_float_cell(value) for value in values]
    return [_EMPTY if value is None else str(value) for value in values.tolist()]


def write_signals_csv(measurement: Measurement, path: Path) -> Path:
    """Export the per-frame table (:func:`signals_table`) as CSV, atomically: named flag
    columns, sources as names, empty cells for missing values; column names and text
    quoted, numbers in their shortest exact form."""
    table = signals_table(measurement)
    cells = [_csv_cells(values) for values in table.values()]
    with atomic_output(path) as temporary, open(temporary, "w", newline="",
                                                encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        writer.writerow(list(table))
        writer.writerows(zip(*cells, strict=True))
    return path
