"""Frame sources: video files, photos and cameras, decoded one frame at a time.

Frames are yielded as they are decoded, so memory does not grow with the length of a video.
Every failure that a user can cause (missing, empty, corrupt or unsupported file, camera that does
not open) raises :class:`InputError` with a message that says what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".avi", ".mkv", ".m4v", ".y4m")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
#: Photos larger than this (long side, pixels) are downscaled before landmarking; MediaPipe
#: works on a 256-pixel face crop, so nothing is lost, and memory stays bounded.
MAX_IMAGE_SIDE = 4096
#: Largest image accepted at all (width x height as its header declares, read before decoding):
#: a 20000 x 20000 JPEG of 1.5 MB would otherwise take gigabytes to decode. 100 MP admits
#: every phone and camera photo in common use (the largest phone sensors give 200 MP only in
#: a special mode).
MAX_IMAGE_PIXELS = 100_000_000


class InputError(ValueError):
    """An input file or device that cannot be measured, with the reason."""


def _cv2():
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    return cv2


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int, position in its source (0-based)
    time_s : float, presentation time in seconds (photos: the index)
    rgb : (H, W, 3) uint8 array
    name : str, file name for photos, empty for video
    """

    index: int
    time_s: float
    rgb: np.ndarray
    name: str = ""


@dataclass(frozen=True)
class VideoInfo:
    """What a video container says about itself."""

    path: str
    width: int
    height: int
    fps: float
    frame_count: int  # as reported by the container; may be approximate
    codec: str
    rotation_deg: int  # orientation metadata, applied while decoding

    def as_dict(self) -> dict[str, object]:
        return dict(vars(self))


