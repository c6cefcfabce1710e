#!/usr/bin/env python3
"""How far the head turns in each task span: the check of the head-movement rule
(``synkinesis.assessable.HEAD_TURN_MAX_DEG``, docs/analysis.md "Not assessable rather than
guessed").

Usage:
    python scripts/head_turn_spans.py FILE.synk [FILE.synk ...]

Analyses each measured recording (unguided, no intervals) and prints one line per task span:
its times, its head yaw / pitch / roll ranges in degrees as "within / from rest" (the robust
range, 5th..95th percentile over the span's usable frames; then that range stretched to include
the median pose at rest), and whether it was kept or left out (with the reason). At the end,
the largest range of the other spans and the smallest of a span left out for the head, against
the threshold.
Exit status 1 when an input cannot be read or analysed.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    from synkinesis.analysis import AnalysisError, AnalysisOptions, analyze_measurement
    from synkinesis.assessable import HEAD_TURN_MAX_DEG, head_angle_ranges
    from synkinesis.measure import ResultFileError, read_measurement
    from synkinesis.uncertainty import UncertaintyOptions

    options = AnalysisOptions(uncertainty=UncertaintyOptions(replicates=0))
    kept: list[float] = []
    turned: list[float] = []
    spans = failed = 0
    for name in argv:
        try:
            analysis = analyze_measurement(read_measurement(Path(name)), options=options)
        except (OSError, ResultFileError, AnalysisError) as error:
            print(f"{name}: cannot be analysed: {error}", file=sys.stderr)
            failed += 1
            continue
        print(Path(name).name)
        recording = analysis.recording
        reasons = analysis.coupling.not_assessable
        rest = analysis.segmentation.rest.mask(recording.time_s)
        for segment in analysis.segmentation.segments:
            if segment.task in ("rest", "compound", "unknown"):
                continue
            spans += 1
            ranges = head_angle_ranges(recording, segment, rest)
            stamp = f"{segment.start_s:.2f}-{segment.end_s:.2f} s"
            why = next((r for r in reasons.get(segment.task, "").split("; ")
                        if r.startswith(stamp)), "")
            largest = max(max(r.values()) for r in ranges) if ranges else math.nan
            if "the head" in why:
                turned.append(largest)
            elif ranges:
                kept.append(largest)
            text = ("no head angles" if ranges is None else
                    "  ".join(f"{k} {v:5.1f} /{ranges[1][k]:5.1f}" for k, v in ranges[0].items()))
            status = f"left out: {why[len(stamp) + 1:]}" if why else "kept"
            print(f"  {segment.task:20s} {stamp:15s} {text}   {status}")
    print(f"\n{spans} task spans in {len(argv) - failed} files; "
          f"threshold {HEAD_TURN_MAX_DEG:g} deg")
    print(f"  left out for the head: {len(turned)}"
          + (f", smallest range {min(turned):.1f} deg" if turned else ""))
    print("  largest range of the other spans (kept, or left out for another reason): "
          + (f"{max(kept):.1f} deg" if kept else "-"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
