"""``synk simulate`` (a synthetic patient's recording plus its ground truth) and ``synk predict``
(what a treatment plan would change)."""

from __future__ import annotations

from pathlib import Path

import typer

from synkinesis.cli.common import (
    CombineRepetitions,
    HeldLevel,
    NoiseFloor,
    Side,
    check_json_target,
    combine_repetitions_option,
    console,
    emit_json,
    fail,
    held_level_option,
    json_option,
    noise_floor_option,
    overwrite_option,
    write_error_message,
)
from synkinesis.cli.simulate_tables import print_validation, wide_console

_INJURY_HELP = ("Injury as SIDE\\[:SITE\\[:SEVERITY]]: side left/right (the patient's), site "
                "proximal (as in Bell's palsy, default) or a branch (temporal, zygomatic, buccal, "
                "marginal_mandibular, cervical), severity = fraction of axons that degenerate "
                "(0..1, default 0.8). Repeatable; none = a healthy face.")
_TREATMENT_HELP = ("Treatment as KIND:ARGS\\[@DAY] (DAY in days since the injury, default "
                   "--day): toxin:MUSCLE_NAME:SIDE:UNITS, block:BRANCH:SIDE\\[:MUSCLE+MUSCLE], "
                   "neurectomy:BRANCH:SIDE\\[:MUSCLE+MUSCLE], "
                   "myectomy:MUSCLE_NAME:SIDE\\[:FRACTION], retraining:SIDE\\[:EFFICACY]. "
                   "Repeatable.")


def _spec(injury, misrouting, sprouts, terminal, non_reaching, axons, day, treatment, seed,
          timing_changes=None):
    """The validated SimulationSpec of the options (exits with one line on bad input)."""
    from synkinesis.simulate.scenarios import build_spec

    try:
        return build_spec(injuries=injury or (), misrouting=misrouting, sprouts=sprouts,
                          terminal_sprouting=terminal, non_reaching=non_reaching, axons=axons,
                          day=day, treatments=treatment or (), seed=seed, timing=timing_changes)
    except ValueError as exc:
        fail(str(exc))


def _repetitions_option():
    return typer.Option(2, "--repetitions",
                        help="Times each simulated task is performed, in a row (the guided "
                             "protocol asks each task twice).")


def _face_px_option():
    return typer.Option(0.0, "--face-px",
                        help="Width of the face in the image, pixels (cheek to cheek): how "
                             "close the camera is. 0 = the neutral face's own size "
                             "(single_face.mp4: 149 px).")


def _frame_option():
    return typer.Option(None, "--frame",
                        help="Video frame as WIDTHxHEIGHT pixels, e.g. 1920x1080. Default: the "
                             "neutral face's frame (single_face.mp4: 640x360).")


def _camera(repetitions: int, face_px: float, frame: str | None) -> dict:
    """Timing fields of ``--repetitions``, ``--face-px`` and ``--frame`` (exits with one line
    on bad input)."""
    from synkinesis.simulate import ModelError
    from synkinesis.simulate.scenarios import parse_frame

    try:
        width, height = parse_frame(frame)
    except ModelError as exc:
        fail(str(exc))
    return {"repetitions": repetitions, "face_px": face_px, "frame_width": width,
            "frame_height": height}