def classify_input(path: Path) -> str:
    """'video', 'image' or 'directory'; raises InputError otherwise."""
    if path.is_dir():
        return "directory"
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    raise InputError(
        f"{path}: unsupported format {suffix or '(no extension)'}; expected a video "
        f"({', '.join(VIDEO_SUFFIXES)}) or an image ({', '.join(IMAGE_SUFFIXES)})"
    )


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) declared by an encoded image's header, read without decoding the
    pixels; None when the header is not one of a known image format.

    Raises
    ------
    InputError
        The header declares so many pixels that Pillow itself refuses it as a
        decompression bomb (over about 179 megapixels).
    """
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return int(image.width), int(image.height)
    except Image.DecompressionBombError as error:
        raise InputError(f"the image declares too many pixels ({error})") from None
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def check_image_size(data: bytes, *, what: str,
                     max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int] | None:
    """Refuse an encoded image whose header declares more than ``max_pixels`` pixels, before
    any decoding (InputError naming ``what`` and the declared size).

    Returns the declared (width, height), None when the header is not a known format."""
    try:
        size = image_size(data)
    except InputError as error:
        raise InputError(f"{what}: {error}; resize it first") from None
    if size is not None and size[0] * size[1] > max_pixels:
        raise InputError(f"{what}: the image declares {size[0]} x {size[1]} pixels, more than "
                         f"the {max_pixels / 1e6:.0f} megapixels accepted; resize it first")
    return size


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes)")


def _av():
    import av

    return av


def _open_video(path: Path):
    """(container, its first video stream) opened with PyAV; InputError if it cannot be."""
    av = _av()
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a readable video (the decoder could not open it: "
                         f"{_reason(error)})") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: the file holds no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame and slice threads, as OpenCV decoded: the same pixels
    return container, stream


def _reason(error: BaseException) -> str:
    return str(getattr(error, "strerror", None) or error).strip() or type(error).__name__


def _decoded(container, stream) -> Iterator:
    """The stream's frames in presentation order; stops quietly at the first frame that
    cannot be decoded (a truncated or damaged file yields the frames before the damage)."""
    av = _av()
    try:
        yield from container.decode(stream)
    except (av.error.FFmpegError, OSError):
        return


def _rate(stream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < float(rate) < 1000:
            return float(rate)
    return 30.0


def _upright(frame, reformatter=None) -> np.ndarray:
    """A decoded frame as RGB uint8, turned as its display matrix says (phone videos).

    ``reformatter``: a ``av.video.reformatter.VideoReformatter`` kept for a whole video (see
    :func:`_rgb_converter`); without one, PyAV makes a new converter for this frame."""
    if reformatter is None:
        rgb = frame.to_ndarray(format="rgb24")
    else:
        rgb = reformatter.reformat(frame, format="rgb24").to_ndarray()
    turns = round((frame.rotation or 0) / 90) % 4  # counter-clockwise quarter turns
    if not turns:
        return rgb
    from synkinesis.landmarks.orientation import turn

    return turn(rgb, turns)


def _rgb_converter():
    """One colour converter (libswscale context) for all the frames of a video.

    ``frame.to_ndarray(format="rgb24")`` gives each decoded frame a converter of its own, set
    up afresh, with a pool of worker threads where the process may use more than one CPU:
    0.12 ms of CPU per 640x360 frame more than one converter kept for the video (measured on
    two cores; 0.01-0.02 ms pinned to one). The same conversion (same flags and threads), the
    same pixels (checked on every frame of the shared videos, tests/test_sources_decoding.py).
    """
    from av.video.reformatter import VideoReformatter

    return VideoReformatter()


def probe_video(path: Path) -> VideoInfo:
    """Open a video and read its properties; raises InputError if it cannot be decoded."""
    path = Path(path)
    _check_file(path)
    container, stream = _open_video(path)
    try:
        declared = (int(stream.codec_context.width or 0), int(stream.codec_context.height or 0))
        if declared[0] * declared[1] > MAX_IMAGE_PIXELS:  # before a frame is decoded
            raise InputError(f"{path}: the video declares frames of {declared[0]} x "
                             f"{declared[1]} pixels, more than the "
                             f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels accepted; scale it "
                             "down first")
        first = next(_decoded(container, stream), None)
        if first is None:
            raise InputError(f"{path}: no frame could be decoded (corrupt or truncated video?)")
        fps = _rate(stream)
        count = int(stream.frames or 0)
        if count <= 0:  # no index (webm, y4m): estimate from the duration
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            else:
                seconds = float(container.duration or 0) / 1_000_000
            count = round(seconds * fps)
        turns = round((first.rotation or 0) / 90) % 4
        width, height = (first.height, first.width) if turns % 2 else (first.width,
                                                                        first.height)
        return VideoInfo(
            path=str(path),
            width=int(width),
            height=int(height),
            fps=fps,
            frame_count=max(count, 1),
            codec=str(stream.codec_context.name),
            rotation_deg=(-90 * turns) % 360,  # clockwise, as the container's "rotate" tag
        )
    finally:
        container.close()


def frame_index(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read from the packets without decoding: the presentation times of every frame of a
    video, in stream time-base units, sorted, and the numbers of its key frames in that order;
    both empty when a packet carries no timestamp."""
    container, stream = _open_video(path)
    empty = np.zeros(0, dtype=np.int64)
    try:
        stamps, keys = [], []
        for packet in container.demux(stream):
            if packet.size == 0 or packet.is_discard:  # edit-list pre-roll: never shown
                continue
            if packet.pts is None:
                return empty, empty
            stamps.append(packet.pts)
            if packet.is_keyframe:
                keys.append(packet.pts)
    except (_av().error.FFmpegError, OSError):
        pass
    finally:
        container.close()
    ordered = np.sort(np.asarray(stamps, dtype=np.int64))
    return ordered, np.searchsorted(ordered, np.sort(np.asarray(keys, dtype=np.int64)))


def frame_times(path: Path) -> np.ndarray:
    """Presentation times of every frame of a video, in stream time-base units, sorted (read
    from the packets without decoding); empty when a packet carries no timestamp."""
    return frame_index(path)[0]


