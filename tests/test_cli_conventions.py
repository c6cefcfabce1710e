"""Conventions every ``synk`` command keeps: ``-o`` is an output, ``--json PATH|-`` on every
command that reports, one ``error:`` line on every error, help without type noise and with
an example, shell completion, choices shown in help."""

from __future__ import annotations

import json
import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from synkinesis.cli import app

runner = CliRunner()


def _commands(command=None, path=()):
    """(path, click command) of every leaf command of ``synk``."""
    command = command if command is not None else get_command(app)
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        yield path, command
        return
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands())
#: The commands that print a report of what they found or did.
REPORTING = {("measure",), ("analyze",), ("history",), ("trend",), ("compare",), ("due",),
             ("doses",), ("audit",), ("patient", "list"), ("patient", "show"), ("score",),
             ("predict",), ("validate",), ("agreement",)}


def synk(*args, input=None, columns=120):
    return runner.invoke(app, [str(a) for a in args], input=input,
                         env={"COLUMNS": str(columns)})


def test_the_command_tree_is_found():
    assert len(COMMANDS) > 30 and REPORTING <= set(COMMANDS)


def test_each_command_is_built_alone_from_its_own_module(monkeypatch):
    """`synk <name>` builds only the module the table names (issue 23: start-up); the table
    names every top-level command, where it is; a name it does not know gets the whole
    command."""
    from synkinesis.cli import COMMAND_MODULES, app_for

    top = set(get_command(app).commands)
    assert set(COMMAND_MODULES) == top
    for name in sorted(top):
        alone = get_command(app_for([name, "--help"]))
        assert set(alone.commands) == {name} | {other for other, module in COMMAND_MODULES.items()
                                                if module == COMMAND_MODULES[name]}, name
    for args in ([], ["--help"], ["--version"], ["no-such-command"], ["--help", "measure"],
                 ["--version", "measure"], ["-h", "measure"]):
        assert set(get_command(app_for(args)).commands) == top, args
    # a table gone stale (the command moved to another module): the whole command, it runs
    monkeypatch.setitem(COMMAND_MODULES, "measure", "analyze")
    assert set(get_command(app_for(["measure", "x.mp4"])).commands) == top
    monkeypatch.undo()
    # what the single-command app does is what the whole one does
    whole = synk("measure", "--help", columns=100).output
    assert runner.invoke(app_for(["measure"]), ["measure", "--help"],
                         env={"COLUMNS": "100"}).output == whole


