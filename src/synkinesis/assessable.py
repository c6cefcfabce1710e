"""Which labelled task spans can be assessed: a side under a hand, a span that is not the task
(crying labelled as eye closure), a span already under way when the recording began. Pure.

:func:`synkinesis.coupling.compute_coupling` leaves such spans out of the coupling matrix and
keeps the reason (:attr:`synkinesis.coupling.Coupling.not_assessable`); docs/analysis.md
("Not assessable rather than guessed") explains the rules to users. Sides are the PATIENT's.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from synkinesis.protocol import (
    ACTIVITY_SCALES_MM,
    DRIVER_GROUP,
    EYE_CLOSURE_FRACTION,
    Segment,
    get_task,
)
from synkinesis.quality import FrameFlag
from synkinesis.recording import Recording
from synkinesis.regions import SIDES, Side
from synkinesis.signals import signal_name

#: A span labelled with a task is not that task when a region of ANOTHER driver group (brow,
#: eye, mouth) moves on BOTH sides by at least this fraction of the task's own driver movement
#: (crying labelled as eye closure: the brows rise and the lips move with the closed eyes)
#: [U, project default, set on WolfgangLanger's crying span: 0.8 of a clear movement of the
#: brows on the weaker side against 1.5 of the eyes]. Synkinesis is one-sided: a healthy side
#: does not co-move as much as the task itself, so a real synkinetic span is kept.
NOT_THE_TASK_RATIO = 0.5
#: ... and at least this much on the weaker side, activity units (1 = a clear movement) [U].
NOT_THE_TASK_MIN = 0.5
#: A side covered (``HIDDEN_LEFT``/``RIGHT``, a hand over it) in more than this fraction of a
#: span's usable frames: the span's cells are not assessable [U].
HIDDEN_FRACTION = 0.5
#: An unguided span that starts within this time of the first usable frame, with its driver
#: already at half of the span's movement there, was under way when the recording began: its
#: onset, and what it is, were not seen [U].
ONSET_MARGIN_S = 1.0
_GROUP_REGIONS = {"brow": ("brow",), "eye": ("eye",),
                  "mouth": ("mouth_corner", "upper_lip", "lower_lip")}


def _activity(moves: Mapping[str, np.ndarray], region: str, rest_fissure: float) -> np.ndarray:
    scale = (max(rest_fissure, 1.0) * EYE_CLOSURE_FRACTION if region == "eye"
             else ACTIVITY_SCALES_MM[region])
    return moves[region] / scale


def span_not_assessable(recording: Recording, segment: Segment,
                        moves: Mapping[Side, Mapping[str, np.ndarray]],
                        baseline: Mapping[str, float]) -> str:
    """Why a task span's cells cannot be assessed, or "" when they can.

    Three reasons, each explainable from the recording:

    - one side covered (a hand) in more than :data:`HIDDEN_FRACTION` of its usable frames;
    - (unguided spans) already under way at the first frames (:data:`ONSET_MARGIN_S`);
    - (unguided spans) not the task: a region of another driver group moves on BOTH sides,
      median over the span, by at least :data:`NOT_THE_TASK_RATIO` of the driver's movement
      and :data:`NOT_THE_TASK_MIN` (crying or laughing labelled as one task).
    """
    t = np.asarray(recording.time_s, dtype=float)
    mask = segment.mask(t) & recording.usable
    if not mask.any():
        return ""
    flags = np.asarray(recording.flags, dtype=np.int64)[mask]
    for side, flag in (("left", FrameFlag.HIDDEN_LEFT), ("right", FrameFlag.HIDDEN_RIGHT)):
        covered = float(np.mean((flags & int(flag)) != 0))
        if covered > HIDDEN_FRACTION:
            return (f"the {side} half of the face was covered in {covered:.0%} of the span's "
                    "frames (a hand?): its cells are left out")
    if segment.method != "unguided":
        return ""
    task = segment.task
    fissure = {side: baseline[signal_name("palpebral_fissure", side)] for side in SIDES}
    first = np.flatnonzero(recording.usable)[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        drive = at_start = 0.0
        for region in get_task(task).drivers:
            if region != "eye" and region not in ACTIVITY_SCALES_MM:
                continue
            both = np.nanmean([_activity(moves[s], region, fissure[s]) for s in SIDES], axis=0)
            if np.isfinite(both[mask]).any():
                drive = max(drive, float(np.nanmedian(both[mask])))
                if np.isfinite(both[first]).any():
                    at_start = max(at_start, float(np.nanmedian(both[first])))
        if (segment.start_s - float(t[first[0]]) < ONSET_MARGIN_S
                and drive > 0 and at_start >= 0.5 * drive):
            return ("already under way when the recording began (its driver at "
                    f"{at_start / drive:.0%} of the span's in the first frames): its onset, "
                    "and so what it is, were not seen")
        other, value = "", 0.0
        for group, regions in _GROUP_REGIONS.items():
            if group == DRIVER_GROUP.get(task):
                continue
            for region in regions:
                weaker = np.fmin(*(_activity(moves[s], region, fissure[s])[mask]
                                   for s in SIDES))
                if np.isfinite(weaker).any() and float(np.nanmedian(weaker)) > value:
                    other, value = region, float(np.nanmedian(weaker))
    if value >= NOT_THE_TASK_MIN and value >= NOT_THE_TASK_RATIO * drive:
        return (f"not the task: the {other.replace('_', ' ')} moved on both sides "
                f"({value:.1f} of a clear movement on the weaker side) as much as "
                f"{value / max(drive, 1e-9):.0%} of the {task.replace('_', ' ')} itself "
                "(crying or laughing labelled as a task?)")
    return ""