def key_frame_indices(path: Path) -> np.ndarray:
    """Presentation-order numbers of a video's key frames (read from the packets without
    decoding; numbered as :func:`frame_times` orders the frames); empty when a packet carries
    no timestamp."""
    return frame_index(path)[1]


def iter_video(
    path: Path, *, fps: float, start: int = 0, stop: int | None = None,
    only: Collection[int] | None = None, stamps: np.ndarray | None = None,
) -> Iterator[Frame]:
    """Decode frames ``start`` .. ``stop - 1`` of a video as RGB, each with its presentation
    time (seconds after the first frame; ``index / fps`` only for a frame without one).
    ``only``: of those, yield (and convert to RGB) only the frames with these numbers.
    ``stamps``: the video's :func:`frame_times`, when the caller has read them already.

    Frames are numbered in presentation order. A ``start`` beyond 0 seeks to the key frame
    before it and decodes forward to exactly that frame. Decoding stops quietly at the end of
    the stream or at the first frame that cannot be decoded (a truncated file yields the
    frames before the damage).
    """
    path = Path(path)
    if start == 0:
        stamps = None
    elif stamps is None:
        stamps = frame_times(path)
    container, stream = _open_video(path)
    converter = _rgb_converter()
    try:
        base = stream.time_base
        # A frame's time as the exact fraction of the stream's time base, rounded once: int /
        # int is correctly rounded in Python, the same float as float(Fraction) (which divides
        # the same way), without a Fraction made per frame.
        numerator, denominator = ((base.numerator, base.denominator) if base is not None
                                  else (0, 1))
        origin = None
        positions: dict[int, int] | None = None
        if stamps is not None and len(stamps) > start:
            origin = int(stamps[0])
            # lands on the key frame at or before the wanted one
            container.seek(int(stamps[start]), stream=stream, backward=True)
            positions = {int(stamp): i for i, stamp in enumerate(stamps)}
        index = 0
        for frame in _decoded(container, stream):
            if positions is not None:  # after a seek: the frame's place in the whole video
                found = positions.get(int(frame.pts)) if frame.pts is not None else None
                if found is None:
                    continue
                index = found
            if origin is None:
                origin = int(frame.pts) if frame.pts is not None else 0
            if stop is not None and index >= stop:
                break
            if index >= start and (only is None or index in only):
                if frame.pts is not None and base is not None:
                    time_s = (int(frame.pts) - origin) * numerator / denominator
                else:
                    time_s = index / fps
                yield Frame(index=index, time_s=time_s, rgb=_upright(frame, converter))
            index += 1
    finally:
        container.close()


def decoded_extent(path: Path) -> tuple[int, float]:
    """How far a video decodes from its start: the number of frames and the presentation time
    of the last one, seconds after the first (one pass without colour conversion or
    landmarking)."""
    container, stream = _open_video(Path(path))
    frames, first, last = 0, None, None
    try:
        for frame in _decoded(container, stream):
            frames += 1
            if frame.time is not None:
                first = frame.time if first is None else first
                last = frame.time
    finally:
        container.close()
    return frames, (last - first) if last is not None else 0.0


