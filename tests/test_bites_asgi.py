"""ASGI adapter rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from flashmw import ASGIFlashMiddleware, asgi, get_flash
from flashmw.asgi import Message, Receive, Scope, Send
from flashmw.endpoint import MAX_BODY_BYTES, _asset
from flashmw.request import is_unseen
from flashmw.testing import read_flash

from .harness import SECRET, call_asgi, http_scope
from .test_bites_base_2 import MemoryStore
from .test_store_protocol import LONG


def _run(app: Any, scope: Scope, **options: Any) -> list[Message]:
    middleware = ASGIFlashMiddleware(app, secret_key=SECRET, **options)
    sent: list[Message] = asyncio.run(call_asgi(middleware, scope))
    return sent


def _set_cookies(message: Message) -> list[bytes]:
    return [bytes(v) for n, v in message.get("headers", ()) if n == b"set-cookie"]


async def _flashing(scope: Scope, receive: Receive, send: Send) -> None:
    """Flashes, then answers with a start message that has no ``headers``."""
    get_flash(scope).add("saved")
    await send({"type": "http.response.start", "status": 302})
    await send({"type": "http.response.body", "body": b""})


def test_a_start_message_without_headers_gets_the_cookie() -> None:
    start, body = _run(_flashing, http_scope())
    assert start["status"] == 302
    (cookie,) = _set_cookies(start)
    assert cookie.startswith(b"flash.")
    assert body == {"type": "http.response.body", "body": b""}


def test_a_scope_without_headers_reads_as_no_cookie() -> None:
    scope = http_scope()
    del scope["headers"]  # hand-built scopes (test clients, bridges) may omit it
    start, _ = _run(_flashing, scope)
    assert _set_cookies(start)


def test_an_accept_without_headers_carries_the_cookie() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        get_flash(scope).put("info", "Connected.")
        await send({"type": "websocket.accept"})

    scope = http_scope("/ws", scheme="ws")
    scope["type"] = "websocket"
    (accept,) = _run(app, scope)
    assert accept["type"] == "websocket.accept"
    (cookie,) = _set_cookies(accept)
    assert cookie.startswith(b"flash.")
    assert b"Secure" not in cookie


def test_a_wss_connection_sets_secure() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        get_flash(scope).put("info", "Connected.")
        await send({"type": "websocket.accept", "headers": []})

    scope = http_scope("/ws", scheme="wss")
    scope["type"] = "websocket"
    (accept,) = _run(app, scope)
    (cookie,) = _set_cookies(accept)
    assert b"; Secure" in cookie


def test_a_start_message_without_a_status_reads_as_a_200() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        shown = get_flash(scope).get_flashed_messages()
        await send({"type": "http.response.start", "headers": []})
        await send({"type": "http.response.body", "body": repr(shown).encode()})

    cookie = _set_cookies(_run(_flashing, http_scope())[0])[0].split(b";")[0]
    start, body = _run(app, http_scope(headers=[(b"cookie", cookie)]))
    assert body["body"] == b"['saved']"
    # A 200: what was shown is deleted.
    (deleted,) = _set_cookies(start)
    assert b"Max-Age=0" in deleted


def test_an_etag_split_over_two_fields_is_read_as_one_list() -> None:
    # HTTP/2 and HTTP/3 may send a list header in several fields.
    _, _, etag = _asset("/flash.js")
    scope = http_scope(
        "/_flash/flash.js",
        headers=[(b"if-none-match", b'"other"'), (b"if-none-match", etag.encode())],
    )
    start, _ = _run(_flashing, scope, endpoint="/_flash")
    assert start["status"] == 304


def _endpoint_scope(method: str | None = "GET", **extra: Any) -> Scope:
    scope = http_scope("/_flash", **extra)
    if method is None:
        del scope["method"]
    else:
        scope["method"] = method
    return scope


def _cookie() -> bytes:
    return _set_cookies(_run(_flashing, http_scope())[0])[0].split(b";")[0]


def test_an_endpoint_request_without_a_method_reads_as_a_get() -> None:
    scope = _endpoint_scope(None, headers=[(b"cookie", _cookie())])
    start, body = _run(_flashing, scope, endpoint="/_flash")
    assert start["status"] == 200
    assert json.loads(body["body"]) == {
        "messages": [{"category": "message", "message": "saved"}],
        "values": {},
    }


def test_a_request_without_a_path_reaches_the_app() -> None:
    scope = http_scope()
    del scope["path"]
    start, _ = _run(_flashing, scope, endpoint="/_flash")
    assert start["status"] == 302


class Uploads:
    """A client's body in ``chunks``, then a disconnect; counts the reads."""

    def __init__(self, chunks: list[Message]) -> None:
        self.chunks = chunks
        self.reads = 0

    async def __call__(self) -> Message:
        self.reads += 1
        if self.reads <= len(self.chunks):
            return self.chunks[self.reads - 1]
        return {"type": "http.disconnect"}


