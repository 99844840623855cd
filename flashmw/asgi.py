"""The ASGI adapter: :class:`ASGIFlashMiddleware`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from .base import BaseFlashMiddleware
from .context import ENVIRON_KEY, current
from .endpoint import MAX_BODY_BYTES, is_endpoint, respond
from .state import Flash, FlashCore
from .store import (
    put_async,
    read_ahead,
    read_ahead_keys,
    restore_work,
    restored,
    settle_async,
    take_async,
)

if TYPE_CHECKING:
    from .request import Headers
    from .store import AsyncStore

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The message that starts an HTTP answer, and the one that carries its body,
# for each scope type (a websocket can be denied with an HTTP response).
_HTTP = ("http.response.start", "http.response.body")
_DENIAL = ("websocket.http.response.start", "websocket.http.response.body")


#: The pseudo-headers of :class:`flashmw.request.Headers`, as keys.
_PSEUDO = frozenset((b":scheme", b":method"))


def field_key(name: str) -> bytes:
    """Return the ASGI key of the header called ``name``: its lower-case bytes.

    ``"sec-fetch-dest"`` is ``b"sec-fetch-dest"``, as servers send the
    field's name; ``":scheme"`` and ``":method"`` are read from the scope.
    """
    return name.lower().encode("latin-1")


class _ScopeHeaders:
    """The request's headers, read from the ASGI scope by lower-case name.

    Keyed by the fields' names as bytes (see :func:`field_key`), so that
    building the map decodes no name: a browser sends 12-18 fields and
    the flash reads a few of them. Built on the first read:
    HTTP/2 and HTTP/3 may split one header (the cookies above all) over
    several fields, which are read as one. The scheme and method are the
    scope's, as the pseudo-headers ``:scheme`` and ``:method``.
    """

    __slots__ = ("_fields", "_map", "_scheme", "_method")

    def __init__(self, scope: Scope) -> None:
        # The fields, not the scope: the flash goes into the scope, and a
        # headers object holding the scope would make a reference cycle
        # (scope, flash, headers) that only the cyclic GC frees.
        self._fields: Iterable[tuple[bytes, bytes]] = scope.get("headers") or ()
        self._map: dict[bytes, bytes] | None = None  # the fields by lower-case name
        # The pseudo-headers, as HTTP/2 has them (a websocket's method is
        # GET, and "wss" is "https").
        self._scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        self._method: str = scope.get("method") or "GET"

    def get(self, key: bytes) -> str | None:
        if key in _PSEUDO:  # the scope's own, never a field's
            return self._scheme if key == b":scheme" else self._method
        value = self._headers().get(key)
        if value is None:
            return None
        # Decoded when read: most fields never are.
        return (value if type(value) is bytes else bytes(value)).decode("latin-1")

    def keys(self) -> AbstractSet[bytes]:
        return self._headers().keys()

    def _headers(self) -> dict[bytes, bytes]:
        found = self._map
        if found is None:
            found = self._map = _field_map(self._fields)
        return found


def _field_map(fields: Iterable[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """Return the header fields by lower-case name: :func:`_field_map_general`, fast.

    What servers send is a list of fields with each name once, in lower
    case, as bytes: ``dict()`` builds that map in C. Anything else takes
    the general loop.
    """
    if type(fields) is list or type(fields) is tuple:
        try:
            found: dict[bytes, bytes] = dict(fields)
            lower = b"".join(found).islower()
        except TypeError:  # a bytearray name, which cannot be a key
            pass
        else:
            if lower and len(found) == len(fields):
                return found
    return _field_map_general(fields)


def _field_map_general(fields: Iterable[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """Return the header fields by lower-case name, repeated ones joined."""
    found: dict[bytes, bytes] = {}
    for raw_name, raw_value in fields:
        if type(raw_name) is not bytes or type(raw_value) is not bytes:
            # A bytearray or memoryview (servers send bytes).
            raw_name, raw_value = bytes(raw_name), bytes(raw_value)  # noqa: PLW2901
        key = raw_name.lower()
        if key in found:
            joiner = b"; " if key == b"cookie" else b", "
            raw_value = found[key] + joiner + raw_value  # noqa: PLW2901
        found[key] = raw_value
    return found


class _ByName:
    """The ASGI headers by lower-case name, for the JSON endpoint."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def get(self, name: str) -> str | None:
        return self._headers.get(field_key(name))

    def keys(self) -> AbstractSet[str]:
        return {bytes(key).decode("latin-1") for key in self._headers.keys()}  # noqa: SIM118


def _with_flash_headers(flash: FlashCore, message: Message) -> Message:
    """Return the start message with the flash's ``Vary`` and ``Set-Cookie``."""
    # Apps may send lists, tuples or bytearrays; ASGI servers want bytes.
    headers = []
    for name, value in message.get("headers", ()):
        if type(name) is not bytes or type(value) is not bytes:
            name, value = bytes(name), bytes(value)  # noqa: PLW2901
        headers.append((name, value))
    status = message.get("status", 200)
    headers = flash._with_headers(status, headers, b"vary", b"set-cookie")
    return {**message, "headers": headers}


