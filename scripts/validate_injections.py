#!/usr/bin/env python3
"""Known synkinesis warped into the shared healthy videos, run through the real pipeline and
graded against the injected amount (issue 19, "pixel-level injections").

Each case warps one side of a healthy face (``synkinesis.dev.inject``), measures the frames with
the default method (``synk measure``'s pipeline on the decoded frames) and analyses them as
``synk analyze`` does (``synkinesis.api.analyze``, unguided, affected side inferred). The truth
is the injected amount graded with CLINICAL.md's anchors directly, in this file (not through
``synkinesis.findings``):

=====================  ==========================================  =========================
pattern                injection                                   mm per Sunnybrook point
=====================  ==========================================  =========================
ocular-oral            one palpebral fissure narrowed with the     0.77 (smile) [V, CLINICAL]
                       smile (trigger: the smile blendshapes,
                       switched off at rest)
mentalis               one chin pad lifted with the smile          1.0 [U, project default]
resting tightness      one fissure narrowed in every frame         1.0 [U, project default]
oral-ocular            one mouth corner moved up and out in the    1.5 [U, project default]
                       eye-closure photo of a photo set
=====================  ==========================================  =========================

Amplitudes: 1, 2 and 3 points (mild, moderate, severe when rounded to the nearest point; the
oral-ocular corner at most 2.6 points, 3.9 mm, the injection tool's rigid plateau being 4 mm),
each side. Video patterns in both videos; oral-ocular in the photo set made from
WolfgangLanger_Pexels.mp4 (neither video has a plain eye closure: the woman cries with her eyes
shut, the man never closes them; the set's eye-closure photo is her frame 448, eyes shut in a
symmetric smile; rest frame 244, open smile frame 389).

Usage:
    nice -n 10 python scripts/validate_injections.py [--cache /tmp/c_cache] [--json out.json]
        [--video single_face.mp4 ...] [--pattern ocular_oral ...] [--no-photos]
        [--held-level minimum|mean|driver]
    python scripts/validate_injections.py --tables out.json [out2.json ...]

Measured results are cached as ``.synk`` files in ``--cache`` (the injection is deterministic):
a second run only re-analyses.

Why a case was missed or falsely called
---------------------------------------
Every missed case (injected, so truly at least mild, and not found) gets one reason, from
measured quantities only, by the first rule that applies (:func:`why_missed`). Notation: P the
injected points, a the pattern's mm per point (above), D the warp's delivered change in points
(the median applied mm over the frames whose trigger is at least 0.5, over a; a photo: its
applied mm over a), s the share seen (the measured change of the pattern's signal on the
injected side over the applied change, ``seen``), O the original's reading on the injected
side analysed the same way (its signed index there: the pattern indices are already signed;
resting tightness sums each side's positive parts, so its O is that side's index minus the
other's), c the analysis' mild cut of the pattern (``FindingOptions.decision_cuts``: 0.5
points, resting tightness 1 point, the healthy norm; where the analysis named no side, the
pattern's normal asymmetry: ocular-oral 1.3, mentalis 0.7), E = O + s D the index the injection
should read.

1. "not assessable": the analysis could not grade the pattern (not assessable / not
   measurable), with the analysis' own reason (e.g. no rest segment).
2. If s D < c, the injection as measured is below the mild cut whatever the face reads:
   "at the mild cut" when the injection as asked is not above it (P <= c: the truth rounds P
   to mild, the analysis starts mild at c, so any loss puts it below); else the larger loss
   names it: "warp not delivered" (P - D: the warp applied less than asked) or "not seen"
   (D (1 - s): the measurement does not report the applied change).
3. "own asymmetry": E < c although s D is not: the face reads the other way on its own (O).
4. "other side": the analysis names the other side as affected, so it grades that side only
   (a face with no side named is called on both sides, and the injected side's call is
   graded).
5. "reads low": the index on the injected side is below c although E is not.
6. Called none with the index at least c. Analysed without intervals (the point call):
   "noise floor" when the index in mm (index x a) is under the recording's noise floor of the
   pattern. Decided from the index's interval (the default): none means the interval's top is
   below c, so the index lies outside its own interval: "outside its interval" (the interval,
   not the index, decides; the noise floor no longer does). Otherwise "called none".
7. "below resolution": an uncertain call reaching down to none while the applied change
   (D a mm) is smaller than the region's smallest resolvable change (the measurement's
   manifest, ``resolution``; eye for ocular-oral and resting tightness, chin for mentalis,
   mouth corner for oral-ocular).
8. "uncertain": the rest of the uncertain calls reaching down to none (the change is
   resolvable: the interval is wide for another reason, e.g. rest noise or repetitions that
   disagree).

A false call (the pattern called on a side that was not injected, in an original or a case)
gets one reason (:func:`why_false`): "healthy original" when it is an untouched original (a
healthy face called: a specificity failure, counted apart from the injected cases' false
calls); in a case, "own asymmetry" when the original, analysed the same way, reads at least c
on that side (its index there: a left-right difference for the patterns, that side's own sum
for resting tightness, which is called on each side's sum) or is called there; else "leak"
when the warp's change seen on the other side (``leak``) times D is at least c; else
"unexplained". None of these rules is fitted to the cases: the cuts are the mild cut, the
sizes are what the measurement reports.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ("single_face.mp4", "WolfgangLanger_Pexels.mp4")

# ---------------------------------------------------------------------------------------------
# the truth: CLINICAL.md's anchors, applied here (NOT through synkinesis.findings)

#: mm of one-sided change per Sunnybrook synkinesis point. Ocular-oral: "one Sunnybrook
#: synkinesis point ~ 0.77 mm of palpebral-fissure difference between sides during smile"
#: (CLINICAL.md [V, 29 patients]). The others have no published mm anchor: the project's
#: defaults [U] (docs/analysis.md), stated again here.
MM_PER_POINT = {"ocular_oral": 0.77, "mentalis": 1.0, "resting_tightness": 1.0,
                "oral_ocular": 1.5}
#: Rounding to the nearest Sunnybrook point (0 none, 1 mild, 2 moderate, 3 severe).
TRUTH_CUTS = (0.5, 1.5, 2.5)
CLASSES = ("none", "mild", "moderate", "severe")
#: Injected amplitudes, Sunnybrook points (mild, moderate, severe).
POINTS = {"ocular_oral": (1.0, 2.0, 3.0), "mentalis": (1.0, 2.0, 3.0),
          "resting_tightness": (1.0, 2.0, 3.0), "oral_ocular": (1.0, 2.0, 2.6)}
VIDEO_PATTERNS = ("ocular_oral", "mentalis", "resting_tightness")
#: eFACE synkinesis items: 100 = none; the project maps points to it as 100 - 100/3 * points
#: [U] (no published mapping); ocular synkinesis is Auto-eFACE's 100 * PF affected / healthy
#: during the smile [V].
EFACE_PER_POINT = 100.0 / 3.0
#: Sunnybrook expression whose synkinesis item each pattern's trigger task grades.
SUNNYBROOK_ITEM = {"ocular_oral": "synkinesis_smile", "mentalis": "synkinesis_smile",
                   "oral_ocular": "synkinesis_eye_closure"}
EFACE_ITEM = {"ocular_oral": "ocular_synkinesis", "mentalis": "mentalis_synkinesis",
              "oral_ocular": "midfacial_synkinesis"}
SUNNYBROOK_SYNKINESIS = ("synkinesis_brow_lift", "synkinesis_eye_closure", "synkinesis_smile",
                         "synkinesis_snarl", "synkinesis_pucker")
EFACE_SYNKINESIS = ("ocular_synkinesis", "midfacial_synkinesis", "mentalis_synkinesis")
PHOTO_FRAMES = {"rest": 244, "smile_open": 389, "eye_closure_gentle": 448}
TARGETS = {"sensitivity": 0.90, "specificity": 0.95, "side": 0.95, "within_one": 0.90,
           "spearman": 0.90, "eface_points": 10.0, "sunnybrook_points": 1}


def truth_class(points: float) -> int:
    """0..3 (none..severe) by rounding to the nearest point."""
    return int(np.searchsorted(TRUTH_CUTS, points, side="right"))


def truth_items(pattern: str | None, points: float, fissure_mm: float) -> dict[str, float]:
    """The true Sunnybrook and eFACE synkinesis items of a case (an original: pattern None).

    ``fissure_mm``: the face's palpebral fissure during the smile (mean of both eyes, original
    video), for Auto-eFACE's ocular item 100 * (PF - narrowing) / PF.
    """
    items: dict[str, float] = {key: 0 for key in SUNNYBROOK_SYNKINESIS}
    items.update({key: 100.0 for key in EFACE_SYNKINESIS})
    if pattern in SUNNYBROOK_ITEM:
        items[SUNNYBROOK_ITEM[pattern]] = truth_class(points)
        if pattern == "ocular_oral":
            narrowing = points * MM_PER_POINT[pattern]
            items["ocular_synkinesis"] = float(np.clip(100 * (fissure_mm - narrowing)
                                                       / fissure_mm, 0, 100))
        else:
            items[EFACE_ITEM[pattern]] = float(np.clip(100 - EFACE_PER_POINT * points, 0, 100))
    return items


# ---------------------------------------------------------------------------------------------
# what the pipeline called


def called(finding: dict) -> bool:
    """Found: a severity of mild or above, or "uncertain" whose interval's low end is at least
    mild (an "uncertain (none..X)" is not found; docs/validation.md)."""
    severity = finding.get("severity")
    if severity in ("mild", "moderate", "severe"):
        return True
    low = (finding.get("severity_range") or [None])[0]
    return severity == "uncertain" and low in ("mild", "moderate", "severe")


def on_side(finding: dict, side: str) -> dict:
    """A finding (``read_calls``) as called about ``side``: itself when it is about that side;
    when no affected side was named and ``side`` is the other one, that side's call
    (``other_side``); else unchanged (the analysis names the other side as affected and calls
    that side only)."""
    other = finding.get("other_side") or {}
    if finding.get("side") == side or other.get("side") != side:
        return finding
    low, high = other.get("low"), other.get("high")
    return {**finding, "side": side, "severity": other.get("severity"),
            "severity_range": other.get("severity_range"),
            "interval": None if low is None or high is None else [float(low), float(high)],
            "called": called(other)}


def _interval(interval: dict | None) -> list[float] | None:
    """An analysis finding's ``interval`` as [low, high] (None when none was estimated)."""
    if not interval:
        return None
    return [float("nan") if interval.get(k) is None else float(interval[k])
            for k in ("low", "high")]


