"""Our own landmark loop: the networks of MediaPipe's model bundle run directly with LiteRT.

The Tasks API (:mod:`synkinesis.landmarks.mediapipe_engine`) runs a graph around the same three
networks; here the loop is ours, so that a frame costs the landmark network and little else:

1. **Face detector** (``face_detector.tflite``, BlazeFace short range, 128x128): run only when
   no face is tracked (the first frame, after a loss, every photo). Its 896 SSD anchors are
   generated from the published graph options (4 layers, strides 8/16/16/16, one fixed-size
   anchor and one interpolated per scale, centred in the cell); boxes and 6 key points are
   decoded relative to them, scores pass a sigmoid, and overlapping boxes are merged by a
   score-weighted non-maximum suppression (IoU 0.3).
2. **Region of interest**: from a detection, the box turned so that the eyes (key points 0 and
   1) are level, widened to a square 1.5 times its long side; from the previous frame's
   landmarks, their bounding box turned so that the eyes' outer corners (33 and 263) are level,
   widened the same way. This is MediaPipe's published face-landmark region.
3. **Landmark network** (``face_landmarks_detector.tflite``, 256x256, values 0..1): the region
   is cut out with one affine warp (bilinear), the 478 points come back in the crop's pixels
   and are mapped back with the inverse of that warp; z scales like x. The network's face
   presence score (a logit, through a sigmoid) below ``min_confidence`` ends the track, and the
   next frame runs the detector again.

4. **Blendshapes** (``face_blendshapes.tflite``): the model reads 146 of the 478 landmarks
   (:data:`BLENDSHAPE_LANDMARKS`, the model's input as MediaPipe's face_blendshapes_graph
   documents it), x and y in frame pixels, and gives the 52 coefficients in
   :data:`synkinesis.measure.options.BLENDSHAPE_NAMES` order. ``blendshapes=False`` skips it;
   ``defer_blendshapes`` leaves it to the caller, for the faces whose blendshapes are kept
   (the composite method discards those of a whole-frame pass whose composites then succeed).

No smoothing over frames: every frame's landmarks
are the network's for that frame's region (as the Tasks API engine with ``smoothing=False``).

LiteRT runs on one thread with its default XNNPACK delegate.
"""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synkinesis.landmarks.engine import FaceObservation, RunningMode
from synkinesis.landmarks.model import MODEL_SHA256, LandmarkModelError, verified_model_path

DETECTOR_SIZE = 128
LANDMARK_SIZE = 256
N_LANDMARKS = 478
#: Eyes' outer corners (MediaPipe indices) that level the region tracked from landmarks.
ROI_EYE_CORNERS = (33, 263)
ROI_SCALE = 1.5
NMS_IOU = 0.3
#: The landmarks the blendshape model reads, in its input order (the model's interface).
BLENDSHAPE_LANDMARKS = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63,
    65, 66, 67, 70, 78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133,
    136, 144, 145, 146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163,
    168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270,
    276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317,
    318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379,
    380, 381, 382, 384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454,
    466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477)


class LiteRTUnavailable(LandmarkModelError):
    """ai-edge-litert is not installed (a dependency of synkinesis, missing from a broken or
    hand-made installation)."""


def _litert():
    try:
        import ai_edge_litert
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise LiteRTUnavailable(
            "the litert engine (the default) needs ai-edge-litert, a dependency of "
            "synkinesis missing here: pip install ai-edge-litert, or measure with "
            "--engine mediapipe-tasks") from error
    return ai_edge_litert, Interpreter


def _interpreter(model: bytes):
    from synkinesis.landmarks.mediapipe_engine import _native_stderr_silenced

    _, Interpreter = _litert()
    # LiteRT's runtime announces its XNNPACK delegate on file descriptor 2 ("INFO: Created
    # TensorFlow Lite XNNPACK delegate for CPU."): not for the user's terminal, as MediaPipe's
    # set-up lines are not.
    with _native_stderr_silenced():
        interpreter = Interpreter(model_content=model, num_threads=1)
        interpreter.allocate_tensors()
    return interpreter


