"""Landmark schema: named facial regions per side, left/right mirror pairs, the midline.

Sides are always named from the PATIENT's point of view: "left" is the patient's left, which is
on the right of a normal (non-mirrored) camera image. MediaPipe's mesh follows the same
convention (its "left eye", landmarks 263/362, is the patient's left eye).

Regions are defined once, on the patient's right side; the left side is derived through the
mirror-pair table, so the two sides are symmetric by construction.

This module is pure and imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
N_LANDMARKS = 478
N_MESH = 468

#: MIRROR_PAIRS[i] is the landmark that sits where i would be on a left/right mirrored face.
#: Derived from MediaPipe's canonical face mesh (exactly symmetric about x = 0) by
#: :func:`derive_mirror_pairs`; iris rings (468..477) follow the iris ring order. A test
#: re-derives the table from the canonical mesh in the model file.
MIRROR_PAIRS: tuple[int, ...] = (
    0, 1, 2, 248, 4, 5, 6, 249, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 250, 251, 252,
    253, 254, 255, 256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269,
    270, 271, 272, 273, 274, 275, 276, 277, 278, 279, 280, 281, 282, 283, 284, 285, 286,
    287, 288, 289, 290, 291, 292, 293, 294, 295, 296, 297, 298, 299, 300, 301, 302, 303,
    304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 320,
    321, 322, 323, 94, 324, 325, 326, 327, 328, 329, 330, 331, 332, 333, 334, 335, 336, 337,
    338, 339, 340, 341, 342, 343, 344, 345, 346, 347, 348, 349, 350, 351, 352, 353, 354,
    355, 356, 357, 358, 359, 360, 361, 362, 363, 364, 365, 366, 367, 368, 369, 370, 371,
    372, 373, 374, 375, 376, 377, 378, 379, 151, 152, 380, 381, 382, 383, 384, 385, 386,
    387, 388, 389, 390, 164, 391, 392, 393, 168, 394, 395, 396, 397, 398, 399, 175, 400,
    401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417,
    418, 195, 419, 197, 420, 199, 200, 421, 422, 423, 424, 425, 426, 427, 428, 429, 430,
    431, 432, 433, 434, 435, 436, 437, 438, 439, 440, 441, 442, 443, 444, 445, 446, 447,
    448, 449, 450, 451, 452, 453, 454, 455, 456, 457, 458, 459, 460, 461, 462, 463, 464,
    465, 466, 467, 3, 7, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
    37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58,
    59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80,
    81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 95, 96, 97, 98, 99, 100, 101, 102,
    103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119,
    120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136,
    137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 153, 154, 155,
    156, 157, 158, 159, 160, 161, 162, 163, 165, 166, 167, 169, 170, 171, 172, 173, 174,
    176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192,
    193, 194, 196, 198, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213,
    214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230,
    231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247,
    473, 476, 475, 474, 477, 468, 471, 470, 469, 472,
)

#: Landmarks on the midline (their own mirror image).
MIDLINE: tuple[int, ...] = tuple(i for i, j in enumerate(MIRROR_PAIRS) if i == j)


def derive_mirror_pairs(canonical_vertices: Sequence[Sequence[float]]) -> tuple[int, ...]:
    """Derive the mirror-pair table from a symmetric canonical mesh.

    Parameters
    ----------
    canonical_vertices : (468, 3) array-like
        Canonical mesh with x across the face (midline at x = 0).

    Returns
    -------
    pairs : tuple of 478 ints
        For each mesh vertex, the vertex nearest to its mirror image (x -> -x); for the iris
        landmarks 468..477, the matching point of the other iris (centre, then the ring, whose
        medial and lateral points swap).
    """
    import numpy as np

    vertices = np.asarray(canonical_vertices, dtype=float)
    mirrored = vertices * np.array([-1.0, 1.0, 1.0])
    distances = np.linalg.norm(vertices[None, :, :] - mirrored[:, None, :], axis=2)
    mesh_pairs = [int(j) for j in distances.argmin(axis=1)]
    # Iris ring order (MediaPipe): centre, then +x, +y(up in image: -y), -x, -y points.
    right_iris = (468, 469, 470, 471, 472)
    left_iris = (473, 476, 475, 474, 477)
    iris_pairs = {**dict(zip(right_iris, left_iris)), **dict(zip(left_iris, right_iris))}
    return tuple(mesh_pairs) + tuple(iris_pairs[i] for i in range(N_MESH, N_LANDMARKS))


def mirror_index(indices: Sequence[int]) -> tuple[int, ...]:
    """Landmark indices of the same points on the other side of the face."""
    return tuple(MIRROR_PAIRS[i] for i in indices)


@dataclass(frozen=True)
class SideLandmarks:
    """The landmarks that define each region signal, on one side of the face.

    All indices are MediaPipe FaceLandmarker (478-point) indices.
    """

    eye_contour: tuple[int, ...]  # closed polygon around the palpebral fissure
    upper_lid: tuple[int, ...]  # central upper-lid margin points ...
    lower_lid: tuple[int, ...]  # ... and the lower-lid points facing them, pairwise
    eye_aspect: tuple[int, ...]  # p0..p5 of the eye aspect ratio (JeFaPaTo definition)
    medial_canthus: int
    lateral_canthus: int
    brow: tuple[int, ...]  # upper contour of the brow
    iris_centre: int
    iris_horizontal: tuple[int, int]  # ends of the horizontal iris diameter
    alar_base: int  # lateral alar crease: the upper end of the nasolabial fold
    mouth_corner: int  # oral commissure
    upper_lip: int  # upper vermilion border, half way between midline and corner
    lower_lip: int  # lower vermilion border, half way between midline and corner
    chin: int  # soft-tissue chin pad (mentalis), below the lower lip


_RIGHT = SideLandmarks(
    eye_contour=(33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
    upper_lid=(160, 159, 158),
    lower_lid=(144, 145, 153),
    eye_aspect=(33, 160, 158, 133, 153, 144),
    medial_canthus=133,
    lateral_canthus=33,
    brow=(70, 63, 105, 66, 107),
    iris_centre=468,
    iris_horizontal=(469, 471),
    alar_base=129,
    mouth_corner=61,
    upper_lip=39,
    lower_lip=181,
    chin=208,
)


def _mirror_side(side: SideLandmarks) -> SideLandmarks:
    values = {}
    for name, value in vars(side).items():
        values[name] = MIRROR_PAIRS[value] if isinstance(value, int) else mirror_index(value)
    return SideLandmarks(**values)


SIDE_LANDMARKS: dict[Side, SideLandmarks] = {"right": _RIGHT, "left": _mirror_side(_RIGHT)}

#: Regions named by the design (DESIGN.md); the neck is not covered by face landmarks.
REGIONS: tuple[str, ...] = (
    "brow",
    "eye",
    "nasolabial",
    "mouth_corner",
    "upper_lip",
    "lower_lip",
    "chin",
    "neck",
)


def other_side(side: Side) -> Side:
    """The opposite side."""
    return "left" if side == "right" else "right"


def mirror_name(name: str) -> str:
    """Swap 'left' and 'right' (any case) in a column, flag or blendshape name."""
    out = []
    i = 0
    lowered = name.lower()
    while i < len(name):
        for word, swap in (("left", "right"), ("right", "left")):
            if lowered.startswith(word, i):
                original = name[i : i + len(word)]
                out.append(swap.capitalize() if original[0].isupper() else swap)
                i += len(word)
                break
        else:
            out.append(name[i])
            i += 1
    return "".join(out)