def read_calls(content: dict) -> dict:
    """Per pattern: side, severity, range, index per side; the scale items."""
    affected = content.get("affected_side") or {}
    out: dict = {"patterns": {}, "items": {}, "affected": affected}
    for finding in [*content.get("findings", []), content.get("resting", {})]:
        if not finding:
            continue
        out["patterns"][finding["pattern"]] = {
            "side": finding.get("side"), "severity": finding.get("severity"),
            "severity_range": finding.get("severity_range"),
            "index_by_side": finding.get("index_by_side", {}),
            "noise_floor_mm": finding.get("noise_floor_mm"),
            # the index's interval on the named side ([low, high]; None: not estimated)
            "interval": _interval(finding.get("interval")),
            "note": finding.get("note", ""),
            "called": called(finding),
            # no affected side named: the call about the other side (``Finding.other_side``)
            "other_side": finding.get("other_side"),
            # a file without the affected side (older): the named side's cut, as before
            "side_named": affected.get("side") is not None if affected else True}
    for scale in content.get("scales", []):
        if scale.get("instrument") not in ("sunnybrook", "eface"):
            continue
        for item in scale.get("items", []):
            if item["key"] in SUNNYBROOK_SYNKINESIS or item["key"] in EFACE_SYNKINESIS:
                out["items"][item["key"]] = item["value"]
    out["house_brackmann"] = next(
        (s["items"][0]["value"] for s in content.get("scales", [])
         if s.get("instrument") == "house_brackmann" and s.get("items")), None)
    return out


# ---------------------------------------------------------------------------------------------
# running the cases


def media_dir() -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    from fetch_media import fetch

    return fetch(quiet=True)


#: Measure with the chin-pad texture refinement (``--chin-texture``).
CHIN_TEXTURE = False


def _measure_cached(frames, output: Path, *, method: str | None = None):
    """The default method's measurement of in-memory frames, or the cached file."""
    from synkinesis.measure import MeasureOptions, measure_frames, read_measurement

    if output.exists():
        return read_measurement(output, landmarks=method == "fast")
    options = (MeasureOptions(chin_texture=CHIN_TEXTURE) if method is None
               else MeasureOptions(method=method))
    measured = measure_frames(frames, output, source={"description": output.stem},
                              options=options)
    return read_measurement(measured.path, landmarks=method == "fast")


