#!/usr/bin/env python3
"""Re-save the golden results of the shared videos (tests/golden/): only for an intended
change of results, in its own commit that says why.

Usage: python scripts/make_golden.py   (SYNK_MEDIA_DIR or ../shared/data/media)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    from conftest import media_dir
    from golden.golden import VIDEOS, save
    from synkinesis.measure import measure_video

    media = media_dir()
    with tempfile.TemporaryDirectory() as work:
        for name, video in VIDEOS.items():
            measurement = measure_video(media / video, Path(work) / f"{name}.synk")
            save(name, measurement)
            print(f"saved tests/golden/{name}.*")


if __name__ == "__main__":
    main()
