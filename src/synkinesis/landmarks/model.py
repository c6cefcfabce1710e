"""The FaceLandmarker model file: where it comes from, and proof that it is the expected one.

The model is never downloaded at run time. Google's ``face_landmarker.task`` (Apache-2.0, 3.6 MB)
ships inside this package (``synkinesis/landmarks/models/``, with its licence and model cards in
``NOTICE.md``), and its sha256 is checked before use. ``SYNK_MODEL_PATH`` may point at another
copy of the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
MODEL_SOURCE = "synkinesis/landmarks/models/face_landmarker.task (MediaPipe, Apache-2.0)"
_GEOMETRY_MEMBER = "geometry_pipeline_metadata_landmarks.binarypb"


class LandmarkModelError(RuntimeError):
    """The landmark model is missing or is not the expected file."""


def find_model_path() -> Path:
    """Return the path of ``face_landmarker.task``.

    ``SYNK_MODEL_PATH`` wins when set; otherwise the copy shipped inside this package.
    """
    override = os.environ.get("SYNK_MODEL_PATH")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "models" / "face_landmarker.task"


@lru_cache(maxsize=4)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_model_path(path: Path | None = None) -> Path:
    """Return the model path after checking that its sha256 is :data:`MODEL_SHA256`."""
    path = Path(path) if path is not None else find_model_path()
    if not path.is_file():
        raise LandmarkModelError(
            f"landmark model not found at {path} (expected from {MODEL_SOURCE})")
    stat = path.stat()
    actual = _sha256_of(str(path), stat.st_size, stat.st_mtime_ns)
    if actual != MODEL_SHA256:
        raise LandmarkModelError(
            f"landmark model at {path} has sha256 {actual}, expected {MODEL_SHA256} "
            f"({MODEL_SOURCE}); refusing to use an unknown model"
        )
    return path


@dataclass(frozen=True)
class CanonicalFace:
    """MediaPipe's canonical face mesh, as shipped inside the model file.

    Attributes
    ----------
    vertices : (468, 3) float64 array
        Metric canonical face (centimetres): x towards the patient's left, y up, z towards the
        viewer. It is exactly left/right symmetric about x = 0.
    basis_ids : (K,) int array
        Landmarks MediaPipe uses to estimate head pose (they barely move with expression).
    basis_weights : (K,) float array
        Their weights.
    """

    vertices: np.ndarray
    basis_ids: np.ndarray
    basis_weights: np.ndarray


def _varint(buffer: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buffer[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, offset


def _protobuf_fields(buffer: bytes):
    """Yield (field number, raw value) of a protobuf message (wire types 0, 1, 2, 5)."""
    offset = 0
    while offset < len(buffer):
        key, offset = _varint(buffer, offset)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, offset = _varint(buffer, offset)
        elif wire == 2:
            length, offset = _varint(buffer, offset)
            value, offset = buffer[offset : offset + length], offset + length
        elif wire == 5:
            value, offset = buffer[offset : offset + 4], offset + 4
        elif wire == 1:
            value, offset = buffer[offset : offset + 8], offset + 8
        else:
            raise LandmarkModelError(
                f"unexpected protobuf wire type {wire} in the face geometry data")
        yield field, value


def parse_geometry_metadata(buffer: bytes) -> CanonicalFace:
    """Parse MediaPipe's ``GeometryPipelineMetadata`` message (canonical mesh + pose basis)."""
    floats: list[float] = []
    ids: list[int] = []
    weights: list[float] = []
    for field, value in _protobuf_fields(buffer):
        if field == 1:  # canonical_mesh: Mesh3d
            for mesh_field, mesh_value in _protobuf_fields(value):
                if mesh_field == 3:  # vertex_buffer, x y z u v per vertex
                    if isinstance(mesh_value, bytes) and len(mesh_value) != 4:
                        floats.extend(np.frombuffer(mesh_value, "<f4").tolist())
                    else:
                        floats.append(struct.unpack("<f", mesh_value)[0])
        elif field == 2:  # procrustes_landmark_basis: WeightedLandmarkRef
            ref = dict(_protobuf_fields(value))
            ids.append(int(ref.get(1, 0)))
            weights.append(struct.unpack("<f", ref[2])[0] if 2 in ref else 0.0)
    vertices = np.asarray(floats, dtype=np.float64).reshape(-1, 5)[:, :3]
    if vertices.shape[0] != 468 or not ids:
        raise LandmarkModelError(
            "the model's face geometry data is not the 468-vertex canonical mesh")
    return CanonicalFace(
        vertices=vertices,
        basis_ids=np.asarray(ids, dtype=np.int64),
        basis_weights=np.asarray(weights, dtype=np.float64),
    )


@lru_cache(maxsize=2)
def _load_canonical(path: str) -> CanonicalFace:
    with zipfile.ZipFile(path) as archive:
        return parse_geometry_metadata(archive.read(_GEOMETRY_MEMBER))


def load_canonical_face(path: Path | None = None) -> CanonicalFace:
    """Read the canonical face from the (verified) model file."""
    return _load_canonical(str(verified_model_path(path)))