def _analyse(measurement, spans: list[dict] | None = None, affected: str | None = None
             ) -> dict:
    """``synk analyze``'s analysis (unguided, or with the task spans given; the affected side
    inferred, or given) read as calls."""
    return read_calls(_content(measurement, spans, affected))


#: How the analysis reads a cell's held level (``--held-level``; None: the default).
HELD_LEVEL: str | None = None


def _content(measurement, spans: list[dict] | None = None, affected: str | None = None
             ) -> dict:
    if HELD_LEVEL is None:
        from synkinesis.api import analyze

        return dict(analyze(measurement, protocol=spans, affected_side=affected).content)
    # As synkinesis.api.analyze does for a Measurement, with the held level given.
    from synkinesis.analysis import AnalysisOptions
    from synkinesis.coupling import CouplingOptions
    from synkinesis.workflow import WorkflowOptions, analyse_measurement, read_spans

    workflow = WorkflowOptions(
        analysis=AnalysisOptions(affected_side=affected,  # type: ignore[arg-type]
                                 coupling=CouplingOptions(
                                     held_level=HELD_LEVEL)),  # type: ignore[arg-type]
        spans=None if spans is None else tuple(spans), spans_source="python")
    source = measurement.path
    found, how = read_spans(None if source is None else Path(source), workflow)
    _, content = analyse_measurement(measurement, options=workflow, spans=found,
                                     spans_source=how)
    return dict(content)


def declared_spans(content: dict) -> list[dict]:
    """The original's unguided segments given as task spans, its quietest span declared as
    rest (as ``scripts/photoset_agreement.py`` does): what a guided recording with a rest task
    would give. Neither shared video records a rest, and without one resting tightness is not
    assessable."""
    sys.path.insert(0, str(ROOT / "tests" / "photoset"))
    from extracts import video_spans

    return video_spans(content)


def _inject(pattern: str, recording, reference, side: str, amount_mm: float,
            rest_s: tuple[float, float] | None = None):
    """One case's frames. The smile-driven patterns use the smile trigger switched off at rest:
    in the frames the measure step takes as rest (``dev.validate.off_at_rest``) and in the
    analysis' rest span ``rest_s`` (its quietest span), each with a 0.25 s ramp. Synkinesis
    comes with the movement; a change injected into the baseline is subtracted from every
    movement (WolfgangLanger smiles a little in her quietest span: smile trigger 0.57 there)."""
    from synkinesis.dev.inject import inject_chin, inject_eye, smile_trigger
    from synkinesis.dev.validate import REST_RAMP_S, off_at_rest

    landmarks = reference.load_landmarks()
    scale = reference.manifest.scale.mm_per_unit
    if pattern == "resting_tightness":
        trigger = np.ones(len(recording))
    else:
        trigger = smile_trigger(reference.blendshapes, reference.manifest.blendshape_names)
        trigger = trigger * off_at_rest(reference)
        if rest_s is not None:
            time_s = np.asarray(reference.frames["time_s"], dtype=float)
            outside = np.maximum(rest_s[0] - time_s, time_s - rest_s[1])
            trigger = trigger * np.sin(0.5 * np.pi * np.clip(outside / REST_RAMP_S, 0, 1)) ** 2
    inject = inject_chin if pattern == "mentalis" else inject_eye
    return inject([f.rgb for f in recording], landmarks, reference.pose, scale, side=side,
                  amount_mm=amount_mm, trigger=trigger)


def _coverage(case) -> dict:
    """How much of the asked change the warp applied where the trigger is high."""
    high = case.trigger >= 0.5
    asked = case.amount_mm * case.trigger
    applied = np.asarray(case.applied_mm)
    full = applied >= 0.999 * asked - 1e-9
    return {"trigger_frames": int(high.sum()),
            "applied_share": float(np.mean(full[high])) if high.any() else float("nan"),
            "applied_median_mm": float(np.median(applied[high])) if high.any() else 0.0,
            # per frame, for the share of the change the measurement sees (``seen``)
            "trigger": [float(v) for v in case.trigger],
            "applied_mm": [float(v) for v in applied],
            "mm_per_px": [float(v) for v in case.mm_per_px]}


#: The signal each video pattern changes, and its sign (+1: the injection raises it).
SEEN_SIGNAL = {"ocular_oral": ("palpebral_fissure", -1.0), "resting_tightness":
               ("palpebral_fissure", -1.0), "mentalis": ("chin_height", +1.0)}


def seen(pattern: str, side: str, amount_mm: float, coverage: dict, original,
         injected) -> dict:
    """The share of the applied change the default measurement reports: median over the
    frames where the trigger is at least 0.5 and the change was applied in full (both
    measurements usable, eyes open) of the measured change of the pattern's signal on the
    injected side over the applied change, both in the measurement's own mm
    (``dev.validate.applied_in_method_mm``); ``leak`` the same on the other side."""
    from types import SimpleNamespace

    from synkinesis.dev.validate import applied_in_method_mm
    from synkinesis.quality import UNUSABLE, FrameFlag

    trigger = np.asarray(coverage["trigger"])
    applied_px = np.asarray(coverage["applied_mm"])
    applied = applied_in_method_mm(SimpleNamespace(applied_mm=applied_px,
                                                   mm_per_px=np.asarray(coverage["mm_per_px"])),
                                   original)
    flags = original.frames["flags"] | injected.frames["flags"]
    closed = FrameFlag.EYE_CLOSED_LEFT | FrameFlag.EYE_CLOSED_RIGHT
    asked = amount_mm * trigger
    frames = ((trigger >= 0.5) & ((flags & UNUSABLE) == 0) & ((flags & closed) == 0)
              & (applied_px > 0) & (applied_px >= 0.999 * asked) & np.isfinite(applied))
    if not frames.any():
        return {"seen": float("nan"), "leak": float("nan"), "frames": 0}
    name, sign = SEEN_SIGNAL[pattern]
    other = "left" if side == "right" else "right"

    def change(s: str) -> np.ndarray:
        column = f"{name}_{s}_mm"
        return sign * (injected.frames[column] - original.frames[column])[frames] \
            / applied[frames]

    return {"seen": float(np.nanmedian(change(side))),
            "leak": float(np.nanmedian(change(other))), "frames": int(frames.sum())}


