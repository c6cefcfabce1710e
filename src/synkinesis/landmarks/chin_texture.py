"""The chin pad's height found in the pixels by registering its texture (issue 19).

The chin-pad landmark has no edge of its own: the landmark model places it from the shape of
the whole face, and a one-sided lift of the pad (mentalis synkinesis) moved it by almost
nothing (measured on injected lifts: -0.01..0.04 of the lift, both shared videos). The pad
has texture (stubble, pores, the shading of its curve), and that texture moves with the
tissue. Per side and frame:

1. A patch of the chin pad is sampled in face-aligned coordinates: centred on the chin
   landmark, its rows along the face's vertical (perpendicular to the line through the medial
   canthi), its size a fixed share of the distance between the canthi, so that head roll and
   distance to the camera do not change it; its columns point away from the midline on both
   sides, so that a mirrored frame gives exactly the mirrored patch. It moves with the
   landmark, and so with the jaw when the mouth opens (the chin height is measured from the
   menton, which moves with the jaw too), and stays clear of the lower lip.
2. The patch is registered (vertical translation, Lucas-Kanade, inverse compositional, under a
   Gaussian window, brightness and contrast normalised, coarse to fine) to the side's last
   patch, which was sampled where that frame's registration put it: its content is the first
   patch's, moved back. The shift is how far the pad's texture moved along the face relative
   to the landmark since the first frame: what the landmark model missed.
3. The chin landmark moves by that shift (the landmark carries the rest of the movement). The
   shift is kept in face units and smoothed over frames like the corner edges' offsets.

Why the last frame's patch and not a fixed one: registered directly to the first frame's patch,
the pad's look in a broad smile (the lower lip stretched, the light on it changed) was too
different, the registration fell into other minima and a healthy face's chin read 2..5 mm of
movement in the smile (single_face.mp4); from one frame to the next the look changes little.
The price is drift: each frame's error adds up. Which frame was first does not matter: the
pipeline takes the refinement's resting offset (its trimmed mean over the quietest frames,
known only after the whole pass) off every frame, as for the lid and corner edges, so the chin
height keeps the model's resting level and the refinement adds only the movement from rest.

A smooth chin (no stubble or pores at the video's resolution) has no texture to follow, only
shading, which changes with the expression: there the registration wandered by up to 8 mm
(WolfgangLanger_Pexels.mp4). Each frame reports the patch's fine texture (:func:`fine_texture`)
and the pipeline keeps a side's refinement only when the recording's median reaches
:data:`MIN_FINE_TEXTURE`.

Pure array code plus ``cv2.remap`` (sampling) and ``cv2.GaussianBlur``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from synkinesis.regions import SIDE_LANDMARKS, Side

#: Patch size (rows along the face's vertical, columns across), samples.
PATCH_ROWS, PATCH_COLS = 32, 20
#: Patch extent, shares of the medial-canthus distance: rows span +-HALF_HEIGHT around the
#: centre, columns +-HALF_WIDTH.
HALF_HEIGHT = 0.20
HALF_WIDTH = 0.16
#: The patch centre: this share of the way from the chin landmark to the lower-lip point. On the
#: landmark (0): the patch then spans the pad from below it to about a quarter of the way up to
#: the lower lip, clear of the lip when the mouth opens (centred a quarter of the way up, the
#: open lip of WolfgangLanger_Pexels.mp4 entered it).
CENTRE_TOWARDS_LIP = 0.0
#: Gaussian window of the registration, shares of the patch's half sizes.
WINDOW_SIGMA = 0.6
#: Blur (samples) of the registration levels, coarse to fine. Two levels: a coarser first one
#: (3 samples) changed nothing on single_face.mp4's injected lifts and cost 0.3 ms per frame
#: more; one level alone (1.0) read a healthy smile 0.1 mm differently.
BLUR_SAMPLES = (1.5, 0.8)
#: Blur (samples) of the fine detail :func:`fine_texture` measures: this band.
FINE_TEXTURE_BLURS = (0.8, 3.0)
#: Gauss-Newton steps per level, and the step size (samples) under which it stops.
STEPS = 6
CONVERGED = 0.01
#: Shifts beyond this share of the canthal distance (about 8 mm) are not believed (the frame
#: keeps the last offset).
MAX_SHIFT = 0.25
#: Minimum texture (the window-weighted mean squared vertical gradient of the normalised
#: patch) for a patch to be registered.
MIN_TEXTURE = 1e-3
#: Minimum fine texture of a side's chin pad over a recording (grey levels: the median over
#: the frames of :func:`fine_texture`) for its refinement to be kept (the pipeline takes it
#: off otherwise: :func:`synkinesis.measure.calibrate.drop_untextured_chin`). Below it the pad
#: is smooth skin whose look is mostly shading, which a smile changes: on
#: WolfgangLanger_Pexels.mp4 (medians 1.23 left, 0.90 right) the registration wandered by up
#: to 8 mm; single_face.mp4's stubble reads 2.14 and 2.58. Placed between the two shared
#: videos: a threshold seen on two faces only.
MIN_FINE_TEXTURE = 1.6
#: Drift control: where this frame's patch, registered to the side's first patch (starting from
#: the chained shift), looks at least this alike to it (:func:`similarity`) and lands within
#: ANCHOR_REACH samples of the chained shift, that registration is taken and the chain restarts
#: from it. Tried only where the chained patch is within ANCHOR_MARGIN of that likeness. On
#: single_face.mp4 the rest frames look 0.89..0.97 alike to the first, the smile 0.74..0.88;
#: without it the chain drifted by 0.25 mm per smile and back (3 mm after 12 of them).
ANCHOR_SIMILARITY = 0.9
ANCHOR_MARGIN = 0.05
ANCHOR_REACH = 3.0
#: Exponential smoothing of the shift from frame to frame (1 = none).
OFFSET_SMOOTHING = 0.5
#: Below this canthal distance (pixels) the chin is not refined (face too small).
MIN_CANTHI_PX = 20.0

_MENTON = 152


@dataclass
class ChinPadTracker:
    """Per-side state of the chin-pad refinement (one tracker per video stream).

    ``offsets[side]``: float, the smoothed vertical shift of the pad's texture relative to the
    landmark since the side's first patch, shares of the canthal distance (positive = up);
    absent until first found.
    """

    offsets: dict[str, float] = field(default_factory=dict)
    #: this frame's fine texture of each side's patch on the landmark (:func:`fine_texture`,
    #: grey levels; the pipeline keeps a side's refinement only where the recording's median
    #: reaches :data:`MIN_FINE_TEXTURE`); NaN where not sampled in this frame
    fine: dict[str, float] = field(default_factory=dict)
    #: the last raw shift (patch samples, (x, y)), the next frame's first guess
    _guess: dict[str, np.ndarray] = field(default_factory=dict)
    #: the last frame's patch sampled at its shift (its content aligned to the reference's)
    _previous: dict[str, np.ndarray] = field(default_factory=dict)
    #: the side's first patch (the fixed reference the chain is pulled back to)
    _first: dict[str, np.ndarray] = field(default_factory=dict)

    def reset(self, sides: tuple[Side, ...] = ("left", "right")) -> None:
        """Forget these sides' smoothed offsets. The last patch and its shift are kept: the
        patch is face-aligned, so the next frame with the face is registered to it and stays
        on the same level (a new reference would start a new one)."""
        for side in sides:
            self.offsets.pop(side, None)

    def refine(self, rgb: np.ndarray, landmarks_px: np.ndarray,
               sides: tuple[Side, ...] = ("left", "right")) -> tuple[np.ndarray, dict[str, bool]]:
        """Move the chin-pad landmarks by the vertical shift of their texture.

        Parameters
        ----------
        rgb : (H, W, 3) uint8 array, the frame
        landmarks_px : (478, 3) array, image pixels
        sides : the patient's sides to refine

        Returns
        -------
        landmarks : (478, 3) float array, a refined copy
        refined : dict side -> bool, whether that chin pad was moved in this frame
        """
        out = np.array(landmarks_px, dtype=float, copy=True)
        geometry = face_axes(out)
        refined: dict[str, bool] = {}
        for side in sides:
            refined[side] = False
            self.fine[side] = float("nan")
            if geometry is None:
                continue
            across, down, unit = geometry
            lm = SIDE_LANDMARKS[side]
            centre, outward = patch_frame(out, lm.chin, lm.lower_lip, across)
            if not np.all(np.isfinite(centre)):
                continue
            self._track(side, _Sampler(rgb, centre, outward * unit, down * unit))
            offset = self.offsets.get(side)
            if offset is None:
                continue
            out[lm.chin, :2] = out[lm.chin, :2] - offset * unit * down
            refined[side] = True
        return out, refined

    def _track(self, side: str, sample: Callable[[np.ndarray | None], np.ndarray]) -> None:
        """Register this frame's patch of ``side`` and update its offset (unchanged when the
        registration fails)."""
        # the texture where the landmark is, not where the registration went (a registration
        # that wandered onto the lower lip would report the lip's)
        here = sample(None)
        self.fine[side] = fine_texture(here)
        if side not in self._previous:  # the reference
            if texture(here) >= MIN_TEXTURE:
                self._previous[side] = here
                self._first[side] = here
                self._guess[side] = np.zeros(2)
                self.offsets[side] = 0.0
            return
        shift = register(self._previous[side], sample, self._guess[side])
        if shift is None:
            return
        aligned = sample(shift)
        # drift control: where the pad looks like the first patch again (a rest), registered
        # to that directly, from the chained shift, at the finest level
        if similarity(self._first[side], aligned) >= ANCHOR_SIMILARITY - ANCHOR_MARGIN:
            anchored = register(self._first[side], sample, shift, BLUR_SAMPLES[-1:])
            if anchored is not None and abs(anchored[1] - shift[1]) <= ANCHOR_REACH:
                moved = sample(anchored)
                if similarity(self._first[side], moved) >= ANCHOR_SIMILARITY:
                    shift, aligned = anchored, moved
        up = -float(shift[1]) * (2.0 * HALF_HEIGHT) / (PATCH_ROWS - 1)  # canthal distances
        if abs(up) > MAX_SHIFT:
            return
        self._guess[side] = shift
        self._previous[side] = aligned
        previous = self.offsets.get(side)
        self.offsets[side] = (up if previous is None
                              else previous + OFFSET_SMOOTHING * (up - previous))


class _Sampler:
    """One side's patch of one frame, sampled on the grid displaced by a shift (samples):
    the grid's maps are built once, a shift adds one vector to them."""

    def __init__(self, rgb: np.ndarray, centre: np.ndarray, outward: np.ndarray,
                 down: np.ndarray) -> None:
        grid = patch_grid(centre, outward, down) - 0.5  # OpenCV's pixel centres
        self.rgb = rgb
        self.map_x = grid[..., 0].astype(np.float32)
        self.map_y = grid[..., 1].astype(np.float32)
        self.column = outward * (2.0 * HALF_WIDTH) / (PATCH_COLS - 1)
        self.row = down * (2.0 * HALF_HEIGHT) / (PATCH_ROWS - 1)

    def __call__(self, shift: np.ndarray | None) -> np.ndarray:
        import cv2

        map_x, map_y = self.map_x, self.map_y
        if shift is not None:
            move = shift[0] * self.column + shift[1] * self.row
            map_x, map_y = map_x + np.float32(move[0]), map_y + np.float32(move[1])
        colour = cv2.remap(self.rgb, map_x, map_y, interpolation=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        return _grey(colour)


def face_axes(landmarks_px: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The face's axes in the image: ``across`` (unit, towards the image's right), ``down``
    (unit, perpendicular to it, towards the chin) and the medial-canthus distance (pixels); or
    None for a face too small or degenerate landmarks. Built from the two medial canthi as the
    composites' midline is, so that a mirrored frame gives the mirrored axes."""
    right = landmarks_px[SIDE_LANDMARKS["right"].medial_canthus, :2]
    left = landmarks_px[SIDE_LANDMARKS["left"].medial_canthus, :2]
    direction = np.asarray(left - right, dtype=float)
    if direction[0] < 0:
        direction = -direction
    unit = float(np.hypot(*direction))
    if not np.isfinite(unit) or unit < MIN_CANTHI_PX:
        return None
    across = direction / unit
    down = np.array([-across[1], across[0]])
    # "down" towards the chin (the menton lies below the canthi in an upright face)
    if float((landmarks_px[_MENTON, :2] - 0.5 * (left + right)) @ down) < 0:
        down = -down
    return across, down, unit


def patch_frame(landmarks_px: np.ndarray, chin: int, lower_lip: int,
                across: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre of a side's chin patch (pixels) and its outward unit vector (away from the
    midline, taken at the menton)."""
    point = landmarks_px[chin, :2]
    centre = point + CENTRE_TOWARDS_LIP * (landmarks_px[lower_lip, :2] - point)
    outward = across if float((point - landmarks_px[_MENTON, :2]) @ across) >= 0 else -across
    return centre, outward


def patch_grid(centre: np.ndarray, outward: np.ndarray, down: np.ndarray,
               shift: np.ndarray | None = None) -> np.ndarray:
    """(PATCH_ROWS, PATCH_COLS, 2) image points of a patch (landmark convention): columns
    along ``outward``, rows along ``down`` (both scaled to one canthal distance), optionally
    displaced by ``shift`` (samples, (column, row))."""
    cols = np.linspace(-HALF_WIDTH, HALF_WIDTH, PATCH_COLS)
    rows = np.linspace(-HALF_HEIGHT, HALF_HEIGHT, PATCH_ROWS)
    if shift is not None:
        cols = cols + shift[0] * (2.0 * HALF_WIDTH) / (PATCH_COLS - 1)
        rows = rows + shift[1] * (2.0 * HALF_HEIGHT) / (PATCH_ROWS - 1)
    return (centre[None, None, :] + cols[None, :, None] * outward[None, None, :]
            + rows[:, None, None] * down[None, None, :])


def sample_grey(rgb: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Grey levels (ITU-R BT.601) of a frame at ``grid`` (..., 2) points, bilinear."""
    import cv2

    colour = cv2.remap(rgb, (grid[..., 0] - 0.5).astype(np.float32),
                       (grid[..., 1] - 0.5).astype(np.float32), interpolation=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return _grey(colour)


_BT601 = np.array([0.299, 0.587, 0.114])


def _grey(colour: np.ndarray) -> np.ndarray:
    return colour.astype(float) if colour.ndim == 2 else colour @ _BT601


def _window() -> np.ndarray:
    y = np.linspace(-1.0, 1.0, PATCH_ROWS)[:, None]
    x = np.linspace(-1.0, 1.0, PATCH_COLS)[None, :]
    return np.exp(-0.5 * ((x / WINDOW_SIGMA) ** 2 + (y / WINDOW_SIGMA) ** 2))


_WINDOW = _window()


def _normalised(patch: np.ndarray, blur: float) -> np.ndarray:
    """The patch blurred, minus its window-weighted mean, over its weighted deviation."""
    import cv2

    smooth = cv2.GaussianBlur(patch.astype(np.float32), (0, 0), blur,
                              borderType=cv2.BORDER_REPLICATE).astype(float)
    weight = _WINDOW / _WINDOW.sum()
    mean = float((smooth * weight).sum())
    spread = float(np.sqrt(((smooth - mean) ** 2 * weight).sum()))
    return (smooth - mean) / max(spread, 1e-6)


def similarity(reference: np.ndarray, patch: np.ndarray) -> float:
    """Window-weighted normalised correlation of two patches (1 = the same look), at the
    finest registration level's blur."""
    blur = BLUR_SAMPLES[-1]
    a, b = _normalised(reference, blur), _normalised(patch, blur)
    return float((a * b * _WINDOW).sum() / _WINDOW.sum())


def fine_texture(patch: np.ndarray) -> float:
    """Window-weighted RMS (grey levels) of the patch's fine detail: the band between the two
    blurs of :data:`FINE_TEXTURE_BLURS`."""
    import cv2

    data = patch.astype(np.float32)
    fine = cv2.GaussianBlur(data, (0, 0), FINE_TEXTURE_BLURS[0],
                            borderType=cv2.BORDER_REPLICATE)
    coarse = cv2.GaussianBlur(data, (0, 0), FINE_TEXTURE_BLURS[1],
                              borderType=cv2.BORDER_REPLICATE)
    detail = (fine - coarse).astype(float)
    return float(np.sqrt((detail**2 * _WINDOW).sum() / _WINDOW.sum()))


def texture(patch: np.ndarray) -> float:
    """Window-weighted mean squared vertical gradient of the normalised patch."""
    gy = np.gradient(_normalised(patch, BLUR_SAMPLES[-1]), axis=0)
    return float((gy**2 * _WINDOW).sum() / _WINDOW.sum())


def register(reference: np.ndarray, sample: Callable[[np.ndarray], np.ndarray],
             guess: np.ndarray, blurs: tuple[float, ...] | None = None) -> np.ndarray | None:
    """Shift (samples, (column, row); the column stays the guess's) at which the current
    frame's patch content lies relative to ``reference``'s: ``sample(shift) ~ reference``;
    None when the reference has too little texture or the solution runs away.

    ``sample(shift)``: the current frame's patch sampled on the grid displaced by ``shift``.
    Inverse-compositional Lucas-Kanade for the vertical shift only (the reference's gradients,
    the current frame resampled at each step), coarse to fine, starting from ``guess``. The
    lateral shift is not needed, and a second unknown on a weakly textured patch let the
    solution wander (by up to 15 samples sideways on single_face.mp4)."""
    shift = np.asarray(guess, dtype=float).copy()
    w = _WINDOW
    for blur in BLUR_SAMPLES if blurs is None else blurs:
        template = _normalised(reference, blur)
        gy = np.gradient(template, axis=0)
        hessian = float((w * gy * gy).sum())
        if hessian / w.sum() < MIN_TEXTURE:
            return None
        for _ in range(STEPS):
            error = _normalised(sample(shift), blur) - template
            step = float((w * gy * error).sum()) / hessian
            shift[1] -= step
            if not np.isfinite(shift[1]) or abs(shift[1]) > PATCH_ROWS:
                return None
            if abs(step) < CONVERGED:
                break
    return shift
