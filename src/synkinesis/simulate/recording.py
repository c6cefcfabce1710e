"""A synthetic recording of the protocol: central commands over time with natural timing, muscle
activations through today's wiring, and 478-landmark frames of a real neutral face. Pure.

Each task is a command that rises (raised cosine) after a reaction time, holds with a slow
tremor of effort, and releases; spontaneous blinks are brief orbicularis oculi commands (they go
through the wiring too, so a blink can twitch a synkinetic mouth). The head drifts slowly and
each landmark carries tracker noise. Every duration and noise level is an assumption.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from synkinesis.regions import SIDES
from synkinesis.simulate.anatomy import MUSCLES, TASKS, command_matrix
from synkinesis.simulate.camera import with_camera
from synkinesis.simulate.face import NeutralFace, displace, to_pixels
from synkinesis.simulate.nerve import ModelError, Nerve, drive_at
from synkinesis.simulate.treatments import Treatment

__all__ = ["ProtocolTiming", "SyntheticRecording", "TaskSpan", "protocol_commands",
           "synthesize_recording"]


@dataclass(frozen=True)
class ProtocolTiming:
    """Timing and noise of a synthetic recording (all assumptions, all configurable).

    Attributes
    ----------
    fps : float, frames per second
    rest_s : float, s
        Initial rest segment (the rest baseline).
    reaction_s, reaction_sd_s : float, s
        Delay from the start of a task's span to the command's onset, mean and SD.
    onset_s, hold_s, release_s, gap_s : float, s
        Rise, hold, fall of each task's command, and the rest before the next task.
    hold_sd_s : float, s
        SD of the hold duration.
    effort_sd : float
        SD of each task's overall effort (multiplies the command; 1 is the nominal command).
    tremor : float
        SD of the slow (~1 Hz) fluctuation of effort during a hold.
    blink_rate_hz : float
        Spontaneous blinks per second (both eyes; none while a task holds the eyes shut).
    blink_s : float, s
        Duration of a blink.
    head_motion_deg : float, degrees
        SD of slow head rotation (yaw, pitch, roll).
    head_shift_mm : float, mm
        SD of slow head translation.
    noise_px : float, pixels
        SD of independent tracker noise on every landmark coordinate.
    repetitions : int
        How many times each task is performed, in a row (the guided protocol asks each task
        twice: :data:`synkinesis.protocol.GUIDED_REPETITIONS`).
    face_px : float, pixels
        Width of the face in the image (cheek to cheek, landmarks 234 and 454): how close the
        camera is. 0 keeps the neutral face's own size.
    frame_width, frame_height : int, pixels
        Size of the video frame; 0 keeps the neutral face's frame. The face keeps its relative
        place in the frame.
    """

    fps: float = 30.0
    rest_s: float = 3.0
    reaction_s: float = 0.3
    reaction_sd_s: float = 0.08
    onset_s: float = 0.45
    hold_s: float = 1.6
    hold_sd_s: float = 0.15
    release_s: float = 0.45
    gap_s: float = 0.7
    effort_sd: float = 0.05
    tremor: float = 0.03
    blink_rate_hz: float = 0.15
    blink_s: float = 0.25
    head_motion_deg: float = 1.0
    head_shift_mm: float = 1.0
    noise_px: float = 0.3
    repetitions: int = 2
    face_px: float = 0.0
    frame_width: int = 0
    frame_height: int = 0

    def validate(self) -> None:
        """Raise :class:`~synkinesis.simulate.nerve.ModelError` for an impossible value."""
        for name, value in asdict(self).items():
            if not (np.isfinite(value) and value >= 0):
                raise ModelError(f"{name} must be a finite number >= 0, got {value}")
        if not 1.0 <= self.fps <= 240.0:
            raise ModelError(f"fps must be in 1..240, got {self.fps}")
        if self.hold_s <= 0 or self.rest_s <= 0:
            raise ModelError("hold_s and rest_s must be > 0 s")
        if self.noise_px > 20 or self.head_motion_deg > 20 or self.head_shift_mm > 50:
            raise ModelError("noise_px must be <= 20, head_motion_deg <= 20, head_shift_mm <= 50")
        for name in ("repetitions", "frame_width", "frame_height"):
            value = getattr(self, name)
            if isinstance(value, bool) or float(value) != int(value):
                raise ModelError(f"{name} must be a whole number, got {value}")
        if not 1 <= self.repetitions <= 10:
            raise ModelError(f"repetitions must be in 1..10, got {self.repetitions}")
        if (self.frame_width == 0) != (self.frame_height == 0):
            raise ModelError("frame_width and frame_height are given together (0 for both: "
                             "the neutral face's frame)")
        if self.frame_width and not (16 <= self.frame_width <= 8192
                                     and 16 <= self.frame_height <= 8192):
            raise ModelError(f"the frame must be 16..8192 pixels each way, got "
                             f"{self.frame_width}x{self.frame_height}")
        if self.face_px and not 20 <= self.face_px <= 8192:
            raise ModelError(f"face_px must be 20..8192 pixels (0: the face's own size), "
                             f"got {self.face_px}")

    def task_duration_s(self) -> float:
        """Length of one task's span, s (reaction to the end of its gap, at nominal timing)."""
        return (self.reaction_s + 3 * self.reaction_sd_s + self.onset_s + self.hold_s
                + 3 * self.hold_sd_s + self.release_s + self.gap_s)


