"""A to-do list on Starlette and htmx; see :mod:`.app`."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
