"""The one CLI error helper (synkinesis.cli.common.fail): one line, exit 2, the message shown as
written, brackets included (they are Rich markup otherwise, and vanish)."""

import pytest
import typer

from synkinesis.cli import common


def test_fail_prints_the_message_literally_and_exits_2(capsys):
    with pytest.raises(typer.Exit) as exited:
        common.fail("injury must be SIDE[:SITE], see [research] in /data/[x]/a.synk")
    assert exited.value.exit_code == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: injury must be SIDE[:SITE], see [research] in /data/[x]/a.synk"


def test_the_cli_has_one_fail_helper():
    import importlib
    import pkgutil

    import synkinesis.cli

    for info in pkgutil.iter_modules(synkinesis.cli.__path__):
        module = importlib.import_module(f"synkinesis.cli.{info.name}")
        for name in ("fail", "_fail"):
            helper = getattr(module, name, None)
            assert helper is None or helper is common.fail, (info.name, name)
