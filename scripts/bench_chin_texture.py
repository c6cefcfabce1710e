#!/usr/bin/env python3
"""CPU cost of the chin-pad texture refinement (issue 19, ``MeasureOptions.chin_texture``).

CPU time per frame (time.process_time of this process, all its threads) of `synk measure`'s
default method on a shared video, with and without the refinement, best of interleaved
rounds; meaningful on a loaded machine when pinned to one core:

    taskset -c 0 python scripts/bench_chin_texture.py [--video single_face.mp4] [--rounds 3]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def media_dir() -> Path:
    """The real test media, found (or fetched) the project's one way."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from fetch_media import fetch

    return fetch(quiet=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", default="single_face.mp4",
                        help="file name in the media folder (default: single_face.mp4, whose "
                             "chin the refinement keeps)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs; best is kept")
    args = parser.parse_args()
    from synkinesis.measure import MeasureOptions, measure_video

    video = media_dir() / args.video
    if not video.is_file():
        print(f"error: {video} not found", file=sys.stderr)
        return 1
    best = {False: float("inf"), True: float("inf")}
    with tempfile.TemporaryDirectory() as work:
        for round_ in range(args.rounds):
            for chin in best:
                start = time.process_time()
                measured = measure_video(video, Path(work) / f"{chin}-{round_}.synk",
                                         options=MeasureOptions(chin_texture=chin))
                best[chin] = min(best[chin], (time.process_time() - start) / measured.n_frames)
    print(f"{args.video}: CPU ms per frame, default method, best of {args.rounds}")
    print("| chin_texture | ms per frame |\n|---|---|")
    for chin, seconds in best.items():
        print(f"| {chin} | {1000 * seconds:.2f} |")
    print(f"difference: {1000 * (best[True] - best[False]):.2f} ms per frame "
          f"({100 * (best[True] / best[False] - 1):+.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
