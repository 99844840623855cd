"""The WSGI adapter: :class:`FlashMiddleware`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

from .base import BaseFlashMiddleware
from .context import ENVIRON_KEY, current
from .endpoint import MAX_BODY_BYTES, is_endpoint, respond
from .state import Flash, FlashCore
from .store import put, restore_work, restored

if TYPE_CHECKING:
    from .request import Headers
    from .store import Store

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment  # noqa: F401

    Write = Callable[[bytes], object]


_END: Any = object()  # what next() returns at the end of a streamed body


def _status_code(status: str) -> int:
    try:
        return int(status[:3])
    except ValueError:
        # Not a status line a server would send: treat it as a failure, so
        # nothing is consumed by a response that may never be shown.
        return 500


# The two headers PEP 3333 keeps without the HTTP_ prefix, and the keys of
# the request's scheme and method (the pseudo-headers of Headers).
_UNPREFIXED = {
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    ":scheme": "wsgi.url_scheme",
    ":method": "REQUEST_METHOD",
}
_NAMES = {key: name for name, key in _UNPREFIXED.items()}


def environ_key(name: str) -> str:
    """Return the environ key of the header called ``name`` (PEP 3333).

    ``"sec-fetch-dest"`` is ``"HTTP_SEC_FETCH_DEST"``; ``":scheme"`` and
    ``":method"`` are ``"wsgi.url_scheme"`` and ``"REQUEST_METHOD"``.
    """
    return _UNPREFIXED.get(name) or "HTTP_" + name.upper().replace("-", "_")


class _ByName:
    """A WSGI environ's headers by lower-case name, for the JSON endpoint.

    The flash itself reads a copy of the environ by key (see
    :class:`flashmw.request.Headers`); the endpoint reads a handful of
    headers by name, once per request to it.
    """

    __slots__ = ("_environ",)

    def __init__(self, environ: Headers) -> None:
        self._environ = environ

    def get(self, name: str) -> str | None:
        value: str | None = self._environ.get(environ_key(name))
        return value

    def keys(self) -> AbstractSet[str]:
        return {
            _NAMES.get(key) or key[5:].lower().replace("_", "-")
            for key in self._environ.keys()  # noqa: SIM118 (a Headers, not a dict)
            if key in _NAMES or key.startswith("HTTP_")
        }


class _Exchange:
    """One request's answer: the held ``start_response``, then the body.

    The rule for when headers go out, in one place: at the body's first
    non-empty chunk (or ``write()``), and never later than the return of
    the application call, which runs a streamed body up to its first bytes
    (see :meth:`start`). PEP 3333 lets a server wait for a late
    ``start_response``; granian does not (it reads status and headers when
    the call returns), and both get the same answer this way. A streamed
    body is this object too (one object per request, not two): the server
    iterates it and closes it.
    """

    __slots__ = (
        "core",
        "flash",
        "start_server",
        "status",
        "headers",
        "exc_info",
        "write",
        "body",
        "iterator",
        "first",
        "closed",
    )

    # Set by start_response, and read only once status is set.
    headers: list[tuple[str, str]]
    exc_info: OptExcInfo | None
    # The server's write(), if it gave one: set by commit. Whether status and
    # headers went to the server is the core's _sent, which commit sets.
    write: Write | None
    # Set by start, for a streamed body: the app's body (closed by close),
    # its iterator, and its first chunk until that is sent.
    body: Iterable[bytes]
    iterator: Iterator[bytes]
    first: bytes | None
    closed: bool

    def __init__(
        self, core: FlashCore, flash: Flash, start_response: StartResponse
    ) -> None:
        self.core = core
        self.flash = flash  # for current_flash() while a streamed body runs
        self.start_server = start_response
        self.status: str | None = None

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: OptExcInfo | None = None,
    ) -> Write:
        if self.core._sent:
            # Headers are out: the server re-raises exc_info or refuses, as
            # PEP 3333 requires of it.
            return self.start_server(status, headers, exc_info)
        if self.status is not None and exc_info is None:
            raise AssertionError("start_response called twice without exc_info")
        self.status, self.headers, self.exc_info = status, headers, exc_info
        return self.write_body

    def write_body(self, data: bytes) -> None:
        """The ``write()`` callable of PEP 3333, for apps that push bytes."""
        if not self.core._sent:
            if not data:
                return
            self.commit()
        if self.write is None:
            raise TypeError("this WSGI server gives no write() callable")
        self.write(data)

    def commit(self) -> None:
        """Send status and headers to the server, with the flash's own."""
        if self.status is None:
            raise AssertionError("the application sent a body before start_response")
        headers = self.headers
        if self.core._commit():
            headers = self.core._with_headers(
                _status_code(self.status), headers, "Vary", "Set-Cookie"
            )
        exc_info = self.exc_info
        if exc_info is not None:
            self.exc_info = None  # no traceback held past the call
        self.write = self.start_server(self.status, headers, exc_info)

    # -- a streamed body ------------------------------------------------

    def start(self, body: Iterable[bytes]) -> None:
        """Pull ``body`` up to its first non-empty chunk, then commit.

        Whatever the body reads before its first bytes is in the headers,
        and the server gets ``start_response`` before the application call
        returns (granian ignores a later one). Closes the body on failure,
        since the server never sees it then.
        """
        self.body = body
        self.first = None
        self.closed = False
        core = self.core
        try:
            iterator = self.iterator = iter(body)
            for chunk in iterator:
                if chunk or core._sent:
                    self.first = chunk
                    break
            if not core._sent:
                self.commit()
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> Iterator[bytes]:
        # A generator: iter() runs none of it, since servers and wrappers
        # call iter() where an error would not be followed by close(); and it
        # ends without raising StopIteration, which a __next__ must raise.
        first = self.first
        if first is not None:
            self.first = None
            yield first
        # A streaming body runs after the app returned: current_flash()
        # must work inside it too.
        iterator = self.iterator
        flash = self.flash
        while True:
            token = current.set(flash)
            try:
                chunk = next(iterator, _END)
            finally:
                current.reset(token)
            if chunk is _END:
                return
            yield chunk

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


