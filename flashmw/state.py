"""The per-request flash state: list messages and keyed values in one object."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, AnyStr, TypeVar

from .cookies import merged_vary
from .errors import FlashOverflowError
from .layout import NOTHING, Changes, Entry, Loaded, Stamp, new_write_id, plan
from .request import is_unseen
from .store import Session, changes_for, offload
from .transport import with_trigger

if TYPE_CHECKING:
    from .base import BaseFlashMiddleware
    from .request import Headers

_MISSING: Any = object()
_Method = TypeVar("_Method", bound=Callable[..., Any])


def _alters_data(method: _Method) -> _Method:
    """Mark ``method`` as changing the flash.

    Jinja2's sandbox (and Django's templates) refuse to call a method with
    ``alters_data`` set, so an untrusted template can read the flash but
    never add, put, clear or keep.
    """
    method.alters_data = True  # type: ignore[attr-defined]
    return method


logger = logging.getLogger("flashmw")


def wanted_categories(category_filter: Iterable[str]) -> set[str]:
    """Return the categories a ``category_filter`` names (a ``str`` names one)."""
    if isinstance(category_filter, str):
        return {category_filter}
    return set(category_filter)


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")


# "Cookie" as a str or as bytes, by the type of the header names in use.
_COOKIE: dict[type, Any] = {str: "Cookie", bytes: b"Cookie"}


def _like(sample: AnyStr, text: str) -> AnyStr:
    """Return ``text`` as the same type as ``sample`` (latin-1 for bytes)."""
    if isinstance(sample, bytes):
        return text.encode("latin-1")
    return text


class FlashCore:
    """The state and the rules of one request's flash.

    :class:`Flash`, the object apps get, holds one and delegates to it; the
    adapters, the store and the transports work on this one directly. It is
    a class of its own because :class:`Flash` has a ``__getattr__`` (for
    ``flash.info``), and on CPython 3.11 that makes every attribute read
    and method call on a ``Flash`` take the slow path: code here runs on
    an object without one. Not a public API.
    """

    __slots__ = (
        "_mw",
        "_headers",
        "_secure",
        "_unseen",
        "_loaded",
        "_messages",
        "_values",
        "_marks",
        "_kept",
        "_read",
        "_ms",
        "_write",
        "_seq",
        "_sent",
        "_store",
    )

    _loaded: Loaded | None  # None until the cookies are decoded
    _messages: list[Entry]  # visible list messages, oldest first
    _values: dict[str, Entry]  # visible keyed values
    _marks: dict[str | None, Stamp]  # clear() calls, by key (None: all)
    _ms: int  # when this request first touched its flash, in milliseconds
    _secure: bool  # whether it came over https (read with the cookies)
    _write: str | None  # this request's write id, made on the first write
    _seq: int
    _read: bool  # whether any entry was consumed (see _set_cookies)
    _store: Session | None

    def __init__(self, middleware: BaseFlashMiddleware[Any], headers: Headers) -> None:
        self._mw = middleware
        # Also the request's scheme and method, read only when a rule needs
        # them (see flashmw.request.Headers): most requests never ask.
        self._headers = headers
        self._unseen: bool | None = None
        self._kept = False
        self._loaded = None
        self._sent = False
        # With a server-side store: what this request read and stored.
        self._store = None if middleware.store is None else Session()

    # -- loading --------------------------------------------------------

    @property
    def unseen(self) -> bool:
        unseen = self._unseen
        if unseen is None:
            mw = self._mw
            headers = self._headers
            unseen = self._unseen = headers.get(mw._method_key) == "HEAD" or is_unseen(
                headers, mw._speculative, mw._destinations, mw._watched, mw._dest_key
            )
        return unseen

    def _state(self) -> list[Entry]:
        if self._loaded is not None:
            return self._messages
        if self._sent:
            return self._late_state()
        store = self._store
        mw = self._mw
        now = mw._clock()
        header = self._headers.get(mw._cookie_key)
        loaded = self._loaded = mw._load(
            header, None if store is None else partial(store.read, self), now
        )
        # A request that saw another's writes stamps its own after them,
        # even within one millisecond or on a server whose clock is behind.
        self._ms = max(int(now * 1000), loaded.newest + 1)
        self._secure = self._headers.get(mw._scheme_key) == "https"
        if loaded is NOTHING:
            # Shared by every request without flash cookies: lists of its own.
            self._messages = []
            self._values = {}
        else:
            # Nothing reads them from the Loaded again: this request's own.
            self._messages = loaded.messages
            self._values = loaded.values
        self._marks = {}
        self._write = None
        self._seq = 0
        self._read = False
        return self._messages

    def _stamp(self) -> Stamp:
        """Return the stamp of this request's next write."""
        if self._write is None:
            self._write = new_write_id()
        self._seq += 1
        return (self._ms, self._write, self._seq)

    def _commit(self) -> bool:
        """Note that the response's headers go out now; return :attr:`touched`.

        Adapters call this once, when they hand the status and headers to
        the server, and add the flash's headers when it returns ``True``.
        With ``htmx=True`` an htmx request is touched here: its answer may
        carry what waits in the cookie (the handler of a fragment rarely
        reads the flash itself).
        """
        if (
            self._loaded is None
            and self._mw.htmx
            and self._headers.get(self._mw._htmx_key) == "true"
        ):
            self._state()
        self._sent = True
        return self._loaded is not None

    def _late_state(self) -> list[Entry]:
        # The headers went out without Vary: Cookie, so a shared cache may
        # keep this response for anyone: it must show no flash. Reads see
        # an empty flash and consume nothing; the cookies are left as they
        # are, so the next request shows every message.
        logger.warning(
            "flashmw: the flash was first read after the response headers "
            "went out (a streamed body?); it reads as empty here and its "
            "messages wait for the next request. Read them before the "
            "body's first bytes to show them in this response."
        )
        self._loaded = NOTHING
        self._ms = int(self._mw._clock() * 1000)
        self._secure = self._headers.get(self._mw._scheme_key) == "https"
        self._messages = []
        self._values = {}
        self._marks = {}
        self._write = None
        self._seq = 0
        self._read = False
        return self._messages

    @staticmethod
    def _warn_lost() -> None:
        # A write after the headers went out has no Set-Cookie to go into.
        logger.warning(
            "flashmw: a flash was written after the response headers went "
            "out; it cannot be stored and is lost"
        )

    # -- list style -----------------------------------------------------

    # The defaults are the facade's (Flash.add and its siblings), which
    # always passes every argument.

    def add(self, message: Any, category: str) -> None:
        messages = self._state()
        if self._sent:
            self._warn_lost()
        if type(category) is not str:
            raise TypeError(f"category must be a str, not {type(category).__name__}")
        self._mw._validate_text(category)
        message = self._mw._store_value(message)
        messages.append(Entry(category, message, self._stamp()))
        try:
            self._enforce_limits()
        except FlashOverflowError:
            messages.pop()
            raise

    def get_flashed_messages(
        self,
        with_categories: bool,
        category_filter: Iterable[str],
        consume: bool,
    ) -> list[Any]:
        messages = self._state()
        if category_filter:
            wanted = wanted_categories(category_filter)
            messages = [m for m in messages if m.name in wanted]
        if consume and messages:
            self._read = True
            for m in messages:
                m.consumed = True
        if with_categories:
            return [(m.name, m.value) for m in messages]
        return [m.value for m in messages]

    # -- keyed style ----------------------------------------------------

    def put(self, key: str, value: Any) -> None:
        self._state()
        if self._sent:
            self._warn_lost()
        if type(key) is not str:
            raise TypeError(f"flash key must be a str, not {type(key).__name__}")
        self._mw._validate_text(key)
        value = self._mw._store_value(value)
        values = self._values
        before = dict(values)
        values.pop(key, None)
        # Re-inserting makes a replaced key the newest, which is what the
        # overflow policy means by "oldest".
        values[key] = Entry(key, value, self._stamp())
        try:
            self._enforce_limits()
        except FlashOverflowError:
            self._values = before
            raise

    def clear(self, key: str | None = None) -> None:
        messages = self._state()
        if key is None:
            if messages or self._values:
                messages.clear()
                self._values.clear()
                self._marks = {None: self._stamp()}
        elif self._values.pop(key, None) is not None:
            self._marks[key] = self._stamp()

    def keep(self) -> None:
        self._state()
        self._kept = True

    def __getitem__(self, key: str) -> Any:
        self._state()
        entry = self._values[key]
        entry.consumed = self._read = True
        return entry.value

    def get(self, key: str, default: Any = None) -> Any:
        self._state()
        entry = self._values.get(key)
        if entry is None:
            return default
        entry.consumed = self._read = True
        return entry.value

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
        return list(self)

    def values(self) -> list[Any]:
        return [value for _, value in self.items()]

    def items(self) -> list[tuple[str, Any]]:
        self._state()
        for entry in self._values.values():
            entry.consumed = self._read = True
        return [(key, entry.value) for key, entry in self._values.items()]

    def _pending(self) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
        """Return the messages and keyed values nobody consumed (consumes nothing)."""
        messages = [(m.name, m.value) for m in self._state() if not m.consumed]
        values = {k: e.value for k, e in self._values.items() if not e.consumed}
        return messages, values

    def __repr__(self) -> str:
        if self._loaded is None:
            return "<Flash (not loaded)>"
        messages = [(m.name, m.value) for m in self._messages]
        values = {key: entry.value for key, entry in self._values.items()}
        return f"<Flash messages={messages!r} values={values!r}>"

    # -- writing --------------------------------------------------------

    def _enforce_limits(self) -> None:
        # With on_overflow="error" the call that overflows raises; otherwise
        # the response drops the oldest entries (see flashmw.layout.plan).
        if self._mw.on_overflow == "error":
            self._plan(consume=not self._kept, dry=True)

    def _plan(self, consume: bool, dry: bool = False, store: bool = True) -> Changes:
        loaded = self._loaded
        assert loaded is not None
        now = self._mw._clock()
        spill = None
        if store and self._store is not None:
            spill = partial(offload, self._mw, loaded, now=now, https=self._secure)
        return plan(
            self._mw,
            loaded,
            self._messages,
            self._values,
            self._marks,
            consume,
            self._write or "",
            now,
            self._secure,
            dry,
            spill,
        )

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
        size = len(lower)
        out = []
        varies = []
        for header in headers:
            name = header[0]
            # The length first: most names are not as long as Vary's, and
            # lower() makes a new string (a response has a dozen headers).
            if len(name) == size and name.lower() == lower:
                varies.append(_text(header[1]))
            else:
                out.append(header)
        if not varies:
            out.append((vary_name, _COOKIE[type(vary_name)]))
        else:
            merged = merged_vary(varies)
            if merged is None:
                out = list(headers)
            else:
                out.append((vary_name, _like(vary_name, merged)))
        set_cookies = self._set_cookies(status)
        if type(cookie_name) is str:
            for value in set_cookies:
                out.append((cookie_name, value))
        else:
            for value in set_cookies:
                out.append((cookie_name, _like(cookie_name, value)))
        return out

    def _set_cookies(self, status: int) -> list[str]:
        """Return the ``Set-Cookie`` values a response with ``status`` needs.

        Only call when :attr:`touched` (the adapters do: a websocket's flash
        is read at connect).
        """
        consume = self._consumes(status)
        if self._store is not None:
            changes = changes_for(self, consume)
        else:
            changes = self._plan(consume)
        return self._mw._render(changes, self._secure)

    def _consumes(self, status: int) -> bool:
        """Tell whether a response with ``status`` consumes what was read.

        ``False`` when nothing was: a request that read nothing writes the
        same either way, and skips telling whether it is seen (a dozen
        header lookups).
        """
        return self._read and not (
            self._kept or status >= 500 or status == 304 or self.unseen
        )