def _post(uploads: Uploads, cookie: bytes | None = None) -> list[Message]:
    middleware = ASGIFlashMiddleware(_flashing, secret_key=SECRET, endpoint="/_flash")
    scope = _endpoint_scope(
        "POST",
        headers=[
            (b"cookie", cookie or _cookie()),
            (b"content-type", b"application/json"),
        ],
    )
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(middleware(scope, uploads, send))
    return sent


def _chunk(data: bytes, more: bool = True) -> Message:
    return {"type": "http.request", "body": data, "more_body": more}


def test_a_body_of_exactly_the_limit_then_more_is_refused() -> None:
    uploads = Uploads([_chunk(b" " * MAX_BODY_BYTES), _chunk(b" ", more=False)])
    start, _ = _post(uploads)
    assert start["status"] == 413


def test_an_endless_upload_is_read_one_chunk_past_the_limit() -> None:
    uploads = Uploads([_chunk(b" " * 1000) for _ in range(10)])
    start, _ = _post(uploads)
    assert start["status"] == 413
    assert uploads.reads == 5  # 5000 bytes: the first read past 4096


def test_the_last_chunk_ends_the_reading() -> None:
    # No more_body: the body is complete, and nothing more is awaited.
    uploads = Uploads([{"type": "http.request", "body": b'{"key": "info"}'}])
    start, _ = _post(uploads)
    assert start["status"] == 204
    assert uploads.reads == 1


def test_a_request_message_without_a_body_is_an_empty_body() -> None:
    uploads = Uploads([{"type": "http.request"}])
    cookie = _cookie()
    start, _ = _post(uploads, cookie)
    assert start["status"] == 204  # nothing named: everything is cleared
    state = read_flash(
        {"secret_key": SECRET}, start["headers"], cookies=cookie.decode()
    )
    assert state is not None
    assert state.messages == []


def test_a_client_that_leaves_mid_upload_gets_what_it_sent() -> None:
    uploads = Uploads([_chunk(b'{"key": "info"}')])
    start, _ = _post(uploads)
    assert start["status"] == 204
    assert uploads.reads == 2


def test_endpoint_answers_name_their_headers_in_lower_case() -> None:
    start, _ = _run(_flashing, _endpoint_scope(), endpoint="/_flash")
    names = [bytes(name) for name, _ in start["headers"]]
    assert b"content-type" in names
    assert names == [name.lower() for name in names]


def test_an_empty_chunk_before_any_start_is_passed_through() -> None:
    # Protocol misuse is the server's to report: it gets what the app sent.
    chunk = {"type": "http.response.body", "body": b"", "more_body": True}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).add("lost")
        await send(chunk)

    assert _run(app, http_scope()) == [chunk]


