"""PyView bridge behaviours that mutation testing found unpinned (issue 16).

Through the real pyview-web app and the Phoenix protocol driver of
``test_pyview.py``: which tokens are carried and redeemed at the exact
length limit, which spent tokens the binding cookie keeps, what the
WARNINGs name, and what ``socket.flash`` (a :class:`LiveFlash`) does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

if sys.version_info < (3, 11):  # pragma: no cover (pyview-web needs 3.11)
    pytest.skip(
        "pyview-web needs Python 3.11+: run tests/test_pyview.py on 3.11 or later",
        allow_module_level=True,
    )
pytest.importorskip(
    "pyview", reason="pyview-web is not installed: pip install 'flashmw[pyview]'"
)

from asgiref.testing import ApplicationCommunicator
from pyview import LiveViewSocket, is_connected
from pyview.meta import PyViewMeta
from pyview.template import LiveTemplate, Template
from starlette.routing import Route

from examples.settings_pyview.app import WELCOME, create_app
from examples.settings_pyview.settings import LEAVING
from flashmw.pyview import MAX_TOKEN_LENGTH, LiveFlash, PyViewFlashMiddleware, _path

from .harness import SECRET, FakeClock, call_asgi, http_scope
from .test_pyview import (
    LiveBrowser,
    LiveSocket,
    NavView,
    _leave_token,
    _no_app,
    make_app,
    run,  # noqa: F401 (fixture)
)


def test_live_flash_moves_a_replaced_key_to_the_end() -> None:
    live = LiveFlash(lambda key, value: None)
    live["a"] = 1
    live["b"] = 2
    live["a"] = 3
    assert list(live) == ["b", "a"]
    assert live.put_here() == {"b": 2, "a": 3}


def test_a_value_that_cannot_be_flashed_names_the_serializer() -> None:
    middleware = PyViewFlashMiddleware(_no_app, secret_key=SECRET)
    tokens: Any = middleware.app
    name = type(middleware.serializer).__name__
    with pytest.raises(TypeError, match=f"object cannot be flashed with {name}: "):
        tokens.tokens.check("k", object())


def test_a_token_of_exactly_the_limit_is_checked_for_its_signature(
    run: Callable[..., None],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page, socket, token = await _leave_token(browser)
        for length in (MAX_TOKEN_LENGTH, MAX_TOKEN_LENGTH + 1):
            forged = token + "A" * (length - len(token))
            caplog.clear()
            assert LEAVING not in await socket.join(
                page, redirect="/about", flash=forged
            )
            too_long = "characters is too long" in caplog.text
            assert too_long is (length > MAX_TOKEN_LENGTH)

    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        run(scenario)


def test_the_binding_cookie_forgets_the_spent_token_that_expires_first(
    run: Callable[..., None],  # noqa: F811
    clock: FakeClock,
) -> None:
    now = int(clock())

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        live = browser.http.cookies["flashmw_live"]
        # 16 spent tokens: the first by name expires last, "b..." first.
        planted = [f"{'a' * 12}~{now + 1000}"] + [
            f"{letter * 12}~{now + 10 + i}"
            for i, letter in enumerate("bcdefghijklmnop")
        ]
        browser.set_cookie("flashmw_live", ".".join([live, *planted]))
        await socket.event("put", {"key": "info", "value": "Once."})
        await socket.event("redirect", {"to": "/plain"})
        browser.set_cookie("__phoenix_flash__", socket.navigation()["flash"])
        assert (await browser.get("/plain")).text == "info=Once."
        kept = browser.http.cookies["flashmw_live"].split(".")
        assert len(kept) == 1 + 16
        assert f"{'a' * 12}~{now + 1000}" in kept
        assert not [entry for entry in kept if entry.startswith("b" * 12)]

    run(scenario)


def test_a_navigation_that_cannot_carry_the_flash_names_where_it_went(
    run: Callable[..., None],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "Bye."})
        await socket.event("redirect", {"to": "https://elsewhere.example/x"})
        assert "flash" not in socket.navigation()

    with caplog.at_level(logging.WARNING, logger="flashmw"):
        run(scenario)
    assert "'https://elsewhere.example/x'" in caplog.text


class OwnFlashView(NavView):
    """Sends a live_redirect that carries a flash token of its own."""

    async def handle_event(
        self,
        event: str,
        payload: dict[str, Any],
        socket: LiveViewSocket[dict[str, Any]],
    ) -> None:
        if event == "own":
            socket.put_flash("info", "Ours.")
            message = [
                None,
                None,
                socket.topic,
                "live_redirect",
                {"kind": "push", "to": "/nav", "flash": "theirs"},
            ]
            await socket.websocket.send_text(json.dumps(message))
        else:
            await super().handle_event(event, payload, socket)


def test_a_navigation_with_a_flash_of_its_own_is_left_alone(
    run: Callable[..., None],  # noqa: F811
    clock: FakeClock,
) -> None:
    app = make_app(clock)
    app.add_live_view("/own", OwnFlashView)

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/own")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("own")
        assert socket.navigation()["flash"] == "theirs"

    run(scenario, app)


def test_a_join_whose_flash_is_not_a_token_uses_the_join_cookie(
    run: Callable[..., None],  # noqa: F811
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/welcome", "POST")
        socket = await browser.connect()
        payload = {
            "params": {"_csrf_token": page.csrf, "_mounts": 0},
            "session": page.session,
            "static": "",
            "url": page.url,
            "flash": 1,  # not a token: what the HTTP render handed over counts
        }
        response = dict(await socket.send(page.topic, "phx_join", payload))
        assert WELCOME in json.dumps(response["rendered"])

    run(scenario)


def test_messages_the_bridge_does_not_read_reach_pyview(
    run: Callable[..., None],  # noqa: F811
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        # A heartbeat whose topic is no string: not a Phoenix message to the
        # bridge, answered by PyView all the same.
        heartbeat = json.dumps([None, "phx_9", 5, "heartbeat", {}])
        communicator: Any = socket.communicator
        await communicator.send_input({"type": "websocket.receive", "text": heartbeat})
        reply = json.loads((await communicator.receive_output(5))["text"])
        assert reply[1] == "phx_9"
        assert reply[4]["status"] == "ok"
        assert "Still here." in await socket.event(
            "put", {"key": "info", "value": "Still here."}
        )

    run(scenario)


class NavigateInMountView(NavView):
    """Navigates away as soon as it is connected, before any render."""

    async def mount(self, socket: LiveViewSocket[dict[str, Any]], session: Any) -> None:
        socket.context = {}
        if is_connected(socket):
            await socket.push_navigate("/nav")


def test_a_view_that_navigates_before_its_first_render_carries_nothing(
    run: Callable[..., None],  # noqa: F811
    clock: FakeClock,
) -> None:
    app = make_app(clock)
    app.add_live_view("/away", NavigateInMountView)

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/away")
        socket = await browser.connect()
        await socket.join(page)
        navigation = socket.navigation()
        assert navigation["to"] == "/nav"
        assert "flash" not in navigation

    run(scenario, app)


def test_a_template_rendered_without_a_socket_gets_an_empty_flash() -> None:
    template = LiveTemplate(Template("<p>{{ flash }}</p>", template_id="bare"))
    assert template.render({}, PyViewMeta()) == "<p>{}</p>"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://testserver/a", "/a"),
        ("ws://testserver/b", "/b"),
        ("wss://testserver/c", "/c"),
        (5, None),
        (["/a"], None),
    ],
)
def test_more_paths(url: Any, path: str | None) -> None:
    assert _path(url) == path


def test_a_page_with_nothing_waiting_sets_no_join_cookie(
    run: Callable[..., None],  # noqa: F811
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        response = await browser.get("/nav")
        assert response.status_code == 200
        names = [h.partition("=")[0] for h in response.headers.get_list("set-cookie")]
        assert names == ["flashmw_live"]  # the binding cookie only
        (live,) = [
            h for h in response.headers.get_list("set-cookie") if "flashmw_live=" in h
        ]
        browser_id = live.partition("=")[2].partition(";")[0]
        assert len(browser_id) == 22  # 128 random bits

    run(scenario)


def test_spent_nonces_are_72_random_bits(
    run: Callable[..., None],  # noqa: F811
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "Once."})
        await socket.event("redirect", {"to": "/plain"})
        browser.set_cookie("__phoenix_flash__", socket.navigation()["flash"])
        assert (await browser.get("/plain")).text == "info=Once."
        _, spent = browser.http.cookies["flashmw_live"].split(".")
        assert len(spent.partition("~")[0]) == 12

    run(scenario)


def test_cookies_sent_in_several_headers_are_all_read(
    run: Callable[..., None],  # noqa: F811
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/welcome", "POST")
        # HTTP/2 may send each cookie in a header of its own.
        headers = [(b"host", b"testserver")] + [
            (b"cookie", f"{name}={value}".encode())
            for name, value in browser.http.cookies.items()
        ]
        assert len(headers) >= 3
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": "/live/websocket",
            "raw_path": b"/live/websocket",
            "query_string": b"vsn=2.0.0",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "subprotocols": [],
        }
        communicator: Any = ApplicationCommunicator(browser.app, scope)  # type: ignore[no-untyped-call]
        browser.sockets.append(communicator)
        await communicator.send_input({"type": "websocket.connect"})
        assert (await communicator.receive_output(5))["type"] == "websocket.accept"
        assert WELCOME in await LiveSocket(communicator).join(page)

    run(scenario)


DELETED_PHOENIX = (
    "__phoenix_flash__=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
)
ATTRIBUTES = "Secure; HttpOnly; Path=/; SameSite=Lax"


def test_the_bridge_cookies_carry_their_attributes_on_https(
    run: Callable[..., None],  # noqa: F811
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        await browser.http.aclose()
        browser.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=browser.app),
            base_url="https://testserver",
        )
        welcome = await browser.http.post("/welcome")
        settings = await browser.http.get(welcome.headers["location"])
        cookies = settings.headers.get_list("set-cookie")
        (live,) = [c for c in cookies if c.startswith("flashmw_live=")]
        assert re.fullmatch(f"flashmw_live=[A-Za-z0-9_-]{{22}}; {ATTRIBUTES}", live)
        (join,) = [c for c in cookies if c.startswith("flashmw_live_join=")]
        assert re.fullmatch(
            f"flashmw_live_join=[^;]+; Expires=[^;]+; Max-Age=60; {ATTRIBUTES}", join
        )
        # A plain page leaves the join cookie alone, and deletes the
        # redirect's cookie (whatever it held).
        browser.http.cookies.set("__phoenix_flash__", "x", domain="testserver.local")
        plain = await browser.http.get("/plain")
        assert plain.headers.get_list("set-cookie") == [DELETED_PHOENIX]
        # A live page with nothing to hand over deletes the join cookie.
        again = await browser.http.get("/settings")
        assert again.headers.get_list("set-cookie") == [
            "flashmw_live_join=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; "
            "Secure; Path=/; SameSite=Lax"
        ]

    run(scenario)


def test_the_binding_cookie_keeps_only_entries_it_can_read(
    run: Callable[..., None],  # noqa: F811
    clock: FakeClock,
) -> None:
    now = int(clock())
    browser_id = "A" * 16  # the shortest id a binding cookie may have

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        planted = [
            browser_id,
            f"{'c' * 12}~{now}",  # expires now: gone
            f"d~e~{now + 100}",  # two separators: unreadable
            f"{'f' * 12}~{now + 100}",  # kept
        ]
        browser.set_cookie("flashmw_live", ".".join(planted))
        response = await browser.get("/nav")
        assert response.headers.get_list("set-cookie") == []  # id accepted
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "Once."})
        await socket.event("redirect", {"to": "/plain"})
        browser.set_cookie("__phoenix_flash__", socket.navigation()["flash"])
        assert (await browser.get("/plain")).text == "info=Once."
        kept = browser.http.cookies["flashmw_live"].split(".")
        assert kept[:2] == [browser_id, f"{'f' * 12}~{now + 100}"]
        assert len(kept) == 3
        assert kept[2].endswith(f"~{now + 60 + 1}")  # until the token expires

    run(scenario)


def test_spent_entries_of_an_unreadable_binding_cookie_are_dropped(
    run: Callable[..., None],  # noqa: F811
    clock: FakeClock,
) -> None:
    now = int(clock())

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        browser.set_cookie("flashmw_live", f"{'A' * 15}.{'g' * 12}~{now + 100}")
        response = await browser.get("/nav")
        (live,) = response.headers.get_list("set-cookie")
        value = live.partition("=")[2].partition(";")[0]
        assert "." not in value
        assert len(value) == 22

    run(scenario)


class _Bare:
    """A raw ASGI endpoint whose response start has no headers at all."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"bare"})


