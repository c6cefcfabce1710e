"""Retraining exercises and the live feedback of one session (target vs unwanted movement).

CLINICAL.md "Neuromuscular retraining" [V consensus 2022]: feedback of the target and the
synkinetic muscle at once, small slow movements, hold ~5 s and relax. Exercises per pattern are
[U typical]. The bars show movement from the patient's own rest (mm, :mod:`.live`) on the
affected side; the unwanted movement warns once it passes the patient's threshold.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXERCISES", "MAX_THRESHOLD_MM", "MIN_THRESHOLD_MM", "Exercise", "ExerciseTracker",
           "LiveLimiter", "get_exercise", "threshold_from_analysis"]

log = logging.getLogger(__name__)

#: Lowest unwanted-movement threshold (mm): below it the live signal's noise would warn.
MIN_THRESHOLD_MM = 0.5
#: Highest unwanted-movement threshold (mm) an analysis may set. One Sunnybrook synkinesis
#: point is ~0.77 mm of palpebral-fissure difference in a smile, ~1.0 mm in a pucker
#: (CLINICAL.md [V, 29 patients]), so severe synkinesis (3 points) is ~2.3..3 mm: a threshold
#: above 3 mm would let it pass without a warning. A healthy side's co-movement above that is
#: not physiological for these small, slow exercise movements but a measurement artefact (an
#: analysis once set 10.87 mm) [U, project default].
MAX_THRESHOLD_MM = 3.0


@dataclass(frozen=True)
class Exercise:
    """One retraining exercise.

    Attributes
    ----------
    name, label : str
    pattern : str
        The synkinesis pattern it retrains (analysis finding name).
    instruction : str
        What the patient is told.
    target_region, unwanted_region : str
        Regions of :data:`synkinesis.recording.REGION_SIGNALS` (movement in mm from rest).
    task : str
        The protocol task whose co-movement sets the threshold.
    target_goal_mm : float
        Target movement that counts as "doing it" [U: small, low-effort movements].
    default_threshold_mm : float
        Unwanted movement allowed when no analysis exists [U].
    note : str
    """

    name: str
    label: str
    pattern: str
    instruction: str
    target_region: str
    unwanted_region: str
    task: str
    target_goal_mm: float = 2.0
    default_threshold_mm: float = 1.0
    note: str = ""


EXERCISES: tuple[Exercise, ...] = (
    Exercise("smile_eye_open", "Small smile, eye open", "ocular_oral",
             "Smile small and slowly with closed lips; keep the eye open and relaxed. Hold, "
             "then relax.", "mouth_corner", "eye", "closed_smile"),
    Exercise("eye_closure_mouth_still", "Gentle eye closure, mouth still", "oral_ocular",
             "Close the eyes gently, as in sleep; keep the mouth corner still. Hold, then open.",
             "eye", "mouth_corner", "gentle_eye_closure", target_goal_mm=3.0),
    Exercise("smile_relaxed_neck", "Smile with a relaxed neck", "platysmal",
             "Smile with closed lips (a soft 'EEE' without showing teeth) and keep the neck "
             "relaxed. Hold, then relax.", "mouth_corner", "lower_lip", "closed_smile",
             note="the neck is not visible to face landmarks: the unwanted bar is the analysis's "
                  "proxy (lower lip pulled down); watch the neck yourself too"),
    Exercise("pucker_relaxed_chin", "Pucker with a relaxed chin", "mentalis",
             "Pucker the lips ('OOO') gently; keep the chin smooth and relaxed. Hold, then "
             "relax.", "mouth_corner", "chin", "pucker"),
)


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``; ValueError listing the names otherwise."""
    for exercise in EXERCISES:
        if exercise.name == name:
            return exercise
    raise ValueError(f"exercise must be one of {', '.join(e.name for e in EXERCISES)}, "
                     f"got {name!r}")


def threshold_from_analysis(exercise: Exercise, analysis: Mapping[str, Any] | None,
                            *, affected_side: str) -> tuple[float, str]:
    """The unwanted-movement threshold (mm) and where it came from.

    From the latest analysis: what the HEALTHY side's same region did in the exercise's task
    (normal faces co-move a little, CLINICAL.md: judge against the healthy side), at least the
    region's noise floor and :data:`MIN_THRESHOLD_MM`, at most :data:`MAX_THRESHOLD_MM` (the
    source then says it was capped, and the log records it). Without an analysis (or the
    cell): the exercise default.
    """
    default = (exercise.default_threshold_mm, "default (no analysis of this patient yet) [U]")
    if not analysis or affected_side not in ("left", "right"):
        return default
    healthy = "right" if affected_side == "left" else "left"
    try:
        coupling = analysis["coupling"]
        task = coupling["tasks"].index(exercise.task)
        region = coupling["regions"].index(exercise.unwanted_region)
        value = coupling["movement_mm"][healthy][task][region]
        floor = coupling["noise_floor_mm"][region]
    except (KeyError, ValueError, IndexError, TypeError):
        return default
    if value is None or not math.isfinite(float(value)):
        return default
    threshold = max(float(value), float(floor or 0.0), MIN_THRESHOLD_MM)
    region, task = exercise.unwanted_region.replace("_", " "), exercise.task.replace("_", " ")
    source = (f"latest analysis: healthy ({healthy}) side's {region} movement in the {task}, "
              f"at least the noise floor and {MIN_THRESHOLD_MM:g} mm")
    if threshold > MAX_THRESHOLD_MM:
        log.warning("exercise %s: the analysis's threshold %.2f mm is capped at %g mm",
                    exercise.name, threshold, MAX_THRESHOLD_MM)
        source += (f"; CAPPED at {MAX_THRESHOLD_MM:g} mm (the analysis gave {threshold:.2f} mm, "
                   "beyond a physiological co-movement: check that analysis)")
        threshold = MAX_THRESHOLD_MM
    return round(threshold, 2), source


