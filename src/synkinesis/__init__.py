"""synkinesis: objective measurement of facial synkinesis.

``import synkinesis`` stays light (no NumPy, MediaPipe, OpenCV or Matplotlib): heavy libraries
are imported inside the functions that need them, and the public API (docs/api.md) is loaded
on first use (PEP 562). A test enforces this.

    >>> import synkinesis
    >>> m = synkinesis.measure_recording("visit.mp4")      # doctest: +SKIP
    >>> synkinesis.analyze(m).findings                      # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it (imported on first access).
_LAZY = {
    "measure_recording": "synkinesis.api",
    "analyze": "synkinesis.api",
    "AnalysisResult": "synkinesis.api",
    "PhotoSetAnalysis": "synkinesis.api",
    "analyze_photos": "synkinesis.api",
    "Measurement": "synkinesis.measure",
    "read_measurement": "synkinesis.measure",
}

__all__ = ["AnalysisResult", "Measurement", "PhotoSetAnalysis", "__version__", "analyze",
           "analyze_photos", "measure_recording", "read_measurement"]

if TYPE_CHECKING:
    from synkinesis.api import (
        AnalysisResult,
        PhotoSetAnalysis,
        analyze,
        analyze_photos,
        measure_recording,
    )
    from synkinesis.measure import Measurement, read_measurement


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synkinesis' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
