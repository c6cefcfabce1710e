"""Where results go and what a run tells its user: output paths (one per input, never two on
one path), the output folder checked before any frame is landmarked, what a result records
about its input files, and the summary ``synk measure`` prints."""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from synkinesis.landmarks.sources import expand_inputs
from synkinesis.measure.result_file import SUFFIX, Measurement
from synkinesis.regions import SIDES
from synkinesis.signals import signal_name


def prepare_output(output: Path) -> Path:
    """Make the output's folder (private, 0700, if it is new) and check that a file can be
    written there, before any frame is landmarked.

    Raises
    ------
    OSError
        Naming ``output``: its folder cannot be made or written (read-only, a file where a
        folder should be, no space).
    """
    from synkinesis.files import make_private_dir

    output = Path(output)
    try:
        make_private_dir(output.parent)
        with tempfile.TemporaryFile(dir=output.parent):
            pass
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(output)) from None
    return output


def output_path_for(input_path: Path, output: Path | None, *, many: bool) -> Path:
    """Where the result of one input goes: OUT itself, or OUT/<input stem>.synk."""
    if output is None:
        return input_path.with_suffix(SUFFIX)
    if many or output.is_dir() or output.suffix == "":
        return output / (input_path.stem + SUFFIX)
    return output


def file_sha256(path: Path) -> str:
    """The sha256 of a file's content, read in blocks (memory does not grow with its size)."""
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def describe_files(paths: list[Path], *, keep_paths: bool) -> dict[str, Any]:
    """What a result stores about its input files: their names (full paths only with
    ``keep_paths``) and content sha256, which identifies a file wherever it is moved or
    whatever it is renamed to, without a folder name that may carry a user's or patient's
    name."""
    return {"files": [str(p) if keep_paths else Path(p).name for p in paths],
            "sha256": [file_sha256(Path(p)) for p in paths]}


def plan_outputs(inputs: list[Path], output: Path | None) -> list[tuple[str, str, Path]]:
    """(kind, input(s), output path) for each result ``synk measure`` will write.

    Each video gives one result; all photos together give one photo-set result.
    """
    videos, images = expand_inputs(inputs)
    many = len(videos) + (1 if images else 0) > 1
    jobs: list[tuple[str, str, Path]] = []
    for video in videos:
        jobs.append(("video", str(video), output_path_for(video, output, many=many)))
    if images:
        base = images[0] if len(images) == 1 else images[0].parent / "photos"
        jobs.append(("images", os.pathsep.join(map(str, images)),
                     output_path_for(base, output, many=many)))
    # Two inputs with the same name (from different folders) must not overwrite each other.
    seen: set[Path] = set()
    unique = []
    for kind, source, path in jobs:
        candidate, number = path, 2
        while candidate in seen:
            candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
            number += 1
        seen.add(candidate)
        unique.append((kind, source, candidate))
    return unique


def summarise_measurement(measurement: Measurement) -> dict[str, Any]:
    """Figures a clinician reads first: frames, scale, rest values per side, movement ranges."""
    manifest = measurement.manifest
    signals = measurement.signals()
    rows = []
    for quantity in ("brow_height", "palpebral_fissure", "nasolabial_length", "mouth_corner_y",
                     "mouth_corner_excursion", "chin_height"):
        row: dict[str, Any] = {"signal": quantity}
        for side in SIDES:
            name = signal_name(quantity, side)
            values = signals[name]
            finite = values[np.isfinite(values)]
            row[f"rest_{side}"] = manifest.rest.reference.get(name)
            row[f"range_{side}"] = (float(np.percentile(finite, 95) - np.percentile(finite, 5))
                                    if finite.size else float("nan"))
        rows.append(row)
    return {
        "frames": asdict(manifest.frames),
        "scale": asdict(manifest.scale),
        "flag_counts": {k: v for k, v in manifest.flag_counts.items() if v},
        "interpupil_mm": float(np.nanmedian(signals["interpupil_mm"])),
        "rest": manifest.rest.to_dict(with_rows=False),
        "rows": rows,
    }
