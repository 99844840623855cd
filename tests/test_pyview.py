"""flashmw.pyview on the real pyview-web, driven through PyView's websocket protocol.

HTTP goes through httpx's ASGI transport, the live socket through asgiref's
``ApplicationCommunicator`` speaking Phoenix's JSON messages exactly as the
bundled ``app.js`` does (``phx_join`` with the page's CSRF token and
session, ``event``, ``phx_leave``); one cookie jar serves both, as in a
browser.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable, Iterator
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
from markupsafe import Markup
from pyview import LiveView, LiveViewSocket, is_connected
from pyview.template import LiveRender, LiveTemplate, Template
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from werkzeug.test import Client

from examples.settings_pyview.app import WELCOME, create_app
from examples.settings_pyview.settings import (
    BLANK_NAME,
    LEAVING,
    SAVED,
    SIGNED_OUT,
)
from flashmw import FlashMiddleware, current_flash, flash, get_flash
from flashmw.pyview import LiveFlash, PyViewFlashMiddleware, _path, _phoenix

from .harness import SECRET, FakeClock

OLD_SECRET = "an-older-secret-for-rotation-tests-0123456789"
BASE = "http://testserver"

# -- a test view with every navigation ---------------------------------------

NAV_TEMPLATE = Template(
    '<main>{% if flash.info %}<p id="flash-info">{{ flash.info }}</p>{% endif %}'
    '{% if flash.error %}<p id="flash-error">{{ flash.error }}</p>{% endif %}'
    '{% if flash.data %}<p id="flash-data">{{ flash.data }}</p>{% endif %}</main>',
    template_id="nav",
)


class NavView(LiveView[dict[str, Any]]):  # type: ignore[misc]
    """Puts what an event says, then navigates the way it says."""

    async def mount(self, socket: LiveViewSocket[dict[str, Any]], session: Any) -> None:
        socket.context = {}

    async def handle_event(
        self,
        event: str,
        payload: dict[str, Any],
        socket: LiveViewSocket[dict[str, Any]],
    ) -> None:
        assert is_connected(socket)
        if event == "put":
            socket.put_flash(payload["key"], payload["value"])
        elif event == "put-typed":
            socket.put_flash("data", TYPED)
        elif event == "put-bad":
            try:
                socket.put_flash("info", object())
            except TypeError as exc:
                socket.put_flash("error", f"TypeError: {exc}")
        elif event == "clear":
            socket.clear_flash(payload.get("key"))
        elif event == "push":
            await socket.push_navigate(payload["to"])
        elif event == "replace":
            await socket.replace_navigate(payload["to"])
        elif event == "redirect":
            await socket.redirect(payload["to"])

    async def render(self, assigns: Any, meta: Any) -> Any:
        return LiveRender(LiveTemplate(NAV_TEMPLATE), assigns, meta)


TYPED = {
    "when": datetime.datetime(2026, 11, 22, 10, 30),
    "pair": ("a", 1),
    "html": Markup("<b>bold</b>"),
}


async def plain_page(request: Request) -> Response:
    """A plain HTTP page that shows the keyed flash ``info``."""
    return PlainTextResponse(f"info={current_flash().info}")


async def flash_list_style(request: Request) -> Response:
    """A plain handler that flashes Flask-style, then redirects to a live view."""
    flash("Listed.", "info")
    flash("Also listed.", "warning")
    return RedirectResponse("/nav", status_code=303)


def make_app(clock: FakeClock, **options: Any) -> Any:
    options.setdefault("secret_key", SECRET)
    app = create_app(clock=clock, **options)
    app.add_live_view("/nav", NavView)
    app.add_live_view("/nav/other", NavView)
    app.routes.append(Route("/plain", plain_page))
    app.routes.append(Route("/list", flash_list_style, methods=["POST"]))
    return app


# -- the protocol driver -----------------------------------------------------


class LivePage:
    """A page as the browser got it: its HTML and what app.js joins with."""

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        self.html = html
        self.csrf = _search(r'<meta name="csrf-token" content="([^"]+)"', html)
        self.session = _search(r'data-phx-session="([^"]*)"', html)
        self.topic = "lv:" + _search(r'id="(phx-[^"]+)"', html)


def _search(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{pattern} not in the page"
    return found.group(1)


class LiveSocket:
    """One websocket to ``/live/websocket``, speaking Phoenix's messages."""

    def __init__(self, communicator: ApplicationCommunicator) -> None:
        self.communicator = communicator
        self.ref = 0
        self.pushed: list[list[Any]] = []  # server pushes (redirects, diffs)
        self.topic = ""  # the joined view's

    async def send(self, topic: str, event: str, payload: dict[str, Any]) -> list[Any]:
        self.ref += 1
        ref = str(self.ref)
        text = json.dumps([ref, ref, topic, event, payload])
        await self.communicator.send_input({"type": "websocket.receive", "text": text})  # type: ignore[no-untyped-call]
        while True:
            message = await self.communicator.receive_output(5)  # type: ignore[no-untyped-call]
            assert message["type"] == "websocket.send", message
            reply = json.loads(message["text"])
            if reply[1] == ref and reply[3] == "phx_reply":
                assert reply[4]["status"] == "ok", reply
                return list(reply[4]["response"].items())
            self.pushed.append(reply)

    async def join(
        self, page: LivePage, *, redirect: str | None = None, flash: str | None = None
    ) -> str:
        """Join ``page``'s view (or navigate to ``redirect``); return the render."""
        payload: dict[str, Any] = {
            "params": {"_csrf_token": page.csrf, "_mounts": 0},
            "session": page.session,
            "static": "",
        }
        topic = page.topic
        if redirect is None:
            payload["url"] = page.url
        else:
            # app.js leaves the old view's topic before joining the new one.
            if self.topic:
                await self.send(self.topic, "phx_leave", {})
            payload["redirect"] = BASE + redirect
            topic = f"lv:phx-nav-{self.ref}"
        if flash is not None:
            payload["flash"] = flash
        self.topic = topic
        response = dict(await self.send(topic, "phx_join", payload))
        return json.dumps(response["rendered"])

    async def event(self, event: str, value: dict[str, Any] | None = None) -> str:
        payload = {"type": "click", "event": event, "value": value or {}}
        return json.dumps(await self.send(self.topic, "event", payload))

    async def form(self, event: str, data: str) -> str:
        payload = {"type": "form", "event": event, "value": data}
        return json.dumps(await self.send(self.topic, "event", payload))

    def navigation(self) -> dict[str, Any]:
        """Return the payload of the last redirect the server pushed."""
        found = [m for m in self.pushed if m[3] in ("live_redirect", "redirect")]
        assert found, self.pushed
        return found[-1][4]  # type: ignore[no-any-return]


