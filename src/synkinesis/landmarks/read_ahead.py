"""Decoding on a thread of its own: :func:`read_ahead` hands a frame iterator's items to the
landmark loop while the next ones decode (issue 23). Split from
:mod:`synkinesis.landmarks.sources` (it works on any iterator, not only frames)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: Frames decoded ahead of the landmark loop by :func:`read_ahead` (4 frames of 1080p are
#: 25 MB; the queue only has to cover the jitter between decoding and landmarking).
READ_AHEAD = 4


def usable_cpus() -> int:
    """How many CPUs this process may run on (its affinity where the system tells it)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity on this system (macOS, Windows)
        return os.cpu_count() or 1


def read_ahead(frames: Iterable[T], depth: int = READ_AHEAD) -> Iterator[T]:
    """``frames`` decoded on a thread of their own, at most ``depth`` ahead of the consumer.

    The decoder (PyAV) and the landmark networks both work outside Python's lock, so where a
    second CPU is free decoding overlaps landmarking instead of adding to it. A process held
    to one CPU (:func:`usable_cpus`: a pinned worker, a one-core machine) gets ``frames``
    as they are, without the thread: there it could only change the order of the work, and
    handing each frame across threads cost 0.02-0.03 ms of CPU per frame (issue 23). The
    frames and their order are those of ``frames``; an exception raised while decoding is
    raised here, at the frame where it happened. Closing this generator early (an error in
    the consumer) stops the decoder thread and closes ``frames`` there (its container is
    released).
    """
    if usable_cpus() < 2:
        yield from frames  # closing this generator closes ``frames`` (PEP 380)
        return
    import queue
    import threading

    items: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def decode() -> None:
        source = iter(frames)
        try:
            for frame in source:
                if not put(frame):
                    break
            else:
                put(end)
        except BaseException as error:  # handed to the consumer, raised there
            put(_Raised(error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=decode, name="synk-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is end:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()


@dataclass(frozen=True)
class _Raised:
    error: BaseException
