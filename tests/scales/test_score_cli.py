"""End-to-end tests of ``synk score`` through Typer's CliRunner."""

from __future__ import annotations

import json

import jsonschema
import pytest
import typer
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scale_strategies import SUNNYBROOK_NORMAL, highest_form, lowest_form
from typer.testing import CliRunner

from synkinesis.cli.score import register
from synkinesis.scales import INSTRUMENTS, get_instrument, result_from_dict, score

SYNKINETIC = {
    "rest_eye": "narrow",
    "rest_cheek": 1,
    "rest_mouth": 1,
    "voluntary_brow_lift": 3,
    "voluntary_eye_closure": 4,
    "voluntary_smile": 3,
    "voluntary_snarl": 3,
    "voluntary_pucker": 2,
    "synkinesis_brow_lift": 1,
    "synkinesis_eye_closure": 2,
    "synkinesis_smile": 2,
    "synkinesis_snarl": 1,
    "synkinesis_pucker": 2,
}


@pytest.fixture
def app() -> typer.Typer:
    from synkinesis.cli import app

    return app


@pytest.fixture
def run(app):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, ["score", *args], input=input, env={"COLUMNS": "120"})

    return invoke


def flags(items: dict) -> list[str]:
    return [arg for key, value in items.items() for arg in ("-i", f"{key}={value}")]


def test_main_app_has_score_command():
    from synkinesis.cli import app as main_app

    result = CliRunner().invoke(main_app, ["score", "--help"])
    assert result.exit_code == 0
    assert "Examples" in result.output


def test_list(run):
    result = run("--list")
    assert result.exit_code == 0
    for name in INSTRUMENTS:
        assert name in result.output


def test_sunnybrook_from_flags_prints_items_subscores_total(run):
    result = run("sunnybrook", *flags(SYNKINETIC))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "composite score: 37" in out
    assert "voluntary - resting - synkinesis" in out
    assert "narrow" in out and "movement almost complete" in out
    assert "resting symmetry score" in out and "60" in out


def test_sunnybrook_negative_composite_is_shown_clamped(run):
    worst = {"rest_eye": 1, "rest_cheek": 2, "rest_mouth": 1}
    worst |= {k: 1 for k in SYNKINETIC if k.startswith("voluntary")}
    worst |= {k: 3 for k in SYNKINETIC if k.startswith("synkinesis")}
    result = run("sunnybrook", *flags(worst))
    assert result.exit_code == 0
    assert "composite score: -15" in result.output
    assert "shown as 0" in result.output


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_every_instrument_scores_from_flags_and_writes_json(run, tmp_path, name):
    definition = INSTRUMENTS[name]
    out = tmp_path / "result.json"
    result = run(name, *flags(highest_form(definition)), "--json", str(out), "--visit", "v7")
    assert result.exit_code == 0, result.output
    assert definition.total.label in result.output
    assert f"wrote {out}" in result.output
    saved = result_from_dict(json.loads(out.read_text()))
    assert saved.instrument == name
    assert saved.total is not None
    assert saved.provenance.visit_id == "v7"
    assert (
        saved.provenance.rated_at is not None and saved.provenance.rated_at.utcoffset() is not None
    )
    assert saved.provenance.rater is definition.default_rater


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_every_instrument_scores_from_yaml_file(run, tmp_path, name):
    path = tmp_path / "form.yaml"
    path.write_text(yaml.safe_dump({"instrument": name, "items": lowest_form(INSTRUMENTS[name])}))
    result = run(name, "--file", str(path), "--json", "-")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == pytest.approx(score(name, lowest_form(INSTRUMENTS[name])).total)
    assert data["instrument"] == name


def test_json_file_flat_items_and_flag_override(run, tmp_path):
    path = tmp_path / "saq.json"
    path.write_text(json.dumps(lowest_form(get_instrument("saq"))))
    result = run("saq", "-f", str(path), "-i", "eye_waters_eating=5", "--json", "-")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["items"]["eye_waters_eating"] == 5
    assert data["total"] == pytest.approx(13 / 45 * 100)


