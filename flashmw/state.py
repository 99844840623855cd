"""The per-request flash state: list messages and keyed values in one object."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, AnyStr

from .cookies import merged_vary
from .errors import FlashOverflowError
from .transport import with_trigger

if TYPE_CHECKING:
    from .base import BaseFlashMiddleware
    from .request import Headers

_MISSING: Any = object()


def wanted_categories(category_filter: Iterable[str]) -> set[str]:
    """Return the categories a ``category_filter`` names (a ``str`` names one)."""
    if isinstance(category_filter, str):
        return {category_filter}
    return set(category_filter)


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


def _like(sample: AnyStr, text: str) -> AnyStr:
    """Return ``text`` as the same type as ``sample`` (latin-1 for bytes)."""
    if isinstance(sample, bytes):
        return text.encode("latin-1")
    return text


class _Message:
    """One list-style message and what this request did with it."""

    __slots__ = ("category", "message", "consumed", "new")

    def __init__(self, category: str, message: Any, *, new: bool) -> None:
        self.category = category
        self.message = message
        self.consumed = False
        self.new = new


class Flash:
    """The flash state of one request, in two styles that share a lifecycle.

    List style (Flask): :meth:`add` and :meth:`get_flashed_messages`.
    Keyed style (PyView, Phoenix): :meth:`put`, :meth:`clear`, and mapping
    or attribute reads (``flash["info"]``, ``flash.info``).

    Nothing is decoded until the first call that needs the state. A value
    read for display is *consumed*: it stays readable for the rest of this
    request and is dropped from the cookie by this request's response. A
    value nobody read stays for a later request.
    """

    __slots__ = (
        "_mw",
        "_headers",
        "_secure",
        "_head",
        "_unseen",
        "_messages",
        "_values",
        "_consumed",
        "_dirty",
        "_kept",
        "_had_cookie",
        "_invalid",
    )

    _messages: list[_Message] | None  # None until the cookie is decoded
    _values: dict[str, Any]
    _consumed: set[str]
    _had_cookie: bool
    _invalid: bool

    def __init__(
        self,
        middleware: BaseFlashMiddleware[Any],
        headers: Headers,
        secure: bool,
        head: bool = False,
    ) -> None:
        self._mw = middleware
        self._headers = headers
        self._secure = secure
        self._head = head
        self._unseen: bool | None = None
        self._dirty = False
        self._kept = False
        self._messages = None

    # -- loading --------------------------------------------------------

    @property
    def touched(self) -> bool:
        """Whether this request has read or written flash state."""
        return self._messages is not None

    @property
    def _has_headers(self) -> bool:
        """Whether the response needs :meth:`_with_headers`.

        When :attr:`touched`; and, with ``htmx=True``, on every htmx request,
        whose answer may carry what waits in the cookie (the handler of a
        fragment rarely reads the flash itself).
        """
        if self._messages is not None:
            return True
        return self._mw.htmx and self._headers.get("hx-request") == "true"

    @property
    def unseen(self) -> bool:
        """Whether nobody will see this response as a page.

        True for ``HEAD``, for speculative requests (prefetch, prerender,
        preload: see :data:`flashmw.request.SPECULATIVE_HEADERS`) and for
        sub-resources (``Sec-Fetch-Dest: image`` and the like). On such a
        request every read is a peek: handlers and templates get the
        stored messages, and nothing is consumed. A template may use it to
        leave notices out of a prefetched page.
        """
        unseen = self._unseen
        if unseen is None:
            unseen = self._unseen = self._head or self._mw._is_unseen(self._headers)
        return unseen

    def _state(self) -> list[_Message]:
        if self._messages is not None:
            return self._messages
        header = self._headers.get("cookie")
        messages, self._values, self._had_cookie, self._invalid = self._mw._load(header)
        self._consumed = set()
        self._messages = [_Message(c, m, new=False) for c, m in messages]
        return self._messages

    # -- list style -----------------------------------------------------

    def add(self, message: Any, category: str = "message") -> None:
        """Append ``message`` under ``category``; order is kept.

        :raises TypeError: if the message or category cannot be stored.
        :raises FlashOverflowError: with ``on_overflow="error"``, if the
            flash would no longer fit in its cookie.
        """
        messages = self._state()
        if type(category) is not str:
            raise TypeError(f"category must be a str, not {type(category).__name__}")
        self._mw._validate(category)
        self._mw._validate(message)
        messages.append(_Message(category, message, new=True))
        try:
            self._enforce_limits()
        except FlashOverflowError:
            messages.pop()
            raise

    def get_flashed_messages(
        self,
        with_categories: bool = False,
        category_filter: Iterable[str] = (),
        *,
        consume: bool = True,
    ) -> list[Any]:
        """Return the list messages, oldest first, and consume them.

        :param with_categories: return ``(category, message)`` tuples.
        :param category_filter: return only these categories (a single
            ``str`` names one). Unlike Flask, the messages filtered out are
            not consumed: they wait for a request that asks for them.
        :param consume: ``False`` peeks: nothing is consumed.
        """
        messages = self._state()
        if category_filter:
            wanted = wanted_categories(category_filter)
            messages = [m for m in messages if m.category in wanted]
        if consume:
            for m in messages:
                m.consumed = True
        if with_categories:
            return [(m.category, m.message) for m in messages]
        return [m.message for m in messages]

    # -- keyed style ----------------------------------------------------

    def put(self, key: str, value: Any) -> None:
        """Set the value under ``key``, replacing any value it had.

        :raises TypeError: if the key is not a ``str`` or the value cannot
            be stored.
        :raises FlashOverflowError: with ``on_overflow="error"``, if the
            flash would no longer fit in its cookie.
        """
        self._state()
        if type(key) is not str:
            raise TypeError(f"flash key must be a str, not {type(key).__name__}")
        self._mw._validate(key)
        self._mw._validate(value)
        before = dict(self._values)
        # Re-inserting makes a replaced key the newest, which is what the
        # overflow policy means by "oldest".
        self._values.pop(key, None)
        self._values[key] = value
        self._consumed.discard(key)
        try:
            self._enforce_limits()
        except FlashOverflowError:
            self._values = before
            raise
        self._dirty = True

    def clear(self, key: str | None = None) -> None:
        """Remove the value under ``key``; with no key, remove everything.

        Clearing everything removes every keyed value and every list message.
        A key that is not set is ignored.
        """
        messages = self._state()
        if key is None:
            if messages or self._values:
                self._dirty = True
            messages.clear()
            self._values.clear()
            self._consumed.clear()
        elif key in self._values:
            del self._values[key]
            self._consumed.discard(key)
            self._dirty = True

    def keep(self) -> None:
        """Keep everything this request consumes (before or after) for the next one."""
        self._state()
        self._kept = True

    def __getitem__(self, key: str) -> Any:
        self._state()
        value = self._values[key]
        self._consumed.add(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value under ``key`` (consuming it), or ``default``."""
        self._state()
        value = self._values.get(key, _MISSING)
        if value is _MISSING:
            return default
        self._consumed.add(key)
        return value

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not methods or slots, so
        # ``flash.info`` reads the key and a missing key is None: templates
        # can write ``{% if flash.error %}``.
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def __contains__(self, key: object) -> bool:
        self._state()
        return key in self._values

    def __len__(self) -> int:
        self._state()
        return len(self._values)

    def __iter__(self) -> Iterator[str]:
        self._state()
        return iter(list(self._values))

    def __bool__(self) -> bool:
        return bool(self._state() or self._values)

    def keys(self) -> list[str]:
        """Return the keys that hold a value (consumes nothing)."""
        return list(self)

    def values(self) -> list[Any]:
        """Return every keyed value, consuming them all."""
        return [value for _, value in self.items()]

    def items(self) -> list[tuple[str, Any]]:
        """Return every ``(key, value)`` pair, consuming them all."""
        self._state()
        self._consumed.update(self._values)
        return list(self._values.items())

    def _pending(self) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
        """Return the messages and keyed values nobody consumed (consumes nothing)."""
        messages = [(m.category, m.message) for m in self._state() if not m.consumed]
        values = {k: v for k, v in self._values.items() if k not in self._consumed}
        return messages, values

    def __repr__(self) -> str:
        if self._messages is None:
            return "<Flash (not loaded)>"
        messages = [(m.category, m.message) for m in self._messages]
        return f"<Flash messages={messages!r} values={self._values!r}>"

    # -- writing --------------------------------------------------------

    def _enforce_limits(self) -> None:
        # With on_overflow="error" the call that overflows raises; otherwise
        # the response drops the oldest entries (see BaseFlashMiddleware._dump).
        if self._mw.on_overflow != "error":
            return
        kept = self._kept
        messages = [
            (m.category, m.message) for m in self._state() if kept or not m.consumed
        ]
        values = {
            k: v for k, v in self._values.items() if kept or k not in self._consumed
        }
        self._mw._check_fits(messages, values, self._secure)

    def _with_headers(
        self,
        status: int,
        headers: list[tuple[AnyStr, AnyStr]],
        vary_name: AnyStr,
        cookie_name: AnyStr,
    ) -> list[tuple[AnyStr, AnyStr]]:
        """Return a copy of ``headers`` with the flash's ``Vary`` and ``Set-Cookie``.

        The same rule for both protocols: ``str`` headers for WSGI, latin-1
        ``bytes`` for ASGI, and new headers get the names given. Existing
        ``Vary`` headers are merged into one that names ``Cookie`` (left
        alone when they name it or ``*``). With ``htmx=True``, an htmx
        request gets what is pending in ``HX-Trigger`` (see
        :func:`flashmw.transport.with_trigger`). Only call when
        :attr:`_has_headers`.
        """
        if self._mw.htmx:
            headers = with_trigger(self, status, headers, vary_name)
        lower = vary_name.lower()
        merged = merged_vary(_text(v) for n, v in headers if n.lower() == lower)
        set_cookie = self._set_cookie(status)
        if merged is None:
            out = list(headers)
        else:
            out = [(n, v) for n, v in headers if n.lower() != lower]
            out.append((vary_name, _like(vary_name, merged)))
        if set_cookie is not None:
            out.append((cookie_name, _like(cookie_name, set_cookie)))
        return out

    def _set_cookie(self, status: int) -> str | None:
        """Return the ``Set-Cookie`` value a response with ``status`` needs.

        ``None`` means the cookie stays as it is. Only call when :attr:`touched`.
        """
        messages = self._state()
        values = self._values
        changed = self._dirty or self._invalid
        consume = not (self._kept or status >= 500 or status == 304 or self.unseen)
        if consume:
            if any(m.consumed for m in messages):
                changed = changed or any(m.consumed and not m.new for m in messages)
                messages = [m for m in messages if not m.consumed]
            if self._consumed:
                changed = True
                values = {k: v for k, v in values.items() if k not in self._consumed}
        changed = changed or any(m.new for m in messages)
        if not changed:
            return None
        return self._mw._dump(
            [(m.category, m.message) for m in messages],
            values,
            self._secure,
            self._had_cookie,
        )
