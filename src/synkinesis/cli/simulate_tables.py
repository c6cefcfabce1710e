"""The tables `synk validate` prints (split from :mod:`synkinesis.cli.simulate`)."""

from __future__ import annotations

from synkinesis.cli.common import console

#: What each noise floor (:attr:`synkinesis.coupling.CouplingOptions.noise_floor`) is measured on.
_FLOOR_WORDS = {"rest": "rest frames, frame by frame",
                "window": "rest frames, averaged over held windows",
                "sustained": "task holds"}


def print_validation(report) -> None:
    """The tables of `synk validate` (the setting first)."""
    import math

    from rich.table import Table

    from synkinesis.simulate import PATTERNS, REGIONS, TASKS

    out = wide_console()
    setting = report.setting()

    def listed(values) -> str:
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)

    faces = ("the neutral face's own" if setting["face_px"] == [0.0]
             else listed(setting["face_px"]) + " px")
    frames = "its own" if setting["frame"] == ["0x0"] else listed(setting["frame"])
    out.print(f"{len(report.cases)} simulated patients (seeds {setting['seeds'][0]}.."
              f"{setting['seeds'][-1]}): each task performed "
              f"{listed(setting['repetitions'])} times; tracker noise "
              f"{listed(setting['noise_px'])} px; head motion "
              f"{listed(setting['head_motion_deg'])} degrees; face width {faces}, frame "
              f"{frames}; noise floor {setting['noise_floor']} "
              f"({_FLOOR_WORDS.get(setting['noise_floor'], '')}); "
              f"repetitions combined: {setting['combine_repetitions']}; held level "
              f"{setting.get('held_level', 'minimum')}",
              highlight=False)
    regions = [r for r in REGIONS if r != "neck"]
    table = Table(title=f"recovery error per coupling cell, mean |analysed - true| mm "
                        f"({len(report.cases)} simulated patients x 2 sides)",
                  box=None, padding=(0, 1), title_justify="left")
    table.add_column("task")
    for region in regions:
        table.add_column(region, justify="right")
    for t, task in enumerate(TASKS):
        if task == "rest":
            continue
        table.add_row(task, *(f"{report.cell_error_mm[t, REGIONS.index(r)]:.2f}"
                              for r in regions))
    out.print(table)
    table = Table(title="patterns (per side; present = true grade >= mild)", box=None,
                  padding=(0, 1), title_justify="left")
    for header in ("pattern", "sensitivity", "specificity", "TP", "FN", "TN", "FP",
                   "grade agreement", "index bias", "sens. no floor", "spec. no floor"):
        table.add_column(header, justify="right" if header != "pattern" else "left")

    def number(value: float, sign: str = "") -> str:
        return "-" if math.isnan(value) else f"{value:{sign}.2f}"

    for pattern in PATTERNS:
        c = report.counts[pattern]
        table.add_row(pattern, number(report.sensitivity[pattern]),
                      number(report.specificity[pattern]),
                      *(str(c[k]) for k in ("tp", "fn", "tn", "fp")),
                      number(report.severity_agreement[pattern]),
                      number(report.index_bias[pattern], "+"),
                      number(report.index_sensitivity[pattern]),
                      number(report.index_specificity[pattern]))
    out.print(table)
    out.print("  grade agreement: found grade = true grade; index bias: found - true index "
              "(points) where truly present; no floor: the analysis' index graded without "
              "its noise floor", highlight=False)
    grades = ("none", "mild", "moderate", "severe")
    table = Table(title="severity agreement (case-sides: true grade -> found grade)", box=None,
                  padding=(0, 1), title_justify="left")
    table.add_column("pattern")
    table.add_column("true")
    for grade in grades:
        table.add_column(f"found {grade}", justify="right")
    rows = [(p, report.severity_table[p]) for p in PATTERNS]
    rows.append(("Sunnybrook items", report.sunnybrook_table))
    for name, counts in rows:
        for g, grade in enumerate(grades):
            if counts[g].sum():
                table.add_row(name, grade, *(str(v) for v in counts[g]))
    out.print(table)
    out.print(f"affected side named correctly (none for healthy faces): "
              f"{report.side_accuracy:.0%} of {len(report.cases)} patients", highlight=False)
    if report.decisions is not None:  # what `synk analyze` calls, from the intervals
        from synkinesis.cli.decisions import decision_table, why_table

        out.print(decision_table(report))
        if report.misses:
            out.print(why_table(report))
            for miss in report.misses:
                out.print(f"  seed {miss.seed} {miss.side} {miss.pattern}: {miss.text}",
                          highlight=False)
    if report.eface_within:  # the eFACE synkinesis items `synk analyze` estimates
        parts = [f"{key.replace('_synkinesis', '')} {within}/{n} ({wp}/{npr} where present)"
                 for key, (within, n, wp, npr) in report.eface_within.items() if n]
        if parts:
            out.print("eFACE synkinesis items within 10 points of the truth (case-sides where "
                      "estimated; where present: the true item below 90): " + ", ".join(parts),
                      highlight=False)


def wide_console():
    """The shared console, but at least 120 columns wide so the matrices are not cut."""
    from rich.console import Console

    return console if console.width >= 120 else Console(width=120, highlight=False)
