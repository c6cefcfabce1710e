"""Say "not assessable" rather than guess (issue 19, item 4): a span that is not the task
(crying labelled as eye closure) and a side under a hand are left out of the coupling with a
reason, and no finding or scale item (House-Brackmann included) is made from them."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_faces import FPS, make_recording

from synkinesis.analysis import AnalysisOptions, analyze_measurement, analyze_recording
from synkinesis.quality import FrameFlag
from synkinesis.recording import Recording
from synkinesis.uncertainty import UncertaintyOptions

OPTIONS = AnalysisOptions(uncertainty=UncertaintyOptions(replicates=0))
STEPS = (("rest", 3.0), ("gentle_eye_closure", 2.0), ("rest", 1.5), ("big_smile", 2.0),
         ("rest", 1.5))


def _items(analysis, instrument):
    estimate = next(e for e in analysis.scales if e.instrument == instrument)
    return {item.key: item for item in estimate.items}, estimate


def _hide(recording: Recording, side: str, start_s: float, end_s: float) -> Recording:
    """The recording with ``side``'s half covered (flag HIDDEN_<SIDE>, its signals NaN), as the
    measure step leaves a half under a hand."""
    t = np.asarray(recording.time_s)
    covered = (t >= start_s) & (t < end_s)
    flags = np.asarray(recording.flags, dtype=np.int64).copy()
    flags[covered] |= int(FrameFlag[f"HIDDEN_{side.upper()}"])
    signals = {}
    for name, values in recording.signals.items():
        values = np.asarray(values, dtype=float).copy()
        if f"_{side}_" in name:
            values[covered] = np.nan
        signals[name] = values
    return Recording(time_s=recording.time_s, signals=signals, flags=flags)


def test_a_side_under_a_hand_leaves_its_task_out_with_a_reason():
    recording, spans = make_recording(STEPS, rng=np.random.default_rng(3))
    closure = next(s for s in spans if s["task"] == "gentle_eye_closure")
    visible = analyze_recording(recording, spans=spans, options=OPTIONS)
    assert "gentle_eye_closure" in visible.coupling.tasks
    assert "voluntary_eye_closure" in _items(visible, "sunnybrook")[0]
    covered = _hide(recording, "right", closure["start_s"], closure["end_s"])
    analysis = analyze_recording(covered, spans=spans, options=OPTIONS)
    coupling = analysis.coupling
    assert "gentle_eye_closure" not in coupling.tasks
    assert "right half" in coupling.not_assessable["gentle_eye_closure"]
    # Patterns read only in eye closure here are not assessable, and say why.
    for pattern in ("oral_ocular", "nasolabial"):
        finding = analysis.finding(pattern)
        assert finding.severity == "not assessable"
        assert "covered" in finding.note
    # The smile's patterns are still measured.
    assert analysis.finding("ocular_oral").severity not in ("not assessable", "not measurable")
    sunnybrook, estimate = _items(analysis, "sunnybrook")
    assert "voluntary_eye_closure" not in sunnybrook and "voluntary_smile" in sunnybrook
    assert any("not assessable" in note for note in estimate.notes)
    # House-Brackmann is suggested from the smile alone: no eye closure read from the span.
    hb, _ = _items(analysis, "house_brackmann")
    assert "eye closure" not in hb["grade"].note
    # A covered side in a small part of the span is not a reason to drop it.
    brief = _hide(recording, "right", closure["start_s"], closure["start_s"] + 0.3)
    assert "gentle_eye_closure" in analyze_recording(brief, spans=spans,
                                                     options=OPTIONS).coupling.tasks


def _crying(brow_mm: dict[str, float]) -> Recording:
    """Unguided: rest, then the eyes closing half-way while the brows rise by ``brow_mm`` per
    side (both sides: crying; one side: brow co-movement, which is synkinesis)."""
    steps = (("rest", 3.0), ("gentle_eye_closure", 2.0), ("rest", 2.0))
    extra = {("gentle_eye_closure", side, "palpebral_fissure"): 4.5 for side in ("left", "right")}
    extra.update({("gentle_eye_closure", side, "brow_height"): mm for side, mm in brow_mm.items()})
    recording, _ = make_recording(steps, extra=extra, rng=np.random.default_rng(5))
    return recording


@pytest.mark.parametrize("brow_mm, left_out", [
    ({"left": 1.6, "right": 1.6}, True),  # both brows rise with the eyes: not the task
    ({"left": 1.6}, False),  # one brow rises with the eyes: a finding, never hidden
    ({}, False),  # a plain eye closure
])
def test_a_span_that_is_not_the_task_is_left_out(brow_mm, left_out):
    analysis = analyze_recording(_crying(brow_mm), options=OPTIONS)
    labelled = {s.task for s in analysis.segmentation.segments}
    assert "gentle_eye_closure" in labelled
    reason = analysis.coupling.not_assessable.get("gentle_eye_closure", "")
    assert ("not the task" in reason) is left_out
    assert ("gentle_eye_closure" in analysis.coupling.tasks) is not left_out
    if left_out:
        assert "brow moved on both sides" in reason
        assert analysis.finding("oral_ocular").severity == "not assessable"


def test_a_span_already_under_way_at_the_first_frame_is_left_out():
    recording = _crying({})
    start = int(3.5 * FPS)  # cut the recording with the eyes already closing: no onset seen
    signals = {k: np.asarray(v)[start:] for k, v in recording.signals.items()}
    # The measure step flags eyes closing (rest is never taken there).
    closing = signals["palpebral_fissure_left_mm"] < 8.0
    flags = np.where(closing, int(FrameFlag.EYE_CLOSED_LEFT | FrameFlag.EYE_CLOSED_RIGHT), 0)
    cut = Recording(time_s=np.asarray(recording.time_s[start:]) - recording.time_s[start],
                    signals=signals, flags=flags.astype(np.int64))
    analysis = analyze_recording(cut, options=OPTIONS)
    assert "already under way" in analysis.coupling.not_assessable.get("gentle_eye_closure", "")


def test_wolfgang_crying_is_not_read_as_eye_closure(wolfgang_measurement):
    # Her crying at the start (0.0-0.8 s, eyes shut, brows up) was labelled a gentle eye
    # closure and gave "eye closure 59 %" and House-Brackmann up to IV on copies.
    analysis = analyze_measurement(wolfgang_measurement)
    assert "gentle_eye_closure" in analysis.coupling.not_assessable
    assert "gentle_eye_closure" not in analysis.coupling.tasks
    for finding in analysis.findings:
        assert finding.severity not in ("moderate", "severe"), finding
    sunnybrook, _ = _items(analysis, "sunnybrook")
    assert "voluntary_eye_closure" not in sunnybrook
    hb, _ = _items(analysis, "house_brackmann")
    assert hb["grade"].value <= 2


def _laugh(recording: Recording, start_s: float, end_s: float, *, mm: float = 2.0,
           hz: float = 5.0, sides: tuple[str, ...] = ("left", "right")) -> Recording:
    """The recording with the lips opening and closing ``hz`` times a second by ``mm`` (the
    lower lip dropping, the upper lip rising a fifth of that) between the two times, on
    ``sides``: the jaw of a laugh."""
    t = np.asarray(recording.time_s)
    inside = (t >= start_s) & (t < end_s)
    pulse = np.where(inside, 0.5 * mm * (1 - np.cos(2 * np.pi * hz * (t - start_s))), 0.0)
    signals = dict(recording.signals)
    for side in sides:
        lower, upper = f"lower_lip_height_{side}_mm", f"upper_lip_height_{side}_mm"
        signals[lower] = np.asarray(signals[lower]) - pulse
        signals[upper] = np.asarray(signals[upper]) + 0.2 * pulse
    return Recording(time_s=recording.time_s, signals=signals, flags=recording.flags)


@pytest.mark.parametrize("hz, mm, sides, laugh", [
    (5.0, 2.0, ("left", "right"), True),  # a laugh: both sides, 5 a second
    (4.0, 1.5, ("left", "right"), True),
    (5.0, 2.0, ("left",), False),  # one side twitching is not a laugh: kept as a finding
    (5.0, 0.4, ("left", "right"), False),  # tracker-jitter size
    (1.0, 2.0, ("left", "right"), False),  # a slow smile that rises and falls
])
def test_a_laugh_labelled_as_a_smile_is_left_out(hz, mm, sides, laugh):
    recording, spans = make_recording(STEPS, rng=np.random.default_rng(4))
    smile = next(s for s in spans if s["task"] == "big_smile")
    laughed = _laugh(recording, smile["start_s"], smile["end_s"], mm=mm, hz=hz, sides=sides)
    analysis = analyze_recording(laughed, spans=spans, options=OPTIONS)
    reason = analysis.coupling.not_assessable.get("big_smile", "")
    assert ("a laugh" in reason) is laugh, reason
    assert ("big_smile" in analysis.coupling.tasks) is not laugh
    if laugh:
        assert "rhythmically on both sides" in reason
        assert analysis.finding("ocular_oral").severity == "not assessable"
        sunnybrook, _ = _items(analysis, "sunnybrook")
        assert "voluntary_smile" not in sunnybrook and "synkinesis_smile" not in sunnybrook


def _smile_spans(analysis):
    return [s for s in analysis.segmentation.segments if s.task in ("big_smile", "closed_smile")]


def test_the_healthy_smiles_are_not_read_as_laughter(single_face_measurement,
                                                     wolfgang_measurement):
    # single_face's open smile parts the lips by 10 mm, WolfgangLanger's smiles by 5..6 mm:
    # held openings, not pulses (their 3.5-7 Hz share of the fast power reads 0.01..0.09).
    for measurement in (single_face_measurement, wolfgang_measurement):
        analysis = analyze_measurement(measurement, options=OPTIONS)
        assert _smile_spans(analysis)
        for task, why in analysis.coupling.not_assessable.items():
            assert "laugh," not in why, (task, why)
        assert "big_smile" in analysis.coupling.tasks


def test_a_laugh_injected_into_a_real_smile_is_caught(single_face_measurement):
    analysis = analyze_measurement(single_face_measurement, options=OPTIONS)
    smile = max(_smile_spans(analysis), key=lambda s: s.end_s - s.start_s)
    spans = [{"task": smile.task, "start_s": smile.start_s, "end_s": smile.end_s}]
    laughed = _laugh(analysis.recording, smile.start_s, smile.end_s, mm=1.5, hz=5.0)
    kept = analyze_recording(analysis.recording, spans=spans, options=OPTIONS)
    assert smile.task in kept.coupling.tasks
    caught = analyze_recording(laughed, spans=spans, options=OPTIONS)
    assert "a laugh" in caught.coupling.not_assessable.get(smile.task, "")
    assert smile.task not in caught.coupling.tasks
