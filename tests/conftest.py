"""Shared fixtures: the real faces, measured once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def media_dir() -> Path:
    """Real test media, looked up where scripts/fetch_media.py looks ($SYNK_MEDIA_DIR,
    ../shared/data/media, its .media-cache), never downloaded by the tests themselves."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from fetch_media import MEDIA, candidates

    for candidate in candidates():
        if all((candidate / name).is_file() for name in MEDIA):
            return candidate
    pytest.fail("real test media not found: run `python scripts/fetch_media.py` or set "
                "SYNK_MEDIA_DIR")


@pytest.fixture
def restore_umask():
    """The process umask as it was before the test: commands that make their files private
    set umask 077 for the rest of the process."""
    import os

    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@pytest.fixture(scope="session")
def media() -> Path:
    return media_dir()


@pytest.fixture(scope="session")
def measured_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("measured")


@pytest.fixture(scope="session")
def single_face_measurement(media, measured_dir):
    from synkinesis.measure import measure_video

    return measure_video(media / "single_face.mp4", measured_dir / "single_face.synk")


@pytest.fixture(scope="session")
def wolfgang_measurement(media, measured_dir):
    from synkinesis.measure import measure_video

    return measure_video(media / "WolfgangLanger_Pexels.mp4", measured_dir / "wolfgang.synk")


# The machine running the tests is shared: a per-example time limit only makes property tests
# flaky under load (seen: 200 ms deadlines missed at load average 8), it tests nothing we need.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("synkinesis", deadline=None)
_hypothesis_settings.load_profile("synkinesis")
