"""What a transport delivers: the pending flash as JSON a browser can use.

Two transports share one JSON shape, ``{"messages": [{"category": ...,
"message": ...}], "values": {key: value}}``:

- the htmx transport (``htmx=True``) puts it in the response's
  ``HX-Trigger`` header as the detail of the ``flash`` event, on responses
  to ``HX-Request: true`` requests (:func:`with_trigger`);
- the JSON endpoint (``endpoint="/_flash"``, :mod:`flashmw.endpoint`)
  returns it as the body of a ``GET``.

Stored values become JSON by :func:`browser_json`; see ``docs/htmx.md``
for the table.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import math
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, AnyStr

from markupsafe import Markup

if TYPE_CHECKING:
    from .state import Flash, FlashCore

logger = logging.getLogger("flashmw")

#: The event name in ``HX-Trigger``; the client kit listens for it.
EVENT = "flash"
#: Bytes of the whole ``HX-Trigger`` value at most. Proxies hold all response
#: headers in one buffer (nginx: 4 KB by default, shared with Set-Cookie), so
#: a header past this answers 502 there; above it the cookie carries the flash.
DEFAULT_HTMX_MAX_BYTES = 2048
#: Trusted HTML (:class:`markupsafe.Markup`) travels as ``{HTML_KEY: text}``,
#: after the ``__html__`` protocol markupsafe and Jinja2 use.
HTML_KEY = "__html__"
#: The smallest ``htmx_max_bytes`` that can carry anything at all.
_MIN_HTMX_MAX_BYTES = 64
#: JavaScript numbers are doubles: ints past this lose digits in a browser.
_SAFE_INTEGER = 2**53 - 1
#: The response headers that make htmx leave the page or reload it: a
#: notice delivered with them would be dropped with the page.
_NAVIGATING = frozenset({"hx-redirect", "hx-location", "hx-refresh"})

Pairs = list[tuple[str, Any]]


def check_htmx_options(htmx: object, htmx_max_bytes: object) -> None:
    """Validate the ``htmx`` and ``htmx_max_bytes`` options.

    :raises ValueError: naming the option.
    """
    if htmx is not True and htmx is not False:
        raise ValueError(f"htmx must be True or False, got {htmx!r}")
    if isinstance(htmx_max_bytes, bool) or not isinstance(htmx_max_bytes, int):
        raise ValueError(f"htmx_max_bytes must be an int, got {htmx_max_bytes!r}")
    if htmx_max_bytes < _MIN_HTMX_MAX_BYTES:
        raise ValueError(
            f"htmx_max_bytes must be at least {_MIN_HTMX_MAX_BYTES}, "
            f"got {htmx_max_bytes}"
        )


def _plain(value: Any) -> Any:
    return value


def _int(value: int) -> Any:
    return value if -_SAFE_INTEGER <= value <= _SAFE_INTEGER else str(value)


def _float(value: float) -> Any:
    return value if math.isfinite(value) else None


def _sequence(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [browser_json(item) for item in value]


def _dict(value: dict[Any, Any]) -> dict[str, Any]:
    out = {str(key): browser_json(item) for key, item in value.items()}
    return {"__dict__": out} if list(out) == [HTML_KEY] else out


def _iso(value: datetime.date) -> str:
    return value.isoformat()


_CONVERTERS: dict[type, Callable[[Any], Any]] = {
    str: _plain,
    bool: _plain,
    type(None): _plain,
    int: _int,
    float: _float,
    list: _sequence,
    tuple: _sequence,
    dict: _dict,
    Markup: lambda value: {HTML_KEY: str(value)},
    datetime.datetime: _iso,
    datetime.date: _iso,
    uuid.UUID: str,
}


def browser_json(value: Any) -> Any:
    """Return ``value`` as plain JSON data a browser script can use.

    ``str``, ``bool``, ``None`` and safe ``int`` stay as they are;
    :class:`~markupsafe.Markup` becomes ``{"__html__": text}`` (trusted
    HTML); ``datetime`` and ``date`` become ISO 8601 text; ``UUID`` its
    text with dashes; tuples become lists; dataclasses objects of their
    fields; ints beyond JavaScript's safe range their decimal text;
    ``NaN`` and infinities ``null``. A plain dict whose only key is
    ``"__html__"`` is wrapped as ``{"__dict__": {...}}``, so stored data
    can never pass for trusted HTML. Anything else (from a custom
    serializer) becomes its ``str()``.
    """
    converter = _CONVERTERS.get(type(value))
    if converter is not None:
        return converter(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _dict(fields)
    return str(value)


def state_json(messages: Pairs, values: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON shape both transports deliver."""
    return {
        "messages": [
            {"category": category, "message": browser_json(message)}
            for category, message in messages
        ],
        "values": {key: browser_json(value) for key, value in values.items()},
    }


