"""Per-frame (online) measurement for the live loop: one camera frame -> region movements.

The batch measurement (the rest of :mod:`synkinesis.measure`) calibrates a whole recording at
once; a live session cannot wait for the end. :class:`LiveMeasurer` applies the same steps frame
by frame (the web's live socket only streams frames to it and its answers back),
reusing the library's functions (the method's landmark engine,
:func:`~synkinesis.measure.engines.make_engine`; :func:`~synkinesis.normalize.fit_head_pose`,
:func:`~synkinesis.signals.compute_signals`, the calibration steps of
:mod:`synkinesis.measure.calibrate`, :func:`~synkinesis.recording.region_movements`):

* landmarks: by default the assessment's one-sided method (``composite-edges``: half-face
  composites, lid and mouth-corner edges), tracked frame by frame;
* scale: millimetres from the iris over the first :data:`SCALE_FRAMES` frontal frames, each
  eye's most open ones (:func:`~synkinesis.measure.calibrate.open_eye_iris_scale`), then fixed;
* rest: the frames the client marks as rest (the exercise starts with a short "relax" phase):
  the pixel refinements' resting offset over them taken off
  (:func:`~synkinesis.measure.calibrate.keep_rest_level`), then their median, as
  :func:`~synkinesis.recording.rest_baseline` does for a recording;
* no smoothing (the assessment's centred smoothing looks ahead);
* movement per region and side, in mm, positive in the region's active direction
  (:data:`~synkinesis.recording.REGION_SIGNALS`). Sides are the patient's.

No new measurement is defined here (the regions are :data:`~synkinesis.recording.MEASURED_REGIONS`,
the signals :func:`~synkinesis.signals.compute_signals`'s); nothing is written to disk. The pure
steps (:func:`head_frame`, :func:`frame_signals`, :func:`frame_movements`) are array functions,
tested against the batch computation on the same landmarks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synkinesis.defaults import DEFAULT_METHOD

#: Frames used to fix the millimetre scale (about 1 s at 30 fps).
SCALE_FRAMES = 30
#: Most rest frames kept for the baseline.
MAX_REST_FRAMES = 90
#: A face is "frontal enough" for measurement within these angles (degrees): the pipeline's
#: quality limits (:class:`~synkinesis.quality.QualityLimits`), tightened for live guidance.
FRONTAL_YAW_DEG = 15.0
FRONTAL_PITCH_DEG = 15.0


@dataclass
class LiveFrame:
    """What one frame gives.

    Attributes
    ----------
    n_faces : int
    pose_deg : (yaw, pitch, roll) or None, degrees
    frontal : bool
        One face, within :data:`FRONTAL_YAW_DEG` / :data:`FRONTAL_PITCH_DEG`.
    calibrated : bool
        The millimetre scale is known.
    movements : dict side -> dict region -> float (mm) or None
        Movement from rest; empty until a rest baseline exists.
    signals : dict signal name -> float
        The frame's signals (mm, degrees; the refinements' resting offsets taken off once a
        rest baseline exists); empty until calibrated. Not sent to the browser.
    """

    n_faces: int
    pose_deg: tuple[float, float, float] | None = None
    frontal: bool = False
    calibrated: bool = False
    movements: dict[str, dict[str, float | None]] = field(default_factory=dict)
    signals: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"n_faces": self.n_faces,
                "pose_deg": None if self.pose_deg is None else [round(a, 1)
                                                                 for a in self.pose_deg],
                "frontal": self.frontal, "calibrated": self.calibrated,
                "movements": self.movements}


def head_frame(landmarks_px: np.ndarray, canonical: Any) -> tuple[np.ndarray, Any]:
    """Landmarks (N, 478, 3) image pixels -> (head-frame landmarks, head pose), as the batch
    landmark pass computes them (:func:`~synkinesis.normalize.fit_head_pose`,
    :func:`~synkinesis.normalize.to_head_frame`)."""
    from synkinesis.normalize import fit_head_pose, to_head_frame

    landmarks = np.asarray(landmarks_px, dtype=np.float64)
    pose = fit_head_pose(landmarks, canonical.vertices, canonical.basis_ids,
                         canonical.basis_weights)
    return to_head_frame(landmarks, pose), pose


def is_frontal(n_faces: int, yaw_deg: float, pitch_deg: float) -> bool:
    """One face, within :data:`FRONTAL_YAW_DEG` / :data:`FRONTAL_PITCH_DEG`."""
    return n_faces == 1 and abs(yaw_deg) <= FRONTAL_YAW_DEG and abs(pitch_deg) <= FRONTAL_PITCH_DEG


def frame_signals(head: np.ndarray, mm_per_unit: float) -> dict[str, float]:
    """One frame's signal columns (mm / degrees) from its head-frame landmarks (1, 478, 3)."""
    from synkinesis.signals import compute_signals

    return {name: float(values[0]) for name, values in compute_signals(head, mm_per_unit).items()}


