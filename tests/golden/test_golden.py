"""The shared videos give the saved numbers (tests/golden/golden.py says what and why)."""

from __future__ import annotations

import pytest

from .golden import content_differences, frame_differences


@pytest.mark.slow
@pytest.mark.parametrize("name", ["single_face", "wolfgang"])
def test_measure_and_analysis_give_the_saved_numbers(name, request):
    measurement = request.getfixturevalue(
        "single_face_measurement" if name == "single_face" else "wolfgang_measurement")
    problems = frame_differences(name, measurement) + content_differences(name, measurement)
    assert not problems, "\n".join(problems[:40])
