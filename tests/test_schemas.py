"""The JSON Schemas of the .synk manifest and the .analysis.json: published in docs/schemas,
the same as the code generates, and valid for what the writers really write."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from synkinesis import __version__
from synkinesis.cli import app
from synkinesis.schemas import SCHEMAS, json_schema

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(name: str, document) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(document)]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_published_schema_is_the_generated_one(name):
    """Fails when a writer's model changes and docs/schemas was not regenerated with
    `synk schema NAME -o docs/schemas/NAME.schema.json --overwrite`."""
    published = json.loads((ROOT / "docs" / "schemas" / f"{name}.schema.json").read_text())
    assert published == json_schema(name)


@pytest.mark.parametrize("video", ["single_face", "wolfgang"])
def test_the_golden_analyses_are_valid(video):
    analysis = json.loads((GOLDEN / f"{video}.json").read_text())["analysis"]
    # the golden files leave out the provenance (package and source)
    analysis.update(package={"name": "synkinesis", "version": __version__}, source={})
    assert errors("analysis", analysis) == []


@pytest.fixture(scope="module")
def analysed(media, tmp_path_factory):
    """single_face.mp4 through `synk analyze` (72 frames), with its summary as JSON."""
    out = tmp_path_factory.mktemp("analysed")
    result = CliRunner().invoke(app, ["analyze", str(media / "single_face.mp4"), "-o",
                                      str(out), "--no-figures", "--method", "fast",
                                      "--json", "-"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return out, json.loads(result.stdout)


def test_a_real_analysis_and_its_manifest_are_valid(analysed):
    out, summary = analysed
    analysis_path, synk_path = Path(summary["analysis"]), Path(summary["measurement"])
    assert analysis_path.parent == out and synk_path.suffix == ".synk"
    assert errors("analysis", json.loads(analysis_path.read_text())) == []
    with zipfile.ZipFile(synk_path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert errors("manifest", manifest) == []
    assert manifest["engine"]["method"] == "fast"


def test_a_writer_that_drifts_from_its_schema_fails(analysed):
    from synkinesis.analysis import read_analysis
    from synkinesis.measure import read_measurement

    out, summary = analysed
    manifest = read_measurement(Path(summary["measurement"])).manifest.to_dict()
    assert errors("manifest", manifest) == []
    assert errors("manifest", {**manifest, "new_section": {}})  # a key the schema lacks
    assert errors("manifest", {k: v for k, v in manifest.items() if k != "rest"})
    assert errors("manifest", {**manifest, "format_version": manifest["format_version"] + 1})
    analysis = read_analysis(Path(summary["analysis"]))
    assert errors("analysis", {**analysis, "new_section": []})
    assert errors("analysis", {k: v for k, v in analysis.items() if k != "findings"})
    broken = json.loads(json.dumps(analysis))
    broken["findings"][0]["index"] = "high"
    assert errors("analysis", broken)


def test_synk_schema_prints_each_schema_and_refuses_others(tmp_path):
    runner = CliRunner()
    for name in SCHEMAS:
        result = runner.invoke(app, ["schema", name])
        assert result.exit_code == 0 and json.loads(result.stdout) == json_schema(name)
    written = tmp_path / "a.json"
    assert runner.invoke(app, ["schema", "analysis", "-o", str(written)]).exit_code == 0
    assert json.loads(written.read_text()) == json_schema("analysis")
    refused = runner.invoke(app, ["schema", "analysis", "-o", str(written)])
    assert refused.exit_code != 0 and refused.stderr.startswith("error:")
    unknown = runner.invoke(app, ["schema", "protocol"])
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error:")