@dataclass
class ExerciseTracker:
    """Hold timer, repetitions, warnings and a score for one exercise session (pure state).

    A repetition counts when the target stays at or above its goal for ``hold_s`` while the
    unwanted movement stays at or below the threshold; the target must then fall below half its
    goal (relax) before the next. The score is the percentage of "doing it" time with the
    unwanted movement under the threshold.
    """

    exercise: Exercise
    side: str
    threshold_mm: float
    hold_s: float = 5.0
    reps: int = 0
    warnings: int = 0
    active_s: float = 0.0
    clean_s: float = 0.0
    holding_s: float = 0.0
    peak_target_mm: float = 0.0
    _last_t: float | None = None
    _armed: bool = True
    _warned: bool = False
    samples: int = field(default=0)

    def update(self, t_s: float, movements: Mapping[str, Mapping[str, float | None]]
               ) -> dict[str, Any]:
        """Feed one frame's movements (side -> region -> mm); returns what the page shows."""
        moves = movements.get(self.side) or {}
        target = moves.get(self.exercise.target_region)
        unwanted = moves.get(self.exercise.unwanted_region)
        dt = 0.0 if self._last_t is None else min(max(t_s - self._last_t, 0.0), 0.5)
        self._last_t = t_s
        warning = False
        if target is not None and unwanted is not None:
            self.samples += 1
            self.peak_target_mm = max(self.peak_target_mm, target)
            doing = target >= self.exercise.target_goal_mm
            warning = unwanted > self.threshold_mm
            if doing:
                self.active_s += dt
                if not warning:
                    self.clean_s += dt
            if warning and doing and not self._warned:
                self.warnings += 1
            self._warned = warning and doing
            if doing and not warning and self._armed:
                self.holding_s += dt
                if self.holding_s >= self.hold_s:
                    self.reps += 1
                    self._armed = False
                    self.holding_s = 0.0
            else:
                self.holding_s = 0.0
                if target < 0.5 * self.exercise.target_goal_mm:
                    self._armed = True
        return {"target_mm": target, "unwanted_mm": unwanted, "threshold_mm": self.threshold_mm,
                "goal_mm": self.exercise.target_goal_mm, "warning": warning,
                "holding_s": round(self.holding_s, 2), "hold_s": self.hold_s, "reps": self.reps,
                "score": self.score()}

    def score(self) -> float | None:
        """% of active time with the unwanted movement under the threshold (None: no activity)."""
        return None if self.active_s <= 0 else round(100.0 * self.clean_s / self.active_s, 1)

    def summary(self) -> dict[str, Any]:
        """Biofeedback results for the therapy-session record (names -> numbers or text)."""
        out: dict[str, Any] = {
            "exercise": self.exercise.name, "side": self.side,
            "repetitions": self.reps, "warnings": self.warnings,
            "active_s": round(self.active_s, 1), "threshold_mm": self.threshold_mm,
            "peak_target_mm": round(self.peak_target_mm, 2),
        }
        score = self.score()
        if score is not None:
            out["score_pct"] = score
        return out


class LiveLimiter:
    """Caps simultaneous live sessions (each holds a landmark engine and CPU time), in all and
    per account (so one account cannot take every slot and lock the clinician out), and runs
    their measurements on one thread per core, so sessions share the CPU without
    oversubscribing it."""

    def __init__(self, limit: int, *, per_account: int = 2) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from synkinesis.landmarks.engine import usable_cpus

        self.limit = limit
        self.per_account = per_account
        self._by_account: dict[str, int] = {}
        self._lock = threading.Lock()
        # the cores this process may use (a server pinned to one core measures one frame at a
        # time: two threads there would only slow each other's frame down)
        self.pool = ThreadPoolExecutor(max_workers=usable_cpus(), thread_name_prefix="synk-live")

    def acquire(self, username: str) -> str | None:
        """Take a slot for ``username``; None when taken, else why not (for the client)."""
        with self._lock:
            if sum(self._by_account.values()) >= self.limit:
                return "too many live sessions at once; try again in a moment"
            if self._by_account.get(username, 0) >= self.per_account:
                return (f"this account already has {self.per_account} live sessions open; "
                        "close another camera page first")
            self._by_account[username] = self._by_account.get(username, 0) + 1
            return None

    def release(self, username: str) -> None:
        with self._lock:
            left = self._by_account.get(username, 0) - 1
            if left > 0:
                self._by_account[username] = left
            else:
                self._by_account.pop(username, None)
