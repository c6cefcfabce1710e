"""``synk simulate`` and ``synk predict`` end to end: files, measured movement, bad input."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from synkinesis.measure import read_measurement
from synkinesis.signals import signal_name
from synkinesis.simulate import REGIONS, TASKS, SimulationSpec
from synkinesis.simulate.io import read_truth, sidecar_paths


def _hold(measurement, spans, task, quantity, side):
    """Median of a signal over the hold of a task (1.0..2.2 s into its span), minus rest."""
    span = next(s for s in spans if s["task"] == task)
    time_s = measurement.frames["time_s"]
    hold = (time_s >= span["start_s"] + 1.0) & (time_s <= span["start_s"] + 2.2)
    name = signal_name(quantity, side)
    values = measurement.frames[name]
    rest = 0.0 if quantity == "mouth_corner_excursion" else \
        measurement.manifest.rest.reference[name]
    return float(np.nanmedian(values[hold]) - rest)


@pytest.fixture(scope="module")
def written(simulated):
    truth_path, protocol_path = sidecar_paths(simulated)
    return (read_measurement(simulated), read_truth(truth_path),
            json.loads(protocol_path.read_text()))


def test_simulate_writes_the_measure_format_with_its_sidecars(simulated, written):
    measurement, truth, protocol = written
    manifest = measurement.manifest
    assert manifest.format == "synkinesis.measure"
    source = manifest.source
    assert source.kind == "simulation"
    spec = SimulationSpec.from_dict(source.extra["parameters"])
    assert spec.seed == 7 and spec.injuries[0].side == "left"
    assert spec.regrowth.misrouting == 0.9 and spec.regrowth.n_axons == 7000
    assert manifest.engine.name == "synkinesis.simulate"
    assert manifest.frames.usable == manifest.frames.count > 900
    assert manifest.rest.method == "given span"
    assert measurement.load_landmarks().shape == (manifest.frames.count, 478, 3)
    with zipfile.ZipFile(simulated) as archive:
        assert {"manifest.json", "frames.npy", "landmarks.npy"} <= set(archive.namelist())
    # truth sidecar: self-describing, same parameters, the coupling per side
    assert truth["format"] == "synkinesis.simulation-truth" and truth["format_version"] == 2
    assert truth["parameters"] == source.extra["parameters"]
    assert truth["truth"]["affected_side"] == "left"
    assert np.array(truth["truth"]["coupling"]["left"]).shape == (len(TASKS), len(REGIONS))
    assert truth["truth"]["tasks"] == list(TASKS) and truth["truth"]["regions"] == list(REGIONS)
    assert truth["model_constants"]["regrowth"]["misrouting"]["source"] == "assumption"
    on_face = truth["truth_on_recorded_face"]
    assert on_face["affected_side"] == "left"
    assert np.array(on_face["movement"]["right"]).shape == (len(TASKS), len(REGIONS))
    # patterns in the analysis' convention: index in Sunnybrook points with a severity
    assert truth["truth"]["pattern_index_unit"].startswith("Sunnybrook synkinesis points")
    assert truth["truth"]["pattern_severities"]["left"]["ocular_oral"] in ("mild", "moderate",
                                                                          "severe")
    assert set(truth["truth"]["pattern_severities"]["right"].values()) == {"none"}
    # protocol sidecar: task spans in order
    assert protocol["format"] == "synkinesis.protocol-spans"
    # every task but rest twice in a row (the default --repetitions, as the guided protocol)
    assert [s["task"] for s in protocol["segments"]] == ["rest"] + [
        task for task in TASKS[1:] for _ in range(2)]
    assert all(s["end_s"] > s["start_s"] for s in protocol["segments"])


def test_measured_smile_raises_the_mouth_corners_at_the_right_time(written):
    measurement, _, protocol = written
    spans = protocol["segments"]
    for side, least_mm in (("right", 8.0), ("left", 2.0)):  # left = injured, weaker
        assert _hold(measurement, spans, "big_smile", "mouth_corner_excursion", side) > least_mm
        assert _hold(measurement, spans, "big_smile", "mouth_corner_y", side) > 0.5 * least_mm
        assert abs(_hold(measurement, spans, "brow_raise", "mouth_corner_excursion", "right")) < 1
    excursion = measurement.frames[signal_name("mouth_corner_excursion", "right")]
    smiles = [s for s in spans if s["task"] == "big_smile"]
    peak = measurement.frames["time_s"][np.nanargmax(excursion)]
    assert any(smile["start_s"] < peak < smile["end_s"] for smile in smiles)
    # a brow raise lifts the healthy brow ~8 mm
    assert _hold(measurement, spans, "brow_raise", "brow_height", "right") > 5.0


def test_measured_ocular_oral_synkinesis_is_on_the_injured_side(written):
    measurement, truth, protocol = written
    spans = protocol["segments"]
    for task in ("big_smile", "pucker"):
        left = _hold(measurement, spans, task, "palpebral_fissure", "left")
        right = _hold(measurement, spans, task, "palpebral_fissure", "right")
        assert left < right - 0.3, task  # the injured eye narrows more (negative change)
    eye = REGIONS.index("eye")
    pucker = TASKS.index("pucker")
    assert truth["truth"]["coupling"]["left"][pucker][eye] > \
        truth["truth"]["coupling"]["right"][pucker][eye] + 0.1


def test_right_injury_mirrors_the_truth_and_the_measurement(run_cli, face_file, tmp_path,
                                                           written):
    output = tmp_path / "mirror.synk"
    result = run_cli("simulate", "--injury", "right:proximal:1.0", "--misrouting", "0.9",
                     "--seed", "7", "--face", face_file, "-o", output, "--quiet")
    assert result.exit_code == 0, result.output
    measurement = read_measurement(output)
    truth = read_truth(sidecar_paths(output)[0])["truth"]
    left_truth = written[1]["truth"]
    np.testing.assert_allclose(truth["coupling"]["right"], left_truth["coupling"]["left"],
                               atol=1e-6)
    assert truth["patterns"]["right"] == left_truth["patterns"]["left"]
    spans = json.loads(sidecar_paths(output)[1].read_text())["segments"]
    assert _hold(measurement, spans, "pucker", "palpebral_fissure", "right") < \
        _hold(measurement, spans, "pucker", "palpebral_fissure", "left") - 0.3


def test_healthy_face_and_determinism(run_cli, face_file, tmp_path):
    outputs, printed = [], ""
    for name, quiet in (("a", ()), ("b", ("--quiet",))):
        outputs.append(tmp_path / f"{name}.synk")
        result = run_cli("simulate", "--seed", "3", "--face", face_file, "-o", outputs[-1],
                         *quiet)
        assert result.exit_code == 0, result.output
        printed = printed or result.output
    # the printed truth: patterns in Sunnybrook points, canonical and recorded face, all none
    assert "index in Sunnybrook points" in printed
    rows = [line.split() for line in printed.splitlines()
            if line.split()[:2] in (["left", "canonical"], ["left", "recorded"],
                                    ["right", "canonical"], ["right", "recorded"])]
    assert len(rows) == 4
    assert all(row[3:12:2] == ["none"] * 5 for row in rows), rows
    first, second = (read_measurement(p, landmarks=True) for p in outputs)
    np.testing.assert_array_equal(first.landmarks_px, second.landmarks_px)
    truth = read_truth(sidecar_paths(outputs[0])[0])["truth"]
    assert truth["affected_side"] is None and truth["injured_sides"] == []
    assert all(abs(v) < 1e-6 for side in ("left", "right")
               for v in truth["patterns"][side].values())
    assert all(set(truth["pattern_severities"][side].values()) == {"none"}
               for side in ("left", "right"))
    assert all(truth["items"][side]["sunnybrook_synkinesis_sum"] == 0 for side in ("left", "right"))
    spans = json.loads(sidecar_paths(outputs[0])[1].read_text())["segments"]
    for task, quantity in (("big_smile", "mouth_corner_excursion"),
                           ("brow_raise", "brow_height"),
                           ("tight_eye_closure", "palpebral_fissure")):
        left = _hold(first, spans, task, quantity, "left")
        right = _hold(first, spans, task, quantity, "right")
        assert abs(left - right) < 0.2 * max(abs(left), abs(right)), (task, left, right)


def test_analysis_finds_the_simulated_affected_side(simulated):
    from synkinesis.analysis import analyze_measurement

    spans = json.loads(sidecar_paths(simulated)[1].read_text())["segments"]
    analysis = analyze_measurement(read_measurement(simulated), spans=spans)
    assert analysis.affected.side == "left"


def test_simulate_help_has_an_example(run_cli):
    result = run_cli("simulate", "--help")
    assert result.exit_code == 0
    assert "synk simulate --injury left:proximal:0.8" in result.output
    assert "predict" in run_cli("predict", "--help").output


def test_predict_prints_before_and_after(run_cli):
    result = run_cli("predict", "--injury", "left:proximal:0.9", "--seed", "2",
                     "--treatment", "toxin:orbicularis_oculi:left:5@380")
    assert result.exit_code == 0, result.output
    assert "ocular_oral" in result.output and "->" in result.output
    assert "toxin:orbicularis_oculi:left:5@380" in result.output
    assert "x eye" in result.output  # the largest coupling changes are eye cells


def test_predict_json_from_a_simulated_patient(run_cli, simulated):
    result = run_cli("predict", "--from", sidecar_paths(simulated)[0], "--json", "-",
                     "--treatment", "neurectomy:buccal:left@400", "--at", "399,430,900")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["days"] == [399.0, 430.0, 900.0]
    assert payload["parameters"]["seed"] == 7
    before, after = payload["before"], payload["after"]
    assert before[0]["patterns"] == after[0]["patterns"]
    buccinator = payload["before"][0]["muscles"].index("buccinator")
    smile = TASKS.index("big_smile")
    for b, a in zip(before[1:], after[1:]):  # permanent
        assert a["activation"]["left"][smile][buccinator] == 0.0
        assert b["activation"]["left"][smile][buccinator] > 0.0


@pytest.mark.parametrize("args, message", [
    (("--injury", "left:proximal:1.5"), "injury severity must be in 0..1"),
    (("--injury", "up"), "unknown side 'up'"),
    (("--injury", "left:ophthalmic"), "unknown injury site 'ophthalmic'"),
    (("--misrouting", "2"), "misrouting must be in 0.0..1.0"),
    (("--sprouts", "-1"), "collateral_sprouts must be in"),
    (("--axons", "-5"), "n_axons must be in"),
    (("--treatment", "toxin:nose:left:5"), "unknown muscle 'nose'"),
    (("--treatment", "toxin:orbicularis_oculi:left:-5"), "toxin units must be > 0"),
    (("--treatment", "block:maxillary:left"), "unknown branch 'maxillary'"),
    (("--face", "/nonexistent/face.jpg"), "face file not found"),
    (("--noise-px", "-1"), "noise_px must be a finite number >= 0"),
])
def test_bad_simulate_input_is_one_line_and_exit_2(run_cli, tmp_path, args, message):
    result = run_cli("simulate", *args, "-o", tmp_path / "x.synk")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.synk").exists()


def test_bad_output_and_predict_input(run_cli, tmp_path):
    result = run_cli("simulate", "-o", tmp_path / "x.txt")
    assert result.exit_code == 2 and "must be a .synk file" in result.output
    for args, message in ((("--at", "soon"), "--at must be days"),
                          (("--from", tmp_path / "none.json"), "cannot read a truth file"),
                          (("--treatment", "laser:left"), "cannot read treatment"),
                          (("--injury", "left:proximal:-1"), "severity must be in 0..1")):
        result = run_cli("predict", *args)
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output


def test_default_face_is_found_or_clearly_missing(tmp_path, media):
    from synkinesis.simulate.io import FaceError, default_face_path

    assert default_face_path([tmp_path, media]) == media / "single_face.mp4"
    with pytest.raises(FaceError, match="no default face found: pass --face"):
        default_face_path([tmp_path])
