"""Behaviours that mutation testing found unpinned (issue 16), as users see them.

Each test fails on at least one mutant of flashmw that the rest of the suite
let through; the docstring says which behaviour it pins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from flashmw import ASGIFlashMiddleware, Flash, FlashMiddleware, FlashOverflowError
from flashmw.asgi import Message, Receive, Scope, Send
from flashmw.signing import CookieSigner
from flashmw.testing import make_cookie, read_flash
from flashmw.values import MAX_DEPTH, MAX_INT_DIGITS, TaggedJSONSerializer

from .conftest import MakeHarness
from .harness import ROUTES, SECRET, FakeClock, Reply, call_asgi, http_scope


@pytest.fixture
def route(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Add a route to the scenario app for one test."""

    def add(path: str, handler: Any) -> None:
        monkeypatch.setitem(ROUTES, path, handler)

    return add


def test_clear_with_only_list_messages_forgets_them(harness: Any) -> None:
    harness.open("/flash?m=one|two")
    assert harness.open("/clear").status == 200
    assert harness.open("/show").body == []


def test_clear_with_only_keyed_values_forgets_them(harness: Any) -> None:
    harness.open("/put?k=info&v=Saved.")
    harness.open("/clear")
    assert harness.open("/get?k=info").body == {"info": None}


def test_read_then_put_keeps_the_new_value(harness: Any, route: Any) -> None:
    def read_then_put(flash: Flash, args: dict[str, str]) -> Reply:
        old = flash.get("info")
        flash.put("info", "new")
        return Reply(body=old)

    route("/swap", read_then_put)
    harness.open("/put?k=info&v=old")
    assert harness.open("/swap").body == "old"
    assert harness.open("/get?k=info").body == {"info": "new"}
    assert harness.open("/get?k=info").body == {"info": None}


def test_caught_overflow_on_put_leaves_the_flash_as_it_was(
    make: MakeHarness, route: Any
) -> None:
    def put_two(flash: Flash, args: dict[str, str]) -> Reply:
        flash.put("a", "kept")
        try:
            flash.put("b", "too many")
        except FlashOverflowError:
            return Reply(body="caught")
        return Reply(body="no error")

    route("/put-two", put_two)
    harness = make(on_overflow="error", max_messages=1)
    assert harness.open("/put-two").body == "caught"
    assert harness.open("/get?k=a,b").body == {"a": "kept", "b": None}


def test_caught_overflow_on_add_leaves_the_flash_as_it_was(
    make: MakeHarness, route: Any
) -> None:
    def add_two(flash: Flash, args: dict[str, str]) -> Reply:
        flash.add("kept")
        with pytest.raises(FlashOverflowError):
            flash.add("too many")
        return Reply()

    route("/add-two", add_two)
    harness = make(on_overflow="error", max_messages=1)
    harness.open("/add-two")
    assert harness.open("/show").body == [["message", "kept"]]


@pytest.mark.parametrize("count", [4, 5, 9])
def test_max_messages_keeps_exactly_the_newest(make: MakeHarness, count: int) -> None:
    harness = make(max_messages=3)
    sent = [f"m{i}" for i in range(count)]
    harness.open("/flash?m=" + "|".join(sent))
    assert harness.open("/show").body == [["message", m] for m in sent[-3:]]


def test_keyed_values_count_towards_max_messages(make: MakeHarness, route: Any) -> None:
    def fill(flash: Flash, args: dict[str, str]) -> Reply:
        flash.put("k1", "v1")
        flash.put("k2", "v2")
        flash.put("k3", "v3")
        flash.add("m1")
        return Reply()

    route("/fill", fill)
    harness = make(max_messages=2)
    harness.open("/fill")
    # The message goes first (messages before keyed values), then k1.
    assert harness.open("/show").body == []
    assert harness.open("/get?k=k1,k2,k3").body == {"k1": None, "k2": "v2", "k3": "v3"}


@pytest.mark.parametrize("budget", range(215, 500, 23))
def test_the_size_budget_drops_the_oldest_one_at_a_time(
    make: MakeHarness, caplog: pytest.LogCaptureFixture, budget: int
) -> None:
    every = [f"message-{i:02}" for i in range(10)]
    harness = make(max_total_size=budget)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        harness.open("/flash?m=" + "|".join(every))
    shown = [message for _, message in harness.open("/show").body]
    # The newest that fit, in order; the count dropped is logged exactly.
    assert 0 < len(shown) < 10
    assert shown == every[10 - len(shown) :]
    assert f"dropped the {10 - len(shown)} oldest" in caplog.text


