"""Servers that read status and headers when the application call returns.

granian's WSGI server takes ``start_response`` only while the application
call runs and ignores a later call (emmett-framework/granian#845, closed as
wontfix); a stricter server could refuse one outright. PEP 3333 allows a
late call, so flashmw used to hold ``start_response`` until the body's
first chunk, and every Flask response went out on granian as ``200`` with
no headers. These stand-ins behave like such servers; every app style
must answer them with its own status and headers, and the flash's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, redirect
from werkzeug.test import EnvironBuilder

from flashmw import FlashMiddleware, current_flash, get_flash, get_flashed_messages
from flashmw import flash as flash_message
from flashmw.testing import assert_flashes, make_cookie, read_flash

from .harness import SECRET

OPTIONS: dict[str, Any] = {"secret_key": SECRET}


@dataclass
class Answer:
    """What the stand-in server sent to the client."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[0] if found else None

    def cookie_header(self) -> str:
        """The ``Cookie`` header a browser sends back after this response."""
        pairs = [
            value.split(";")[0]
            for name, value in self.headers
            if name.lower() == "set-cookie" and "Max-Age=0" not in value
        ]
        return "; ".join(pairs)


class CallReturnServer:
    """A WSGI server stand-in that takes status and headers at the call's return.

    ``forbid=False`` is granian: a later ``start_response`` is silently
    ignored, and the response keeps granian's defaults (200, no headers).
    ``forbid=True`` refuses a later call with an exception.
    ``write=False`` gives no ``write()`` callable, as granian does not.
    """

    def __init__(self, *, forbid: bool, write: bool = True) -> None:
        self.forbid = forbid
        self.write = write
        self.ignored: list[str] = []

    def request(
        self, app: Any, path: str = "/", method: str = "GET", cookie: str | None = None
    ) -> Answer:
        environ = EnvironBuilder(path=path, method=method).get_environ()
        if cookie is not None:
            environ["HTTP_COOKIE"] = cookie
        status, headers = 200, []
        written: list[bytes] = []
        returned = False

        def start_response(
            line: str, sent: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object] | None:
            nonlocal status, headers
            if returned:
                if self.forbid:
                    raise AssertionError(
                        "start_response after the application returned"
                    )
                self.ignored.append(line)
            else:
                status, headers = int(line[:3]), list(sent)
            return written.append if self.write else None

        body = app(environ, start_response)
        returned = True
        try:
            chunks = [*written, *body]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return Answer(status, headers, b"".join(chunks))


SERVERS = {
    "ignores-late": lambda: CallReturnServer(forbid=False),
    "forbids-late": lambda: CallReturnServer(forbid=True),
}


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> CallReturnServer:
    server: CallReturnServer = SERVERS[request.param]()
    return server


def flask_app() -> Any:
    """A Flask login that flashes and redirects, and a page that shows it."""
    app = Flask(__name__)

    @app.post("/login")
    def login() -> Any:
        flash_message("Logged in.")
        return redirect("/")

    @app.get("/")
    def index() -> str:
        return "|".join(get_flashed_messages())

    @app.get("/plain")
    def plain() -> str:
        return "untouched"

    app.wsgi_app = FlashMiddleware(app.wsgi_app, **OPTIONS)  # type: ignore[method-assign]
    return app


def test_flask_login_redirects_with_location_and_cookie(
    server: CallReturnServer,
) -> None:
    app = flask_app()
    login = server.request(app, "/login", method="POST")
    assert login.status == 302
    assert login.header("Location") == "/"
    assert login.header("Content-Type") == "text/html; charset=utf-8"
    assert_flashes(OPTIONS, login.headers, ["Logged in."])
    home = server.request(app, "/", cookie=login.cookie_header())
    assert home.status == 200
    assert home.body == b"Logged in."
    assert home.header("Vary") == "Cookie"
    assert_flashes(OPTIONS, home.headers, [])
    assert server.ignored == []


def test_an_untouched_flask_page_keeps_its_headers(server: CallReturnServer) -> None:
    untouched = server.request(flask_app(), "/plain")
    assert untouched.status == 200
    assert untouched.header("Content-Length") == "9"
    assert untouched.header("Vary") is None
    assert untouched.body == b"untouched"


def bare_app(environ: Any, start_response: Any) -> Iterator[bytes]:
    """A plain WSGI app whose body is an iterator, not a list."""
    get_flash(environ).add("Saved.")
    start_response("303 See Other", [("Location", "/done")])
    return iter([b"moved"])


