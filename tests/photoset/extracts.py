"""Single-frame extracts of the shared videos: the rest frame and each analysed task's peak frame,
found with the video's own analysis (its segments and signals, as tests/golden saved them),
written as a standard photo set (rest.png, smile_open.png, eye_closure_gentle.png, ...).

Imported by tests (not a conftest) and by scripts that document the photo-set agreement.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

#: Task -> (file stem, signal quantity, +1: the peak is the largest value / -1: the smallest).
PEAKS = {
    "big_smile": ("smile_open", "mouth_corner_excursion", +1),
    "closed_smile": ("smile_closed", "mouth_corner_excursion", +1),
    "gentle_eye_closure": ("eye_closure_gentle", "palpebral_fissure", -1),
    "tight_eye_closure": ("eye_closure_tight", "palpebral_fissure", -1),
    "brow_raise": ("brow_raise", "brow_height", +1),
}


def peak_frames(name: str) -> dict[str, int]:
    """File stem -> frame number of the video's rest frame and each task's peak.

    The rest frame is the middle of the video's rest span; a task's peak is the frame of its
    longest segment where its driver signal (mean of both sides) is furthest from rest.
    """
    content = json.loads((GOLDEN / f"{name}.json").read_text())["analysis"]
    frames = np.load(GOLDEN / f"{name}.frames.npz")
    t, number = frames["time_s"], frames["frame"]
    usable = frames["n_faces"] > 0
    rest = content["segmentation"]["rest"]
    middle = (rest["start_s"] + rest["end_s"]) / 2
    rest_rows = np.flatnonzero(usable & (t >= rest["start_s"]) & (t < rest["end_s"]))
    chosen = {"rest": int(number[rest_rows[np.argmin(np.abs(t[rest_rows] - middle))]])}
    for task, (stem, quantity, sign) in PEAKS.items():
        segments = [s for s in content["segmentation"]["segments"] if s["task"] == task]
        if not segments:
            continue
        longest = max(segments, key=lambda s: s["end_s"] - s["start_s"])
        rows = np.flatnonzero(usable & (t >= longest["start_s"]) & (t < longest["end_s"]))
        value = (frames[f"{quantity}_left_mm"][rows] + frames[f"{quantity}_right_mm"][rows]) / 2
        chosen[stem] = int(number[rows[int(np.nanargmax(sign * value))]])
    return chosen


def video_spans(content: dict) -> list[dict]:
    """Task spans from a video's unguided analysis (its content): its rest span (the
    quietest span) declared as rest, and its task segments (not compound episodes), each
    starting no earlier than rest ends. Analysed with them, the video assesses its resting
    items from the same span the rest photo is taken from."""
    rest = content["segmentation"]["rest"]
    spans = [{"task": "rest", "start_s": rest["start_s"], "end_s": rest["end_s"]}]
    for segment in content["segmentation"]["segments"]:
        if segment["task"] in ("rest", "compound"):
            continue
        start, end = segment["start_s"], segment["end_s"]
        if start < rest["end_s"] and end > rest["start_s"]:
            start = rest["end_s"]
        if end > start:
            spans.append({"task": segment["task"], "start_s": start, "end_s": end})
    return spans


def extract_frames(video: Path, wanted: dict[str, int], folder: Path) -> dict[str, Path]:
    """Write the frames ``wanted`` (file stem -> frame number) of ``video`` as lossless PNGs
    into ``folder``; returns stem -> path."""
    import cv2

    by_frame: dict[int, list[str]] = {}
    for stem, frame in wanted.items():
        by_frame.setdefault(frame, []).append(stem)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    capture = cv2.VideoCapture(str(video))
    index = 0
    try:
        while len(written) < len(wanted):
            ok, image = capture.read()
            if not ok:
                break
            for stem in by_frame.get(index, ()):
                path = folder / f"{stem}.png"
                cv2.imwrite(str(path), image)
                written[stem] = path
            index += 1
    finally:
        capture.release()
    if len(written) != len(wanted):
        raise RuntimeError(f"{video.name}: decoded {index} frames, missing "
                           f"{sorted(set(wanted) - set(written))}")
    return written


def extract_photo_set(video: Path, name: str, folder: Path) -> dict[str, Path]:
    """Write the rest and peak frames of ``video`` (golden ``name``) as lossless PNGs named by
    task into ``folder``; returns stem -> path."""
    return extract_frames(video, peak_frames(name), folder)
