"""Half-face mirror composites: per-side landmarks without the model's pull toward symmetry.

A face landmark model trained on mostly symmetric faces copies part of one side's movement to the
other (issue 8: one eye narrowed by warping is followed ~43 % on that eye and "narrows" the
untouched eye by ~18 %). Here each side is measured in an image that contains no other side to
copy: the half of the face on one side of the facial midline next to its own mirror image.

Per frame:

1. The facial midline is the perpendicular bisector of the two medial canthi of the previous
   frame's landmarks (each canthus taken from its own side's composite, so the estimate does not
   depend on the previous midline); the first frame, and any frame after the face is lost, is
   landmarked plainly (as seen and mirrored, averaged) instead.
2. For each image half, an upright crop of fixed size is resampled with the midline on its centre
   column (one ``cv2.warpAffine``) and completed with its own mirror image: an exactly
   left-right symmetric picture of that half of the face.
3. Each composite stream has its own landmark tracker (VIDEO mode, one face). The landmarks of the
   half that is real (eye, lids, brow, mouth corner, lips, chin of that side) come from that
   side's composite, mapped back into the frame; points on the midline are averaged.

Cost: two inferences per frame, like the mirror-averaged method, but on one face each, so the
face detector does not run while the face is tracked; the two run at the same time where more
than one CPU is usable (:class:`~synkinesis.landmarks.engine.PairedDetection`).

Sides in this module are named by the MediaPipe index sets (``right`` = indices of the patient's
right, seen on the image's left in a normal camera image); the pipeline's ``--mirrored`` renaming
applies afterwards as for any engine.

Why one file of over 500 lines: the composite tracker is one state machine over the previous
frame's landmarks (midline, the two crops, their trackers, the fall-back to plain passes after a
loss, mapping back and which pass runs the blendshape network); split, each part would need the
others' state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from synkinesis.landmarks.engine import (
    FaceObservation,
    LandmarkEngine,
    MirrorAveragedEngine,
    PairedDetection,
    defer_blendshapes_of,
    main_face_index,
)
from synkinesis.regions import MIRROR_PAIRS, N_LANDMARKS, N_MESH, SIDE_LANDMARKS

#: Per-frame source of each side's landmarks (recorded in the result file).
SOURCE_NONE = 0  # no face
SOURCE_PLAIN = 1  # the whole frame, landmarked as seen and mirrored (start, re-acquisition)
SOURCE_COMPOSITE = 2  # that side's half-face mirror composite
SOURCE_LID_EDGES = 3  # the composite, with the central lid points moved onto tracked lid edges
SOURCE_CORNER_EDGES = 4  # the composite, with the mouth corner moved onto its pixel edge
SOURCE_BOTH_EDGES = 5  # the composite, with both refinements
SOURCE_HIDDEN = 6  # that half is covered: not a face on its own (the plain landmarks there), or
#                  its lips and chin disagree with the other half's (its composite's): a guess
SOURCE_NAMES = {SOURCE_NONE: "none", SOURCE_PLAIN: "plain", SOURCE_COMPOSITE: "composite",
                SOURCE_LID_EDGES: "composite+lid-edges",
                SOURCE_CORNER_EDGES: "composite+corner-edges",
                SOURCE_BOTH_EDGES: "composite+lid-and-corner-edges",
                SOURCE_HIDDEN: "hidden"}

#: Confidence (MediaPipe's face detection, presence and tracking scores, 0..1) a half-face
#: composite needs to count as a face. A hand over one half of the face, mirrored into a whole
#: "face", scores low: on WolfgangLanger_Pexels.mp4 (hand over the mouth and one half
#: 2.5..9.5 s) 135 of the 168 hand frames fell below 0.9 and 7 of the other 304 (2 as the hand
#: leaves, 5 in a fast turn of the head); single_face.mp4
#: none of 72. At 0.97 every frame fell below; with 0.9 for presence and tracking but 0.5 for
#: detection only 27 did (the detector re-found the hand-face). The whole-frame passes keep the
#: usual 0.5.
COMPOSITE_MIN_CONFIDENCE = 0.9
#: The same for independent photos. A photo has no tracked face to tell a covered half by (a
#: covered half is never flagged in a photo, at either level), and at 0.9 the composites of
#: expressive photos fell back to plain landmarks, which pull one-sided movement toward symmetry:
#: the open-smile frames of both shared videos and the eyes-shut frame of
#: WolfgangLanger_Pexels.mp4 (docs/photos.md). At 0.5 they are composites, and a 2 mm one-sided
#: narrowing warped into the smile photo of single_face.mp4 reads as 2.3 mm (left) and 2.1 mm
#: (right) excess, against 1.1 and 0.5 mm at 0.9.
PHOTO_COMPOSITE_MIN_CONFIDENCE = 0.5

#: Largest median distance (composite pixels, where the face's half-width is
#: FACE_HALF_WIDTH_PX) between the two composites' landmarks on the lower facial midline (lips,
#: chin) for both halves to count as seen. Both composites contain the same seam pixels, so they
#: agree there on a face, however one-sided its movement: single_face.mp4 at most 1.7 px,
#: WolfgangLanger_Pexels.mp4 at most 4.9 px outside its hand span (99th percentile 4.8). A hand
#: over one half of the mouth, with both eyes in view, leaves both composites confident faces
#: (the presence test above does not fire) but not the same lips: 23 of the 33 such frames of
#: WolfgangLanger (2.9..3.9 s) lie above 5 px, 1 of the other 298 (the hand coming in).
#: A half counts as covered from the first frame above :data:`COVERED_ENTER_PX` and stays
#: covered while the composites disagree by more than this (a hysteresis).
LOWER_MIDLINE_MAX_DISAGREEMENT_PX = 5.0
#: Disagreement (the same pixels) at which a half becomes covered. One threshold on one frame was
#: a knife edge: WolfgangLanger frame 351 read 5.005 px with the LiteRT engine and 4.947 px with
#: the Tasks API (their landmarks 0.04 px apart), and the flag it set there cut a long smile in
#: two. The largest disagreement of a healthy frame on the two shared videos is that 5.0 px (both
#: engines), 5.2..5.4 px as the hand comes in (frame 58), and the hand's own frames reach 6..12
#: px: entering at 5.5 px leaves half a pixel (ten times the engines' difference there) between
#: the healthy frames and the threshold, and still finds the hand (frames 67..92 of
#: WolfgangLanger, the same frames with both engines).
COVERED_ENTER_PX = 5.5

#: Composite image size (width, height), pixels; the face is scaled so that its half-width
#: (midline to the widest face-oval point) is FACE_HALF_WIDTH_PX: about the resolution at
#: which the landmark model sees a face (a 256-pixel crop), and small enough to stay cheap.
COMPOSITE_SIZE = (256, 304)
FACE_HALF_WIDTH_PX = 88.0
#: Row of the composite on which the medial canthi lie.
CANTHUS_ROW = 120.0
#: Exponential smoothing of the midline geometry from frame to frame (1 = none): the composite
#: should not jitter with the landmark noise, and the real half is measured wherever the seam is.
MIDLINE_SMOOTHING = 0.3


def side_masks() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(478,) bool masks of the MediaPipe indices on the patient's right, left, and midline.

    From the canonical mesh's x (negative on the patient's right); iris 468..472 is the right
    iris, 473..477 the left one.
    """
    from synkinesis.landmarks.model import load_canonical_face

    x = load_canonical_face().vertices[:, 0]
    pairs = np.asarray(MIRROR_PAIRS)
    midline = pairs == np.arange(N_LANDMARKS)
    right = np.zeros(N_LANDMARKS, dtype=bool)
    right[:N_MESH] = (x < 0) & ~midline[:N_MESH]
    right[468:473] = True
    left = ~right & ~midline
    return right, left, midline


