"""Nerve-regeneration model and simulator: synthetic patients with known synkinesis.

The cause of synkinesis is modelled directly: after a facial-nerve injury, regrowing axons
sprout and reach the wrong muscles, so one central command drives several muscles. From the
axon-level wiring (:mod:`.nerve`) follow muscle activations per task, region movements on a real
neutral face (:mod:`.face`), a synthetic recording of the protocol (:mod:`.recording`), the
ground-truth coupling matrix and patterns (:mod:`.truth`), the effect of treatments over
time (:mod:`.treatments`), and a fit of the model to a measured patient (:mod:`.fit`).
Everything here is pure; files live in :mod:`.io` (and :mod:`.validation`, which runs the
measure path and the analysis on temporary files).

Names shared with the analysis: :data:`TASKS`, :data:`REGIONS`, :data:`PATTERNS` and
:data:`PATTERN_CELLS` (the analysis' :data:`synkinesis.findings.PATTERNS`, which also grade the
truth).
"""

from synkinesis.simulate.anatomy import (
    BRANCHES,
    MUSCLES,
    REGION_RANGE_TASK,
    REGIONS,
    TASK_DRIVER,
    TASKS,
    Parameter,
)
from synkinesis.simulate.face import NeutralFace, canonical_face_mm, muscle_fields
from synkinesis.simulate.fit import FitResult, fit_patient
from synkinesis.simulate.nerve import (
    SITES,
    DriveState,
    Injury,
    ModelError,
    Nerve,
    RegrowthParameters,
    drive_at,
    regenerate,
)
from synkinesis.simulate.patient import (
    SimulationSpec,
    format_treatment,
    parse_injury,
    parse_treatment,
    predict,
    simulate_patient,
)
from synkinesis.simulate.recording import ProtocolTiming, SyntheticRecording, TaskSpan
from synkinesis.simulate.treatments import (
    Myectomy,
    NerveBlock,
    Neurectomy,
    Retraining,
    Toxin,
    TreatmentError,
)
from synkinesis.simulate.truth import PATTERN_CELLS, PATTERNS, GroundTruth, ground_truth

__all__ = [
    "BRANCHES",
    "DriveState",
    "FitResult",
    "GroundTruth",
    "Injury",
    "MUSCLES",
    "ModelError",
    "Myectomy",
    "Nerve",
    "NerveBlock",
    "Neurectomy",
    "NeutralFace",
    "PATTERNS",
    "PATTERN_CELLS",
    "Parameter",
    "ProtocolTiming",
    "REGIONS",
    "REGION_RANGE_TASK",
    "SyntheticRecording",
    "RegrowthParameters",
    "Retraining",
    "SITES",
    "SimulationSpec",
    "TASKS",
    "TASK_DRIVER",
    "TaskSpan",
    "Toxin",
    "TreatmentError",
    "canonical_face_mm",
    "drive_at",
    "fit_patient",
    "format_treatment",
    "ground_truth",
    "muscle_fields",
    "parse_injury",
    "parse_treatment",
    "predict",
    "regenerate",
    "simulate_patient",
]
