"""The ``synk`` command. Each sub-command lives in its own module and is a thin call into the
library; this module only assembles them."""

from __future__ import annotations

import typer

from synkinesis import __version__
from synkinesis.cli.common import _group_class

app = typer.Typer(
    cls=_group_class(),
    name="synk",
    help="Measure, score, track and model facial synkinesis.",
    no_args_is_help=True,
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


#: The top-level module of each optional stack -> the extra that installs it.
_EXTRA_OF_MODULE = {
    "sqlalchemy": "record", "alembic": "record", "fhir": "record", "psycopg": "postgresql",
    "fastapi": "web", "starlette": "web", "uvicorn": "web", "jinja2": "web",
    "multipart": "web", "python_multipart": "web", "websockets": "web",
}


def main() -> None:
    from synkinesis.files import use_private_umask

    # Every file and folder any command creates (results, tables, figures, the record, the
    # web server's uploads) is readable by the user only: it is patient data.
    use_private_umask()
    try:
        app()
    except ModuleNotFoundError as error:
        extra = _EXTRA_OF_MODULE.get((error.name or "").split(".")[0])
        if extra is None:
            raise
        from synkinesis.cli.common import print_error

        print_error(f"this command needs the optional '{extra}' part ({error.name} is not "
                    f"installed): pip install 'synkinesis[{extra}]'")
        raise SystemExit(2) from None
