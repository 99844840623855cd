"""flashmw: flash messages for any WSGI or ASGI app, kept in a signed cookie.

Wrap the app once::

    from flashmw import FlashMiddleware, flash, get_flashed_messages

    app = FlashMiddleware(app, secret_key=SECRET)

then ``flash("Record saved.")`` in one request and ``get_flashed_messages()``
in a later one (Flask style), or ``put_flash("info", "Saved.")`` and
``flash.info`` (PyView / Phoenix style).
"""

from __future__ import annotations

from .asgi import ASGIFlashMiddleware
from .context import (
    clear_flash,
    current_flash,
    flash,
    get_flash,
    get_flashed_messages,
    put_flash,
)
from .errors import FlashError, FlashNotInstalled, FlashOverflowError
from .state import Flash
from .wsgi import FlashMiddleware

__all__ = [
    "ASGIFlashMiddleware",
    "Flash",
    "FlashError",
    "FlashMiddleware",
    "FlashNotInstalled",
    "FlashOverflowError",
    "clear_flash",
    "current_flash",
    "flash",
    "get_flash",
    "get_flashed_messages",
    "put_flash",
]

__version__ = "0.1.0"
