"""Analysis figures. Matplotlib (Agg) and OpenCV are imported inside the functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synkinesis.protocol import COMPOUND
from synkinesis.recording import MEASURED_REGIONS, REGION_SIGNALS, region_movements
from synkinesis.regions import SIDE_LANDMARKS, SIDES

SIDE_COLOURS = {"left": "tab:blue", "right": "tab:orange"}
_TASK_COLOURS = ("#cfe8ff", "#ffe0b3", "#d9f2d0", "#f6d5e5", "#e6dcf7", "#fff3b0", "#d5f0ef",
                 "#f2d7c9", "#e0e0e0", "#cde3c3")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path, *, dpi: int) -> None:
    """Write a figure readable by its owner only (0600, atomically): figures show the
    patient's face."""
    from synkinesis.files import atomic_output

    with atomic_output(Path(path)) as temporary:
        fig.savefig(temporary, dpi=dpi, format="png")


def _task_colour(task: str, tasks: list[str]) -> str:
    if task == "rest":
        return "#eeeeee"
    if task == COMPOUND:
        return "#f4cccc"
    return _TASK_COLOURS[tasks.index(task) % len(_TASK_COLOURS)] if task in tasks else "#f0f0f0"


def plot_signals(analysis: Any, path: Path) -> Path:
    """Movement of every region per side (mm from rest, active direction up) with task spans
    shaded and blinks marked."""
    plt = _pyplot()
    recording = analysis.recording
    moves = region_movements(recording, analysis.segmentation.baseline)
    t = np.asarray(recording.time_s, dtype=float)
    blink = recording.blink_mask(pad_s=0.0)
    tasks = sorted({s.task for s in analysis.segmentation.segments})
    fig, axes = plt.subplots(len(MEASURED_REGIONS), 1,
                             figsize=(11, 1.55 * len(MEASURED_REGIONS) + 1),
                             sharex=True)
    for ax, region in zip(axes, MEASURED_REGIONS):
        for segment in analysis.segmentation.segments:
            ax.axvspan(segment.start_s, segment.end_s, color=_task_colour(segment.task, tasks),
                       alpha=0.9, lw=0)
        for side in SIDES:
            ax.plot(t, moves[side][region], color=SIDE_COLOURS[side], lw=1.2,
                    label=f"patient's {side}")
        if region == "eye" and blink.any():
            ax.plot(t[blink], np.zeros(blink.sum()), "k|", ms=8, label="blink (both eyes)")
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_ylabel(f"{region.replace('_', ' ')}\n(mm)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(loc="upper right", fontsize=7, ncol=3)
    top = axes[0]
    for segment in analysis.segmentation.segments:
        label = segment.task.replace("_", " ")
        if segment.method == "unguided" and segment.task not in ("rest", COMPOUND):
            label += f" ({segment.confidence:.0%})"
        top.annotate(label, ((segment.start_s + segment.end_s) / 2, 1.02),
                     xycoords=("data", "axes fraction"), ha="center", va="bottom", fontsize=7,
                     rotation=20)
    axes[-1].set_xlabel("time (s)")
    meanings = "; ".join(f"{r.replace('_', ' ')}: {REGION_SIGNALS[r].meaning}"
                         for r in ("eye", "nasolabial", "chin"))
    fig.suptitle(f"Region movement from rest, per side ({analysis.segmentation.method} "
                 f"segmentation)", fontsize=10)
    fig.text(0.01, 0.005, meanings, fontsize=6, color="0.3")
    fig.tight_layout(rect=(0, 0.02, 1, 0.95))
    _save(fig, path, dpi=110)
    plt.close(fig)
    return Path(path)


def finding_caption(analysis: Any, finding: Any) -> str:
    """A finding's call with its interval, as the figures print it: ``uncertain
    (none..severe), index 2.10 points (90 % 0.28..4.35)``. Reads a live analysis
    (``analysis.uncertainty``) or a stored one (the finding's ``interval``); "no interval"
    where there is none."""
    severity = str(finding.severity)
    span = getattr(finding, "severity_range", None)
    if severity == "uncertain" and span:
        severity += f" ({span[0]}..{span[1]})"
    if not np.isfinite(finding.index):
        return severity
    interval = getattr(finding, "interval", None)
    uncertainty = getattr(analysis, "uncertainty", None)
    if uncertainty is not None and finding.pattern in uncertainty.indices:
        found = uncertainty.indices[finding.pattern]
        interval = (found.low, found.high, found.level)
    return f"{severity}, index {finding.index:.2f} points ({_bounds(interval)})"


def _bounds(interval: Any) -> str:
    if interval is None:
        return "no interval"
    coverage = "" if interval[2] is None else f"{interval[2]:.0%} ".replace("%", " %")
    return f"{coverage}{interval[0]:.2f}..{interval[1]:.2f}"


def _both_sides(analysis: Any, finding: Any) -> str:
    """A finding's call, and the other side's after it when no affected side is named."""
    other = other_side_caption(analysis, finding)
    if not other:
        return finding_caption(analysis, finding)
    return f"{finding.side} side: {finding_caption(analysis, finding)}, {other}"


def other_side_caption(analysis: Any, finding: Any) -> str:
    """The call about the other side of a face with no affected side named, as the figures
    print it: ``right side: uncertain (none..moderate), index 1.23 points (90 % -0.06..2.22)``;
    "" when the finding has none (a side named, a withheld finding). Reads a live
    :class:`synkinesis.findings.SideCall` or a stored one alike."""
    other = getattr(finding, "other_side", None)
    if other is None:
        return ""
    severity = str(other.severity)
    if severity == "uncertain" and other.severity_range:
        severity += f" ({other.severity_range[0]}..{other.severity_range[1]})"
    if not np.isfinite(other.index):
        return f"{other.side} side: {severity}"
    interval = None
    if other.low is not None and other.high is not None:
        uncertainty = getattr(analysis, "uncertainty", None)
        own = getattr(finding, "interval", None)
        level = (uncertainty.level if uncertainty is not None
                 else None if own is None else own[2])
        interval = (other.low, other.high, level)
    return f"{other.side} side: {severity}, index {other.index:.2f} points ({_bounds(interval)})"


def plot_coupling(analysis: Any, path: Path) -> Path:
    """Coupling heatmaps: normalised movement (fraction of each region's voluntary range) for
    each side, and affected minus healthy; cells annotated in mm."""
    plt = _pyplot()
    coupling = analysis.coupling
    affected = analysis.affected.side or analysis.affected.leaning
    regions = [r for r in coupling.regions if r != "neck"]
    cols = [coupling.regions.index(r) for r in regions]
    fig, axes = plt.subplots(1, 3, figsize=(15, 1.2 + 0.55 * max(len(coupling.tasks), 1)))
    if not coupling.tasks:
        for ax in axes:
            ax.text(0.5, 0.5, "no protocol task found", ha="center", va="center")
            ax.axis("off")
    else:
        panels = [("patient's left", coupling.normalised["left"][:, cols],
                   coupling.movement_mm["left"][:, cols], "viridis", (0, 1)),
                  ("patient's right", coupling.normalised["right"][:, cols],
                   coupling.movement_mm["right"][:, cols], "viridis", (0, 1)),
                  (f"{affected} - other side" + ("" if analysis.affected.side else
                                                 " (no side named; the other side's "
                                                 "is its negative)"),
                   coupling.difference(affected)[:, cols],
                   coupling.difference(affected, normalised=False)[:, cols], "RdBu_r",
                   (-0.5, 0.5))]
        for ax, (title, values, mm, cmap, (lo, hi)) in zip(axes, panels):
            image = ax.imshow(values, cmap=cmap, vmin=lo, vmax=hi, aspect="auto")
            ax.set_xticks(range(len(regions)),
                          [r.replace("_", "\n") for r in regions], fontsize=7)
            ax.set_yticks(range(len(coupling.tasks)),
                          [t.replace("_", " ") for t in coupling.tasks], fontsize=7)
            ax.set_title(title, fontsize=9)
            for i in range(values.shape[0]):
                for j in range(values.shape[1]):
                    if np.isfinite(mm[i, j]):
                        ax.text(j, i, f"{mm[i, j]:.1f}", ha="center", va="center", fontsize=6,
                                color="w" if cmap == "viridis" and values[i, j] < 0.5 else "k")
            fig.colorbar(image, ax=ax, fraction=0.04)
    fig.suptitle("Coupling matrix: movement in each task as a fraction of the region's "
                 "voluntary range (numbers: mm). Neck: not measurable with face landmarks.",
                 fontsize=9)
    resting = getattr(analysis, "resting", None)
    named = analysis.affected.side is not None
    calls = [f"{f.pattern.replace('_', '-')}: {_both_sides(analysis, f)}"
             for f in (*analysis.findings, *([resting] if resting is not None else []))
             if np.isfinite(f.index)]
    fig.text(0.01, 0.005, ("Findings (affected side, 90 % interval): " if named else
                           "Findings (no affected side named: each side's call, that side "
                           "taken as affected, 90 % interval): ") + "; ".join(calls)
             if calls else "No measurable finding.", fontsize=6, color="0.2", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 0.93))
    _save(fig, path, dpi=110)
    plt.close(fig)
    return Path(path)


