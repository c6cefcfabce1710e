#!/usr/bin/env python3
"""How far apart are the two sides of HEALTHY faces, in each pattern's index (issue 19, item 3)?

Every pattern index of a healthy face is a left-right difference that is not synkinesis (resting
tightness: each side's own sum of the positive parts of such differences): the face's own
asymmetry plus the tracker's. This prints, per pattern, the spread of the indices of
healthy recordings with EACH side taken as affected (a healthy face has no affected side), next
to the pattern's own mild cut (where the analysis' decision starts mild,
``FindingOptions().decision_cuts(pattern)[0]``: 0.5 Sunnybrook points for the patterns, 1 point
for resting tightness, whose index is each side's own sum of points), so that the decision
threshold can be read against it:

- measured healthy videos (``.synk`` files given on the command line: the shared healthy media
  and their perturbed copies, scripts/make_copies.sh);
- the simulator's healthy patients (``--simulated``: severity 0 on the shared neutral face, head
  motion 1 and 4 degrees, tracker noise 0.3 and 1 px), whose true index is 0 by construction
  (the simulated face is symmetric): their spread is the tracker's alone.

Usage:
    python scripts/normal_asymmetry.py [--simulated] [--json OUT] FILE.synk [FILE.synk ...]
    python scripts/normal_asymmetry.py --help
Exit status 1 when an input cannot be read (or nothing is given); 0 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def _measured(paths: list[Path]) -> dict[str, list[tuple[str, float]]]:
    from synkinesis.analysis import AnalysisOptions, analyze_measurement
    from synkinesis.measure import read_measurement
    from synkinesis.uncertainty import UncertaintyOptions

    options = AnalysisOptions(uncertainty=UncertaintyOptions(replicates=0))
    out: dict[str, list[tuple[str, float]]] = {}
    for path in paths:
        analysis = analyze_measurement(read_measurement(path), options=options)
        for finding in (*analysis.findings, analysis.resting):
            if finding.severity == "not assessable" and finding.pattern == "resting_tightness":
                continue  # no rest: its "rest" may be an expression (docs/analysis.md)
            for side, value in finding.index_by_side.items():
                if np.isfinite(value):
                    out.setdefault(finding.pattern, []).append((f"{path.stem} {side}", value))
    return out


def _simulated() -> dict[str, list[tuple[str, float]]]:
    from synkinesis.landmarks.model import load_canonical_face
    from synkinesis.simulate.io import load_neutral_face
    from synkinesis.simulate.validation import run_validation, validation_grid

    specs = validation_grid(severities=(0.0,), head_motion_deg=(1.0, 4.0),
                            noise_px=(0.3, 1.0))
    report = run_validation(specs, load_neutral_face(None),
                            canonical_vertices=load_canonical_face().vertices)
    out: dict[str, list[tuple[str, float]]] = {}
    for case in report.cases:
        timing = case.spec.timing
        for side, indices in case.found_index.items():
            for pattern, value in indices.items():
                if np.isfinite(value):
                    out.setdefault(pattern, []).append(
                        (f"simulated {timing.head_motion_deg:g} deg {timing.noise_px:g} px "
                         f"{side}", float(value)))
    return out


def mild_cut(pattern: str) -> float:
    """Where the analysis' decision starts mild for ``pattern``, points
    (:meth:`synkinesis.findings.FindingOptions.decision_cuts`: resting tightness from its
    healthy norm, 1 point; the patterns from 0.5)."""
    from synkinesis.findings import FindingOptions

    return float(FindingOptions().decision_cuts(pattern)[0])


def summarise(values: dict[str, list[tuple[str, float]]]) -> dict[str, dict[str, float]]:
    """Per pattern: n, median, 95th percentile and largest index (points), the pattern's own
    mild cut and the share of indices at least it."""
    out = {}
    for pattern, rows in values.items():
        v = np.array([value for _, value in rows])
        cut = mild_cut(pattern)
        out[pattern] = {"n": int(v.size), "median": round(float(np.median(v)), 3),
                        "p95": round(float(np.percentile(v, 95)), 3),
                        "max": round(float(v.max()), 3), "mild_cut": cut,
                        "above_mild_cut": round(float(np.mean(v >= cut)), 3)}
    return out


def print_report(report: dict[str, dict[str, dict[str, float]]]) -> None:
    """The summaries as text, one table per group."""
    for name, table in report.items():
        print(f"{name}: pattern index with each side taken as affected, Sunnybrook points")
        print(f"  {'pattern':<18} {'n':>4} {'median':>7} {'p95':>7} {'max':>7} "
              f"{'mild cut':>8}  >= its mild cut (the pattern's own decision_cuts[0])")
        for pattern, row in table.items():
            print(f"  {pattern:<18} {row['n']:>4} {row['median']:>7.2f} {row['p95']:>7.2f} "
                  f"{row['max']:>7.2f} {row['mild_cut']:>8.2f}  {row['above_mild_cut']:.0%}")


def main(argv: list[str]) -> int:
    if "--help" in argv or "-h" in argv:
        print(__doc__)
        return 0
    if not argv:
        print("error: give .synk files and/or --simulated (see --help)", file=sys.stderr)
        return 1
    simulated = "--simulated" in argv
    argv = [a for a in argv if a != "--simulated"]
    target = None
    if "--json" in argv:
        at = argv.index("--json")
        target = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    from synkinesis.analysis import AnalysisError

    try:
        groups = {"measured healthy videos": _measured([Path(p) for p in argv])} if argv else {}
    except (AnalysisError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if simulated:
        groups["simulated healthy patients"] = _simulated()
    report = {name: summarise(values) for name, values in groups.items()}
    print_report(report)
    if target is not None:
        target.write_text(json.dumps({"summary": report, "values": groups}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