def test_a_second_accept_is_passed_through_untouched() -> None:
    second = {"type": "websocket.accept"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        get_flash(scope).put("info", "Connected.")
        await send({"type": "websocket.accept"})
        await send(second)

    scope = http_scope("/ws", scheme="ws")
    scope["type"] = "websocket"
    accept, again = _run(app, scope)
    assert _set_cookies(accept)
    assert again is second


# -- a store on ASGI: what the adapter does around the app's messages --------


class _FailingPuts(MemoryStore):
    """Gives back what it holds, then refuses every put after the first."""

    def __init__(self) -> None:
        super().__init__()
        self.puts = 0

    async def put(self, key: str, data: bytes, ttl: int) -> None:
        self.puts += 1
        if self.puts > 1:
            raise ConnectionError("the store went away")
        await super().put(key, data, ttl)


async def _flash_long(scope: Scope, receive: Receive, send: Send) -> None:
    """Flashes more than the cookies hold: the rest goes to the store."""
    flash = get_flash(scope)
    for number in range(20):
        flash.add(LONG.format(number), "error")
    await send({"type": "http.response.start", "status": 302, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _show(scope: Scope, receive: Receive, send: Send) -> None:
    shown = get_flash(scope).get_flashed_messages()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps(shown).encode()})


async def _silent(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the flash and answers nothing (a handler that gave up)."""
    get_flash(scope).get_flashed_messages()


def _stored_jar(store: MemoryStore) -> list[tuple[bytes, bytes]]:
    start, _ = _run(_flash_long, http_scope(), store=store)
    assert store.values  # the flash outgrew its cookies
    pairs = [cookie.split(b";")[0] for cookie in _set_cookies(start)]
    return [(b"cookie", b"; ".join(pairs))]


def test_an_app_that_answers_nothing_puts_back_what_the_store_gave() -> None:
    store = MemoryStore()
    headers = _stored_jar(store)
    assert _run(_silent, http_scope(headers=headers), store=store) == []
    assert store.values  # back where it was: nothing was shown
    _, body = _run(_show, http_scope(headers=headers), store=store)
    assert json.loads(body["body"]) == [LONG.format(n) for n in range(20)]


def test_an_app_that_answers_nothing_logs_what_it_could_not_put_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = _FailingPuts()
    headers = _stored_jar(store)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        assert _run(_silent, http_scope(headers=headers), store=store) == []
    assert "could not put 1 flash value(s) back in _FailingPuts" in caplog.text
    assert "ConnectionError: the store went away" in caplog.text


def test_a_websocket_accept_settles_the_store_before_its_cookies() -> None:
    store = MemoryStore()
    headers = _stored_jar(store)
    shown: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        shown.extend(get_flash(scope).get_flashed_messages())
        await send({"type": "websocket.accept"})

    scope = http_scope("/ws", scheme="ws", headers=headers)
    scope["type"] = "websocket"
    (accept,) = _run(app, scope, store=store)
    assert shown == [LONG.format(n) for n in range(20)]
    deleted = [c for c in _set_cookies(accept) if b"Max-Age=0" in c]
    assert len(deleted) == len(headers[0][1].split(b"; "))
    assert store.values == {}  # consumed: nothing put back


def test_a_start_without_a_status_reads_as_a_200_with_a_store() -> None:
    store = MemoryStore()
    headers = _stored_jar(store)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).get_flashed_messages()
        await send({"type": "http.response.start", "headers": []})
        await send({"type": "http.response.body", "body": b""})

    start, _ = _run(app, http_scope(headers=headers), store=store)
    deleted = [c for c in _set_cookies(start) if b"Max-Age=0" in c]
    assert len(deleted) == len(_set_cookies(start)) == len(headers[0][1].split(b"; "))
    assert store.values == {}


def test_a_second_start_after_the_body_began_is_passed_through_untouched() -> None:
    # A confused app: the server is the one to refuse it, as it was sent.
    second = {"type": "http.response.start", "status": 500, "headers": []}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).add("saved")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send(second)
        await send({"type": "http.response.body", "body": b"b"})

    first, _, again, last = _run(app, http_scope())
    assert _set_cookies(first)
    assert again is second
    assert last["body"] == b"b"


def test_headers_given_as_a_one_shot_iterator_are_read_once() -> None:
    # ASGI asks for an iterable: the fields are read into a map once, so
    # the unseen check after the cookie's read still sees Sec-Fetch-Dest.
    cookie = _cookie()
    fields = iter([(b"cookie", cookie), (b"sec-fetch-dest", b"image")])
    start, body = _run(_show, http_scope(headers=fields))  # type: ignore[arg-type]
    assert json.loads(body["body"]) == ["saved"]
    assert _set_cookies(start) == []  # an image: a peek, nothing consumed


def test_the_endpoints_view_reads_the_scope_by_header_name() -> None:
    # The flash reads the fields by their names as bytes; the endpoint reads
    # them by name, through this view. A field name may be a memoryview.
    headers: Any = [(b"sec-fetch-dest", b"image"), (memoryview(b"x-later"), b"1")]
    scope = http_scope(headers=headers, scheme="https", method="HEAD")
    by_name = asgi._ByName(asgi._ScopeHeaders(scope))
    assert by_name.get("sec-fetch-dest") == "image"
    assert by_name.get("Sec-Fetch-Dest") == "image"
    assert by_name.get("x-later") == "1"
    assert by_name.get(":scheme") == "https"
    assert by_name.get(":method") == "HEAD"
    assert by_name.get("host") is None
    assert by_name.keys() == {"sec-fetch-dest", "x-later"}
    # The public rules read it by name, as they read any mapping of names.
    assert is_unseen(by_name)
    document = http_scope(headers=[(b"sec-fetch-dest", b"document")])
    assert not is_unseen(asgi._ByName(asgi._ScopeHeaders(document)))


def test_field_keys_are_lower_case_bytes() -> None:
    assert asgi.field_key("Sec-Fetch-Dest") == b"sec-fetch-dest"
    assert asgi.field_key(":scheme") == b":scheme"
