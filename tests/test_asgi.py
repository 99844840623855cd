"""ASGIFlashMiddleware at the message level, under load, and under Starlette."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
import pytest
from asgiref.testing import ApplicationCommunicator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from flashmw import ASGIFlashMiddleware, current_flash, get_flash
from flashmw.asgi import Message, Receive, Scope, Send

from .harness import SECRET, call_asgi, http_scope


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def middleware(app: Any, **options: Any) -> ASGIFlashMiddleware:
    return ASGIFlashMiddleware(app, secret_key=SECRET, **options)


def signed_cookie(message: str = "hello") -> bytes:
    """A ``flash=...`` pair holding one message, as a response would set it."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).add(message)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    start, _ = run(call_asgi(middleware(app), http_scope()))
    ((_, value),) = [h for h in start["headers"] if h[0] == b"set-cookie"]
    return bytes(value.split(b";")[0])


def headers_of(message: Message) -> dict[bytes, list[bytes]]:
    out: dict[bytes, list[bytes]] = {}
    for name, value in message["headers"]:
        out.setdefault(bytes(name), []).append(bytes(value))
    return out


async def communicate(
    app: Any, scope: Scope, inputs: list[Message] | None = None
) -> list[Message]:
    """Feed ``inputs`` to the app and collect its output until it finishes."""
    # asgiref's testing helpers carry no type hints.
    communicator = ApplicationCommunicator(app, scope)  # type: ignore[no-untyped-call]
    for message in inputs or [{"type": "http.request", "body": b""}]:
        await communicator.send_input(message)  # type: ignore[no-untyped-call]
    await communicator.wait(timeout=5)  # type: ignore[no-untyped-call]
    out = []
    while not communicator.output_queue.empty():
        out.append(communicator.output_queue.get_nowait())
    return out


def test_start_is_held_until_the_body_and_then_carries_the_cookie() -> None:
    order: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        order.append("start sent")
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        order.append("empty chunk sent")
        shown = current_flash().get_flashed_messages()
        await send({"type": "http.response.body", "body": repr(shown).encode()})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        order.append(f"server got {message['type']}")
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request"}  # pragma: no cover

    scope = http_scope(headers=[(b"cookie", signed_cookie())])
    run(middleware(app)(scope, receive, send))
    assert order == [
        "start sent",
        "empty chunk sent",
        "server got http.response.start",
        "server got http.response.body",
    ]
    headers = headers_of(sent[0])
    assert headers[b"vary"] == [b"Cookie"]
    assert b"Max-Age=0" in headers[b"set-cookie"][0]
    assert sent[1]["body"] == b"['hello']"


def test_an_untouched_response_passes_through_unmodified() -> None:
    start = {"type": "http.response.start", "status": 200, "headers": [(b"a", b"b")]}
    body = {"type": "http.response.body", "body": b"x"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start)
        await send(body)

    scope = http_scope(headers=[(b"cookie", signed_cookie())])
    sent = run(call_asgi(middleware(app), scope))
    assert sent[0] is start
    assert sent[1] is body


def test_headers_as_lists_in_any_case_come_out_as_lowercase_bytes() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).add("hi")
        headers = [[b"Vary", b"Accept"], (b"VARY", b"Origin"), [b"X-Keep", b"1"]]
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    start, _ = run(call_asgi(middleware(app), http_scope()))
    headers = headers_of(start)
    assert headers[b"vary"] == [b"Accept, Origin, Cookie"]
    assert headers[b"X-Keep"] == [b"1"]
    assert b"set-cookie" in headers
    assert all(
        isinstance(n, bytes) and isinstance(v, bytes) for n, v in start["headers"]
    )


