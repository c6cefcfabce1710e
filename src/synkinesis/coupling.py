"""The coupling matrix: how far each region moves in each task, per side. Pure array maths.

``C[side][task, region]`` is the *sustained* movement of ``region`` (mm, in its active direction,
from rest) while the patient performs ``task``, also expressed as a fraction of that region's
own voluntary range on that side (its movement in the tasks it drives). The driver cells are
voluntary function; the other cells are co-movement. Synkinesis is co-movement on the affected
side beyond the healthy side's, so the matrix also keeps, per cell, the sustained *excess* of
each side over the other (``excess_mm``), both sides compared over the same frames.

"Sustained" means, for a driver cell, held for at least ``min_duration_s`` (the best window of
that length, the one whose lowest frame is highest): single-frame landmark noise never makes a
cell. A co-movement cell is, by default, the mean over the frames where the task's driver is
held (``held_level="driver"``), so its own noise does not choose its frames. Blinks of both
eyes are excluded from the eye region outside eye tasks (CLINICAL.md: exclude blinks from ocular
synkinesis); a one-sided closure is kept (:meth:`synkinesis.recording.Recording.blink_mask`).
Sides are the PATIENT's.

Why one file of over 500 lines: the cells, their noise floors and the three ways of reading a
held level (window minimum, window mean, the driver's hold) are computed in one pass over the
same task masks and hold frames, and the options that choose between them are validated
together; split, the readings would have to pass those masks back and forth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from synkinesis.assessable import span_not_assessable
from synkinesis.protocol import EYE_TASKS, TASK_NAMES, Segment, Segmentation, get_task
from synkinesis.recording import Recording, region_movements
from synkinesis.regions import REGIONS, SIDES, Side, other_side
from synkinesis.signals import signal_name
from synkinesis.sustained import (  # noqa: F401  (re-exported: their home until this split)
    WINDOW_READS,
    Sustained,
    sustained_jitter_mm,
    sustained_level,
    sustained_levels,
    trim_mean,
    windowed_spread_mm,
)

#: Extra per-side quantities kept per task (signed, mm or degrees) for scale items.
AUXILIARY = ("nasolabial_angle", "mouth_corner_rise", "mouth_corner_lateral")


@dataclass(frozen=True)
class CouplingOptions:
    """Options of the coupling computation.

    Attributes
    ----------
    min_duration_s : float
        A movement or asymmetry must be held this long to count, seconds [U: research code
        requires "a minimum time"; 0.25 s is this project's default].
    noise_k : float
        Noise floor = ``noise_k`` x robust SD of the left-right difference's jitter.
    min_noise_floor_mm : float
        The floor is never below this, mm (landmark jitter on a still face) [U].
    min_range_mm : float
        Voluntary ranges are floored here before dividing, mm.
    noise_floor : {"window", "rest", "sustained"}
        Where and at what time scale the jitter is measured. "window" (default): the rest
        frames' left-right difference at the time scale of a cell's level, which is held
        over ``min_duration_s``: the robust SD of its means over every window of that length
        (:func:`windowed_spread_mm`), and not below the frame-by-frame SD / sqrt(frames per
        window), one floor per region. White jitter averages down by the square root of the
        window's frames, a slow drift does not. Read as its window's minimum a held level is
        never above the window's mean, so this floor bounds the level noise alone holds; read
        as the mean of the window (``held_level="mean"``) an excess, which spreads less than the
        left-right difference the floor is measured on, stays below it in 99.9 % of white
        noise draws (tests/analysis/test_noise_floor.py). The
        frame-by-frame floor when the rest is shorter than two windows or is not a recorded
        rest but the recording's quietest span (flagged: chosen for changing least, it
        under-reads a slow wander). "rest" (the default
        before; an option): the robust SD of the same difference frame by frame, one floor
        per region.
        "sustained": the frame-to-frame jitter of the left-right difference inside each
        task's hold (every repetition's frames where the task's driver is held at least half
        way), from second differences, so the task's own slow movement and the rest's
        expression changes do not count; one floor per cell, and per region their median
        (:func:`sustained_jitter_mm`).
    repetitions : {"best", "mean"}
        How a task recorded more than once makes its cells. "best": the best held window over
        all its repetitions (a noise peak in either counts). "mean": each repetition's own
        sustained level, averaged (the window shown as evidence is the highest repetition's).
        Either rule makes the driver cells (and every cell read from a window); read over the
        driver's hold (``held_level="driver"``, the default) a co-movement cell pools every
        repetition's hold frames, whichever the rule, so a longer repetition weighs more.
    held_level : {"minimum", "mean", "driver"}
        How the level of a cell's held window is read (:func:`sustained_level`); the window
        is the one whose lowest frame is highest either way, so it is held throughout.
        "minimum" (the default before 2026-12-07): its lowest frame, which under tracker
        noise reads below the level held (the lowest of ``min_duration_s`` of noisy frames)
        while the rest baseline is a median, so an excess read this way is biased low by about
        one SD of the frame jitter.
        "mean": the mean of its frames (docs/analysis.md).
        "driver" (default, :data:`DEFAULT_HELD_LEVEL`): a co-movement cell (a region that
        does not drive the task) is read over the frames the TASK'S DRIVER selects, not its
        own: the mean of the region's movement over the task's hold (every repetition's
        frames where the driver is held at least half way, :func:`_hold_frames`), clipped at
        0 (the active direction), and its excess is the difference of the two sides' means
        over the same frames, each taken in the active direction after averaging (the mouth
        corner's excursion: the length of its mean shift; its excess: the two sides' shifts
        along their common direction, :func:`_driver_held`). The region's own noise does not
        choose its frames, so on a still region the excess is centred on zero and a held
        co-movement is not read low (no lowest frame, no best of many windows). The driver
        cells themselves (voluntary range) and the auxiliary quantities keep the lowest
        frame of their best window.
    """

    min_duration_s: float = 0.25
    noise_k: float = 3.0
    min_noise_floor_mm: float = 0.3
    min_range_mm: float = 1.0
    noise_floor: Literal["rest", "window", "sustained"] = "window"
    repetitions: Literal["best", "mean"] = "best"
    held_level: Literal["minimum", "mean", "driver"] = "driver"

    def validate(self) -> None:
        """Raise ValueError for an unknown noise floor, way of combining repetitions or way
        of reading a held level."""
        if self.noise_floor not in NOISE_FLOORS:
            raise ValueError(f"noise_floor must be one of {', '.join(NOISE_FLOORS)}, "
                             f"got {self.noise_floor!r}")
        if self.repetitions not in REPETITION_RULES:
            raise ValueError(f"repetitions must be one of {', '.join(REPETITION_RULES)}, "
                             f"got {self.repetitions!r}")
        if self.held_level not in HELD_LEVELS:
            raise ValueError(f"held_level must be one of {', '.join(HELD_LEVELS)}, "
                             f"got {self.held_level!r}")


#: Where the noise floor's jitter is measured (:attr:`CouplingOptions.noise_floor`).
NOISE_FLOORS: tuple[str, ...] = ("rest", "window", "sustained")

#: How a task's repetitions make one cell (:attr:`CouplingOptions.repetitions`).
REPETITION_RULES: tuple[str, ...] = ("best", "mean")

#: How a cell's held level is read (:attr:`CouplingOptions.held_level`): a window of the
#: cell's own series read as its lowest frame or its mean (:data:`WINDOW_READS`), or the
#: mean over the frames where the task's driver is held ("driver").
HELD_LEVELS: tuple[str, ...] = (*WINDOW_READS, "driver")

#: The held level unless asked otherwise: read over the frames the task's driver holds. On the
#: simulator grid at 1 px of tracker noise it finds ocular-oral 1.00 (held out 0.88) and
#: oral-ocular 0.50 of the true cases against 0.62 and 0.08 with the lowest frame of the best
#: window, specificity 1.00 either way; on the two healthy videos it calls nothing at least
#: mild where the lowest frame called mentalis mild in 15 of WolfgangLanger's 25 recordings
#: (docs/validation.md, "Reading a co-movement cell over the driver's hold").
DEFAULT_HELD_LEVEL: str = "driver"



#: What a coupling cell can hold (:meth:`Coupling.cell`).
CellQuantity = Literal["movement_mm", "normalised", "excess_mm"]
CELL_QUANTITIES: tuple[str, ...] = ("movement_mm", "normalised", "excess_mm")


@dataclass(frozen=True, eq=False)
class Coupling:
    """Coupling matrices of one recording.

    Attributes
    ----------
    tasks : tuple of str
        Rows: the analysed tasks present in the recording, in protocol order (rest excluded).
    regions : tuple of str
        Columns: :data:`synkinesis.regions.REGIONS` (the neck column is NaN: not measurable).
    movement_mm : dict side -> (T, R) array
        Sustained movement of each region in each task, mm, active direction positive.
    normalised : dict side -> (T, R) array
        ``movement_mm`` / that region's voluntary range on the same side.
    voluntary_range_mm : dict side -> (R,) array
        Each region's range: its largest sustained movement in the tasks it drives (eye: the
        rest fissure when no eye task was recorded), floored at ``min_range_mm``.
    excess_mm : dict side -> (T, R) array
        Sustained excess of this side's movement over the other side's, mm, both sides over
        the same frames (a co-movement cell: the difference of their trimmed means over the
        driver's hold; read from a window: frame by frame); movement against the active
        direction counts as 0 on both sides.
    excess_window : dict side -> (T, R, 3) int array
        ``start, stop, peak`` frames of the excess window (-1 when none; a co-movement cell
        read over the driver's hold shows the driver's best held window).
    noise_floor_mm : (R,) array
        Left-right difference noise floor per region, mm: from the rest frames (frame by
        frame, or averaged over held windows with ``noise_floor="window"``), or with
        ``CouplingOptions(noise_floor="sustained")`` the median of the region's cell floors.
    coverage : (T,) array
        Fraction of the task's frames that were usable.
    label_confidence : (T,) array
        Confidence of the task label (min over its segments).
    short_tasks : tuple of str
        Tasks shorter than the minimum duration (values less trustworthy).
    auxiliary : dict side -> dict task -> dict quantity -> float
        Sustained absolute change of :data:`AUXILIARY` quantities per task.
    rest_fissure_mm, rest_values : mapping
        Rest baseline (mm, degrees) per column.
    frame_interval_s : float
    not_assessable : mapping task -> str
        Tasks with a labelled span whose cells were left out, and why
        (:func:`span_not_assessable`: a covered side, the head turning, a span that is not the
        task). A task all of whose spans were left out is not in ``tasks``.
    """

    tasks: tuple[str, ...]
    regions: tuple[str, ...]
    movement_mm: Mapping[Side, np.ndarray]
    normalised: Mapping[Side, np.ndarray]
    voluntary_range_mm: Mapping[Side, np.ndarray]
    excess_mm: Mapping[Side, np.ndarray]
    excess_window: Mapping[Side, np.ndarray]
    noise_floor_mm: np.ndarray
    coverage: np.ndarray
    label_confidence: np.ndarray
    short_tasks: tuple[str, ...]
    auxiliary: Mapping[Side, Mapping[str, Mapping[str, float]]]
    rest_values: Mapping[str, float]
    frame_interval_s: float
    not_assessable: Mapping[str, str] = field(default_factory=dict)
    #: (T, R) noise floor of each cell from the jitter inside the task's hold, mm, with
    #: ``CouplingOptions(noise_floor="sustained")``; None with the rest floor.
    cell_noise_floor_mm: np.ndarray | None = None

    def cell(self, *, quantity: CellQuantity, side: Side, task: str, region: str) -> float:
        """One cell, by its labels: ``quantity`` one of :data:`CELL_QUANTITIES` (mm, or a
        fraction for ``normalised``), NaN when the task is not in the recording.

        Raises
        ------
        ValueError
            An unknown quantity or region.
        """
        if quantity not in CELL_QUANTITIES:
            raise ValueError(f"quantity must be one of {', '.join(CELL_QUANTITIES)}, "
                             f"got {quantity!r}")
        column = self._column(region)
        if task not in self.tasks:
            return float("nan")
        table = {"movement_mm": self.movement_mm, "normalised": self.normalised,
                 "excess_mm": self.excess_mm}[quantity][side]
        return float(table[self.tasks.index(task), column])

    def excess_window_of(self, *, side: Side, task: str, region: str) -> tuple[int, int, int]:
        """``(start, stop, peak)`` frames of the excess window of a cell (-1 when none, and
        when the task is not in the recording)."""
        column = self._column(region)
        if task not in self.tasks:
            return -1, -1, -1
        start, stop, peak = self.excess_window[side][self.tasks.index(task), column]
        return int(start), int(stop), int(peak)

    def noise_floor(self, region: str, task: str | None = None) -> float:
        """The region's left-right difference noise floor, mm; with ``task`` and the
        sustained floor, that cell's own floor (the region's when the cell has none)."""
        column = self._column(region)
        if task is not None and self.cell_noise_floor_mm is not None and task in self.tasks:
            value = float(self.cell_noise_floor_mm[self.tasks.index(task), column])
            if np.isfinite(value):
                return value
        return float(self.noise_floor_mm[column])

    def task_reliability(self, task: str) -> float:
        """How far a task's cells can be trusted, 0..1: its label confidence times the
        fraction of its frames that were usable (0 when the task is not in the recording)."""
        if task not in self.tasks:
            return 0.0
        row = self.tasks.index(task)
        return float(self.label_confidence[row] * self.coverage[row])

    def _column(self, region: str) -> int:
        if region not in self.regions:
            raise ValueError(f"region must be one of {', '.join(self.regions)}, got {region!r}")
        return self.regions.index(region)

    def difference(self, affected: Side, *, normalised: bool = True) -> np.ndarray:
        """(T, R) affected minus healthy movement: mm, or (default) divided by the larger of
        the two sides' voluntary ranges of each region, so that the difference is a difference
        of movement and not of each side's own normalisation."""
        healthy = other_side(affected)
        gap = self.movement_mm[affected] - self.movement_mm[healthy]
        if not normalised:
            return gap
        scale = np.fmax(self.voluntary_range_mm[affected], self.voluntary_range_mm[healthy])
        return gap / scale[None, :]

    def rest(self, quantity: str, side: Side) -> float:
        return float(self.rest_values[signal_name(quantity, side)])


