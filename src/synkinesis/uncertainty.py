"""How far a recording's own numbers can move: 90 % intervals for every index and scale item,
and the smallest change each region can resolve. Pure: arrays and frozen dataclasses in and out,
randomness only through a seeded generator (the same recording gives the same intervals).

An index is a function of the recording; the recording is one draw of what the same face could
have given. :func:`resample_recording` draws another one from the recording itself:

- **repetitions**: a task recorded more than once keeps a draw (with replacement) of its
  repetitions, so a task done once strongly and once weakly is uncertain;
- **frames of the sustained window**: every frame outside the rest gets a fresh draw of the
  rest's own frame-to-frame jitter (blocks of consecutive rest frames, the same frames for
  every column so left and right stay simultaneous): a held level that only just holds drops
  out of its window;
- **rest noise**: the resting values are re-taken from a block resample of the rest frames;
- **pixels per mm**: every mm column is multiplied by one factor per draw, of relative SD
  :attr:`UncertaintyOptions.scale_relative_sd` (the iris diameter that sets the scale varies
  between adults by about 4 % [U: CLINICAL.md gives the default
  :data:`synkinesis.defaults.DEFAULT_IRIS_DIAMETER_MM` with 11.22 / 12.2 mm alternatives]).

:func:`estimate_uncertainty` runs the analysis core (coupling, findings, resting tone, scale
items) on ``replicates`` such draws with the affected side held fixed, and gives each number the
spread of its draws *centred on the number itself* (a basic bootstrap: fresh jitter lowers a
"held in every frame" level, so the draws' median is below the estimate; the spread, not the
shift, is the uncertainty). Integer items (grades) get whole-number bounds within the values the
draws reached.

Which interval: by default a **confidence interval** of the index itself (``repeat=False``):
where the face's own index lies 9 times in 10, the interval a severity is decided from (a call
is about the face, not about the next recording). The draws add fresh rest jitter to frames that
already carry their own, but the spread of the draws is the spread of that fresh jitter's effect
alone (the recording's own jitter is the same in every draw), so the tracker noise is counted
once for a mean of frames; a held level (the lowest frame of its best window) spreads somewhat
more with fresh jitter on jittered frames (1.27 times for one level under white noise). On
synthetic faces with white tracker noise of 0.1..0.5 mm the interval covers the typical index of
the same face in 0.78..0.98 of recordings per batch (0.90 over 970), and its width is 0.85..1.16
times the SD of the index over independent recordings after a 2..3 s rest (1.36 after 5 s)
(tests/analysis/test_uncertainty.py, scripts/interval_coverage.py). The **repeat interval**
(``repeat=True``), where a repeat recording of the same face would read, carries the error of
both recordings and is sqrt(2) wider (the same factor as the minimal detectable change);
deciding from it over-covered (0.92..0.99 of recordings), which left most weak synkinesis
"uncertain". Limits: a slow drift that builds up between the rest and a task is not in the
rest's jitter, so the interval under-covers then (a random walk of 0.02 mm per frame: 0.45..0.7
instead of 0.9); and read over the driver's hold (the default held level) the interval is
about 0.86 of the index's real spread and holds the face's index 0.82 of the time.

The smallest resolvable change of a region (:func:`region_resolution`) is the minimal
detectable change at 90 %, ``1.645 * sqrt(2) * SD`` of the region's movement over the rest
frames (the usual test-retest formula, with the rest jitter as the measurement error), and
never less than one pixel in mm when the pixel size is known.

Sides are the PATIENT's.

Why one file of over 500 lines: the draws, the intervals, the decisions made from them and the
agreement of repetitions share the interval and resolution types, and a decision's "what would
settle it" reads the resolution and the agreement; apart they would import each other.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from synkinesis.coupling import CouplingOptions, compute_coupling
from synkinesis.findings import (
    AffectedSide,
    Finding,
    FindingOptions,
    PatternDefinition,
    find_patterns,
    resting_tone,
    severity_from_interval,
)
from synkinesis.protocol import TASK_NAMES, Segmentation, get_task
from synkinesis.recording import Recording, region_movements
from synkinesis.regions import REGIONS, SIDES
from synkinesis.scales.automatic import ItemEstimate, ScaleEstimate, estimate_scales

#: z of a two-sided 90 % normal interval (minimal detectable change at 90 %).
Z90 = 1.6448536269514722


@dataclass(frozen=True)
class UncertaintyOptions:
    """Options of the intervals.

    Attributes
    ----------
    replicates : int
        Resampled recordings (0 switches intervals off).
    level : float
        Coverage of the intervals (0.9: from the 5th to the 95th percentile).
    seed : int
        Seed of the generator: the same recording and seed give the same intervals.
    block_s : float
        Length of the blocks of consecutive rest frames drawn together, seconds (keeps the
        jitter's own time structure).
    scale_relative_sd : float
        Relative SD of the mm-per-pixel scale [U: adult iris diameter spread, about 4 %].
    repeat : bool
        False (default): confidence intervals of the number itself, which the severities are
        decided from; True: repeat intervals (where a repeat recording would read, wider by
        sqrt(2)).
    """

    replicates: int = 100
    level: float = 0.9
    seed: int = 0
    block_s: float = 0.5
    scale_relative_sd: float = 0.04
    repeat: bool = False

    def validate(self) -> None:
        if self.replicates < 0:
            raise ValueError(f"replicates must be >= 0, got {self.replicates}")
        if not 0.5 <= self.level < 1.0:
            raise ValueError(f"level must be in 0.5..1 (e.g. 0.9), got {self.level}")
        if self.block_s <= 0 or self.scale_relative_sd < 0:
            raise ValueError("block_s must be > 0 and scale_relative_sd >= 0, got "
                             f"{self.block_s}, {self.scale_relative_sd}")


@dataclass(frozen=True)
class Interval:
    """A ``level`` interval ``[low, high]`` of a number, in its own unit; ``replicates`` is how
    many resampled recordings gave a finite value; ``kind`` "confidence" (where the number itself
    lies, the default) or "repeat" (where a repeat recording of the same face would read)."""

    low: float
    high: float
    level: float
    replicates: int
    kind: str = "confidence"

    def contains(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)


@dataclass(frozen=True)
class RegionResolution:
    """The smallest change of a region a recording can tell from its own jitter.

    Attributes
    ----------
    region : str
    rest_sd_mm : float
        Robust SD (1.4826 x MAD) of the region's movement over the rest frames, root mean square
        of the two sides, mm; NaN when fewer than 3 rest frames.
    pixel_mm : float or None
        One image pixel in mm, when the measurement knows it.
    smallest_change_mm : float
        ``max(1.645 * sqrt(2) * rest_sd_mm, pixel_mm)``, mm.
    rest_frames : int
    """

    region: str
    rest_sd_mm: float
    pixel_mm: float | None
    smallest_change_mm: float
    rest_frames: int


@dataclass(frozen=True)
class Uncertainty:
    """Intervals of one analysis.

    Attributes
    ----------
    level : float
    replicates, seed : int
    indices : mapping pattern -> Interval
        Each finding's index (points), resting tightness included; missing when fewer than half
        of the draws gave a value.
    other_indices : mapping pattern -> Interval
        When no affected side is named: the index of the other side's call
        (:attr:`synkinesis.findings.Finding.other_side`).
    items : mapping instrument -> mapping item -> Interval
        Each numeric scale item's value (its own unit: eFACE 0..100, grades).
    resolution : tuple of RegionResolution
    repetitions : mapping task -> int
        How many repetitions of each task were resampled.
    agreement : tuple of RepetitionAgreement
        Per repeated task, how far its repetitions' levels lie apart.
    sources : tuple of str
        What the draws varied (for the reader).
    """

    level: float
    replicates: int
    seed: int
    indices: Mapping[str, Interval]
    items: Mapping[str, Mapping[str, Interval]]
    resolution: tuple[RegionResolution, ...]
    repetitions: Mapping[str, int]
    #: How the repetitions of each repeated task agree (:func:`repetition_agreement`).
    agreement: tuple[RepetitionAgreement, ...] = ()
    other_indices: Mapping[str, Interval] = field(default_factory=dict)
    sources: tuple[str, ...] = field(default=(
        "repetitions of each task (drawn with replacement)",
        "frame-to-frame jitter of the rest added to every task frame (blocks of rest frames)",
        "resting values re-taken from a block resample of the rest frames",
        "mm scale (relative SD of the iris-based pixels per mm)"))

    def resolution_of(self, region: str) -> RegionResolution:
        for entry in self.resolution:
            if entry.region == region:
                return entry
        raise KeyError(region)


def _mm_columns(recording: Recording) -> tuple[str, ...]:
    return tuple(name for name in recording.signals if name.endswith("_mm"))


def _blocks(positions: int, length: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Indices 0..positions-1 in consecutive blocks of ``block`` drawn with replacement,
    ``length`` of them."""
    block = max(1, min(block, positions))
    starts = rng.integers(0, positions - block + 1, size=-(-length // block))
    return (starts[:, None] + np.arange(block)[None, :]).ravel()[:length]


def resample_recording(
    recording: Recording,
    segmentation: Segmentation,
    *,
    rng: np.random.Generator,
    options: UncertaintyOptions = UncertaintyOptions(),
) -> tuple[Recording, Segmentation]:
    """One resampled copy of a segmented recording (the module docstring says what varies).

    Parameters
    ----------
    recording : Recording
    segmentation : Segmentation
    rng : numpy.random.Generator
    options : UncertaintyOptions

    Returns
    -------
    Recording, Segmentation
        Same frames and times; signals (mm columns), resting values and the repetitions of each
        task drawn anew. Without at least 3 rest frames only repetitions and scale vary.
    """
    t = np.asarray(recording.time_s, dtype=float)
    rest_rows = np.flatnonzero(segmentation.rest.mask(t) & recording.usable)
    columns = _mm_columns(recording)
    factor = float(1.0 + options.scale_relative_sd * rng.standard_normal())
    signals = {name: np.asarray(values, dtype=float) for name, values in
               recording.signals.items()}
    baseline = dict(segmentation.baseline)
    if rest_rows.size >= 3 and columns:
        # A block at most a quarter of the rest, so that a short rest still gives many draws.
        block = max(1, min(int(round(options.block_s / recording.frame_interval_s)),
                           rest_rows.size // 4))
        outside = ~segmentation.rest.mask(t)
        jitter_rows = rest_rows[_blocks(rest_rows.size, int(outside.sum()), block, rng)]
        rest_draw = rest_rows[_blocks(rest_rows.size, rest_rows.size, block, rng)]
        table = np.stack([signals[name] for name in columns])  # (C, N)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
            centre = np.nanmedian(table[:, rest_rows], axis=1)
            table[:, outside] += np.nan_to_num(table[:, jitter_rows] - centre[:, None])
            shift = np.nanmedian(table[:, rest_draw], axis=1) - centre
        for c, name in enumerate(columns):
            signals[name] = table[c]
            if name in baseline and np.isfinite(baseline[name]) and np.isfinite(shift[c]):
                baseline[name] = baseline[name] + float(shift[c])
    for name in columns:
        signals[name] = signals[name] * factor
        if name in baseline:
            baseline[name] = baseline[name] * factor
    kept = []
    for task in dict.fromkeys(s.task for s in segmentation.segments):
        repeats = segmentation.task_segments(task)
        if len(repeats) < 2:
            kept.extend(repeats)
            continue
        drawn = set(rng.integers(0, len(repeats), size=len(repeats)).tolist())
        kept.extend(repeats[i] for i in sorted(drawn))
    kept.sort(key=lambda s: s.start_s)
    return (replace(recording, signals=signals),
            replace(segmentation, segments=tuple(kept), baseline=baseline))


def region_resolution(recording: Recording, segmentation: Segmentation, *,
                      pixel_mm: float | None = None) -> tuple[RegionResolution, ...]:
    """Smallest resolvable change of every measured region (see :class:`RegionResolution`).

    Parameters
    ----------
    recording, segmentation
    pixel_mm : float, optional
        One image pixel in mm (the measurement's scale), when known.
    """
    t = np.asarray(recording.time_s, dtype=float)
    rest = segmentation.rest.mask(t) & recording.usable
    moves = region_movements(recording, segmentation.baseline)
    out = []
    for region in REGIONS:
        if region == "neck":
            continue
        variances = []
        for side in SIDES:
            values = moves[side][region][rest]
            values = values[np.isfinite(values)]
            if values.size >= 3:
                variances.append((1.4826 * float(np.median(np.abs(values - np.median(values)))))
                                 ** 2)
        sd = float(np.sqrt(np.mean(variances))) if variances else float("nan")
        smallest = Z90 * np.sqrt(2.0) * sd
        if pixel_mm is not None:
            smallest = float(np.fmax(smallest, pixel_mm))
        out.append(RegionResolution(region, round(sd, 4), pixel_mm, round(float(smallest), 4),
                                    int(rest.sum())))
    return tuple(out)


def centred_interval(estimate: float, draws: Sequence[float], *, level: float,
                     integer: bool = False, bounded: bool = False, repeat: bool = False
                     ) -> Interval | None:
    """``estimate`` plus the ``level`` quantiles of the draws' deviations from their median
    (times sqrt(2) with ``repeat``: where a repeat recording would read).

    Parameters
    ----------
    estimate : float
    draws : sequence of float
        NaN draws are left out; None is returned when fewer than half are finite (or the
        estimate is not).
    level : float
    integer : bool
        Whole-number bounds (floor / ceil).
    bounded : bool
        Bounds kept within the values the draws and the estimate reached (a scale item never
        leaves its range: a grade interval stays within the grades seen, eFACE within 0..100).

    Returns
    -------
    Interval or None
    """
    values = np.asarray(draws, dtype=float)
    finite = values[np.isfinite(values)]
    if not np.isfinite(estimate) or finite.size == 0 or finite.size < values.size / 2:
        return None
    tail = (1.0 - level) / 2.0
    deviation = (finite - np.median(finite)) * (np.sqrt(2.0) if repeat else 1.0)
    low = estimate + float(np.quantile(deviation, tail))
    high = estimate + float(np.quantile(deviation, 1.0 - tail))
    if integer:
        low, high = float(np.floor(low + 1e-9)), float(np.ceil(high - 1e-9))
    if bounded:
        low = max(low, min(float(finite.min()), estimate))
        high = min(high, max(float(finite.max()), estimate))
    # Rounded outward: the interval always holds the number it is about.
    return Interval(float(np.floor(low * 1e4) / 1e4), float(np.ceil(high * 1e4) / 1e4), level,
                    int(finite.size), "repeat" if repeat else "confidence")


def _numeric(item: ItemEstimate) -> float:
    if isinstance(item.value, bool) or not isinstance(item.value, int | float):
        return float("nan")
    return float(item.value)


def estimate_uncertainty(
    recording: Recording,
    segmentation: Segmentation,
    affected: AffectedSide,
    *,
    findings: Sequence[Finding],
    resting: Finding,
    scales: Sequence[ScaleEstimate],
    coupling_options: CouplingOptions = CouplingOptions(),
    finding_options: FindingOptions = FindingOptions(),
    options: UncertaintyOptions = UncertaintyOptions(),
    pixel_mm: float | None = None,
) -> Uncertainty:
    """Intervals of every index and numeric scale item of an analysis, from the recording.

    Parameters
    ----------
    recording, segmentation
        What was analysed.
    affected : AffectedSide
        Held fixed in every draw (the intervals are of the numbers as reported).
    findings, resting, scales
        The analysis' own numbers (the intervals are centred on them).
    coupling_options, finding_options
        As the analysis used them.
    options : UncertaintyOptions
    pixel_mm : float, optional
        One image pixel in mm, for the smallest resolvable change.

    Returns
    -------
    Uncertainty
    """
    options.validate()
    rng = np.random.default_rng(options.seed)
    index_draws: dict[str, list[float]] = {f.pattern: [] for f in (*findings, resting)}
    other_draws: dict[str, list[float]] = {f.pattern: [] for f in (*findings, resting)
                                           if f.other_side is not None}
    item_draws: dict[str, dict[str, list[float]]] = {
        e.instrument: {i.key: [] for i in e.items} for e in scales}
    for _ in range(options.replicates):
        rec, seg = resample_recording(recording, segmentation, rng=rng, options=options)
        coupling = compute_coupling(rec, seg, options=coupling_options)
        drawn = find_patterns(coupling, affected, options=finding_options)
        drawn_rest = resting_tone(coupling, affected, options=finding_options)
        by_pattern = {f.pattern: f.index for f in (*drawn, drawn_rest)}
        for pattern, values in index_draws.items():
            values.append(by_pattern.get(pattern, float("nan")))
        by_pattern = {f.pattern: f.other_side.index for f in (*drawn, drawn_rest)
                      if f.other_side is not None}
        for pattern, values in other_draws.items():
            values.append(by_pattern.get(pattern, float("nan")))
        drawn_items = {e.instrument: {i.key: _numeric(i) for i in e.items}
                       for e in estimate_scales(coupling, drawn, affected,
                                                options=finding_options)}
        for instrument, keys in item_draws.items():
            for key, values in keys.items():
                values.append(drawn_items.get(instrument, {}).get(key, float("nan")))
    indices = {}
    for finding in (*findings, resting):
        interval = centred_interval(finding.index, index_draws[finding.pattern],
                                    level=options.level, repeat=options.repeat)
        if interval is not None:
            indices[finding.pattern] = interval
    other_indices = {}
    for finding in (*findings, resting):
        if finding.other_side is not None:
            interval = centred_interval(finding.other_side.index, other_draws[finding.pattern],
                                        level=options.level, repeat=options.repeat)
            if interval is not None:
                other_indices[finding.pattern] = interval
    items: dict[str, dict[str, Interval]] = {}
    for estimate in scales:
        for item in estimate.items:
            integer = isinstance(item.value, int) and not isinstance(item.value, bool)
            interval = centred_interval(_numeric(item), item_draws[estimate.instrument][item.key],
                                        level=options.level, integer=integer, bounded=True,
                                        repeat=options.repeat)
            if interval is not None:
                items.setdefault(estimate.instrument, {})[item.key] = interval
    repetitions = {task: len(segmentation.task_segments(task))
                   for task in dict.fromkeys(s.task for s in segmentation.segments)
                   if task in TASK_NAMES and task != "rest"}
    return Uncertainty(options.level, options.replicates, options.seed, indices, items,
                       region_resolution(recording, segmentation, pixel_mm=pixel_mm),
                       repetitions, other_indices=other_indices)


def decide_findings(
    findings: Sequence[Finding],
    uncertainty: Uncertainty,
    segmentation: Segmentation,
    *,
    options: FindingOptions = FindingOptions(),
    side_named: bool = True,
) -> tuple[Finding, ...]:
    """Each finding's severity decided from its index's interval
    (:func:`synkinesis.findings.severity_from_interval`), with what would settle an uncertain
    one. Findings without an interval (not measurable) are returned as they are. The cuts are
    :meth:`synkinesis.findings.FindingOptions.decision_cuts`: nothing above mild is called
    below the index healthy faces reach (normal asymmetry).

    What would settle it, in the order a clinician can act on it: a key task whose repetitions
    disagree (:attr:`Uncertainty.agreement`, in the pattern's region or the task's drivers) ->
    repeat the task, with how far apart they lie in mm, first; a recording without a rest
    segment -> record a rest; a key task done once -> repeat the task; a region whose smallest
    resolvable change is more than half a point of the pattern's anchor -> come closer to the
    camera (more pixels per mm). A finding called although its key task's repetitions disagree
    keeps its call with a note saying so.

    ``side_named=False`` (no affected side given or inferred): each side is decided with the
    classes starting at the pattern's normal asymmetry
    (``FindingOptions.decision_cuts(side_named=False)``), the other side's call
    (:attr:`Finding.other_side`) too.
    """
    anchors = {p.name: p for p in options.patterns()}
    out = []
    for finding in findings:
        interval = uncertainty.indices.get(finding.pattern)
        if interval is None or finding.severity in ("not measurable", "not assessable"):
            out.append(finding)
            continue
        cuts = options.decision_cuts(finding.pattern, side_named=side_named)
        severity, ends = severity_from_interval(interval.low, interval.high, cuts)
        task = finding.evidence[0].task if finding.evidence else None
        pattern = anchors.get(finding.pattern)
        apart = _repetitions_apart(uncertainty.agreement, task,
                                   None if pattern is None else pattern.region)
        settle = (_what_would_settle(pattern, task, apart, uncertainty, segmentation)
                  if severity == "uncertain" else "")
        note = finding.note
        if apart and severity != "uncertain":
            note = "; ".join(filter(None, (note, (
                f"called although the repetitions of its key task disagree ({apart}): "
                "record the task again to confirm"))))
        if pattern is not None and pattern.unseen:  # said where the call reaches none
            note = "; ".join(part for part in note.split("; ") if part and
                             part != pattern.unseen)
            if ends[0] == "none":
                note = "; ".join(filter(None, (note, pattern.unseen)))
        if finding.pattern == "resting_tightness" and cuts[0] > options.severity_cuts[0] \
                and interval.high >= options.severity_cuts[0] and interval.low < cuts[0]:
            note = "; ".join(filter(None, (note, (
                f"healthy faces reach {cuts[0]:g} point at rest (resting tightness' mild cut, "
                "docs/analysis.md): below it a resting asymmetry is not called"))))
        named = options.decision_cuts(finding.pattern)
        other_interval = (uncertainty.other_indices.get(finding.pattern)
                          if finding.other_side is not None else None)
        highest = max(interval.high, -np.inf if other_interval is None else other_interval.high)
        if cuts[0] > named[0] and highest >= named[0] and finding.pattern != "resting_tightness":
            note = "; ".join(filter(None, (note, (
                f"no affected side named: below {cuts[0]:g} points (the left-right difference "
                "healthy faces reach, docs/validation.md) nothing is called on either side, "
                f"mild from {cuts[0]:g}, moderate from {cuts[1]:g}; give the affected side if "
                f"it is known (mild then from {named[0]:g})"))))
        if side_named and cuts[1] > options.severity_cuts[1] and interval.low < cuts[1]:
            note = "; ".join(filter(None, (note, (
                f"healthy faces reach {cuts[1]:g} points in this index (normal asymmetry, "
                "docs/validation.md): below it nothing is called above mild"))))
        other = finding.other_side
        if other is not None and other_interval is not None:
            other_severity, other_ends = severity_from_interval(
                other_interval.low, other_interval.high, cuts)
            other_apart = _repetitions_apart(uncertainty.agreement, other.task,
                                             None if pattern is None else pattern.region)
            other = replace(
                other, severity=other_severity, severity_range=other_ends,
                low=other_interval.low, high=other_interval.high,
                settle=(_what_would_settle(pattern, other.task, other_apart, uncertainty,
                                           segmentation) if other_severity == "uncertain"
                        else ""))
            if other_apart and other_severity != "uncertain":
                note = "; ".join(filter(None, (note, (
                    f"the {other.side} side called {other_severity} although the repetitions "
                    f"of its key task disagree ({other_apart}): record the task again to "
                    "confirm"))))
        out.append(replace(finding, severity=severity, severity_range=ends, settle=settle,
                           note=note, other_side=other))
    return tuple(out)


def _what_would_settle(pattern: PatternDefinition | None, task: str | None, apart: str,
                       uncertainty: Uncertainty, segmentation: Segmentation) -> str:
    """What would settle an uncertain call, in the order a clinician can act on it
    (:func:`decide_findings`)."""
    steps = []
    if apart:
        steps.append(f"repeat the task ({apart})")
    if segmentation.rest.flagged:
        steps.append("record a rest (a few seconds of a still, relaxed face)")
    if task is not None and task != "rest" and uncertainty.repetitions.get(task, 0) < 2:
        steps.append(f"repeat the task ({task.replace('_', ' ')}) at least twice")
    if pattern is not None and task in pattern.mm_per_point:
        anchor = pattern.mm_per_point[task]
        resolvable = {r.region: r.smallest_change_mm for r in uncertainty.resolution}
        smallest = resolvable.get(pattern.region, float("nan"))
        if np.isfinite(smallest) and smallest > 0.5 * anchor:
            region = pattern.region.replace("_", " ")
            steps.append(f"come closer to the camera (the {region} resolves "
                         f"{smallest:.2f} mm; one point is {anchor:g} mm)")
    return "; ".join(steps) or "repeat the recording to narrow the interval"


def _repetitions_apart(agreement: Sequence[RepetitionAgreement], task: str | None,
                       region: str | None) -> str:
    """How far the repetitions of ``task`` lie apart where it matters to a finding watching
    ``region`` (that region and the task's drivers; the one furthest apart), e.g. "big smile:
    its 2 repetitions lie 1.42 mm apart in the mouth corner, which resolves 0.31 mm"; "" when
    they agree there (or the task was done once)."""
    if task not in TASK_NAMES:
        return ""
    relevant = {*get_task(task).drivers, *([region] if region else [])}
    for entry in agreement:
        if entry.task != task:
            continue
        apart = [(spread, name, limit) for name, spread, limit in zip(
            entry.regions, entry.spread_mm, entry.smallest_change_mm)
            if name in entry.disagreeing and name in relevant]
        if apart:
            spread, name, limit = max(apart)
            return (f"{task.replace('_', ' ')}: its {entry.repetitions} repetitions lie "
                    f"{spread:.2f} mm apart in the {name.replace('_', ' ')}, which resolves "
                    f"{limit:.2f} mm")
    return ""


@dataclass(frozen=True)
class RepetitionAgreement:
    """How the repetitions of one task agree, as a clinician compares two tries of a smile.

    Each repetition's level is the task's row of the coupling matrix computed with only that
    repetition of the task (the other tasks unchanged): the sustained movement of every region
    on each side, mm. Two repetitions disagree in a region when their levels lie further apart
    than the region's smallest resolvable change (:class:`RegionResolution`, a 90 % minimal
    detectable change: the spread two readings of the same held level stay within).

    Attributes
    ----------
    task : str
    repetitions : int
    regions : tuple of str
        The regions compared (measured, finite in every repetition on both sides).
    levels_mm : mapping side -> tuple of tuples
        ``levels_mm[side][k][j]``: repetition ``k``'s movement of ``regions[j]``, mm.
    spread_mm : tuple of float
        Per region, the largest range of the repetitions' levels over the two sides, mm.
    smallest_change_mm : tuple of float
        Per region, its smallest resolvable change (NaN when unknown: never flagged).
    disagreeing : tuple of str
        The regions whose spread exceeds their smallest resolvable change.
    """

    task: str
    repetitions: int
    regions: tuple[str, ...]
    levels_mm: Mapping[str, tuple[tuple[float, ...], ...]]
    spread_mm: tuple[float, ...]
    smallest_change_mm: tuple[float, ...]
    disagreeing: tuple[str, ...]

    @property
    def agree(self) -> bool:
        return not self.disagreeing


def repetition_agreement(recording: Recording, segmentation: Segmentation, *,
                         resolution: Sequence[RegionResolution],
                         coupling_options: CouplingOptions = CouplingOptions(),
                         ) -> tuple[RepetitionAgreement, ...]:
    """The agreement of the repetitions of every task recorded more than once (rest excluded),
    in protocol order (see :class:`RepetitionAgreement`). Sides are the patient's.

    Parameters
    ----------
    recording, segmentation
    resolution : sequence of RegionResolution
        From :func:`region_resolution` on the same recording.
    coupling_options : CouplingOptions
        As for the analysis' own coupling matrix.
    """
    smallest = {r.region: r.smallest_change_mm for r in resolution}
    out = []
    for task in TASK_NAMES:
        repeats = segmentation.task_segments(task)
        if task == "rest" or len(repeats) < 2:
            continue
        rows: dict[str, list[np.ndarray]] = {side: [] for side in SIDES}
        regions: tuple[str, ...] = ()
        for repeat in repeats:
            alone = replace(segmentation, segments=tuple(
                s for s in segmentation.segments if s.task != task or s is repeat))
            coupling = compute_coupling(recording, alone, options=coupling_options)
            if task not in coupling.tasks:
                break
            regions = coupling.regions
            row = coupling.tasks.index(task)
            for side in SIDES:
                rows[side].append(np.asarray(coupling.movement_mm[side][row], dtype=float))
        if not regions or len(rows["left"]) < 2:
            continue
        levels = {side: np.vstack(rows[side]) for side in SIDES}
        finite = np.all(np.isfinite(levels["left"]), axis=0) & np.all(
            np.isfinite(levels["right"]), axis=0)
        keep = [j for j, region in enumerate(regions) if finite[j] and region in smallest]
        spread = [max(float(np.ptp(levels[side][:, j])) for side in SIDES) for j in keep]
        names = tuple(regions[j] for j in keep)
        limits = tuple(float(smallest[name]) for name in names)
        out.append(RepetitionAgreement(
            task=task, repetitions=len(rows["left"]), regions=names,
            levels_mm={side: tuple(tuple(round(float(levels[side][k, j]), 4) for j in keep)
                                   for k in range(levels[side].shape[0])) for side in SIDES},
            spread_mm=tuple(round(v, 4) for v in spread), smallest_change_mm=limits,
            disagreeing=tuple(name for name, v, limit in zip(names, spread, limits)
                              if np.isfinite(limit) and v > limit)))
    return tuple(out)