def simulate(
    output: Path = typer.Option(..., "-o", "--output",
                                help="Result file to write (.synk); OUT.truth.json and "
                                     "OUT.protocol.json are written beside it."),
    injury: list[str] = typer.Option(None, "--injury", help=_INJURY_HELP, show_default=False),
    misrouting: float = typer.Option(0.7, "--misrouting",
                                     help="Probability (0..1) that a regrowing sprout enters a "
                                          "wrong muscle's fascicle \\[assumption]."),
    sprouts: float = typer.Option(1.5, "--sprouts",
                                  help="Mean collateral sprouts per regrowing axon (>= 0) "
                                       "\\[assumption]."),
    terminal: float = typer.Option(3.0, "--terminal-sprouting",
                                   help="Largest motor-unit enlargement by terminal sprouting "
                                        "(x normal, >= 1) \\[assumption]."),
    non_reaching: float = typer.Option(0.15, "--non-reaching",
                                       help="Fraction (0..1) of regrowing axons that never "
                                            "reach a muscle \\[assumption]."),
    axons: int = typer.Option(7000, "--axons", help="Motor axons per side \\[U: ~7,000]."),
    day: float = typer.Option(365.0, "--day",
                              help="Day of the recording, in days since the injury."),
    treatment: list[str] = typer.Option(None, "--treatment", help=_TREATMENT_HELP,
                                        show_default=False),
    face: Path = typer.Option(None, "--face",
                              help="Photo, video or .synk result of a real face at rest to "
                                   "animate. Default: single_face.mp4 from $SYNK_MEDIA_DIR or "
                                   "../shared/data/media."),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same output."),
    noise_px: float = typer.Option(0.3, "--noise-px",
                                   help="SD of landmark tracker noise, pixels \\[assumption]."),
    head_motion: float = typer.Option(1.0, "--head-motion-deg",
                                      help="SD of slow head rotation, degrees \\[assumption]."),
    blink_rate: float = typer.Option(0.15, "--blink-rate",
                                     help="Spontaneous blinks per second \\[assumption]."),
    fps: float = typer.Option(30.0, "--fps", help="Frames per second."),
    repetitions: int = _repetitions_option(),
    face_px: float = _face_px_option(),
    frame: str = _frame_option(),
    overwrite: bool = overwrite_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output paths."),
) -> None:
    """Simulate a patient's recording of the standard protocol, with its ground truth.

    An axon-level model of facial-nerve injury and misdirected regrowth decides which muscles
    each command reaches; the muscles move a real neutral face through the protocol (rest, brow
    raise, gentle and tight eye closure, closed and big smile, snarl, pucker, "EEE") with natural
    timing and tracker noise. The landmarks go through exactly the path of `synk measure` into
    OUT.synk, so `synk analyze` reads it like a real recording. Beside it: OUT.truth.json (the
    true coupling matrix per side, pattern severities, auto-scored items, all parameters) and
    OUT.protocol.json (task time spans). Left and right are the PATIENT's.

    Example:

        synk simulate --injury left:proximal:0.8 --misrouting 0.7 --sprouts 1.5 --seed 1 -o p.synk

        synk simulate --injury left --treatment toxin:orbicularis_oculi:left:5@350 -o p.synk
    """
    from synkinesis.simulate.io import FaceError

    spec = _spec(injury, misrouting, sprouts, terminal, non_reaching, axons, day, treatment,
                 seed, {"noise_px": noise_px, "head_motion_deg": head_motion,
                        "blink_rate_hz": blink_rate, "fps": fps,
                        **_camera(repetitions, face_px, frame)})
    if output.suffix != ".synk":
        fail(f"the output must be a .synk file, got {output}")
    if output.exists() and output.is_dir():
        fail(f"the output is a directory: {output}")
    from synkinesis.files import OutputPathError, check_output_path
    from synkinesis.simulate.io import sidecar_paths

    try:
        for path in (output, *sidecar_paths(output)):
            check_output_path(path, inputs=[face] if face is not None else [],
                              overwrite=overwrite)
    except OutputPathError as exc:
        fail(str(exc))
    from synkinesis.landmarks.model import LandmarkModelError, load_canonical_face
    from synkinesis.measure import MeasureError
    from synkinesis.simulate import ModelError, simulate_patient
    from synkinesis.simulate.io import load_neutral_face, write_simulation
    from synkinesis.simulate.patient import build_nerve, truth_on_day

    try:
        neutral = load_neutral_face(face, work_dir=output.parent if output.parent.exists()
                                    else None)
        canonical = load_canonical_face()
        recording, truth = simulate_patient(spec, neutral, canonical_vertices=canonical.vertices)
        face_truth = truth_on_day(build_nerve(spec), spec.day, spec.treatments,
                                  canonical_vertices=canonical.vertices, face_mm=neutral.head_mm)
        write_simulation(output, spec, recording, truth, neutral, face_truth=face_truth)
    except (FaceError, LandmarkModelError, MeasureError, ModelError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(write_error_message(exc))
    truth_path, protocol_path = sidecar_paths(output)
    if quiet:
        for path in (output, truth_path, protocol_path):
            console.print(str(path), highlight=False)
        return
    console.print(f"[bold]{output}[/bold]: {recording.time_s.shape[0]} frames, "
                  f"{recording.time_s[-1]:.1f} s, face from {neutral.description}",
                  highlight=False)
    console.print(f"  truth: {truth_path}\n  protocol: {protocol_path}", highlight=False)
    _print_truth(truth, face_truth)


def _fmt(value: float) -> str:
    return f"{0.0 if abs(value) < 0.005 else value:.2f}"


def _print_truth(truth, face_truth=None) -> None:
    """The true coupling (canonical face) and the true patterns, on the canonical face and, if
    given, on the recording's own face."""
    from rich.table import Table

    console = wide_console()
    from synkinesis.simulate import PATTERNS, REGIONS, TASKS

    for side in ("left", "right"):
        marker = " (injured)" if side in truth.injured_sides else ""
        table = Table(title=f"true coupling, patient's {side}{marker}, day {truth.day:g}",
                      box=None, padding=(0, 1), title_justify="left")
        table.add_column("task")
        for region in REGIONS:
            table.add_column(region, justify="right")
        for t, task in enumerate(TASKS):
            table.add_row(task, *(_fmt(v) for v in truth.coupling[side][t]))
        console.print(table)
    table = Table(title="true patterns (index in Sunnybrook points, this side against the other, "
                        "graded as the analysis grades)",
                  box=None, padding=(0, 1), title_justify="left")
    table.add_column("side")
    table.add_column("face")
    for pattern in PATTERNS:
        table.add_column(pattern, justify="right")
    table.add_column("eFACE ocular", justify="right")
    table.add_column("Sunnybrook synk", justify="right")
    faces = [("canonical", truth)] + ([("recorded", face_truth)] if face_truth else [])
    for side in ("left", "right"):
        for name, of_face in faces:
            items = of_face.items[side]
            table.add_row(side, name,
                          *(f"{_fmt(of_face.patterns[side][p])} {of_face.severities[side][p]}"
                            for p in PATTERNS),
                          f"{items['eface_ocular_synkinesis']:.0f}",
                          str(items["sunnybrook_synkinesis_sum"]))
    console.print(table)
    console.print("  coupling = region movement / its voluntary range in a healthy face; "
                  "neck = platysma (no face landmark)\n"
                  "  index = largest excess (mm) over the other side / mm per point (eye 0.77 "
                  "in smile, 1.0 in pucker [V]; others [U]); none < 0.5 <= mild < 1.5 <= "
                  "moderate < 2.5 <= severe"
                  + ("\n  recorded = the recording's own face: what `synk analyze` should find "
                     "(mm anchors: a larger eye gives more points)" if face_truth else ""),
                  highlight=False)


def predict(
    treatment: list[str] = typer.Option(None, "--treatment", help=_TREATMENT_HELP,
                                        show_default=False),
    at: str = typer.Option(None, "--at", metavar="DAY,DAY,...",
                           help="Days since the injury to predict. Default: the day before the "
                                "first treatment, then 2 weeks, 1, 3, 4 and 6 months after."),
    truth_file: Path = typer.Option(None, "--from",
                                    help="Start from a simulated patient (OUT.truth.json of "
                                         "`synk simulate`) instead of the options below."),
    fit_file: Path = typer.Option(None, "--fit",
                                  help="Start from a measured patient: fit the injury "
                                       "severity, misrouting and sprouting to the asymmetry "
                                       "in this analysis file (`synk analyze`)."),
    fit_side: Side = typer.Option(None, "--side", show_default=False,
                                 help="Affected side for --fit (default: the analysis' "
                                      "affected side)."),
    injury: list[str] = typer.Option(None, "--injury", help=_INJURY_HELP, show_default=False),
    misrouting: float = typer.Option(0.7, "--misrouting", help="As in `synk simulate`."),
    sprouts: float = typer.Option(1.5, "--sprouts", help="As in `synk simulate`."),
    terminal: float = typer.Option(3.0, "--terminal-sprouting", help="As in `synk simulate`."),
    non_reaching: float = typer.Option(0.15, "--non-reaching", help="As in `synk simulate`."),
    axons: int = typer.Option(7000, "--axons", help="As in `synk simulate`."),
    day: float = typer.Option(None, "--day",
                              help="Today, in days since the injury (default date of a "
                                   "treatment without @DAY). Default: the simulated "
                                   "recording's day with --from, else 365.",
                              show_default=False),
    seed: int = typer.Option(0, "--seed", help="Random seed of the patient's wiring."),
    as_json: str = json_option("the predictions"),
    overwrite: bool = overwrite_option(),
) -> None:
    """Predict what a treatment plan changes: coupling, patterns and auto-scored items at chosen
    dates, before (no plan) and after (with the plan), for a simulated patient.

    The patient is a simulated one: from --injury and the regrowth options, from the truth
    file of `synk simulate` (--from), or fitted to a measured patient's analysis (--fit: the
    injury severity, misrouting and sprouting whose left-right asymmetry best matches). Toxin
    weakens its muscle with onset over days and wears off over ~3..4 months; a block silences a
    branch for hours; a neurectomy or myectomy is permanent; retraining gradually lowers
    misrouted drive. All time courses are assumptions
    (docs/simulator.md).

    Example:

        synk predict --injury left --seed 1 --treatment toxin:orbicularis_oculi:left:5@380

        synk predict --from p.truth.json --treatment block:buccal:left@400 --at 399,400,401

        synk predict --fit visit.analysis.json --treatment toxin:mentalis:left:3
    """
    from synkinesis.simulate import ModelError, SimulationSpec, TreatmentError, parse_treatment
    from synkinesis.simulate.io import read_truth

    check_json_target(as_json, overwrite=overwrite)
    if sum(x is not None and x != [] for x in (truth_file, fit_file, injury or None)) > 1:
        fail("give only one of --from, --fit and --injury")
    if fit_file is not None:
        from synkinesis.cli.common import err_console

        spec = _fitted_spec(fit_file, fit_side, seed, 365.0 if day is None else day,
                            out=err_console if as_json == "-" else console)
        day = spec.day
    elif truth_file is not None:
        try:
            spec = SimulationSpec.from_dict(read_truth(truth_file)["parameters"])
            spec.validate()
        except (ValueError, ModelError) as exc:
            fail(str(exc))
        day = spec.day if day is None else day
    else:
        day = 365.0 if day is None else day
        spec = _spec(injury, misrouting, sprouts, terminal, non_reaching, axons, day, None, seed)
    try:
        plan = tuple(parse_treatment(text, default_day=day) for text in treatment or ())
    except (ModelError, TreatmentError) as exc:
        fail(str(exc))
    from synkinesis.simulate.scenarios import prediction_days

    try:
        days = prediction_days(at, plan=plan, today=day)
    except ValueError as exc:
        fail(str(exc))
    from synkinesis.landmarks.model import LandmarkModelError, load_canonical_face
    from synkinesis.simulate import predict as predict_truth

    try:
        vertices = load_canonical_face().vertices
        before = predict_truth(spec, plan=(), days=days, canonical_vertices=vertices)
        after = predict_truth(spec, plan=plan, days=days, canonical_vertices=vertices)
    except (ModelError, TreatmentError, LandmarkModelError) as exc:
        fail(str(exc))
    if as_json is not None:
        from synkinesis.simulate.scenarios import prediction_payload

        emit_json(prediction_payload(spec, plan, days, before, after), as_json,
                  overwrite=overwrite)
        if as_json == "-":
            return
    _print_prediction(spec, plan, days, before, after)


def _fitted_spec(path: Path, side: str | None, seed: int, day: float, *, out=console):
    """Fit the model to an analysis file and say how well it matches."""
    from synkinesis.landmarks.model import load_canonical_face
    from synkinesis.simulate.io import movement_from_analysis
    from synkinesis.simulate.scenarios import describe_fit, fit_on_canonical_face

    try:
        movement, named = movement_from_analysis(path)
        side = side or named
        result = fit_on_canonical_face(movement, side=side or "",
                                       vertices=load_canonical_face().vertices, day=day,
                                       seed=seed)
    except ValueError as exc:
        fail(str(exc))
    out.print(f"fitted to {path}: {describe_fit(result, side=side)}", highlight=False)
    return result.spec


def _print_prediction(spec, plan, days, before, after) -> None:
    from rich.table import Table

    from synkinesis.simulate import PATTERNS, format_treatment
    from synkinesis.simulate.scenarios import describe_spec, largest_coupling_changes

    console = wide_console()
    injured = sorted({i.side for i in spec.injuries}) or ["left", "right"]
    console.print(f"patient: {describe_spec(spec)}", highlight=False)
    console.print("plan: " + (", ".join(format_treatment(t) for t in plan) or "none"),
                  highlight=False)
    for side in injured:
        table = Table(title=f"predicted patterns, patient's {side} (index in Sunnybrook points "
                            f"against the other side): before -> after",
                      box=None, padding=(0, 1), title_justify="left")
        table.add_column("day", justify="right")
        for pattern in PATTERNS:
            table.add_column(pattern, justify="right")
        table.add_column("eFACE ocular", justify="right")
        table.add_column("Sunnybrook synk", justify="right")
        for d, b, a in zip(days, before, after):
            cells = [f"{_fmt(b.patterns[side][p])} -> {_fmt(a.patterns[side][p])}"
                     for p in PATTERNS]
            ib, ia = b.items[side], a.items[side]
            table.add_row(f"{d:g}", *cells,
                          f"{ib['eface_ocular_synkinesis']:.0f} -> "
                          f"{ia['eface_ocular_synkinesis']:.0f}",
                          f"{ib['sunnybrook_synkinesis_sum']} -> "
                          f"{ia['sunnybrook_synkinesis_sum']}")
        console.print(table)
        k, cells = largest_coupling_changes(before, after, side=side)
        if not cells:
            console.print(f"  no coupling cell on the {side} changes by 0.005 or more",
                          highlight=False)
            continue
        console.print(f"  largest coupling changes on the {side}, day {days[k]:g}:",
                      highlight=False)
        for cell in cells:
            console.print(f"    {cell.task:>18} x {cell.region:<12} "
                          f"{cell.before:.2f} -> {cell.after:.2f}", highlight=False)


def validate(
    severities: str = typer.Option("0,0.6,0.95", "--severities",
                                   help="Injury severities (0 = a healthy face)."),
    misrouting: str = typer.Option("0.4,0.9", "--misrouting", help="Misrouting probabilities."),
    sides: str = typer.Option("left,right", "--sides", help="Injured sides."),
    head_motion: str = typer.Option("1,4", "--head-motion-deg",
                                    help="SDs of slow head rotation, degrees."),
    noise: str = typer.Option("0.3,1", "--noise-px", help="SDs of landmark noise, pixels."),
    face: Path = typer.Option(None, "--face", help="Real neutral face, as in `synk simulate`."),
    seed: int = typer.Option(0, "--seed", help="Seed of the first case (then +1 per case)."),
    repetitions: int = _repetitions_option(),
    face_px: float = _face_px_option(),
    frame: str = _frame_option(),
    noise_floor: NoiseFloor = noise_floor_option(),
    combine: CombineRepetitions = combine_repetitions_option(),
    held_level: HeldLevel = held_level_option(),
    as_json: str = json_option("the report"),
    overwrite: bool = overwrite_option(),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Check the analysis against simulated patients whose synkinesis is known.

    Every combination of the grid is simulated on a real face, written through the measure path,
    analysed with its protocol spans (the code of `synk analyze`), and compared with its truth:
    recovery error of every coupling cell (mm, in the region's active direction), sensitivity
    and specificity of each pattern per side (truly present = true grade at least mild;
    detected = the analysis grades it at least mild), severity agreement (true x found grade,
    for the patterns and the Sunnybrook synkinesis items) and affected-side accuracy; then what
    `synk analyze` calls from its 90 % intervals against the truth (with the false reassurances,
    "called none"), why each truly present pattern was missed (below resolution, reads low...),
    and the eFACE synkinesis items within 10 points of the truth. The truth is graded from the
    simulation's own parameters with CLINICAL.md's mm-per-point anchors, not by the analysis'
    code (docs/simulator.md).

    Example:

        synk validate --severities 0,0.95 --misrouting 0.9 --sides left --head-motion-deg 1
    """
    from synkinesis.cli.common import progress_bar
    from synkinesis.simulate import ModelError
    from synkinesis.simulate.scenarios import parse_number_list, parse_sides

    check_json_target(as_json, overwrite=overwrite)
    from synkinesis.simulate.validation import run_validation, validation_grid

    try:
        specs = validation_grid(
            severities=parse_number_list(severities, name="--severities", low=0, high=1),
            misrouting=parse_number_list(misrouting, name="--misrouting", low=0, high=1),
            sides=parse_sides(sides),
            head_motion_deg=parse_number_list(head_motion, name="--head-motion-deg",
                                              low=0, high=20),
            noise_px=parse_number_list(noise, name="--noise-px", low=0, high=20), seed=seed,
            timing=_camera(repetitions, face_px, frame))
    except ModelError as exc:
        fail(str(exc))
    from synkinesis.landmarks.model import LandmarkModelError, load_canonical_face
    from synkinesis.measure import MeasureError
    from synkinesis.simulate.io import FaceError, load_neutral_face

    try:
        neutral = load_neutral_face(face)
        vertices = load_canonical_face().vertices
        with progress_bar(quiet or as_json == "-", f"{len(specs)} simulated patients",
                          total=len(specs)) as advance:
            report = run_validation(specs, neutral, canonical_vertices=vertices,
                                    progress=advance, noise_floor=str(noise_floor),
                                    combine=str(combine), held_level=str(held_level))
    except (FaceError, LandmarkModelError, MeasureError, ModelError) as exc:
        fail(str(exc))
    if as_json is not None:
        emit_json(report.as_dict(), as_json, overwrite=overwrite)
        if as_json == "-":
            return
    print_validation(report)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
    app.command("predict")(predict)
    app.command("validate")(validate)