def lower_midline_indices() -> np.ndarray:
    """MediaPipe indices of the facial midline below the nose tip's level (lips, chin),
    from the canonical mesh (its y points up)."""
    from synkinesis.landmarks.model import load_canonical_face

    _, _, midline = side_masks()
    y = load_canonical_face().vertices[:, 1]
    index = np.flatnonzero(midline[:N_MESH])
    return index[y[index] < np.percentile(y[index], 40)]


@dataclass(frozen=True)
class MidlineFrame:
    """Where the facial midline lies in a frame, and how a composite samples it.

    ``image point = centre + a * across + b * along`` with (a, b) in face-aligned pixels:
    ``a`` across the midline (positive towards the image's right), ``b`` along it (down).

    Attributes
    ----------
    centre : (2,) float, px (landmark convention: pixel i spans [i, i + 1])
    angle : float, radians; ``across = (cos, sin)``, ``along = (-sin, cos)``
    zoom : composite pixels per frame pixel
    """

    centre: tuple[float, float]
    angle: float
    zoom: float

    @property
    def across(self) -> np.ndarray:
        return np.array([np.cos(self.angle), np.sin(self.angle)])

    @property
    def along(self) -> np.ndarray:
        return np.array([-np.sin(self.angle), np.cos(self.angle)])


