"""The figures print each finding's call with its interval: the key-frame titles and the
coupling figure's findings line, from a stored analysis (format 2 interval, or none) and from
a live one (its ``uncertainty``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from synkinesis.reports.figures import finding_caption, plot_coupling
from synkinesis.reports.stored_analysis import stored_analysis
from synkinesis.uncertainty import Interval

FINDING = {"pattern": "ocular_oral", "label": "eye during mouth tasks", "side": "right",
           "severity": "uncertain", "severity_range": ["none", "severe"], "index": 2.1,
           "confidence": 0.4, "evidence": [],
           "interval": {"low": 0.28, "high": 4.35, "level": 0.9, "replicates": 100}}
DATA = {"coupling": {"tasks": ["open_smile"], "regions": ["eye", "mouth_corner"],
                     "movement_mm": {"left": [[0.5, 4.0]], "right": [[2.0, 4.1]]},
                     "normalised": {"left": [[0.1, 0.9]], "right": [[0.4, 0.9]]},
                     "difference_side": "right", "difference_normalised": [[0.3, 0.0]],
                     "difference_mm": [[1.5, 0.1]]},
        "affected_side": {"side": "right"},
        "findings": [FINDING, {**FINDING, "pattern": "mentalis", "interval": None,
                               "severity": "mild", "index": 1.2}],
        "resting": {"pattern": "resting_tightness", "severity": "none", "index": 0.3,
                    "interval": {"low": 0.1, "high": 0.5, "level": 0.9}}}


@pytest.fixture
def figure_text(monkeypatch) -> list[str]:
    """Every text a matplotlib figure is given while the test runs, in order."""
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    written: list[str] = []
    original = matplotlib.figure.Figure.text

    def keep(self, x, y, s, *args, **kwargs):
        written.append(s)
        return original(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "text", keep)
    return written


def test_stored_findings_are_captioned_with_their_interval():
    analysis = stored_analysis(DATA)
    ocular, mentalis = analysis.findings
    assert finding_caption(analysis, ocular) == \
        "uncertain (none..severe), index 2.10 points (90 % 0.28..4.35)"
    assert finding_caption(analysis, mentalis) == "mild, index 1.20 points (no interval)"
    assert finding_caption(analysis, analysis.resting).endswith("(90 % 0.10..0.50)")


def test_a_live_analysis_reads_its_uncertainty():
    finding = SimpleNamespace(pattern="ocular_oral", severity="moderate", index=2.4,
                              severity_range=("moderate", "moderate"))
    live = SimpleNamespace(uncertainty=SimpleNamespace(
        indices={"ocular_oral": Interval(2.1, 2.8, 0.9, 100)}))
    assert finding_caption(live, finding) == "moderate, index 2.40 points (90 % 2.10..2.80)"


def test_coupling_figure_is_drawn_with_the_findings_line(tmp_path, figure_text):
    written = figure_text
    path = plot_coupling(stored_analysis(DATA), tmp_path / "c.png")
    assert path.stat().st_size > 0
    (line,) = [s for s in written if s.startswith("Findings")]
    assert "ocular-oral: uncertain (none..severe), index 2.10 points (90 % 0.28..4.35)" in line
    assert "resting-tightness: none, index 0.30 points (90 % 0.10..0.50)" in line


#: The same face with no affected side named: each finding also calls the other side.
OTHER = {"side": "left", "index": -2.1, "severity": "none", "severity_range": ["none", "none"],
         "low": -4.35, "high": -0.28, "settle": "", "task": "open_smile", "excess_mm": -1.5}
UNNAMED = {**DATA, "affected_side": {"side": None, "leaning": "right"},
           "findings": [{**FINDING, "other_side": OTHER},
                        {**FINDING, "pattern": "oral_ocular", "severity": "not assessable",
                         "index": None, "interval": None, "other_side": None}],
           "resting": {**DATA["resting"], "side": "right",
                       "other_side": {**OTHER, "index": 0.0, "low": 0.0, "high": 0.1,
                                      "task": "rest"}}}


def test_the_other_sides_call_is_read_and_captioned_from_a_stored_or_live_analysis():
    from synkinesis.findings import SideCall
    from synkinesis.reports.figures import other_side_caption

    analysis = stored_analysis(UNNAMED)
    ocular, withheld = analysis.findings
    assert ocular.other_side == SideCall("left", -2.1, "none", ("none", "none"), -4.35, -0.28,
                                         "", "open_smile", -1.5)
    assert withheld.other_side is None
    assert other_side_caption(analysis, ocular) == \
        "left side: none, index -2.10 points (90 % -4.35..-0.28)"
    assert other_side_caption(analysis, withheld) == ""
    assert other_side_caption(stored_analysis(DATA), stored_analysis(DATA).findings[0]) == ""
    live = SimpleNamespace(uncertainty=SimpleNamespace(level=0.8, indices={}))
    uncertain = SideCall("left", 0.9, "uncertain", ("none", "mild"), 0.2, 1.1)
    assert other_side_caption(live, SimpleNamespace(other_side=uncertain)) == \
        "left side: uncertain (none..mild), index 0.90 points (80 % 0.20..1.10)"


def test_the_coupling_figure_of_an_unnamed_face_calls_both_sides(tmp_path, figure_text):
    written = figure_text
    plot_coupling(stored_analysis(UNNAMED), tmp_path / "c.png")
    (line,) = [s for s in written if s.startswith("Findings")]
    assert line.startswith("Findings (no affected side named: each side's call")
    assert ("ocular-oral: right side: uncertain (none..severe), index 2.10 points (90 % "
            "0.28..4.35), left side: none, index -2.10 points (90 % -4.35..-0.28)") in line
    assert ("resting-tightness: right side: none, index 0.30 points (90 % 0.10..0.50), left "
            "side: none, index 0.00 points (90 % 0.00..0.10)") in line