def run_video(path: Path, cache: Path, patterns: tuple[str, ...]) -> dict:
    from synkinesis.dev.validate import with_images
    from synkinesis.landmarks.sources import iter_video, probe_video

    info = probe_video(path)
    frames = list(iter_video(path, fps=info.fps))
    stem = path.stem
    reference = _measure_cached(frames, cache / f"{stem}-reference-fast.synk", method="fast")
    original = _measure_cached(frames, cache / f"{stem}-original.synk")
    from synkinesis.dev.inject import smile_trigger

    smile = smile_trigger(reference.blendshapes, reference.manifest.blendshape_names) >= 0.5
    fissure = float(np.nanmedian(0.5 * (original.frames["palpebral_fissure_left_mm"]
                                        + original.frames["palpebral_fissure_right_mm"])[smile]))
    content = _content(original)
    spans = declared_spans(content)
    rest_s = next(((span["start_s"], span["end_s"]) for span in spans if span["task"] == "rest"),
                  None)
    result = {"source": path.name, "frames": len(frames), "fissure_smile_mm": fissure,
              "resolution": _resolution(original), "original": read_calls(content),
              "original_rest": _analyse(original, spans),
              "original_side": {side: _analyse(original, spans, side)
                                for side in ("left", "right")},
              "spans": spans, "cases": []}
    print(f"{path.name}: original analysed", file=sys.stderr)
    for pattern in patterns:
        for points in POINTS[pattern]:
            for side in ("left", "right"):
                amount = points * MM_PER_POINT[pattern]
                # "-offrest": the smile trigger is off at rest (older caches had it on)
                label = (f"{stem}-{pattern}-{side}-{points:g}"
                         + ("" if pattern == "resting_tightness" else "-offrest"))
                output = cache / f"{label}.synk"
                info_path = cache / f"{label}.case.json"
                coverage = (json.loads(info_path.read_text()) if info_path.exists()
                            else {})
                if output.exists() and "applied_mm" in coverage:
                    from synkinesis.measure import read_measurement

                    measurement = read_measurement(output)
                else:
                    case = _inject(pattern, frames, reference, side, amount, rest_s)
                    coverage = _coverage(case)
                    measurement = _measure_cached(with_images(frames, case.frames), output)
                    info_path.write_text(json.dumps(coverage))
                coverage = {**coverage, **seen(pattern, side, amount, coverage, original,
                                               measurement)}
                calls = _analyse(measurement)
                calls_rest = _analyse(measurement, spans)
                calls_side = _analyse(measurement, spans, side)
                coverage = {k: v for k, v in coverage.items()
                            if k not in ("trigger", "applied_mm", "mm_per_px")}
                result["cases"].append({"pattern": pattern, "side": side, "points": points,
                                        "amount_mm": amount, "coverage": coverage,
                                        "calls": calls, "calls_rest": calls_rest,
                                        "calls_side": calls_side})
                for mode, found in (("unguided", calls), ("rest declared", calls_rest)):
                    finding = found["patterns"].get(pattern, {})
                    print(f"  {label} {mode}: {finding.get('severity')} "
                          f"{finding.get('severity_range')} side {finding.get('side')} index "
                          f"{finding.get('index_by_side')}", file=sys.stderr)
    return result


def _resolution(measurement) -> dict:
    """Pixels per mm, and per watched region the rest noise and the smallest resolvable
    change (the measurement's manifest, ``resolution``), mm."""
    section = measurement.manifest.resolution
    if section is None:
        return {}
    out: dict = {"px_per_mm": section.px_per_mm}
    for region in ("eye", "mouth_corner", "chin"):
        entry = section.regions.get(region)
        if entry is not None:
            out[region] = {"noise_mm": entry.noise_mm, "resolvable_mm": entry.resolvable_mm}
    return out


def run_photos(video: Path, cache: Path) -> dict:
    """Oral-ocular in a photo set extracted from the woman's video: the eye-closure photo with
    one mouth corner moved up and out."""
    import cv2

    from synkinesis.dev.inject import inject_mouth
    from synkinesis.landmarks.sources import read_image
    from synkinesis.measure import MeasureOptions, measure_images, read_measurement
    from synkinesis.photoset import assess_photo_set, find_photo_sets

    root = cache / "photos"
    plain = root / "original"
    if not (plain / "rest.png").exists():
        sys.path.insert(0, str(ROOT / "tests" / "photoset"))
        from extracts import extract_frames

        extract_frames(video, PHOTO_FRAMES, plain)
    closure = plain / "eye_closure_gentle.png"
    placing = root / "closure-fast.synk"
    if not placing.exists():
        measure_images([closure], placing, options=MeasureOptions(method="fast"))
    reference = read_measurement(placing, landmarks=True)
    rgb, _ = read_image(closure)

    def assess(folder: Path) -> dict:
        out = folder.parent / (folder.name + "-out")
        content_path = out / "photos.analysis.json"
        if not content_path.exists():
            (photo_set,) = find_photo_sets(folder)
            assess_photo_set(photo_set, out, overwrite=True)
        content = json.loads(content_path.read_text())
        content = content.get("analysis", content)
        calls = read_calls(content)
        coupling = content.get("coupling", {})
        try:
            task = coupling["tasks"].index("gentle_eye_closure")
            region = coupling["regions"].index("mouth_corner")
            calls["excess_mm"] = {side: _num(coupling["excess_mm"][side][task][region])
                                  for side in ("left", "right")}
        except (KeyError, ValueError, IndexError, TypeError):
            calls["excess_mm"] = {}
        return calls

    original = assess(plain)
    resolution = _resolution(read_measurement(root / "original-out" / "photos.synk"))
    result = {"source": f"{video.stem} photo set", "photo_frames": PHOTO_FRAMES,
              "original": original, "resolution": resolution, "cases": [],
              "fissure_smile_mm": float("nan")}
    print("photo set: original analysed", file=sys.stderr)
    for points in POINTS["oral_ocular"]:
        for side in ("left", "right"):
            amount = points * MM_PER_POINT["oral_ocular"]
            folder = root / f"oral_ocular-{side}-{points:g}"
            if not (folder / "rest.png").exists():
                folder.mkdir(parents=True, exist_ok=True)
                for photo in plain.glob("*.png"):
                    (folder / photo.name).write_bytes(photo.read_bytes())
                case = inject_mouth([rgb], reference.load_landmarks(), reference.pose,
                                    reference.manifest.scale.mm_per_unit, side=side,
                                    amount_mm=amount, trigger=np.ones(1))
                cv2.imwrite(str(folder / closure.name),
                            cv2.cvtColor(case.frames[0], cv2.COLOR_RGB2BGR))
                (folder / "case.json").write_text(json.dumps(
                    {"applied_mm": float(case.applied_mm[0])}))
            coverage = json.loads((folder / "case.json").read_text())
            calls = assess(folder)
            # seen: the change of the eye-closure excess on the injected side over the applied
            # movement (the original photo's own excess taken off)
            before = result["original"]["excess_mm"].get(side, float("nan"))
            after = calls["excess_mm"].get(side, float("nan"))
            coverage["seen"] = (after - before) / coverage["applied_mm"]
            result["cases"].append({"pattern": "oral_ocular", "side": side, "points": points,
                                    "amount_mm": amount, "coverage": coverage, "calls": calls})
            finding = calls["patterns"].get("oral_ocular", {})
            print(f"  oral_ocular {side} {points:g}: {finding.get('severity')} "
                  f"{finding.get('severity_range')} side {finding.get('side')} index "
                  f"{finding.get('index_by_side')}", file=sys.stderr)
    return result


