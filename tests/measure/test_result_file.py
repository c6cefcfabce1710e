"""The result file's per-frame table without pyarrow (format 3: ``frames.npy``), older files
(format 2: ``frames.parquet``) still read with pyarrow and refused with the extra named without
it, and the CSV cell for cell as Arrow's writer gave it."""

from __future__ import annotations

import io
import json
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synkinesis.measure import (
    FORMAT_VERSION,
    ResultFileError,
    read_measurement,
    write_signals_csv,
)
from synkinesis.measure.result_file import _float_cell


def _arrow_table(measurement):
    """The frames table as format 2's ``signals_table`` built it (kept here as the reference):
    pyarrow, flags decoded, sources as names, missing values as nulls."""
    import pyarrow as pa

    from synkinesis.landmarks.composite import SOURCE_NAMES
    from synkinesis.quality import FrameFlag

    columns = {}
    for name, values in measurement.frames.items():
        values = np.asarray(values)
        if name.startswith("landmark_source_"):
            columns[name] = pa.array([SOURCE_NAMES.get(int(code), str(int(code)))
                                      for code in values])
        elif values.dtype.kind == "f":
            columns[name] = pa.array(values, mask=np.isnan(values))
        else:
            columns[name] = pa.array(values.tolist() if values.dtype == object else values)
        if name == "flags":
            for flag in FrameFlag:
                columns[f"flag_{flag.name}"] = pa.array((values.astype(np.int64)
                                                         & int(flag)) != 0)
    return pa.table(columns)


def _as_format_2(manifest):
    return {**manifest, "format_version": 2}


@pytest.fixture(scope="module")
def photos(media, tmp_path_factory):
    """Two photos measured: a ``source`` (text) column and a frame with no signals."""
    import synkinesis

    target = tmp_path_factory.mktemp("photos") / "photos.synk"
    return synkinesis.measure_recording([media / "single_face.jpg",
                                         media / "45-m7-di-ph.jpg"], save_to=target)


def test_frames_are_one_structured_array_read_without_pickle(photos):
    with zipfile.ZipFile(photos.path) as archive:
        assert "frames.parquet" not in archive.namelist()
        table = np.lib.format.read_array(io.BytesIO(archive.read("frames.npy")),
                                         allow_pickle=False)
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format_version"] == FORMAT_VERSION == 3
    assert table.shape == (2,) and list(table.dtype.names) == list(photos.frames)
    assert table.dtype["source"].kind == "U"  # text as fixed-width unicode, no objects
    assert list(table["source"]) == ["single_face.jpg", "45-m7-di-ph.jpg"]
    again = read_measurement(photos.path)
    assert again.frames["source"].dtype == object  # back to Python strings
    for name, values in photos.frames.items():
        assert again.frames[name].dtype == values.dtype, name
        np.testing.assert_array_equal(again.frames[name], values)


def test_a_format_2_file_reads_the_same_with_pyarrow(single_face_measurement, tmp_path,
                                                     rewritten):
    old = read_measurement(rewritten(single_face_measurement.path, tmp_path / "v2.synk",
                                     _as_format_2))
    with zipfile.ZipFile(old.path) as archive:
        assert "frames.parquet" in archive.namelist() and "frames.npy" not in archive.namelist()
    assert old.manifest.file_format_version == 2
    assert list(old.frames) == list(single_face_measurement.frames)
    for name, values in single_face_measurement.frames.items():
        np.testing.assert_array_equal(old.frames[name], values)
        assert old.frames[name].dtype == values.dtype, name


def test_a_format_2_file_without_pyarrow_names_the_extra(single_face_measurement, tmp_path,
                                                         monkeypatch, rewritten):
    path = rewritten(single_face_measurement.path, tmp_path / "v2.synk", _as_format_2)
    for module in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, module, None)  # import now raises ImportError
    with pytest.raises(ResultFileError, match=r"pip install 'synkinesis\[research\]'"):
        read_measurement(path)
    # a format 3 file needs no pyarrow
    assert read_measurement(single_face_measurement.path).n_frames == 72


def test_csv_is_byte_for_byte_what_arrow_wrote(single_face_measurement, photos, tmp_path):
    pacsv = pytest.importorskip("pyarrow.csv")
    for measurement in (single_face_measurement, photos):
        old = tmp_path / "arrow.csv"
        pacsv.write_csv(_arrow_table(measurement), old)
        new = write_signals_csv(measurement, tmp_path / "new.csv")
        assert new.read_bytes() == old.read_bytes()
    assert b",," in new.read_bytes()  # the photo without a face: empty cells compared too


def test_to_dataframe_is_the_frame_arrow_gave(single_face_measurement, photos):
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    for measurement in (single_face_measurement, photos):
        pd.testing.assert_frame_equal(measurement.to_dataframe(),
                                      _arrow_table(measurement).to_pandas())


def _arrow_cell(value) -> str:
    pa = pytest.importorskip("pyarrow")
    pacsv = pytest.importorskip("pyarrow.csv")
    sink = io.BytesIO()
    pacsv.write_csv(pa.table({"x": pa.array(np.array([value]))}), sink)
    return sink.getvalue().decode().split("\n")[1]


# where the plain and the exponent forms meet, zeros, infinities, float32 rounding
EDGES = [dtype(text) for dtype in (np.float32, np.float64) for text in (
    "0", "-0", "1", "-2.5", "1e-6", "9.99e-7", "1.234e-7", "1e-8", "999999999", "1e9", "1e10",
    "12345678901", "1.5e16", "123456789.5", "0.1", "0.3333333333333333",
    "inf", "-inf", "3e38", "1e-45")]


@pytest.mark.parametrize("value", EDGES, ids=[f"{v!r}" for v in EDGES])
def test_float_cells_at_the_edges_as_arrow_formats_them(value):
    assert _float_cell(value) == _arrow_cell(value)


@given(st.one_of(st.floats(width=32, allow_nan=False).map(np.float32),
                 st.floats(allow_nan=False).map(np.float64)))
def test_float_cells_as_arrow_formats_them(value):
    assert _float_cell(value) == _arrow_cell(value)
    if np.isfinite(value):
        assert type(value)(float(_float_cell(value))) == value  # reads back exactly


def test_a_missing_value_is_an_empty_cell():
    assert _float_cell(np.float32("nan")) == ""


def test_a_frames_table_without_columns_is_a_damaged_file(photos, tmp_path):
    target = tmp_path / "flat.synk"
    with zipfile.ZipFile(photos.path) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            data = original.read(name)
            if name == "frames.npy":
                sink = io.BytesIO()
                np.save(sink, np.zeros(2), allow_pickle=False)
                data = sink.getvalue()
            copy.writestr(name, data)
    with pytest.raises(ResultFileError, match="flat.synk: a damaged result file .*named columns"):
        read_measurement(target)