@pytest.mark.parametrize("args", [["--help", "measure"], ["--version", "measure"]])
def test_a_global_option_before_the_command_gets_the_whole_command(args):
    """`synk --help measure` is the group's help with every command, as `synk --help` (the
    single-command build listed only the measure module's): an option before the command
    name builds the whole command. Run as a user runs it: a process through ``main()``."""
    import os
    import subprocess
    import sys

    from synkinesis.cli import COMMAND_MODULES

    env = {**os.environ, "COLUMNS": "100"}

    def run(*argv):
        result = subprocess.run([sys.executable, "-m", "synkinesis", *argv],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    alone = run(args[0])
    assert run(*args) == alone
    if args[0] != "--version":
        listed = {line.split()[1] for line in alone.splitlines()
                  if len(line.split()) > 1 and line.split()[0] == "│"}
        assert set(COMMAND_MODULES) <= listed, listed


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help_has_an_example_and_no_type_noise(path):
    result = synk(*path, "--help")
    assert result.exit_code == 0, result.output
    assert not re.search(r"<(bool|int|float|text|str|path|list|int range|float range)\b",
                         result.output, re.IGNORECASE), result.output
    assert "Example" in result.output


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_dash_o_is_always_an_output(path):
    for param in COMMANDS[path].params:
        if "-o" in getattr(param, "opts", ()):
            assert {"--output", "--json"} & set(param.opts), (path, param.opts)


@pytest.mark.parametrize("path", sorted(REPORTING), ids=" ".join)
def test_every_reporting_command_has_json_path_or_dash(path):
    (option,) = [p for p in COMMANDS[path].params if "--json" in p.opts]
    assert not option.is_flag and option.metavar == "PATH|-"


def test_shell_completion_is_on():
    result = synk("--help")
    assert "--install-completion" in result.output and "--show-completion" in result.output


def test_choices_are_shown_in_help():
    from synkinesis.cli.common import Method
    from synkinesis.measure import METHODS

    assert set(Method) == set(METHODS)  # the CLI's choices are the library's methods
    def help_text(*path):
        return synk(*path, "--help", columns=400).output

    assert "|".join(METHODS) in help_text("measure")
    assert "left|right|auto" in help_text("analyze")
    assert "clinician|patient|automatic|any" in help_text("trend")
    assert "clinician|patient|automatic" in help_text("score")


def _one_error_line(result):
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Error" not in result.stderr and "╭" not in result.stderr, result.stderr


@pytest.mark.parametrize("args", [
    ["nosuchcommand"],
    ["measure"],
    ["measure", "--method", "best", "x.mp4"],
    ["measure", "/nonexistent/video.mp4"],
    ["analyze", "/nonexistent/video.mp4", "-o", "out"],
    ["analyze", "x.synk"],  # -o missing
    ["score", "hb", "--rater", "nurse", "-i", "grade=II"],
    ["score", "hb", "-i", "grade"],
    ["score", "hb", "-f", "/nonexistent.yaml"],
    ["simulate", "-o", "x.txt"],
    ["simulate", "--injury", "middle", "-o", "x.synk"],
    ["predict", "--at", "soon", "--injury", "left"],
    ["predict", "--side", "up"],
    ["validate", "--sides", "up"],
    ["report", "/nonexistent.analysis.json", "-o", "r.html"],
    ["agreement", "/nonexistent.csv"],
], ids=lambda args: " ".join(args))
def test_every_error_is_one_error_line(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_error_line(synk(*args))


@pytest.fixture
def record(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNK_DATABASE_URL", f"sqlite:///{tmp_path / 'record.sqlite'}")
    monkeypatch.setenv("SYNK_DATA_DIR", str(tmp_path / "derived"))
    monkeypatch.delenv("SYNK_TOXIN_INTERVAL_DAYS", raising=False)
    for args in (["patient", "add", "P001", "--side", "left", "--onset", "2025-01-10"],
                 ["visit", "add", "P001", "--date", "2025-03-01"],
                 ["visit", "score", "P001@2025-03-01", "hb", "-i", "grade=III"],
                 ["toxin", "add", "P001", "--date", "2025-03-02", "--product", "botox",
                  "--inject", "orbicularis_oculi:left:5"],
                 ["visit", "add", "P001", "--date", "2025-03-16"],
                 ["visit", "score", "P001@2025-03-16", "hb", "-i", "grade=II"]):
        result = synk(*args)
        assert result.exit_code == 0, (args, result.output, result.stderr)
    return tmp_path


@pytest.mark.parametrize("args", [
    ["patient", "list"], ["patient", "show", "P001"], ["history", "P001"],
    ["trend", "P001", "hb"], ["compare", "P001", "hb"], ["due", "--today", "2025-06-01"],
    ["doses", "P001", "--effects"], ["audit", "--patient", "P001"],
    ["score", "hb", "-i", "grade=II"],
], ids=lambda args: " ".join(args))
def test_reporting_commands_print_valid_json_with_dash(record, args):
    result = synk(*args, "--json", "-")
    assert result.exit_code == 0, (result.output, result.stderr)
    data = json.loads(result.stdout)
    assert data  # something was reported
    written = record / "out.json"
    again = synk(*args, "--json", written)
    assert again.exit_code == 0, again.stderr
    if args[0] not in ("audit", "score"):  # these change with each run (a view, a time)
        assert json.loads(written.read_text()) == data
    _one_error_line(synk(*args, "--json", written))  # an existing file needs --overwrite
    assert synk(*args, "--json", written, "--overwrite").exit_code == 0


def test_the_reports_hold_the_numbers_shown(record):
    trend = json.loads(synk("trend", "P001", "hb", "--json", "-").stdout)
    assert [row["point"]["value"] for row in trend["rows"]] == [3, 2]
    doses = json.loads(synk("doses", "P001", "--json", "-").stdout)
    assert doses["rows"] == [{"muscle": "orbicularis_oculi", "side": "left", "units": [5.0],
                              "total": 5.0}]
    due = json.loads(synk("due", "--today", "2025-06-01", "--json", "-").stdout)
    assert due["patients"][0]["due_date"] == "2025-05-25"  # 2025-03-02 + 84 days


def test_the_cli_choices_are_the_library_vocabularies():
    from synkinesis.cli import common
    from synkinesis.coupling import HELD_LEVELS, NOISE_FLOORS, REPETITION_RULES
    from synkinesis.scales import Rater
    from synkinesis.store import vocabulary
    from synkinesis.web.accounts import ROLES

    assert set(common.PatientSide) == set(vocabulary.AFFECTED_SIDES)
    assert set(common.TreatedSide) == set(vocabulary.INJECTION_SIDES)
    assert set(common.ProcedureKind) == set(vocabulary.PROCEDURE_KINDS)
    assert set(common.Role) == set(ROLES)
    assert set(common.ScaleRater) == {*Rater, "any"}
    assert set(common.NoiseFloor) == set(NOISE_FLOORS)
    assert set(common.CombineRepetitions) == set(REPETITION_RULES)
    assert set(common.HeldLevel) == set(HELD_LEVELS)


def test_piped_output_is_not_wrapped_at_80_columns():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    result = subprocess.run([sys.executable, "-m", "synkinesis", "score", "hb", "-i", "grade=II"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    (source,) = [line for line in result.stdout.splitlines() if line.startswith("source: ")]
    assert len(source) > 80  # one line, as long as it is
    from synkinesis.scales import get_instrument

    assert source == f"source: {get_instrument('hb').source}"


@pytest.mark.parametrize("columns", [None, "80"])
def test_piped_help_is_not_wrapped_at_80_columns(columns):
    """--help into a pipe or file keeps an option's help on one line, as the commands' output
    does (at least PIPE_WIDTH columns: a terminal uses its own width, TERMINAL_WIDTH wins)."""
    from synkinesis.cli.common import PIPE_WIDTH

    line = ("A task span in seconds, e.g. --span rest=0:2 --span big_smile=5:8 "
            "(repeatable; overrides --protocol).")
    result = runner.invoke(app, ["analyze", "--help"],
                           env={"COLUMNS": columns, "TERMINAL_WIDTH": None})
    assert result.exit_code == 0, result.output
    assert any(line in shown for shown in result.output.splitlines()), result.output
    assert max(len(shown) for shown in result.output.splitlines()) == PIPE_WIDTH


def test_terminal_width_still_sets_the_help_width():
    result = runner.invoke(app, ["analyze", "--help"], env={"TERMINAL_WIDTH": "70"})
    assert result.exit_code == 0, result.output
    assert max(len(shown) for shown in result.output.splitlines()) == 70


def test_file_name_patterns_in_help_are_shown_as_written():
    """Help is Markdown: <stem>.synk must not vanish as an HTML tag."""
    result = runner.invoke(app, ["analyze", "--help"])
    assert result.exit_code == 0, result.output
    assert "<stem>.analysis.json" in result.output and "\\<" not in result.output
    again = runner.invoke(app, ["analyze", "--help"])  # escaped once, not on every call
    assert again.output == result.output