class Flash:
    """The flash state of one request, in two styles that share a lifecycle.

    List style (Flask): :meth:`add` and :meth:`get_flashed_messages`.
    Keyed style (PyView, Phoenix): :meth:`put`, :meth:`clear`, and mapping
    or attribute reads (``flash["info"]``, ``flash.info``).

    Nothing is decoded until the first call that needs the state. A value
    read for display is *consumed*: it stays readable for the rest of this
    request and is dropped from the browser by this request's response. A
    value nobody read stays for a later request.
    """

    __slots__ = ("_core",)

    def __init__(self, middleware: BaseFlashMiddleware[Any], headers: Headers) -> None:
        self._core = FlashCore(middleware, headers)

    @property
    def touched(self) -> bool:
        """Whether this request has read or written flash state."""
        return self._core._loaded is not None

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
        return self._core.unseen

    # -- list style -----------------------------------------------------

    @_alters_data
    def add(self, message: Any, category: str = "message") -> None:
        """Append ``message`` under ``category``; order is kept.

        :raises TypeError: if the message or category cannot be stored.
        :raises FlashOverflowError: with ``on_overflow="error"``, if the
            flash would no longer fit in its cookies.
        """
        self._core.add(message, category)

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
        return self._core.get_flashed_messages(
            with_categories, category_filter, consume
        )

    # -- keyed style ----------------------------------------------------

    @_alters_data
    def put(self, key: str, value: Any) -> None:
        """Set the value under ``key``, replacing any value it had.

        :raises TypeError: if the key is not a ``str`` or the value cannot
            be stored.
        :raises FlashOverflowError: with ``on_overflow="error"``, if the
            flash would no longer fit in its cookies.
        """
        self._core.put(key, value)

    @_alters_data
    def clear(self, key: str | None = None) -> None:
        """Remove the value under ``key``; with no key, remove everything.

        Clearing everything removes every keyed value and every list message.
        A key that is not set is ignored. A clear that removes something
        also holds against values of that key (or, with no key, anything)
        that overlapping requests which started earlier write later: see
        "Concurrent requests" in the documentation.
        """
        self._core.clear(key)

    @_alters_data
    def keep(self) -> None:
        """Keep everything this request consumes (before or after) for the next one."""
        self._core.keep()

    def __getitem__(self, key: str) -> Any:
        return self._core[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value under ``key`` (consuming it), or ``default``."""
        return self._core.get(key, default)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not methods or slots, so
        # ``flash.info`` reads the key and a missing key is None: templates
        # can write ``{% if flash.error %}``.
        if name.startswith("_"):
            raise AttributeError(name)
        return self._core.get(name)

    def __contains__(self, key: object) -> bool:
        return key in self._core

    def __len__(self) -> int:
        return len(self._core)

    def __iter__(self) -> Iterator[str]:
        return iter(self._core)

    def __bool__(self) -> bool:
        return bool(self._core)

    def keys(self) -> list[str]:
        """Return the keys that hold a value (consumes nothing)."""
        return self._core.keys()

    def values(self) -> list[Any]:
        """Return every keyed value, consuming them all."""
        return self._core.values()

    def items(self) -> list[tuple[str, Any]]:
        """Return every ``(key, value)`` pair, consuming them all."""
        return self._core.items()

    def __repr__(self) -> str:
        return repr(self._core)