def midline_parameters(landmarks_px: np.ndarray, frame_width: int) -> np.ndarray:
    """Raw midline of one face: perpendicular bisector of the medial canthi.

    Parameters
    ----------
    landmarks_px : (478, 3) array, image pixels
    frame_width : int, pixels

    Returns
    -------
    (4,) array
        centre x relative to the image centre (px), centre y (px), angle of the canthus line
        (radians), face half-width across the midline (99th percentile of |a|, px). Each is
        odd or even under a horizontal flip of the frame, so smoothing them stays mirror-exact.
    """
    right = landmarks_px[SIDE_LANDMARKS["right"].medial_canthus, :2].astype(float)
    left = landmarks_px[SIDE_LANDMARKS["left"].medial_canthus, :2].astype(float)
    direction = left - right  # towards the image's right on a normal (non-mirrored) image
    if direction[0] < 0:
        direction = -direction
    angle = float(np.arctan2(direction[1], direction[0]))
    middle = 0.5 * (left + right)
    across = np.array([np.cos(angle), np.sin(angle)])
    half_width = float(np.percentile(np.abs((landmarks_px[:, :2] - middle) @ across), 99))
    return np.array([middle[0] - frame_width / 2, middle[1], angle, half_width])


def midline_frame(parameters: np.ndarray, frame_width: int) -> MidlineFrame:
    """The composite geometry from (possibly smoothed) :func:`midline_parameters`.

    Quantised (1/64 px, 1e-4 rad, 1/1024 zoom) with rounding that is symmetric under mirroring,
    so a mirrored frame gives exactly the mirrored geometry.
    """
    cx_rel, cy, angle, half_width = (float(v) for v in parameters)
    cx = float(np.round(cx_rel * 64) / 64 + frame_width / 2)
    zoom = float(np.round(FACE_HALF_WIDTH_PX / max(half_width, 1.0) * 1024) / 1024)
    return MidlineFrame((cx, float(np.round(cy * 64) / 64)),
                        float(np.round(angle / 1e-4) * 1e-4), zoom)


def midline_from_landmarks(landmarks_px: np.ndarray, frame_width: int) -> MidlineFrame:
    """:func:`midline_frame` of one frame's :func:`midline_parameters` (no smoothing)."""
    return midline_frame(midline_parameters(landmarks_px, frame_width), frame_width)


