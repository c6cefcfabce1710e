"""Is it the same person? Face embeddings of photos whose faces the landmarks have found.

dlib's face-recognition ResNet (128-d embeddings; models from the ``face_recognition_models``
package, so nothing is downloaded at run time), aligned by its 5-point shape predictor inside
the box of the MediaPipe landmarks. The ``photos`` extra installs both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


class IdentityError(RuntimeError):
    """The identity check cannot run (the message says what to install)."""


#: Largest face-embedding distance between two photos of one person: dlib's documented threshold
#: for its face-recognition ResNet (99.38 % on LFW). Measured on the shared media
#: (docs/photos.md): one person across rest, smile and eye closure 0.29..0.51; different people
#: 0.52..0.96, so a lookalike below it passes; the file names are the first safeguard.
IDENTITY_THRESHOLD = 0.6


def face_embeddings(paths: Sequence[Path], landmarks: np.ndarray,
                    turns: Sequence[int] = ()) -> list[np.ndarray | None]:
    """128-d face embeddings (dlib's face-recognition ResNet, models from the
    ``face_recognition_models`` package: nothing is downloaded) of each photo's face, found
    where the measure step's landmarks put it (``turns``: the quarter turns the measure step
    gave each photo). None where the photo had no face.

    Raises
    ------
    IdentityError
        The ``photos`` extra (dlib-bin, face_recognition_models) is not installed.
    """
    try:
        import dlib
        import face_recognition_models as models
    except ImportError:
        raise IdentityError(
            "checking that photos show one person needs the photos extra: pip install "
            "'synkinesis[photos]'") from None
    from synkinesis.landmarks.sources import read_image

    shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    encoder = dlib.face_recognition_model_v1(models.face_recognition_model_location())
    out: list[np.ndarray | None] = []
    for k, path in enumerate(paths):
        points = np.asarray(landmarks[k], dtype=float)
        if not np.isfinite(points).all():
            out.append(None)
            continue
        image, _ = read_image(Path(path))
        if turns and turns[k]:
            image = np.rot90(image, turns[k])
        image = np.ascontiguousarray(image)
        (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
        box = dlib.rectangle(int(x0), int(y0), int(round(x1)), int(round(y1)))
        out.append(np.asarray(encoder.compute_face_descriptor(image, shape(image, box))))
    return out


def most_distant_pair(embeddings: Sequence[np.ndarray | None]) -> tuple[float, int, int]:
    """(distance, i, j) of the two least alike faces (NaN, -1, -1 with fewer than two)."""
    best = (float("nan"), -1, -1)
    for i, a in enumerate(embeddings):
        for j in range(i + 1, len(embeddings)):
            b = embeddings[j]
            if a is None or b is None:
                continue
            distance = float(np.linalg.norm(a - b))
            if not distance <= best[0]:
                best = (distance, i, j)
    return best
