"""The camera of a synthetic recording: the neutral face seen closer or further (its width in
pixels) in another frame. Pure.

Tracker noise is in pixels and the analysis in mm, so how many pixels the face covers decides
how much of the noise reaches the mm (:attr:`synkinesis.simulate.recording.ProtocolTiming.face_px`).
"""

from __future__ import annotations

import numpy as np

from synkinesis.simulate.face import NeutralFace, to_pixels

__all__ = ["FACE_WIDTH_LANDMARKS", "face_width_px", "with_camera"]


#: The face's cheek-to-cheek landmarks (MediaPipe 234 and 454): its width in the image.
FACE_WIDTH_LANDMARKS = (234, 454)


def face_width_px(face: NeutralFace) -> float:
    """Width of the neutral face in its image, pixels (cheek to cheek, in the image plane)."""
    pixels = to_pixels(face.head_mm[None], face)[0]
    a, b = FACE_WIDTH_LANDMARKS
    return float(np.hypot(*(pixels[a, :2] - pixels[b, :2])))


def with_camera(face: NeutralFace, *, face_px: float = 0.0,
                frame_size: tuple[int, int] | None = None) -> NeutralFace:
    """The same face seen by another camera: ``face_px`` pixels wide (0: as it is; a closer
    camera gives more pixels per mm) in a frame of ``frame_size`` (height, width; None: as it
    is). The face keeps its place relative to the frame (its centre at the same fraction of
    the width and height); depth scales with the width.

    Raises
    ------
    ValueError
        The face would not fit in the frame.
    """
    height, width = face.frame_size if frame_size is None else frame_size
    old_height, old_width = face.frame_size
    now = face_width_px(face)
    s = float(face_px) / now if face_px else 1.0
    if s == 1.0 and (height, width) == (old_height, old_width):
        return face
    pixels = to_pixels(face.head_mm[None], face)[0]
    centre = pixels.mean(axis=0)
    new_centre = np.array([centre[0] / old_width * width, centre[1] / old_height * height,
                           centre[2] * s])
    extent = (pixels[:, :2].max(axis=0) - pixels[:, :2].min(axis=0)) * s
    if extent[0] > width or extent[1] > height:
        raise ValueError(f"a face {now * s:.0f} pixels wide ({extent[0]:.0f} x {extent[1]:.0f} "
                         f"pixels with the forehead and chin) does not fit in a {width}x{height} "
                         "frame: choose a smaller --face-px or a larger --frame")
    # pixels (flipped to x, -y, -z) = R^T (units - T) / scale; scaling the image by s about
    # the face's centre c and moving it to c' gives scale' = scale / s and
    # T' = T + scale' R (s c - c'), c and c' in the flipped frame.
    flip = np.array([1.0, -1.0, -1.0])
    scale = face.scale / s
    translation = face.translation + scale * face.rotation @ (s * centre * flip
                                                              - new_centre * flip)
    return NeutralFace(head_mm=face.head_mm, mm_per_unit=face.mm_per_unit, scale=scale,
                       rotation=face.rotation, translation=translation,
                       frame_size=(int(height), int(width)),
                       description=face.description + (
                           f" seen {face_px:g} px wide" if face_px else "") + (
                           f" in {width}x{height}" if frame_size is not None else ""))
