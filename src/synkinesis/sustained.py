"""The best sustained level of a series, and the jitter inside a hold. Pure array maths.

"Sustained" means held for a minimum number of consecutive frames: the best window of that
length, the one whose lowest frame is highest, read as that lowest frame or as the window's mean
(:func:`sustained_level`), so single-frame landmark noise never makes a coupling cell.
:func:`sustained_jitter_mm` measures the frame-to-frame
jitter of a series inside a hold (the sustained noise floor of
:class:`synkinesis.coupling.CouplingOptions`); :func:`windowed_spread_mm` the spread of a
series' means over windows of the held length (the window noise floor); :func:`trim_mean` the
trimmed mean both the measure step and the coupling read held levels with. Split from
:mod:`synkinesis.coupling`, which re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WINDOW_READS", "Sustained", "sustained_jitter_mm", "sustained_level",
           "sustained_levels", "windowed_spread_mm", "trim_mean"]


def trim_mean(values: np.ndarray, proportion: float) -> float:
    """Mean of ``values`` (flattened) without the ``int(proportion * n)`` lowest and highest,
    as ``scipy.stats.trim_mean`` computes it (the same partition, the same numbers; NaN when
    empty), without its per-call overhead and without importing scipy.stats: the coupling
    calls it for every co-movement cell of every resampled recording (scipy's made an analysis
    half as long again), and the measure step, which does not import scipy.stats, for its
    resting levels and the iris scale."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        return float("nan")
    low = int(proportion * values.size)
    if low == 0:
        return float(values.mean())
    high = values.size - low
    return float(np.partition(values, (low, high - 1))[low:high].mean())


#: How the level of a held window is read (:func:`sustained_level`): "minimum", the level
#: exceeded in every frame of the window; "mean", the mean of the window's frames (the window
#: is chosen by its minimum either way, so it is still held throughout).
WINDOW_READS: tuple[str, ...] = ("minimum", "mean")


@dataclass(frozen=True)
class Sustained:
    """The best sustained level of a series over a task.

    Attributes
    ----------
    value : float
        Level of the best window (NaN when no usable frame): held in every frame of it
        (``read="minimum"``) or the mean of its frames (``read="mean"``).
    start, stop : int
        Frame indices of that window ``[start, stop)``.
    peak : int
        Frame of the largest value inside the window.
    full_window : bool
        False when the task had fewer consecutive usable frames than the minimum duration
        (the value is then the level over the longest run: less trustworthy).
    """

    value: float
    start: int
    stop: int
    peak: int
    full_window: bool


