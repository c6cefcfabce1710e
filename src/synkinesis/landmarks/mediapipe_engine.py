"""MediaPipe FaceLandmarker (Tasks API) backend: 478 landmarks, 52 blendshapes."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from synkinesis.landmarks.engine import FaceObservation, RunningMode
from synkinesis.landmarks.model import MODEL_SHA256, verified_model_path

#: Up to this many faces are looked for, so that bystanders are noticed and the patient picked.
MAX_FACES = 3


#: File descriptor 2 is the process's: two engines warming up at the same time (paired
#: detection runs two at once) must not save and restore each other's redirection.
_STDERR_LOCK = threading.Lock()


@contextmanager
def _native_stderr_silenced():
    """Hide the native (C++) set-up log lines MediaPipe writes straight to file descriptor 2;
    Python exceptions still carry their messages."""
    with _STDERR_LOCK:
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 2)
                yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


#: Time step handed to MediaPipe between frames when its landmark smoothing is not wanted, ms
#: (about 2.8 hours: the one-euro filter's time constant, ~3 s, is then 0.03 % of a step; a
#: 10-hour recording at 60 fps stays far inside MediaPipe's 64-bit microsecond timestamps).
UNSMOOTHED_STEP_MS = 10_000_000


class MediaPipeEngine:
    """FaceLandmarker in VIDEO mode (tracking across frames) or IMAGE mode (independent photos).

    Parameters
    ----------
    mode : "video" or "image"
    model_path : path of face_landmarker.task; default: the verified registry copy.
    min_confidence : detection / presence / tracking confidence, 0..1.
    smoothing : bool
        VIDEO mode only. MediaPipe's face landmarker smooths the landmarks of a video over
        frames (a one-euro filter inside its graph, with no option to switch it off). That
        filter lags fast real movement: on WolfgangLanger_Pexels.mp4 (frame 388, the lids
        reopening after a blink) tracking read the lid gap 4.3 px where the frame landmarked on
        its own read 7.4 px (tests/honest/test_mediapipe_lag.py), and a tracked half-face
        composite read one eye reopening 0.1 s after the other, a 2 mm "one-sided narrowing"
        that the analysis took for severe ocular-oral synkinesis.
        With ``smoothing=False`` the frames are handed to MediaPipe
        :data:`UNSMOOTHED_STEP_MS` apart, whatever their real time: the filter's time constant
        (seconds) is then negligible and it passes every frame unchanged, while tracking (each
        frame's face region from the previous frame's landmarks) works as before.
    """

    name = "mediapipe-face-landmarker"

    def __init__(
        self,
        *,
        mode: RunningMode = "video",
        model_path: Path | None = None,
        min_confidence: float = 0.5,
        max_faces: int = MAX_FACES,
        smoothing: bool = True,
    ) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        self.mode = mode
        self.version = f"mediapipe {mp.__version__}"
        self.model_sha256 = MODEL_SHA256
        path = verified_model_path(model_path)
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=(
                vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE
            ),
            num_faces=max_faces,
            min_face_detection_confidence=min_confidence,
            min_face_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
            output_face_blendshapes=True,
        )
        with _native_stderr_silenced():
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
            # The first inference logs delegate set-up lines through the native logger.
            self._landmarker_warm = False
        self.blendshape_names: tuple[str, ...] = ()
        self._last_timestamp = -1
        self.smoothing = smoothing

    @property
    def smooths_over_frames(self) -> bool:
        """MediaPipe smooths this engine's landmarks over frames."""
        return self.mode == "video" and self.smoothing

    def detect(self, rgb: np.ndarray, *, timestamp_ms: int | None = None) -> list[FaceObservation]:
        height, width = rgb.shape[:2]
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                               data=np.ascontiguousarray(rgb))
        if not self._landmarker_warm:
            self._landmarker_warm = True
            with _native_stderr_silenced():
                return self._detect(image, timestamp_ms, width, height)
        return self._detect(image, timestamp_ms, width, height)

    def _detect(self, image, timestamp_ms: int | None, width: int, height: int):
        if self.mode == "video":
            # VIDEO mode needs strictly increasing timestamps.
            stamp = (max(int(timestamp_ms or 0), self._last_timestamp + 1) if self.smoothing
                     else self._last_timestamp + UNSMOOTHED_STEP_MS)
            self._last_timestamp = stamp
            result = self._landmarker.detect_for_video(image, stamp)
        else:
            result = self._landmarker.detect(image)
        scale = np.array([width, height, width], dtype=np.float32)
        faces = []
        for index, landmarks in enumerate(result.face_landmarks):
            points = np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float32) * scale
            blendshapes = None
            if result.face_blendshapes and index < len(result.face_blendshapes):
                categories = result.face_blendshapes[index]
                if not self.blendshape_names:
                    self.blendshape_names = tuple(c.category_name for c in categories)
                blendshapes = np.array([c.score for c in categories], dtype=np.float32)
            faces.append(FaceObservation(landmarks_px=points, blendshapes=blendshapes))
        return faces

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> MediaPipeEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