class _Sender:
    """Wraps ``send``: holds the response start until its body begins."""

    __slots__ = ("_flash", "_send", "_start_type", "_body_type", "_held", "_open")

    def __init__(self, flash: FlashCore, send: Send, http: tuple[str, str]) -> None:
        self._flash = flash
        self._send = send
        self._start_type, self._body_type = http
        self._held: Message | None = None
        self._open = True  # still before the response (or accept) went out

    async def __call__(self, message: Message) -> None:
        if not self._open:
            await self._send(message)
            return
        kind = message["type"]
        if kind == self._start_type and self._held is None:
            self._held = message
            return
        if kind == self._body_type and self._held is not None:
            if not message.get("body") and message.get("more_body", False):
                return  # an empty chunk: the body has not really begun
            await self.flush()
        elif kind == "websocket.accept":
            self._open = False
            await settle_async(self._flash, 200)
            set_cookies = self._flash._set_cookies(200)
            if set_cookies:
                headers = [
                    *message.get("headers", ()),
                    *((b"set-cookie", value.encode()) for value in set_cookies),
                ]
                message = {**message, "headers": headers}
        elif self._held is not None:
            # Anything else after a start (trailers, a second start from a
            # confused app): send what we hold first, then pass it through.
            await self.flush()
        await self._send(message)

    async def flush(self) -> None:
        """Send the held response start, with the flash's headers if touched."""
        held, self._held = self._held, None
        if held is None:
            return
        self._open = False
        if self._flash._commit():
            if self._flash._store is not None:  # else an await for nothing
                await settle_async(self._flash, held.get("status", 200))
            held = _with_flash_headers(self._flash, held)
        await self._send(held)


class ASGIFlashMiddleware(BaseFlashMiddleware[ASGIApp]):
    """ASGI 3 middleware that gives every request a :class:`~flashmw.Flash`.

    The flash is at ``scope["flashmw.flash"]``, :func:`~flashmw.get_flash`
    and :func:`~flashmw.current_flash`. ``http`` responses carry the flash's
    ``Set-Cookie``; a ``websocket`` decodes its flash at connect and sends
    changes made before ``websocket.accept`` in the accept message's
    headers (later changes live only for that connection); ``lifespan`` and
    other scope types pass through untouched. Options are those of
    :class:`~flashmw.base.BaseFlashMiddleware`.
    """

    _async_io = True  # its store is an AsyncStore, awaited
    # The flash reads its request's headers by their names as bytes.
    _header_key = staticmethod(field_key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        core = FlashCore(self, _ScopeHeaders(scope))
        # The Flash the app gets, around that core (Flash(...) would build
        # the core itself, and reading it back is a slow attribute read).
        flash = object.__new__(Flash)
        flash._core = core
        # An AsyncStore (check_store), named so without a call per request.
        store: AsyncStore | None = self.store  # type: ignore[assignment]
        if store is not None:
            # The flash API is sync: references are read before the app runs.
            keys = read_ahead_keys(core)
            if keys:
                read_ahead(core, keys, await take_async(store, keys))
        if kind == "websocket":
            core._state()  # decode at connect: the handshake is the only request
        scope[ENVIRON_KEY] = flash
        sender = _Sender(core, send, _HTTP if kind == "http" else _DENIAL)
        app = self.app
        if (
            kind == "http"
            and self.endpoint is not None
            and is_endpoint(self.endpoint, scope.get("path", ""))
        ):
            app = self._endpoint_app
        token = current.set(flash)
        try:
            await app(scope, receive, sender)
        except BaseException:
            if store is not None:
                # Nothing was shown: what the request took goes back.
                restored(core, await put_async(store, restore_work(core)))
            raise
        finally:
            current.reset(token)
        if sender._held is not None:  # the app sent a start and no body
            await sender.flush()
        if store is not None:
            # An app that sent no response showed nothing either.
            restored(core, await put_async(store, restore_work(core)))

    async def _endpoint_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the JSON endpoint (see :mod:`flashmw.endpoint`)."""
        assert self.endpoint is not None
        flash: Flash = scope[ENVIRON_KEY]
        reply = respond(
            flash,
            endpoint=self.endpoint,
            method=scope.get("method", "GET"),
            path=scope.get("path", ""),
            headers=_ByName(flash._core._headers),
            body=await _read_body(receive),
        )
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in reply.headers
        ]
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": reply.body})


async def _read_body(receive: Receive) -> bytes:
    """Read at most one chunk past the size the endpoint accepts."""
    chunks = []
    size = 0
    while size <= MAX_BODY_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left; the answer goes nowhere, harmlessly
        chunk = bytes(message.get("body", b""))
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
