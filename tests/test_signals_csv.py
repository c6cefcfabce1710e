"""The per-frame CSV is readable by others: named flag columns, source names, empty cells."""

from __future__ import annotations

import csv
from types import SimpleNamespace

import numpy as np

from synkinesis.measure import Measurement, write_signals_csv
from synkinesis.quality import FrameFlag


def _measurement() -> Measurement:
    frames = {
        "frame": np.array([0, 1, 2]),
        "time_s": np.array([0.0, 0.04, 0.08]),
        "flags": np.array([0, int(FrameFlag.BLINK_LEFT | FrameFlag.HIDDEN_RIGHT),
                           int(FrameFlag.NO_FACE)]),
        "n_faces": np.array([1, 1, 0]),
        "palpebral_fissure_left_mm": np.array([9.5, 3.0, np.nan], dtype=np.float32),
        "landmark_source_left": np.array([5, 2, 0], dtype=np.int8),
    }
    # the table is the frames alone: a manifest naming the signal is enough
    manifest = SimpleNamespace(signal_names=["palpebral_fissure_left_mm"])
    return Measurement(manifest=manifest, frames=frames, pose=np.zeros((3, 14)),
                       blendshapes=np.zeros((3, 52), dtype=np.float32))


def test_csv_names_flags_and_sources_and_leaves_missing_cells_empty(tmp_path):
    path = write_signals_csv(_measurement(), tmp_path / "m.csv")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[1]["flag_BLINK_LEFT"] == "true" and rows[1]["flag_HIDDEN_RIGHT"] == "true"
    assert rows[1]["flag_NO_FACE"] == "false" and rows[2]["flag_NO_FACE"] == "true"
    assert [r["landmark_source_left"] for r in rows] == [
        "composite+lid-and-corner-edges", "composite", "none"]
    assert rows[2]["palpebral_fissure_left_mm"] == ""
    assert "nan" not in path.read_text().lower()
    assert float(rows[0]["palpebral_fissure_left_mm"]) == 9.5