def source_video(measurement: Any) -> Path | None:
    """The video a measurement was made from, for drawing its frames, or None.

    A result stores its video's full path only when asked to (``--keep-paths``); otherwise
    its file name, looked for beside the result file and taken only when its content sha256
    is the recorded one (another patient's video of the same name must not be drawn under
    these landmarks).
    """
    source = measurement.manifest.source
    files = source.files or ()
    if source.kind != "video" or not files:
        return None
    named = Path(files[0])
    if named.is_absolute():
        return named if named.is_file() else None
    if measurement.path is None:
        return None
    candidate = Path(measurement.path).parent / named.name
    recorded = (source.sha256 or (None,))[0]
    if not candidate.is_file() or recorded is None:
        return None
    from synkinesis.measure import file_sha256

    return candidate if file_sha256(candidate) == recorded else None


def _read_frame(video: Path | None, frame_number: int, turns: int = 0) -> np.ndarray | None:
    """Frame ``frame_number`` of ``video`` as RGB, turned ``turns`` quarter turns
    counter-clockwise as it was for landmarking (None when it cannot be read)."""
    if video is None or not Path(video).is_file():
        return None
    from synkinesis.landmarks.orientation import turn
    from synkinesis.landmarks.sources import InputError, iter_video

    try:  # the same frame numbering (presentation order) and seeking as the landmark pass
        frame = next(iter(iter_video(Path(video), fps=30.0, start=int(frame_number),
                                     stop=int(frame_number) + 1)), None)
    except InputError:
        return None
    return None if frame is None else turn(frame.rgb, turns)


