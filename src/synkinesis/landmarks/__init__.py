"""Frame sources and landmark engines.

Engines sit behind the :class:`~synkinesis.landmarks.engine.LandmarkEngine` protocol so that
another backend can be added; MediaPipe's is imported lazily.
"""
