"""The manifest is read and written in one place, and an older file is upgraded on read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synkinesis.measure import BLENDSHAPE_NAMES, read_measurement
from synkinesis.measure.manifest import (
    FORMAT_VERSION,
    Manifest,
    Rest,
    ResultFileError,
    rest_rows,
    upgrade,
)
from synkinesis.quality import FrameFlag


def test_rest_rows_are_runs_of_the_mask_and_give_it_back():
    mask = np.array([True, True, False, False, True, False, True, True, True])
    rows = rest_rows(mask)
    assert rows == ((0, 2), (4, 5), (6, 9))
    rest = Rest(method="given span", frames=6, reference={}, rows=rows)
    np.testing.assert_array_equal(rest.mask(mask.size), mask)
    assert Rest(method="?", frames=0, reference={}, rows=None).mask(9) is None
    assert rest_rows(np.zeros(3, dtype=bool)) == ()


def test_a_result_stores_its_rest_frames_and_reads_back_the_same_manifest(
        single_face_measurement):
    manifest = single_face_measurement.manifest
    assert manifest.file_format_version == FORMAT_VERSION and manifest.upgraded_from is None
    mask = manifest.rest.mask(single_face_measurement.n_frames)
    assert mask is not None and int(mask.sum()) == manifest.rest.frames
    flags = single_face_measurement.frames["flags"]
    assert ((flags[mask] & (FrameFlag.EYE_CLOSED_LEFT | FrameFlag.EYE_CLOSED_RIGHT)) == 0).all()
    again = Manifest.from_dict(json.loads(json.dumps(manifest.to_dict())))
    assert again == manifest


def test_a_format_1_file_gets_the_rest_frames_its_rule_chose(single_face_measurement,
                                                             tmp_path, rewritten):
    def as_version_1(manifest):
        del manifest["rest"]["rows"]
        return {**manifest, "format_version": 1}

    old = read_measurement(rewritten(single_face_measurement.path, tmp_path / "v1.synk",
                                      as_version_1))
    assert old.manifest.upgraded_from == 1 and old.manifest.file_format_version == 1
    assert old.manifest.rest.rows == single_face_measurement.manifest.rest.rows
    assert old.manifest.rest == single_face_measurement.manifest.rest


def _version_1(rest):
    return {"format": "synkinesis.measure", "format_version": 1, "rest": rest,
            "blendshape_names": list(BLENDSHAPE_NAMES)}


def test_upgrade_replays_version_1s_rules():
    n = 6
    t = np.arange(n) / 10.0
    flags = np.zeros(n, dtype=np.int64)
    flags[1] = FrameFlag.HIDDEN_RIGHT  # rest had both halves seen
    flags[2] = FrameFlag.EYE_CLOSED_LEFT
    flags[5] = FrameFlag.NO_FACE
    blend = np.zeros((n, len(BLENDSHAPE_NAMES)), dtype=np.float32)
    blend[:, BLENDSHAPE_NAMES.index("jawOpen")] = [0.1, 0.0, 0.0, 0.2, 0.5, 0.0]
    span, version = upgrade(_version_1({"method": "given span", "span_s": [0.0, 0.35]}),
                            time_s=t, flags=flags, blendshapes=blend)
    assert version == 1 and span["format_version"] == FORMAT_VERSION
    assert span["rest"]["rows"] == [[0, 1], [2, 4]]
    quiet, _ = upgrade(_version_1({"method": "quietest", "max_activity": 0.25}), time_s=t,
                       flags=flags, blendshapes=blend)
    assert quiet["rest"]["rows"] == [[0, 1], [3, 4]]
    unknown, _ = upgrade(_version_1({"method": "quietest"}), time_s=t, flags=flags,
                         blendshapes=blend)
    assert unknown["rest"]["rows"] is None
    current = {"format_version": FORMAT_VERSION, "rest": {"rows": [[4, 5]]}}
    assert upgrade(current, time_s=t, flags=flags, blendshapes=blend) == (current,
                                                                            FORMAT_VERSION)


def test_a_manifest_without_its_sections_is_a_damaged_file():
    with pytest.raises(ResultFileError, match="lacks a section"):
        Manifest.from_dict({"format_version": FORMAT_VERSION, "rest": {}})


def test_a_result_states_the_smallest_change_it_resolves_per_region(single_face_measurement,
                                                                    tmp_path, rewritten):
    measurement = single_face_measurement
    resolution = measurement.manifest.resolution
    assert resolution is not None
    # single_face: a small face in a 1280x720 frame, its iris about 14 px (1.2 px per mm).
    assert 1.0 < resolution.px_per_mm < 1.5
    for region in ("brow", "eye", "nasolabial", "mouth_corner", "upper_lip", "lower_lip",
                   "chin"):
        value = measurement.resolvable_change_mm(region)
        assert value is not None
        assert value >= resolution.pixel_floor_px / resolution.px_per_mm - 1e-3  # rounded
    assert measurement.resolvable_change_mm("neck") is None

    def without(manifest):  # a file written before issue 18
        manifest.pop("resolution")
        return manifest

    older = read_measurement(rewritten(measurement.path, tmp_path / "older.synk", without))
    assert older.manifest.resolution is None and older.resolvable_change_mm("eye") is None