_PATTERN_POINTS = {
    "eye": ("eye_contour",), "mouth_corner": ("mouth_corner",), "chin": ("chin",),
    "nasolabial": ("alar_base", "mouth_corner"), "lower_lip": ("lower_lip", "mouth_corner"),
    "brow": ("brow",), "upper_lip": ("upper_lip",),
}


def _region_points(region: str, side: str) -> list[int]:
    marks = SIDE_LANDMARKS[side]  # type: ignore[index]
    out: list[int] = []
    for name in _PATTERN_POINTS.get(region, ()):
        value = getattr(marks, name)
        out.extend([value] if isinstance(value, int) else list(value))
    return out


def _rest_frame(analysis: Any) -> int:
    """The middle usable frame of the rest spans (0 when there is none)."""
    recording = analysis.recording
    frames = np.flatnonzero(analysis.segmentation.rest.mask(recording.time_s) & recording.usable)
    return int(frames[len(frames) // 2]) if frames.size else 0


def plot_key_frame(analysis: Any, finding: Any, landmarks_px: np.ndarray, frame_numbers:
                   np.ndarray, video: Path | None, path: Path, *, mirrored: bool = False,
                   turns: int = 0) -> Path:
    """The rest frame and the key frame of ``finding`` side by side, landmarks drawn, the
    pattern's region outlined on both sides (affected side solid)."""
    plt = _pyplot()
    from synkinesis.findings import PATTERNS

    recording = analysis.recording
    t = np.asarray(recording.time_s, dtype=float)
    rest_index = _rest_frame(analysis)
    key = finding.evidence[0]
    region = next((p.region for p in PATTERNS if p.name == finding.pattern), "eye")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    for ax, index, title in ((axes[0], rest_index, f"rest ({t[rest_index]:.2f} s)"),
                             (axes[1], key.peak_frame,
                              f"{key.task.replace('_', ' ')} ({t[key.peak_frame]:.2f} s)")):
        points = landmarks_px[index]
        image = _read_frame(video, int(frame_numbers[index]), turns)
        if image is not None and mirrored:  # landmarks were mirrored to the patient's view
            image = image[:, ::-1]
        finite = np.isfinite(points).all(axis=1)
        if image is not None:
            ax.imshow(image)
        if finite.any():
            ax.scatter(points[finite, 0], points[finite, 1], s=0.6, c="w" if image is not None
                       else "0.6", alpha=0.5)
            for side in SIDES:
                ids = _region_points(region, side)
                xy = points[ids]
                style = dict(s=14, c=SIDE_COLOURS[side],
                             edgecolors="k" if side == finding.side else "none",
                             label=f"patient's {side}")
                ax.scatter(xy[:, 0], xy[:, 1], **style)
            x0, y0 = np.nanmin(points[finite], axis=0)[:2]
            x1, y1 = np.nanmax(points[finite], axis=0)[:2]
            pad = 0.15 * max(x1 - x0, y1 - y0)
            ax.set_xlim(x0 - pad, x1 + pad)
            ax.set_ylim(y1 + pad, y0 - pad)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    axes[1].legend(loc="lower right", fontsize=7)
    fig.suptitle(
        f"{finding.label}\n{finding.side} side: {finding_caption(analysis, finding)} "
        f"(excess {key.excess_mm:.2f} mm over the other side, {key.task.replace('_', ' ')};"
        f" confidence {finding.confidence:.0%})" + (" - PROXY" if finding.proxy else "")
        + "".join(f"\n{o}" for o in [other_side_caption(analysis, finding)] if o),
        fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    _save(fig, path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_rest_frame(analysis: Any, landmarks_px: np.ndarray, frame_numbers: np.ndarray,
                    video: Path | None, path: Path, *, mirrored: bool = False,
                    turns: int = 0) -> Path:
    """The middle rest frame with the eye outline, the alar-base-to-corner line and the mouth
    corner of each side drawn: what the resting-tightness finding compares."""
    plt = _pyplot()
    recording = analysis.recording
    t = np.asarray(recording.time_s, dtype=float)
    rest = analysis.segmentation.rest
    index = _rest_frame(analysis)
    points = landmarks_px[index]
    image = _read_frame(video, int(frame_numbers[index]), turns)
    if image is not None and mirrored:
        image = image[:, ::-1]
    finding = analysis.resting
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    if image is not None:
        ax.imshow(image)
    finite = np.isfinite(points).all(axis=1)
    if finite.any():
        for side in SIDES:
            marks = SIDE_LANDMARKS[side]  # type: ignore[index]
            colour = SIDE_COLOURS[side]
            eye = points[list(marks.eye_contour) + [marks.eye_contour[0]]]
            ax.plot(eye[:, 0], eye[:, 1], color=colour, lw=1.2, label=f"patient's {side}")
            fold = points[[marks.alar_base, marks.mouth_corner]]
            ax.plot(fold[:, 0], fold[:, 1], color=colour, lw=1.2, ls="--")
            ax.scatter(*points[marks.mouth_corner, :2], s=25, c=colour,
                       edgecolors="k" if side == finding.side else "none")
        x0, y0 = np.nanmin(points[finite], axis=0)[:2]
        x1, y1 = np.nanmax(points[finite], axis=0)[:2]
        pad = 0.15 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y1 + pad, y0 - pad)
    ax.axis("off")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title(f"rest ({t[index]:.2f} s){' - quietest span, flagged' if rest.flagged else ''}"
                 f"\nresting tightness, {finding.side} side: "
                 f"{finding_caption(analysis, finding)}"
                 + "".join(f"; {o}" for o in [other_side_caption(analysis, finding)] if o)
                 + f"\n{finding.note}", fontsize=8)
    fig.tight_layout()
    _save(fig, path, dpi=100)
    plt.close(fig)
    return Path(path)


def save_figures(analysis: Any, measurement: Any, directory: Path, *, stem: str,
                 key_frames: bool = True, video: Path | None = None) -> tuple[Path, ...]:
    """Write the signals and coupling figures, the rest frame (resting tightness) and one
    key-frame figure per measurable finding.

    ``video``: the recording to draw the key frames from; default :func:`source_video`.

    Returns the written paths."""
    from synkinesis.files import make_private_dir

    directory = make_private_dir(directory)
    written = [plot_signals(analysis, directory / f"{stem}-signals.png"),
               plot_coupling(analysis, directory / f"{stem}-coupling.png")]
    if not key_frames:
        return tuple(written)
    findings = [f for f in analysis.findings if f.evidence]
    try:
        landmarks = measurement.load_landmarks()
    except Exception:  # noqa: BLE001 - figures are optional; a missing landmark array skips them
        return tuple(written)
    video = video or source_video(measurement)
    frame_numbers = np.asarray(measurement.frames["frame"])
    mirrored = measurement.manifest.landmarks.mirrored_input_corrected
    # The landmarks are in the pixels of the frames as landmarked (turned upright).
    turns = int((measurement.manifest.source.orientation or {}).get(
        "quarter_turns_ccw", 0))
    written.append(plot_rest_frame(analysis, landmarks, frame_numbers, video,
                                   directory / f"{stem}-keyframe-resting_tightness.png",
                                   mirrored=mirrored, turns=turns))
    for finding in findings:
        written.append(plot_key_frame(
            analysis, finding, landmarks, frame_numbers, video,
            directory / f"{stem}-keyframe-{finding.pattern}.png", mirrored=mirrored,
            turns=turns))
    return tuple(written)
