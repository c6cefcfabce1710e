"""scripts/interval_coverage.py runs and reports what docs/validation.md quotes from it."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "interval_coverage.py"


def _run(*args: str) -> str:
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_two_differing_repetitions_are_reported_against_the_face_without_them():
    alike = _run("0.3", "--repetition-sd", "0", "--recordings", "2")
    differing = _run("0.3", "--repetition-sd", "0.5", "--recordings", "2")
    assert "two big smiles differing by SD 0.5 mm, 2 recordings" in differing
    assert "holds the median index in" in differing and "implies SD" in differing

    def noise_free(text: str) -> str:
        return text.split("noise-free ")[1].split(",")[0]

    # the reference is the same face, its two smiles alike, whatever SD is asked
    assert noise_free(alike) == noise_free(differing)