def dumps(document: Any) -> str:
    """Encode ``document`` as compact JSON in ASCII only.

    Browsers read header bytes as latin-1: ``\\u`` escapes are the only way
    any text arrives intact.
    """
    return json.dumps(document, ensure_ascii=True, separators=(",", ":"))


def _consume_all(flash: Flash | FlashCore) -> None:
    """Consume every list message and keyed value: this response shows them."""
    flash.get_flashed_messages(with_categories=False, category_filter=(), consume=True)
    flash.items()


def take_pending(flash: Flash) -> dict[str, Any]:
    """Return the pending state in the transport's JSON shape and consume it."""
    messages, values = flash._core._pending()
    document = state_json(messages, values)
    _consume_all(flash)
    return document


def merged_events(values: Iterable[str]) -> dict[str, Any] | None:
    """Read the app's ``HX-Trigger`` values as one ``{event: detail}`` object.

    Each value is a JSON object or a comma list of event names, as htmx
    reads it. ``None`` when one cannot be read (it is left as the app
    wrote it) or names an event twice.
    """
    events: dict[str, Any] = {}
    for value in values:
        text = value.strip()
        if text.startswith("{"):
            try:
                # Text that starts with "{" parses to a dict or not at all.
                parsed: dict[str, Any] = json.loads(text)
            except (ValueError, RecursionError):
                return None
            items = list(parsed.items())
        else:
            items = [(name.strip(), None) for name in text.split(",") if name.strip()]
        for name, detail in items:
            if name in events:
                return None
            events[name] = detail
    return events


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def _like(sample: AnyStr, text: str) -> AnyStr:
    """Return ASCII ``text`` as the same type as ``sample``."""
    if isinstance(sample, bytes):
        return text.encode("ascii")
    return text


def with_trigger(
    flash: FlashCore, status: int, headers: list[tuple[AnyStr, AnyStr]], sample: AnyStr
) -> list[tuple[AnyStr, AnyStr]]:
    """Deliver the pending flash in ``HX-Trigger`` when the rules allow.

    Returns ``headers`` itself when nothing is delivered: not an htmx
    request; a 3xx (XHR follows it unseen), 304 or 5xx; a response that
    sets ``HX-Redirect``, ``HX-Location`` or ``HX-Refresh``; an unseen
    request; a handler that called :meth:`~flashmw.Flash.keep`; nothing
    pending; an ``HX-Trigger`` of the app's that cannot be read or already
    names ``flash``; or a header beyond ``htmx_max_bytes``. In every such
    case the cookie keeps the flash for a later request.

    Otherwise returns a copy with one ``HX-Trigger`` (the app's events and
    ``flash``), and the pending state is consumed, so the ``Set-Cookie``
    computed afterwards drops it. ``sample`` is any header name of the
    protocol's type: ``str`` (WSGI) or ``bytes`` (ASGI).
    """
    if (
        300 <= status < 400
        or status >= 500
        or flash._headers.get(flash._mw._htmx_key) != "true"
        or flash._kept
        or flash.unseen
    ):
        return headers
    apps = []
    for name, value in headers:
        lower = _text(name).lower()
        if lower in _NAVIGATING:
            return headers
        if lower == "hx-trigger":
            apps.append(_text(value))
    messages, values = flash._pending()
    if not messages and not values:
        return headers
    events = merged_events(apps)
    if events is None or EVENT in events:
        return headers
    events[EVENT] = state_json(messages, values)
    trigger = dumps(events)
    budget = flash._mw.htmx_max_bytes
    if len(trigger) > budget:
        logger.debug(
            "flashmw kept the flash in its cookie: HX-Trigger would take %d "
            "bytes, more than htmx_max_bytes=%d",
            len(trigger),
            budget,
        )
        return headers
    _consume_all(flash)
    out = [(n, v) for n, v in headers if _text(n).lower() != "hx-trigger"]
    # ASGI wants lower-case names; WSGI keeps the spelling htmx documents.
    spelling = "hx-trigger" if isinstance(sample, bytes) else "HX-Trigger"
    out.append((_like(sample, spelling), _like(sample, trigger)))
    return out
