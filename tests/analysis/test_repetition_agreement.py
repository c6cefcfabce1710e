"""Repetitions of a task: the analysis reports whether they agree (each region's levels within
its smallest resolvable change), in the analysis file, the CLI's summary and the record's
report; a simulated smile done twice alike agrees, a smile done once fully and once at a
third of its strength does not."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from synthetic_faces import guided, make_recording

from synkinesis.analysis import (
    AnalysisOptions,
    analysis_to_dict,
    analyze_recording,
    summarise_analysis,
)
from synkinesis.uncertainty import UncertaintyOptions

STEPS = (("rest", 2.0), ("big_smile", 2.0), ("rest", 1.0), ("big_smile", 2.0), ("rest", 1.0),
         ("gentle_eye_closure", 2.0), ("rest", 1.0))


def _analyse(recording, spans):
    return analyze_recording(recording, spans=guided(spans), options=AnalysisOptions(
        uncertainty=UncertaintyOptions(replicates=10, seed=0), affected_side="left"))


def _two_smiles(second_strength: float):
    """Two smiles: the first at full strength, the second at ``second_strength`` on both
    sides (the same tracker noise as the alike pair)."""
    alike, spans = make_recording(STEPS, noise_mm=0.05, rng=np.random.default_rng(4))
    if second_strength == 1.0:
        return alike, spans
    weak, _ = make_recording(STEPS, noise_mm=0.05, rng=np.random.default_rng(4),
                             scale={("big_smile", side): second_strength
                                    for side in ("left", "right")})
    second = [s for s in spans if s["task"] == "big_smile"][1]
    t = np.asarray(alike.time_s)
    inside = (t >= second["start_s"]) & (t < second["end_s"])
    signals = {name: np.where(inside, weak.signals[name], values)
               for name, values in alike.signals.items()}
    return replace(alike, signals=signals), spans


def test_two_alike_repetitions_agree():
    analysis = _analyse(*_two_smiles(1.0))
    (entry,) = analysis.uncertainty.agreement
    assert (entry.task, entry.repetitions, entry.agree) == ("big_smile", 2, True)
    assert "mouth_corner" in entry.regions
    assert all(s <= limit for s, limit in zip(entry.spread_mm, entry.smallest_change_mm))
    assert "repetitions agree: big smile x2 (every region within its smallest resolvable " \
        "change)" in summarise_analysis(analysis)["uncertainty"]


def test_a_weak_second_repetition_disagrees_and_is_said_everywhere():
    analysis = _analyse(*_two_smiles(0.3))
    (entry,) = analysis.uncertainty.agreement
    assert entry.task == "big_smile" and not entry.agree
    assert "mouth_corner" in entry.disagreeing
    j = entry.regions.index("mouth_corner")
    first, second = (levels[j] for levels in entry.levels_mm["left"])
    assert second < 0.5 * first  # the weak try reads weaker
    assert entry.spread_mm[j] > entry.smallest_change_mm[j]
    data = analysis_to_dict(analysis)
    (saved,) = data["uncertainty"]["agreement"]
    assert saved["agree"] is False and "mouth_corner" in saved["disagreeing"]
    lines = summarise_analysis(analysis)["uncertainty"]
    (line,) = [line for line in lines if line.startswith("repetitions DISAGREE")]
    assert line.startswith("repetitions DISAGREE: big smile x2: ") and "mouth corner " in line
    assert line.endswith("record the task again")


def test_a_task_done_once_has_no_agreement_entry():
    steps = (("rest", 2.0), ("big_smile", 2.0), ("rest", 1.0))
    recording, spans = make_recording(steps)
    assert _analyse(recording, spans).uncertainty.agreement == ()


def test_the_analysis_file_with_agreement_matches_its_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from synkinesis.schemas import analysis_schema

    data = analysis_to_dict(_analyse(*_two_smiles(0.3)))
    import json

    jsonschema.validate(json.loads(json.dumps(data)), analysis_schema())


def test_the_guided_protocol_asks_every_task_twice_and_the_analysis_uses_both():
    from synkinesis.protocol import GUIDED_REPETITIONS, TASKS, ProtocolError, guided_steps

    steps = guided_steps()
    asked = [task.name for task, _ in steps]
    assert GUIDED_REPETITIONS == 2
    for task in TASKS:
        assert asked.count(task.name) == (0 if task.optional else 2), task.name
    assert asked[0] == asked[-1] == "rest"
    repeated = [name for name in asked if name != "rest"]
    assert all(repeated[i] == repeated[i + 1] for i in range(0, len(repeated), 2))
    assert [k for task, k in steps if task.name == "big_smile"] == [1, 2]
    assert len(guided_steps(repetitions=1)) == 9
    with pytest.raises(ProtocolError, match="repetitions must be"):
        guided_steps(repetitions=0)
    # a recording that follows the steps (each held 2 s): every task is analysed twice
    recording, spans = make_recording(tuple((task.name, 2.0) for task, _ in steps))
    analysis = _analyse(recording, spans)
    moving = {name for name in asked if name != "rest"}
    assert {t: n for t, n in analysis.uncertainty.repetitions.items() if t != "rest"} == \
        dict.fromkeys(moving, 2)
    assert {a.task for a in analysis.uncertainty.agreement} == moving


def _two_smiles_narrowing(first_mm: float, second_mm: float):
    """Two equal smiles with ocular-oral synkinesis on the left: the eye narrows by
    ``first_mm`` in the first smile and ``second_mm`` in the second (nothing else differs)."""
    def smiles(narrowing_mm: float):
        return make_recording(STEPS, noise_mm=0.05, rng=np.random.default_rng(4), extra={
            ("big_smile", "left", "palpebral_fissure"): -narrowing_mm})

    first, spans = smiles(first_mm)
    second_recording, _ = smiles(second_mm)
    second = [s for s in spans if s["task"] == "big_smile"][1]
    t = np.asarray(first.time_s)
    inside = (t >= second["start_s"]) & (t < second["end_s"])
    signals = {name: np.where(inside, second_recording.signals[name], values)
               for name, values in first.signals.items()}
    return replace(first, signals=signals), spans


def _ocular_oral(analysis):
    (finding,) = [f for f in analysis.findings if f.pattern == "ocular_oral"]
    return finding


def test_an_uncertain_finding_from_disagreeing_repetitions_says_repeat_the_task_first():
    # 1 mm of smile-linked eye narrowing in one smile, none in the other: the interval spans
    # none..mild, and the first thing that would settle it is another try of the smile.
    analysis = _analyse(*_two_smiles_narrowing(1.0, 0.0))
    (entry,) = analysis.uncertainty.agreement
    assert "eye" in entry.disagreeing
    finding = _ocular_oral(analysis)
    assert finding.severity == "uncertain"
    assert finding.settle.startswith("repeat the task (big smile: its 2 repetitions lie ")
    spread = entry.spread_mm[entry.regions.index("eye")]
    limit = entry.smallest_change_mm[entry.regions.index("eye")]
    assert f"{spread:.2f} mm apart in the eye, which resolves {limit:.2f} mm" in finding.settle
    assert 0.9 < spread < 1.1  # the 1 mm the two tries differ by
    row = next(r for r in summarise_analysis(analysis)["findings"]
               if r["pattern"] == "ocular_oral")
    assert row["settle"] == finding.settle
    assert "repetitions of its key task disagree" not in finding.note


def test_a_called_finding_from_disagreeing_repetitions_keeps_its_call_with_a_note():
    # 5 mm and 3.5 mm of narrowing: both tries are severe, the call stands, but the
    # repetitions lie 1.5 mm apart in the eye and the note says so (each try read over its
    # hold, ramps included: 1.46 mm).
    analysis = _analyse(*_two_smiles_narrowing(5.0, 3.5))
    finding = _ocular_oral(analysis)
    assert finding.severity == "severe" and finding.settle == ""
    apart = re.search(r"called although the repetitions of its key task disagree \(big smile: "
                      r"its 2 repetitions lie (\d+\.\d\d) mm apart in the eye", finding.note)
    assert apart is not None, finding.note
    assert 1.4 <= float(apart.group(1)) <= 1.6
    assert finding.note.endswith("record the task again to confirm")


def test_agreeing_repetitions_add_nothing_to_a_finding():
    analysis = _analyse(*_two_smiles_narrowing(5.0, 5.0))
    (entry,) = analysis.uncertainty.agreement
    assert entry.agree
    finding = _ocular_oral(analysis)
    assert finding.severity == "severe"
    assert "repetitions" not in finding.note and "repeat the task" not in finding.settle