def task_masks(recording: Recording, segmentation: Segmentation,
               excluded: Sequence[Segment] = ()) -> dict[str, np.ndarray]:
    """(N,) bool mask per analysed task (union of its segments, without ``excluded``)."""
    t = np.asarray(recording.time_s, dtype=float)
    masks: dict[str, np.ndarray] = {}
    for segment in segmentation.segments:
        if segment.task not in TASK_NAMES or segment.task == "rest" or segment in excluded:
            continue
        masks[segment.task] = masks.get(segment.task, np.zeros(t.size, dtype=bool)) | (
            segment.mask(t))
    return {task: masks[task] for task in TASK_NAMES if task in masks}


def compute_coupling(
    recording: Recording,
    segmentation: Segmentation,
    *,
    options: CouplingOptions = CouplingOptions(),
) -> Coupling:
    """Coupling matrices, voluntary ranges and left-right excesses of a segmented recording.

    Parameters
    ----------
    recording : Recording
    segmentation : Segmentation
        From :func:`synkinesis.protocol.segment_recording`.
    options : CouplingOptions

    Returns
    -------
    Coupling
    """
    options.validate()
    moves = region_movements(recording, segmentation.baseline)
    rest_frames = segmentation.rest.mask(np.asarray(recording.time_s, dtype=float))
    excluded, not_assessable = [], {}
    for segment in segmentation.segments:
        if segment.task not in TASK_NAMES or segment.task == "rest":
            continue
        why = span_not_assessable(recording, segment, moves, segmentation.baseline,
                                  rest_frames=rest_frames)
        if why:
            excluded.append(segment)
            reason = f"{segment.start_s:.2f}-{segment.end_s:.2f} s {why}"
            not_assessable[segment.task] = "; ".join(
                filter(None, (not_assessable.get(segment.task, ""), reason)))
    masks = task_masks(recording, segmentation, excluded)
    tasks = tuple(masks)
    regions = REGIONS
    n_t, n_r = len(tasks), len(regions)
    dt = recording.frame_interval_s
    width = max(1, int(round(options.min_duration_s / dt)))
    usable = recording.usable
    blink = recording.blink_mask()
    t = np.asarray(recording.time_s, dtype=float)
    rest_mask = segmentation.rest.mask(t) & usable

    noise = np.full(n_r, options.min_noise_floor_mm)
    for j, region in enumerate(regions):
        if region == "neck":
            noise[j] = np.nan
            continue
        difference = moves["left"][region] - moves["right"][region]
        diff = difference[rest_mask]
        diff = diff[np.isfinite(diff)]
        if diff.size < 3:
            continue
        sd = 1.4826 * float(np.median(np.abs(diff - np.median(diff))))
        if options.noise_floor == "window" and not segmentation.rest.flagged:
            # At the time scale of a held level: the spread of the rest's window means, and
            # never below what white jitter of the frame-by-frame spread leaves in a window
            # mean (a short rest's overlapping windows read white jitter low). A rest too
            # short for windows keeps the frame-by-frame spread, and so does a rest that was
            # not recorded but taken as the recording's quietest span: chosen for changing
            # least, it under-reads exactly the slow wander the window floor relies on.
            windowed = windowed_spread_mm(difference, rest_mask, width)
            if np.isfinite(windowed):
                sd = max(windowed, sd / np.sqrt(width))
        noise[j] = max(options.noise_k * sd, options.min_noise_floor_mm)

    cell_floor = (np.full((n_t, n_r), np.nan) if options.noise_floor == "sustained"
                  else None)
    movement = {side: np.full((n_t, n_r), np.nan) for side in SIDES}
    excess = {side: np.full((n_t, n_r), np.nan) for side in SIDES}
    windows = {side: np.full((n_t, n_r, 3), -1, dtype=np.int64) for side in SIDES}
    auxiliary: dict[Side, dict[str, dict[str, float]]] = {side: {} for side in SIDES}
    coverage = np.zeros(n_t)
    short = []
    confidence = np.ones(n_t)
    for i, task in enumerate(tasks):
        mask = masks[task]
        coverage[i] = float((mask & usable).sum() / max(mask.sum(), 1))
        confidence[i] = min((s.confidence for s in segmentation.segments if s.task == task),
                            default=0.0)
        any_short = False
        cells, series, cell_masks = [], [], []
        for j, region in enumerate(regions):
            if region == "neck":
                continue
            cell_mask = mask
            if region == "eye" and task not in EYE_TASKS:
                cell_mask = mask & ~blink
            for side in SIDES:
                # Only movement in the active direction is co-movement: a healthy side moving
                # the other way (a lower lip that rises) must not read as excess here. A side
                # not measured in a frame (NaN) is not "no movement": that frame has no excess.
                mine, theirs = moves[side][region], moves[other_side(side)][region]
                d = np.where(np.isnan(mine) | np.isnan(theirs), np.nan,
                             np.fmax(mine, 0.0) - np.fmax(theirs, 0.0))
                cells.append((j, side))
                series.extend((mine, d))
                cell_masks.extend((cell_mask, cell_mask))
        for side in SIDES:
            series.extend(np.abs(moves[side][name]) for name in AUXILIARY)
            cell_masks.extend([mask] * len(AUXILIARY))
        # "driver" reads the driver cells (and the auxiliary quantities) as "minimum" does;
        # its co-movement cells are replaced below.
        read = "minimum" if options.held_level == "driver" else options.held_level
        levels = sustained_levels(np.stack(series), np.stack(cell_masks), width, read)
        spans = [segment.mask(t) & mask for segment in segmentation.segments
                 if segment.task == task and segment not in excluded]
        if options.repetitions == "mean" and len(spans) >= 2:
            levels = _mean_of_repetitions(np.stack(series), np.stack(cell_masks), spans, width,
                                          read)
        hold = None
        if options.held_level == "driver" or cell_floor is not None:
            hold = _hold_frames(task, [span & usable for span in spans], moves, width)
        if options.held_level == "driver" and hold is not None:
            drivers = get_task(task).drivers
            window = _driver_window(task, mask & usable, moves, width)
            for k, (j, side) in enumerate(cells):
                if regions[j] in drivers:
                    continue
                levels[2 * k], levels[2 * k + 1] = _driver_held(
                    _components(moves[side], regions[j]),
                    _components(moves[other_side(side)], regions[j]),
                    hold & cell_masks[2 * k], width, window)
        for k, (j, side) in enumerate(cells):
            level, gap = levels[2 * k], levels[2 * k + 1]
            movement[side][i, j] = level.value
            any_short |= not level.full_window and np.isfinite(level.value)
            excess[side][i, j] = gap.value
            windows[side][i, j] = (gap.start, gap.stop, gap.peak)
        if any_short:
            short.append(task)
        if cell_floor is not None and hold is not None:
            for j, region in enumerate(regions):
                if region == "neck":
                    continue
                cell_hold = hold & ~blink if region == "eye" and task not in EYE_TASKS else hold
                sd = sustained_jitter_mm(moves["left"][region] - moves["right"][region],
                                         cell_hold)
                if np.isfinite(sd):
                    cell_floor[i, j] = max(options.noise_k * sd, options.min_noise_floor_mm)
        rest_levels = levels[2 * len(cells):]
        for s, side in enumerate(SIDES):
            auxiliary[side][task] = {
                name: rest_levels[s * len(AUXILIARY) + a].value
                for a, name in enumerate(AUXILIARY)}

    if cell_floor is not None:
        for j, region in enumerate(regions):
            column = cell_floor[:, j]
            if region != "neck" and np.isfinite(column).any():
                noise[j] = float(np.median(column[np.isfinite(column)]))
    ranges = {}
    for side in SIDES:
        rng = np.full(n_r, np.nan)
        for j, region in enumerate(regions):
            driven = [i for i, task in enumerate(tasks) if region in get_task(task).drivers]
            values = movement[side][driven, j] if driven else movement[side][:, j]
            values = values[np.isfinite(values)]
            if region == "eye" and not driven:
                values = np.array([segmentation.baseline[signal_name("palpebral_fissure",
                                                                     side)]])
            if values.size:
                rng[j] = max(float(values.max()), options.min_range_mm)
        ranges[side] = rng
    normalised = {side: movement[side] / ranges[side][None, :] for side in SIDES}
    return Coupling(
        tasks=tasks, regions=regions, movement_mm=movement, normalised=normalised,
        voluntary_range_mm=ranges, excess_mm=excess, excess_window=windows,
        noise_floor_mm=noise, coverage=coverage, label_confidence=confidence,
        short_tasks=tuple(short), auxiliary=auxiliary,
        rest_values=dict(segmentation.baseline), frame_interval_s=dt,
        not_assessable=not_assessable, cell_noise_floor_mm=cell_floor)


