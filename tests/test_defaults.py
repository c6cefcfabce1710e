"""Each default of the measure step is defined once (synkinesis.defaults) and every door shows it:
the measure options, the record's settings, the CLI's option defaults."""

import re
from pathlib import Path

import typer.main

from synkinesis import defaults

SRC = Path(__file__).resolve().parents[1] / "src" / "synkinesis"


def test_every_door_takes_the_one_default():
    from synkinesis.cli import app
    from synkinesis.measure import METHODS, MeasureOptions
    from synkinesis.store.settings import StoreSettings

    options = MeasureOptions()
    assert METHODS is defaults.METHODS
    assert (options.method, options.iris_diameter_mm, options.interpupil_mm) == (
        defaults.DEFAULT_METHOD, defaults.DEFAULT_IRIS_DIAMETER_MM, defaults.DEFAULT_INTERPUPIL_MM)
    assert StoreSettings(database_url="sqlite://", data_dir=Path(".")).measure_method \
        == defaults.DEFAULT_METHOD
    command = typer.main.get_command(app)
    seen = {}
    for name in ("measure", "analyze"):
        for param in command.commands[name].params:
            if param.name in ("method", "iris_mm", "interpupil_mm"):
                seen[(name, param.name)] = param.default
    assert seen[("measure", "method")] == seen[("analyze", "method")] == defaults.DEFAULT_METHOD
    assert seen[("measure", "iris_mm")] == seen[("analyze", "iris_mm")] \
        == defaults.DEFAULT_IRIS_DIAMETER_MM
    assert seen[("measure", "interpupil_mm")] == defaults.DEFAULT_INTERPUPIL_MM


def test_no_module_writes_a_default_literally():
    # the values themselves appear once in the source: in synkinesis/defaults.py
    patterns = {"iris diameter": r"\b11\.77\b", "inter-pupillary distance": r"\b63\.0\b",
                # an assignment or field default, or a CLI option's default
                "default method": (r"(?m)^\s*\w+(:[^=\n]+)?\s*=\s*\"composite-edges\""
                                   r"|Option\(\s*\"composite-edges\"")}
    for what, pattern in patterns.items():
        where = [str(path.relative_to(SRC)) for path in SRC.rglob("*.py")
                 if re.search(pattern, path.read_text(encoding="utf-8"))]
        assert where == ["defaults.py"], (what, where)
