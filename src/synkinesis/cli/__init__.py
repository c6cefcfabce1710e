"""The ``synk`` command. Each sub-command lives in its own module and is a thin call into the
library; this module only assembles them."""

from __future__ import annotations

import typer

from synkinesis import __version__

app = typer.Typer(
    name="synk",
    help="Measure, score, track and model facial synkinesis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown: docstring paragraphs are reflowed and indented examples stay code blocks.
    rich_markup_mode="markdown",
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"synkinesis {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Measure, score, track and model facial synkinesis."""


def _register() -> None:
    """Every module of this package that defines ``register(app)`` adds its commands."""
    import importlib
    import pkgutil

    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register()


def main() -> None:
    from synkinesis.files import use_private_umask

    # Every file and folder any command creates (results, tables, figures, the record, the
    # web server's uploads) is readable by the user only: it is patient data.
    use_private_umask()
    app()
