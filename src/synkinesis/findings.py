"""Synkinesis findings from the coupling matrix: patterns, resting tone and the affected side.
Pure: frozen dataclasses in and out. The scale items they support are estimated in
:mod:`synkinesis.scales.automatic`.

Every pattern is judged on the affected side *against the healthy side* (normal faces narrow
both eyes on a big smile: CLINICAL.md [V]), from the sustained frame-by-frame excess of one side's
movement over the other's (:attr:`synkinesis.coupling.Coupling.excess_mm`). The excess is
converted to a continuous index in *Sunnybrook synkinesis points* with a millimetre anchor per
point, and to a severity (none / mild / moderate / severe) by rounding the points, but only when
the excess also clears the recording's own noise floor.

The same arithmetic grades the simulator's ground truth (:mod:`synkinesis.simulate.truth`) from
its true movements, through :func:`pattern_points`, :func:`pattern_index_from_excess`,
:func:`synkinesis.scales.automatic.watched_excess_points` and :func:`points_grade`: one
clinical convention for both.

Anchors and their sources (CLINICAL.md):

- ocular-oral, palpebral fissure: 0.77 mm per point during smile, 1.0 mm during pucker [V, 29
  patients]; the other mouth tasks use the smile anchor [U];
- oral-ocular (mouth corner), mentalis (chin), nasolabial fold, platysmal proxy (lower lip):
  no published mm anchor; project defaults [U], configurable in :class:`FindingOptions` and
  labelled uncertain in every finding.

Sides are the PATIENT's.

Why one file of over 500 lines: every pattern's rule reads the same anchors, noise floor and
points arithmetic, which the simulator's ground truth reuses; split by pattern, that shared
arithmetic would be one more module every part imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from synkinesis.coupling import Coupling
from synkinesis.protocol import EYE_TASKS, get_task
from synkinesis.regions import SIDES, Side, other_side

Severity = Literal["none", "mild", "moderate", "severe", "uncertain", "not measurable",
                   "not assessable"]
SEVERITIES: tuple[str, ...] = ("none", "mild", "moderate", "severe")
#: Index (Sunnybrook points) where mild, moderate and severe start [U: rounding to the nearest
#: point]; the default of :attr:`FindingOptions.severity_cuts`.
SEVERITY_CUTS: tuple[float, float, float] = (0.5, 1.5, 2.5)


@dataclass(frozen=True)
class PatternDefinition:
    """A named synkinesis pattern: a set of coupling cells and their mm-per-point anchors.

    Attributes
    ----------
    name, label : str
    region : str
        The watched region whose excess movement is the pattern.
    tasks : tuple of str
        Tasks in which it is looked for.
    mm_per_point : mapping task -> float
        Excess (mm) worth one Sunnybrook synkinesis point in each task.
    source : str
        Where the anchors come from; ``[V]`` verified, ``[U]`` uncertain.
    uncertain : bool
        True when any anchor is [U].
    proxy : str or None
        Set when the measured quantity only stands in for the clinical sign.
    unseen : str or None
        Set when the measurement is known to miss much of the sign: said in the note of a
        call that reaches down to none (:func:`synkinesis.uncertainty.decide_findings`), so
        that "none" is not read as ruling the pattern out.
    """

    name: str
    label: str
    region: str
    tasks: tuple[str, ...]
    mm_per_point: Mapping[str, float]
    source: str
    uncertain: bool
    proxy: str | None = None
    unseen: str | None = None


def _anchors(tasks: tuple[str, ...], value: float, **special: float) -> dict[str, float]:
    return {task: special.get(task, value) for task in tasks}


_OCULAR_ORAL_TASKS = ("closed_smile", "big_smile", "pucker", "eee", "speech", "snarl")
_EYE_DRIVEN = ("gentle_eye_closure", "tight_eye_closure", "brow_raise")

PATTERNS: tuple[PatternDefinition, ...] = (
    PatternDefinition(
        "ocular_oral", "ocular-oral: the eye narrows with mouth movement", "eye",
        _OCULAR_ORAL_TASKS, _anchors(_OCULAR_ORAL_TASKS, 0.77, pucker=1.0),
        "0.77 mm palpebral-fissure difference per Sunnybrook point during smile, 1.0 mm during "
        "pucker [V, CLINICAL.md, 29 patients]; closed smile, EEE, speech and snarl use the smile "
        "anchor [U]", True),
    PatternDefinition(
        "oral_ocular", "oral-ocular: the mouth corner moves with eye closure or brow raise",
        "mouth_corner", _EYE_DRIVEN, _anchors(_EYE_DRIVEN, 1.5),
        "1.5 mm mouth-corner excursion difference per point [U, project default; patients move "
        "the modiolus 3.9 +/- 2.5 mm on eye closure, CLINICAL.md V]", True),
    PatternDefinition(
        "mentalis", "mentalis: the chin pad lifts with smile or eye closure", "chin",
        ("closed_smile", "big_smile", "eee", *EYE_TASKS),
        _anchors(("closed_smile", "big_smile", "eee", *EYE_TASKS), 1.0),
        "1.0 mm chin-pad rise difference per point [U, project default]", True,
        unseen="the chin landmark follows a one-sided chin lift only in part (0.02 of a lift "
               "warped into the shared videos, docs/validation.md): none here does not rule "
               "mentalis synkinesis out (look at the chin)"),
    PatternDefinition(
        "platysmal", "platysmal (proxy): lower-face depressor pull with a closed smile",
        "lower_lip", ("closed_smile",), {"closed_smile": 1.0},
        "1.0 mm lower-lip descent difference per point [U, project default]", True,
        proxy="the neck (platysma) is not covered by face landmarks: lower-lip descent on the "
              "affected side beyond the healthy side during a closed smile (where the lower lip "
              "should stay) stands in for depressor / platysmal pull; big smile and EEE move the "
              "lower lip on purpose and are not used; confirm by looking at the neck"),
    PatternDefinition(
        "nasolabial", "nasolabial fold deepening with eye closure or brow raise", "nasolabial",
        _EYE_DRIVEN, _anchors(_EYE_DRIVEN, 1.0),
        "1.0 mm shortening difference of the alar-base-to-corner line per point [U, project "
        "default; fold depth itself is not visible to landmarks]", True,
        proxy="fold depth is read from the shortening of the alar-base-to-mouth-corner line"),
)


#: Left-right difference that HEALTHY faces show in a pattern's index, Sunnybrook points: a
#: call above mild needs the index's whole interval above it; below it an index is called at
#: most mild (docs/validation.md, "Normal asymmetry", says where each number comes from).
#: Measured on the two healthy shared videos (scripts/normal_asymmetry.py): the largest index
#: with either side taken as affected, rounded up to 0.1 point, read as the analysis reads it by
#: default (a co-movement over the driver's hold, :data:`synkinesis.coupling.DEFAULT_HELD_LEVEL`):
#: ocular-oral 1.25 (WolfgangLanger, big smile; 1.18 with the Tasks API engine), mentalis 0.70
#: (single_face). Both lie below the moderate cut, so they bound nothing today; with the lowest
#: frame of the best window (the default before) the same faces read 2.10 and 1.78, when the
#: window's own noise, not the face, set most of it. Two faces only [U]: the same faces the
#: healthy checks run on, so those checks are not independent of it; for that reason it only
#: bounds calls above mild and never hides a mild one. Patterns without a healthy-face
#: measurement keep the mild cut (the simulator's symmetric healthy patients, tracker noise
#: alone, stay below 0.25 point in every pattern).
NORMAL_ASYMMETRY: dict[str, float] = {"ocular_oral": 1.3, "mentalis": 0.7}

#: The same rule when a co-movement is read from the region's own best window
#: (``CouplingOptions(held_level="minimum")``, the default before 2026-12-07, or ``"mean"``):
#: the two healthy videos read 2.10 (ocular-oral) and 1.78 (mentalis) that way, so below 2.1
#: and 1.8 nothing is called above mild there (:class:`synkinesis.analysis.AnalysisOptions`
#: takes these with such a held level). "mean" reads a window higher still; it was not
#: measured on the healthy videos, and these are its lower bound [U].
WINDOW_NORMAL_ASYMMETRY: dict[str, float] = {"ocular_oral": 2.1, "mentalis": 1.8}


#: Resting tightness (points) below which a face's resting asymmetry is within what healthy
#: faces show: the mild cut of resting tightness. One point is 1 mm of palpebral fissure
#: asymmetry (:class:`RestingThresholds`), and for the eye 1 mm is where healthy asymmetry
#: ends: of 88 healthy adults (12..50 years) measured by video in primary gaze, 5.7 % had a
#: fissure asymmetry of 1 mm or more, the largest 2.1 mm [V for the eye: Lam, Lam & Walls,
#: "Prevalence of palpebral fissure asymmetry in white persons", Am J Ophthalmol 1995;120(4):
#: 518-522]. The automatic Sunnybrook resting eye item grades "narrow" from the same 1 mm, so
#: below it the finding and the scale item agree on "normal". The index also adds the fold and
#: corner parts, which have no published norm here [U]; and a healthy face can still read above
#: the cut: single_face reads 0.72 point with its rest declared, WolfgangLanger 2.29 in her
#: quietest span, which is not a rest (docs/validation.md).
NORMAL_RESTING_POINTS = 1.0


@dataclass(frozen=True)
class RestingThresholds:
    """Asymmetries at rest that count as one Sunnybrook resting point [U, project defaults].

    Attributes
    ----------
    eye_mm : float
        Palpebral fissure narrower (or wider) than the healthy side, mm.
    fold_mm : float
        Alar-base-to-corner line shorter (deeper fold) or longer, mm.
    corner_mm : float
        Mouth corner higher (pulled up) or lower (drooped), mm.
    """

    eye_mm: float = 1.0
    fold_mm: float = 2.0
    corner_mm: float = 2.0


@dataclass(frozen=True)
class FindingOptions:
    """Options of the findings (all documented in docs/analysis.md).

    Attributes
    ----------
    severity_cuts : (float, float, float)
        Index (points) where mild, moderate and severe start [U: rounding to the nearest
        Sunnybrook point].
    anchor_overrides : mapping pattern -> mm per point
        Replace a pattern's [U] anchors (all tasks).
    resting : RestingThresholds
    side_threshold : float
        |affected-side score| needed to name an affected side when inferring [U].
    normal_asymmetry : mapping pattern -> points
        Index that healthy faces reach (:data:`NORMAL_ASYMMETRY`): the decision from an
        interval calls nothing above mild below it (:func:`severity_from_interval`).
    normal_resting : float
        Resting tightness that healthy faces reach (:data:`NORMAL_RESTING_POINTS`): its mild
        cut (below it a resting asymmetry is called none).
    """

    severity_cuts: tuple[float, float, float] = SEVERITY_CUTS
    anchor_overrides: Mapping[str, float] = field(default_factory=dict)
    resting: RestingThresholds = field(default_factory=RestingThresholds)
    side_threshold: float = 0.3
    normal_asymmetry: Mapping[str, float] = field(
        default_factory=lambda: dict(NORMAL_ASYMMETRY))
    normal_resting: float = NORMAL_RESTING_POINTS

    def validate(self) -> None:
        """Raise ValueError for cuts that leave a severity class empty."""
        c = self.severity_cuts
        if not (len(c) == 3 and 0 < c[0] < c[1] < c[2]):
            raise ValueError(f"severity cuts must rise above 0 (e.g. 0.5, 1.5, 2.5), got {c}")
        if not 0 <= self.normal_resting < c[1]:
            raise ValueError(f"normal_resting must lie in 0..{c[1]:g} (below the moderate cut, "
                             f"else resting tightness has no mild class), got "
                             f"{self.normal_resting}")

    def decision_cuts(self, pattern: str, *, side_named: bool = True
                      ) -> tuple[float, float, float]:
        """The severity cuts a pattern's interval is decided with: mild from the mild cut,
        moderate (and severe) not below the pattern's normal asymmetry (healthy faces reach
        it), so an index a healthy face can show is called at most mild. Resting tightness
        starts mild at :attr:`normal_resting` (a published norm of healthy faces): below it,
        none.

        ``side_named=False`` (no affected side given or inferred: both sides are called, and
        nothing says either had a palsy): the classes start at the normal asymmetry, each as
        wide as with a named side (ocular-oral 1.3 / 2.3 / 3.3 instead of 0.5 / 1.5 / 2.5): a
        left-right difference healthy faces show is not called synkinesis on either side, and
        what lies beyond it is graded like a named side's index. With the affected side known,
        the same difference on that side is a mild synkinesis."""
        normal = float(self.normal_asymmetry.get(pattern, 0.0))
        c = self.severity_cuts
        mild = max(c[0], self.normal_resting) if pattern == "resting_tightness" else c[0]
        if not side_named and normal > mild:
            shift = normal - mild
            return (normal, c[1] + shift, c[2] + shift)
        # What a healthy face reaches bounds what one recording calls ABOVE mild: an index
        # inside it can still be mild (a real mild synkinesis is not hidden), never more.
        return (mild, max(c[1], normal, mild), max(c[2], normal, mild))

    def patterns(self) -> tuple[PatternDefinition, ...]:
        out = []
        for pattern in PATTERNS:
            if pattern.name in self.anchor_overrides:
                value = float(self.anchor_overrides[pattern.name])
                pattern = replace(pattern, mm_per_point={t: value for t in pattern.tasks},
                                  source=f"{value} mm per point (user setting)")
            out.append(pattern)
        return tuple(out)


def severity_of(points: float, excess_mm: float, floor_mm: float,
                cuts: tuple[float, float, float]) -> str:
    """Severity from an index in points, when the excess clears the noise floor."""
    if not np.isfinite(points) or excess_mm < floor_mm or points < cuts[0]:
        return "none"
    if points < cuts[1]:
        return "mild"
    return "moderate" if points < cuts[2] else "severe"


def severity_from_interval(low: float, high: float,
                           cuts: tuple[float, float, float] = SEVERITY_CUTS
                           ) -> tuple[str, tuple[str, str]]:
    """The severity an interval of an index supports (no knife edge on the point estimate).

    A severity is called when the whole interval lies in its class; "none" only when the
    interval stays below mild; otherwise "uncertain", with the classes its ends fall in.

    Parameters
    ----------
    low, high : float
        Interval of the index, Sunnybrook points.
    cuts : (float, float, float)
        Where mild, moderate and severe start (points).

    Returns
    -------
    severity : str
        none / mild / moderate / severe / uncertain.
    range : (str, str)
        The classes of the interval's ends (equal when a severity is called).
    """
    ends = (SEVERITIES[points_grade(low, cuts)], SEVERITIES[points_grade(high, cuts)])
    return (ends[0] if ends[0] == ends[1] else "uncertain"), ends


def points_grade(points: float, cuts: tuple[float, float, float] = SEVERITY_CUTS) -> int:
    """Sunnybrook synkinesis grade 0..3 (none, mild, moderate, severe) of an index in points
    (no noise floor: the caller has applied it)."""
    return SEVERITIES.index(severity_of(points, points, 0.0, cuts))


def pattern_points(pattern: PatternDefinition, excess_mm: Mapping[str, float]
                   ) -> dict[str, float]:
    """Sunnybrook points of each of the pattern's tasks: excess / the task's mm-per-point anchor.

    Parameters
    ----------
    pattern : PatternDefinition
    excess_mm : mapping task -> float
        Excess of the pattern's region on one side over the other side in each task, mm (active
        direction; negative when the other side moves more). Tasks outside the pattern are
        ignored.

    Returns
    -------
    dict task -> float
        In the pattern's task order, only tasks with a finite excess.
    """
    return {task: float(excess_mm[task] / pattern.mm_per_point[task]) for task in pattern.tasks
            if task in excess_mm and np.isfinite(excess_mm[task])}


def pattern_index_from_excess(
    pattern: PatternDefinition,
    excess_mm: Mapping[str, float],
    *,
    floor_mm: float = 0.0,
    cuts: tuple[float, float, float] = SEVERITY_CUTS,
) -> tuple[float, str]:
    """A pattern's index and severity on one side from that side's excess per task.

    The index is the largest :func:`pattern_points` over the tasks (in Sunnybrook points);
    the severity (:func:`severity_of`) also needs the key task's excess to clear ``floor_mm``
    (a recording's noise floor; 0 for true movements). This is what :func:`find_patterns`
    reports for the side taken as affected.

    Parameters
    ----------
    pattern : PatternDefinition
    excess_mm : mapping task -> float, mm (see :func:`pattern_points`)
    floor_mm : float, mm
    cuts : (float, float, float), where mild, moderate and severe start (points)

    Returns
    -------
    index : float
        NaN when none of the pattern's tasks has a finite excess.
    severity : str
        none / mild / moderate / severe, or "not measurable".
    """
    points = pattern_points(pattern, excess_mm)
    if not points:
        return float("nan"), "not measurable"
    key = max(points, key=points.__getitem__)  # the first of equals, in task order
    return points[key], severity_of(points[key], excess_mm[key], floor_mm, cuts)


def pattern_excess_mm(pattern: PatternDefinition, coupling: Coupling, side: Side
                      ) -> dict[str, float]:
    """The sustained excess (mm) of ``side`` over the other side in each of the pattern's
    recorded tasks (:attr:`Coupling.excess_mm`, NaN kept)."""
    return {task: coupling.cell(quantity="excess_mm", side=side, task=task,
                                region=pattern.region)
            for task in pattern.tasks if task in coupling.tasks}


def _grade_confidence(points: float, cuts: tuple[float, float, float]) -> float:
    """Distance of the index from the nearest severity boundary: 0.3 on it, 1 at 0.5 point."""
    if not np.isfinite(points):
        return 0.0
    distance = min(abs(points - c) for c in cuts)
    return float(np.clip(distance / 0.5, 0.3, 1.0))


@dataclass(frozen=True)
class Evidence:
    """One task's contribution to a finding.

    Attributes
    ----------
    task : str
    excess_mm : float
        Sustained excess of the affected side over the healthy side, mm.
    points : float
        ``excess_mm`` / the task's anchor.
    affected_mm, healthy_mm : float
        Sustained movement of the region on each side in this task, mm.
    start_frame, stop_frame, peak_frame : int
        Window where the excess was held (``[start, stop)``) and its peak frame.
    """

    task: str
    excess_mm: float
    points: float
    affected_mm: float
    healthy_mm: float
    start_frame: int
    stop_frame: int
    peak_frame: int


@dataclass(frozen=True)
class SideCall:
    """The call about the other side of a face whose affected side is not named.

    A face whose evidence is too weak to name an affected side (a healthy face, a mild or
    bilateral case) is reported on the side the evidence leans to (:attr:`Finding.side`), and
    which side that is can follow small changes of the recording (a re-encoded or mirrored
    copy). The other side is therefore called too, from its own index (that side taken as
    affected) and, once intervals are estimated, its own interval: the two calls together do
    not depend on the lean.

    Attributes
    ----------
    side : {"left", "right"}
        The other side (the patient's).
    index : float
        Sunnybrook points, this side taken as affected.
    severity : str
        As :attr:`Finding.severity` (decided from the interval when there is one).
    severity_range : (str, str) or None
        The classes of the interval's ends, when intervals were estimated.
    low, high : float or None
        The index's interval, when estimated.
    settle : str
        For an uncertain call: what would settle it.
    task : str or None
        The key task (the largest excess on this side).
    excess_mm : float
        The key task's excess of this side over the other, mm.
    """

    side: Side
    index: float
    severity: str
    severity_range: tuple[str, str] | None = None
    low: float | None = None
    high: float | None = None
    settle: str = ""
    task: str | None = None
    excess_mm: float = float("nan")


@dataclass(frozen=True)
class Finding:
    """A named pattern on one side.

    Attributes
    ----------
    pattern, label : str
    side : {"left", "right"} or None
        The side the finding is about (the patient's).
    index : float
        Continuous index in Sunnybrook synkinesis points (0 = none); NaN if not measurable.
    index_by_side : mapping side -> float
        The index with each side taken as affected (for mirror checks and bilateral cases).
    severity : str
        none / mild / moderate / severe / not measurable; "uncertain" when the index's
        interval spans more than one class (:func:`severity_from_interval`); "not assessable"
        when the recording cannot support it (resting tightness without a rest segment; the
        note says why).
    confidence : float
        0..1: task label confidence x usable-frame coverage x distance from a severity boundary.
    evidence : tuple of Evidence
        Per task, strongest first; the first is the key evidence.
    noise_floor_mm : float
    source : str
        Where the thresholds come from ([V]/[U]).
    uncertain : bool
    proxy : str or None
    note : str
    severity_range : (str, str) or None
        The classes of the ends of the index's interval, when intervals were estimated.
    settle : str
        For an uncertain severity: what would settle it (record a rest, repeat the task, come
        closer to the camera).
    other_side : SideCall or None
        When no affected side is named: the call about the other side (:class:`SideCall`).
    """

    pattern: str
    label: str
    side: Side | None
    index: float
    index_by_side: Mapping[Side, float]
    severity: str
    confidence: float
    evidence: tuple[Evidence, ...]
    noise_floor_mm: float
    source: str
    uncertain: bool
    proxy: str | None = None
    note: str = ""
    severity_range: tuple[str, str] | None = None
    settle: str = ""
    other_side: SideCall | None = None

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(e.task for e in self.evidence)


@dataclass(frozen=True)
class AffectedSide:
    """Which side is affected, and why.

    Attributes
    ----------
    side : {"left", "right"} or None
        None when inferred and the evidence is too weak (e.g. a healthy face).
    method : {"given", "inferred"}
    confidence : float
        0..1 (1 when given).
    leaning : {"left", "right"}
        The side the evidence points to, even when too weak to name.
    score : float
        Positive: the left side looks affected; negative: the right. Sum of ``weakness`` and
        ``co_movement``.
    weakness : float
        Mean relative deficit of the left side's voluntary movement (-1..1).
    co_movement : float
        Mean excess co-movement of the left side over the right, in points / 3 (-1..1).
    """

    side: Side | None
    method: str
    confidence: float
    leaning: Side
    score: float
    weakness: float
    co_movement: float


def infer_affected_side(
    coupling: Coupling,
    *,
    given: Side | None = None,
    options: FindingOptions = FindingOptions(),
) -> AffectedSide:
    """The affected side: given, or inferred from weaker voluntary movement and more
    co-movement.

    Weakness is the mean over every driver cell of ``(right - left) / max(left, right)``, each
    side's movement clipped at 0 (movement against the active direction is no voluntary
    movement) and the denominator at least the region's noise floor;
    co-movement is the mean over the patterns of (left index - right index) in points (each
    clipped to 0..3), divided by 3, where each side's co-movement is taken relative to its own
    voluntary effort in the task (:func:`relative_co_movement_points`): a weak side that moves
    its eye less on a weak smile lacks normal co-movement, it does not give the healthy side
    an excess.
    Their sum is the score; a side is named when ``|score| >= options.side_threshold``
    (confidence ``min(1, |score| / (2 * threshold))``).
    """
    deficits = []
    for task in coupling.tasks:
        for region in get_task(task).drivers:
            left, right = (coupling.cell(quantity="movement_mm", side=side, task=task,
                                         region=region) for side in ("left", "right"))
            if not (np.isfinite(left) and np.isfinite(right)):
                continue
            # Voluntary movement is movement in the active direction: a driver moving the
            # other way did none (as for co-movement). Clipped, every term lies in -1..1;
            # unclipped, two sides moving the wrong way divided a difference by the floor alone.
            left, right = max(left, 0.0), max(right, 0.0)
            top = max(left, right, coupling.noise_floor(region))
            deficits.append((right - left) / top)
    weakness = float(np.mean(deficits)) if deficits else 0.0
    gaps = []
    for pattern in options.patterns():
        relative = relative_co_movement_points(pattern, coupling)
        left, right = relative["left"], relative["right"]
        if np.isfinite(left) and np.isfinite(right):
            gaps.append(np.clip(max(left, 0) - max(right, 0), -3, 3) / 3)
    co_movement = float(np.mean(gaps)) if gaps else 0.0
    score = weakness + co_movement
    leaning: Side = "left" if score >= 0 else "right"
    if given is not None:
        return AffectedSide(given, "given", 1.0, given, score, weakness, co_movement)
    named = abs(score) >= options.side_threshold
    confidence = float(min(1.0, abs(score) / (2 * options.side_threshold)))
    return AffectedSide(leaning if named else None, "inferred", round(confidence, 3), leaning,
                        score, weakness, co_movement)


#: Below this fraction of the stronger side's driver movement, a side's effort in a task is too
#: small to say what co-movement it should show [U, project default].
MIN_EFFORT_FRACTION = 0.2


def relative_co_movement_points(pattern: PatternDefinition, coupling: Coupling
                                ) -> dict[Side, float]:
    """Each side's co-movement beyond the other's, relative to each side's own effort, in
    points (for the affected-side inference only; findings keep the clinical mm difference).

    In each of the pattern's tasks, a side's co-movement (the pattern region's sustained
    movement, mm, clipped at 0) is divided by that side's effort (sum of the task's driver
    movements, mm). The difference of these fractions, times the stronger side's effort, is an
    excess in mm as if both sides had tried equally hard; the part above the region's noise
    floor is converted to points with the task's anchor. A side whose effort is below
    :data:`MIN_EFFORT_FRACTION` of the other's cannot show whether the other side's
    co-movement is excess, so the other side gets no points from that task (the weak side
    still does: co-movement without effort is synkinesis).

    Returns
    -------
    dict side -> float
        Largest points over the pattern's tasks (0 when no side exceeds); NaN when none of
        its tasks could be compared.
    """
    region_floor = coupling.noise_floor(pattern.region)
    out = {side: float("nan") for side in SIDES}
    for task in pattern.tasks:
        if task not in coupling.tasks:
            continue
        drivers = get_task(task).drivers
        effort = {side: float(np.nansum([np.fmax(coupling.cell(
            quantity="movement_mm", side=side, task=task, region=r), 0.0) for r in drivers]))
                  for side in SIDES}
        co = {side: coupling.cell(quantity="movement_mm", side=side, task=task,
                                  region=pattern.region) for side in SIDES}
        floor = float(np.nansum([coupling.noise_floor(r) for r in drivers]))
        top = max(effort.values())
        if top < floor or not all(np.isfinite(v) for v in co.values()):
            continue
        fraction = {side: max(co[side], 0.0) / max(effort[side], MIN_EFFORT_FRACTION * top)
                    for side in SIDES}
        for side in SIDES:
            other = other_side(side)
            points = 0.0
            if effort[other] >= MIN_EFFORT_FRACTION * top:
                gap_mm = (fraction[side] - fraction[other]) * top - region_floor
                points = max(gap_mm, 0.0) / pattern.mm_per_point[task]
            out[side] = float(np.fmax(out[side], points))
    return out


def _pattern_on_side(pattern: PatternDefinition, coupling: Coupling, side: Side
                     ) -> tuple[float, list[Evidence]]:
    healthy = other_side(side)
    excess = pattern_excess_mm(pattern, coupling, side)
    evidence = []
    for task, points in pattern_points(pattern, excess).items():
        start, stop, peak = coupling.excess_window_of(side=side, task=task,
                                                      region=pattern.region)
        moved = {s: coupling.cell(quantity="movement_mm", side=s, task=task,
                                  region=pattern.region) for s in (side, healthy)}
        evidence.append(Evidence(task, excess[task], points, moved[side], moved[healthy],
                                 start, stop, peak))
    evidence.sort(key=lambda e: -e.points)
    index = max((e.points for e in evidence), default=float("nan"))
    return index, evidence


def _other_side_call(pattern: PatternDefinition, coupling: Coupling, affected: AffectedSide,
                     side: Side, evidence: Sequence[Evidence],
                     cuts: tuple[float, float, float]) -> SideCall | None:
    """The call about the side opposite ``side`` when no affected side is named (None when one
    is, or when that side has no evidence): the same index and point severity as the finding's
    own, with that side taken as affected."""
    if affected.side is not None or not evidence:
        return None
    key = evidence[0]
    index, severity = pattern_index_from_excess(
        pattern, {e.task: e.excess_mm for e in evidence},
        floor_mm=coupling.noise_floor(pattern.region, key.task), cuts=cuts)
    return SideCall(other_side(side), round(float(index), 4), severity, task=key.task,
                    excess_mm=round(float(key.excess_mm), 4))


def _left_out_note(left_out: Mapping[str, str]) -> str:
    return "; ".join(f"{task.replace('_', ' ')} {why}" for task, why in left_out.items())


def find_patterns(
    coupling: Coupling,
    affected: AffectedSide,
    *,
    options: FindingOptions = FindingOptions(),
) -> tuple[Finding, ...]:
    """Every named pattern, each with its index, severity, evidence and confidence.

    When the affected side is known (given or inferred), findings are about that side;
    otherwise about the side the evidence leans to (``affected.leaning``, the side the scale
    items use), never each pattern on its own stronger side: a weak side lacking normal
    co-movement would otherwise give the healthy side "synkinesis". Both sides' indices stay
    in ``index_by_side``; when no side is named the other side is called as well
    (:attr:`Finding.other_side`), so that the two calls together do not depend on which side
    the evidence leans to. Negative indices (the other side moves more) are kept as they are:
    they read as "none".

    Spans the coupling left out (:attr:`Coupling.not_assessable`: a covered side, a span that
    is not the task) give no evidence; a pattern whose every task was left out is "not
    assessable", with the reason in its note.
    """
    findings = []
    for pattern in options.patterns():
        # no side named: an asymmetry healthy faces show is not called on either side
        cuts = (options.severity_cuts if affected.side is not None else
                options.decision_cuts(pattern.name, side_named=False))
        by_side = {side: _pattern_on_side(pattern, coupling, side) for side in SIDES}
        index_by_side = {side: round(float(by_side[side][0]), 4) for side in SIDES}
        side: Side = affected.side if affected.side is not None else affected.leaning
        index, evidence = by_side[side]
        floor = coupling.noise_floor(pattern.region)
        left_out = {t: why for t, why in coupling.not_assessable.items() if t in pattern.tasks}
        if not evidence:
            if left_out:
                findings.append(Finding(
                    pattern.name, pattern.label, side, float("nan"), index_by_side,
                    "not assessable", 0.0, (), floor, pattern.source, pattern.uncertain,
                    pattern.proxy, "not assessable: " + _left_out_note(left_out)))
                continue
            findings.append(Finding(
                pattern.name, pattern.label, side, float("nan"), index_by_side,
                "not measurable", 0.0, (), floor, pattern.source, pattern.uncertain,
                pattern.proxy, "none of its tasks was recorded: " + ", ".join(pattern.tasks)))
            continue
        key = evidence[0]
        floor = coupling.noise_floor(pattern.region, key.task)
        index, severity = pattern_index_from_excess(
            pattern, {e.task: e.excess_mm for e in evidence}, floor_mm=floor, cuts=cuts)
        confidence = coupling.task_reliability(key.task) * _grade_confidence(index, cuts)
        if key.task in coupling.short_tasks:
            confidence *= 0.5
        if pattern.proxy is not None and pattern.name == "platysmal":
            confidence *= 0.5
        note = ""
        if severity == "none" and index >= cuts[0]:
            note = f"excess {key.excess_mm:.2f} mm is within the noise floor ({floor:.2f} mm)"
        if left_out:
            note = "; ".join(filter(None, (note, "left out: " + _left_out_note(left_out))))
        if pattern.unseen and severity == "none":
            note = "; ".join(filter(None, (note, pattern.unseen)))
        findings.append(Finding(
            pattern.name, pattern.label, side, round(float(index), 4), index_by_side, severity,
            round(float(confidence), 3), tuple(evidence), round(floor, 4), pattern.source,
            pattern.uncertain, pattern.proxy, note, other_side=_other_side_call(
                pattern, coupling, affected, side, by_side[other_side(side)][1], cuts)))
    return tuple(findings)


@dataclass(frozen=True)
class RestingComponent:
    """One resting asymmetry, affected minus healthy.

    ``value_mm`` is signed so that positive is the *tight* direction (narrower eye, shorter
    fold line, higher corner); ``points`` = value / threshold.
    """

    name: str
    value_mm: float
    threshold_mm: float
    points: float
    affected_mm: float
    healthy_mm: float


def resting_tone(
    coupling: Coupling,
    affected: AffectedSide,
    *,
    options: FindingOptions = FindingOptions(),
) -> Finding:
    """Resting tightness (hypertonicity) on the affected side: narrower eye, deeper fold
    (shorter alar-base-to-corner line), mouth corner pulled up, against the healthy side.

    The index is the sum of the positive component points (each component's asymmetry divided
    by its one-point threshold, :class:`RestingThresholds`), mapped to severity like the
    patterns, except that mild starts at :attr:`FindingOptions.normal_resting` (what healthy
    faces reach, :data:`NORMAL_RESTING_POINTS`). Thresholds are [U] project defaults.
    """
    thresholds = options.resting

    def components(side: Side) -> list[RestingComponent]:
        h = other_side(side)
        spec = (("eye_narrower", "palpebral_fissure", -1.0, thresholds.eye_mm),
                ("fold_deeper", "nasolabial_length", -1.0, thresholds.fold_mm),
                ("corner_higher", "mouth_corner_y", +1.0, thresholds.corner_mm))
        out = []
        for name, quantity, sign, threshold in spec:
            a, b = coupling.rest(quantity, side), coupling.rest(quantity, h)
            value = sign * (a - b)
            out.append(RestingComponent(name, round(value, 4), threshold,
                                        round(value / threshold, 4), round(a, 4), round(b, 4)))
        return out

    def index(parts: list[RestingComponent]) -> float:
        return float(sum(max(p.points, 0.0) for p in parts if np.isfinite(p.points)))

    by_side = {side: components(side) for side in SIDES}
    index_by_side = {side: round(index(by_side[side]), 4) for side in SIDES}
    side: Side = affected.side if affected.side is not None else affected.leaning
    value = index_by_side[side]
    parts = by_side[side]
    cuts = options.decision_cuts("resting_tightness", side_named=affected.side is not None)
    severity = severity_of(value, value, 0.0, cuts)
    note = "; ".join(f"{p.name.replace('_', ' ')} {p.value_mm:+.2f} mm" for p in parts)
    other_call = None
    if affected.side is None:
        other = other_side(side)
        other_call = SideCall(other, index_by_side[other],
                              severity_of(index_by_side[other], index_by_side[other], 0.0,
                                          cuts), task="rest")
    return Finding(
        "resting_tightness", "resting tightness: narrower eye, deeper fold, raised corner at rest",
        side, round(value, 4), index_by_side, severity,
        round(_grade_confidence(value, cuts), 3), (), 0.0,
        f"one point per {thresholds.eye_mm} mm eye, {thresholds.fold_mm} mm fold line, "
        f"{thresholds.corner_mm} mm corner asymmetry [U, project defaults]", True,
        "fold depth is read from the alar-base-to-corner line", note, other_side=other_call)


def resting_components(coupling: Coupling, side: Side, *,
                       options: FindingOptions = FindingOptions()) -> dict[str, float]:
    """Signed resting asymmetries (affected minus healthy, mm) for the scale items."""
    h = other_side(side)
    return {
        "palpebral_fissure": coupling.rest("palpebral_fissure", side)
        - coupling.rest("palpebral_fissure", h),
        "nasolabial_length": coupling.rest("nasolabial_length", side)
        - coupling.rest("nasolabial_length", h),
        "mouth_corner_y": coupling.rest("mouth_corner_y", side)
        - coupling.rest("mouth_corner_y", h),
        "brow_height": coupling.rest("brow_height", side) - coupling.rest("brow_height", h),
    }