@pytest.mark.parametrize(
    ("as_name", "as_value"),
    [(bytearray, bytes), (memoryview, bytes), (bytes, bytearray), (bytes, memoryview)],
)
def test_response_headers_of_any_bytes_type_come_out_as_bytes(
    as_name: Callable[[bytes], Any], as_value: Callable[[bytes], Any]
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).add("hi")
        headers = [(as_name(b"x-keep"), as_value(b"1")), (b"x-other", b"2")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    start, _ = run(call_asgi(middleware(app), http_scope()))
    assert all(type(n) is bytes and type(v) is bytes for n, v in start["headers"])
    assert start["headers"][:2] == [(b"x-keep", b"1"), (b"x-other", b"2")]


def test_several_cookie_headers_are_read_as_one() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        shown = get_flash(scope).get_flashed_messages(consume=False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": repr(shown).encode()})

    headers = [
        (b"cookie", b"a=1"),
        (b"Cookie", b"x=\xff\xfe"),
        (b"cookie", signed_cookie()),
    ]
    _, body = run(call_asgi(middleware(app), http_scope(headers=headers)))
    assert body["body"] == b"['hello']"


_AS_OTHER_BYTES: dict[str, tuple[Callable[[bytes], Any], Callable[[bytes], Any]]] = {
    "name-bytearray": (bytearray, bytes),
    "name-memoryview": (memoryview, bytes),
    "name-upper-case": (lambda raw: raw.upper(), bytes),
    "value-bytearray": (bytes, bytearray),
    "value-memoryview": (bytes, memoryview),
}


@pytest.mark.parametrize("case", list(_AS_OTHER_BYTES))
def test_header_fields_of_any_bytes_type_are_read(case: str) -> None:
    # ASGI servers send bytes, but a middleware in between may rebuild the
    # fields from bytearrays or memoryviews; a name is read in any case.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        shown = get_flash(scope).get_flashed_messages(consume=False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": repr(shown).encode()})

    as_name, as_value = _AS_OTHER_BYTES[case]
    headers = [
        (b"host", b"example.com"),
        (as_name(b"cookie"), as_value(signed_cookie())),
    ]
    _, body = run(call_asgi(middleware(app), http_scope(headers=headers)))
    assert body["body"] == b"['hello']"


def test_an_exception_sends_nothing() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).get_flashed_messages()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("failed before the body")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)  # pragma: no cover

    async def receive() -> Message:
        return {"type": "http.request"}  # pragma: no cover

    scope = http_scope(headers=[(b"cookie", signed_cookie())])
    with pytest.raises(RuntimeError):
        run(middleware(app)(scope, receive, send))
    assert sent == []


@pytest.mark.parametrize(
    "misuse",
    [
        pytest.param(
            [
                {"type": "http.response.start", "status": 200, "headers": []},
                {"type": "http.response.start", "status": 500, "headers": []},
                {"type": "http.response.body", "body": b"x"},
            ],
            id="start-twice",
        ),
        pytest.param([{"type": "http.response.body", "body": b"x"}], id="no-start"),
        pytest.param(
            [{"type": "http.response.start", "status": 200, "headers": []}],
            id="start-without-body",
        ),
        pytest.param(
            [
                {"type": "http.response.start", "status": 200, "headers": []},
                {
                    "type": "http.response.trailers",
                    "headers": [],
                    "more_trailers": False,
                },
            ],
            id="trailers-without-body",
        ),
    ],
)
def test_protocol_misuse_is_passed_through(misuse: list[Message]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).add("touched")
        for message in misuse:
            await send(message)

    sent = run(call_asgi(middleware(app), http_scope()))
    assert [m["type"] for m in sent] == [m["type"] for m in misuse]
    if sent[0]["type"] == "http.response.start":
        # The first start still carries the flash; later ones are the app's.
        assert b"set-cookie" in headers_of(sent[0])


def test_lifespan_and_unknown_scopes_pass_through_untouched() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        message = await receive()
        await send({"type": f"{message['type']}.complete"})

    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}}
    out = run(communicate(middleware(app), lifespan, [{"type": "lifespan.startup"}]))
    assert out == [{"type": "lifespan.startup.complete"}]
    other = {"type": "custom.protocol"}
    out = run(communicate(middleware(app), other, [{"type": "custom.ping"}]))
    assert out == [{"type": "custom.ping.complete"}]
    assert all("flashmw.flash" not in scope for scope in seen)


def ws_scope(**extra: Any) -> Scope:
    scope = http_scope("/ws", **extra)
    scope["type"] = "websocket"
    scope["scheme"] = extra.get("scheme", "ws")
    return scope


def test_websocket_changes_before_accept_go_out_with_the_accept() -> None:
    log: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        flash = get_flash(scope)
        log.append(flash.get_flashed_messages())
        flash.put("info", "Connected.")
        await send({"type": "websocket.accept", "headers": [(b"x-app", b"1")]})
        flash.put("info", "Changed after accept.")
        log.append(flash["info"])
        await send({"type": "websocket.close", "code": 1000})

    scope = ws_scope(headers=[(b"cookie", signed_cookie())])
    out = run(communicate(middleware(app), scope, [{"type": "websocket.connect"}]))
    accept, close = out
    assert accept["type"] == "websocket.accept"
    headers = headers_of(accept)
    assert headers[b"x-app"] == [b"1"]
    # The message read before accept is deleted; the value put is stored.
    deleted, cookie = headers[b"set-cookie"]
    assert b"Max-Age=0" in deleted
    assert cookie.startswith(b"flash.")
    assert b"Max-Age=3600" in cookie
    assert close == {"type": "websocket.close", "code": 1000}
    assert log == [["hello"], "Changed after accept."]