def detector_anchors() -> np.ndarray:
    """(896, 2) anchor centres of the short-range face detector, 0..1 of its input.

    Options as published for BlazeFace short range: 4 layers, strides 8, 16, 16, 16; each layer
    gives 2 anchors per cell (aspect ratio 1 and the interpolated scale); layers of equal
    stride share one grid; fixed anchor size, so only the centres matter.
    """
    strides = (8, 16, 16, 16)
    centres = []
    layer = 0
    while layer < len(strides):
        per_cell = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            per_cell += 2
            last += 1
        cells = int(np.ceil(DETECTOR_SIZE / strides[layer]))
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(grid, per_cell, axis=0))
        layer = last
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class Region:
    """A square region of the frame, turned by ``rotation`` radians; pixels."""

    cx: float
    cy: float
    size: float
    rotation: float

    def to_frame_matrix(self, out: int) -> np.ndarray:
        """2x3 affine map from the ``out`` x ``out`` crop's pixels to frame pixels."""
        cos, sin = np.cos(self.rotation), np.sin(self.rotation)
        # crop (u, v) -> frame: centre + R @ ((u/out - 0.5) * size, (v/out - 0.5) * size)
        scale = self.size / out
        forward = np.array([[cos * scale, -sin * scale, 0.0], [sin * scale, cos * scale, 0.0]])
        forward[:, 2] = np.array([self.cx, self.cy]) - forward[:, :2] @ np.array([out / 2] * 2)
        return forward

    def crop_matrix(self, out: int) -> np.ndarray:
        """2x3 affine map from frame pixels to the ``out`` x ``out`` crop."""
        return np.linalg.inv(np.vstack([self.to_frame_matrix(out), [0.0, 0.0, 1.0]]))[:2]


def region_from_box(x0: float, y0: float, x1: float, y1: float,
                    eye_a: np.ndarray, eye_b: np.ndarray) -> Region:
    """MediaPipe's face region: the box turned to level the two eye points, widened to a
    square of 1.5 times its long side (pixels)."""
    rotation = -np.arctan2(-(eye_b[1] - eye_a[1]), eye_b[0] - eye_a[0])
    rotation = float((rotation + np.pi) % (2 * np.pi) - np.pi)
    size = max(x1 - x0, y1 - y0) * ROI_SCALE
    return Region((x0 + x1) / 2, (y0 + y1) / 2, float(size), rotation)