def _to_rgb(cv2, image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_image(path: Path) -> tuple[np.ndarray, float]:
    """Read a photo as RGB uint8 (EXIF orientation applied).

    Returns
    -------
    rgb : (H, W, 3) uint8 array, downscaled if its long side exceeds :data:`MAX_IMAGE_SIDE`
    factor : float, original pixels per returned pixel (1.0 when not downscaled)
    """
    path = Path(path)
    _check_file(path)
    cv2 = _cv2()
    data = np.fromfile(str(path), dtype=np.uint8)
    encoded = data.tobytes()
    size = check_image_size(encoded, what=str(path))  # before a single pixel is decoded
    reduction = _jpeg_reduction(encoded, size)
    try:
        image = cv2.imdecode(data, _REDUCED_FLAGS[reduction](cv2))
    except cv2.error as exc:  # e.g. larger than OpenCV's pixel limit
        raise InputError(f"{path}: the image could not be decoded ({exc.msg.strip()})") from None
    if image is None:
        raise InputError(f"{path}: not a readable image (corrupt or unsupported encoding)")
    factor = float(reduction)
    long_side = max(image.shape[:2])
    if long_side > MAX_IMAGE_SIDE:
        shrink = long_side / MAX_IMAGE_SIDE
        size = (round(image.shape[1] / shrink), round(image.shape[0] / shrink))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        factor *= shrink
    return _to_rgb(cv2, image), factor


#: imdecode flags by JPEG reduction (the decoder's own 1/2, 1/4, 1/8 scaling, which never
#: holds the full-size image in memory).
_REDUCED_FLAGS = {
    1: lambda cv2: cv2.IMREAD_COLOR,
    2: lambda cv2: cv2.IMREAD_REDUCED_COLOR_2,
    4: lambda cv2: cv2.IMREAD_REDUCED_COLOR_4,
    8: lambda cv2: cv2.IMREAD_REDUCED_COLOR_8,
}


def _jpeg_reduction(data: bytes, size: tuple[int, int] | None) -> int:
    """How much a JPEG can be reduced while decoding and still keep its long side at least
    :data:`MAX_IMAGE_SIDE` (1, 2, 4 or 8; 1 for other formats and for photos of up to twice
    that side, which are decoded whole as before). The decoded image then has at most
    ``2 * MAX_IMAGE_SIDE`` on its long side, so memory stays bounded for any allowed photo."""
    if data[:3] != b"\xff\xd8\xff" or size is None:
        return 1
    reduction, long_side = 1, max(size)
    while reduction < 8 and long_side / (2 * reduction) >= MAX_IMAGE_SIDE:
        reduction *= 2
    return reduction


def iter_images(paths: list[Path]) -> Iterator[Frame]:
    """Photos as frames, one per file, in the given order."""
    for index, path in enumerate(paths):
        rgb, _ = read_image(path)
        yield Frame(index=index, time_s=float(index), rgb=rgb, name=Path(path).name)


def iter_camera(device: int, *, duration_s: float) -> Iterator[Frame]:
    """Frames from a camera for ``duration_s`` seconds (stops early on Ctrl-C)."""
    import time

    if isinstance(device, bool) or not isinstance(device, int) or device < 0:
        # OpenCV ends the process (segmentation fault) on a negative camera number.
        raise InputError(f"the camera number must be 0 or more (0 = the first camera), "
                         f"got {device!r}")
    cv2 = _cv2()
    capture = cv2.VideoCapture(device)
    if not capture.isOpened():
        raise InputError(f"camera {device} could not be opened (is it connected and free?)")
    try:
        start = time.monotonic()
        index = 0
        while time.monotonic() - start < duration_s:
            ok, bgr = capture.read()
            if not ok or bgr is None:
                if index == 0:
                    raise InputError(f"camera {device} gave no frame")
                break
            yield Frame(index=index, time_s=time.monotonic() - start, rgb=_to_rgb(cv2, bgr))
            index += 1
    except KeyboardInterrupt:
        return
    finally:
        capture.release()


def expand_inputs(inputs: list[Path]) -> tuple[list[Path], list[Path]]:
    """Split inputs into videos and photos; directories contribute their supported files.

    Raises InputError for a missing path, an unsupported file given by name, or when nothing
    measurable is found.
    """
    videos: list[Path] = []
    images: list[Path] = []
    for path in inputs:
        kind = classify_input(Path(path))
        if kind == "directory":
            for child in sorted(Path(path).iterdir()):
                suffix = child.suffix.lower()
                if child.is_file() and suffix in VIDEO_SUFFIXES:
                    videos.append(child)
                elif child.is_file() and suffix in IMAGE_SUFFIXES:
                    images.append(child)
        elif kind == "video":
            videos.append(Path(path))
        else:
            images.append(Path(path))
    if not videos and not images:
        raise InputError("no video or image to measure in " + ", ".join(map(str, inputs)))
    return videos, images
