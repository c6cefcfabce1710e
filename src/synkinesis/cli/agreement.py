"""``synk agreement``: how automatic scale items agree with clinicians' across a cohort."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from synkinesis.cli.common import console, fail, json_option, overwrite_option

__all__ = ["agreement", "register"]

_OUTPUT_SUFFIXES = (".csv", ".json")


def agreement(
    table_path: Path = typer.Argument(
        ..., metavar="TABLE", show_default=False,
        help="CSV or Parquet, one row per recording x scale item: recording, instrument, item, "
             "automatic, clinician (optional: rater)."),
    output: Path = typer.Option(
        None, "-o", "--output", show_default=False,
        help="Write the results: .csv (one row per item) or .json (self-describing)."),
    plots: Path = typer.Option(
        None, "--plots", metavar="DIR", show_default=False,
        help="Write a Bland-Altman plot (PNG) per item into DIR."),
    instrument: str = typer.Option(
        None, "--instrument", metavar="NAME", show_default=False,
        help="Only this instrument (sunnybrook, eface, house_brackmann/hb, fngs2, saq, "
             "face_qol)."),
    json_output: str = json_option("the agreement document"),
    overwrite: bool = overwrite_option(),
) -> None:
    """Agreement of automatic scale items with clinicians' scores, item by item.

    Every statistic comes with its 95 % confidence interval; differences are automatic minus
    clinician; rows with either score missing are left out and counted; items with fewer than
    5 complete pairs say "not enough pairs".

    - **n**: complete pairs (recordings with both scores).

    - **ICC**: ICC(A,1) = ICC(2,1), two-way random, absolute agreement, single rater (1 =
      identical scores; an offset between the two lowers it). ICC(C,1) = ICC(3,1),
      consistency, is in the CSV/JSON output.

    - **kappa**: Cohen's kappa with quadratic weights, ordinal items only (House-Brackmann
      grade, Sunnybrook, FNGS 2.0 items): agreement beyond chance, near misses count partly.

    - **bias**: mean of automatic - clinician (the systematic offset).

    - **LoA**: 95 % limits of agreement, bias -/+ 1.96 SD: where 95 % of the differences fall.

    - **rho**: Spearman's rank correlation (do the two order the recordings alike?).

    Details and how to read them: docs/agreement.md.

    Example:

        synk agreement cohort.csv -o agreement.csv --plots ba-plots/

        synk agreement cohort.parquet --instrument hb --json -
    """
    try:
        import pingouin  # noqa: F401  (the statistics' own imports are lazy: check them here)
        import statsmodels  # noqa: F401

        from synkinesis.cohort.agreement import (
            AgreementInputError,
            agreement_frame,
            agreement_of_pairs,
            agreement_to_dict,
            paired_scores,
        )
        from synkinesis.cohort.tables import read_score_table
    except ModuleNotFoundError as error:
        fail(f"this command needs the optional 'research' part ({error.name} is not "
             "installed): pip install 'synkinesis[research]'")
    from synkinesis.files import OutputPathError, check_output_path, use_private_umask

    if output is not None and output.suffix.lower() not in _OUTPUT_SUFFIXES:
        fail(f"-o/--output must end in {' or '.join(_OUTPUT_SUFFIXES)}, got {output.name}")
    targets = [path for path in (output, None if json_output in (None, "-") else
                                 Path(json_output)) if path is not None]
    try:
        for target in targets:
            check_output_path(target, inputs=[table_path], overwrite=overwrite)
        table = read_score_table(table_path)
        pairs = paired_scores(table, instrument=instrument)
        if pairs.empty:
            fail(f"{table_path}: the table has no rows")
        results = agreement_of_pairs(pairs)
    except (AgreementInputError, OutputPathError, FileNotFoundError, ValueError) as error:
        # ValueError: a file read_score_table cannot parse
        fail(str(error))
    if not any(result.statistics.enough_pairs for result in results):
        fail("not enough pairs: every item has fewer than 5 recordings with both scores ("
             + ", ".join(f"{r.instrument} {r.item}: {r.n}" for r in results[:6])
             + (", ..." if len(results) > 6 else "") + ")")

    use_private_umask()
    document = agreement_to_dict(results, software=_software_versions())
    written: list[Path] = []
    try:
        if plots is not None:
            from synkinesis.cohort.plots import save_bland_altman_plots

            written += save_bland_altman_plots(pairs, results, plots, overwrite=overwrite,
                                               inputs=[table_path])
    except OutputPathError as error:
        fail(str(error))
    if output is not None:
        if output.suffix.lower() == ".json":
            output.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
        else:
            frame = agreement_frame(results)
            frame["format"] = f"{document['format']}/{document['format_version']}"
            frame["software"] = ", ".join(f"{k} {v}" for k, v in document["software"].items())
            frame.to_csv(output, index=False)
        written.append(output)
    if json_output == "-":
        sys.stdout.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
        return
    if json_output is not None:
        Path(json_output).write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
        written.append(Path(json_output))
    _print_table(results)
    if plots is not None:
        console.print(f"plots: {plots} ({sum(p.suffix == '.png' for p in written)} PNG)",
                      highlight=False)
    for path in written:
        if path.suffix != ".png":
            console.print(f"wrote {path}", highlight=False)


def _software_versions() -> dict[str, str]:
    from importlib.metadata import version

    from synkinesis import __version__

    versions = {"synkinesis": __version__}
    for package in ("pingouin", "statsmodels", "scipy", "pandas"):
        versions[package] = version(package)
    return versions


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _interval(estimate) -> str:
    """``0.90`` over ``[0.82, 0.95]`` (two lines keep the table within 80 columns)."""
    if estimate is None:
        return "-"
    if estimate.low is None or estimate.high is None:
        return _number(estimate.value)
    return f"{_number(estimate.value)}\n[{_number(estimate.low)}, {_number(estimate.high)}]"


def _print_table(results) -> None:
    from rich import box
    from rich.table import Table

    table = Table(title="Agreement, automatic vs clinician (95 % CI in brackets)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=(0, 0, 0, 2))
    for name in ("item", "n", "ICC(A,1)", "kappa", "bias\nLoA", "rho"):
        table.add_column(name, justify="left" if name == "item" else "right",
                         no_wrap=name != "item", overflow="fold",
                         min_width=15 if name == "item" else None)
    notes: list[str] = []
    instrument = None
    for result in results:
        if result.instrument != instrument:
            instrument = result.instrument
            table.add_row(f"[bold]{instrument}[/bold]")
        statistics = result.statistics
        label = f"{result.item}" + ("" if result.rater is None else f" ({result.rater})")
        n = str(statistics.n)
        if result.n_missing:
            notes.append(f"{result.instrument} {label}: {result.n_missing} row(s) left out (a "
                         "score missing)")
        if not statistics.enough_pairs:
            table.add_row(label, n, "not enough pairs", end_section=False)
            continue
        kappa = _interval(statistics.kappa) if result.ordinal else "n/a"
        lower, upper = statistics.loa_lower, statistics.loa_upper
        assert lower is not None and upper is not None
        rho = "-" if statistics.spearman is None else f"{statistics.spearman.value:.2f}"
        bias = statistics.bias
        assert bias is not None
        table.add_row(label, n, _interval(statistics.icc_agreement), kappa,
                      f"{_number(bias.value)}\n{_number(lower.value)} to {_number(upper.value)}",
                      rho)
        notes += [f"{result.instrument} {label}: {note}" for note in statistics.notes]
    console.print(table)
    console.print("n: recordings with both scores. kappa: quadratic weights, n/a for a "
                  "continuous item. bias (mean) and LoA (95 % limits of agreement) of "
                  "automatic - clinician. rho: Spearman. The -o/--json output has every "
                  "interval and ICC(C,1).", highlight=False, soft_wrap=True)
    for note in notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("agreement")(agreement)
