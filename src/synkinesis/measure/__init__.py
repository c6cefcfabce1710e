"""The measure step: frames -> landmarks -> calibrated per-side signals -> a result file.

Modules, in the order a measurement runs through them:

``options``
    :class:`MeasureOptions`, the landmarking methods and the names outputs use.
``engines``
    The landmark engine of each method, the face-orientation detector (MediaPipe, lazily).
``landmark_pass``
    Frames -> raw landmarks (spooled to disk), head pose, raw signals, sources, blendshapes.
``calibrate``
    Pure steps: quality flags, covered halves, eye flags, iris scale, rest, the refinements'
    resting level, smoothing (arrays in, arrays out).
``assemble``
    The steps in order, then the per-frame table and manifest written as a result file.
``run``
    One input to one result: files, worker processes, progress.
``outputs``
    Output paths, the output folder check, input file descriptions, the printed summary.
``manifest``
    The typed, versioned manifest of a result file; older formats upgraded on read.
``result_file``
    The ``.synk`` format: reading, writing, CSV export.
``live``
    One camera frame at a time -> region movements (the web's biofeedback); imported on its
    own (``synkinesis.measure.live``), not re-exported here.

The defaults (methods, default method, iris and inter-pupillary mm) are
:mod:`synkinesis.defaults`'.
"""

from __future__ import annotations

from synkinesis.measure.manifest import FORMAT_VERSION, Manifest
from synkinesis.measure.options import (
    BLENDSHAPE_NAMES,
    METHODS,
    REFINED_SIGNALS,
    SOURCE_CODES,
    MeasureError,
    MeasureOptions,
)
from synkinesis.measure.outputs import (
    describe_files,
    file_sha256,
    output_path_for,
    plan_outputs,
    prepare_output,
    summarise_measurement,
)
from synkinesis.measure.result_file import (
    SUFFIX,
    Measurement,
    ResultFileError,
    read_measurement,
    signals_table,
    write_signals_csv,
)
from synkinesis.measure.run import (
    measure_camera,
    measure_frames,
    measure_images,
    measure_job,
    measure_video,
    measurement_from_landmarks,
    truncation,
    why_not_split,
)

__all__ = [
    "BLENDSHAPE_NAMES", "FORMAT_VERSION", "METHODS", "REFINED_SIGNALS", "SOURCE_CODES",
    "SUFFIX", "Manifest", "MeasureError", "MeasureOptions", "Measurement", "ResultFileError",
    "describe_files", "file_sha256", "measure_camera", "measure_frames", "measure_images",
    "measure_job", "measure_video", "measurement_from_landmarks", "output_path_for",
    "plan_outputs", "prepare_output", "read_measurement", "signals_table", "summarise_measurement",
    "truncation", "write_signals_csv", "why_not_split",
]
