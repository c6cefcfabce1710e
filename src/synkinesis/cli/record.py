"""``synk record add VIDEO --visit ...``: measure a visit's video, analyse it, store it."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.common import (
    Method,
    console,
    iris_option,
    measure_options,
    method_option,
    mirrored_option,
    parse_spans,
    progress_bar,
    protocol_option,
    rest_option,
    span_option,
)
from synkinesis.cli.store_support import bad_input_exits, fmt, open_record

record_app = typer.Typer(help="Recordings of visits with their measurements and analyses.",
                         no_args_is_help=True)

_SHOWN = ("palpebral_fissure_range_affected_pct", "mouth_corner_excursion_range_affected_pct",
          "brow_height_range_affected_pct", "usable_frames_pct")


@record_app.command("add")
def record_add(
    video: Path = typer.Argument(..., help="The video of the visit (mp4, mov, ...)."),
    visit: str = typer.Option(..., "--visit", help="Visit: CODE@YYYY-MM-DD or its id."),
    no_analysis: bool = typer.Option(False, "--no-analysis",
                                     help="Measure only; do not run the analysis."),
    measurement: Path = typer.Option(None, "--measurement",
                                     help="Attach this existing .synk result instead of "
                                          "measuring (copied into the record)."),
    analysis: Path = typer.Option(None, "--analysis",
                                  help="Attach this existing analysis JSON instead of "
                                       "running the analysis."),
    protocol: Path = protocol_option(),
    span: list[str] = span_option(),
    protocol_version: str = typer.Option(None, "--protocol-version",
                                         help="Recording protocol version stored with the "
                                              "recording (default: the analysis's, else "
                                              "this software's)."),
    force: bool = typer.Option(False, "--force",
                               help="Attach --measurement/--analysis even when they were not "
                                    "made from this video."),
    iris_mm: float = iris_option(),
    mirrored: bool = mirrored_option(),
    method: Method = method_option(),
    rest: str = rest_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    source_path: bool = typer.Option(False, "--source-path",
                                     help="Store the video's full path (default: its file "
                                          "name and sha256 only, no folder names)."),
) -> None:
    """Add a visit's video: measure, analyse, store.

    Measures the video (`synk measure`), analyses it when the analysis stage is installed
    (else says why not), and stores the result files with their sha256 and summary indices.
    The analysis is guided by task spans as in `synk analyze`: --span TASK=START:END, else
    --protocol FILE (also --spans FILE), else the recorder's VIDEO_STEM.protocol.json beside
    the video; without them it segments unguided.
    Attached results must come from this video (frames, rate, size), unless --force.
    The same video (same sha256) cannot be added twice.

    Example:

        synk record add smile.mp4 --visit P001@2026-03-02
    """
    from synkinesis.workflow import WorkflowOptions, record_recording

    options = WorkflowOptions(
        measure=measure_options(method=method, iris_mm=iris_mm, mirrored=mirrored, rest=rest),
        spans=parse_spans(span), protocol_file=protocol, analyse=not no_analysis)
    with bad_input_exits():
        store = open_record()
        with progress_bar(quiet or measurement is not None, video.name) as advance:
            outcome = record_recording(store, video=video, visit_ref=visit, options=options,
                                       measurement=measurement, analysis=analysis,
                                       protocol_version=protocol_version, force=force,
                                       progress=advance, on_total=advance.set_total,
                                       on_phase=advance.phase, keep_source_path=source_path)
    frames = outcome.summary.get("frames", {})
    console.print(f"recorded {video.name} for {outcome.visit_ref} (recording "
                  f"{outcome.recording_id[:8]}, sha256 {outcome.sha256[:12]}...)",
                  highlight=False)
    console.print(f"  measurement: {outcome.measurement_path} ({frames.get('count', '?')} "
                  f"frames, {frames.get('usable', '?')} usable)", highlight=False)
    guided = f", {outcome.segmentation}" if outcome.segmentation else ""
    console.print(f"  analysis: {outcome.analysis_path or '-'} ({outcome.analysis_status}"
                  f"{guided})", highlight=False, markup=False)
    for note in outcome.scale_notes:
        console.print(f"  {note}", highlight=False, markup=False)
    console.print(f"  {len(outcome.indices)} indices stored", highlight=False)
    for name in _SHOWN:
        if name in outcome.indices:
            index = outcome.indices[name]
            console.print(f"    {name} = {fmt(index.value)} {index.unit}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(record_app, name="record")