def frame_movements(signals: dict[str, float], baseline: dict[str, float],
                    time_s: float = 0.0) -> dict[str, dict[str, float | None]]:
    """Movement from rest of every measured region, per side (patient's), mm rounded to 0.01,
    None where not finite; :func:`~synkinesis.recording.region_movements` on one frame."""
    from synkinesis.recording import MEASURED_REGIONS, Recording, region_movements

    recording = Recording(time_s=np.array([time_s]),
                          signals={k: np.array([v]) for k, v in signals.items()},
                          flags=np.zeros(1, dtype=np.int64))
    moves = region_movements(recording, baseline)
    return {side: {region: _finite(moves[side][region][0]) for region in MEASURED_REGIONS}
            for side in moves}


def live_engine_name() -> str:
    """The landmark engine of the live one-sided method: ``litert`` (our own tracking loop:
    the landmark network alone per composite, the face detector only at the start and after
    a loss, no blendshapes) when ai-edge-litert is installed (a dependency of synkinesis), else
    the Tasks API (``mediapipe-tasks``). Both give the same landmarks within 0.02 px on the shared
    media (docs/benchmarks.md); the LiteRT loop costs about half the CPU per frame."""
    import importlib.util

    return "litert" if importlib.util.find_spec("ai_edge_litert") is not None \
        else "mediapipe-tasks"