# ---------------------------------------------------------------------------------------------
# grading


def _spearman(x: list[float], y: list[float]) -> float:
    from scipy.stats import spearmanr

    pairs = [(a, b) for a, b in zip(x, y) if np.isfinite(a) and np.isfinite(b)]
    if len(pairs) < 3 or len({a for a, _ in pairs}) < 2:
        return float("nan")
    return float(spearmanr(*zip(*pairs)).statistic)


def _num(value) -> float:
    """A number from the analysis JSON (None there is NaN)."""
    return float("nan") if value is None else float(value)


def _class_of(index: float) -> int:
    return truth_class(index) if np.isfinite(index) else 0


def _original(result: dict, rest: bool) -> dict:
    return result.get("original_rest", result["original"]) if rest else result["original"]


def _calls(case: dict, rest: bool) -> dict:
    return case.get("calls_rest", case["calls"]) if rest else case["calls"]


#: The region whose resolution bounds each pattern (the measurement manifest's ``resolution``).
RESOLUTION_REGION = {"ocular_oral": "eye", "resting_tightness": "eye", "mentalis": "chin",
                     "oral_ocular": "mouth_corner"}


def mild_cut(pattern: str, side_named: bool = True) -> float:
    """Where the analysis' decision starts mild for ``pattern``, points
    (:meth:`synkinesis.findings.FindingOptions.decision_cuts`: with no side named, from the
    normal asymmetry; the why rules explain the analysis' decision, so they use its cut; the
    truth keeps its own, :data:`TRUTH_CUTS`)."""
    from synkinesis.findings import FindingOptions

    return float(FindingOptions().decision_cuts(pattern, side_named=side_named)[0])


#: Why a case was missed (module docstring), in the order the rules apply.
MISS_REASONS = ("not assessable", "at the mild cut", "warp not delivered", "not seen",
                "own asymmetry", "other side", "reads low", "noise floor",
                "outside its interval", "called none", "below resolution", "uncertain")
#: Why a false call was made; "healthy original": an untouched face called (a specificity
#: failure of its own, counted apart from the injected cases' false calls).
FALSE_REASONS = ("healthy original", "own asymmetry", "leak", "unexplained")


def signed_reading(pattern: str, index_by_side: dict, side: str) -> float:
    """A finding's reading on ``side`` as an excess over the other side, points: the pattern
    indices are signed already; resting tightness sums each side's positive parts, so its
    excess is that side's index minus the other's."""
    other = "left" if side == "right" else "right"
    value = _num(index_by_side.get(side))
    if pattern == "resting_tightness":
        return value - _num(index_by_side.get(other))
    return value


def delivered_mm(coverage: dict) -> float:
    """The warp's delivered change, mm: the median applied over the frames whose trigger is
    at least 0.5 (a photo: its applied change)."""
    if "applied_median_mm" in coverage:
        return _num(coverage["applied_median_mm"])
    return _num(coverage.get("applied_mm"))


