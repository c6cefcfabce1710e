#!/usr/bin/env python3
"""How often the 90 % interval of an index holds the face's own index (docs/validation.md,
"Repeat recordings of a synthetic face"): one synthetic face (1.5 mm of ocular-oral
synkinesis on the left, tests/analysis/synthetic_faces.py) recorded N times with fresh white
tracker noise of known SD, optionally plus a random-walk drift of every signal. With
``--repetition-sd`` the big smile is recorded twice instead of a closed and a big smile, and each
repetition's ocular-oral narrowing differs from 1.5 mm by a random amount of that SD (a patient
whose two smiles differ): the face's typical index is then the one over its repetitions.

Usage:
    python scripts/interval_coverage.py NOISE_MM [--drift MM_PER_FRAME] [--recordings N]
        [--rest-s S] [--seed0 K] [--repeat] [--repetition-sd MM]

Prints the noise-free index, the median and SD of the index over the recordings, the mean
interval width (and the SD it implies), and the share of recordings whose interval holds the
median index (the face's typical reading) and the noise-free one. The mm scale is exact in a
synthetic recording, so the draws leave it alone (scale_relative_sd=0). About 0.35 s of CPU
per recording.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "analysis"))


def main() -> None:
    from synthetic_faces import guided, make_recording

    from synkinesis.analysis import AnalysisOptions, analyze_recording
    from synkinesis.uncertainty import Z90, UncertaintyOptions

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("noise_mm", type=float)
    parser.add_argument("--drift", type=float, default=0.0, help="random-walk step SD, mm/frame")
    parser.add_argument("--recordings", type=int, default=100)
    parser.add_argument("--rest-s", type=float, default=2.0, help="length of the first rest")
    parser.add_argument("--seed0", type=int, default=1000)
    parser.add_argument("--repeat", action="store_true", help="repeat intervals instead")
    parser.add_argument("--repetition-sd", type=float, default=None,
                        help="two big smiles whose narrowing differs by this SD, mm")
    args = parser.parse_args()
    extra = {(task, "left", "palpebral_fissure"): -1.5 for task in ("closed_smile", "big_smile")}
    twice = args.repetition_sd is not None
    first = "big_smile" if twice else "closed_smile"
    steps = (("rest", args.rest_s), (first, 2.0), ("rest", 1.0), ("big_smile", 2.0),
             ("rest", 1.0), ("gentle_eye_closure", 2.0), ("rest", 1.0))

    def record(seed: int, noise: float, drift: float, differ: bool = True):
        rng = np.random.default_rng(seed)
        recording, spans = make_recording(steps, extra=extra, noise_mm=noise, rng=rng)
        if twice and differ and args.repetition_sd > 0:
            # each smile's own narrowing, following the smile's envelope (its corner's rise)
            clean, _ = make_recording(steps, extra=extra, noise_mm=0.0)
            t = np.asarray(recording.time_s)
            corner = np.asarray(clean.signals["mouth_corner_y_left_mm"], dtype=float)
            envelope = (corner - corner[0]) / np.max(corner - corner[0])
            signals = dict(recording.signals)
            fissure = np.asarray(signals["palpebral_fissure_left_mm"], dtype=float).copy()
            for span in (s for s in spans if s["task"] == "big_smile"):
                inside = (t >= span["start_s"]) & (t < span["end_s"])
                fissure[inside] -= rng.normal(0.0, args.repetition_sd) * envelope[inside]
            signals["palpebral_fissure_left_mm"] = fissure
            recording = replace(recording, signals=signals)
        if drift:
            signals = dict(recording.signals)
            for name, values in signals.items():
                if name.endswith("_mm") and np.std(values) > 0:
                    signals[name] = values + np.cumsum(rng.normal(0, drift, values.size))
            recording = replace(recording, signals=signals)
        return recording, spans

    def analyse(recording, spans, replicates: int):
        return analyze_recording(recording, spans=guided(spans), options=AnalysisOptions(
            affected_side="left", uncertainty=UncertaintyOptions(
                replicates=replicates, seed=1, scale_relative_sd=0.0, repeat=args.repeat)))

    noise_free = analyse(*record(0, 0.0, 0.0, differ=False), 0).finding("ocular_oral").index
    index, low, high = [], [], []
    for k in range(args.recordings):
        analysis = analyse(*record(args.seed0 + k, args.noise_mm, args.drift), 100)
        interval = analysis.uncertainty.indices["ocular_oral"]
        index.append(analysis.finding("ocular_oral").index)
        low.append(interval.low)
        high.append(interval.high)
    index, low, high = np.array(index), np.array(low), np.array(high)
    typical = float(np.median(index))
    width = float(np.mean(high - low))
    print(f"noise {args.noise_mm} mm, drift {args.drift} mm/frame, "
          + (f"two big smiles differing by SD {args.repetition_sd} mm, " if twice else "")
          + f"{args.recordings} recordings, "
          f"{'repeat' if args.repeat else 'confidence'} intervals")
    spread = float(np.std(index, ddof=1))
    print(f"index: noise-free {noise_free:.3f}, median {typical:.3f}, SD {spread:.3f}")
    print(f"interval: mean width {width:.3f} (implies SD {width / 2 / Z90:.3f}); holds the median "
          f"index in {np.mean((low <= typical) & (typical <= high)):.2f}, the noise-free one in "
          f"{np.mean((low <= noise_free) & (noise_free <= high)):.2f}")


if __name__ == "__main__":
    main()
