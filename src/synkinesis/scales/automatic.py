"""Scale items estimated automatically from a recording's coupling matrix and findings:
eFACE (Auto-eFACE's formulas), Sunnybrook (resting symmetry, voluntary movement, synkinesis
items) and a suggested House-Brackmann grade. Pure: frozen dataclasses in and out.

Each estimate carries the measurement behind it and a confidence; items that cannot be measured
are listed as missing, so the result is a draft until a clinician completes it. Scoring the
items (totals, validation) is :mod:`synkinesis.scales`' job
(:func:`synkinesis.analysis.score_estimates`). Sides are the PATIENT's.

Why one file of over 500 lines: the three instruments' estimates share the voluntary ratios,
the watched-region synkinesis points and the task confidence, and House-Brackmann's suggestion
reads the same findings' calls as the synkinesis items (both sides of a face with no side
named); apart they would import each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from synkinesis.coupling import Coupling
from synkinesis.findings import (
    SEVERITIES,
    AffectedSide,
    Finding,
    FindingOptions,
    SideCall,
    points_grade,
    resting_components,
)
from synkinesis.regions import Side, other_side


@dataclass(frozen=True)
class ItemEstimate:
    """An automatically estimated scale item and the measurement behind it."""

    key: str
    value: float | int | str
    measurement: str
    measured: float
    unit: str
    confidence: float
    note: str = ""


@dataclass(frozen=True)
class ScaleEstimate:
    """Estimated items of one instrument and, once scored, the result (a draft when items are
    missing).

    ``result`` is a :class:`synkinesis.scales.ScaleResult` after
    :func:`synkinesis.analysis.score_estimates` (the scales library is a layer above this
    module), None before. ``grade_range`` is, for a graded suggestion (House-Brackmann), the
    lowest and highest whole grade of its interval (:mod:`synkinesis.uncertainty`), filled in
    by the analysis; None when no interval was estimated."""

    instrument: str
    items: tuple[ItemEstimate, ...]
    missing: tuple[str, ...]
    result: Any = None
    notes: tuple[str, ...] = ()
    grade_range: tuple[int, int] | None = None


#: Voluntary ratio (affected / healthy movement) lower bounds of Sunnybrook grades 2..5 [U].
VOLUNTARY_CUTS = (0.1, 0.35, 0.65, 0.9)
#: eFACE synkinesis item from a pattern index: 100 - POINTS_TO_EFACE * points [U].
POINTS_TO_EFACE = 100.0 / 3.0
#: eFACE oral commissure at rest: points of the 0..200 item per mm of height difference [U].
EFACE_CORNER_PER_MM = 10.0


def _ratio(a: float, h: float, floor: float) -> float:
    if not (np.isfinite(a) and np.isfinite(h)) or h < floor:
        return float("nan")
    return max(a, 0.0) / h


def _voluntary_ratio(coupling: Coupling, task: str, region: str, side: Side) -> float:
    """Affected / healthy voluntary movement of ``region`` in ``task``. The eye compares
    closure fractions (narrowing / that side's own rest fissure, as eFACE's eye closure does):
    an eye narrow at rest that closes completely has closed completely, whatever its mm."""
    h = other_side(side)
    a, b = (coupling.cell(quantity="movement_mm", side=s, task=task, region=region)
            for s in (side, h))
    floor = coupling.noise_floor(region)
    if region == "eye":
        rest_a = coupling.rest("palpebral_fissure", side)
        rest_h = coupling.rest("palpebral_fissure", h)
        if not (rest_a > 0 and rest_h > 0):
            return float("nan")
        a, b, floor = a / rest_a, b / rest_h, floor / rest_h
    return _ratio(a, b, floor)


def _task_confidence(coupling: Coupling, task: str) -> float:
    return coupling.task_reliability(task) * (0.5 if task in coupling.short_tasks else 1.0)


def _voluntary_grade(ratio: float) -> int:
    return 1 + sum(ratio >= c for c in VOLUNTARY_CUTS)


def estimate_eface(coupling: Coupling, findings: tuple[Finding, ...], side: Side, *,
                   options: FindingOptions = FindingOptions(), both_sides: bool = False
                   ) -> tuple[list[ItemEstimate], list[str]]:
    """The 15 eFACE items landmarks can support, affected side ``side`` (Auto-eFACE formulas,
    CLINICAL.md [V]; fold items and the commissure at rest are proxies [U]).

    ``both_sides`` (no affected side named, ``side`` the one the evidence leans to): the
    midfacial, mentalis and platysmal synkinesis items read the worse of the two sides, each
    side's index less its pattern's normal asymmetry above the mild cut (the classes of an
    unnamed face start there, :meth:`FindingOptions.decision_cuts`); the other items, the
    ocular synkinesis ratio included, compare ``side`` with the other."""
    h = other_side(side)
    items: list[ItemEstimate] = []
    missing: list[str] = []
    rest = coupling.rest

    def static(key: str, raw: float, measurement: str, confidence: float, note: str) -> None:
        if not np.isfinite(raw):
            missing.append(key)
            return
        items.append(ItemEstimate(key, float(np.clip(raw, 0, 200)), measurement, float(raw),
                                  "ratio x100", confidence, note))

    static("brow_rest", 100 * rest("brow_height", side) / rest("brow_height", h),
           "100 * brow height affected / healthy at rest", 0.8, "Auto-eFACE [V]")
    static("palpebral_fissure_rest",
           100 * rest("palpebral_fissure", h) / rest("palpebral_fissure", side),
           "100 * palpebral fissure healthy / affected at rest", 0.8,
           "Auto-eFACE formula [V] (note: above 100 means the affected eye is narrower)")
    static("nasolabial_fold_rest",
           100 * rest("nasolabial_length", h) / rest("nasolabial_length", side),
           "100 * alar-base-to-corner line healthy / affected at rest", 0.3,
           "proxy: fold depth is not visible to landmarks [U]")
    static("oral_commissure_rest",
           100 + EFACE_CORNER_PER_MM * (rest("mouth_corner_y", side) - rest("mouth_corner_y", h)),
           f"100 + {EFACE_CORNER_PER_MM:g} * corner height difference (mm) at rest", 0.5,
           "project mapping [U]")

    def dynamic(key: str, task: str, region: str, measurement: str, note: str = "",
                quality: float = 1.0) -> None:
        a, b = (coupling.cell(quantity="movement_mm", side=s, task=task, region=region)
                for s in (side, h))
        ratio = _ratio(a, b, coupling.noise_floor(region))
        if not np.isfinite(ratio):
            missing.append(key)
            return
        items.append(ItemEstimate(key, float(np.clip(100 * ratio, 0, 100)), measurement,
                                  100 * ratio, "%", round(_task_confidence(coupling, task)
                                                          * quality, 3), note))

    dynamic("brow_elevation", "brow_raise", "brow",
            "100 * brow rise affected / healthy (brow raise)", "Auto-eFACE [V]")
    for key, task in (("gentle_eye_closure", "gentle_eye_closure"),
                      ("full_eye_closure", "tight_eye_closure")):
        closed = coupling.cell(quantity="movement_mm", side=side, task=task, region="eye")
        pf = rest("palpebral_fissure", side)
        if not np.isfinite(closed) or not pf > 0:
            missing.append(key)
            continue
        value = 100 * closed / pf
        items.append(ItemEstimate(key, float(np.clip(value, 0, 100)),
                                  f"100 * (PF rest - PF closed) / PF rest, affected ({task})",
                                  value, "%", round(_task_confidence(coupling, task), 3),
                                  "Auto-eFACE [V]"))
    dynamic("nasolabial_fold_depth_smile", "big_smile", "nasolabial",
            "100 * alar-base-to-corner shortening affected / healthy (big smile)",
            "proxy [U]", 0.5)
    a = coupling.auxiliary.get(side, {}).get("big_smile", {}).get("nasolabial_angle", np.nan)
    b = coupling.auxiliary.get(h, {}).get("big_smile", {}).get("nasolabial_angle", np.nan)
    ratio = _ratio(a, b, 1.0)
    if np.isfinite(ratio):
        items.append(ItemEstimate(
            "nasolabial_fold_orientation_smile", float(np.clip(100 * ratio, 0, 100)),
            "100 * fold-line angle change affected / healthy (big smile)", 100 * ratio, "%",
            round(0.5 * _task_confidence(coupling, "big_smile"), 3), "proxy [U]"))
    else:
        missing.append("nasolabial_fold_orientation_smile")
    dynamic("oral_commissure_smile", "big_smile", "mouth_corner",
            "100 * mouth-corner excursion affected / healthy (big smile)", "Auto-eFACE [V]")
    dynamic("lower_lip_eee", "eee", "lower_lip", "100 * lower-lip descent affected / healthy "
            '("EEE")', "Auto-eFACE [V]")

    ratios = []
    for task in ("big_smile", "pucker"):
        if task not in coupling.tasks:
            continue
        pf_a, pf_h = (rest("palpebral_fissure", s)
                      - coupling.cell(quantity="movement_mm", side=s, task=task, region="eye")
                      for s in (side, h))
        if np.isfinite(pf_a) and np.isfinite(pf_h) and pf_h > 0.5:
            ratios.append((max(pf_a, 0) / pf_h, task))
    if ratios:
        value, task = min(ratios)
        items.append(ItemEstimate(
            "ocular_synkinesis", float(np.clip(100 * value, 0, 100)),
            f"100 * min(PF affected / healthy during big smile, pucker): {task}", 100 * value,
            "%", round(_task_confidence(coupling, task), 3), "Auto-eFACE [V]"))
    else:
        missing.append("ocular_synkinesis")
    by_name = {f.pattern: f for f in findings}
    for key, pattern in (("midfacial_synkinesis", "oral_ocular"),
                         ("mentalis_synkinesis", "mentalis"),
                         ("platysmal_synkinesis", "platysmal")):
        finding = by_name.get(pattern)
        if finding is None or not np.isfinite(finding.index):
            missing.append(key)
            continue
        points = max(finding.index_by_side.get(side, finding.index), 0.0)
        if (finding.severity == "none" and finding.side == side and finding.evidence
                and finding.evidence[0].excess_mm < finding.noise_floor_mm):
            points = 0.0  # within the noise floor: no synkinesis (as task_synkinesis_points)
        if both_sides:  # the worse side, beyond what healthy faces reach
            shift = (options.decision_cuts(pattern, side_named=False)[0]
                     - options.decision_cuts(pattern)[0])
            values = [v for v in finding.index_by_side.values() if np.isfinite(v)]
            points = max([v - shift for v in values] + [0.0])
            quiet = finding.other_side is None or finding.other_side.severity == "none"
            if (finding.severity == "none" and quiet and finding.evidence
                    and abs(finding.evidence[0].excess_mm) < finding.noise_floor_mm):
                points = 0.0  # within the noise floor on both sides
        value = float(np.clip(100 - POINTS_TO_EFACE * points, 0, 100))
        confidence = finding.confidence * (0.3 if pattern == "platysmal" else 1.0)
        items.append(ItemEstimate(
            key, value, f"{pattern} index (Sunnybrook points), 100 - {POINTS_TO_EFACE:.1f} * "
            "points" + (", the worse side beyond what healthy faces reach (no side named)"
                        if both_sides else ""), points, "points", round(confidence, 3),
            "FLAGGED: proxy, the neck is not visible to face landmarks; confirm clinically"
            if pattern == "platysmal" else "project mapping [U]"))
    return items, missing


_SUNNYBROOK_TASKS = {"brow_lift": ("brow_raise", "brow"),
                     "eye_closure": ("gentle_eye_closure", "eye"),
                     "smile": ("big_smile", "mouth_corner"),
                     "snarl": ("snarl", "upper_lip"),
                     "pucker": ("pucker", "mouth_corner")}

#: mm per Sunnybrook synkinesis point for each watched region (the eye from CLINICAL.md [V],
#: the others [U], as in :data:`PATTERNS`).
_WATCH_ANCHORS = {"eye": 0.77, "mouth_corner": 1.5, "chin": 1.0, "nasolabial": 1.0,
                  "lower_lip": 1.0, "upper_lip": 1.0, "brow": 1.0}


def watched_excess_points(task: str, excess_mm: Mapping[str, float], *,
                          floor_mm: Mapping[str, float] | None = None
                          ) -> tuple[float, str, float]:
    """Largest excess of a task's watched regions (:attr:`synkinesis.protocol.Task.watched`),
    in Sunnybrook points (:data:`_WATCH_ANCHORS`; the eye in pucker: 1.0 mm per point [V]).

    Parameters
    ----------
    task : str
    excess_mm : mapping region -> float
        Excess of one side over the other in ``task``, mm (active direction).
    floor_mm : mapping region -> float, optional
        Only excesses at or above their region's floor count (a recording's noise floor;
        none for true movements).

    Returns
    -------
    points, region, excess_mm : float, str, float
        ``(0.0, "", 0.0)`` when no watched region has a positive excess above its floor.
    """
    from synkinesis.protocol import get_task

    best = (0.0, "", 0.0)
    for region in get_task(task).watched:
        if region not in _WATCH_ANCHORS or region not in excess_mm:
            continue
        excess = excess_mm[region]
        floor = floor_mm.get(region, 0.0) if floor_mm is not None else 0.0
        if not np.isfinite(excess) or excess < floor:
            continue
        anchor = 1.0 if (region == "eye" and task == "pucker") else _WATCH_ANCHORS[region]
        if excess / anchor > best[0]:
            best = (float(excess / anchor), region, float(excess))
    return best


def task_synkinesis_points(coupling: Coupling, task: str, side: Side
                           ) -> tuple[float, str, float]:
    """Largest watched-region excess of ``side`` in ``task``, in points, with its region and mm
    (only excesses above the region's noise floor count; :func:`watched_excess_points`)."""
    if task not in coupling.tasks:
        return float("nan"), "", float("nan")
    excess = {region: coupling.cell(quantity="excess_mm", side=side, task=task, region=region)
              for region in coupling.regions}
    floor = {region: coupling.noise_floor(region, task) for region in coupling.regions}
    return watched_excess_points(task, excess, floor_mm=floor)


#: The pattern whose normal asymmetry bounds a watched region's synkinesis grade when no side
#: is named (:meth:`FindingOptions.decision_cuts`); other regions keep the plain cuts.
_REGION_PATTERN = {"eye": "ocular_oral", "chin": "mentalis", "mouth_corner": "oral_ocular",
                   "nasolabial": "nasolabial"}


def _synkinesis_grade(coupling: Coupling, task: str, side: Side, options: FindingOptions,
                      both_sides: bool) -> tuple[int, float, str, float, Side]:
    """A Sunnybrook synkinesis grade of ``task`` (grade, points, watched region, mm, the side it
    is about). ``both_sides`` (no affected side named): each side's largest watched excess,
    graded with the classes starting at its pattern's normal asymmetry (as the findings of an
    unnamed face are), and the worse of the two, so that the grade does not depend on which
    side the evidence leans to."""
    sides = (side, other_side(side)) if both_sides else (side,)
    best: tuple[int, float, str, float, Side] | None = None
    for s in sides:
        points, watched, excess = task_synkinesis_points(coupling, task, s)
        if not np.isfinite(points):
            continue
        cuts = options.severity_cuts if not both_sides else options.decision_cuts(
            _REGION_PATTERN.get(watched, watched), side_named=False)
        grade = points_grade(points, cuts)
        if best is None or (grade, points) > best[:2]:
            best = (grade, points, watched, excess, s)
    return best if best is not None else (0, float("nan"), "", float("nan"), side)


def estimate_sunnybrook(coupling: Coupling, side: Side, *,
                        options: FindingOptions = FindingOptions(),
                        both_sides: bool = False
                        ) -> tuple[list[ItemEstimate], list[str]]:
    """The 13 Sunnybrook items, affected side ``side`` ([U] mappings, see docs/analysis.md).

    ``both_sides`` (no affected side named, ``side`` the one the evidence leans to): the
    synkinesis items are the worse of the two sides' grades, each from the classes starting at
    the normal asymmetry (:func:`_synkinesis_grade`); the other items compare ``side`` with
    the other."""
    items: list[ItemEstimate] = []
    missing: list[str] = []
    rest = resting_components(coupling, side, options=options)
    t = options.resting
    eye = rest["palpebral_fissure"]
    items.append(ItemEstimate(
        "rest_eye", "narrow" if eye <= -t.eye_mm else "wide" if eye >= t.eye_mm else "normal",
        "palpebral fissure affected - healthy at rest", eye, "mm", 0.7,
        f"one point at +/- {t.eye_mm} mm [U]"))
    fold = rest["nasolabial_length"]
    items.append(ItemEstimate(
        "rest_cheek", "more" if fold <= -t.fold_mm else "less" if fold >= t.fold_mm else "normal",
        "alar-base-to-corner line affected - healthy at rest (shorter = deeper fold)", fold,
        "mm", 0.3, f"proxy; one point at +/- {t.fold_mm} mm [U]; 'absent' is not detectable"))
    corner = rest["mouth_corner_y"]
    items.append(ItemEstimate(
        "rest_mouth", "pulled" if corner >= t.corner_mm else "drooped"
        if corner <= -t.corner_mm else "normal",
        "mouth-corner height affected - healthy at rest", corner, "mm", 0.6,
        f"one point at +/- {t.corner_mm} mm [U]"))
    for expression, (task, region) in _SUNNYBROOK_TASKS.items():
        ratio = _voluntary_ratio(coupling, task, region, side)
        if not np.isfinite(ratio):
            missing.append(f"voluntary_{expression}")
        else:
            what = ("eye closure fraction (narrowing / own rest fissure)" if region == "eye"
                    else f"{region} movement")
            items.append(ItemEstimate(
                f"voluntary_{expression}", _voluntary_grade(ratio),
                f"{what} affected / healthy ({task})", ratio, "ratio",
                round(_task_confidence(coupling, task), 3),
                f"grades 2..5 from ratio >= {', '.join(map(str, VOLUNTARY_CUTS))} [U]"))
        grade, points, watched, excess, about = _synkinesis_grade(coupling, task, side,
                                                                  options, both_sides)
        if not np.isfinite(points):
            missing.append(f"synkinesis_{expression}")
            continue
        items.append(ItemEstimate(
            f"synkinesis_{expression}", grade,
            f"largest watched-region excess ({watched or 'none above noise'}) in {task}"
            + (f", the worse side ({about}); no side named, classes from what healthy faces "
               "reach" if both_sides else ""),
            points, "points", round(_task_confidence(coupling, task), 3),
            f"{excess:.2f} mm" if watched else ""))
    return items, missing


def worst_supported_severity(findings: tuple[Finding, ...]) -> int:
    """The worst synkinesis class (0 none .. 3 severe) the findings support.

    A finding decided from its interval (:func:`synkinesis.uncertainty.decide_findings`) that
    reads "uncertain (a..b)" supports only ``a``, the least its interval admits: its interval
    does not exclude ``a``, so nothing more is established. A healthy face's "uncertain
    (none..moderate)" supports none; a point estimate past a cut but inside the normal
    asymmetry (the call reads at most mild) never raises the grade above what the call says.
    When no affected side is named, the other side's call (:attr:`Finding.other_side`) counts
    too: this part of the grade does not depend on which side the evidence leans to (the
    voluntary ratios of House-Brackmann still compare the side it leans to)."""
    worst = 0
    calls = [*findings, *(f.other_side for f in findings if f.other_side is not None)]
    for finding in calls:
        if finding.severity in SEVERITIES:
            worst = max(worst, SEVERITIES.index(finding.severity))
        elif (finding.severity == "uncertain" and finding.severity_range
              and finding.severity_range[0] in SEVERITIES):
            worst = max(worst, SEVERITIES.index(finding.severity_range[0]))
    return worst


def suggest_house_brackmann(coupling: Coupling, findings: tuple[Finding, ...], side: Side
                            ) -> tuple[ItemEstimate | None, str]:
    """A House-Brackmann grade suggestion from voluntary ratios, eye closure and synkinesis
    ([U] project mapping: HB is a global clinical judgement).

    The synkinesis part is the worst class the findings support
    (:func:`worst_supported_severity`); the analysis calls this again with the findings decided
    from their intervals, so the grade follows the calls the report shows."""
    ratios = []
    for task, region in (("brow_raise", "brow"), ("gentle_eye_closure", "eye"),
                         ("big_smile", "mouth_corner")):
        ratio = _voluntary_ratio(coupling, task, region, side)
        if np.isfinite(ratio):
            ratios.append(min(ratio, 1.0))
    if not ratios:
        return None, "needs at least one of brow raise, gentle eye closure, big smile"
    mean_ratio = float(np.mean(ratios))
    worst = worst_supported_severity(findings)
    closure = np.nan
    for task in ("tight_eye_closure", "gentle_eye_closure"):
        value = coupling.cell(quantity="movement_mm", side=side, task=task, region="eye")
        if np.isfinite(value):
            closure = value / coupling.rest("palpebral_fissure", side)
            break
    if mean_ratio >= 0.9 and worst <= 1:
        grade = 1 if worst == 0 else 2
    elif mean_ratio >= 0.7 and worst <= 1:
        grade = 2
    elif mean_ratio >= 0.5 and (not np.isfinite(closure) or closure >= 0.9):
        grade = 3
    elif mean_ratio >= 0.25:
        grade = 4
    elif mean_ratio >= 0.05:
        grade = 5
    else:
        grade = 6
    confidence = float(np.mean([_task_confidence(coupling, t) for t in
                                ("brow_raise", "gentle_eye_closure", "big_smile")]))
    return ItemEstimate("grade", grade, "mean voluntary ratio affected / healthy (brow, eye "
                        "closure, smile), eye closure, worst synkinesis severity", mean_ratio,
                        "ratio", round(0.5 * confidence, 3),
                        f"suggestion only [U]; worst synkinesis severity {SEVERITIES[worst]}, "
                        f"eye closure {closure:.0%}" if np.isfinite(closure) else
                        f"suggestion only [U]; worst synkinesis severity {SEVERITIES[worst]}"
                        ), ""


def _called(finding: Finding | SideCall) -> bool:
    """A finding that says there IS synkinesis: mild or above, or uncertain between classes
    that are all mild or above. "none" and an interval reaching down to none are not evidence
    of a side (a healthy face's own asymmetry reads so)."""
    if finding.severity in ("mild", "moderate", "severe"):
        return True
    return (finding.severity == "uncertain" and finding.severity_range is not None
            and finding.severity_range[0] in ("mild", "moderate", "severe"))


def house_brackmann_withheld(findings: tuple[Finding, ...], affected: AffectedSide, *,
                             options: FindingOptions = FindingOptions()) -> str:
    """Why no House-Brackmann grade may be suggested, or "" when one may.

    House-Brackmann grades the affected side. When no side could be named (``affected.side``
    None), each finding is called on both sides (:attr:`Finding.other_side`), and each one's own
    side is read from ``index_by_side``: the side where its index is larger, for a finding that
    is called (mild or above, or uncertain only between mild and above) or whose larger index is
    beyond what healthy faces show (the pattern's moderate decision cut,
    :meth:`FindingOptions.decision_cuts`); and the other side, where the other side's call is
    such a call. When these sides differ, a grade would depend on which side is taken as
    affected, and it is withheld. A face's own asymmetry (indices inside the healthy range,
    findings reading none or reaching down to none) names no side.

    Returns
    -------
    str
        The reason, for a note ("" when a grade may be suggested).
    """
    if affected.side is not None:
        return ""
    sides: dict[str, list[str]] = {}
    for finding in findings:
        if finding.severity in ("not measurable", "not assessable"):
            continue
        by_side = {s: v for s, v in finding.index_by_side.items() if np.isfinite(v)}
        # evidence of a side: the finding is called, or its index on either side is beyond
        # what a healthy face shows (the pattern's moderate decision cut)
        mild, beyond_normal = options.decision_cuts(finding.pattern)[:2]
        if by_side and (_called(finding) or max(by_side.values()) >= beyond_normal) and \
                max(by_side.values()) >= mild:
            stronger = max(by_side, key=lambda s: by_side[s])
            sides.setdefault(stronger, []).append(
                f"{finding.pattern.replace('_', '-')} {by_side[stronger]:.2f} points")
        other = finding.other_side
        if other is not None and _called(other):
            named = sides.setdefault(other.side, [])
            label = f"{finding.pattern.replace('_', '-')} {other.index:.2f} points"
            if label not in named:
                named.append(label)
    if len(sides) < 2:
        return ""
    where = "; ".join(f"{', '.join(patterns)} on the {side}"
                      for side, patterns in sorted(sides.items()))
    return ("no affected side could be named and the findings point to different sides ("
            f"{where}): a grade would depend on which side is taken as affected")


#: Items that compare the two sides AT REST: not assessable without a recorded rest.
RESTING_ITEMS: dict[str, tuple[str, ...]] = {
    "eface": ("brow_rest", "palpebral_fissure_rest", "nasolabial_fold_rest",
              "oral_commissure_rest"),
    "sunnybrook": ("rest_eye", "rest_cheek", "rest_mouth"),
}


def _without_rest(items: list[ItemEstimate], missing: list[str], instrument: str
                  ) -> tuple[list[ItemEstimate], list[str]]:
    resting = RESTING_ITEMS[instrument]
    return ([i for i in items if i.key not in resting],
            missing + [i.key for i in items if i.key in resting])


def estimate_scales(coupling: Coupling, findings: tuple[Finding, ...], affected: AffectedSide,
                    *, options: FindingOptions = FindingOptions(),
                    rest_recorded: bool = True) -> tuple[ScaleEstimate, ...]:
    """eFACE, Sunnybrook and a House-Brackmann suggestion for the affected side (or, when no
    side could be named, the side the evidence leans to; said in the notes), not yet scored
    (:func:`synkinesis.analysis.score_estimates` scores them).

    ``rest_recorded=False`` (the recording has no rest segment, its rest is only the quietest
    span): the resting-symmetry items (:data:`RESTING_ITEMS`) are not assessable and left
    missing, with a note, rather than estimated from a face that may not have been at rest."""
    side = affected.side or affected.leaning
    notes: tuple[str, ...] = ()
    if affected.side is None:
        notes = (f"no affected side could be named; items compare the {side} side (the side "
                 "the evidence leans to) with the other",)
    if coupling.not_assessable:
        notes = notes + ("not assessable, left out of every item (House-Brackmann included): "
                         + "; ".join(f"{task.replace('_', ' ')} {why}"
                                     for task, why in coupling.not_assessable.items()),)
    eface_items, eface_missing = estimate_eface(coupling, findings, side, options=options,
                                                both_sides=affected.side is None)
    sb_items, sb_missing = estimate_sunnybrook(coupling, side, options=options,
                                               both_sides=affected.side is None)
    if not rest_recorded:
        eface_items, eface_missing = _without_rest(eface_items, eface_missing, "eface")
        sb_items, sb_missing = _without_rest(sb_items, sb_missing, "sunnybrook")
        notes = notes + ("resting items not assessable: the recording has no rest segment "
                         "(record a few seconds of a still, relaxed face)",)
    out = [ScaleEstimate("eface", tuple(eface_items), tuple(eface_missing), notes=notes),
           ScaleEstimate("sunnybrook", tuple(sb_items), tuple(sb_missing), notes=notes)]
    hb, why = suggest_house_brackmann(coupling, findings, side)
    if hb is not None:
        out.append(ScaleEstimate("house_brackmann", (hb,), (), notes=notes + (
            "a suggestion from measurements; House-Brackmann is a global clinical judgement",)))
    return tuple(out)
