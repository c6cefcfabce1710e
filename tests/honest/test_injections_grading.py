"""The grading of scripts/validate_injections.py on hand-made calls (no media): found, side,
specificity from the untouched side and the original, within one class, scale items."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "validate_injections", ROOT / "scripts" / "validate_injections.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _calls(side, severity, low, left, right, smile=None):
    finding = {"pattern": "ocular_oral", "side": side, "severity": severity,
               "severity_range": [low, severity if severity != "uncertain" else "severe"],
               "index_by_side": {"left": left, "right": right}}
    content = {"findings": [finding], "scales": []}
    if smile is not None:
        content["scales"] = [{"instrument": "sunnybrook",
                              "items": [{"key": "synkinesis_smile", "value": smile}]}]
    return content


def test_found_side_specificity_and_class(script):
    read = script.read_calls
    result = {"source": "face.mp4", "fissure_smile_mm": 10.0,
              "original": read(_calls("left", "none", "none", 0.1, -0.1, smile=0)),
              "cases": [
                  # mild left, found on the left, index in the mild class
                  {"pattern": "ocular_oral", "side": "left", "points": 1.0,
                   "calls": read(_calls("left", "mild", "mild", 1.2, -1.0, smile=1))},
                  # moderate right, found but named left: a false call on the untouched side
                  {"pattern": "ocular_oral", "side": "right", "points": 2.0,
                   "calls": read(_calls("left", "uncertain", "mild", 0.9, 0.2, smile=3))},
                  # severe right, "uncertain (none..severe)": not found
                  {"pattern": "ocular_oral", "side": "right", "points": 3.0,
                   "calls": read(_calls("right", "uncertain", "none", -2.0, 2.0, smile=2))},
              ]}
    graded = script.grade([result])
    g = graded["ocular_oral"]
    assert g["found"] == 2 and g["sensitivity"] == pytest.approx(2 / 3)
    assert (g["false_calls"], g["negatives"]) == (1, 5)  # 2 original sides + 3 untouched
    assert g["side"] == pytest.approx(0.5)
    # classes of the injected side's index: 1 (truth 1), 0 (truth 2: off by two), 2 (truth 3)
    assert g["within_one"] == pytest.approx(2 / 3)
    smile = graded["items"]["synkinesis_smile"]
    # truth 0, 1, 2, 3 against 0, 1, 3, 2: every one within a point
    assert smile["n"] == 4 and smile["within"] == 1.0 and smile["worst"] == 1.0


def test_an_uncertain_call_is_found_only_from_mild_up(script):
    assert script.called({"severity": "uncertain", "severity_range": ["mild", "severe"]})
    assert not script.called({"severity": "uncertain", "severity_range": ["none", "severe"]})
    assert not script.called({"severity": "not assessable", "severity_range": ["mild", "mild"]})
    assert script.called({"severity": "moderate"})


def test_side_given_counts_cases_found_and_originals_called(script):
    read = script.read_calls
    result = {"source": "face.mp4", "original": read(_calls("left", "none", "none", 0, 0)),
              "original_side": {"left": read(_calls("left", "mild", "mild", 0.8, 0)),
                                "right": read(_calls("right", "none", "none", 0, 0.1))},
              "cases": [{"pattern": "ocular_oral", "side": "right", "points": 2.0,
                         "calls": read(_calls("left", "none", "none", 0, 0)),
                         "calls_side": read(_calls("right", "moderate", "moderate", 0, 2.1))}]}
    given = script.side_given([result])["ocular_oral"]
    assert (given["found"], given["cases"]) == (1, 1)
    assert (given["false"], given["negatives"]) == (1, 2)