def region_from_landmarks(points: np.ndarray) -> Region:
    x0, y0 = points[:, :2].min(axis=0)
    x1, y1 = points[:, :2].max(axis=0)
    a, b = ROI_EYE_CORNERS
    return region_from_box(x0, y0, x1, y1, points[a], points[b])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -100.0, 100.0)))


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box a (4,) with boxes b (n, 4), x0 y0 x1 y1."""
    ix = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    iy = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


class LiteRTFaceDetector:
    """The bundle's face detector (``face_detector.tflite``, BlazeFace short range) run with
    LiteRT: the detector of :class:`LiteRTEngine`, and alone the orientation check's
    (:mod:`synkinesis.landmarks.orientation`) under ``--engine litert``.

    Parameters
    ----------
    model : the detector network's bytes (from the bundle)
    """

    def __init__(self, model: bytes) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self._net = _interpreter(model)
        self.anchors = detector_anchors()
        out = {d["name"]: d["index"] for d in self._net.get_output_details()}
        self._in = self._net.get_input_details()[0]["index"]
        self._boxes, self._scores = out["regressors"], out["classificators"]

    def run(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """The network on ``rgb`` letterboxed to 128x128 (aspect ratio kept, zeros around):
        (896, 16) raw boxes and key points relative to the anchors, (896,) scores 0..1, the
        letterbox's side and (x, y) padding in frame pixels."""
        import cv2

        height, width = rgb.shape[:2]
        side = max(height, width)  # letterbox: keep the aspect ratio, pad with zeros
        scale = DETECTOR_SIZE / side
        pad_x, pad_y = (side - width) / 2, (side - height) / 2
        matrix = np.array([[scale, 0.0, pad_x * scale], [0.0, scale, pad_y * scale]])
        tensor = cv2.warpAffine(rgb, matrix, (DETECTOR_SIZE, DETECTOR_SIZE),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        tensor = tensor.astype(np.float32) / 127.5 - 1.0
        self._net.set_tensor(self._in, tensor[None])
        self._net.invoke()
        raw = self._net.get_tensor(self._boxes)[0]
        scores = _sigmoid(self._net.get_tensor(self._scores)[0, :, 0])
        return raw, scores, side, np.array([pad_x, pad_y])

    def best_score(self, rgb: np.ndarray) -> float:
        """The highest face score of any anchor in ``rgb``, 0..1 (what the Tasks API's
        FaceDetector reports for its best detection: its weighted suppression keeps the best
        candidate's score)."""
        return float(self.run(np.ascontiguousarray(rgb))[1].max())


class LiteRTEngine:
    """Face landmarks from the bundle's networks run with LiteRT (see the module docstring).

    Parameters
    ----------
    mode : "video" (track each face's region from the previous frame) or "image" (detect on
        every call)
    model_path : face_landmarker.task; default: the verified registry copy
    min_confidence : detection and presence threshold, 0..1
    max_faces : faces kept per frame
    blendshapes : run the blendshape model (False: ``blendshapes`` is None)
    """

    name = "litert-face-landmarker"
    #: No smoothing over frames (the composite engine and the manifest ask).
    smooths_over_frames = False

    def __init__(self, *, mode: RunningMode = "video", model_path: Path | None = None,
                 min_confidence: float = 0.5, max_faces: int = 1,
                 blendshapes: bool = True) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        ai_edge_litert, _ = _litert()

        self.mode = mode
        self.min_confidence = float(min_confidence)
        self.max_faces = int(max_faces)
        self.model_sha256 = MODEL_SHA256
        self.version = f"ai-edge-litert {getattr(ai_edge_litert, '__version__', '?')}"
        with zipfile.ZipFile(verified_model_path(model_path)) as bundle:
            self._face_detector = LiteRTFaceDetector(bundle.read("face_detector.tflite"))
            self._landmarker = _interpreter(bundle.read("face_landmarks_detector.tflite"))
            self._blender = (_interpreter(bundle.read("face_blendshapes.tflite"))
                             if blendshapes else None)
        if self._blender is not None:
            from synkinesis.measure.options import BLENDSHAPE_NAMES

            self.blendshape_names: tuple[str, ...] = tuple(BLENDSHAPE_NAMES)
            self._bs_in = self._blender.get_input_details()[0]["index"]
            self._bs_out = self._blender.get_output_details()[0]["index"]
            self._bs_subset = np.asarray(BLENDSHAPE_LANDMARKS)
        else:
            self.blendshape_names = ()
        lm_out = self._landmarker.get_output_details()
        self._lm_in = self._landmarker.get_input_details()[0]["index"]
        self._lm_points = next(d["index"] for d in lm_out if d["shape"][-1] == N_LANDMARKS * 3)
        self._lm_presence = next(d["index"] for d in lm_out if tuple(d["shape"]) == (1, 1, 1, 1))
        #: A view of the landmark network's input (called for a fresh view each frame: LiteRT
        #: refuses to run while a view is held).
        self._lm_input = self._landmarker.tensor(self._lm_in)
        self._crop = np.empty((LANDMARK_SIZE, LANDMARK_SIZE, 3), dtype=np.uint8)
        self._tracked: list[Region] = []
        self.detector_runs = 0
        #: True: ``detect`` leaves the blendshapes out (None) and the caller runs :meth:`blend`
        #: on the landmarks of the faces whose blendshapes it keeps (the same numbers as
        #: ``detect`` would give: the model reads only those landmarks).
        self.defer_blendshapes = False
        #: A video's landmarks are not smoothed over frames: the pipeline smooths the signals.
        self.tracks_unsmoothed = mode == "video"

    # -- the networks ------------------------------------------------------------------------
    def detect_faces(self, rgb: np.ndarray) -> list[Region]:
        """Face regions found by the detector (pixels), best first."""
        self.detector_runs += 1
        raw, scores, side, pad = self._face_detector.run(rgb)
        keep = scores >= self.min_confidence
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self._face_detector.anchors[keep]
        centre = raw[:, :2] / DETECTOR_SIZE + anchors
        half = raw[:, 2:4] / DETECTOR_SIZE / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        keypoints = raw[:, 4:16].reshape(-1, 6, 2) / DETECTOR_SIZE + anchors[:, None, :]
        # to frame pixels: undo the letterbox
        to_px = lambda v: v * side - pad  # noqa: E731
        boxes = np.concatenate([to_px(boxes[:, :2]), to_px(boxes[:, 2:])], axis=1)
        keypoints = to_px(keypoints)
        regions = []
        order = np.argsort(-scores)
        remaining = list(order)
        while remaining and len(regions) < self.max_faces:
            best = remaining[0]
            overlap = _iou(boxes[best], boxes[remaining])
            group = [remaining[i] for i in np.flatnonzero(overlap > NMS_IOU)]
            remaining = [r for r, o in zip(remaining, overlap) if o <= NMS_IOU]
            weights = scores[group][:, None]
            box = (boxes[group] * weights).sum(axis=0) / weights.sum()
            points = (keypoints[group] * weights[:, :, None]).sum(axis=0) / weights.sum()
            regions.append(region_from_box(*box, points[0], points[1]))
        return regions

    def landmark(self, rgb: np.ndarray, region: Region) -> tuple[np.ndarray, float]:
        """(478, 3) landmarks in frame pixels and the face presence score in ``region``."""
        import cv2

        # One warp of the region into a reused 256x256 buffer (the crop -> frame map given
        # as the inverse map: no matrix inversion), scaled to 0..1 straight into the
        # network's input tensor (the same float32 values as ``crop.astype(float32) / 255``).
        to_frame = region.to_frame_matrix(LANDMARK_SIZE)
        cv2.warpAffine(rgb, to_frame, (LANDMARK_SIZE, LANDMARK_SIZE), dst=self._crop,
                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_REPLICATE)
        np.divide(self._crop, np.float32(255.0), out=self._lm_input()[0])
        self._landmarker.invoke()
        raw = self._landmarker.get_tensor(self._lm_points).reshape(N_LANDMARKS, 3)
        logit = float(self._landmarker.get_tensor(self._lm_presence).ravel()[0])
        presence = 1.0 / (1.0 + math.exp(-min(max(logit, -100.0), 100.0)))
        points = np.empty((N_LANDMARKS, 3), dtype=np.float32)
        points[:, :2] = raw[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
        points[:, 2] = raw[:, 2] * (region.size / LANDMARK_SIZE)
        return points, presence

    @property
    def blendshapes_deferrable(self) -> bool:
        """Whether :attr:`defer_blendshapes` may be set (the blendshape model is loaded)."""
        return self._blender is not None

    def blend(self, points: np.ndarray) -> np.ndarray:
        """(52,) blendshape coefficients of one face's landmarks (frame pixels)."""
        self._blender.set_tensor(
            self._bs_in, np.ascontiguousarray(points[self._bs_subset, :2], np.float32)[None])
        self._blender.invoke()
        return self._blender.get_tensor(self._bs_out).astype(np.float32).copy()

    # -- the engine interface ----------------------------------------------------------------
    def detect(self, rgb: np.ndarray, *, timestamp_ms: int | None = None) -> list[FaceObservation]:
        rgb = np.ascontiguousarray(rgb)
        regions = self._tracked if self.mode == "video" and self._tracked else None
        if regions is None:
            regions = self.detect_faces(rgb)
        faces, tracked = [], []
        for region in regions:
            points, presence = self.landmark(rgb, region)
            if presence < self.min_confidence:
                continue
            blend = (self.blend(points) if self._blender is not None
                     and not self.defer_blendshapes else None)
            faces.append(FaceObservation(landmarks_px=points, blendshapes=blend))
            tracked.append(region_from_landmarks(points))
        self._tracked = tracked if self.mode == "video" else []
        return faces

    def close(self) -> None:
        self._face_detector = self._landmarker = self._blender = None
        self._tracked = []

    def __enter__(self) -> LiteRTEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
