"""Figures of an analysis (PNG, Matplotlib with the Agg backend; imported only when used).

- :func:`plot_signals`: each region's movement per side over time, task spans shaded;
- :func:`plot_coupling`: coupling heatmaps, left and right, and affected minus healthy;
- :func:`plot_key_frame`: for one finding, the rest frame and the frame that shows it, with the
  landmarks drawn (frames read from the source video with OpenCV when it is available);
- :func:`plot_rest_frame`: the rest frame with what resting tightness compares;
- :func:`save_figures`: all of them for one analysis.

Sides are the PATIENT's: on a normal (non-mirrored) camera image the patient's left is on the
viewer's right. Figures never recompute findings; they draw what the analysis holds.
"""

from synkinesis.reports.figures import (
    plot_coupling,
    plot_key_frame,
    plot_rest_frame,
    plot_signals,
    save_figures,
)

__all__ = ["plot_coupling", "plot_key_frame", "plot_rest_frame", "plot_signals", "save_figures"]