def _half_matrix(frame: MidlineFrame, *, right_half: bool) -> np.ndarray:
    """2x3 inverse affine map: composite-half pixel (i, j) -> frame pixel (OpenCV centres)."""
    width, _ = COMPOSITE_SIZE
    half = width // 2
    across, along = frame.across / frame.zoom, frame.along / frame.zoom
    # Composite column X (landmark convention) has a = (X - half) / zoom.
    first_column = half if right_half else 0
    origin = (np.asarray(frame.centre) - 0.5 + (first_column + 0.5 - half) * across
              + (0.5 - CANTHUS_ROW) * along)
    return np.array([[across[0], along[0], origin[0]], [across[1], along[1], origin[1]]])


def half_face_composites(rgb: np.ndarray, frame: MidlineFrame) -> tuple[np.ndarray, np.ndarray]:
    """The two mirror composites of a frame.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
    frame : the midline

    Returns
    -------
    image_left, image_right : (304, 256, 3) uint8 arrays
        ``image_left`` is the frame's left half (the patient's right in a normal image) next to
        its mirror image; each is exactly symmetric about its centre column.
    """
    import cv2

    width, height = COMPOSITE_SIZE
    half = width // 2
    halves = []
    for right_half in (False, True):
        halves.append(cv2.warpAffine(
            rgb, _half_matrix(frame, right_half=right_half), (half, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE))
    left, right = halves
    return cv2.hconcat([left, cv2.flip(left, 1)]), cv2.hconcat([cv2.flip(right, 1), right])


def _symmetrised(points: np.ndarray) -> np.ndarray:
    """Average composite landmarks (478, 3) with their own mirror image (renamed anatomically).

    The composite is exactly symmetric, so both sides of its landmarks describe the same real
    half; the model is not mirror-exact, and the average makes the result independent of which
    side of the composite the real half was on (a flipped video gives the mirrored result) and
    halves the model's independent noise, at no extra inference.
    """
    from synkinesis.normalize import mirror_image_landmarks

    points = np.asarray(points, dtype=float)
    return 0.5 * (points + mirror_image_landmarks(points, COMPOSITE_SIZE[0]))


def composite_to_frame(points: np.ndarray, frame: MidlineFrame) -> np.ndarray:
    """Composite landmarks (K, 3) in composite pixels -> frame pixels (z scaled alike)."""
    half = COMPOSITE_SIZE[0] // 2
    a = (points[:, 0] - half) / frame.zoom
    b = (points[:, 1] - CANTHUS_ROW) / frame.zoom
    xy = np.asarray(frame.centre) + a[:, None] * frame.across + b[:, None] * frame.along
    return np.column_stack([xy, points[:, 2] / frame.zoom])


class CompositeEngine:
    """Landmark each side of the face in its own half-face mirror composite.

    Parameters
    ----------
    make_tracker : callable returning a VIDEO-mode engine for one face (called twice: one
        tracker per composite stream)
    plain : engine used on whole frames to start and to re-acquire the face (IMAGE mode,
        ideally mirror-averaged so that the method stays mirror-equivariant)
    track : bool
        True for video (each frame's midline from the previous frame's landmarks); False for
        independent photos (each photo landmarked plainly first, for its midline).
    refine_lids : bool
        Move the central lid landmarks onto lid edges tracked in the pixels
        (:mod:`synkinesis.landmarks.lid_edges`).
    refine_corners : bool
        Move the mouth-corner landmarks onto the commissures found in the pixels
        (:mod:`synkinesis.landmarks.corner_edges`).
    refine_chin : bool
        Move the chin-pad landmarks by the vertical shift of their texture against a reference
        (:mod:`synkinesis.landmarks.chin_texture`); it does not change the source codes (a
        chin is refined in every frame where both sides are composites, once it has a reference).

    Each returned :class:`FaceObservation` carries ``sources``: for "left" and "right" (the
    patient's sides, MediaPipe index sets) one of :data:`SOURCE_NAMES`' codes.
    """

    def __init__(self, make_tracker: Callable[[], LandmarkEngine],
                 plain: LandmarkEngine | MirrorAveragedEngine, *,
                 track: bool = True, refine_lids: bool = False,
                 refine_corners: bool = False, refine_chin: bool = False) -> None:
        from synkinesis.landmarks.chin_texture import ChinPadTracker
        from synkinesis.landmarks.corner_edges import MouthCornerTracker
        from synkinesis.landmarks.lid_edges import LidEdgeTracker

        self._lids = LidEdgeTracker() if refine_lids else None
        self._corners = MouthCornerTracker() if refine_corners else None
        self._chin = ChinPadTracker() if refine_chin else None
        self._trackers = (make_tracker(), make_tracker())  # image-left half, image-right half
        self._paired = PairedDetection()  # the two composites at once (given two CPUs)
        self._plain = plain
        self._track = track
        #: A video tracked without the landmark model's own smoothing over frames.
        self.tracks_unsmoothed = track and not any(
            getattr(tracker, "smooths_over_frames", True) for tracker in self._trackers)
        self.name = f"{self._trackers[0].name}+half-face-composites"
        self.version = self._trackers[0].version
        self.model_sha256 = self._trackers[0].model_sha256
        self._right, self._left, self._midline = side_masks()
        self._lower_midline = lower_midline_indices()
        self._blend_sides: tuple[np.ndarray, np.ndarray] | None = None
        # Blendshapes only where they are kept (engines that can leave them to the caller:
        # litert): both composites' when both are faces, the whole-frame pass's when its faces
        # are returned. A frame whose composites succeed after a whole-frame pass (the start,
        # re-acquisition) and a frame with one composite lost skip their blendshape runs.
        self._defer = defer_blendshapes_of(self._trackers)
        defer_plain = getattr(plain, "defer_blendshapes", None)
        self._plain_deferred = bool(callable(defer_plain) and defer_plain())
        self._previous: np.ndarray | None = None
        self._midline_state: np.ndarray | None = None
        # Whether a half counted as covered in the last tracked frame (the hysteresis of
        # COVERED_ENTER_PX / LOWER_MIDLINE_MAX_DISAGREEMENT_PX); a lost half keeps it (a hand
        # over a half), a frame without a face clears it.
        self._covering = False

    @property
    def blendshape_names(self) -> tuple[str, ...]:
        return (self._trackers[0].blendshape_names or self._trackers[1].blendshape_names
                or self._plain.blendshape_names)

    def detect(self, rgb: np.ndarray, *, timestamp_ms: int | None = None) -> list[FaceObservation]:
        faces: list[FaceObservation] = []
        main = 0
        if self._previous is None or not self._track:
            faces = self._plain.detect(rgb)
            if not faces:
                self._previous = self._midline_state = None
                self._covering = False
                return []
            self._forget(("left", "right"))
            main = main_face_index(faces, rgb.shape[:2])
            self._previous = faces[main].landmarks_px
        face, lost, seen_points = self._composite(rgb, self._previous, timestamp_ms)
        if face is None and not faces:
            # A composite lost the face while tracking: look at the whole frame. If the face is
            # there, the lost half is not a face on its own (a hand over it): this frame gets
            # the plain landmarks on that side, marked hidden, and the seen half's own
            # composite on the other; the composites start afresh from them in the next frame
            # (a loss from fast motion recovers there too).
            self._previous = self._midline_state = None
            faces = self._plain.detect(rgb)
            if not faces:
                self._forget(("left", "right"))
                return []
            main = main_face_index(faces, rgb.shape[:2])
        if face is None or len(faces) > 1:
            faces = self._plain_with_blendshapes(faces)
        if face is None:
            # Only one half failing while tracking a video says "covered"; both failing says
            # "not a clear face at this confidence" (small, blurred, turned away), and a single
            # photo has no tracked face to compare with (a healthy 15-year-old's photo had one
            # half below 0.9): plain landmarks, as at the start.
            hidden = lost if len(lost) == 1 and self._track else set()
            landmarks = np.array(faces[main].landmarks_px, dtype=float, copy=True)
            sources = {side: SOURCE_HIDDEN if side in hidden else SOURCE_PLAIN
                       for side in ("left", "right")}
            model = None
            if hidden and seen_points is not None:
                (seen,) = {"left", "right"} - hidden
                mask = self._right if seen == "right" else self._left
                landmarks[mask] = seen_points[mask]
                sources[seen] = SOURCE_COMPOSITE
                self._forget(tuple(hidden))
                landmarks, model = self._refine(rgb, landmarks, sources, (seen,))
            else:
                self._forget(("left", "right"))
            face = FaceObservation(landmarks_px=landmarks.astype(np.float32),
                                   blendshapes=faces[main].blendshapes, sources=sources,
                                   model_landmarks_px=model)
        self._previous = face.landmarks_px
        if not faces:
            return [face]
        return [face if i == main else other for i, other in enumerate(faces)]

    def _plain_with_blendshapes(self, faces: list[FaceObservation]) -> list[FaceObservation]:
        """The whole-frame pass's faces (of this frame) with their blendshapes."""
        if not faces or not self._plain_deferred:
            return faces
        return self._plain.with_blendshapes()  # type: ignore[union-attr]

    def _forget(self, sides: tuple[str, ...]) -> None:
        """Drop the pixel refinements' state of these sides (their edges start afresh)."""
        for tracker in (self._lids, self._corners, self._chin):
            if tracker is not None:
                tracker.reset(sides)  # type: ignore[arg-type]

    def _refine(self, rgb: np.ndarray, landmarks: np.ndarray, sources: dict[str, int],
                sides: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None]:
        """The pixel refinements of these sides (``sources`` updated in place); and the
        landmarks before them (None when no refinement is on).

        Source codes add up: +1 lid edges, +2 corner edges (3, 4, 5); the chin pad leaves them
        as they are. Only both sides together get the corner edges and the chin pad: the
        commissure search uses the whole mouth (its centre and width), which a covered half
        makes a guess, and a hand over one half of the mouth covers that chin too.
        """
        if self._lids is None and self._corners is None and self._chin is None:
            return landmarks, None
        model = landmarks.astype(np.float32)
        corners = self._corners if len(sides) == 2 else None
        chin = self._chin if len(sides) == 2 else None
        for tracker, step in ((self._lids, 1), (corners, 2), (chin, 0)):
            if tracker is None:
                continue
            landmarks, refined = tracker.refine(rgb, landmarks, sides=sides)  # type: ignore[arg-type]
            for side, done in refined.items():
                if done:
                    sources[side] += step
        return landmarks, model

    def _composite(self, rgb: np.ndarray, previous: np.ndarray, timestamp_ms: int | None,
                   ) -> tuple[FaceObservation | None, set[str], np.ndarray | None]:
        """The face from the two composites, or None when either composite has no face; the
        patient's sides whose composite had none; and, when exactly one had none, the frame
        landmarks from the other one (its own side is real)."""
        raw = midline_parameters(previous, rgb.shape[1])
        if self._midline_state is None or not self._track:
            self._midline_state = raw
        else:
            self._midline_state = self._midline_state + MIDLINE_SMOOTHING * (
                raw - self._midline_state)
        frame = midline_frame(self._midline_state, rgb.shape[1])
        images = half_face_composites(rgb, frame)
        found: dict[str, FaceObservation] = {}
        # The image's left half shows the patient's right side (MediaPipe's "right" indices).
        both = self._paired(self._trackers[0], images[0], self._trackers[1], images[1],
                            timestamp_ms)
        for faces, side in zip(both, ("right", "left")):
            if faces:
                found[side] = faces[0]
        lost = {"left", "right"} - set(found)
        if lost:
            seen_points = None
            if len(found) == 1:
                (only,) = found.values()
                seen_points = composite_to_frame(_symmetrised(only.landmarks_px), frame)
            return None, lost, seen_points
        from_left_half = composite_to_frame(_symmetrised(found["right"].landmarks_px), frame)
        from_right_half = composite_to_frame(_symmetrised(found["left"].landmarks_px), frame)
        # Only while tracking a video, as for a lost half (a photo has no tracked face to
        # compare with).
        covered = (self._covered_lower_half(from_left_half, from_right_half, previous,
                                            frame.zoom) if self._track else None)
        # The image's left half shows the patient's right side (MediaPipe's "right" indices).
        landmarks = np.where(self._right[:, None], from_left_half, from_right_half)
        landmarks[self._midline] = 0.5 * (from_left_half[self._midline]
                                          + from_right_half[self._midline])
        sources = {"left": SOURCE_COMPOSITE, "right": SOURCE_COMPOSITE}
        sides: tuple[str, ...] = ("left", "right")
        if covered is not None:
            # Both composites are faces, but not the same lower face: the covered side's
            # landmarks are guesses (kept, marked hidden, not refined); the other side's lids
            # are refined as usual.
            sources[covered] = SOURCE_HIDDEN
            self._forget((covered,))
            sides = ("left",) if covered == "right" else ("right",)
        landmarks, model = self._refine(rgb, landmarks, sources, sides)
        blend_right, blend_left = found["right"].blendshapes, found["left"].blendshapes
        if self._defer:
            blend_right = self._trackers[0].blend(found["right"].landmarks_px)  # type: ignore[attr-defined]
            blend_left = self._trackers[1].blend(found["left"].landmarks_px)  # type: ignore[attr-defined]
        chin = (dict(self._chin.fine) if self._chin is not None and len(sides) == 2
                else None)
        face = FaceObservation(
            landmarks_px=landmarks.astype(np.float32),
            blendshapes=self._blend(blend_right, blend_left),
            sources=sources, model_landmarks_px=model, chin_texture=chin)
        return face, lost, None

    def _covered_lower_half(self, from_left_half: np.ndarray, from_right_half: np.ndarray,
                            previous: np.ndarray, zoom: float) -> str | None:
        """The patient's side whose lower half is covered, or None when the two composites
        agree on the lower facial midline: within :data:`COVERED_ENTER_PX`, or within
        :data:`LOWER_MIDLINE_MAX_DISAGREEMENT_PX` when a half was covered in the last tracked
        frame (a hysteresis: a hand does not come and go from frame to frame, the composites'
        disagreement does).

        The covered side is the one whose composite moved those midline landmarks farther from
        the previous frame's.
        """
        index = self._lower_midline
        apart = np.linalg.norm(from_left_half[index, :2] - from_right_half[index, :2], axis=1)
        threshold = LOWER_MIDLINE_MAX_DISAGREEMENT_PX if self._covering else COVERED_ENTER_PX
        self._covering = float(np.median(apart)) * zoom > threshold
        if not self._covering:
            return None
        moved = [float(np.median(np.linalg.norm(points[index, :2] - previous[index, :2], axis=1)))
                 for points in (from_left_half, from_right_half)]
        # The image's left half shows the patient's right side.
        return "right" if moved[0] >= moved[1] else "left"

    def _blend(self, from_left_half: np.ndarray | None,
               from_right_half: np.ndarray | None) -> np.ndarray | None:
        """Sided blendshapes from their own side's composite, the rest averaged."""
        if from_left_half is None or from_right_half is None:
            return None
        if self._blend_sides is None:
            names = self.blendshape_names
            self._blend_sides = (np.array([n.endswith("Right") for n in names]),
                                 np.array([n.endswith("Left") for n in names]))
        patient_right, patient_left = self._blend_sides  # the patient's right: image-left half
        out = 0.5 * (from_left_half + from_right_half)
        out[patient_right] = from_left_half[patient_right]
        out[patient_left] = from_right_half[patient_left]
        return out

    def close(self) -> None:
        self._paired.close()
        for tracker in self._trackers:
            tracker.close()
        self._plain.close()

    def __enter__(self) -> CompositeEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