class LiveMeasurer:
    """Landmarks one frame at a time (VIDEO mode, tracking) and returns region movements.

    Parameters
    ----------
    engine : landmark engine, optional
        Default: the engine of ``method`` (:func:`~synkinesis.measure.engines.make_engine`, one
        per session: it tracks across frames and is not shared between threads).
    max_faces : int
        Faces the ``fast`` engine looks for. MediaPipe re-runs its face detector on every frame
        while it tracks fewer faces than this, so 1 is fastest; 2 is enough to notice a second
        person (guided recording). The one-sided methods track one face.
    method : str
        A :data:`~synkinesis.measure.options.METHODS` name. ``composite-edges`` (the
        assessment's default, for exercises): each side from its own half-face composite with
        lid and mouth-corner edges, the edges' resting offset taken off as
        :func:`~synkinesis.measure.calibrate.keep_rest_level` does, over the rest frames.
        ``fast``: the single-pass model (framing guidance only: it sees a fraction of a
        one-sided movement).

    Differences from the assessment, by necessity of a live signal: the scale comes from the
    first :data:`SCALE_FRAMES` frontal frames (each eye's most open ones,
    :func:`~synkinesis.measure.calibrate.open_eye_iris_scale`), the rest and the edges'
    resting offset from the frames the client marks as rest; and the signal is not smoothed
    (the assessment's centred smoothing looks ahead).
    """

    def __init__(self, engine: Any = None, *, max_faces: int = 1,
                 method: str = DEFAULT_METHOD, engine_name: str | None = None) -> None:
        from synkinesis.defaults import ENGINES
        from synkinesis.measure.engines import canonical_face, make_engine
        from synkinesis.measure.options import METHODS, MeasureOptions

        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if engine_name is not None and engine_name not in ENGINES:
            raise ValueError(f"engine_name must be one of {', '.join(ENGINES)}, "
                             f"got {engine_name!r}")
        if method == "fast":
            engine_name = "mediapipe-tasks"
        elif engine_name is None:
            engine_name = live_engine_name()
        options = MeasureOptions(method=method, engine=engine_name)
        if engine is None:
            if method == "fast":
                from synkinesis.landmarks.mediapipe_engine import MediaPipeEngine

                engine = MediaPipeEngine(mode="video", max_faces=max_faces)
            else:
                # the live signal reads landmarks only: no blendshape network per frame
                engine = make_engine("video", options, blendshapes=False)
        self.method = method
        #: the :data:`~synkinesis.defaults.ENGINES` name that runs the landmark networks
        self.engine_name = engine_name
        self.engine = engine
        self.canonical = canonical_face(options)
        self.iris_diameter_mm = options.iris_diameter_mm
        self._iris: deque[np.ndarray] = deque(maxlen=SCALE_FRAMES)
        self._interpupil: deque[float] = deque(maxlen=SCALE_FRAMES)
        self._fissures: deque[tuple[float, float]] = deque(maxlen=SCALE_FRAMES)
        self.mm_per_unit: float | None = None
        self._rest: list[tuple[dict[str, float], dict[str, float], dict[str, bool]]] = []
        self.baseline: dict[str, float] | None = None
        #: the pixel refinements' resting offsets (signal -> mm), from the rest frames
        self.refinement_offsets: dict[str, float] = {}
        self._previous_box = None

    def close(self) -> None:
        """Release the landmark engine."""
        self.engine.close()

    def reset_rest(self) -> None:
        """Forget the rest baseline (a new rest phase follows)."""
        self._rest = []
        self.baseline = None
        self.refinement_offsets = {}

    def measure(self, rgb: np.ndarray, *, timestamp_ms: int, rest: bool = False) -> LiveFrame:
        """Measure one RGB frame (H, W, 3) uint8; ``rest`` adds it to the rest baseline."""
        from synkinesis.landmarks.engine import main_face_index
        from synkinesis.normalize import interpupil_distance, iris_diameters
        from synkinesis.signals import signal_name

        faces = self.engine.detect(rgb, timestamp_ms=timestamp_ms)
        if not faces:
            self._previous_box = None
            return LiveFrame(n_faces=0)
        main = main_face_index(faces, rgb.shape[:2], self._previous_box)
        self._previous_box = faces[main].bounding_box() if len(faces) > 1 else None
        face = faces[main]
        head, pose = head_frame(face.landmarks_px[None], self.canonical)
        yaw, pitch, roll = (float(a) for a in pose.angles_deg()[0])
        frontal = is_frontal(len(faces), yaw, pitch)
        frame = LiveFrame(n_faces=len(faces), pose_deg=(yaw, pitch, roll), frontal=frontal)
        raw, change, refined = self._raw_signals(face, head, pose)
        if rest and frontal:
            self._rest.append((raw, change, refined))
            self._rest = self._rest[-MAX_REST_FRAMES:]
        if self.mm_per_unit is None:
            if frontal:
                self._iris.append(iris_diameters(head)[0])
                self._interpupil.append(float(interpupil_distance(head)[0]))
                self._fissures.append((raw[signal_name("palpebral_fissure", "left")],
                                       raw[signal_name("palpebral_fissure", "right")]))
            if len(self._iris) == SCALE_FRAMES:
                self.mm_per_unit = self._scale()
            if self.mm_per_unit is None:
                return frame
        frame.calibrated = True
        if self._rest and (rest and frontal or self.baseline is None):
            self._rest_level()
        signals = self._level(raw, change, refined)
        frame.signals = signals
        if self.baseline is None:
            return frame
        frame.movements = frame_movements(signals, self.baseline, timestamp_ms / 1000.0)
        return frame

    def _scale(self) -> float | None:
        """mm per head unit from the scale frames: each eye's most open ones (as the assessment),
        else all of them."""
        from synkinesis.measure.calibrate import open_eye_iris_scale
        from synkinesis.normalize import millimetres_per_unit

        iris = np.array(self._iris)
        interpupil = np.array(self._interpupil)
        fissures = np.array(self._fissures)
        every = np.ones(len(iris), dtype=bool)
        scale = open_eye_iris_scale(iris, interpupil, {"left": fissures[:, 0],
                                                       "right": fissures[:, 1]},
                                    every, self.iris_diameter_mm)
        if scale is None:
            scale = millimetres_per_unit(iris.mean(axis=1), interpupil, every,
                                         iris_diameter_mm=self.iris_diameter_mm)
        return None if scale is None else scale.mm_per_unit

    def _raw_signals(self, face: Any, head: np.ndarray, pose: Any,
                     ) -> tuple[dict[str, float], dict[str, float], dict[str, bool]]:
        """This frame's signals in head-frame units (a covered half's NaN), the change the
        pixel refinements made to the refined ones (head-frame units), and whether each was
        refined, as the landmark pass and :func:`~synkinesis.measure.calibrate.refined_frames`
        compute them."""
        from synkinesis.measure.calibrate import refined_frames
        from synkinesis.measure.options import REFINED_SIGNALS, SOURCE_CODES
        from synkinesis.normalize import to_head_frame
        from synkinesis.signals import blank_side

        signals = frame_signals(head, 1.0)
        change: dict[str, float] = {}
        refined: dict[str, bool] = {}
        model = getattr(face, "model_landmarks_px", None)
        sources = getattr(face, "sources", None)
        if model is not None and sources is not None:
            before = frame_signals(to_head_frame(np.asarray(model, dtype=np.float64)[None], pose),
                                   1.0)
            change = {name: float(np.nan_to_num(signals[name] - before[name]))
                      for name in REFINED_SIGNALS if name in signals}
            done = refined_frames(np.array([[sources["left"], sources["right"]]]))
            refined = {name: bool(done[name][0]) for name in change if name in done}
        if sources is not None:
            arrays = {name: np.array([value]) for name, value in signals.items()}
            for side in ("left", "right"):
                if sources[side] == SOURCE_CODES["hidden"]:
                    arrays = blank_side(arrays, side, np.array([True]))
            signals = {name: float(values[0]) for name, values in arrays.items()}
        return signals, change, refined

    def _rest_level(self) -> None:
        """The refinements' resting offsets and the rest baseline from the rest frames so far
        (:func:`~synkinesis.measure.calibrate.keep_rest_level`, then the median)."""
        from synkinesis.measure.calibrate import keep_rest_level, scale_signals
        from synkinesis.recording import baseline_columns

        assert self.mm_per_unit is not None
        names = sorted({name for _, change, _ in self._rest for name in change})
        n = len(self._rest)
        signals = scale_signals({name: np.array([s[name] for s, _, _ in self._rest])
                                 for name in self._rest[0][0]}, self.mm_per_unit)
        change = {name: np.array([c.get(name, 0.0) for _, c, _ in self._rest]) for name in names}
        refined = {name: np.array([r.get(name, False) for _, _, r in self._rest])
                   for name in names}
        levelled, self.refinement_offsets = keep_rest_level(
            signals, change, np.ones(n, dtype=bool), self.mm_per_unit, refined)
        with np.errstate(all="ignore"):
            self.baseline = {name: float(np.nanmedian(levelled[name]))
                             if np.isfinite(levelled[name]).any() else float("nan")
                             for name in baseline_columns()}

    def _level(self, raw: dict[str, float], change: dict[str, float],
               refined: dict[str, bool]) -> dict[str, float]:
        """One frame's signals in mm with the refinements' resting offsets taken off where
        refined (:func:`~synkinesis.measure.calibrate.keep_rest_level` given the rest frames'
        offsets)."""
        from synkinesis.measure.calibrate import keep_rest_level, scale_signals

        assert self.mm_per_unit is not None
        signals = scale_signals({name: np.array([value]) for name, value in raw.items()},
                                self.mm_per_unit)
        if self.refinement_offsets:
            signals, _ = keep_rest_level(
                signals, {name: np.array([value]) for name, value in change.items()},
                np.ones(1, dtype=bool), self.mm_per_unit,
                {name: np.array([value]) for name, value in refined.items()},
                given=self.refinement_offsets)
        return {name: float(values[0]) for name, values in signals.items()}


def _finite(value: float) -> float | None:
    return round(float(value), 2) if np.isfinite(value) else None
