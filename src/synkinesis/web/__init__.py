"""The local web app (``synk serve``): guided recording, live biofeedback, the dashboard.

Importing this package loads nothing heavy; :func:`create_app` (in :mod:`.app`) imports
FastAPI. The web layer holds no analysis logic: routes are thin calls into the library.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(settings: Any, **kwargs: Any) -> Any:
    """Build the FastAPI app (see :func:`synkinesis.web.app.create_app`)."""
    from synkinesis.web.app import create_app as factory

    return factory(settings, **kwargs)
