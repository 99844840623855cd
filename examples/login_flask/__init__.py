"""The login example on Flask; see :mod:`.app`."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
