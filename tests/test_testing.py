"""The test kit: building cookies, reading and asserting a response's flash."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import httpx
import pytest
import webob
from markupsafe import Markup
from werkzeug.test import Client, EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Request, Response

from flashmw import ASGIFlashMiddleware, FlashMiddleware, get_flash
from flashmw import testing as kit
from flashmw.testing import (
    FlashCookie,
    FlashState,
    assert_flashes,
    make_cookie,
    read_flash,
)

from .harness import SECRET, FakeClock

OPTIONS = {"secret_key": SECRET}


def echo_app(environ: dict[str, Any], start_response: Any) -> Any:
    """Show every waiting flash (consuming it); ``?add=`` flashes one more."""
    flash = get_flash(environ)
    request = Request(environ)
    if "add" in request.args:
        flash.add(request.args["add"], request.args.get("c", "message"))
        flash.put("info", "added")
        return Response("added")(environ, start_response)
    shown: dict[str, Any] = {
        "messages": flash.get_flashed_messages(with_categories=True)
    }
    shown["values"] = dict(flash.items())
    return Response(repr(shown))(environ, start_response)


@pytest.fixture
def mw(clock: FakeClock) -> FlashMiddleware:
    return FlashMiddleware(echo_app, secret_key=SECRET, clock=clock)


@pytest.fixture
def client(mw: FlashMiddleware) -> Client:
    return Client(mw)


# -- make_cookie ------------------------------------------------------------


def test_cookie_starts_a_request_with_flashes(
    mw: FlashMiddleware, client: Client
) -> None:
    cookie = make_cookie(
        mw, ["Saved.", ("error", "Bad.")], {"info": Markup("<b>hi</b>")}
    )
    assert cookie.name == "flash"
    assert cookie.header == f"flash={cookie.value}"
    client.set_cookie(cookie.name, cookie.value)
    body = client.get("/").get_data(as_text=True)
    assert body == repr(
        {
            "messages": [("message", "Saved."), ("error", "Bad.")],
            "values": {"info": Markup("<b>hi</b>")},
        }
    )


def test_cookie_from_options_verifies_with_the_middleware(
    mw: FlashMiddleware, client: Client, clock: FakeClock
) -> None:
    cookie = make_cookie({**OPTIONS, "clock": clock}, ["From options."])
    # werkzeug's client replaces a Cookie header with its jar: call the app.
    environ = EnvironBuilder(headers=[("Cookie", cookie.header)]).get_environ()
    body, _, _ = run_wsgi_app(mw, environ, buffered=True)
    assert b"From options." in b"".join(body)


def test_cookie_takes_the_cookie_name_from_the_options() -> None:
    cookie = make_cookie({**OPTIONS, "cookie_name": "notice"}, ["x"])
    assert cookie.name == "notice"
    assert cookie.header.startswith("notice=")


def test_cookie_signed_long_ago_has_expired(
    mw: FlashMiddleware, client: Client, clock: FakeClock
) -> None:
    cookie = make_cookie(mw, ["Old."], now=clock() - mw.max_age - 1)
    client.set_cookie(cookie.name, cookie.value)
    assert "Old." not in client.get("/").get_data(as_text=True)


def test_cookie_value_types_round_trip(mw: FlashMiddleware) -> None:
    values = {"when": datetime.date(2030, 1, 2), "pair": (1, 2)}
    state = read_flash(
        mw, [("Set-Cookie", f"flash={make_cookie(mw, values=values).value}")]
    )
    assert state == FlashState([], values)
    assert type(state.values["pair"]) is tuple


@pytest.mark.parametrize(
    ("messages", "values"),
    [
        pytest.param([("message", object())], None, id="message"),
        pytest.param([], {"info": {1, 2}}, id="value"),
        pytest.param([], {1: "x"}, id="key"),
    ],
)
def test_cookie_refuses_what_cannot_be_stored(
    mw: FlashMiddleware, messages: list[Any], values: Any
) -> None:
    with pytest.raises(TypeError):
        make_cookie(mw, messages, values)


def test_a_tuple_message_is_given_as_a_pair(mw: FlashMiddleware) -> None:
    cookie = make_cookie(mw, [("message", ("a", "b")), ("only",), 3])
    state = read_flash(mw, [("Set-Cookie", f"flash={cookie.value}")])
    assert state is not None
    assert state.messages == [
        ("message", ("a", "b")),
        ("message", ("only",)),
        ("message", 3),
    ]


def test_something_else_than_middleware_or_options_is_refused() -> None:
    with pytest.raises(TypeError, match="middleware or a dict of its options"):
        make_cookie("secret", ["x"])  # type: ignore[arg-type]


def test_the_unused_app_is_never_called() -> None:
    with pytest.raises(AssertionError):
        kit._unused_app({}, None)


# -- read_flash -------------------------------------------------------------


def test_read_a_werkzeug_response_without_consuming(
    mw: FlashMiddleware, client: Client
) -> None:
    response = client.get("/?add=Saved.&c=info")
    state = read_flash(mw, response)
    assert state == FlashState([("info", "Saved.")], {"info": "added"})
    # Reading the response changed nothing: the next request still shows it.
    assert "Saved." in client.get("/").get_data(as_text=True)


def test_read_a_deletion_as_empty_state(mw: FlashMiddleware, client: Client) -> None:
    client.get("/?add=Saved.")
    response = client.get("/")
    state = read_flash(mw, response)
    assert state == FlashState()
    assert not state


def test_read_a_response_that_leaves_the_cookie_alone(mw: FlashMiddleware) -> None:
    assert read_flash(mw, [("Content-Type", "text/plain")]) is None
    assert read_flash(mw, [("Set-Cookie", "session=abc; Path=/")]) is None
    assert read_flash(mw, [("Set-Cookie", "nonsense")]) is None


def test_read_raw_asgi_header_bytes(mw: FlashMiddleware) -> None:
    cookie = make_cookie(mw, ["Raw."])
    headers = [(b"set-cookie", f"flash={cookie.value}; Path=/".encode())]
    state = read_flash(mw, headers)
    assert state is not None
    assert state.get_flashed_messages() == ["Raw."]


def test_read_quoted_value_and_the_last_cookie_wins(mw: FlashMiddleware) -> None:
    first = make_cookie(mw, ["First."])
    second = make_cookie(mw, ["Second."])
    headers = [
        ("Set-Cookie", f"flash={first.value}"),
        ("Set-Cookie", f'flash="{second.value}"; HttpOnly'),
    ]
    state = read_flash(mw, headers)
    assert state is not None
    assert state.get_flashed_messages() == ["Second."]


def test_read_a_webob_response(mw: FlashMiddleware) -> None:
    response = webob.Response()
    response.headers.add("Set-Cookie", f"flash={make_cookie(mw, ['Web.']).value}")
    response.headers.add("Set-Cookie", "other=1")
    state = read_flash(mw, response)
    assert state is not None
    assert state.messages == [("message", "Web.")]


def test_read_an_httpx_response_from_an_asgi_app(clock: FakeClock) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        get_flash(scope).put("info", "Saved.")
        await send({"type": "http.response.start", "status": 303, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    options: dict[str, Any] = {**OPTIONS, "clock": clock}
    asgi = ASGIFlashMiddleware(app, **options)

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.post("/")

    response = asyncio.run(post())
    assert_flashes(options, response, [], {"info": "Saved."})
    assert_flashes(asgi, response, values={"info": "Saved."})


def test_read_refuses_a_cookie_that_does_not_verify(mw: FlashMiddleware) -> None:
    cookie = make_cookie({"secret_key": "another-secret-of-at-least-32-bytes!"}, ["x"])
    with pytest.raises(ValueError, match="does not verify with these options"):
        read_flash(mw, [("Set-Cookie", f"flash={cookie.value}")])


@pytest.mark.parametrize(
    "response",
    [
        pytest.param({"Set-Cookie": "flash=x"}, id="dict"),
        pytest.param(42, id="int"),
    ],
)
def test_read_refuses_what_is_not_a_response(
    mw: FlashMiddleware, response: Any
) -> None:
    with pytest.raises(TypeError, match="pass a response"):
        read_flash(mw, response)


def test_state_reads_like_a_flash() -> None:
    state = FlashState([("error", "E"), ("message", "M"), ("info", "I")])
    assert state.get_flashed_messages() == ["E", "M", "I"]
    assert state.get_flashed_messages(category_filter="error") == ["E"]
    assert state.get_flashed_messages(True, ["info", "error"]) == [
        ("error", "E"),
        ("info", "I"),
    ]
    assert state
    assert FlashState(values={"k": 0})
    assert not FlashState()


# -- assert_flashes ---------------------------------------------------------


def test_assert_flashes_passes_and_returns_the_state(
    mw: FlashMiddleware, client: Client
) -> None:
    response = client.get("/?add=Saved.")
    state = assert_flashes(mw, response, ["Saved."], {"info": "added"})
    assert state.messages == [("message", "Saved.")]
    assert_flashes(mw, response, [("message", "Saved.")])
    assert_flashes(mw, response)  # nothing to compare, but the cookie is set


def test_assert_flashes_of_a_deletion(mw: FlashMiddleware, client: Client) -> None:
    client.get("/?add=Saved.")
    assert_flashes(mw, client.get("/"), [], {})


def test_assert_flashes_without_a_cookie_says_so(mw: FlashMiddleware) -> None:
    with pytest.raises(AssertionError, match="does not set the flash cookie"):
        assert_flashes(mw, [], [])


def _failure(mw: FlashMiddleware, response: Any, *args: Any) -> str:
    with pytest.raises(AssertionError) as caught:
        assert_flashes(mw, response, *args)
    return str(caught.value)


def test_assert_flashes_names_each_difference(mw: FlashMiddleware) -> None:
    cookie = make_cookie(
        mw, [("error", "Bad."), "Saved.", "Extra."], {"info": "a", "more": 1}
    )
    response = [("Set-Cookie", f"flash={cookie.value}")]
    message = _failure(
        mw,
        response,
        ["Bad.", "Saved!"],
        {"info": "b", "gone": 2},
    )
    assert message == (
        "flash messages differ:\n"
        "  expected [('message', 'Bad.'), ('message', 'Saved!')]\n"
        "  actual   [('error', 'Bad.'), ('message', 'Saved.'), "
        "('message', 'Extra.')]\n"
        "  message 0: category 'error', expected 'message'\n"
        "  message 1: 'Saved.', expected 'Saved!'\n"
        "  message 2 is unexpected: ('message', 'Extra.')\n"
        "flash values differ:\n"
        "  expected {'info': 'b', 'gone': 2}\n"
        "  actual   {'info': 'a', 'more': 1}\n"
        "  key 'info': 'a', expected 'b'\n"
        "  key 'gone' is missing: expected 2\n"
        "  key 'more' is unexpected: 1"
    )


def test_assert_flashes_names_missing_messages(mw: FlashMiddleware) -> None:
    cookie = make_cookie(mw, ["One."])
    response = [("Set-Cookie", f"flash={cookie.value}")]
    message = _failure(mw, response, ["One.", ("error", "Two.")])
    assert message.endswith("  message 1 is missing: ('error', 'Two.')")
    assert "values" not in message


def test_cookie_dataclass_is_frozen() -> None:
    cookie = FlashCookie("flash", "v")
    with pytest.raises(AttributeError):
        cookie.value = "w"  # type: ignore[misc]


def test_read_with_the_request_cookies_gives_what_the_client_holds() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        flash = environ["flashmw.flash"]
        if environ["PATH_INFO"] == "/first":
            flash.add("Shown now.", "error")
            flash.add("Still waiting.", "info")
        else:
            flash.get_flashed_messages(category_filter="error")
            flash.add("Added now.", "info")
        start_response("200 OK", [])
        return [b""]

    mw = FlashMiddleware(app, secret_key=SECRET)
    client = Client(mw, use_cookies=False)
    first = client.get("/first")
    waiting = "; ".join(c.split(";")[0] for c in first.headers.getlist("Set-Cookie"))
    response = client.get("/", headers={"Cookie": waiting})
    # What the response adds, and what the client holds after it.
    assert_flashes(mw, response, [("info", "Added now.")])
    assert_flashes(
        mw,
        response,
        [("info", "Still waiting."), ("info", "Added now.")],
        cookies=waiting,
    )