def test_a_response_start_without_headers_still_gets_the_bridge_cookies(
    run: Callable[..., None],  # noqa: F811
    clock: FakeClock,
) -> None:
    app = make_app(clock)
    app.routes.append(Route("/bare", _Bare()))

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        browser.set_cookie("__phoenix_flash__", "x")
        response = await browser.get("/bare")
        assert response.text == "bare"
        assert response.headers.get_list("set-cookie") == [DELETED_PHOENIX]

    run(scenario, app)


#: A token this release minted (clock 1_800_000_000, no binding cookie, for
#: /about): it must keep redeeming, or every token in flight at an upgrade
#: is lost. Changing the token format is a deliberate, versioned change.
KNOWN_TOKEN = (
    "W1tbInAiLCIvYWJvdXQiXSxbImIiLCIiXSxbIm4iLCJmX0dFeHRKU0NTeU8iXV0sW1siaW5mbyIs"
    "Ik1pbnRlZCBieSBmbGFzaG13IDAuMS4iXV1d.a0nSAA.48SSwmcev51HldE2GOnxL12vBUSKzvi2G9A"
    "58oLcM5o"
)


def test_a_token_minted_by_this_release_still_redeems(
    run: Callable[..., None],  # noqa: F811
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/settings")
        browser.http.cookies.clear()  # an unbound token: no binding cookie
        socket = await browser.connect()
        await socket.join(page)
        rendered = await socket.join(page, redirect="/about", flash=KNOWN_TOKEN)
        assert "Minted by flashmw 0.1." in rendered

    run(scenario)


def test_a_redirected_flash_that_does_not_fit_names_the_error(
    run: Callable[..., None],  # noqa: F811
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(clock, max_messages=1, on_overflow="error")

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "One."})
        await socket.event("put", {"key": "error", "value": "Two."})
        await socket.event("redirect", {"to": "/plain"})
        browser.set_cookie("__phoenix_flash__", socket.navigation()["flash"])
        assert (await browser.get("/plain")).text == "info=One."

    with caplog.at_level(logging.WARNING, logger="flashmw"):
        run(scenario, app)
    (line,) = [r.getMessage() for r in caplog.records if "'error'" in r.getMessage()]
    assert not line.endswith(": None")
    assert "max_messages" in line