def _mean_of_repetitions(series: np.ndarray, masks: np.ndarray, spans: Sequence[np.ndarray],
                         width: int, read: str = "minimum") -> list[Sustained]:
    """Each row's sustained level taken in every repetition's span on its own and averaged
    (NaN repetitions left out); its window is the repetition with the highest level, and it is
    a full window only when every repetition's was."""
    by_repetition = [sustained_levels(series, masks & span[None, :], width, read)
                     for span in spans]
    out = []
    for row in range(series.shape[0]):
        levels = [repetition[row] for repetition in by_repetition]
        values = np.array([level.value for level in levels], dtype=float)
        finite = np.isfinite(values)
        if not finite.any():
            out.append(levels[0])
            continue
        best = levels[int(np.argmax(np.where(finite, values, -np.inf)))]
        out.append(Sustained(float(values[finite].mean()), best.start, best.stop, best.peak,
                             all(level.full_window for level in levels)))
    return out


def _hold_frames(task: str, spans: Sequence[np.ndarray],
                 moves: Mapping[Side, Mapping[str, np.ndarray]], width: int) -> np.ndarray:
    """The frames of the task's spans (one (N,) mask per repetition) where the task is held:
    its first driver region, on the side that moves it more, at least half of that side's
    sustained level in that repetition; a repetition's whole span when its driver is not
    measured or does not move."""
    hold = np.zeros_like(spans[0]) if spans else np.zeros(0, dtype=bool)
    drivers = [r for r in get_task(task).drivers if r in moves["left"]]
    for span in spans:
        if not drivers:
            hold |= span
            continue
        region = drivers[0]
        best = None
        for side in SIDES:
            level = sustained_level(moves[side][region], span, width).value
            if np.isfinite(level) and (best is None or level > best[0]):
                best = (level, side)
        if best is None or best[0] <= 0:
            hold |= span
            continue
        values = np.asarray(moves[best[1]][region], dtype=float)
        with np.errstate(invalid="ignore"):
            hold |= span & (values >= 0.5 * best[0])
    return hold


