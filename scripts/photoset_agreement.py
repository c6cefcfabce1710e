"""The photo-set result against the video result of the same recording (docs/photos.md).

For each shared video: its rest frame and each analysed task's peak frame (found with the
video's own saved analysis, tests/golden) are written as a photo set, assessed as
``synk analyze --photos`` does, and the eFACE items and pattern indices are printed beside the
video's, as Markdown tables.

The shared videos have no recorded rest task: analysed unguided, their resting items are not
assessable (the quietest span is only a baseline). So that the static items can be compared,
the video is measured again and analysed with its own segments (as its saved analysis found
them) given as task spans, the quietest span declared as rest: the rest photo is the middle
frame of that same span. A task segment overlapping the rest span starts where rest ends.

    SYNK_MEDIA_DIR=/path/to/media python scripts/photoset_agreement.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "photoset"))
sys.path.insert(0, str(ROOT / "scripts"))

VIDEOS = {"single_face": "single_face.mp4", "wolfgang": "WolfgangLanger_Pexels.mp4"}


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _finding(finding: dict) -> str:
    """Severity (index; 90 % interval, and the classes it spans when uncertain)."""
    text = f"{finding['severity']} ({_fmt(finding['index'])}"
    interval = finding.get("interval") or {}
    if interval.get("low") is not None and interval.get("high") is not None:
        text += f"; {_fmt(interval['low'])}..{_fmt(interval['high'])}"
        if finding["severity"] == "uncertain" and finding.get("severity_range"):
            text += ": " + "..".join(finding["severity_range"])
    return text + ")"


def analyse_video(video: Path, content: dict, scratch: Path) -> dict:
    """The video measured (default options, as tests/golden) and analysed with its own
    segments as spans, its quietest span declared as rest (``extracts.video_spans``): the
    analysis file's content."""
    from extracts import video_spans

    from synkinesis.analysis import AnalysisOptions, analysis_to_dict, analyze_measurement
    from synkinesis.measure import measure_video

    measurement = measure_video(video, scratch / f"{video.stem}.synk")
    options = AnalysisOptions()
    spans = video_spans(content)
    print("video analysed with spans: " + ", ".join(
        f"{s['task']} {s['start_s']:.2f}..{s['end_s']:.2f} s" for s in spans))
    return analysis_to_dict(analyze_measurement(measurement, spans=spans, options=options),
                            options=options)


def main() -> None:
    from extracts import extract_photo_set, peak_frames
    from fetch_media import candidates

    from synkinesis.photoset import assess_photo_set, find_photo_sets

    media = next(c for c in candidates() if (c / "single_face.mp4").is_file())
    with tempfile.TemporaryDirectory() as scratch:
        for name, video in VIDEOS.items():
            folder = Path(scratch) / name
            extract_photo_set(media / video, name, folder)
            (photo_set,) = find_photo_sets(folder)
            result = assess_photo_set(photo_set, Path(scratch) / f"out-{name}")
            golden = json.loads((ROOT / "tests" / "golden" / f"{name}.json").read_text())
            print(f"\n### {video} (frames {peak_frames(name)})\n")
            video_content = analyse_video(media / video, golden["analysis"], Path(scratch))
            print()
            items = {}
            for label, content in (("photo", result.content), ("video", video_content)):
                scale = next(s for s in content["scales"] if s["instrument"] == "eface")
                for item in scale["items"]:
                    items.setdefault(item["key"], {})[label] = item["value"]
            print("| eFACE item | photo set | video | difference |\n|---|---:|---:|---:|")
            for key, pair in items.items():
                photo, vid = pair.get("photo"), pair.get("video")
                diff = "-" if photo is None or vid is None else f"{photo - vid:+.1f}"
                print(f"| {key} | {_fmt(photo)} | {_fmt(vid)} | {diff} |")
            print("\n| pattern | photo set | video |\n|---|---|---|")
            for mine, theirs in zip([*result.content["findings"], result.content["resting"]],
                                    [*video_content["findings"], video_content["resting"]]):
                print(f"| {mine['pattern']} | {_finding(mine)} | {_finding(theirs)} |")
            floors = result.content["coupling"]["noise_floor_mm"]
            video_floors = video_content["coupling"]["noise_floor_mm"]
            regions = result.content["coupling"]["regions"]
            print("\nnoise floor mm (photo set / video): " + ", ".join(
                f"{r} {_fmt(a)}/{_fmt(b)}" for r, a, b in zip(regions, floors, video_floors)
                if a is not None))


if __name__ == "__main__":
    main()