@dataclass(frozen=True)
class TaskSpan:
    """Time span of one task in the recording, s from the first frame."""

    task: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SyntheticRecording:
    """A synthetic recording.

    Attributes
    ----------
    landmarks_px : (N, 478, 3) float32 array, image pixels (x right, y down, z away)
    time_s : (N,) array, s
    frame_size : (height, width), pixels
    spans : tuple of TaskSpan, in protocol order (rest first)
    command : (N, 16) array, central command to each muscle pool (0..1)
    activation : (N, 2, 16) array, muscle activations per side (SIDES order), 0..1
    """

    landmarks_px: np.ndarray
    time_s: np.ndarray
    frame_size: tuple[int, int]
    spans: tuple[TaskSpan, ...]
    command: np.ndarray
    activation: np.ndarray


def _smooth_noise(n: int, fps: float, cutoff_hz: float, rng: np.random.Generator) -> np.ndarray:
    """(n,) zero-mean, unit-SD noise low-passed to ~cutoff_hz (moving average of white noise)."""
    width = max(1, int(round(fps / max(cutoff_hz, 1e-3))))
    white = rng.standard_normal(n + width)
    smooth = np.convolve(white, np.ones(width) / width, mode="valid")[:n]
    sd = smooth.std()
    return smooth / sd if sd > 0 else smooth


def _envelope(t: np.ndarray, start: float, onset: float, hold: float, release: float
              ) -> np.ndarray:
    """0..1 raised-cosine rise, hold, raised-cosine fall."""
    rise = np.clip((t - start) / max(onset, 1e-6), 0.0, 1.0)
    fall = np.clip((t - start - onset - hold) / max(release, 1e-6), 0.0, 1.0)
    return 0.5 * (1 - np.cos(np.pi * rise)) * 0.5 * (1 + np.cos(np.pi * fall))


