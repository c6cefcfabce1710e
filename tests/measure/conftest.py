"""Result files of older formats, made from a current one."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest


@pytest.fixture
def rewritten():
    """``rewritten(source, target, change)``: ``source`` with its manifest changed by
    ``change``; a manifest of format 1 or 2 gets the frames table those formats had
    (``frames.parquet``, written with pyarrow; the test is skipped without it)."""
    return _rewritten


def _rewritten(source, target, change):
    with zipfile.ZipFile(source) as given, zipfile.ZipFile(target, "w") as copy:
        manifest = change(json.loads(given.read("manifest.json")))
        for item in given.infolist():
            data = given.read(item.filename)
            if item.filename == "manifest.json":
                data = json.dumps(manifest).encode()
            elif item.filename == "frames.npy" and manifest["format_version"] < 3:
                copy.writestr("frames.parquet", _parquet(data))
                continue
            copy.writestr(item, data)
    return target


def _parquet(frames_npy: bytes) -> bytes:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = np.lib.format.read_array(io.BytesIO(frames_npy), allow_pickle=False)
    sink = io.BytesIO()
    pq.write_table(pa.table({name: pa.array(table[name]) for name in table.dtype.names}), sink)
    return sink.getvalue()