def test_file_with_options_rater_and_evidence(run, tmp_path):
    items = {item.key: 100 for item in get_instrument("eface").items}
    evidence = {key: {"measurement": f"{key}_m", "value": 1.0, "confidence": 0.75} for key in items}
    path = tmp_path / "auto.json"
    path.write_text(
        json.dumps(
            {
                "instrument": "eface",
                "items": items,
                "options": {"total_formula": "weighted"},
                "rater": "automatic",
                "rated_at": "2026-03-02T09:30:00+00:00",
                "evidence": evidence,
            }
        )
    )
    result = run("eface", "-f", str(path))
    assert result.exit_code == 0, result.output
    assert "rated by automatic at 2026-03-02T09:30:00+00:00" in result.output
    assert "ocular_synkinesis_m = 1 (0.75)" in result.output
    assert "weighted: (static + 2 * dynamic + synkinesis) / 4" in result.output


def test_saved_result_can_be_rescored(run, tmp_path):
    out = tmp_path / "sb.json"
    assert run("sunnybrook", *flags(SYNKINETIC), "--json", str(out)).exit_code == 0
    again = run("sunnybrook", "-f", str(out), "--json", "-")
    data = json.loads(again.stdout)
    assert data["total"] == 37 and data["choices"] == {"rest_eye": "narrow"}


def test_eface_option_and_uncertainty_labels(run):
    items = {item.key: 150 if item.bidirectional else 80 for item in get_instrument("eface").items}
    result = run("eface", *flags(items), "--option", "total_formula=weighted")
    assert result.exit_code == 0, result.output
    assert "weighted" in result.output
    assert "[U]" in result.output
    assert "project" in result.output


def test_interactive_prompts_show_labels(run):
    answers = "\n".join(["9", "III"]) + "\n"  # a bad answer is re-asked
    result = run("hb", "--interactive", input=answers)
    assert result.exit_code == 0, result.output
    assert "IV, moderately severe dysfunction" in result.output
    assert "must be one of 1, 2, 3, 4, 5, 6" in result.output
    assert "grade III" in result.output


def test_interactive_fills_only_missing_items(run):
    given = lowest_form(get_instrument("saq"))
    del given["twitching_tightness"]
    result = run("saq", *flags(given), "--interactive", input="5\n")
    assert result.exit_code == 0, result.output
    assert "my face twitches or feels tight" in result.output
    assert "SAQ score: 28.89" in result.output


def test_interactive_draft_allows_skipping(run):
    # CliRunner echoes typed answers to stdout; a terminal does not, so the JSON starts at "{".
    result = run("saq", "--interactive", "--draft", "--json", "-", input="2\n" + "\n" * 8)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout[result.stdout.index("{") :])
    assert data["draft"] is True and data["total"] is None
    assert data["items"] == {"eye_closes_smiling": 2}


def test_draft_from_flags(run):
    result = run("sunnybrook", "-i", "rest_eye=wide", "--draft")
    assert result.exit_code == 0, result.output
    assert "DRAFT" in result.output and "Missing items" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sunnybrook", "-i", "voluntary_brow_lift=7"],
            "item 'voluntary_brow_lift' must be one of 1, 2, 3, 4, 5",
        ),
        (["eface", "-i", "brow_rest=250", "--draft"], "must be a number from 0 to 200"),
        (["saq", "-i", "eye_waters_eating=often", "--draft"], "got 'often'"),
        (["fngs2", "-i", "brow=0", "--draft"], "item 'brow' must be one of 1, 2, 3, 4, 5, 6"),
        (["face", "-i", "social_mood=6", "--draft"], "face_qol item 'social_mood'"),
        (["hb", "-i", "grade=VII"], "got 'VII'"),
        (["hb", "-i", "grade"], "must be written NAME=VALUE"),
        (["hb", "-i", "colour=2"], "has no item 'colour'"),
        (["saq", "-i", "eye_closes_smiling=1"], "missing items"),
        (["bells", "-i", "x=1"], "unknown instrument 'bells'"),
        ([], "give an INSTRUMENT"),
        (["saq"], "no items given"),
        (["eface", "--draft", "--option", "total_formula=median"],
         "'total_formula' must be one of"),
        (["hb", "-i", "grade=2", "--rater", "automatic"], "needs evidence"),
        (["hb", "-i", "grade=2", "--rater", "nurse"], "'nurse' is not one of"),
        (["hb", "-f", "/nonexistent/form.yaml"], "cannot read"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(run, args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    assert "Traceback" not in result.output


def test_bad_file_contents_exit_2(run, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("items: [unclosed\n")
    result = run("saq", "-f", str(broken))
    assert result.exit_code == 2 and "not valid JSON/YAML" in result.stderr
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"instrument": "saq", "items": {}}))
    result = run("hb", "-f", str(wrong))
    assert result.exit_code == 2 and "is a saq form, not house_brackmann" in result.stderr
    naive = tmp_path / "naive.json"
    naive.write_text(json.dumps({"items": {"grade": 1}, "rated_at": "2026-03-02T09:30:00"}))
    result = run("hb", "-f", str(naive))
    assert result.exit_code == 2 and "timezone-aware" in result.stderr
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe")
    result = run("sunnybrook", "-f", str(binary))
    assert result.exit_code == 2 and "is not a text (UTF-8) JSON/YAML form" in result.stderr
    assert "Traceback" not in result.output


