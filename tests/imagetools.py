"""Images made for tests (imported by name from the test modules)."""

from __future__ import annotations

import io


def jpeg_declaring(width: int, height: int) -> bytes:
    """A tiny real JPEG whose SOF header is patched to declare ``width`` x ``height``: what a
    decompression bomb looks like to a reader of headers, without the gigabytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (128, 128, 128)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 7] = height.to_bytes(2, "big")
    data[sof + 7:sof + 9] = width.to_bytes(2, "big")
    return bytes(data)
