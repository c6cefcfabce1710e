"""Two landmark engines on one recording, frame by frame (issue 23; docs/benchmarks.md, "Should
litert be the default engine?").

Either two result files of the same recording (the first is the reference), or a video that
is measured with the Tasks API (reference) and with litert, the default method, into a
temporary folder:

    python scripts/compare_engines.py tasks.synk litert.synk
    SYNK_MEDIA_DIR=/path/to/media \
        python scripts/compare_engines.py --video WolfgangLanger_Pexels.mp4

Prints the landmark distance (pixels: every point; per frame median and the worst frames), the
blendshape and summed-activity differences, the frames whose per-side landmark source or face
count differ, and each run's rest frames with the margin of their pick (how far the quietest
frame left out lies above the busiest one taken, in summed blendshapes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="reference.synk other.synk")
    parser.add_argument("--video", help="measure this video (in SYNK_MEDIA_DIR or a path) "
                                        "with both engines instead")
    args = parser.parse_args(argv)

    from synkinesis.dev.engines import compare_measurements
    from synkinesis.measure import MeasureOptions, measure_video
    from synkinesis.measure.result_file import read_measurement

    if args.video:
        video = Path(args.video)
        if not video.is_file():
            video = Path(os.environ.get("SYNK_MEDIA_DIR", ".")) / args.video
        if not video.is_file():
            print(f"error: {args.video}: no such video", file=sys.stderr)
            return 2
        with tempfile.TemporaryDirectory() as work:
            runs = [measure_video(video, Path(work) / f"{engine}.synk",
                                  options=MeasureOptions(engine=engine))
                    for engine in ("mediapipe-tasks", "litert")]
            report = compare_measurements(*runs)
    elif len(args.files) == 2:
        missing = [str(p) for p in args.files if not p.is_file()]
        if missing:
            print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
            return 2
        try:
            report = compare_measurements(*(read_measurement(p) for p in args.files))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    else:
        parser.error("give two result files, or --video")
    for key, value in report.items():
        print(f"{key}: {json.dumps(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