class FlashMiddleware(BaseFlashMiddleware["WSGIApplication"]):
    """WSGI middleware that gives every request a :class:`~flashmw.Flash`.

    The flash is at ``environ["flashmw.flash"]``, :func:`~flashmw.get_flash`
    and :func:`~flashmw.current_flash`. Options are those of
    :class:`~flashmw.base.BaseFlashMiddleware`.
    """

    # The flash reads its request's headers in a copy of the environ.
    _header_key = staticmethod(environ_key)

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        # A copy of the environ, read by key (see _header_key): headers
        # holding the environ itself would make a reference cycle (environ,
        # flash, headers) that only the cyclic GC frees.
        core = FlashCore(self, environ.copy())
        # The Flash the app gets, around that core (Flash(...) would build
        # the core itself, and reading it back is a slow attribute read).
        flash = object.__new__(Flash)
        flash._core = core
        environ[ENVIRON_KEY] = flash
        exchange = _Exchange(core, flash, start_response)
        app = self.app
        if self.endpoint is not None and is_endpoint(
            self.endpoint, environ.get("PATH_INFO", "")
        ):
            app = self._endpoint_app
        token = current.set(flash)
        try:
            body = app(environ, exchange.start_response)
            if type(body) is list or type(body) is tuple or _is_file(environ, body):
                # The body exists already: nothing in it can touch the flash.
                if not core._sent and exchange.status is not None:
                    exchange.commit()
                return body
            exchange.start(body)
            return exchange
        except BaseException:
            if core._store is not None:
                # Nothing was shown: what the request took goes back.
                puts = restore_work(core)
                restored(core, put(cast("Store", self.store), puts))
            raise
        finally:
            current.reset(token)

    def _endpoint_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer the JSON endpoint (see :mod:`flashmw.endpoint`)."""
        assert self.endpoint is not None
        flash: Flash = environ[ENVIRON_KEY]
        reply = respond(
            flash,
            endpoint=self.endpoint,
            method=environ.get("REQUEST_METHOD", "GET"),
            path=environ.get("PATH_INFO", ""),
            headers=_ByName(flash._core._headers),
            body=_read_body(environ),
        )
        status = f"{reply.status} {HTTPStatus(reply.status).phrase}"
        start_response(status, reply.headers)
        return [reply.body]


def _read_body(environ: WSGIEnvironment) -> bytes:
    """Read at most one byte more than the endpoint accepts."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        # Without a length only a server that marks the stream as ending
        # (chunked uploads) may be read: others would block.
        if not environ.get("wsgi.input_terminated"):
            return b""
        length = MAX_BODY_BYTES + 1
    data: bytes = environ["wsgi.input"].read(min(length, MAX_BODY_BYTES + 1))
    return data


def _is_file(environ: WSGIEnvironment, body: object) -> bool:
    wrapper: Any = environ.get("wsgi.file_wrapper")
    return isinstance(wrapper, type) and isinstance(body, wrapper)
