"""``synk report``: one visit of the record as a printable PDF or HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.common import console, fail, overwrite_option
from synkinesis.cli.store_support import bad_input_exits, open_record


def report(
    visit: str = typer.Argument(
        ..., metavar="VISIT", help="The visit: CODE@YYYY-MM-DD (e.g. P001@2026-11-02) or its id."),
    output: Path = typer.Option(..., "-o", "--output",
                                help="The report file: .pdf (A4) or .html.", show_default=False),
    name: str = typer.Option(None, "--name",
                             help="Print this patient name on the report (the record keeps "
                                  "only the code)."),
    overwrite: bool = overwrite_option(),
    videos: list[Path] = typer.Option(
        [], "--videos", metavar="DIR",
        help="A folder holding the source videos, for the key frames (repeatable). The record "
             "keeps each video's name and sha256, not its folder; the patient's own video "
             "folder in the record is always searched."),
) -> None:
    """Write the report of one visit: summary, findings, quality, figures, scales, trends,
    toxin doses, method.

    Everything comes from the record and the files it keeps (analysis, measure result, source
    video for the key frames); nothing is measured or analysed again. The PDF is made from the
    same page as the HTML and fetches nothing from the network. Left and right are the
    PATIENT's.

    Example:

        synk report P001@2026-11-02 -o P001-2026-11-02.pdf
        synk report P001@2026-11-02 -o report.html --videos ~/clinic/videos
    """
    from synkinesis.files import OutputPathError

    try:
        import jinja2  # noqa: F401 - say what is missing before the work starts

        from synkinesis.reports.visit_report import (
            ReportError,
            check_report_path,
            collect_visit_report,
            write_visit_report,
        )

        if output.suffix.lower() == ".pdf":
            import weasyprint  # noqa: F401
    except ImportError as error:
        fail(f"the report needs the optional 'report' part ({error.name} is not installed): "
             "pip install 'synkinesis[report]'")
    try:
        check_report_path(output, overwrite=overwrite)
    except (ReportError, OutputPathError) as error:
        fail(str(error))
    with bad_input_exits():
        store = open_record()
        with store.reading() as session:
            try:
                content = collect_visit_report(session, visit_ref=visit, name=name,
                                               data_dir=store.settings.data_dir,
                                               video_folders=videos)
            except ReportError as error:
                fail(str(error))
    try:
        written = write_visit_report(content, output, overwrite=overwrite)
    except (ReportError, OutputPathError) as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or type(error).__name__}")
    console.print(f"wrote {written} (visit {content.visit_ref})", highlight=False,
                  soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