def generator_body_app(environ: Any, start_response: Any) -> Iterator[bytes]:
    """An app that returns a generator which reads the flash as it renders."""
    start_response("200 OK", [("Content-Type", "text/plain")])

    def render() -> Iterator[bytes]:
        yield b""
        yield ", ".join(current_flash().get_flashed_messages()).encode()
        yield b" (end)"

    return render()


def generator_app(environ: Any, start_response: Any) -> Iterator[bytes]:
    """A generator function as the app: nothing runs until the first chunk."""
    current_flash().add("From a generator.")
    start_response("201 Created", [("Location", "/new")])
    yield b"created"


def write_app(environ: Any, start_response: Any) -> list[bytes]:
    """An app that pushes its body through ``write()``."""
    write = start_response("202 Accepted", [("X-Pushed", "1")])
    get_flash(environ).add("Queued.")
    write(b"pushed")
    return [b" and returned"]


def test_a_bare_app_with_an_iterator_body(server: CallReturnServer) -> None:
    answer = server.request(FlashMiddleware(bare_app, **OPTIONS))
    assert (answer.status, answer.header("Location")) == (303, "/done")
    assert_flashes(OPTIONS, answer.headers, ["Saved."])
    assert answer.body == b"moved"


def test_a_generator_body_that_reads_before_its_first_bytes(
    server: CallReturnServer,
) -> None:
    cookie = make_cookie(OPTIONS, ["Hi"]).header
    answer = server.request(
        FlashMiddleware(generator_body_app, **OPTIONS), cookie=cookie
    )
    assert answer.status == 200
    assert answer.header("Content-Type") == "text/plain"
    assert answer.body == b"Hi (end)"
    assert answer.header("Vary") == "Cookie"
    assert_flashes(OPTIONS, answer.headers, [])  # shown, so consumed


def test_a_generator_function_app(server: CallReturnServer) -> None:
    answer = server.request(FlashMiddleware(generator_app, **OPTIONS))
    assert (answer.status, answer.header("Location")) == (201, "/new")
    assert_flashes(OPTIONS, answer.headers, ["From a generator."])
    assert answer.body == b"created"


def test_a_write_app(server: CallReturnServer) -> None:
    answer = server.request(FlashMiddleware(write_app, **OPTIONS))
    assert (answer.status, answer.header("X-Pushed")) == (202, "1")
    assert_flashes(OPTIONS, answer.headers, ["Queued."])
    assert answer.body == b"pushed and returned"


def test_write_on_a_server_without_write_is_a_type_error() -> None:
    server = CallReturnServer(forbid=False, write=False)
    with pytest.raises(TypeError, match="no write"):
        server.request(FlashMiddleware(write_app, **OPTIONS))


def late_reader_app(environ: Any, start_response: Any) -> Iterator[bytes]:
    """A body that first touches the flash after its first bytes."""
    start_response("200 OK", [("Cache-Control", "public, max-age=60")])
    yield b"<h1>Page</h1>"
    yield "|".join(current_flash().get_flashed_messages()).encode()
    current_flash().add("Too late to store.")


def test_a_late_first_read_shows_nothing_and_keeps_the_messages(
    server: CallReturnServer, caplog: pytest.LogCaptureFixture
) -> None:
    app = FlashMiddleware(late_reader_app, **OPTIONS)
    cookie = make_cookie(OPTIONS, ["Private to Ann"]).header
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        answer = server.request(app, cookie=cookie)
    # Cacheable and without Vary: Cookie, so it must carry no flash.
    assert answer.status == 200
    assert answer.header("Vary") is None
    assert answer.body == b"<h1>Page</h1>"
    assert read_flash(OPTIONS, answer.headers) is None  # the cookie is kept
    assert "first read after the response headers went out" in caplog.text
    assert "written after the response headers went out" in caplog.text


class FailingBody:
    """A body that fails before its first bytes and counts ``close()``."""

    def __init__(self) -> None:
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        yield b""
        raise RuntimeError("failed before the first bytes")

    def close(self) -> None:
        self.closed += 1


def test_a_body_failing_before_its_first_bytes_is_closed_and_raises() -> None:
    body = FailingBody()

    def app(environ: Any, start_response: Any) -> FailingBody:
        get_flash(environ).get_flashed_messages()
        start_response("200 OK", [])
        return body

    server = CallReturnServer(forbid=True)
    with pytest.raises(RuntimeError, match="before the first bytes"):
        server.request(FlashMiddleware(app, **OPTIONS))
    assert body.closed == 1