def test_tokens_use_the_real_clock_without_a_clock_option(
    run: Callable[..., None],  # noqa: F811
) -> None:
    app = create_app(secret_key=SECRET)  # no clock: time.time dates the tokens

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page, socket, token = await _leave_token(browser)
        assert LEAVING in await socket.join(page, redirect="/about", flash=token)

    run(scenario, app)


def test_the_bridge_sets_cookies_with_a_lowercase_header_name(clock: FakeClock) -> None:
    # ASGI requires lowercased header names.
    app = make_app(clock)
    scope = http_scope("/plain", headers=[(b"cookie", b"__phoenix_flash__=x")])
    sent = asyncio.run(call_asgi(app, scope))
    names = [name for name, _ in sent[0]["headers"]]
    assert b"set-cookie" in names
    assert all(name == name.lower() for name in names)


def test_an_app_whose_response_start_has_no_headers_gets_the_bridge_cookies() -> None:
    # ASGI makes "headers" optional in http.response.start.
    app = PyViewFlashMiddleware(_Bare(), secret_key=SECRET)
    scope = http_scope("/", headers=[(b"cookie", b"__phoenix_flash__=x")])
    sent = asyncio.run(call_asgi(app, scope))
    assert sent[0]["status"] == 200
    cookies = [v.decode() for n, v in sent[0]["headers"] if n == b"set-cookie"]
    assert cookies == [DELETED_PHOENIX]


def test_cookies_whose_names_only_contain_the_bridges_are_not_taken_for_them(
    run: Callable[..., None],  # noqa: F811
) -> None:
    # The bridge answers "not there" with a substring check first; a name
    # that merely contains one of its cookies' names must still read as
    # absent, not as an empty list of values.
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        browser.set_cookie("my_flashmw_live", "x")
        browser.set_cookie("old__phoenix_flash__", "y")
        response = await browser.get("/nav")
        assert response.status_code == 200
        names = [h.partition("=")[0] for h in response.headers.get_list("set-cookie")]
        assert names == ["flashmw_live"]  # its own binding cookie, nothing deleted

    run(scenario)
