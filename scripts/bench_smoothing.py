"""Benchmark: does turning MediaPipe's landmark smoothing off cost time?

The composite methods hand their frames to MediaPipe 10,000 s apart so that its one-euro filter
passes every frame (``MediaPipeEngine(smoothing=False)``, docs/one_sided.md). This times one
VIDEO-mode stream (one face, confidence 0.9, as a composite stream) over the decoded frames of a
video with and without smoothing, interleaved, best of ``--rounds``, on one core. Prints fps and
the ratio; asserts nothing.

Usage::

    python scripts/bench_smoothing.py [--video NAME] [--rounds 3] [--core 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", default="WolfgangLanger_Pexels.mp4",
                        help="file name in the test media folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--core", type=int, default=None, help="pin to this CPU core")
    args = parser.parse_args()
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})
    sys.path.insert(0, str(ROOT / "scripts"))
    from fetch_media import fetch  # the project's one way to find the media

    from synkinesis.landmarks.mediapipe_engine import MediaPipeEngine
    from synkinesis.landmarks.sources import iter_video, probe_video

    path = fetch(quiet=True) / args.video
    fps = probe_video(path).fps
    frames = [frame.rgb for frame in iter_video(path, fps=fps)]
    best: dict[bool, float] = {}
    for _ in range(args.rounds):
        for smoothing in (True, False):
            with MediaPipeEngine(mode="video", max_faces=1, min_confidence=0.9,
                                 smoothing=smoothing) as engine:
                engine.detect(frames[0], timestamp_ms=0)  # warm-up
                start = time.perf_counter()
                for i, rgb in enumerate(frames[1:], 1):
                    engine.detect(rgb, timestamp_ms=int(i * 1000 / fps))
                rate = (len(frames) - 1) / (time.perf_counter() - start)
            best[smoothing] = max(best.get(smoothing, 0.0), rate)
    print(f"{args.video}: {len(frames)} frames, best of {args.rounds}")
    print(f"  MediaPipe smoothing on : {best[True]:6.1f} fps")
    print(f"  MediaPipe smoothing off: {best[False]:6.1f} fps "
          f"(time per frame {best[True] / best[False]:.2f}x)")


if __name__ == "__main__":
    main()
