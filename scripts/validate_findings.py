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

A face whose affected side is not named is called on both sides (the side its evidence leans
to, and the other side): the calls are compared side by side, so which side a copy leans to does
not matter. Every call that differs from the original's is classed: "side named in one" (one
analysis names an affected side and calls only that side, the other calls both), "knife edge"
(the copy's index inside the original's interval for that side, yet another call: what issue 19
forbids), "compatible" (the copy's index left the interval but the two calls' classes overlap,
e.g. none and "uncertain (none..mild)"), "contradictory" (classes disjoint), "measurability"
(measured in one, not measurable or not assessable in the other). The calls are also compared
with a pattern withheld in both (not measurable in one, not assessable in the other) counted as
the same call.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path


class _Call:
    """One call about one side: its words, the classes it admits, its index and interval."""

    def __init__(self, severity: str, severity_range, index: float, low, high) -> None:
        self.severity, self.severity_range, self.index = severity, severity_range, index
        self.low, self.high = low, high
        self.text = (f"uncertain ({severity_range[0]}..{severity_range[1]})"
                     if severity == "uncertain" and severity_range else severity)


def _calls(analysis, swap: bool = False) -> dict[tuple[str, str], _Call]:
    """Every call of an analysis by (pattern, side), the side in the original's frame
    (``swap``: a mirrored copy's left is the original's right). A pattern withheld (not
    measurable or not assessable) is one call under the side the analysis reports."""
    mirror = {"left": "right", "right": "left"}
    out = {}
    for finding in (*analysis.findings, analysis.resting):
        interval = (analysis.uncertainty.indices.get(finding.pattern)
                    if analysis.uncertainty else None)
        side = mirror[finding.side] if swap else finding.side
        if finding.severity in _WITHHELD:
            side = "-"
        out[(finding.pattern, side)] = _Call(
            finding.severity, finding.severity_range, finding.index,
            None if interval is None else interval.low,
            None if interval is None else interval.high)
        other = finding.other_side
        if other is not None and finding.severity not in _WITHHELD:
            out[(finding.pattern, mirror[other.side] if swap else other.side)] = _Call(
                other.severity, other.severity_range, other.index, other.low, other.high)
    return out


_ORDER = ("none", "mild", "moderate", "severe")
_WITHHELD = ("not measurable", "not assessable")


def _same_or_withheld(calls: dict, reference: dict) -> bool:
    """The same calls, a pattern withheld in both (not measurable in one, not assessable in
    the other: no severity either way, for a different reason) counting as the same."""
    return calls.keys() == reference.keys() and all(
        c.text == reference[k].text or (c.text in _WITHHELD and reference[k].text in _WITHHELD)
        for k, c in calls.items())


def _classes(call: _Call) -> tuple[int, int] | None:
    """The severity classes a call admits (low, high), None when it is not a graded call."""
    if call.severity in _ORDER:
        return _ORDER.index(call.severity), _ORDER.index(call.severity)
    if call.severity == "uncertain" and call.severity_range:
        return (_ORDER.index(call.severity_range[0]), _ORDER.index(call.severity_range[1]))
    return None


def _found(calls: dict) -> list[str]:
    """The calls at least mild (the interval's low end, or the call, above none), as
    "pattern side"."""
    return [f"{pattern} {side}" for (pattern, side), call in calls.items()
            if (classes := _classes(call)) is not None and classes[0] >= 1]


def _low_end(call: str) -> str:
    """An "uncertain (a..b)" call read by its lower class: "at least a"."""
    if call.startswith("uncertain (") and ".." in call:
        return "at least " + call[len("uncertain ("):].split("..")[0]
    return call