def _driver_window(task: str, mask: np.ndarray,
                   moves: Mapping[Side, Mapping[str, np.ndarray]], width: int
                   ) -> tuple[int, int, int]:
    """``(start, stop, peak)`` of the best held window of the task's first driver on the side
    that holds it higher (the evidence window of a cell read with ``held_level="driver"``);
    the first ``width`` frames of the task when it has no measured driver."""
    drivers = [r for r in get_task(task).drivers if r in moves["left"]]
    best = None
    for side in SIDES:
        if not drivers:
            break
        level = sustained_level(moves[side][drivers[0]], mask, width)
        if np.isfinite(level.value) and (best is None or level.value > best.value):
            best = level
    if best is None:
        inside = np.flatnonzero(mask)
        first = int(inside[0]) if inside.size else 0
        return first, first + width, first
    return best.start, best.stop, best.peak


def _components(moves: Mapping[str, np.ndarray], region: str) -> tuple[np.ndarray, ...]:
    """The series a region's movement is made of: the mouth corner's excursion is the length
    of its lateral and vertical shifts, every other region one signed series."""
    if region == "mouth_corner":
        return moves["mouth_corner_lateral"], moves["mouth_corner_rise"]
    return (moves[region],)


#: Share of a hold's frames left out at EACH end when a co-movement cell is read over it
#: (``held_level="driver"``): a 20 % trimmed mean. Symmetric, so white noise still averages to
#: the level held; a brief event in one direction (a 0.3 s blink of one eye in a 2 s hold is
#: 15 % of its frames) is left out instead of adding its share of its depth [U, project
#: default: the largest share a blink or a tracker jump takes of a held task].
HOLD_TRIM = 0.2


