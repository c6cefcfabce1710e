"""The result file's manifest as a typed, versioned value: read and written here only.

:class:`Manifest` is what ``manifest.json`` in a ``.synk`` holds; :meth:`Manifest.from_dict`
reads the current format (after :func:`upgrade` has brought an older one up to it) and
:meth:`Manifest.to_dict` writes it. Sections that carry a decision a later step uses (scale,
rest, refinement offsets, frame counts, signal definitions) are typed; sections that only
describe (the options, the flag and source code tables, the platform, a video's container
details) stay mappings.

Format history
--------------
1 (package 0.1.0): first version.
2 (issue 17): ``rest.rows`` stores the frames taken as rest (runs of frame rows), so that no
  later step recomputes them; a version 1 file gets them on read from the rule that chose them
  (:func:`upgrade`).
  Optional section added within version 2 (issue 18): ``resolution``, the smallest change the
  recording can resolve per region (:class:`Resolution`); a file without it reads as None.
3 (issue 20): the per-frame table is ``frames.npy`` (a NumPy structured array) instead of
  ``frames.parquet``, so that the core needs no pyarrow; the manifest is unchanged (a version 2
  file is read, with pyarrow, as it is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from synkinesis.signals import SignalDefinition

FORMAT_NAME = "synkinesis.measure"
FORMAT_VERSION = 3


class ResultFileError(ValueError):
    """A file that is not a readable measure result."""


@dataclass(frozen=True)
class Package:
    """The software that wrote the file."""

    name: str
    version: str


@dataclass(frozen=True)
class Engine:
    """The landmark engine and the method it ran (:data:`synkinesis.measure.METHODS`)."""

    name: str
    version: str
    model_sha256: str | None
    method: str | None = None
    method_meaning: str | None = None
    #: the signals were smoothed here (the engine tracked without its own smoothing)
    smooth_signals: bool = False
    #: anything else an engine reports (the simulator's own fields)
    extra: Mapping[str, Any] = field(default_factory=dict)

    _FIELDS: ClassVar[tuple[str, ...]] = ("name", "version", "model_sha256", "method",
                                          "method_meaning", "smooth_signals")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Engine:
        return cls(name=raw["name"], version=raw["version"],
                   model_sha256=raw.get("model_sha256"), method=raw.get("method"),
                   method_meaning=raw.get("method_meaning"),
                   smooth_signals=bool(raw.get("smooth_signals", False)),
                   extra={k: v for k, v in raw.items() if k not in cls._FIELDS})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version,
                               "model_sha256": self.model_sha256}
        if self.method is not None:  # the measure step's engines; another producer's has none
            out.update(method=self.method, method_meaning=self.method_meaning,
                       smooth_signals=self.smooth_signals)
        return {**out, **self.extra}


@dataclass(frozen=True)
class Source:
    """The input: ``kind`` (video, images, camera, or another producer's own), a description,
    file names (or full paths with ``keep_paths``) and their content sha256.

    ``video``: the container's description (width, height, fps, frame count, ...);
    ``orientation``: how the frames were turned upright; ``truncated``: how far a truncated
    video decoded; ``extra``: anything else (a camera's device and duration, ...)."""

    kind: str | None
    description: str
    files: tuple[str, ...] | None = None
    sha256: tuple[str, ...] | None = None
    video: Mapping[str, Any] | None = None
    orientation: Mapping[str, Any] | None = None
    truncated: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _FIELDS: ClassVar[tuple[str, ...]] = ("kind", "description", "files", "sha256", "video",
                                          "orientation", "truncated")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Source:
        files, sha = raw.get("files"), raw.get("sha256")
        return cls(kind=raw.get("kind"), description=str(raw["description"]),
                   files=None if files is None else tuple(files),
                   sha256=None if sha is None else tuple(sha),
                   video=raw.get("video"), orientation=raw.get("orientation"),
                   truncated=raw.get("truncated"),
                   extra={k: v for k, v in raw.items() if k not in cls._FIELDS})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.kind is None else {"kind": self.kind}
        out["description"] = self.description
        if self.files is not None:
            out["files"] = list(self.files)
        if self.sha256 is not None:
            out["sha256"] = list(self.sha256)
        for name in ("video", "orientation", "truncated"):
            if getattr(self, name) is not None:
                out[name] = dict(getattr(self, name))
        return {**out, **self.extra}


@dataclass(frozen=True)
class FrameCounts:
    count: int
    usable: int
    with_face: int


@dataclass(frozen=True)
class ScaleRecord:
    """Millimetres per head-frame unit and how they were measured
    (:class:`synkinesis.normalize.Scale`, plus which frames)."""

    mm_per_unit: float
    method: str  # "iris" | "interpupil"
    reference_mm: float
    measured_units: float
    frames_used: int
    frames: str


@dataclass(frozen=True)
class Rest:
    """The rest frames and the resting value of every signal.

    ``rows``: the frames taken as rest, as runs ``(start, stop)`` of frame rows (stop
    exclusive), or None when unknown (a version 1 file whose rule cannot be replayed).
    """

    method: str
    frames: int
    reference: Mapping[str, float]
    rows: tuple[tuple[int, int], ...] | None
    span_s: tuple[float, float] | None = None
    max_activity: float | None = None

    def to_dict(self, *, with_rows: bool = True) -> dict[str, Any]:
        """As ``manifest.json`` holds it (``with_rows=False``: as version 1 did, the summary
        a clinician reads)."""
        return {"method": self.method,
                **({"span_s": list(self.span_s)} if self.span_s is not None else {}),
                "frames": self.frames,
                **({"max_activity": self.max_activity} if self.max_activity is not None
                   else {}),
                "reference": dict(self.reference),
                **({"rows": None if self.rows is None else [list(r) for r in self.rows]}
                   if with_rows else {})}

    def mask(self, n_frames: int) -> np.ndarray | None:
        """(N,) bool: the rest frames, or None when not known."""
        if self.rows is None:
            return None
        mask = np.zeros(n_frames, dtype=bool)
        for start, stop in self.rows:
            mask[start:stop] = True
        return mask


@dataclass(frozen=True)
class RefinementOffsets:
    """The pixel refinements' resting offsets taken off every frame (signal -> its unit)."""

    values: Mapping[str, float]
    meaning: str
    given: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionResolution:
    """One region's rest noise and the smallest change resolvable in it, mm (None when the
    region's signals were not measured at rest)."""

    noise_mm: float | None
    resolvable_mm: float | None


@dataclass(frozen=True)
class Resolution:
    """The smallest change this recording can resolve, per region (issue 18).

    ``px_per_mm``: image pixels per mm at the face (median iris diameter in pixels over the
    usable frames / the iris' diameter in mm). ``pixel_floor_px``: the smallest movement, in
    pixels, that the landmarks and pixel refinements are taken to resolve; ``noise_factor``:
    the resolvable change is at least this many times the rest noise. Per region,
    ``resolvable_mm = max(pixel_floor_px / px_per_mm, noise_factor * noise_mm)``.
    """

    px_per_mm: float
    pixel_floor_px: float
    noise_factor: float
    regions: Mapping[str, RegionResolution]
    meaning: str = ""

    def resolvable_mm(self, region: str) -> float | None:
        """The smallest change (mm) resolvable in ``region`` (a name of
        :data:`synkinesis.regions.REGIONS`), or None when it was not measured."""
        entry = self.regions.get(region)
        return None if entry is None else entry.resolvable_mm

    def to_dict(self) -> dict[str, Any]:
        return {"px_per_mm": self.px_per_mm, "pixel_floor_px": self.pixel_floor_px,
                "noise_factor": self.noise_factor, "meaning": self.meaning,
                "regions": {name: asdict(entry) for name, entry in self.regions.items()}}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Resolution:
        return cls(px_per_mm=float(raw["px_per_mm"]),
                   pixel_floor_px=float(raw["pixel_floor_px"]),
                   noise_factor=float(raw["noise_factor"]),
                   regions={name: RegionResolution(
                       noise_mm=None if entry["noise_mm"] is None else float(entry["noise_mm"]),
                       resolvable_mm=(None if entry["resolvable_mm"] is None
                                      else float(entry["resolvable_mm"])))
                       for name, entry in dict(raw["regions"]).items()},
                   meaning=str(raw.get("meaning", "")))


@dataclass(frozen=True)
class LandmarkArray:
    """What ``landmarks.npy`` holds."""

    shape: tuple[int, int, int]
    units: str
    side_convention: str
    mirrored_input_corrected: bool


@dataclass(frozen=True)
class Manifest:
    """A result file's manifest (format :data:`FORMAT_VERSION`).

    ``upgraded_from`` is the format version the file was written in when it was older (not
    written back)."""

    package: Package
    created_utc: str
    engine: Engine
    source: Source
    options: Mapping[str, Any]
    frames: FrameCounts
    scale: ScaleRecord
    rest: Rest
    signals: tuple[SignalDefinition, ...]
    flags: Mapping[str, Mapping[str, Any]]
    unusable_flags: tuple[str, ...]
    flag_counts: Mapping[str, int]
    blendshape_names: tuple[str, ...]
    pose_columns: tuple[str, ...]
    landmarks: LandmarkArray
    platform: Mapping[str, str]
    signal_smoothing: Mapping[str, Any] | None = None
    refinement_rest_offsets: RefinementOffsets | None = None
    landmark_sources: Mapping[str, Any] | None = None
    resolution: Resolution | None = None
    upgraded_from: int | None = field(default=None, compare=False)
    format: ClassVar[str] = FORMAT_NAME

    @property
    def file_format_version(self) -> int:
        """The format version the file was written in (before any upgrade on read)."""
        return self.upgraded_from or FORMAT_VERSION

    @property
    def signal_names(self) -> list[str]:
        return [definition.name for definition in self.signals]

    def resolvable_change_mm(self, region: str) -> float | None:
        """The smallest change (mm) this recording resolves in ``region``, or None (not
        measured there, or a file written before issue 18): :class:`Resolution`."""
        return None if self.resolution is None else self.resolution.resolvable_mm(region)

    def to_dict(self) -> dict[str, Any]:
        """The JSON content of ``manifest.json``."""
        offsets = self.refinement_rest_offsets
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "package": asdict(self.package),
            "created_utc": self.created_utc,
            "engine": self.engine.to_dict(),
            "source": self.source.to_dict(),
            "options": dict(self.options),
            "frames": asdict(self.frames),
            "scale": asdict(self.scale),
            "rest": self.rest.to_dict(),
            **({"signal_smoothing": dict(self.signal_smoothing)}
               if self.signal_smoothing is not None else {}),
            **({"refinement_rest_offsets": {
                "meaning": offsets.meaning, "values": dict(offsets.values),
                **({"given": list(offsets.given)} if offsets.given else {})}}
               if offsets is not None else {}),
            "signals": [asdict(d) for d in self.signals],
            "flags": {name: dict(value) for name, value in self.flags.items()},
            "unusable_flags": list(self.unusable_flags),
            "flag_counts": dict(self.flag_counts),
            "blendshape_names": list(self.blendshape_names),
            **({"landmark_sources": dict(self.landmark_sources)}
               if self.landmark_sources is not None else {}),
            **({"resolution": self.resolution.to_dict()}
               if self.resolution is not None else {}),
            "pose_columns": list(self.pose_columns),
            "landmarks": {**asdict(self.landmarks), "shape": list(self.landmarks.shape)},
            "platform": dict(self.platform),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, upgraded_from: int | None = None) -> Manifest:
        """Read the content of a current-format ``manifest.json``.

        Raises
        ------
        ResultFileError
            A section missing or of the wrong type (the message names it).
        """
        try:
            rest, scale = raw["rest"], raw["scale"]
            offsets = raw.get("refinement_rest_offsets")
            landmarks = raw["landmarks"]
            return cls(
                package=Package(**raw["package"]),
                created_utc=str(raw.get("created_utc", "")),
                engine=Engine.from_dict(raw["engine"]),
                source=Source.from_dict(raw["source"]),
                options=dict(raw.get("options") or {}),
                frames=FrameCounts(**raw["frames"]),
                scale=ScaleRecord(**scale),
                rest=Rest(method=rest["method"], frames=int(rest["frames"]),
                          reference=dict(rest["reference"]),
                          rows=(None if rest.get("rows") is None
                                else tuple((int(a), int(b)) for a, b in rest["rows"])),
                          span_s=(None if rest.get("span_s") is None
                                  else (float(rest["span_s"][0]), float(rest["span_s"][1]))),
                          max_activity=rest.get("max_activity")),
                signals=tuple(SignalDefinition(**d) for d in raw["signals"]),
                flags=dict(raw.get("flags") or {}),
                unusable_flags=tuple(raw.get("unusable_flags") or ()),
                flag_counts=dict(raw.get("flag_counts") or {}),
                blendshape_names=tuple(raw.get("blendshape_names") or ()),
                pose_columns=tuple(raw.get("pose_columns") or ()),
                landmarks=LandmarkArray(
                    shape=tuple(landmarks["shape"]), units=landmarks["units"],
                    side_convention=landmarks["side_convention"],
                    mirrored_input_corrected=bool(landmarks["mirrored_input_corrected"])),
                platform=dict(raw.get("platform") or {}),
                signal_smoothing=raw.get("signal_smoothing"),
                refinement_rest_offsets=(None if offsets is None else RefinementOffsets(
                    values=dict(offsets["values"]), meaning=offsets.get("meaning", ""),
                    given=tuple(offsets.get("given") or ()))),
                landmark_sources=raw.get("landmark_sources"),
                resolution=(None if raw.get("resolution") is None
                            else Resolution.from_dict(raw["resolution"])),
                upgraded_from=upgraded_from,
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise ResultFileError(f"its manifest lacks a section or has one of the wrong type "
                                  f"({type(error).__name__}: {error})") from None


def rest_rows(mask: np.ndarray) -> tuple[tuple[int, int], ...]:
    """Runs ``(start, stop)`` (stop exclusive) of the True rows of an (N,) bool mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.asarray(mask, dtype=np.int8), [0]])))
    return tuple((int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]))


def upgrade(raw: Mapping[str, Any], *, time_s: np.ndarray, flags: np.ndarray,
            blendshapes: np.ndarray) -> tuple[dict[str, Any], int]:
    """A manifest of any readable format version brought to :data:`FORMAT_VERSION`, and the
    version it had. The file's per-frame arrays are needed for version 1's rest frames.

    1 -> 2: ``rest.rows`` from the rule the measure step of version 1 used, as its analysis
    replayed it: a given span's usable frames with both halves seen; else those frames with
    both eyes open (all of them when none) whose summed expression blendshapes are at most
    ``max_activity``; None when neither applies or no frame qualifies.
    """
    out = dict(raw)
    version = int(out.get("format_version", 1))
    if version < 2:
        rest = dict(out.get("rest") or {})
        mask = _version1_rest(rest, np.asarray(time_s, dtype=float),
                              np.asarray(flags, dtype=np.int64), blendshapes,
                              tuple(out.get("blendshape_names") or ()))
        rest["rows"] = None if mask is None or not mask.any() else [
            list(run) for run in rest_rows(mask)]
        out["rest"] = rest
    out["format_version"] = FORMAT_VERSION
    return out, version


def _version1_rest(rest: Mapping[str, Any], time_s: np.ndarray, flags: np.ndarray,
                   blendshapes: np.ndarray | None, names: Sequence[str]) -> np.ndarray | None:
    from synkinesis.measure.calibrate import expression_activity
    from synkinesis.quality import UNUSABLE, FrameFlag

    hidden = int(FrameFlag.HIDDEN_LEFT | FrameFlag.HIDDEN_RIGHT)
    seen = ((flags & int(UNUSABLE)) == 0) & ((flags & hidden) == 0)
    span = rest.get("span_s")
    if isinstance(span, list | tuple) and len(span) == 2:
        start, stop = (float(v) for v in span)
        return seen & (time_s >= start) & (time_s <= stop)
    if "max_activity" not in rest or blendshapes is None or not names:
        return None
    activity = expression_activity(np.asarray(blendshapes, dtype=float), names)
    eyes_open = (flags & int(FrameFlag.EYE_CLOSED_LEFT | FrameFlag.EYE_CLOSED_RIGHT)) == 0
    candidates = seen & eyes_open if (seen & eyes_open).any() else seen
    return candidates & (activity <= float(rest["max_activity"]) + 1e-9)
