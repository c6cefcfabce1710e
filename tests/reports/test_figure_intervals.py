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


def test_coupling_figure_is_drawn_with_the_findings_line(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    written: list[str] = []
    original = matplotlib.figure.Figure.text

    def keep(self, x, y, s, *args, **kwargs):
        written.append(s)
        return original(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "text", keep)
    path = plot_coupling(stored_analysis(DATA), tmp_path / "c.png")
    assert path.stat().st_size > 0
    (line,) = [s for s in written if s.startswith("Findings")]
    assert "ocular-oral: uncertain (none..severe), index 2.10 points (90 % 0.28..4.35)" in line
    assert "resting-tightness: none, index 0.30 points (90 % 0.10..0.50)" in line
