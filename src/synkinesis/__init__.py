"""synkinesis: objective measurement of facial synkinesis.

``import synkinesis`` stays light (no MediaPipe, OpenCV or Matplotlib): heavy libraries are
imported inside the functions that need them. A test enforces this.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
