"""Finding the flash of the request being handled.

The middlewares put the request's :class:`~flashmw.Flash` in the WSGI
environ or ASGI scope under :data:`ENVIRON_KEY`, and in a
:class:`contextvars.ContextVar` for the duration of the request, so
:func:`current_flash` works anywhere in the call stack, in any thread or
asyncio task that handles the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from .errors import FlashNotInstalled
from .state import Flash

#: Key of the :class:`Flash` in a WSGI environ or an ASGI scope.
ENVIRON_KEY = "flashmw.flash"

_HOW_TO_INSTALL = (
    "wrap the application once: app = FlashMiddleware(app, secret_key=...) "
    "for WSGI, or app = ASGIFlashMiddleware(app, secret_key=...) for ASGI"
)

current: ContextVar[Flash] = ContextVar("flashmw.current_flash")


def get_flash(environ_or_scope: Mapping[str, Any]) -> Flash:
    """Return the flash of the request with this WSGI environ or ASGI scope.

    :raises FlashNotInstalled: if no flashmw middleware handled the request.
    """
    try:
        return environ_or_scope[ENVIRON_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise FlashNotInstalled(
            f"this request has no {ENVIRON_KEY!r} entry: {_HOW_TO_INSTALL}"
        ) from None


def current_flash() -> Flash:
    """Return the flash of the request being handled.

    :raises FlashNotInstalled: outside a request handled by flashmw.
    """
    try:
        return current.get()
    except LookupError:
        raise FlashNotInstalled(
            f"no request is being handled by flashmw here: {_HOW_TO_INSTALL}"
        ) from None


def flash(message: Any, category: str = "message") -> None:
    """Flash ``message`` under ``category`` for the current request (Flask style)."""
    current_flash().add(message, category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: Iterable[str] = ()
) -> list[Any]:
    """Return and consume the current request's messages (Flask style)."""
    return current_flash().get_flashed_messages(with_categories, category_filter)


def put_flash(key: str, value: Any) -> None:
    """Set ``key`` to ``value`` in the current request's flash (PyView style)."""
    current_flash().put(key, value)


def clear_flash(key: str | None = None) -> None:
    """Clear ``key``, or everything, in the current request's flash (PyView style)."""
    current_flash().clear(key)