def test_a_larger_size_budget_never_keeps_fewer(make: MakeHarness) -> None:
    every = [f"message-{i:02}" for i in range(10)]
    kept = []
    for budget in range(240, 900, 10):
        harness = make(max_total_size=budget)
        harness.open("/flash?m=" + "|".join(every))
        kept.append(len(harness.open("/show").body))
    assert kept == sorted(kept)
    assert kept[0] < kept[-1] == 10


def test_on_overflow_error_allows_exactly_max_cookie_size(
    make: MakeHarness, route: Any
) -> None:
    def put(flash: Flash, args: dict[str, str]) -> Reply:
        try:
            flash.put("k", args["v"])
        except FlashOverflowError:
            return Reply(body="overflow")
        return Reply(body="stored")

    route("/try-put", put)
    for length in range(1, 8):
        value = "x" * (40 + length)
        (header,) = make().open(f"/put?k=k&v={value}").set_cookies
        fits = make(on_overflow="error", max_cookie_size=len(header))
        assert fits.open(f"/try-put?v={value}").body == "stored"
        short = make(on_overflow="error", max_cookie_size=len(header) - 1)
        assert short.open(f"/try-put?v={value}").body == "overflow"


@pytest.mark.parametrize("length", range(12))
def test_signed_length_is_the_signed_value_length(length: int) -> None:
    signer = CookieSigner(SECRET, [], salt="s", cookie_name="flash", max_age=60)
    for now in (0.0, 255.0, 65_536.0, 1_800_000_000.0):
        payload = bytes(range(length))
        assert signer.signed_length(length, now) == len(signer.sign(payload, now))


def test_path_and_no_expires_on_the_cookie(make: MakeHarness) -> None:
    harness = make(path="/app")
    (header,) = harness.open("/flash").set_cookies
    attributes = [part.strip().split("=")[0].lower() for part in header.split(";")]
    assert "path" in attributes
    assert "Path=/app" in header
    assert "Path=/;" not in header
    assert "expires" not in attributes
    assert "Max-Age=3600" in header


def test_deleting_cookie_carries_the_path(make: MakeHarness) -> None:
    harness = make(path="/app")
    harness.open("/flash")
    harness.put_in_jar("bogus")
    (deletion,) = harness.raw(b"flash=bogus").set_cookies
    assert "Path=/app" in deletion
    assert "Max-Age=0" in deletion


@pytest.mark.parametrize(
    "template",
    [
        b"flash=%s; a=1; b=2",
        b" flash=%s; a=1; b=2",
        b"\tflash=%s",
        b"a=1; b=2; flash=%s",
        b"aflash=x; flash=%s; flashb=y",
        b"a=1;flash=%s;b=2",
        b'flash="%s"; b=2',
    ],
)
def test_flash_cookie_is_found_anywhere_in_the_header(
    harness: Any, clock: FakeClock, template: bytes
) -> None:
    cookie = make_cookie({"secret_key": SECRET, "clock": clock}, ["found"])
    shown = harness.raw(template % cookie.value.encode())
    assert shown.body == [["message", "found"]]


def test_second_flash_cookie_is_read_when_the_first_is_bad(
    harness: Any, clock: FakeClock
) -> None:
    cookie = make_cookie({"secret_key": SECRET, "clock": clock}, ["second"])
    shown = harness.raw(b"flash=bad; x=1; flash=" + cookie.value.encode())
    assert shown.body == [["message", "second"]]


def _asgi(clock: FakeClock, app: Any, **options: Any) -> ASGIFlashMiddleware:
    return ASGIFlashMiddleware(app, secret_key=SECRET, clock=clock, **options)


def test_asgi_start_message_without_headers(clock: FakeClock) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["flashmw.flash"].add("hello")
        await send({"type": "http.response.start", "status": 302})
        await send({"type": "http.response.body", "body": b""})

    sent = asyncio.run(call_asgi(_asgi(clock, app), http_scope("/")))
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 302
    assert headers[b"set-cookie"].startswith(b"flash.")
    assert headers[b"vary"] == b"Cookie"


def test_asgi_status_defaults_to_200(clock: FakeClock) -> None:
    cookie = make_cookie({"secret_key": SECRET, "clock": clock}, ["shown"])

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["flashmw.flash"].get_flashed_messages()
        await send({"type": "http.response.start"})
        await send({"type": "http.response.body", "body": b""})

    scope = http_scope("/", headers=[(b"cookie", cookie.header.encode())])
    sent = asyncio.run(call_asgi(_asgi(clock, app), scope))
    # A 200 consumes: the cookie is deleted (a 5xx would keep it).
    assert b"Max-Age=0" in dict(sent[0]["headers"])[b"set-cookie"]


