"""``synk schema``: the JSON Schema of a file the package writes."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from synkinesis.cli.common import emit_json, overwrite_option


class SchemaName(StrEnum):
    """The files with a schema (:data:`synkinesis.schemas.SCHEMAS`)."""

    MANIFEST = "manifest"
    ANALYSIS = "analysis"


def schema(
    name: SchemaName = typer.Argument(..., help="manifest: the manifest.json inside a .synk "
                                                "result; analysis: an .analysis.json."),
    output: Path = typer.Option(None, "-o", "--output", show_default=False,
                                help="Write the schema here instead of to standard output."),
    overwrite: bool = overwrite_option(),
) -> None:
    """Print the JSON Schema (draft 2020-12) of a file synk writes.

    For programs that read the results: validate a file with any JSON Schema tool. The same
    schemas are in docs/schemas/.

    Example:

        synk schema analysis -o analysis.schema.json

        unzip -p visit.synk manifest.json > manifest.json; synk schema manifest > m.json
    """
    from synkinesis.schemas import json_schema

    emit_json(json_schema(str(name)), output if output is not None else "-",
              overwrite=overwrite)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
