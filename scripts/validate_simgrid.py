#!/usr/bin/env python3
"""The simulator grid of docs/validation.md ("Simulator grid with tracker noise"), every
setting in one run: the interval decisions of `synk analyze` against the simulator's truth,
one row per setting and pattern (issue 19 targets: sensitivity >= 0.90, specificity >= 0.95,
side >= 0.95, within one class >= 0.90, Spearman >= 0.90).

Settings (each the default grid of `synk validate`: severities 0 / 0.6 / 0.95, misrouting
0.4 / 0.9, both sides, 18 patients per noise level):

- tuned grid, seed 0, head motion 1 and 4 degrees, at 0.3 and 1 px of tracker noise: each
  task once and twice, analysed as `synk analyze` does (the window noise floor, the default);
  twice also with the rest and the sustained noise floors and with the repetitions averaged
  (`--combine-repetitions mean`);
- held out: seed 1000, head motion 2.5 degrees (a value the grid never had), 0.3 and 1 px,
  twice, with the variants: inputs nothing was looked at with before;
- a closer camera: the face 300 px wide in a 1280x720 frame, 1 px, twice.

Usage:
    python scripts/validate_simgrid.py [--only NAME[,NAME...]] [--held-level RULE]
        [--json OUT.json]

``--held-level`` analyses every setting with that
:attr:`synkinesis.coupling.CouplingOptions.held_level` (minimum, mean or driver) instead of the
default.

Under the rates, a "why" table: per setting and pattern the misses (truly at least mild, not
found), of which "called none" (the whole 90 % interval below mild: false reassurance, the
clinically worst error), "below resolution" (the interval spans the mild cut and the truth lies
within its half-width above the cut), "reads low" (the truth lies further above the cut, the
index within the half-width: it reads low enough for the interval to reach the cut), "low tail"
(the index lies further above too, yet the interval reaches below the cut) and "no interval",
then every miss with its figures (:func:`synkinesis.simulate.grading.why_missed`).

Each setting runs `synk validate`'s own code (synkinesis.simulate.validation); about 40 s of
CPU per setting with each task once, 75 s twice (35 s for the 9 held-out patients), so about
13 minutes for all of them on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

#: name -> (noise_px, repetitions, noise floor, repetitions combined, seed, head motion
#: degrees, face px, frame)
SETTINGS: dict[str, tuple[float, int, str, str, int, tuple[float, ...], float,
                          tuple[int, int]]] = {
    "once-0.3px": (0.3, 1, "window", "best", 0, (1.0, 4.0), 0.0, (0, 0)),
    "once-1px": (1.0, 1, "window", "best", 0, (1.0, 4.0), 0.0, (0, 0)),
    "twice-0.3px": (0.3, 2, "window", "best", 0, (1.0, 4.0), 0.0, (0, 0)),
    "twice-1px": (1.0, 2, "window", "best", 0, (1.0, 4.0), 0.0, (0, 0)),
    "twice-0.3px-sustained": (0.3, 2, "sustained", "best", 0, (1.0, 4.0), 0.0, (0, 0)),
    "twice-1px-sustained": (1.0, 2, "sustained", "best", 0, (1.0, 4.0), 0.0, (0, 0)),
    "twice-0.3px-rest": (0.3, 2, "rest", "best", 0, (1.0, 4.0), 0.0, (0, 0)),
    "twice-1px-rest": (1.0, 2, "rest", "best", 0, (1.0, 4.0), 0.0, (0, 0)),
    "twice-0.3px-mean": (0.3, 2, "window", "mean", 0, (1.0, 4.0), 0.0, (0, 0)),
    "twice-1px-mean": (1.0, 2, "window", "mean", 0, (1.0, 4.0), 0.0, (0, 0)),
    "closer-1px": (1.0, 2, "window", "best", 0, (1.0, 4.0), 300.0, (1280, 720)),
    "held-out-0.3px": (0.3, 2, "window", "best", 1000, (2.5,), 0.0, (0, 0)),
    "held-out-1px": (1.0, 2, "window", "best", 1000, (2.5,), 0.0, (0, 0)),
    "held-out-1px-sustained": (1.0, 2, "sustained", "best", 1000, (2.5,), 0.0, (0, 0)),
    "held-out-0.3px-rest": (0.3, 2, "rest", "best", 1000, (2.5,), 0.0, (0, 0)),
    "held-out-1px-rest": (1.0, 2, "rest", "best", 1000, (2.5,), 0.0, (0, 0)),
    "held-out-0.3px-mean": (0.3, 2, "window", "mean", 1000, (2.5,), 0.0, (0, 0)),
    "held-out-1px-mean": (1.0, 2, "window", "mean", 1000, (2.5,), 0.0, (0, 0)),
}

PATTERNS = ("ocular_oral", "oral_ocular", "mentalis", "nasolabial")


def _number(value) -> str:
    return "-" if value is None or value != value else f"{value:.2f}"


def _count(value) -> str:
    return "-" if value is None or value != value else f"{value:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="Comma-separated setting names.")
    parser.add_argument("--json", type=Path, default=None, help="Write every report here.")
    from synkinesis.coupling import HELD_LEVELS, CouplingOptions

    parser.add_argument("--held-level", choices=HELD_LEVELS,
                        default=CouplingOptions().held_level,
                        help="How the analysis reads a cell's held level.")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(SETTINGS)
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        print(f"error: unknown setting {', '.join(unknown)}; expected "
              f"{', '.join(SETTINGS)}", file=sys.stderr)
        return 2

    from synkinesis.landmarks.model import load_canonical_face
    from synkinesis.simulate.io import FaceError, load_neutral_face
    from synkinesis.simulate.validation import run_validation, validation_grid

    try:
        face = load_neutral_face(None)
    except FaceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    vertices = load_canonical_face().vertices
    reports = {}
    why: list[str] = []
    listed: list[str] = []
    print("setting                  pattern      truly  sens.  none  spec.  uncert.  side  "
          "within1  Spearman  CPU s")
    for name in names:
        noise, repetitions, floor, combine, seed, motion, face_px, frame = SETTINGS[name]
        specs = validation_grid(noise_px=(noise,), head_motion_deg=motion, seed=seed,
                                timing={"repetitions": repetitions, "face_px": face_px,
                                        "frame_width": frame[0], "frame_height": frame[1]})
        start = time.process_time()
        report = run_validation(specs, face, canonical_vertices=vertices, noise_floor=floor,
                                combine=combine, held_level=args.held_level)
        cpu = time.process_time() - start
        reports[name] = {**report.as_dict(), "cpu_s": round(cpu, 1)}
        for pattern in PATTERNS:
            d = report.decisions[pattern] if report.decisions else {}
            truly = int(d.get("tp", 0) + d.get("fn", 0))
            print(f"{name:24s} {pattern:12s} {truly:5d}  {_number(d.get('sensitivity')):>5s}  "
                  f"{_count(d.get('called_none')):>4s}  "
                  f"{_number(d.get('specificity')):>5s}  {_number(d.get('uncertain')):>7s}  "
                  f"{_number(d.get('side')):>4s}  {_number(d.get('within_one')):>7s}  "
                  f"{_number(d.get('spearman')):>8s}  {cpu:5.0f}", flush=True)
            why.append(f"{name:24s} {pattern:12s} {_count(d.get('fn')):>6s}  "
                       f"{_count(d.get('called_none')):>11s}  "
                       f"{_count(d.get('below_resolution')):>16s}  "
                       f"{_count(d.get('reads_low')):>9s}  {_count(d.get('low_tail')):>8s}  "
                       f"{_count(d.get('no_interval')):>11s}")
        if report.eface_within:
            print(f"{name:24s} eFACE within 10 points (where present): " + ", ".join(
                f"{k.replace('_synkinesis', '')} {w}/{n} ({wp}/{npr})" for k, (w, n, wp, npr)
                in report.eface_within.items() if n), flush=True)
        listed += [f"{name} seed {m.seed} {m.side} {m.pattern}: {m.text}"
                   for m in report.misses]
    print("\nwhy missed (truly at least mild, not found; none: the whole interval below mild)")
    print("setting                  pattern      misses  called none  below resolution  "
          "reads low  low tail  no interval")
    print("\n".join(why))
    if listed:
        print("\n" + "\n".join(listed))
    if args.json is not None:
        args.json.write_text(json.dumps(reports, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