@pytest.mark.parametrize(("scheme", "secure"), [("wss", True), ("ws", False)])
def test_websocket_accept_without_headers(
    clock: FakeClock, scheme: str, secure: bool
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["flashmw.flash"].add("welcome")
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close"})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    scope = http_scope("/", type="websocket", scheme=scheme)
    asyncio.run(_asgi(clock, app)(scope, receive, send))
    (cookie,) = [v for k, v in sent[0]["headers"] if k == b"set-cookie"]
    assert (b"Secure" in cookie) is secure
    assert sent[1] == {"type": "websocket.close"}


def test_wsgi_write_then_generator(clock: FakeClock) -> None:
    written: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        environ["flashmw.flash"].add("hello")
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"first ")

        def rest() -> Iterator[bytes]:
            yield b""
            yield b"second"

        return rest()

    statuses: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc: Any = None
    ) -> Any:
        statuses.append((status, headers))
        return written.append

    middleware = FlashMiddleware(app, secret_key=SECRET, clock=clock)
    body = middleware(
        {"REQUEST_METHOD": "GET", "wsgi.url_scheme": "http"}, start_response
    )
    chunks = list(body)
    assert written == [b"first "]
    assert b"".join(chunks) == b"second"
    ((status, headers),) = statuses
    assert status == "200 OK"
    state = read_flash({"secret_key": SECRET, "clock": clock}, headers)
    assert state is not None
    assert state.messages == [("message", "hello")]


def test_wsgi_body_without_close(clock: FakeClock) -> None:
    class Body:
        def __iter__(self) -> Iterator[bytes]:
            flash: Flash = environ["flashmw.flash"]
            yield repr(flash.get_flashed_messages()).encode()

    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "wsgi.url_scheme": "http"}

    def app(env: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [])
        return Body()

    seen: list[list[tuple[str, str]]] = []
    middleware = FlashMiddleware(app, secret_key=SECRET, clock=clock)

    def start_response(status: str, headers: Any, exc: Any = None) -> Any:
        seen.append(headers)
        return None

    body: Any = middleware(environ, start_response)
    assert b"".join(body) == b"[]"
    body.close()
    body.close()  # twice is harmless, and Body has no close() at all
    assert seen == [[("Vary", "Cookie")]]  # read, nothing stored: no Set-Cookie


def _nested(depth: int, kind: type) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = (value,) if kind is tuple else {"k": value}
    return value


@pytest.mark.parametrize("kind", [tuple, dict, list])
def test_depth_limit_is_the_same_for_write_and_read(kind: type) -> None:
    serializer = TaggedJSONSerializer()

    def nested(depth: int) -> Any:
        if kind is list:
            value: Any = "leaf"
            for _ in range(depth):
                value = [value]
            return value
        return _nested(depth, kind)

    deepest = nested(MAX_DEPTH)
    serializer.validate(deepest)
    document = [[["message", deepest]], []]
    read = serializer.loads(serializer.dumps(document))
    assert read[0][0][1] == deepest
    with pytest.raises(TypeError):
        serializer.validate(nested(MAX_DEPTH + 1))


def test_int_bounds_are_symmetric() -> None:
    serializer = TaggedJSONSerializer()
    largest = 10**MAX_INT_DIGITS - 1
    for value in (largest, -largest):
        serializer.validate(value)
        document = serializer.dumps([[["message", value]], []])
        assert serializer.loads(document) == [[["message", value]], []]
    for value in (largest + 1, -largest - 1):
        with pytest.raises(TypeError):
            serializer.validate(value)
    too_long = b'[[["message",-1' + b"0" * MAX_INT_DIGITS + b"]],[]]"
    with pytest.raises(ValueError, match="digits"):
        serializer.loads(too_long)


@pytest.mark.parametrize("now", [0x58_00_00_05, 0x58_58_58_58, 0x00_00_00_58])
def test_timestamps_with_any_leading_byte_round_trip(
    make: MakeHarness, now: int
) -> None:
    """A timestamp whose first byte is 0x58 ("X") is not mistaken for padding."""
    harness = make(clock=FakeClock(float(now)))
    harness.open("/flash?m=on time")
    assert harness.open("/show").body == [["message", "on time"]]
