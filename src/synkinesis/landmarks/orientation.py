"""Which way up a face is in a recording: upright, upside down or lying on its side.

The face landmark model fits its mesh upright whatever the face does: on a video turned
upside down it put the mesh's brows on the mouth and read 49..51 of WolfgangLanger's 472
frames "usable", with a brow height of 14 mm for 22 (issue 16 item 13). The face detector of
the same model bundle (``face_detector.tflite`` inside ``face_landmarker.task``, so nothing new
is shipped or downloaded) scores a face highest when it is upright: each sampled frame is
scored turned by 0, 90, 180 and 270 degrees, and the turn that scores highest in most frames
turns every frame upright before landmarking.

Measured on the shared media: the upright turn scored 0.94..0.96 (mean over 12 frames of each
video; 0.90..0.94 on each photo) and won in every sampled frame of every upright, upside-down
and sideways copy of WolfgangLanger_Pexels.mp4 and single_face.mp4; the next best turn scored
0.04..0.17 lower. One turn is decided per video, from frames spread over it (a recording is
not turned halfway through); each photo gets its own. The camera stream is not turned.

The detector runs through the Tasks API (``--engine mediapipe-tasks``) or, under ``--engine
litert``, directly with LiteRT like the rest of that engine, so that a litert run never imports
MediaPipe (0.3 s and more of a short run's CPU). The two give the same scores: on the sampled
frames of the shared videos and photos at all four turns, 4e-8 apart (median) and at most
0.01 (no_face.mp4's low scores), and the same decision for every video and photo as recorded
and turned each way.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: A sampled frame takes part in the decision when its best turn scores at least this (a face
#: is there); frames without a face say nothing about which way up it is.
MIN_FACE_SCORE = 0.6
#: Frames sampled from a video to decide its orientation (evenly spread over it).
SAMPLE_FRAMES = 8


@dataclass(frozen=True)
class Orientation:
    """How far frames are turned, counter-clockwise, to show the face upright.

    Attributes
    ----------
    turns : int, quarter turns counter-clockwise (0 = as recorded; 2 = upside down)
    frames : int, sampled frames with a face that the decision rests on
    scores : (4,) tuple of float, mean face-detector score of those frames per turn
    """

    turns: int = 0
    frames: int = 0
    scores: tuple[float, ...] = ()

    @property
    def degrees(self) -> int:
        return 90 * self.turns

    def as_dict(self) -> dict[str, object]:
        return {"turned_ccw_deg": self.degrees, "quarter_turns_ccw": self.turns,
                "sampled_frames_with_face": self.frames,
                "mean_face_score_per_turn": {str(90 * k): round(s, 3)
                                             for k, s in enumerate(self.scores)},
                "meaning": "every frame was turned this far counter-clockwise before "
                           "landmarking, so that the face is upright (the face detector "
                           "scored that turn highest); landmarks are in the pixels of the "
                           "turned frame"}


def turn(rgb: np.ndarray, turns: int) -> np.ndarray:
    """``rgb`` turned ``turns`` quarter turns counter-clockwise (contiguous).

    The same array as ``np.ascontiguousarray(np.rot90(rgb, turns))`` (a turn only moves
    pixels), copied by OpenCV's rotation: 0.02-0.06 ms for a 640x360 frame against 0.7-0.8 ms
    for NumPy's strided copy (0.8 against 7.5 ms at 1920x1080), paid on every frame of a
    video that is turned and on the 24 turned copies of the orientation check (issue 23)."""
    import cv2

    turns %= 4
    if turns == 0:
        return rgb
    return cv2.rotate(np.ascontiguousarray(rgb), _ROTATIONS[turns](cv2))


#: cv2.rotate's code for 1, 2 and 3 quarter turns counter-clockwise.
_ROTATIONS = {1: lambda cv2: cv2.ROTATE_90_COUNTERCLOCKWISE,
              2: lambda cv2: cv2.ROTATE_180,
              3: lambda cv2: cv2.ROTATE_90_CLOCKWISE}


#: Detections scoring below this count as no face (the Tasks API detector's
#: ``min_detection_confidence``; the LiteRT detector's best score is cut off the same way).
MIN_DETECTION_SCORE = 0.2


class FaceOrientation:
    """The bundle's face detector, scoring frames at each quarter turn.

    Parameters
    ----------
    model_path : face_landmarker.task; default: the verified registry copy.
    engine : "litert": the detector network run with LiteRT
        (:class:`synkinesis.landmarks.litert_engine.LiteRTFaceDetector`), so that a litert run
        never imports MediaPipe; otherwise the Tasks API's FaceDetector. The same network and
        the same decision (the scores of the two agree to about 0.01, see
        docs/benchmarks.md).
    """

    def __init__(self, model_path: Path | None = None, *, engine: str = "mediapipe-tasks",
                 ) -> None:
        from synkinesis.landmarks.model import verified_model_path

        with zipfile.ZipFile(verified_model_path(model_path)) as bundle:
            detector = bundle.read("face_detector.tflite")
        self.engine = engine
        if engine == "litert":
            from synkinesis.landmarks.litert_engine import LiteRTFaceDetector

            self._detector = LiteRTFaceDetector(detector)
            return
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        from synkinesis.landmarks.mediapipe_engine import _native_stderr_silenced

        self._mp = mp
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=detector),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=MIN_DETECTION_SCORE)
        with _native_stderr_silenced():
            self._detector = vision.FaceDetector.create_from_options(options)
            self._score(np.zeros((64, 64, 3), dtype=np.uint8))  # set-up logs go nowhere

    def _score(self, rgb: np.ndarray) -> float:
        if self.engine == "litert":
            best = self._detector.best_score(rgb)
            return best if best >= MIN_DETECTION_SCORE else 0.0
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                               data=np.ascontiguousarray(rgb))
        found = self._detector.detect(image).detections
        return max((d.categories[0].score for d in found), default=0.0)

    def scores(self, rgb: np.ndarray) -> np.ndarray:
        """(4,) best face score of ``rgb`` turned 0, 1, 2, 3 quarter turns counter-clockwise."""
        return np.array([self._score(turn(rgb, k)) for k in range(4)])

    def orientation(self, frames: Sequence[np.ndarray]) -> Orientation:
        """The turn that shows the face in ``frames`` upright (RGB arrays of one recording).

        The turn scoring highest in most frames with a face; as recorded (0) when no frame
        has a face, or when no turn wins a majority of them or beats the recorded
        orientation's mean score.
        """
        table = np.array([self.scores(frame) for frame in frames]).reshape(-1, 4)
        table = table[table.max(axis=1) >= MIN_FACE_SCORE]
        if table.shape[0] == 0:
            return Orientation()
        means = table.mean(axis=0)
        best = int(np.argmax(means))
        wins = int((table.argmax(axis=1) == best).sum())
        if best != 0 and (2 * wins <= table.shape[0] or means[best] <= means[0]):
            best = 0
        return Orientation(best, int(table.shape[0]), tuple(float(m) for m in means))

    def close(self) -> None:
        if self._detector is not None and self.engine == "litert":
            self._detector = None
        if self._detector is not None:
            from synkinesis.landmarks.mediapipe_engine import _native_stderr_silenced

            with _native_stderr_silenced():  # LiteRT logs its accelerator's release
                self._detector.close()
            self._detector = None

    def __enter__(self) -> FaceOrientation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sample_frame_numbers(frame_count: int, key_frames: Sequence[int] | np.ndarray = (), *,
                         count: int = SAMPLE_FRAMES) -> list[int]:
    """Numbers of up to ``count`` frames spread evenly over a video of ``frame_count`` frames.

    Each evenly spaced frame is replaced by the key frame nearest to it when that lies within
    half the spacing: a key frame decodes on its own, any other frame only after every frame
    from the key frame before it (on WolfgangLanger_Pexels.mp4, a key frame every 72 frames,
    the 8 samples decoded 370 frames, 0.2 s of CPU; phone videos have longer frames and key
    frames every second or two). A video whose every frame is a key frame keeps the evenly
    spaced frames themselves.
    """
    targets = np.linspace(0, max(frame_count - 1, 0), count).astype(int)
    keys = np.asarray(key_frames, dtype=np.int64)
    reach = (frame_count - 1) / (count - 1) / 2 if count > 1 else 0.0
    wanted = set()
    for target in targets.tolist():
        if keys.size:
            nearest = int(keys[np.argmin(np.abs(keys - target))])
            if abs(nearest - target) <= reach:
                target = nearest
        wanted.add(int(target))
    return sorted(wanted)


def sample_video_frames(path: Path, frame_count: int, *,
                        count: int = SAMPLE_FRAMES) -> list[np.ndarray]:
    """Up to ``count`` RGB frames spread evenly over a video (for its orientation), key frames
    where one is near (:func:`sample_frame_numbers`).

    Frames with no key frame between them are decoded in one pass (a short video with a
    single key frame is decoded once, not once per sample), the others each from its own
    key frame."""
    from synkinesis.landmarks.sources import frame_index, iter_video

    stamps, keys = frame_index(Path(path))  # the packets read once, not once per sample
    wanted = sample_frame_numbers(frame_count, keys, count=count)
    runs: list[list[int]] = []
    for index in wanted:
        if runs and not ((keys > runs[-1][-1]) & (keys <= index)).any():
            runs[-1].append(index)  # decoding on from the last sample reaches it first
        else:
            runs.append([index])
    frames = []
    for run in runs:
        frames.extend(frame.rgb for frame in iter_video(
            Path(path), fps=30.0, start=run[0], stop=run[-1] + 1, only=set(run),
            stamps=stamps))
    return frames