def protocol_commands(
    timing: ProtocolTiming, *, rng: np.random.Generator, tasks: tuple[str, ...] = TASKS
) -> tuple[np.ndarray, np.ndarray, tuple[TaskSpan, ...]]:
    """Central commands of the whole protocol over time.

    Each task other than rest is performed ``timing.repetitions`` times in a row, each
    repetition with its own reaction time, hold, effort and tremor, in a span of its own (the
    spans of one task share its name, as the guided protocol's repetitions do).

    Parameters
    ----------
    timing : ProtocolTiming
    rng : numpy.random.Generator
    tasks : task names in recording order; "rest" is the initial rest segment

    Returns
    -------
    time_s : (N,) array, s
    command : (N, 16) array, 0..1
    spans : tuple of TaskSpan
    """
    timing.validate()
    table = command_matrix()
    moving = [task for task in tasks if task != "rest" for _ in range(int(timing.repetitions))]
    span = timing.task_duration_s()
    total = timing.rest_s + span * len(moving)
    time_s = np.arange(int(round(total * timing.fps))) / timing.fps
    command = np.zeros((time_s.shape[0], len(MUSCLES)))
    spans = [TaskSpan("rest", 0.0, timing.rest_s)] if "rest" in tasks else []
    eye = MUSCLES.index("orbicularis_oculi")
    start = timing.rest_s
    for task in moving:
        reaction = max(0.0, rng.normal(timing.reaction_s, timing.reaction_sd_s))
        hold = max(0.2, rng.normal(timing.hold_s, timing.hold_sd_s))
        effort = max(0.0, rng.normal(1.0, timing.effort_sd))
        envelope = _envelope(time_s, start + reaction, timing.onset_s, hold, timing.release_s)
        tremor = 1.0 + timing.tremor * _smooth_noise(time_s.shape[0], timing.fps, 1.0, rng)
        level = np.clip(envelope * effort * tremor, 0.0, None)
        command = np.maximum(command, np.clip(level[:, None] * table[TASKS.index(task)], 0, 1))
        spans.append(TaskSpan(task, round(start, 4), round(start + span, 4)))
        start += span
    if timing.blink_rate_hz > 0:
        n_blinks = rng.poisson(timing.blink_rate_hz * total)
        for onset in np.sort(rng.uniform(0.0, total, n_blinks)):
            if command[min(int(onset * timing.fps), len(command) - 1), eye] > 0.5:
                continue  # the eyes are already shut by the task
            blink = _envelope(time_s, onset, timing.blink_s / 2, 0.0, timing.blink_s / 2)
            command[:, eye] = np.maximum(command[:, eye], blink)
    return time_s, np.clip(command, 0.0, 1.0), tuple(spans)


def camera_face(face: NeutralFace, timing: ProtocolTiming) -> NeutralFace:
    """The neutral face as ``timing``'s camera sees it (``face_px``, ``frame_width`` x
    ``frame_height``; 0 keeps the face's own); a face that does not fit raises ModelError."""
    frame = ((int(timing.frame_height), int(timing.frame_width)) if timing.frame_width
             else None)
    try:
        return with_camera(face, face_px=timing.face_px, frame_size=frame)
    except ValueError as exc:
        raise ModelError(str(exc)) from None


def synthesize_recording(
    nerve: Nerve,
    face: NeutralFace,
    fields: np.ndarray,
    *,
    day: float,
    treatments: tuple[Treatment, ...] = (),
    timing: ProtocolTiming = ProtocolTiming(),
    rng: np.random.Generator,
) -> SyntheticRecording:
    """Landmark frames of the protocol performed by a simulated patient on ``day``.

    Parameters
    ----------
    nerve : Nerve
    face : NeutralFace
        The real neutral face to move.
    fields : (2, 17, 478, 3) array
        :func:`~synkinesis.simulate.face.muscle_fields` for that face.
    day : float, days since the injury
    treatments : treatments given so far
    timing : ProtocolTiming
    rng : numpy.random.Generator

    Returns
    -------
    SyntheticRecording
    """
    face = camera_face(face, timing)
    time_s, command, spans = protocol_commands(timing, rng=rng)
    states = [drive_at(nerve, side, day, treatments=treatments) for side in SIDES]
    activation = np.stack([state.activation(command) for state in states], axis=1)
    head = displace(face.head_mm, fields, activation)
    n = time_s.shape[0]
    angles = np.stack([_smooth_noise(n, timing.fps, 0.3, rng) for _ in range(3)], axis=1)
    shift = np.stack([_smooth_noise(n, timing.fps, 0.3, rng) for _ in range(3)], axis=1)
    pixels = to_pixels(head, face, head_angles_rad=np.radians(timing.head_motion_deg) * angles,
                       head_shift_mm=timing.head_shift_mm * shift)
    pixels = pixels + timing.noise_px * rng.standard_normal(pixels.shape)
    return SyntheticRecording(
        landmarks_px=pixels.astype(np.float32),
        time_s=time_s,
        frame_size=face.frame_size,
        spans=spans,
        command=command,
        activation=activation,
    )