def sustained_level(values: np.ndarray, mask: np.ndarray, width: int,
                    read: str = "minimum") -> Sustained:
    """Largest level held for ``width`` consecutive frames of ``values`` inside ``mask``.

    The window is the one whose lowest frame is highest (held throughout). ``read="minimum"``
    gives that lowest frame; ``read="mean"`` the mean of the window's frames. Under white
    noise of SD s the minimum of ``width`` frames sits below the level the window holds (about
    1.4 s for 8 frames, less after choosing the best of many windows: 0.6 s for a 30-frame
    plateau), while the rest baseline a movement is measured from is a median; the window's
    mean is not pulled down by its lowest frame (docs/analysis.md).
    Parameters
    ----------
    values : (N,) float array
        NaN frames break windows.
    mask : (N,) bool array
        Frames of the task.
    width : int
        Window length in frames (>= 1).
    read : {"minimum", "mean"}
        How the chosen window's level is read (:data:`WINDOW_READS`).

    Returns
    -------
    Sustained
        ``max over windows of min over the window`` (or that window's mean).
    """
    _check_read(read)
    mask = np.asarray(mask, dtype=bool)
    inside = np.flatnonzero(mask)
    if inside.size == 0:
        return Sustained(float("nan"), 0, 0, 0, False)
    # Only the span of the task is searched (the intervals run this per cell many times).
    offset, end = int(inside[0]), int(inside[-1]) + 1
    v = np.where(mask[offset:end], np.asarray(values, dtype=float)[offset:end], np.nan)
    finite = np.isfinite(v)
    if not finite.any():
        return Sustained(float("nan"), 0, 0, 0, False)
    padded = np.concatenate([[False], finite, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    longest = int((edges[1::2] - edges[::2]).max())
    full = longest >= width
    width = max(1, min(width, longest))
    filled = np.where(finite, v, -np.inf)
    if width == 1:
        minima = filled
    else:
        from numpy.lib.stride_tricks import sliding_window_view

        minima = sliding_window_view(filled, width).min(axis=1)
    start = int(np.argmax(minima))
    value = float(minima[start])
    stop = start + width
    if read == "mean":
        value = float(filled[start:stop].mean())
    peak = start + int(np.argmax(filled[start:stop]))
    return Sustained(value, offset + start, offset + stop, offset + peak, full)


def sustained_levels(values: np.ndarray, masks: np.ndarray, width: int,
                     read: str = "minimum") -> list[Sustained]:
    """:func:`sustained_level` of many series at once (one result per row, the same numbers):
    the coupling computes some thirty per task, and the intervals repeat the coupling a hundred
    times.

    Parameters
    ----------
    values : (K, N) float array
    masks : (K, N) bool array
    width : int
    read : {"minimum", "mean"}
        How each chosen window's level is read (:func:`sustained_level`).
    """
    _check_read(read)
    values = np.asarray(values, dtype=float)
    masks = np.asarray(masks, dtype=bool)
    out: list[Sustained | None] = [None] * values.shape[0]
    inside = np.flatnonzero(masks.any(axis=0))
    if inside.size == 0:
        return [Sustained(float("nan"), 0, 0, 0, False)] * values.shape[0]
    offset, end = int(inside[0]), int(inside[-1]) + 1
    v = np.where(masks[:, offset:end], values[:, offset:end], np.nan)
    finite = np.isfinite(v)
    position = np.arange(v.shape[1])
    # Length of the finite run ending at each frame: distance to the last non-finite frame.
    last_gap = np.maximum.accumulate(np.where(finite, -1, position), axis=1)
    longest = (position - last_gap).max(axis=1) if v.shape[1] else np.zeros(v.shape[0], int)
    batch = np.flatnonzero(longest >= max(width, 1))
    for row in np.flatnonzero(longest < max(width, 1)):
        out[row] = sustained_level(values[row], masks[row], width, read)
    if batch.size:
        from numpy.lib.stride_tricks import sliding_window_view

        filled = np.where(finite[batch], v[batch], -np.inf)
        minima = (sliding_window_view(filled, width, axis=1).min(axis=2) if width > 1
                  else filled)
        starts = np.argmax(minima, axis=1)
        for k, row in enumerate(batch):
            start = int(starts[k])
            peak = start + int(np.argmax(filled[k, start:start + width]))
            value = (float(filled[k, start:start + width].mean()) if read == "mean"
                     else float(minima[k, start]))
            out[row] = Sustained(value, offset + start,
                                 offset + start + width, offset + peak, True)
    return [item for item in out if item is not None]


def _check_read(read: str) -> None:
    if read not in WINDOW_READS:
        raise ValueError(f"read must be one of {', '.join(WINDOW_READS)}, got {read!r}")


#: SD of the second difference ``x[t+1] - 2 x[t] + x[t-1]`` of white noise of SD 1.
_SECOND_DIFFERENCE_SD = float(np.sqrt(6.0))


def sustained_jitter_mm(difference: np.ndarray, hold: np.ndarray) -> float:
    """Robust SD of the frame-to-frame jitter of a series inside ``hold``, mm.

    From the second differences ``x[t+1] - 2 x[t] + x[t-1]`` whose three frames are all in
    ``hold`` and finite (a held or slowly changing level has second differences near 0; white
    jitter of SD s has SD s * sqrt(6)): 1.4826 x their median absolute deviation / sqrt(6).
    NaN with fewer than 5 such frames.

    Parameters
    ----------
    difference : (N,) array
        E.g. the left-right difference of a region's movement, mm.
    hold : (N,) bool array
    """
    x = np.where(np.asarray(hold, dtype=bool), np.asarray(difference, dtype=float), np.nan)
    if x.size < 3:
        return float("nan")
    second = x[2:] - 2.0 * x[1:-1] + x[:-2]
    second = second[np.isfinite(second)]
    if second.size < 5:
        return float("nan")
    mad = float(np.median(np.abs(second - np.median(second))))
    return 1.4826 * mad / _SECOND_DIFFERENCE_SD


def windowed_spread_mm(difference: np.ndarray, mask: np.ndarray, width: int) -> float:
    """Robust SD of a series' means over every ``width`` consecutive frames inside ``mask``, mm.

    The spread of the series at the time scale of a sustained level (:func:`sustained_level`
    holds a level over ``width`` frames): 1.4826 x the median absolute deviation of the means
    of every window of ``width`` consecutive finite frames in ``mask`` (windows overlap; a
    masked-out or NaN frame breaks them). White frame-to-frame jitter of SD s gives about
    s / sqrt(width); a drift slower than the window is not averaged away and keeps its
    spread. NaN with fewer than ``2 * width`` finite frames in ``mask`` or fewer than 3 whole
    windows (too short a stretch to say how the windows spread).

    Parameters
    ----------
    difference : (N,) array
        E.g. the left-right difference of a region's movement over the rest, mm.
    mask : (N,) bool array
    width : int
        Window length in frames (>= 1).
    """
    width = max(1, int(width))
    x = np.where(np.asarray(mask, dtype=bool), np.asarray(difference, dtype=float), np.nan)
    if x.size < width:
        return float("nan")
    finite = np.isfinite(x)
    if int(finite.sum()) < 2 * width:
        return float("nan")
    # Window sums from a cumulative sum; a window is whole when all its frames are finite.
    total = np.concatenate([[0.0], np.cumsum(np.where(finite, x, 0.0))])
    count = np.concatenate([[0], np.cumsum(finite)])
    whole = (count[width:] - count[:-width]) == width
    means = ((total[width:] - total[:-width]) / width)[whole]
    if means.size < 3:
        return float("nan")
    return 1.4826 * float(np.median(np.abs(means - np.median(means))))
