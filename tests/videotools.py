"""Build derived test videos from real ones (imported by tests; not a conftest, whose module
name is shared by every test folder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_frames(path: Path, count: int | None = None) -> list[np.ndarray]:
    """The frames of a video (all, or the first ``count``) as BGR arrays (for building
    derived test videos)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = []
    while count is None or len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def write_lossless(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    """Write frames losslessly (FFV1 in AVI), so derived videos differ only by what we did."""
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path