def _kind(original: _Call | None, copy: _Call | None) -> str:
    """How a copy's call differs from the original's (see the module's doc)."""
    if original is None or copy is None:
        return "side named in one"
    a, b = _classes(original), _classes(copy)
    if a is None or b is None:
        return "measurability"
    if original.low is not None and original.low <= copy.index <= original.high:
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
    print(f"original {Path(argv[0]).name}: "
          + (f"affected side {side}" if original.affected.side else
             f"no side named (leans {side}; both sides called)")
          + f", House-Brackmann {_house_brackmann(original)}")
    for (pattern, on), call in reference.items():
        span = f"[{call.low:.2f}..{call.high:.2f}]" if call.low is not None else ""
        print(f"  {pattern:<18} {on:<5} {call.index:6.2f} {span:<16} {call.text}")
    print(f"{'copy':<22} {'inside':>7} {'same calls':>10} {'leans':>6} {'HB':>3}  indices "
          "(OUT = outside the original's interval)")
    inside_total = count_total = same_total = above_mild = same_side = inside_repeat = 0
    grades = [_house_brackmann(original)]
    kinds: dict[str, int] = {}
    same_word_total = same_low_total = same_withheld_total = 0
    # A healthy face has no synkinesis: a call whose interval's low end is at least mild is
    # what the simulator grid counts as found (a false positive here).
    found = {"original": _found(reference), "copies": 0}
    for path, analysis in copies:
        mirrored = "mirror" in path.name
        compared = other if mirrored else side
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
        calls = _calls(analysis, swap=mirrored)
        texts = {k: c.text for k, c in calls.items()}
        reference_texts = {k: c.text for k, c in reference.items()}
        same = texts == reference_texts
        leans = analysis.affected.side or analysis.affected.leaning
        # The same calls if an uncertain call were read by its lower class only ("at least
        # none / mild"), a rule without the upper end's knife edge (not the rule in use).
        same_low_total += calls.keys() == reference.keys() and all(
            _low_end(c) == _low_end(reference_texts[k]) for k, c in texts.items())
        same_withheld_total += _same_or_withheld(calls, reference)
        same_word_total += calls.keys() == reference.keys() and all(
            c.split(" (")[0] == reference_texts[k].split(" (")[0] for k, c in texts.items())
        differ: dict[str, str] = {}
        for pattern in dict.fromkeys(p for p, _ in (*reference, *calls)):
            ours = {on: t for (p, on), t in texts.items() if p == pattern}
            theirs = {on: t for (p, on), t in reference_texts.items() if p == pattern}
            if ours == theirs:
                continue
            if "-" in ours or "-" in theirs:  # withheld in one (or both, for another reason)
                kinds["measurability"] = kinds.get("measurability", 0) + 1
                differ[pattern] = ", ".join(ours.values()) + " (measurability)"
                continue
            for on in dict.fromkeys((*theirs, *ours)):
                if theirs.get(on) != ours.get(on):
                    kind = _kind(reference.get((pattern, on)), calls.get((pattern, on)))
                    kinds[kind] = kinds.get(kind, 0) + 1
                    differ[f"{pattern} {on}"] = f"{ours.get(on, '-')} ({kind})"
        inside_total, count_total, same_total = (inside_total + inside, count_total + count,
                                                 same_total + same)
        above_mild += any(c.severity in ("moderate", "severe") for c in calls.values())
        found["copies"] += bool(_found(calls))
        same_side += leans == compared
        grades.append(_house_brackmann(analysis))
        print(f"{path.name:<22} {inside:>3}/{count:<3} {str(same):>10} {leans:>6} "
              f"{_house_brackmann(analysis):>3}  " + ", ".join(parts))
        if not same:
            print(f"{'':<22} calls that differ: {differ}")
    numeric = [int(g) for g in grades if g.isdigit()]
    print(f"indices inside the original's interval: {inside_total}/{count_total}; copies with "
          f"the same calls: {same_total}/{len(copies)} (both sides where no side is named); "
          f"leaning to the original's side "
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
    print(f"calls at least mild (the interval's low end; a healthy face has none): original "
          f"{', '.join(found['original']) or 'none'}; copies with one: "
          f"{found['copies']}/{len(copies)}")
    print(f"copies with House-Brackmann above II: {sum(g > 2 for g in numeric[1:])}/"
          f"{len(copies)}; calls that differ, by kind: "
          + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