def why_missed(case: dict, finding: dict, original: dict, resolution: dict
               ) -> tuple[str, str]:
    """Why an injected case was not found (the module docstring's rules, in order).

    Parameters
    ----------
    case : dict
        The case (pattern, side, points, amount_mm, coverage).
    finding, original : dict
        The case's and the original's finding of the pattern (``read_calls``), analysed the
        same way.
    resolution : dict
        The recording's resolution (:func:`_resolution`).

    Returns
    -------
    reason : str
        One of :data:`MISS_REASONS`.
    text : str
        The reason with its figures.
    """
    pattern, side, points = case["pattern"], case["side"], float(case["points"])
    anchor, cut = MM_PER_POINT[pattern], mild_cut(pattern, finding.get("side_named", True))
    severity = finding.get("severity")
    if severity in ("not assessable", "not measurable"):
        note = (finding.get("note") or "").split(" (")[0].split(";")[0]
        return "not assessable", note or str(severity)
    coverage = case.get("coverage", {})
    delivered = delivered_mm(coverage) / anchor
    share = _num(coverage.get("seen"))
    own = signed_reading(pattern, original.get("index_by_side", {}), side)
    if not np.isfinite(own):
        own = 0.0
    expected = own + share * delivered
    measured = share * delivered
    if np.isfinite(measured) and measured < cut:
        if points <= cut:
            return "at the mild cut", (
                f"at the mild cut: the injection ({points:g} points) is not above the "
                f"analysis' mild cut {cut:g}; {measured:.2f} measured (share seen {share:.2f}, "
                f"{delivered * anchor:.2f} of {points * anchor:.2f} mm applied)")
        if points - delivered > delivered * (1.0 - share):
            return "warp not delivered", (
                f"warp not delivered: {delivered * anchor:.2f} of {points * anchor:.2f} mm "
                f"applied, {measured:.2f} points measured of it (share seen {share:.2f})")
        return "not seen", (f"not seen by the measurement (share seen {share:.2f}: "
                            f"{measured:.2f} of the {delivered:.2f} points applied)")
    if np.isfinite(expected) and expected < cut:
        return "own asymmetry", (
            f"the face's own asymmetry (the original reads {own:+.2f} points on that side; "
            f"expected index {expected:.2f} = {own:+.2f} + {measured:.2f} measured)")
    other = "left" if side == "right" else "right"
    if finding.get("side") == other:
        return "other side", (f"reported for the other side (the analysis names or leans to "
                              f"the {other}; expected index {expected:.2f} on the {side})")
    index = _num(finding.get("index_by_side", {}).get(side))
    if not index >= cut:
        return "reads low", (f"reads low: index {index:.2f} although {expected:.2f} = "
                             f"{own:+.2f} + {share:.2f} x {delivered:.2f} expected")
    span = "..".join(finding.get("severity_range") or [])
    if severity != "uncertain":  # called none (nothing else not found gets here)
        if not finding.get("severity_range"):  # analysed without intervals: the point call
            floor = _num(finding.get("noise_floor_mm"))
            if np.isfinite(floor) and index * anchor < floor:
                return "noise floor", (
                    f"below the noise floor: index {index:.2f} ({index * anchor:.2f} mm) "
                    f"under the recording's floor {floor:.2f} mm")
            return "called none", f"called {severity} (no interval), index {index:.2f}"
        low, high = (_num(v) for v in (finding.get("interval") or (None, None)))
        bounds = f"{low:.2f}..{high:.2f}" if np.isfinite(low) and np.isfinite(high) else ""
        # decided from the interval: none when its top is below the cut, so an index at least
        # the cut (rule 5 took the rest) lies outside it (an interval not saved: deduced)
        if not low <= index <= high:
            return "outside its interval", (
                f"called {severity}: the index {index:.2f} lies outside its interval"
                + (f" {bounds}" if bounds else " (its top below the mild cut)")
                + f"; the interval decides (mild cut {cut:g})")
        return "called none", (f"called {severity} (interval {bounds} below the cut {cut:g}), "
                               f"index {index:.2f}")
    resolvable = _num(resolution.get(RESOLUTION_REGION[pattern], {}).get("resolvable_mm"))
    if np.isfinite(resolvable) and delivered * anchor < resolvable:
        return "below resolution", (
            f"below resolution: applied {delivered * anchor:.2f} mm < smallest resolvable "
            f"change {resolvable:.2f} mm ({severity} {span}, index {index:.2f})")
    return "uncertain", (f"{severity} ({span}) although the applied {delivered * anchor:.2f} "
                         f"mm is resolvable ({resolvable:.2f} mm); index {index:.2f}")


def why_false(pattern: str, side: str, finding: dict, original: dict,
              case: dict | None = None) -> tuple[str, str]:
    """Why the pattern was called on ``side``, which was not injected (``case`` None: an
    original, untouched, so its call is a healthy face's); the module docstring's rules.

    The original's reading is its index on ``side`` itself, the quantity the analysis calls:
    a left-right difference for the patterns, that side's own sum of points for resting
    tightness (called on each side's sum, not on the difference of the two)."""
    cut = mild_cut(pattern, finding.get("side_named", True))
    own = _num(original.get("index_by_side", {}).get(side))
    index = _num(finding.get("index_by_side", {}).get(side))
    called_as = f"called {finding.get('severity')}, index {index:.2f}"
    if case is None:
        return "healthy original", (f"healthy original (its own asymmetry): {called_as} on "
                                    f"the {side}, mild cut {cut:g}")
    what = "its own sum" if pattern == "resting_tightness" else "the sides' difference"
    if own >= cut or (original.get("called") and original.get("side") == side):
        return "own asymmetry", (f"the face's own asymmetry (the original reads {own:+.2f} "
                                 f"points on the {side}, {what}; mild cut {cut:g}; "
                                 f"{called_as})")
    coverage = case.get("coverage", {})
    leak = _num(coverage.get("leak")) * delivered_mm(coverage) / MM_PER_POINT[pattern]
    if leak >= cut:
        return "leak", f"the warp leaks to the {side} ({leak:.2f} points seen there)"
    return "unexplained", (f"unexplained: {called_as} on the {side}, the original reads "
                           f"{own:+.2f} ({what}; mild cut {cut:g})")


def grade(results: list[dict], rest: bool = False) -> dict:
    """Per pattern: sensitivity (mild and above), specificity (the untouched side of its cases
    and both sides of every original), side named, within one class, Spearman; and the scale
    items against the truth. ``rest``: the analyses with the original's segments given as
    spans and its quietest span declared as rest (photo sets: always their rest photo)."""
    out: dict = {}
    patterns = [p for p in (*VIDEO_PATTERNS, "oral_ocular")
                if any(c["pattern"] == p for r in results for c in r["cases"])]
    for pattern in patterns:
        found = side_ok = within = positives = negatives = false = false_originals = 0
        truth_points, index_points, missed = [], [], []
        why: list[dict] = []
        per_source = {}
        for result in results:
            cases = [c for c in result["cases"] if c["pattern"] == pattern]
            if not cases:
                continue
            base = _original(result, rest)["patterns"].get(pattern, {})
            # both sides of the original are true negatives
            source = result["source"].split(" ")[0].split(".")[0]
            for side in ("left", "right"):
                negatives += 1
                view = on_side(base, side)
                false += bool(view.get("called") and view.get("side") == side)
                if view.get("called") and view.get("side") == side:
                    false_originals += 1
                    reason, text = why_false(pattern, side, view, view)
                    why.append({"kind": "false call", "case": f"{source} original {side}",
                                "reason": reason, "text": text})
                truth_points.append(0.0)
                index_points.append(_num(base.get("index_by_side", {}).get(side)))
            hits = 0
            for case in cases:
                whole = _calls(case, rest)["patterns"].get(pattern, {})
                other = "left" if case["side"] == "right" else "right"
                # each side's call (both are called when no affected side is named)
                finding, untouched = on_side(whole, case["side"]), on_side(whole, other)
                negatives += 1
                wrong = bool(untouched.get("called") and untouched.get("side") == other)
                false += wrong
                label = f"{source} {case['side']} {case['points']:g}"
                if wrong:
                    reason, text = why_false(pattern, other, untouched, on_side(base, other),
                                             case)
                    why.append({"kind": "false call", "case": label, "reason": reason,
                                "text": text})
                index = _num(finding.get("index_by_side", {}).get(case["side"]))
                truth_points.append(case["points"])
                index_points.append(index)
                positives += 1
                if finding.get("called"):
                    found += 1
                    hits += 1
                    side_ok += finding.get("side") == case["side"] and not wrong
                else:
                    missed.append(f"{result['source']} {case['side']} {case['points']:g}: "
                                  f"{finding.get('severity')}"
                                  + (f" ({'..'.join(finding['severity_range'])})"
                                     if finding.get("severity_range") else "")
                                  + f", index {index:.2f}")
                    reason, text = why_missed(case, finding, on_side(base, case["side"]),
                                              result.get("resolution", {}))
                    why.append({"kind": "miss", "case": label, "reason": reason,
                                "text": text})
                within += abs(_class_of(index) - truth_class(case["points"])) <= 1
            per_source[result["source"]] = f"{hits}/{len(cases)}"
        out[pattern] = {
            "cases": positives, "found": found,
            "sensitivity": found / positives if positives else float("nan"),
            "specificity": 1 - false / negatives if negatives else float("nan"),
            "false_calls": false, "negatives": negatives,
            # the untouched originals' false calls apart from the injected cases'
            "false_originals": false_originals, "false_cases": false - false_originals,
            "side": side_ok / found if found else float("nan"),
            "within_one": within / positives if positives else float("nan"),
            "spearman": _spearman(truth_points, index_points),
            "per_source": per_source, "missed": missed, "why": why,
            "misses_by_reason": {r: sum(w["kind"] == "miss" and w["reason"] == r for w in why)
                                 for r in MISS_REASONS},
            "false_by_reason": {r: sum(w["kind"] == "false call" and w["reason"] == r
                                       for w in why) for r in FALSE_REASONS}}
    out["items"] = _grade_items(results, rest)
    return out