def test_option_syntax_error_shows_an_option():
    """The example of a malformed --option names an option, not an item."""
    from synkinesis.scales.entry import EntryError, parse_pairs

    with pytest.raises(EntryError, match="e.g. total_formula=weighted"):
        parse_pairs(["total_formula"], what="--option")
    with pytest.raises(EntryError, match="e.g. rest_eye=1"):
        parse_pairs(["rest_eye"], what="--item")


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_schema_output_validates_forms(run, name):
    result = run(name, "--schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    good = {"instrument": name, "items": highest_form(INSTRUMENTS[name])}
    jsonschema.validate(good, schema)
    bad = {"instrument": name, "items": highest_form(INSTRUMENTS[name]) | {"nope": 1}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_form_lists_items_and_values(run):
    result = run("sunnybrook", "--form")
    assert result.exit_code == 0
    assert "rest_eye" in result.output and "eyelid_surgery" in result.output


def test_item_flags_accept_json_numbers(run):
    items = {item.key: 100 for item in get_instrument("eface").items} | {"brow_rest": 62.5}
    result = run("eface", *flags(items), "--json", "-")
    assert json.loads(result.stdout)["item_scores"]["brow_rest"] == 62.5


def test_sunnybrook_normal(run):
    result = run("sunnybrook", *flags(SUNNYBROOK_NORMAL))
    assert "composite score: 100" in result.output


def test_interactive_draft_ends_at_end_of_input(run):
    result = run("sunnybrook", "--interactive", "--draft", "--json", "-", input="narrow\n2\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout[result.stdout.index("{") :])
    assert data["items"] == {"rest_eye": 1, "rest_cheek": 2}
    assert data["choices"] == {"rest_eye": "narrow"}


def test_interactive_without_draft_aborts_at_end_of_input(run):
    result = run("saq", "--interactive", input="1\n")
    assert result.exit_code == 1


def test_named_choice_shows_its_own_meaning(run):
    result = run("hb", "-i", "grade=iv")
    assert result.exit_code == 0
    assert "IV, moderately severe dysfunction" in result.output


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"items": [1, 2]}, "'items' must be a mapping"),
        ({"items": {"grade": 1}, "options": [1]}, "'options' must be a mapping"),
        ({"items": {"grade": 1}, "rater": "automatic", "evidence": [1]}, "evidence must be a"),
        ({"items": {"grade": 1}, "rater": "automatic", "evidence": {"grade": 3}}, "evidence for"),
        ({"format": "synkinesis.scale_result", "instrument": "hb"}, "'items' must be a mapping"),
        ([1, 2], "must contain a mapping"),
    ],
)
def test_malformed_files_exit_2_without_traceback(run, tmp_path, document, message):
    path = tmp_path / "form.json"
    path.write_text(json.dumps(document))
    result = run("hb", "-f", str(path))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_user_text_is_not_read_as_markup(run, tmp_path):
    path = tmp_path / "auto.json"
    evidence = {"grade": {"measurement": "[/bold] odd", "value": 1, "confidence": 1, "unit": "[x]"}}
    path.write_text(json.dumps({"items": {"grade": 2}, "rater": "automatic", "evidence": evidence}))
    result = run("hb", "-f", str(path), "--rater-name", "[/red]", "--visit", "[b]v1")
    assert result.exit_code == 0, result.output
    assert "[/red]" in result.output and "[b]v1" in result.output
    assert "[/bold] odd = 1 [x] (1.00)" in result.output


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(list(INSTRUMENTS)),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
def test_any_typed_value_scores_or_exits_2(name, text):
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Root."""

    register(app)
    key = INSTRUMENTS[name].item_keys[0]
    result = CliRunner().invoke(app, ["score", name, "--draft", "-i", f"{key}={text}"])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
