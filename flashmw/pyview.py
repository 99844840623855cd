"""PyView live views on flashmw: flashes that reach a live view and survive navigation.

Install it once, as PyView's own middleware::

    app = PyView()
    app.add_middleware(PyViewFlashMiddleware, secret_key=SECRET)

:class:`PyViewFlashMiddleware` is an :class:`~flashmw.ASGIFlashMiddleware`
(same options, same cookie) that also bridges the flash into PyView:

- **HTTP to live**: the first (HTTP) render of a live view takes every
  flash waiting in the cookie, list messages by category and keyed values
  by key, into ``socket.flash``, and consumes them. A short-lived signed
  *join token* in a cookie hands them to the connected (websocket) render.
- **Live to the next page**: what the view ``put_flash``-ed travels with
  ``push_navigate``, ``replace_navigate`` and ``redirect`` in a signed
  *navigation token*, which PyView's bundled Phoenix client already carries
  (in the next join, or in the ``__phoenix_flash__`` cookie for a redirect).
- **Dismiss**: ``socket.flash`` is a :class:`LiveFlash`; clearing it clears
  the only copy left, so a dismissed notice never comes back on reload.

PyView has no hook around its sockets, so the bridge uses two seams that
are public in PyView and in the protocol: a template context processor
(:func:`pyview.template.context_processor`) that swaps ``socket.flash`` for
a :class:`LiveFlash` at a view's first render, and the websocket's Phoenix
messages (``phx_join`` in, ``live_redirect``/``redirect`` out), read and
extended at the ASGI layer. docs/pyview.md explains both and the tokens.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Container, Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote, urlsplit

import pyview.flash  # noqa: F401 (PyView's own processor must run before ours)
from pyview.template import context_processor
from werkzeug.http import dump_cookie

from .asgi import ASGIApp, ASGIFlashMiddleware, Message, Receive, Scope, Send
from .base import _seconds
from .context import get_flash
from .cookies import find_cookie_values, is_token
from .errors import FlashError
from .signing import CookieSigner
from .state import Flash
from .values import Serializer

logger = logging.getLogger("flashmw")

#: Seconds a navigation or join token lives, enforced from its signed time.
DEFAULT_TOKEN_MAX_AGE = 60
#: The cookie PyView's Phoenix client sets for ``redirect`` with a flash.
PHOENIX_FLASH_COOKIE = "__phoenix_flash__"
#: Token text a cookie can still carry beside its name and attributes.
MAX_TOKEN_LENGTH = 3800
#: Redeemed redirect tokens remembered per browser (until they expire).
MAX_SPENT = 16

# Signatures of tokens are bound to this purpose, never the flash cookie's.
_SALT = b"flashmw.pyview"
_ID_BYTES = 16


def _path(url: object) -> str | None:
    """Return the unquoted path of a same-site URL or absolute path."""
    if not isinstance(url, str) or not url:
        return None
    if url.startswith("/") and not url.startswith("//"):
        return unquote(urlsplit(url).path) or "/"
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc:
        return unquote(parts.path) or "/"
    return None


def _cookie_header(scope: Scope) -> str:
    """Return the request's ``Cookie`` header, through its flash's headers.

    The flash middleware around the bridge reads the scope's fields into
    one map per request (HTTP/2 may split the cookies over several); the
    bridge reads that map rather than walking the fields again.
    """
    core = get_flash(scope)._core
    return core._headers.get(core._mw._cookie_key) or ""


def _first(header: str, name: str) -> str | None:
    # Most requests carry none of the bridge's cookies: a substring check
    # in C answers them without scanning the pairs.
    if name not in header:
        return None
    values = find_cookie_values(header, name)
    return values[0] if values else None


class LiveFlash(MutableMapping[str, Any]):
    """``socket.flash`` of a live view under flashmw: PyView's dict, checked.

    Setting a key replaces its value (PyView's ``put_flash``) after checking
    that flashmw can store it, so a bad value is a :class:`TypeError` at
    the call. The bridge remembers which keys this view set, to carry them
    across ``push_navigate``, ``replace_navigate`` and ``redirect``.
    """

    __slots__ = ("_values", "_put", "_check")

    def __init__(
        self,
        check: Callable[[str, Any], None],
        shown: Mapping[str, Any] = {},
        put: Mapping[str, Any] = {},
    ) -> None:
        self._check = check
        self._values: dict[str, Any] = dict(shown)
        self._put: set[str] = set()
        for key, value in put.items():
            self[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._check(key, value)
        self._values.pop(key, None)  # a replaced key becomes the newest
        self._values[key] = value
        self._put.add(key)

    def __delitem__(self, key: str) -> None:
        del self._values[key]
        self._put.discard(key)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"LiveFlash({self._values!r})"

    def put_here(self) -> dict[str, Any]:
        """Return what this view set and still holds (what navigation carries)."""
        return {k: v for k, v in self._values.items() if k in self._put}


def _waiting_values(flash: Flash) -> dict[str, Any]:
    """Consume the request's whole flash as PyView keys.

    List messages become keys named by their category; a later message or a
    keyed value with the same key replaces it, as ``put_flash`` would, and
    the replaced one is logged (nothing goes silently).
    """
    values: dict[str, Any] = {}
    pairs = [*flash.get_flashed_messages(with_categories=True), *flash.items()]
    for key, value in pairs:
        if key in values:
            logger.warning(
                "flashmw replaced the flash %r (%r) by a later one: a live "
                "view shows one value per key",
                key,
                values[key],
            )
            del values[key]
        values[key] = value
    return values


class _Tokens:
    """Signed, short-lived flash tokens bound to a path and a browser."""

    def __init__(
        self,
        serializer: Serializer,
        secret_key: str | bytes,
        fallback_keys: Any,
        max_age: int,
        clock: Callable[[], float],
    ) -> None:
        self.serializer = serializer
        self.clock = clock
        self.max_age = max_age
        self._signer = CookieSigner(
            secret_key,
            list(fallback_keys),
            salt=_SALT,
            cookie_name="token",
            max_age=max_age,
        )

    def check(self, key: str, value: Any) -> None:
        """Raise :class:`TypeError` unless flashmw can store ``value`` at ``key``."""
        if type(key) is not str:
            raise TypeError(f"flash key must be a str, not {type(key).__name__}")
        try:
            self.serializer.dumps([[], [[key, value]]])
        except Exception as exc:
            raise TypeError(
                f"{type(value).__name__} cannot be flashed with "
                f"{type(self.serializer).__name__}: {exc}"
            ) from exc

    def mint(self, values: Mapping[str, Any], path: str, bind: str) -> str:
        """Return a token for ``values``, good for ``path`` in this browser."""
        nonce = secrets.token_urlsafe(9)
        meta = [["p", path], ["b", bind], ["n", nonce]]
        payload = self.serializer.dumps([meta, [[k, v] for k, v in values.items()]])
        return self._signer.sign(payload, self.clock())

    def redeem(
        self, token: str, path: str | None, bind: str, spent: Container[str]
    ) -> tuple[str, dict[str, Any]] | None:
        """Return the nonce and values of a token that is good here, else ``None``.

        A tampered, expired, foreign, misplaced or spent token is logged at
        DEBUG on the ``flashmw`` logger and reads as nothing.
        """
        try:
            if len(token) > MAX_TOKEN_LENGTH:
                raise ValueError(f"{len(token)} characters is too long")
            document = self.serializer.loads(self._signer.unsign(token, self.clock()))
            meta, pairs = document
            fields = dict(meta)
            # Keys are str: only LiveFlash, which checks them, fills a token.
            values = dict(pairs)
            if fields.get("p") != path:
                raise ValueError(f"made for {fields.get('p')!r}, not {path!r}")
            if fields.get("b") != bind:
                raise ValueError("made for another browser")
            nonce = fields.get("n")
            if type(nonce) is not str or nonce in spent:
                raise ValueError("already used")
        # The serializer is pluggable and the document is data: whatever
        # goes wrong, a bad token reads as nothing, like a bad cookie.
        except Exception as exc:  # noqa: BLE001
            logger.debug("flashmw ignored a PyView flash token: %s", exc)
            return None
        return nonce, values


class _Browser:
    """The browser's binding cookie: a random id and the redirect tokens it spent.

    Value: ``id`` then ``.nonce~expiry`` per spent token. HttpOnly, so page
    scripts cannot read the id that tokens are bound to.
    """

    def __init__(self, raw: str | None, now: float) -> None:
        parts = raw.split(".") if raw else []
        self.id = (
            parts[0] if parts and len(parts[0]) >= 16 and is_token(parts[0]) else ""
        )
        self.spent: dict[str, int] = {}
        for part in parts[1:] if self.id else ():
            nonce, _, expiry = part.partition("~")
            if expiry.isdigit() and int(expiry) > now and is_token(nonce):
                self.spent[nonce] = int(expiry)
        self.changed = False

    @property
    def bind(self) -> str:
        """What tokens carry: a hash of the id, or ``""`` without a cookie."""
        if not self.id:
            return ""
        return hashlib.sha256(self.id.encode("ascii")).hexdigest()[:32]

    def ensure(self) -> None:
        if not self.id:
            self.id = secrets.token_urlsafe(_ID_BYTES)
            self.changed = True

    def spend(self, nonce: str, expiry: int) -> None:
        self.ensure()
        self.spent[nonce] = expiry
        while len(self.spent) > MAX_SPENT:
            del self.spent[min(self.spent, key=self.spent.__getitem__)]
        self.changed = True

    def value(self) -> str:
        return ".".join([self.id, *(f"{n}~{e}" for n, e in self.spent.items())])


class _Page:
    """One HTTP request through the bridge."""

    def __init__(self, bridge: _Bridge, scope: Scope) -> None:
        self.bridge = bridge
        self.flash = get_flash(scope)
        self.path = scope.get("path", "/")
        self.https = scope.get("scheme") == "https"
        header = _cookie_header(scope)
        self.browser = _Browser(
            _first(header, bridge.cookie_name), bridge.tokens.clock()
        )
        self.join_cookie = _first(header, bridge.join_cookie_name)
        self.phoenix_cookie = _first(header, PHOENIX_FLASH_COOKIE)
        self.rendered = False
        self.handoff: str | None = None

    def redeem_redirect(self) -> None:
        """Put the flash a live view's ``redirect`` sent along into this request."""
        if self.phoenix_cookie is None:
            return
        tokens = self.bridge.tokens
        found = tokens.redeem(
            self.phoenix_cookie, self.path, self.browser.bind, self.browser.spent
        )
        if found is None:
            return
        nonce, values = found
        self.browser.spend(nonce, int(tokens.clock()) + tokens.max_age + 1)
        for key, value in values.items():
            try:
                self.flash.put(key, value)
            except FlashError as exc:
                logger.warning("flashmw dropped the flash %r: %s", key, exc)

    def adopt(self, socket: Any) -> LiveFlash:
        """Give a live view's first HTTP render the flash that is waiting."""
        shown = _waiting_values(self.flash)
        live = LiveFlash(self.bridge.tokens.check, shown, dict(socket.flash))
        socket.flash = live
        self.rendered = True
        self.browser.ensure()
        if shown and not self.flash.unseen:
            self.handoff = self.bridge.tokens.mint(shown, self.path, self.browser.bind)
        return live

    def set_cookies(self) -> list[str]:
        """Return this response's ``Set-Cookie`` values for the bridge's cookies."""
        out = []
        common: dict[str, Any] = {"path": "/", "secure": self.https, "samesite": "Lax"}
        if self.phoenix_cookie is not None:
            out.append(
                dump_cookie(PHOENIX_FLASH_COOKIE, "", max_age=0, expires=0, path="/")
            )
        if self.browser.changed:
            out.append(
                dump_cookie(
                    self.bridge.cookie_name,
                    self.browser.value(),
                    httponly=True,
                    **common,
                )
            )
        if self.handoff is not None:
            out.append(
                dump_cookie(
                    self.bridge.join_cookie_name,
                    self.handoff,
                    max_age=self.bridge.tokens.max_age,
                    httponly=True,
                    **common,
                )
            )
        elif self.rendered and self.join_cookie is not None:
            out.append(
                dump_cookie(
                    self.bridge.join_cookie_name, "", max_age=0, expires=0, **common
                )
            )
        return out


class _Connection:
    """One websocket (a live socket carrying one view after another)."""

    def __init__(self, bridge: _Bridge, scope: Scope) -> None:
        self.bridge = bridge
        header = _cookie_header(scope)
        self.bind = _Browser(_first(header, bridge.cookie_name), 0).bind
        self.join_token = _first(header, bridge.join_cookie_name)
        # Nonce -> the topic that used it: a view that rejoins (the client
        # does after a navigation whose event reply arrives late) brings
        # its token again and must see the same flash.
        self.spent: dict[str, str] = {}
        self.pending: dict[str, dict[str, Any]] = {}
        self.views: dict[str, LiveFlash] = {}

    def on_join(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Note what a view joining ``topic`` must show: its token's flash."""
        path = _path(payload.get("redirect") or payload.get("url"))
        token = payload.get("flash")
        if not isinstance(token, str) or not token:
            # The first join after an HTTP render: the join cookie's token.
            token = self.join_token
        found = None
        if token:
            elsewhere = {n for n, used_by in self.spent.items() if used_by != topic}
            found = self.bridge.tokens.redeem(token, path, self.bind, elsewhere)
        if found is None:
            self.pending.pop(topic, None)
            return
        nonce, values = found
        self.spent[nonce] = topic
        self.pending[topic] = values

    def adopt(self, socket: Any) -> LiveFlash:
        """Give a view's first connected render the flash its join brought."""
        topic = socket.topic
        shown = self.pending.pop(topic, {})
        live = LiveFlash(self.bridge.tokens.check, shown, dict(socket.flash))
        socket.flash = live
        self.views[topic] = live
        return live

    def on_navigate(self, topic: str, payload: dict[str, Any]) -> bool:
        """Add the navigation token to a ``live_redirect``/``redirect`` payload."""
        live = self.views.get(topic)
        values = live.put_here() if live is not None else {}
        if not values or "flash" in payload:
            return False
        to = payload.get("to")
        # Only a path on this site: a token set as a cookie for another
        # site's page would never be read.
        path = _path(to) if isinstance(to, str) and to.startswith("/") else None
        token = None
        if path is not None:
            token = self.bridge.tokens.mint(values, path, self.bind)
        if token is None or len(token) > MAX_TOKEN_LENGTH:
            logger.warning(
                "flashmw dropped the flash %s: navigation to %r cannot carry it",
                sorted(values),
                payload.get("to"),
            )
            return False
        payload["flash"] = token
        return True


_current: ContextVar[_Page | _Connection] = ContextVar("flashmw.pyview")


def _live_flash(meta: Any) -> dict[str, Any]:
    # PyView calls this at every render of a template view; it is global,
    # so it acts only inside a request or connection the bridge handles.
    socket = getattr(meta, "socket", None)
    flash = getattr(socket, "flash", None)
    if isinstance(flash, LiveFlash):
        return {"flash": flash}
    state = _current.get(None)
    if state is None or not isinstance(flash, dict):
        return {}
    return {"flash": state.adopt(socket)}


# Registered after PyView's own (imported above), so its "flash" wins.
context_processor(_live_flash)


def _phoenix(text: str) -> list[Any] | None:
    """Return a Phoenix message ``[join_ref, ref, topic, event, payload]``."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if (
        type(message) is list
        and len(message) == 5
        and isinstance(message[2], str)
        and isinstance(message[4], dict)
    ):
        return message
    return None


class _Bridge:
    """The app inside the flash middleware: moves flashes in and out of PyView."""

    def __init__(
        self, app: ASGIApp, tokens: _Tokens, cookie_name: str, join_cookie_name: str
    ) -> None:
        self.app = app
        self.tokens = tokens
        self.cookie_name = cookie_name
        self.join_cookie_name = join_cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = _Page(self, scope)
        page.redeem_redirect()

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookies = page.set_cookies()
                if cookies:
                    headers = [*message.get("headers", ())]
                    headers += [(b"set-cookie", c.encode("latin-1")) for c in cookies]
                    message = {**message, "headers": headers}
            await send(message)

        token = _current.set(page)
        try:
            await self.app(scope, receive, send_with_cookies)
        finally:
            _current.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = _Connection(self, scope)

        async def receive_joins() -> Message:
            message = await receive()
            text = message.get("text")
            if message["type"] == "websocket.receive" and text and "phx_" in text:
                phoenix = _phoenix(text)
                if phoenix is not None and phoenix[2].startswith("lv:"):
                    if phoenix[3] == "phx_join":
                        connection.on_join(phoenix[2], phoenix[4])
                    elif phoenix[3] == "phx_leave":
                        connection.views.pop(phoenix[2], None)
            return message

        async def send_tokens(message: Message) -> None:
            text = message.get("text")
            if message["type"] == "websocket.send" and text and "redirect" in text:
                phoenix = _phoenix(text)
                if (
                    phoenix is not None
                    and phoenix[3] in ("live_redirect", "redirect")
                    and connection.on_navigate(phoenix[2], phoenix[4])
                ):
                    message = {**message, "text": json.dumps(phoenix)}
            await send(message)

        token = _current.set(connection)
        try:
            await self.app(scope, receive_joins, send_tokens)
        finally:
            _current.reset(token)


class PyViewFlashMiddleware(ASGIFlashMiddleware):
    """:class:`~flashmw.ASGIFlashMiddleware` with the bridge into PyView live views.

    Install it with ``app.add_middleware(PyViewFlashMiddleware,
    secret_key=...)`` on the :class:`pyview.PyView` app. Every option of
    :class:`~flashmw.ASGIFlashMiddleware` applies (``secret_key``,
    ``fallback_keys`` and ``clock`` also sign, verify and date the tokens),
    plus:

    :param token_max_age: seconds a navigation or join token lives.
    :param live_cookie_name: the HttpOnly cookie that binds tokens to this
        browser; the join token's cookie is this name plus ``_join``.
    :raises ValueError: for an option the middleware cannot work with.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token_max_age: float | datetime.timedelta = DEFAULT_TOKEN_MAX_AGE,  # seconds
        live_cookie_name: str = "flashmw_live",
        **options: Any,
    ) -> None:
        super().__init__(app, **options)
        if not isinstance(live_cookie_name, str) or not is_token(live_cookie_name):
            raise ValueError(
                f"live_cookie_name {live_cookie_name!r} is not a valid cookie name"
            )
        if live_cookie_name in (self.cookie_name, PHOENIX_FLASH_COOKIE):
            raise ValueError(f"live_cookie_name must not be {live_cookie_name!r}")
        tokens = _Tokens(
            self.serializer,
            options["secret_key"],
            options.get("fallback_keys", ()),
            _seconds(token_max_age, "token_max_age"),
            options.get("clock", time.time),
        )
        self.app = _Bridge(app, tokens, live_cookie_name, live_cookie_name + "_join")


__all__ = ["DEFAULT_TOKEN_MAX_AGE", "LiveFlash", "PyViewFlashMiddleware"]
