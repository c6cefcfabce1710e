"""Output paths that would destroy data are refused; private folders are 0700."""

from __future__ import annotations

import os
import stat

import pytest

from imagetools import jpeg_declaring
from synkinesis.files import OutputPathError, check_output_path, make_private_dir


def test_output_equal_to_an_input_is_refused_even_with_overwrite(tmp_path):
    source = tmp_path / "v.mp4"
    source.write_bytes(b"video")
    with pytest.raises(OutputPathError, match="is the input"):
        check_output_path(source, inputs=[source], overwrite=True)
    link = tmp_path / "link.mp4"
    link.symlink_to(source)
    with pytest.raises(OutputPathError, match="is the input"):
        check_output_path(link, inputs=[source], overwrite=True)
    assert source.read_bytes() == b"video"


def test_existing_output_needs_overwrite(tmp_path):
    out = tmp_path / "r.synk"
    assert check_output_path(out) == out
    out.write_bytes(b"old")
    with pytest.raises(OutputPathError, match="--overwrite"):
        check_output_path(out, inputs=[tmp_path / "v.mp4"])
    assert check_output_path(out, overwrite=True) == out


def test_private_dir_is_0700_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        made = make_private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", made):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_image_header_is_refused_before_decoding():
    from synkinesis.landmarks.sources import InputError, check_image_size, image_size

    assert image_size(jpeg_declaring(640, 480)) == (640, 480)
    check_image_size(jpeg_declaring(640, 480), what="frame")
    for width, height in ((20000, 20000), (12000, 9000)):
        with pytest.raises(InputError, match="megapixels|too many pixels"):
            check_image_size(jpeg_declaring(width, height), what="frame")
    assert image_size(b"not an image") is None
