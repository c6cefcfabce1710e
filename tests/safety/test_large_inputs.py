"""Photos and videos whose headers declare absurd sizes are refused before decoding; large
allowed JPEGs are decoded reduced (issue 16 item 8, measure part)."""

from __future__ import annotations

import numpy as np
import pytest

from imagetools import jpeg_declaring
from synkinesis.landmarks import sources
from synkinesis.landmarks.sources import InputError, probe_video, read_image


@pytest.fixture
def decoded(monkeypatch):
    """Records the flags of every image decode."""
    import cv2

    calls = []
    original = cv2.imdecode

    def spy(data, flags):
        calls.append(flags)
        return original(data, flags)

    monkeypatch.setattr(cv2, "imdecode", spy)
    return calls


def test_a_photo_declaring_20000_by_20000_is_refused_before_decoding(tmp_path, decoded):
    bomb = tmp_path / "bomb.jpg"
    bomb.write_bytes(jpeg_declaring(20000, 20000))
    with pytest.raises(InputError, match="bomb.jpg.*(megapixels|too many pixels)"):
        read_image(bomb)
    assert decoded == []


def test_a_large_allowed_jpeg_is_decoded_reduced(tmp_path, decoded):
    import cv2

    photo = tmp_path / "wide.jpg"
    image = np.full((1000, 8400, 3), 127, dtype=np.uint8)
    cv2.imwrite(str(photo), image)
    rgb, factor = read_image(photo)
    assert decoded == [cv2.IMREAD_REDUCED_COLOR_2]  # the decoder never held 8400 x 1000
    assert max(rgb.shape[:2]) == sources.MAX_IMAGE_SIDE
    assert factor == pytest.approx(8400 / sources.MAX_IMAGE_SIDE)
    # Up to twice the side a photo is decoded whole, as before.
    cv2.imwrite(str(photo), np.full((600, 6000, 3), 127, dtype=np.uint8))
    read_image(photo)
    assert decoded[-1] == cv2.IMREAD_COLOR


def test_a_video_declaring_absurd_frames_is_refused_before_decoding(tmp_path, monkeypatch):
    """A real stream header (YUV4MPEG) declaring 12000 x 10000 frames (120 MP) with one short
    frame after it: refused from the header, and no frame is decoded (encoding a real one
    would take gigabytes). Beyond 16384 pixels a side the demuxer itself refuses the header,
    which is a clear message too."""
    def no_decoding(*args, **kwargs):
        raise AssertionError("a frame was decoded")

    monkeypatch.setattr(sources, "_decoded", no_decoding)
    header = b"YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\nFRAME\n"
    video = tmp_path / "huge.y4m"
    video.write_bytes(header % (12000, 10000) + bytes(64))
    with pytest.raises(InputError, match="huge.y4m: the video declares frames of 12000 x 10000"):
        probe_video(video)
    video.write_bytes(header % (20000, 20000) + bytes(64))
    with pytest.raises(InputError, match="huge.y4m: not a readable video"):
        probe_video(video)