class LiveBrowser:
    """A cookie jar, and the HTTP and websocket connections that share it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE
        )
        self.sockets: list[ApplicationCommunicator] = []

    def set_cookie(self, name: str, value: str) -> None:
        """Set a cookie as a page script would (app.js for a redirect)."""
        # httpx files cookies of a dotless host under "<host>.local".
        self.http.cookies.set(name, value, domain="testserver.local")

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def page(self, path: str, method: str = "GET") -> LivePage:
        response = await self.http.request(method, path, follow_redirects=True)
        assert response.status_code == 200, response.text
        return LivePage(str(response.url), response.text)

    async def connect(self) -> LiveSocket:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": "/live/websocket",
            "raw_path": b"/live/websocket",
            "query_string": b"vsn=2.0.0",
            "root_path": "",
            "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "subprotocols": [],
        }
        communicator = ApplicationCommunicator(self.app, scope)  # type: ignore[no-untyped-call]
        self.sockets.append(communicator)
        await communicator.send_input({"type": "websocket.connect"})  # type: ignore[no-untyped-call]
        accepted = await communicator.receive_output(5)  # type: ignore[no-untyped-call]
        assert accepted["type"] == "websocket.accept"
        return LiveSocket(communicator)

    async def close(self) -> None:
        for communicator in self.sockets:
            await communicator.send_input(  # type: ignore[no-untyped-call]
                {"type": "websocket.disconnect", "code": 1000}
            )
            await communicator.wait(5)  # type: ignore[no-untyped-call]
        await self.http.aclose()


Scenario = Callable[[LiveBrowser], Awaitable[None]]


@pytest.fixture
def run(clock: FakeClock) -> Callable[..., None]:
    """Run an async scenario with fresh browsers on one app."""

    def runner(scenario: Callable[..., Awaitable[None]], app: Any = None) -> None:
        the_app = app if app is not None else make_app(clock)

        async def main() -> None:
            browsers: list[LiveBrowser] = []

            def new_browser() -> LiveBrowser:
                browsers.append(LiveBrowser(the_app))
                return browsers[-1]

            try:
                await scenario(new_browser)
            finally:
                for browser in browsers:
                    await browser.close()

        asyncio.run(main())

    return runner


def _cookies(response: httpx.Response) -> dict[str, str]:
    out = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        out[name] = rest
    return out


# -- HTTP to live ------------------------------------------------------------


def test_welcome_reaches_both_renders_once(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/welcome", "POST")
        assert page.url == BASE + "/settings"
        assert 'id="flash-info"' in page.html
        assert WELCOME in page.html
        socket = await browser.connect()
        assert WELCOME in await socket.join(page)

        reloaded = await browser.page("/settings")
        assert WELCOME not in reloaded.html
        again = await browser.connect()
        assert WELCOME not in await again.join(reloaded)

    run(scenario)


@pytest.mark.parametrize("style", ["list", "keyed"])
def test_flash_from_the_wsgi_middleware_reaches_a_live_view(
    run: Callable[..., None], clock: FakeClock, style: str
) -> None:
    # A WSGI app (say a Flask login) on the same secret and cookie name.
    def login(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if style == "list":
            get_flash(environ).add("Signed in.", "info")
        else:
            get_flash(environ).put("info", "Signed in.")
        start_response("303 See Other", [("Location", "/nav")])
        return [b""]

    wsgi = Client(FlashMiddleware(login, secret_key=SECRET, clock=clock))
    set_cookie = wsgi.post("/login").headers["Set-Cookie"]
    name, _, value = set_cookie.partition(";")[0].partition("=")

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        browser.set_cookie(name, value)
        page = await browser.page("/nav")
        assert '<p id="flash-info">Signed in.</p>' in page.html
        socket = await browser.connect()
        assert "Signed in." in await socket.join(page)
        assert "Signed in." not in (await browser.page("/nav")).html

    run(scenario)


def test_list_messages_are_keys_by_category(
    run: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/list", "POST")
        assert '<p id="flash-info">Listed.</p>' in page.html
        socket = await browser.connect()
        rendered = await socket.join(page)
        assert "Listed." in rendered
        # The template shows no "warning", but the live view holds it: it
        # was consumed into the view like the rest, not left to reappear.
        assert "Also listed." not in rendered
        assert "Also listed." not in (await browser.page("/nav")).html

    run(scenario)


def test_a_second_message_of_a_category_replaces_the_first_loudly(
    run: Callable[..., None], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(clock)

    async def twice(request: Request) -> Response:
        flash("First.", "info")
        flash("Second.", "info")
        return RedirectResponse("/nav", status_code=303)

    app.routes.insert(0, Route("/twice", twice, methods=["POST"]))

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        page = await new_browser().page("/twice", "POST")
        assert '<p id="flash-info">Second.</p>' in page.html

    with caplog.at_level(logging.WARNING, logger="flashmw"):
        run(scenario, app)
    assert "replaced the flash 'info' ('First.')" in caplog.text


def test_the_join_token_is_for_its_page_only(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/welcome", "POST")
        socket = await browser.connect()
        # A join for another path (same cookie jar) does not take it ...
        other = await browser.page("/nav/other")
        assert WELCOME not in await socket.join(other)
        # ... and that page's HTTP render deleted the join cookie.
        late = await browser.connect()
        assert WELCOME not in await late.join(page)

    run(scenario)


def test_the_join_token_works_once_per_connection(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/welcome", "POST")
        socket = await browser.connect()
        assert WELCOME in await socket.join(page)
        # Live navigation back to the same path on the same socket.
        assert WELCOME not in await socket.join(page, redirect="/settings")

    run(scenario)


def test_requests_that_do_not_touch_the_flash_get_no_cookie(
    run: Callable[..., None],
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        response = await new_browser().get("/static/assets/app.js")
        assert response.status_code == 200
        assert "set-cookie" not in response.headers

    run(scenario)


# -- live to the next page ---------------------------------------------------


def test_leave_carries_the_flash_to_about_once(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/settings")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("leave")
        navigation = socket.navigation()
        assert navigation["to"] == "/about"
        assert navigation["kind"] == "push"
        about = await socket.join(page, redirect="/about", flash=navigation["flash"])
        assert LEAVING in about
        assert 'id=\\"flash-info\\"' in about

        # Reloading /about shows nothing: the token lived in the client only.
        reloaded = await browser.page("/about")
        assert LEAVING not in reloaded.html
        fresh = await browser.connect()
        assert LEAVING not in await fresh.join(reloaded)
        # The same token again on the socket that used it: nothing.
        assert LEAVING not in await socket.join(
            page, redirect="/about", flash=navigation["flash"]
        )

    run(scenario)


def test_a_view_that_rejoins_after_navigating_keeps_its_flash(
    run: Callable[..., None],
) -> None:
    # PyView's app.js, when the reply to the click that navigated arrives
    # after the new view joined, leaves and joins that view again on the
    # same topic with the same token: the notice must survive the rejoin.
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/settings")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("leave")
        token = socket.navigation()["flash"]
        assert LEAVING in await socket.join(page, redirect="/about", flash=token)
        topic = socket.topic
        payload = {
            "params": {"_csrf_token": page.csrf, "_mounts": 0},
            "session": page.session,
            "static": "",
            "redirect": BASE + "/about",
            "flash": token,
        }
        await socket.send(topic, "phx_leave", {})
        again = dict(await socket.send(topic, "phx_join", payload))
        assert LEAVING in json.dumps(again["rendered"])

    run(scenario)


@pytest.mark.parametrize("how", ["push", "replace"])
def test_navigate_carries_what_the_view_put(run: Callable[..., None], how: str) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "Moved."})
        await socket.event("phx_unknown")  # an event the view ignores
        await socket.event(how, {"to": "/nav/other"})
        navigation = socket.navigation()
        assert navigation["kind"] == how
        rendered = await socket.join(
            page, redirect="/nav/other", flash=navigation["flash"]
        )
        assert "Moved." in rendered

    run(scenario)


def test_navigation_without_a_put_carries_nothing(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/welcome", "POST")
        socket = await browser.connect()
        assert WELCOME in await socket.join(page)
        # The welcome was shown here; it does not follow to the next page.
        await socket.event("leave")
        await socket.join(page, redirect="/about", flash=socket.navigation()["flash"])
        nav = await browser.page("/nav")
        nav_socket = await browser.connect()
        await nav_socket.join(nav)
        await nav_socket.event("push", {"to": "/nav/other"})
        assert "flash" not in nav_socket.navigation()

    run(scenario)


def test_redirect_to_a_plain_page_shows_the_flash_once(
    run: Callable[..., None],
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "Off you go."})
        await socket.event("redirect", {"to": "/plain"})
        token = socket.navigation()["flash"]

        # What app.js does: set the cookie, then load the page.
        browser.set_cookie("__phoenix_flash__", token)
        response = await browser.get("/plain")
        assert response.text == "info=Off you go."
        assert _cookies(response)["__phoenix_flash__"].startswith(";")  # deleted
        assert (await browser.get("/plain")).text == "info=None"

        # The same token replayed in this browser: already spent.
        browser.set_cookie("__phoenix_flash__", token)
        assert (await browser.get("/plain")).text == "info=None"

    run(scenario)


def test_sign_out_redirects_into_the_plain_home_page(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/settings")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("sign-out")
        browser.set_cookie("__phoenix_flash__", socket.navigation()["flash"])
        home = await browser.get("/")
        assert f'id="flash-info" role="status">{SIGNED_OUT}</p>' in home.text
        assert SIGNED_OUT not in (await browser.get("/")).text

    run(scenario)


def test_redirect_into_a_live_view_reaches_both_renders(
    run: Callable[..., None],
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "Reloaded."})
        await socket.event("redirect", {"to": "/nav/other"})
        browser.set_cookie("__phoenix_flash__", socket.navigation()["flash"])
        other = await browser.page("/nav/other")
        assert '<p id="flash-info">Reloaded.</p>' in other.html
        assert "Reloaded." in await (await browser.connect()).join(other)
        assert "Reloaded." not in (await browser.page("/nav/other")).html

    run(scenario)


def test_put_flash_stores_what_flashmw_stores(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put-typed")
        await socket.event("redirect", {"to": "/plain-typed"})
        browser.set_cookie("__phoenix_flash__", socket.navigation()["flash"])
        response = await browser.get("/plain-typed")
        assert response.text == repr(TYPED)

    async def typed(request: Request) -> Response:
        return PlainTextResponse(repr(current_flash()["data"]))

    app = make_app(FakeClock())
    app.routes.insert(0, Route("/plain-typed", typed))
    run(scenario, app)


def test_put_flash_replaces_and_refuses_what_cannot_be_stored(
    run: Callable[..., None],
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "First"})
        assert "Second" in await socket.event("put", {"key": "info", "value": "Second"})
        diff = await socket.event("put-bad")
        assert "TypeError: object cannot be flashed" in diff
        await socket.event("push", {"to": "/nav/other"})
        rendered = await socket.join(
            page, redirect="/nav/other", flash=socket.navigation()["flash"]
        )
        assert "Second" in rendered
        assert "First" not in rendered

    run(scenario)


# -- dismissing --------------------------------------------------------------


@pytest.mark.parametrize("key", ["info", None])
def test_dismissed_notices_stay_gone(run: Callable[..., None], key: str | None) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/welcome", "POST")
        socket = await browser.connect()
        assert WELCOME in await socket.join(page)
        value = {"key": key} if key else {}
        diff = await socket.event("lv:clear-flash", value)
        assert WELCOME not in diff
        # Nothing brings it back: a reload, its connected render, a save.
        reloaded = await browser.page("/settings")
        assert WELCOME not in reloaded.html
        again = await browser.connect()
        assert WELCOME not in await again.join(reloaded)
        assert SAVED in await again.form("save", "name=Ann")
        assert BLANK_NAME in await again.form("save", "name=+")

    run(scenario)


def test_a_dismissed_put_does_not_travel(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "Dismiss me."})
        await socket.event("put", {"key": "error", "value": "Keep me."})
        await socket.event("clear", {"key": "info"})
        await socket.event("push", {"to": "/nav/other"})
        rendered = await socket.join(
            page, redirect="/nav/other", flash=socket.navigation()["flash"]
        )
        assert "Keep me." in rendered
        assert "Dismiss me." not in rendered

    run(scenario)


# -- the token ---------------------------------------------------------------


async def _leave_token(browser: LiveBrowser) -> tuple[LivePage, LiveSocket, str]:
    page = await browser.page("/settings")
    socket = await browser.connect()
    await socket.join(page)
    await socket.event("leave")
    return page, socket, str(socket.navigation()["flash"])


def _tampered(token: str) -> Iterator[str]:
    payload, stamp, signature = token.split(".")
    yield f"{payload}x.{stamp}.{signature}"
    last = "B" if signature.endswith("A") else "A"
    yield f"{payload}.{stamp}.{signature[:-1]}{last}"
    yield f"{payload}.{stamp}"
    yield "garbage"
    yield ""


def test_tampered_tokens_read_as_nothing_and_are_logged(
    run: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page, socket, token = await _leave_token(browser)
        for bad in _tampered(token):
            assert LEAVING not in await socket.join(page, redirect="/about", flash=bad)
            browser.set_cookie("__phoenix_flash__", bad)
            assert (await browser.get("/plain")).text == "info=None"

    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        run(scenario)
    assert "flashmw ignored a PyView flash token: signature does not match" in (
        caplog.text
    )


def test_a_token_for_another_path_or_browser_reads_as_nothing(
    run: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page, socket, token = await _leave_token(browser)
        assert LEAVING not in await socket.join(page, redirect="/nav", flash=token)
        # Another browser (another cookie jar) cannot use it.
        thief = new_browser()
        thief_page = await thief.page("/settings")
        thief_socket = await thief.connect()
        await thief_socket.join(thief_page)
        assert LEAVING not in await thief_socket.join(
            thief_page, redirect="/about", flash=token
        )

    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        run(scenario)
    assert "made for '/about', not '/nav'" in caplog.text
    assert "made for another browser" in caplog.text


def test_a_foreign_token_reads_as_nothing(
    run: Callable[..., None], clock: FakeClock
) -> None:
    foreign_app = make_app(clock, secret_key="another-app-entirely-0123456789abcdef")

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        foreign = LiveBrowser(foreign_app)
        try:
            _, _, token = await _leave_token(foreign)
        finally:
            await foreign.close()
        browser = new_browser()
        page = await browser.page("/settings")
        socket = await browser.connect()
        await socket.join(page)
        assert LEAVING not in await socket.join(page, redirect="/about", flash=token)

    run(scenario)


@pytest.mark.parametrize(
    ("max_age", "wait", "shown"),
    [(None, 60, True), (None, 61, False), (5, 5, True), (5, 6, False)],
)
def test_tokens_expire_by_the_clock(
    run: Callable[..., None],
    clock: FakeClock,
    max_age: int | None,
    wait: int,
    shown: bool,
) -> None:
    options = {} if max_age is None else {"token_max_age": max_age}
    app = make_app(clock, **options)

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page, socket, token = await _leave_token(browser)
        clock.advance(wait)
        rendered = await socket.join(page, redirect="/about", flash=token)
        assert (LEAVING in rendered) is shown
        # The join cookie expires the same way.
        welcome = await browser.page("/welcome", "POST")
        clock.advance(wait)
        joined = await (await browser.connect()).join(welcome)
        assert (WELCOME in joined) is shown

    run(scenario, app)


@pytest.mark.parametrize(("fallback", "shown"), [(True, True), (False, False)])
def test_tokens_follow_key_rotation(
    run: Callable[..., None], clock: FakeClock, fallback: bool, shown: bool
) -> None:
    old_app = make_app(clock, secret_key=OLD_SECRET)
    fallback_keys = [OLD_SECRET] if fallback else []
    new_app = make_app(clock, fallback_keys=fallback_keys)

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        # One browser, and the server restarts with a new key in between.
        old = LiveBrowser(old_app)
        new = LiveBrowser(new_app)
        try:
            _, _, token = await _leave_token(old)
            new.http.cookies = old.http.cookies
            new_page = await new.page("/settings")
            new_socket = await new.connect()
            await new_socket.join(new_page)
            rendered = await new_socket.join(new_page, redirect="/about", flash=token)
            assert (LEAVING in rendered) is shown
        finally:
            await old.close()
            await new.close()

    run(scenario, new_app)


async def _no_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("never called")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"token_max_age": 0}, "token_max_age must be a finite number of seconds"),
        ({"live_cookie_name": "bad name"}, "live_cookie_name 'bad name'"),
        ({"live_cookie_name": "flash"}, "live_cookie_name must not be 'flash'"),
        ({"secret_key": ""}, "secret_key must be a non-empty"),
    ],
)
def test_bad_options_are_value_errors(options: dict[str, Any], message: str) -> None:
    options = {"secret_key": SECRET, **options}
    with pytest.raises(ValueError, match=message):
        PyViewFlashMiddleware(_no_app, **options)


# -- edges -------------------------------------------------------------------


class MountView(NavView):
    """Puts a flash in ``mount``, before the first render."""

    async def mount(self, socket: LiveViewSocket[dict[str, Any]], session: Any) -> None:
        socket.context = {}
        socket.put_flash("info", "From mount.")


def test_a_flash_put_in_mount_is_shown_and_travels(
    run: Callable[..., None], clock: FakeClock
) -> None:
    app = make_app(clock)
    app.add_live_view("/mount", MountView)

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/mount")
        assert "From mount." in page.html
        socket = await browser.connect()
        assert "From mount." in await socket.join(page)
        await socket.event("push", {"to": "/nav"})
        rendered = await socket.join(
            page, redirect="/nav", flash=socket.navigation()["flash"]
        )
        assert "From mount." in rendered

    run(scenario, app)


def test_live_flash_is_a_checked_mapping() -> None:
    def check(key: str, value: Any) -> None:
        if value is None:
            raise TypeError("no")

    live = LiveFlash(check, {"shown": 1}, {"put": 2})
    assert len(live) == 2
    assert repr(live) == "LiveFlash({'shown': 1, 'put': 2})"
    assert live.put_here() == {"put": 2}
    with pytest.raises(TypeError):
        live["x"] = None
    del live["put"]
    assert live.put_here() == {}
    assert live.pop("shown") == 1
    assert not live


def test_put_flash_checks_keys_and_values() -> None:
    middleware = PyViewFlashMiddleware(_no_app, secret_key=SECRET)
    bridge: Any = middleware.app
    with pytest.raises(TypeError, match="flash key must be a str, not int"):
        bridge.tokens.check(1, "x")
    with pytest.raises(TypeError, match="object cannot be flashed"):
        bridge.tokens.check("k", object())


def test_navigation_off_site_carries_nothing_and_says_so(
    run: Callable[..., None], caplog: pytest.LogCaptureFixture
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
    assert "dropped the flash ['info']" in caplog.text


def test_overlong_tokens_read_as_nothing(
    run: Callable[..., None], caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page, socket, token = await _leave_token(browser)
        long = token + "A" * 4000
        assert LEAVING not in await socket.join(page, redirect="/about", flash=long)

    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        run(scenario)
    assert "characters is too long" in caplog.text


def test_a_browser_without_cookies_gets_unbound_tokens(
    run: Callable[..., None],
) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        browser.http.cookies.clear()  # cookies blocked after the page loaded
        socket = await browser.connect()
        await socket.join(page)
        await socket.event("put", {"key": "info", "value": "Unbound."})
        await socket.event("push", {"to": "/nav/other"})
        token = socket.navigation()["flash"]
        assert "Unbound." in await socket.join(page, redirect="/nav/other", flash=token)
        # A browser that has the binding cookie cannot take it.
        bound = new_browser()
        bound_page = await bound.page("/nav/other")
        bound_socket = await bound.connect()
        await bound_socket.join(bound_page)
        rendered = await bound_socket.join(
            bound_page, redirect="/nav/other", flash=token
        )
        assert "Unbound." not in rendered

    run(scenario)


def test_spent_tokens_are_remembered_within_bounds(run: Callable[..., None]) -> None:
    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        browser = new_browser()
        page = await browser.page("/nav")
        socket = await browser.connect()
        await socket.join(page)
        # A binding cookie with an expired and a malformed entry: ignored.
        live = browser.http.cookies["flashmw_live"]
        browser.set_cookie("flashmw_live", f"{live}.old~1.junk")
        for number in range(20):
            await socket.event("put", {"key": "info", "value": f"No. {number}"})
            await socket.event("redirect", {"to": "/plain"})
            browser.set_cookie("__phoenix_flash__", socket.navigation()["flash"])
            assert (await browser.get("/plain")).text == f"info=No. {number}"
        spent = browser.http.cookies["flashmw_live"].split(".")
        assert spent[0] == live
        assert len(spent) == 1 + 16  # MAX_SPENT, the oldest gone

    run(scenario)


def test_a_token_that_does_not_fit_the_flash_is_logged(
    run: Callable[..., None], clock: FakeClock, caplog: pytest.LogCaptureFixture
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
    assert "dropped the flash 'error'" in caplog.text


def test_pyview_without_the_middleware_keeps_its_own_flash(
    run: Callable[..., None],
) -> None:
    from pyview import PyView

    bare = PyView()
    bare.add_live_view("/mount", MountView)

    async def scenario(new_browser: Callable[[], LiveBrowser]) -> None:
        page = await new_browser().page("/mount")
        assert "From mount." in page.html

    run(scenario, bare)


def test_lifespan_passes_through(clock: FakeClock) -> None:
    async def main() -> None:
        communicator = ApplicationCommunicator(  # type: ignore[no-untyped-call]
            make_app(clock), {"type": "lifespan", "asgi": {"version": "3.0"}}
        )
        await communicator.send_input({"type": "lifespan.startup"})  # type: ignore[no-untyped-call]
        started = await communicator.receive_output(5)  # type: ignore[no-untyped-call]
        assert started["type"] == "lifespan.startup.complete"
        await communicator.send_input({"type": "lifespan.shutdown"})  # type: ignore[no-untyped-call]
        stopped = await communicator.receive_output(5)  # type: ignore[no-untyped-call]
        assert stopped["type"] == "lifespan.shutdown.complete"

    asyncio.run(main())


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/a%20b?x=1", "/a b"),
        ("http://testserver/about", "/about"),
        ("http://testserver", "/"),
        ("//elsewhere.example/x", None),
        ("mailto:someone@example.com", None),
        ("", None),
        (None, None),
    ],
)
def test_paths(url: Any, path: str | None) -> None:
    assert _path(url) == path


@pytest.mark.parametrize(
    "text", ["phx_ not json", "[1, 2]", '{"phx_join": 1}', '[1, 2, 3, "phx_join", []]']
)
def test_other_messages_are_not_phoenix_messages(text: str) -> None:
    assert _phoenix(text) is None
