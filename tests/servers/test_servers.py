"""The examples on every real server, over real HTTP (``tox -e servers``).

Each case is one app on one server, spoken to over HTTP/1.1, cleartext
HTTP/2 (h2c) or HTTP/2 over TLS where the server has them. Each check is
what a user does: the example's own flow, a streamed page, a ``HEAD``, a
bad cookie, and a cookie header with a non-UTF-8 neighbour. A server bug
flashmw cannot fix is a strict expected failure naming its upstream issue.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from _pytest.mark import ParameterSet

from examples import secret_key
from examples.login_wsgi.app import WRONG_LOGIN
from examples.settings_starlette.app import BLANK_NAME, SAVED
from flashmw.testing import FlashState, make_cookie, read_flash

from . import matrix
from .apps import FIRST_CHUNK

if os.environ.get("FLASHMW_SERVERS") != "1":
    pytest.skip(
        "real-server matrix: run it with tox -e servers (FLASHMW_SERVERS=1)",
        allow_module_level=True,
    )

OPTIONS = {"secret_key": secret_key()}
LOGIN = {"cname": "mrexamples", "pwd": "mrexamples"}
LOGGED_IN = "mrexamples account were successfully logged in"
CASES = matrix.cases()


def cases_for(check: str) -> list[ParameterSet]:
    """Every case, marked for ``check``: skipped if missing, xfail if known."""
    params = []
    for case in CASES:
        marks: list[pytest.MarkDecorator] = [pytest.mark.check(check)]
        missing = case.server.missing()
        if missing:
            marks.append(pytest.mark.skip(reason=missing))
        known = case.known(check)
        if known:
            marks.append(pytest.mark.xfail(strict=True, reason=known))
        params.append(pytest.param(case, marks=marks, id=case.id))
    return params


def parametrize(check: str) -> pytest.MarkDecorator:
    # Module scope: pytest runs every check of one case before the next
    # case, so each server process starts once.
    return pytest.mark.parametrize("case", cases_for(check), scope="module")


class Browser:
    """An httpx client with a cookie jar, held to one protocol."""

    def __init__(self, case: matrix.Case, running: matrix.Running) -> None:
        self.protocol = case.protocol
        options: dict[str, Any] = {"http1": True, "http2": False}
        if case.protocol == matrix.H2C:
            # Prior knowledge: HTTP/2 from the first byte, no upgrade.
            options = {"http1": False, "http2": True}
        elif case.protocol == matrix.H2:
            assert running.tls is not None
            options = {"http1": False, "http2": True}
            options["verify"] = running.tls.client_context()
        self.client = httpx.Client(
            base_url=running.url(case.protocol), timeout=20, **options
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        expected = "HTTP/1.1" if self.protocol == matrix.H1 else "HTTP/2"
        assert response.http_version == expected
        # Bad input is empty state or a 4xx, never a 5xx.
        assert response.status_code < 500, response.text
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.request("POST", path, data=data)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def browser(case: matrix.Case, launcher: matrix.Launcher) -> Iterator[Browser]:
    """A fresh client for the case's server, started if it is not running."""
    opened = Browser(case, launcher.get(case.server, case.app))
    yield opened
    opened.close()


def vary(response: httpx.Response) -> str:
    return ", ".join(response.headers.get_list("vary"))


def flash_and_expect(case: matrix.Case, browser: Browser) -> tuple[str, str]:
    """Flash the app's own notice; return it as a page and as a stream show it."""
    if case.app in matrix.WSGI_APPS:
        login = browser.post("/login", data=LOGIN)
        assert login.status_code == 302
        return LOGGED_IN, LOGGED_IN
    saved = browser.post("/", data={"name": ""})
    assert saved.status_code == 303
    return BLANK_NAME, f"error={BLANK_NAME}"


@parametrize("flow")
def test_flow(case: matrix.Case, browser: Browser) -> None:
    """The example's own flow, as in its docstring."""
    flows: dict[str, Callable[[Browser], None]] = {
        "login_wsgi": login_flow,
        "login_flask": login_flow,
        "settings_starlette": settings_flow,
    }
    flows[case.app](browser)


def login_flow(browser: Browser) -> None:
    home = browser.get("/")
    assert home.status_code == 200
    assert "Message Flashing Testing" in home.text
    assert LOGGED_IN not in home.text
    assert "Client Name" in browser.get("/login").text

    wrong = browser.post("/login", data={**LOGIN, "pwd": "wrong"})
    assert wrong.status_code == 200
    assert WRONG_LOGIN in wrong.text
    assert read_flash(OPTIONS, wrong) is None

    login = browser.post("/login", data=LOGIN)
    assert login.status_code == 302
    assert login.headers["location"] in ("/", f"{browser.client.base_url}/")
    stored = read_flash(OPTIONS, login)
    assert stored is not None
    assert stored.get_flashed_messages() == [LOGGED_IN]
    assert "Cookie" in vary(login)

    home = browser.get("/")
    assert LOGGED_IN in home.text
    assert "Cookie" in vary(home)
    assert read_flash(OPTIONS, home) == FlashState()  # deleted
    assert LOGGED_IN not in browser.get("/").text


