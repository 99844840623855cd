"""A request leaves nothing for the cyclic GC: what it built is freed as it ends.

The flash goes into the environ (or scope), so anything the flash holds that
holds the environ back (its headers) would tie them into a cycle that only
the cyclic GC frees: later, and at a cost on every request. The apps here
are called directly, without a test client whose own objects could hide or
add cycles.
"""

from __future__ import annotations

import collections
import gc
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from flashmw import ASGIFlashMiddleware, FlashMiddleware
from flashmw.asgi import Receive, Scope, Send

from .harness import SECRET
from .test_bites_base_2 import MemoryStore
from .test_bites_layout_2 import FlakyStore

PATHS = ("/untouched", "/add", "/show", "/peek")


def _act(flash: Any, path: str) -> None:
    if path in {"/add", "/add-large"}:
        flash.add("Record saved.", "info")
        flash.put("notice", "Welcome back.")
    if path == "/add-large":
        flash.add("x" * 5000, "info")  # more than a cookie: a store's
    elif path == "/show":
        flash.get_flashed_messages(with_categories=True)
        flash.get("notice")
    elif path == "/peek":
        flash.get_flashed_messages(consume=False)


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    path = environ["PATH_INFO"]
    _act(environ["flashmw.flash"], path)
    start_response("200 OK", [("Content-Type", "text/plain")])
    if path == "/peek":
        return iter([b"", b"streamed"])  # a body that is not a list
    return [b"ok"]


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    _act(scope["flashmw.flash"], scope["path"])
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _cookie_header(set_cookies: list[str]) -> str:
    pairs = [value.partition(";")[0] for value in set_cookies]
    return "; ".join(pair for pair in pairs if not pair.endswith("="))


def _wsgi_request(app: Any, path: str, cookie: str) -> list[str]:
    seen: list[Any] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        seen[:] = headers
        return len

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "wsgi.url_scheme": "http",
        "HTTP_COOKIE": cookie,
    }
    body = app(environ, start_response)
    for _chunk in body:
        pass
    close = getattr(body, "close", None)
    if close is not None:
        close()
    return [value for name, value in seen if name == "Set-Cookie"]


def _finish(coroutine: Coroutine[Any, Any, None]) -> None:
    # No event loop: its own objects would be in the count. Nothing here
    # waits on I/O, so the coroutine runs to its end on the first send.
    try:
        coroutine.send(None)
    except StopIteration:
        return
    raise AssertionError("the app waited on something")


def _asgi_request(app: Any, path: str, cookie: str) -> list[str]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "scheme": "http",
        "headers": [(b"cookie", cookie.encode("latin-1"))],
    }
    _finish(app(scope, receive, send))
    return [
        value.decode("latin-1")
        for name, value in sent[0]["headers"]
        if name.lower() == b"set-cookie"
    ]


ADAPTERS: dict[str, tuple[Callable[[], Any], Callable[[Any, str, str], list[str]]]] = {
    "wsgi": (lambda: FlashMiddleware(wsgi_app, secret_key=SECRET), _wsgi_request),
    "asgi": (
        lambda: ASGIFlashMiddleware(asgi_app, secret_key=SECRET),
        _asgi_request,
    ),
    "wsgi with a store": (
        lambda: FlashMiddleware(wsgi_app, secret_key=SECRET, store=FlakyStore()),
        _wsgi_request,
    ),
    "asgi with a store": (
        lambda: ASGIFlashMiddleware(asgi_app, secret_key=SECRET, store=MemoryStore()),
        _asgi_request,
    ),
}


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _garbage_after(run: Callable[[], None]) -> collections.Counter[str]:
    """Run ``run`` with the GC off; return what only the GC could free, by type."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        return collections.Counter(type(thing).__name__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
@pytest.mark.usefixtures("no_collector")
def test_requests_leave_no_reference_cycles(adapter: str) -> None:
    build, request = ADAPTERS[adapter]
    app = build()
    stored = "store" in adapter
    cookie = _cookie_header(
        request(app, "/add-large" if stored else "/add", "theme=dark")
    )
    assert "flash." in cookie  # the requests below read real flash cookies
    if stored:
        # The large message is in the store, and its reference in the cookie.
        assert app.store.values

    def run() -> None:
        for path in PATHS:
            request(app, path, cookie)

    assert _garbage_after(run) == collections.Counter()


@pytest.mark.usefixtures("no_collector")
def test_the_check_sees_a_cycle() -> None:
    # The control: a request whose app ties the environ to itself.
    app = FlashMiddleware(wsgi_app, secret_key=SECRET)

    def tied(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["self"] = environ
        return app(environ, start_response)

    def run() -> None:
        _wsgi_request(tied, "/untouched", "")

    garbage = _garbage_after(run)
    assert garbage["dict"] >= 1


def error_page(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    environ["flashmw.flash"].add("Something went wrong.", "error")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        start_response(
            "500 Internal Server Error",
            [("Content-Type", "text/plain")],
            sys.exc_info(),
        )
    return [b"error"]


@pytest.mark.usefixtures("no_collector")
def test_an_error_page_leaves_no_traceback_held() -> None:
    # The app's frame holds start_response, the held response; a response
    # that kept the exc_info it was given would tie the traceback (and the
    # frame) to itself once it went to the server.
    app = FlashMiddleware(error_page, secret_key=SECRET)

    def run() -> None:
        _wsgi_request(app, "/error", "")

    assert _garbage_after(run) == collections.Counter()
