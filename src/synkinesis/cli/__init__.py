"""The ``synk`` command. Each sub-command lives in its own module and is a thin call into the
library; this module only assembles them."""

from __future__ import annotations

import functools
import gc
import sys

import typer

from synkinesis import __version__
from synkinesis.cli.common import _group_class

#: The module of this package that defines each top-level command (``synk <name>``), so that
#: running one command imports and builds only that module's commands: importing every other
#: command module and turning its commands into click commands cost about 30 ms of CPU on
#: each run (issue 23; twice that where the sources are compiled afresh on each run). A hint
#: only: a name missing here, or moved to another module, still works (the whole command is
#: built then); tests/test_cli_conventions.py checks it is complete.
COMMAND_MODULES = {
    "agreement": "agreement", "analyze": "analyze", "audit": "audit", "batch": "batch",
    "compare": "history", "db": "db", "doses": "history", "due": "history",
    "history": "history", "measure": "measure", "patient": "patient", "predict": "simulate",
    "procedure": "treatment", "record": "record", "report": "report", "schema": "schema",
    "score": "score", "serve": "serve", "simulate": "simulate", "therapy": "treatment",
    "toxin": "treatment", "trend": "history", "validate": "simulate", "visit": "visit",
}


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"synkinesis {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Measure, score, track and model facial synkinesis."""


def _new_app() -> typer.Typer:
    """The ``synk`` group without its commands."""
    made = typer.Typer(
        cls=_group_class(),
        name="synk",
        help="Measure, score, track and model facial synkinesis.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        # Markdown: docstring paragraphs are reflowed and indented examples stay code blocks.
        rich_markup_mode="markdown",
    )
    made.callback()(_root)
    return made


def _register(target: typer.Typer, modules: list[str] | None = None) -> None:
    """Every module of this package that defines ``register(app)`` adds its commands to
    ``target`` (only ``modules``, when given)."""
    import importlib
    import pkgutil

    names = modules if modules is not None else sorted(
        info.name for info in pkgutil.iter_modules(__path__))
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(target)


def _command_names(target: typer.Typer) -> set[str]:
    return ({command.name for command in target.registered_commands}
            | {group.name for group in target.registered_groups})


def app_for(args: list[str]) -> typer.Typer:
    """The ``synk`` command as ``args`` (the command line without the program) need it: with
    only the module of the command they name (:data:`COMMAND_MODULES`), or whole (no command
    named, ``--help``, ``--version``, a name not in the table or not where it says).

    Only the plain ``synk <command> ...`` gets the single module: the command name must be
    the first argument. An option before it (``synk --help measure``) is the group's, and the
    group's help must list every command, so anything else builds the whole command."""
    command = args[0] if args else None
    if command is None or command.startswith("-"):
        return _whole_app()
    module = COMMAND_MODULES.get(command)
    if module is not None:
        one = _new_app()
        _register(one, [module])
        if command in _command_names(one):
            return one
    return _whole_app()


@functools.cache
def _whole_app() -> typer.Typer:
    """The ``synk`` command with every command (made once)."""
    whole = _new_app()
    _register(whole)
    return whole


def __getattr__(name: str):
    # ``synkinesis.cli.app``: the whole command (tests, documentation tools), made when first
    # asked for rather than on import, so that ``main()`` can build just one command.
    if name == "app":
        return _whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    # The objects made so far (modules, classes, functions: about 20,000) live as long as the
    # process; frozen, the collector's full collections do not scan them again, and come
    # later (a `synk measure` of a minute's video ran one, 15-24 ms of CPU, and runs none
    # now; issue 23). Nothing made from here on is exempt.
    gc.freeze()
    try:
        app_for(sys.argv[1:])()
    except ModuleNotFoundError as error:
        extra = _EXTRA_OF_MODULE.get((error.name or "").split(".")[0])
        if extra is None:
            raise
        from synkinesis.cli.common import print_error

        print_error(f"this command needs the optional '{extra}' part ({error.name} is not "
                    f"installed): pip install 'synkinesis[{extra}]'")
        raise SystemExit(2) from None
