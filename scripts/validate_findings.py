#!/usr/bin/env python3
"""Does the same face give the same call? Compare an original recording's analysis with the
analyses of perturbed copies of the same video (issue 19: re-encoded, scaled, mirrored,
brightened...): every copy's index against the original's 90 % interval (the mirrored copy on
the other side; also against its repeat interval, where another recording of the same face
would read), the calls, the side the evidence leans to, and the House-Brackmann suggestion.

Usage:
    python scripts/validate_findings.py [--noise-floor RULE] [--held-level RULE] ORIGINAL.synk
        COPY.synk [...]
``--noise-floor`` and ``--held-level`` analyse everything with that
:attr:`synkinesis.coupling.CouplingOptions.noise_floor` (rest, window or sustained) or
``held_level`` (minimum, mean or driver) instead of the default.
A copy whose file name contains "mirror" is compared with sides swapped. Measure the copies
first (``synk measure copy.mp4 -o copy.synk``); docs/validation.md says how ours were made.
Exit status 1 when an input cannot be read.

Every call that differs from the original's is classed: "other side" (the copy reports the
side its own evidence leans to, which is not the original's: a call about the other side),
"knife edge" (same side, the copy's index inside the original's interval, yet another call:
what issue 19 forbids), "compatible" (the copy's index left the interval but the two calls'
classes overlap, e.g. none and "uncertain (none..mild)"), "contradictory" (classes disjoint),
"measurability" (measured in one, not measurable or not assessable in the other). A copy
leaning to the other side is analysed again with the original's side given, and its calls
about that side are compared too. The calls are also compared with a pattern withheld in both
(not measurable in one, not assessable in the other) counted as the same call.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path


def _calls(analysis) -> dict[str, str]:
    out = {}
    for finding in (*analysis.findings, analysis.resting):
        call = finding.severity
        if call == "uncertain" and finding.severity_range:
            call = f"uncertain ({finding.severity_range[0]}..{finding.severity_range[1]})"
        out[finding.pattern] = call
    return out


_ORDER = ("none", "mild", "moderate", "severe")
_WITHHELD = ("not measurable", "not assessable")


def _same_or_withheld(calls: dict[str, str], reference: dict[str, str]) -> bool:
    """The same calls, a pattern withheld in both (not measurable in one, not assessable in
    the other: no severity either way, for a different reason) counting as the same."""
    return all(c == reference.get(p) or (c in _WITHHELD and reference.get(p) in _WITHHELD)
               for p, c in calls.items())


def _classes(finding) -> tuple[int, int] | None:
    """The severity classes a call admits (low, high), None when it is not a graded call."""
    if finding.severity in _ORDER:
        return _ORDER.index(finding.severity), _ORDER.index(finding.severity)
    if finding.severity == "uncertain" and finding.severity_range:
        return (_ORDER.index(finding.severity_range[0]), _ORDER.index(finding.severity_range[1]))
    return None


def _found(analysis) -> list[str]:
    """The patterns whose call is at least mild: the interval's low end (or the call) above
    none."""
    out = []
    for finding in (*analysis.findings, analysis.resting):
        classes = _classes(finding)
        if classes is not None and classes[0] >= 1:
            out.append(finding.pattern)
    return out


def _low_end(call: str) -> str:
    """An "uncertain (a..b)" call read by its lower class: "at least a"."""
    if call.startswith("uncertain (") and ".." in call:
        return "at least " + call[len("uncertain ("):].split("..")[0]
    return call


def _kind(original, copy, interval, value, same_side: bool) -> str:
    """How a copy's call differs from the original's (see the module's doc)."""
    a, b = _classes(original), _classes(copy)
    if a is None or b is None:
        return "measurability"
    if not same_side:
        return "other side"
    if interval is not None and value is not None and interval.low <= value <= interval.high:
        return "knife edge"
    return "compatible" if a[0] <= b[1] and b[0] <= a[1] else "contradictory"


def _house_brackmann(analysis) -> str:
    for estimate in analysis.scales:
        if estimate.instrument == "house_brackmann" and estimate.items:
            return str(estimate.items[0].value)
    return "-"


def main(argv: list[str]) -> int:
    from synkinesis.coupling import HELD_LEVELS, NOISE_FLOORS, CouplingOptions

    coupling = CouplingOptions()
    choices = {"--noise-floor": ("noise_floor", NOISE_FLOORS),
               "--held-level": ("held_level", HELD_LEVELS)}
    while argv[:1] and argv[0] in choices:
        field, allowed = choices[argv[0]]
        if len(argv) < 2 or argv[1] not in allowed:
            print(f"error: {argv[0]} takes one of {', '.join(allowed)}", file=sys.stderr)
            return 2
        coupling = replace(coupling, **{field: argv[1]})
        argv = argv[2:]
    if len(argv) < 2:
        print("\n".join(__doc__.strip().splitlines()[6:8]), file=sys.stderr)
        return 2
    from synkinesis.analysis import AnalysisError, AnalysisOptions, analyze_measurement
    from synkinesis.measure import read_measurement

    try:
        options = AnalysisOptions(coupling=coupling)
        original = analyze_measurement(read_measurement(Path(argv[0])), options=options)
        copies = [(Path(p), analyze_measurement(read_measurement(Path(p)), options=options))
                  for p in argv[1:]]
        # Where another recording of the same face would read (sqrt(2) wider than the
        # confidence interval the calls are decided from): a copy is another measurement.
        repeat = analyze_measurement(read_measurement(Path(argv[0])), options=replace(
            options, uncertainty=replace(options.uncertainty, repeat=True))).uncertainty
    except (AnalysisError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    side = original.affected.side or original.affected.leaning
    other = "left" if side == "right" else "right"
    reference = _calls(original)
    print(f"original {Path(argv[0]).name}: compared side {side}, House-Brackmann "
          f"{_house_brackmann(original)}")
    for pattern, call in reference.items():
        interval = original.uncertainty.indices.get(pattern) if original.uncertainty else None
        index = original.finding(pattern).index
        span = f"[{interval.low:.2f}..{interval.high:.2f}]" if interval else ""
        print(f"  {pattern:<18} {index:6.2f} {span:<16} {call}")
    print(f"{'copy':<22} {'inside':>7} {'same calls':>10} {'leans':>6} {'HB':>3}  indices "
          "(OUT = outside the original's interval)")
    inside_total = count_total = same_total = above_mild = same_side = inside_repeat = 0
    grades = [_house_brackmann(original)]
    kinds: dict[str, int] = {}
    same_word_total = same_side_calls = same_low_total = same_withheld_total = 0
    # A healthy face has no synkinesis: a call whose interval's low end is at least mild is
    # what the simulator grid counts as found (a false positive here).
    found = {"original": _found(original), "copies": 0}
    for path, analysis in copies:
        compared = other if "mirror" in path.name else side
        inside = count = 0
        parts = []
        for finding in (*analysis.findings, analysis.resting):
            interval = (original.uncertainty.indices.get(finding.pattern)
                        if original.uncertainty else None)
            value = finding.index_by_side.get(compared)
            if interval is None or value is None or value != value:
                continue
            count += 1
            ok = interval.low <= value <= interval.high
            wide = repeat.indices.get(finding.pattern) if repeat else None
            inside_repeat += bool(wide is not None and wide.low <= value <= wide.high)
            inside += ok
            parts.append(f"{finding.pattern} {value:.2f}" + ("" if ok else " OUT"))
        calls = _calls(analysis)
        same = calls == reference  # per pattern; the side is in the "leans" column
        leans = analysis.affected.side or analysis.affected.leaning
        # The same calls if an uncertain call were read by its lower class only ("at least
        # none / mild"), a rule without the upper end's knife edge (not the rule in use).
        same_low_total += (calls == reference or leans == compared) and all(
            _low_end(c) == _low_end(reference[p]) for p, c in calls.items())
        same_withheld_total += _same_or_withheld(calls, reference)
        same_word_total += all(c.split(" (")[0] == reference[p].split(" (")[0]
                               for p, c in calls.items())
        differ: dict[str, str] = {}
        for finding in (*analysis.findings, analysis.resting):
            if reference.get(finding.pattern) == calls[finding.pattern]:
                continue
            interval = (original.uncertainty.indices.get(finding.pattern)
                        if original.uncertainty else None)
            kind = _kind(original.finding(finding.pattern), finding, interval,
                         finding.index_by_side.get(compared), leans == compared)
            kinds[kind] = kinds.get(kind, 0) + 1
            differ[finding.pattern] = f"{calls[finding.pattern]} ({kind})"
        inside_total, count_total, same_total = (inside_total + inside, count_total + count,
                                                 same_total + same)
        above_mild += any(c in ("moderate", "severe") for c in calls.values())
        found["copies"] += bool(_found(analysis))
        same_side += leans == compared
        grades.append(_house_brackmann(analysis))
        print(f"{path.name:<22} {inside:>3}/{count:<3} {str(same):>10} {leans:>6} "
              f"{_house_brackmann(analysis):>3}  " + ", ".join(parts))
        if not same:
            print(f"{'':<22} calls that differ: {differ}")
        on_side = calls
        if leans != compared:
            # The same copy with the original's side given: its calls about THAT side.
            again = analyze_measurement(read_measurement(path),
                                        options=replace(options, affected_side=compared))
            on_side = _calls(again)
            print(f"{'':<22} on the original's side ({compared}, given): "
                  + ("the same calls" if on_side == reference else "calls that differ: "
                     + str({p: c for p, c in on_side.items() if reference.get(p) != c})))
        same_side_calls += on_side == reference
    numeric = [int(g) for g in grades if g.isdigit()]
    print(f"indices inside the original's interval: {inside_total}/{count_total}; copies with "
          f"the same calls: {same_total}/{len(copies)}; leaning to the original's side "
          f"(mirrored: the other): {same_side}/{len(copies)}; copies with a call above mild: "
          f"{above_mild}/{len(copies)}; House-Brackmann over the original and copies: "
          + (f"{min(numeric)}..{max(numeric)}" if numeric else "-")
          + f" ({len(grades) - len(numeric)} without a suggestion)")
    print(f"indices inside the original's repeat interval (where another recording of the "
          f"same face reads, sqrt(2) wider): {inside_repeat}/{count_total}")
    print(f"copies with the same calls, a pattern withheld in both for different reasons "
          f"(not measurable / not assessable) counted as the same: "
          f"{same_withheld_total}/{len(copies)}")
    print(f"copies with the same call words (the classes of an uncertain call aside): "
          f"{same_word_total}/{len(copies)}")
    print(f"copies with the same calls if uncertain calls were read by their lower class only "
          f"(not the rule in use): {same_low_total}/{len(copies)}")
    print(f"copies with the same calls on the original's side (a copy leaning to the other "
          f"side re-analysed with that side given): {same_side_calls}/{len(copies)}")
    print(f"calls at least mild (the interval's low end; a healthy face has none): original "
          f"{', '.join(found['original']) or 'none'}; copies with one: "
          f"{found['copies']}/{len(copies)}")
    print(f"copies with House-Brackmann above II: {sum(g > 2 for g in numeric[1:])}/"
          f"{len(copies)}; calls that differ, by kind: "
          + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