def side_given(results: list[dict]) -> dict:
    """Per video pattern, with the rest declared and the affected side GIVEN (the injected
    side; each original once with each side): cases found, and originals called. Separates
    what the interval decides from which side the analysis names."""
    out = {}
    for pattern in VIDEO_PATTERNS:
        found = cases = false = negatives = 0
        for result in results:
            if "original_side" not in result:
                continue
            for side, calls in result["original_side"].items():
                finding = calls["patterns"].get(pattern, {})
                negatives += 1
                false += bool(finding.get("called") and finding.get("side") == side)
            for case in result["cases"]:
                if case["pattern"] == pattern and "calls_side" in case:
                    cases += 1
                    found += bool(case["calls_side"]["patterns"].get(pattern, {})
                                  .get("called"))
        if cases:
            out[pattern] = {"found": found, "cases": cases, "false": false,
                            "negatives": negatives}
    return out


def _grade_items(results: list[dict], rest: bool) -> dict:
    """Automatic Sunnybrook (within 1 point) and eFACE (within 10) synkinesis items against
    the truth, over every case and original where the item was estimated."""
    rows: dict[str, list[tuple[float, float, str]]] = {}
    for result in results:
        source = result["source"].split(".")[0]
        fissure = result.get("fissure_smile_mm", float("nan"))
        entries = [(None, 0.0, _original(result, rest))] + [
            (c["pattern"], c["points"], _calls(c, rest)) for c in result["cases"]]
        for pattern, points, calls in entries:
            if pattern == "resting_tightness":
                pattern, points = None, 0.0  # no synkinesis item is touched
            truth = truth_items(pattern, points, fissure)
            for key, value in calls["items"].items():
                if key in truth and isinstance(value, int | float) and np.isfinite(truth[key]):
                    rows.setdefault(key, []).append((float(value), float(truth[key]), source))
    out = {}
    for key, pairs in rows.items():
        tolerance = (TARGETS["sunnybrook_points"] if key.startswith("synkinesis_")
                     else TARGETS["eface_points"])
        errors = [abs(a - b) for a, b, _ in pairs]
        by_source: dict[str, list[bool]] = {}
        for (_, _, source), error in zip(pairs, errors):
            by_source.setdefault(source, []).append(error <= tolerance)
        out[key] = {"n": len(pairs), "within": float(np.mean([e <= tolerance for e in errors])),
                    "worst": float(max(errors)), "tolerance": tolerance,
                    "per_source": {k: f"{sum(v)}/{len(v)}" for k, v in by_source.items()}}
    return out


def _fmt(value: float, target: float | None = None, above: bool = True) -> str:
    if not np.isfinite(value):
        return "-"
    text = f"{value:.2f}"
    if target is not None and ((value >= target) if above else (value <= target)):
        text = f"**{text}**"
    return text


