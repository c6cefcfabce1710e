"""Fixtures of the simulator tests: the canonical mesh, fields, a real neutral face, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from synkinesis.simulate import Injury, canonical_face_mm, ground_truth, muscle_fields, regenerate


@pytest.fixture(scope="session")
def canonical():
    from synkinesis.landmarks.model import load_canonical_face

    return load_canonical_face()


@pytest.fixture(scope="session")
def face_mm(canonical) -> np.ndarray:
    return canonical_face_mm(canonical.vertices)


@pytest.fixture(scope="session")
def fields(canonical, face_mm) -> np.ndarray:
    return muscle_fields(canonical.vertices, face_mm)


@pytest.fixture(scope="session")
def truth_of(face_mm, fields):
    """truth_of(injuries, day=365, treatments=(), seed=1, **regrowth) -> GroundTruth."""
    from synkinesis.simulate import RegrowthParameters

    def compute(injuries=(), *, day=365.0, treatments=(), seed=1, nerve=None, **regrowth):
        if nerve is None:
            nerve = regenerate(tuple(injuries), parameters=RegrowthParameters(**regrowth),
                               rng=np.random.default_rng(seed))
        return ground_truth(nerve, day=day, face_mm=face_mm, fields=fields,
                            treatments=tuple(treatments))

    return compute


@pytest.fixture(scope="session")
def left_nerve():
    """A severe proximal injury of the patient's left side."""
    return regenerate((Injury("left", "proximal", 0.9),), rng=np.random.default_rng(11))


@pytest.fixture(scope="session")
def neutral_face(media, tmp_path_factory):
    # As `synk simulate --face`: landmarked with the neutral-face method (mirror-averaged).
    from synkinesis.simulate.io import load_neutral_face

    return load_neutral_face(media / "single_face.mp4",
                             work_dir=tmp_path_factory.mktemp("neutral"))


@pytest.fixture(scope="session")
def cli_app() -> typer.Typer:
    from synkinesis.cli.simulate import register

    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Test root so that the commands stay sub-commands."""

    register(app)
    return app


@pytest.fixture(scope="session")
def run_cli(cli_app):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli_app, [str(a) for a in args], env={"COLUMNS": "160"})

    return invoke


@pytest.fixture(scope="session")
def face_file(single_face_measurement) -> Path:
    """The real face as a measured result (the CLI accepts .synk, which skips re-measuring)."""
    return Path(single_face_measurement.path)


@pytest.fixture(scope="session")
def simulated(tmp_path_factory, run_cli, face_file) -> Path:
    """``synk simulate`` of a patient with a severe left proximal injury."""
    output = tmp_path_factory.mktemp("simulated") / "patient.synk"
    result = run_cli("simulate", "--injury", "left:proximal:1.0", "--misrouting", "0.9",
                     "--seed", "7", "--face", face_file, "-o", output)
    assert result.exit_code == 0, result.output
    return output