def _driver_held(mine: Sequence[np.ndarray], theirs: Sequence[np.ndarray], frames: np.ndarray,
                 width: int, window: tuple[int, int, int]) -> tuple[Sustained, Sustained]:
    """A co-movement cell read over frames its own values did not choose
    (``held_level="driver"``).

    The level is the mean of ``mine`` over ``frames`` (the task's hold; trimmed by
    :data:`HOLD_TRIM` at each end, so that a brief event inside the hold, a blink the
    bilateral blink mask keeps or a one-frame tracker jump, does not move it), clipped at 0
    (the active direction, as the excess), its excess the
    difference of the two sides' levels over the frames both are measured in, each in the
    active direction after averaging (movement against it counts as none). A region made of
    two components (the mouth corner's lateral and vertical shifts, :func:`_components`) has
    the length of its mean shift as its level, and as its excess the difference of the two
    sides' mean shifts along the direction of their sum (each clipped at 0; the components
    are mirrored already: lateral is away from the midline and rise is up on either side).
    Averaging before clipping keeps a still side's noise out of its level: the mean of
    ``max(noise, 0)`` is 0.4 SD of the noise, of a mean over many frames much less. Not the
    difference of the two lengths: a length is never below 0, so a still corner's noise
    (its hold mean against its rest median: 0.15-0.2 mm a component at 1 px of tracker
    noise on the simulator) reads as a movement of 1.25 SD, three times what one component
    reads, and was subtracted from the moving corner's; along the common direction a still
    corner's noise is one component, centred on zero. Where both corners move the same way
    it is the difference of their lengths. A full window when at least ``width`` frames.
    """
    def means_of(parts: Sequence[np.ndarray], where: np.ndarray) -> np.ndarray:
        return np.array([trim_mean(np.asarray(p, dtype=float)[where], HOLD_TRIM)
                         for p in parts])

    def level_of(parts: Sequence[np.ndarray], where: np.ndarray) -> float:
        means = means_of(parts, where)
        return float(means[0]) if means.size == 1 else float(np.hypot(*means))

    def measured(parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.logical_and.reduce([np.isfinite(np.asarray(p, dtype=float)) for p in parts])

    start, stop, peak = window
    own = frames & measured(mine)
    both = own & measured(theirs)
    nothing = Sustained(float("nan"), 0, 0, 0, False)
    # The level in the active direction too: a co-moving region that moves the other way
    # (the brow lowering in an eye closure) moved none in the sense of the matrix, as the
    # simulator's truth and the excess below count it; its mean would read -2..-5 mm.
    level = (Sustained(max(level_of(mine, own), 0.0), start, stop, peak,
                       int(own.sum()) >= width) if own.any() else nothing)
    if not both.any():
        return level, nothing
    if len(mine) == 1:
        excess = max(level_of(mine, both), 0.0) - max(level_of(theirs, both), 0.0)
    else:
        shift, other = means_of(mine, both), means_of(theirs, both)
        total = shift + other
        norm = float(np.hypot(*total))
        if norm > 0:
            along = total / norm
            excess = max(float(shift @ along), 0.0) - max(float(other @ along), 0.0)
        else:  # opposite shifts of equal length: neither moved further
            excess = 0.0
    return level, Sustained(excess, start, stop, peak, int(both.sum()) >= width)