def why_tables(graded: dict) -> list[str]:
    """The misses by reason per pattern (a table, with the false calls of the untouched
    originals apart from the injected cases'), then every miss and false call with its reason
    and figures (the module docstring's rules)."""
    patterns = [p for p in graded if p != "items"]
    reasons = [r for r in MISS_REASONS
               if any(graded[p]["misses_by_reason"].get(r) for p in patterns)]
    header = ["pattern", "misses", *reasons, "false calls, healthy originals",
              "false calls, injected cases (why)"]
    lines = ["", "Why missed (misses by reason; rules in scripts/validate_injections.py), and "
             "false calls by reason:", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for pattern in patterns:
        g = graded[pattern]
        falses = ", ".join(f"{r} {n}" for r, n in g["false_by_reason"].items()
                           if n and r != "healthy original")
        cases = g["false_cases"]
        row = [pattern.replace("_", "-"), str(g["cases"] - g["found"]),
               *(str(g["misses_by_reason"].get(r, 0)) for r in reasons),
               str(g["false_originals"]), f"{cases}" + (f" ({falses})" if falses else "")]
        lines.append("| " + " | ".join(row) + " |")
    entries = [f"- {p.replace('_', '-')} {w['case']}: {w['kind']}, {w['text']}"
               for p in patterns for w in graded[p]["why"]]
    if entries:
        lines += [""] + entries
    return lines


def tables(results: list[dict]) -> str:
    lines = [f"Targets: sensitivity >= {TARGETS['sensitivity']}, specificity >= "
             f"{TARGETS['specificity']}, side >= {TARGETS['side']}, within one class >= "
             f"{TARGETS['within_one']}, Spearman >= {TARGETS['spearman']} (met in bold); "
             f"scale items within {TARGETS['sunnybrook_points']} (Sunnybrook) and "
             f"{TARGETS['eface_points']:g} (eFACE) points of the truth."]
    for rest in (False, True):
        graded = grade(results, rest)
        lines += ["", "Analysed " + ("with the original's segments as spans and its quietest "
                                     "span declared as rest (photo set: its rest photo):"
                                     if rest else "as synk analyze does (unguided):"), "",
                  "| pattern | cases | sensitivity (found) | per source | specificity (false "
                  "calls / negatives) | side named | within one class | Spearman |",
                  "|---|---|---|---|---|---|---|---|"]
        for pattern, g in graded.items():
            if pattern == "items":
                continue
            sources = ", ".join(f"{k.split('.')[0]} {v}" for k, v in g["per_source"].items())
            lines.append(
                f"| {pattern.replace('_', '-')} | {g['cases']} "
                f"| {_fmt(g['sensitivity'], TARGETS['sensitivity'])} ({g['found']}) "
                f"| {sources} "
                f"| {_fmt(g['specificity'], TARGETS['specificity'])} ({g['false_calls']}/"
                f"{g['negatives']}) | {_fmt(g['side'], TARGETS['side'])} "
                f"| {_fmt(g['within_one'], TARGETS['within_one'])} "
                f"| {_fmt(g['spearman'], TARGETS['spearman'])} |")
        lines += ["", "| scale item | estimated in | within tolerance | per source | worst "
                  "error |", "|---|---|---|---|---|"]
        for key, g in sorted(graded["items"].items()):
            sources = ", ".join(f"{k} {v}" for k, v in g["per_source"].items())
            lines.append(f"| {key} (within {g['tolerance']:g}) | {g['n']} | {g['within']:.2f} "
                         f"| {sources} | {g['worst']:.1f} |")
        lines += why_tables(graded)
    given = side_given(results)
    if given:
        lines += ["", "With the rest declared and the affected side given (the injected side; "
                  "each original with either side):", "",
                  "| pattern | found | originals called on the given side |", "|---|---|---|"]
        for pattern, g in given.items():
            lines.append(f"| {pattern.replace('_', '-')} | {g['found']}/{g['cases']} "
                         f"| {g['false']}/{g['negatives']} |")
    lines += ["", "| source | px per mm | eye noise / resolvable mm | mouth corner | chin "
              "| original's calls (index left / right) |", "|---|---|---|---|---|---|"]
    for result in results:
        res = result.get("resolution", {})

        def region(name: str, res: dict = res) -> str:
            entry = res.get(name)
            if not entry:
                return "-"
            noise, resolvable = entry.get("noise_mm"), entry.get("resolvable_mm")
            return (f"{'-' if noise is None else f'{noise:.2f}'} / "
                    f"{'-' if resolvable is None else f'{resolvable:.2f}'}")

        calls = "; ".join(
            f"{p.replace('_', '-')} {f['severity']} "
            f"({_num(f['index_by_side'].get('left')):.2f} / "
            f"{_num(f['index_by_side'].get('right')):.2f})"
            for p, f in result["original"]["patterns"].items()
            if p in (*VIDEO_PATTERNS, "oral_ocular"))
        px = res.get("px_per_mm")
        lines.append(f"| {result['source']} | {'-' if px is None else f'{px:.2f}'} "
                     f"| {region('eye')} | {region('mouth_corner')} | {region('chin')} "
                     f"| {calls} |")
    lines += ["", "| source | case | truth | call on the injected side, side (unguided) "
              "| index injected / other side | call on the injected side, side (rest declared) "
              "| index | warp applied in full; share seen |",
              "|---|---|---|---|---|---|---|---|"]
    for result in results:
        for case in result["cases"]:
            other = "left" if case["side"] == "right" else "right"
            cells = []
            for rest in (False, True):
                finding = on_side(_calls(case, rest)["patterns"].get(case["pattern"], {}),
                                  case["side"])
                index = finding.get("index_by_side", {})
                call = finding.get("severity", "-")
                if finding.get("severity_range") and call == "uncertain":
                    call += f" ({'..'.join(finding['severity_range'])})"
                cells.append(f"{call}, {finding.get('side', '-')} "
                             f"| {_num(index.get(case['side'])):.2f} / "
                             f"{_num(index.get(other)):.2f}")
            coverage = case.get("coverage", {})
            applied = (f"{coverage['applied_share']:.2f} of {coverage['trigger_frames']} "
                       f"frames; seen {_num(coverage.get('seen')):.2f}, leak "
                       f"{_num(coverage.get('leak')):.2f}" if "applied_share" in coverage
                       else f"{coverage.get('applied_mm', float('nan')):.2f} mm; seen "
                       f"{_num(coverage.get('seen')):.2f}")
            truth = CLASSES[truth_class(case["points"])]
            lines.append(
                f"| {result['source'].split(' ')[0]} | {case['pattern'].replace('_', '-')} "
                f"{case['side']} {case['amount_mm']:.2f} mm | {truth} ({case['points']:g}) "
                f"| {cells[0]} | {cells[1]} | {applied} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder for the measured .synk files (default: a temporary one)")
    parser.add_argument("--video", action="append", choices=VIDEOS)
    parser.add_argument("--pattern", action="append", choices=VIDEO_PATTERNS)
    parser.add_argument("--no-photos", action="store_true",
                        help="leave out the oral-ocular photo-set cases")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--chin-texture", action="store_true",
                        help="the default method with the chin-pad texture refinement "
                             "(MeasureOptions.chin_texture); give it its own --cache")
    parser.add_argument("--tables", type=Path, nargs="+",
                        help="only print the tables of results saved with --json")
    from synkinesis.coupling import HELD_LEVELS

    parser.add_argument("--held-level", choices=HELD_LEVELS, default=None,
                        help="analyse the videos with this CouplingOptions.held_level (the "
                             "photo sets keep the default: a photo is one constant frame, "
                             "which every rule reads alike)")
    args = parser.parse_args()
    global HELD_LEVEL, CHIN_TEXTURE
    HELD_LEVEL = args.held_level
    CHIN_TEXTURE = args.chin_texture
    if args.tables:
        try:
            results = [r for path in args.tables for r in json.loads(path.read_text())]
            text = tables(results)
        except (OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except (KeyError, TypeError, AttributeError):
            print("error: not the --json output of scripts/validate_injections.py",
                  file=sys.stderr)
            return 1
        print(text)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache or Path(scratch)
        cache.mkdir(parents=True, exist_ok=True)
        media = media_dir()
        results = [run_video(media / name, cache, tuple(args.pattern or VIDEO_PATTERNS))
                   for name in args.video or VIDEOS]
        if not args.no_photos:
            results.append(run_photos(media / "WolfgangLanger_Pexels.mp4", cache))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))
    print(tables(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