def settings_flow(browser: Browser) -> None:
    page = browser.get("/")
    assert page.status_code == 200
    assert BLANK_NAME not in page.text
    assert SAVED not in page.text

    blank = browser.post("/", data={"name": ""})
    assert blank.status_code == 303
    stored = read_flash(OPTIONS, blank)
    assert stored is not None
    assert stored.values == {"error": BLANK_NAME}
    # The notice stays until dismissed (the page keeps it).
    assert BLANK_NAME in browser.get("/").text
    assert BLANK_NAME in browser.get("/").text

    saved = browser.post("/", data={"name": "Ann"})
    assert saved.status_code == 303
    page = browser.get("/")
    assert SAVED in page.text
    assert BLANK_NAME not in page.text
    assert 'value="Ann"' in page.text

    dismissed = browser.post("/_flash", data={"key": "info"})  # the endpoint
    assert dismissed.status_code == 204
    assert SAVED not in browser.get("/").text


@parametrize("stream")
def test_stream(case: matrix.Case, browser: Browser) -> None:
    """A streamed page: a late first read shows nothing; an early one commits."""
    _, streamed = flash_and_expect(case, browser)

    late = browser.get("/stream-late")
    assert late.status_code == 200
    assert late.text == f"{FIRST_CHUNK}flashes:"
    assert "Cookie" not in vary(late)  # so it carries no flash content
    assert read_flash(OPTIONS, late) is None  # and leaves the cookie alone

    early = browser.get("/stream")
    assert early.text == f"flashes:{streamed}"
    assert "Cookie" in vary(early)
    assert read_flash(OPTIONS, early) == FlashState()  # consumed
    assert browser.get("/stream").text == "flashes:"


@parametrize("head")
def test_head(case: matrix.Case, browser: Browser) -> None:
    """``HEAD`` answers like ``GET`` without a body and consumes nothing."""
    shown, _ = flash_and_expect(case, browser)
    head = browser.request("HEAD", "/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    assert read_flash(OPTIONS, head) is None
    assert shown in browser.get("/").text


BAD_COOKIES = [
    b"flash=forged.value.signature",
    b"flash=" + b"A" * 3000 + b".AAAA.AAAA",
    b'flash="unterminated',
    b"flash=\xff\xfe; other=\x80",
]


@parametrize("bad-cookie")
def test_bad_cookie(case: matrix.Case, browser: Browser) -> None:
    """Forged, oversized, malformed or non-UTF-8 flash cookies read as empty."""
    shown, _ = flash_and_expect(case, browser)
    for cookie in BAD_COOKIES:
        # An explicit Cookie header replaces the jar's for this request.
        page = browser.get("/", headers={"cookie": cookie})
        assert page.status_code == 200
        assert shown not in page.text


@parametrize("latin1-cookie")
def test_latin1_cookie(case: matrix.Case, browser: Browser) -> None:
    """A valid flash cookie still shows next to a cookie that is not UTF-8."""
    waiting = "Waiting for you."
    if case.app in matrix.WSGI_APPS:
        flash = make_cookie(OPTIONS, [waiting])
    else:  # the settings page shows keyed values only
        flash = make_cookie(OPTIONS, values={"info": waiting})
    header = b"tracker=caf\xe9; " + flash.header.encode()
    page = browser.get("/", headers={"cookie": header})
    assert page.status_code == 200
    assert waiting in page.text


@parametrize("crumbs")
def test_cookie_crumbs(case: matrix.Case, browser: Browser) -> None:
    """The flash cookie after others, sent as a browser sends them.

    One ``Cookie`` header on HTTP/1.1; on HTTP/2 one field per cookie
    (RFC 9113 8.2.3 "crumbs"), which the server must join with ``; ``.
    """
    waiting = "Behind other cookies."
    if case.app in matrix.WSGI_APPS:
        flash = make_cookie(OPTIONS, [waiting])
    else:
        flash = make_cookie(OPTIONS, values={"info": waiting})
    crumbs = ["theme=dark", "session=abc", flash.header]
    if case.protocol == matrix.H1:
        headers = [("cookie", "; ".join(crumbs))]
    else:
        headers = [("cookie", crumb) for crumb in crumbs]
    page = browser.get("/", headers=headers)
    assert page.status_code == 200
    assert waiting in page.text