def test_websocket_flash_is_decoded_at_connect() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert get_flash(scope).touched
        await send({"type": "websocket.accept"})

    scope = ws_scope(headers=[(b"cookie", signed_cookie())])
    (accept,) = run(
        communicate(middleware(app), scope, [{"type": "websocket.connect"}])
    )
    assert accept == {"type": "websocket.accept"}  # nothing changed, nothing sent


def test_websocket_denial_response_carries_the_cookie() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        get_flash(scope).put("error", "Not allowed.")
        await send(
            {"type": "websocket.http.response.start", "status": 403, "headers": []}
        )
        await send({"type": "websocket.http.response.body", "body": b"no"})

    out = run(communicate(middleware(app), ws_scope(), [{"type": "websocket.connect"}]))
    assert b"set-cookie" in headers_of(out[0])
    assert out[1]["body"] == b"no"


def test_hundreds_of_concurrent_clients_never_see_each_others_flashes() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        client = httpx.QueryParams(scope["query_string"].decode())["client"]
        if scope["path"] == "/flash":
            await asyncio.sleep(0)
            current_flash().add(f"for client {client}")
            await asyncio.sleep(0)
            headers = [(b"location", b"/show")]
            await send(
                {"type": "http.response.start", "status": 302, "headers": headers}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await asyncio.sleep(0)  # the ContextVar must survive await points
        shown = "|".join(current_flash().get_flashed_messages())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": shown.encode()})

    asgi = middleware(app)

    async def one_client(number: int) -> str:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://testserver"
        ) as client:
            await client.get(f"/flash?client={number}")
            first = await client.get(f"/show?client={number}")
            again = await client.get(f"/show?client={number}")
            return f"{first.text}/{again.text}"

    async def everyone() -> list[str]:
        return await asyncio.gather(*(one_client(n) for n in range(300)))

    results = run(everyone())
    assert results == [f"for client {n}/" for n in range(300)]


# -- a real framework on top ---------------------------------------------


async def _flash_view(request: Request) -> Response:
    current_flash().add(request.query_params.get("m", "Saved."), "info")
    return RedirectResponse("/", status_code=303)


async def _home(request: Request) -> Response:
    flash = get_flash(request.scope)
    return JSONResponse(
        {
            "messages": flash.get_flashed_messages(with_categories=True),
            "info": flash.info,
        }
    )


async def _put_view(request: Request) -> Response:
    get_flash(request.scope).put("info", "Settings saved.")
    return RedirectResponse("/", status_code=303)


async def _socket(websocket: WebSocket) -> None:
    flash = get_flash(websocket.scope)
    shown = flash.get_flashed_messages()
    await websocket.accept()
    await websocket.send_json(shown)
    await websocket.close()


def starlette_app() -> Callable[..., Awaitable[None]]:
    routes = [
        Route("/", _home),
        Route("/flash", _flash_view),
        Route("/put", _put_view),
        WebSocketRoute("/ws", _socket),
    ]
    return middleware(Starlette(routes=routes))


def test_starlette_flash_redirect_show_once() -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=starlette_app()),
            base_url="http://testserver",
        ) as client:
            redirected = await client.get("/flash?m=Record saved.")
            assert redirected.status_code == 303
            assert redirected.headers["set-cookie"].startswith("flash.")
            home = await client.get("/")
            assert home.json() == {
                "messages": [["info", "Record saved."]],
                "info": None,
            }
            assert (await client.get("/")).json() == {"messages": [], "info": None}
            await client.get("/put")
            assert (await client.get("/")).json()["info"] == "Settings saved."
            assert (await client.get("/")).json()["info"] is None

    run(scenario())


def test_starlette_websocket_reads_the_flash_at_connect() -> None:
    scope = ws_scope(headers=[(b"cookie", signed_cookie("Before the socket"))])
    out = run(communicate(starlette_app(), scope, [{"type": "websocket.connect"}]))
    assert [m["type"] for m in out] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]
    assert b"Max-Age=0" in headers_of(out[0])[b"set-cookie"][0]
    assert out[1]["text"] == '["Before the socket"]'
