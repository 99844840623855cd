"""PEP 3333 conformance under a real server handler and the reference validator.

``test_wsgi.py`` checks the middleware's own mechanics against a recording
fake server. Here the server side is ``wsgiref.handlers.SimpleHandler``,
which implements PEP 3333's ``start_response``, ``exc_info`` and ``close()``
rules itself, and ``wsgiref.validate.validator`` wraps both sides of the
middleware for every scenario route.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import Any
from wsgiref.handlers import SimpleHandler
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from flashmw import FlashMiddleware, current_flash, get_flash

from .harness import ROUTES, SECRET, scenario_wsgi_app


class Served:
    """One request served by wsgiref's handler, as raw bytes on the wire."""

    def __init__(
        self,
        app: Any,
        cookie: str | None = None,
        *,
        body: bytes = b"",
        **environ: str,
    ) -> None:
        base: dict[str, Any] = {"QUERY_STRING": ""}
        setup_testing_defaults(base)
        base.update(environ)
        if cookie is not None:
            base["HTTP_COOKIE"] = cookie
        self.stdout = io.BytesIO()
        self.stderr = io.StringIO()
        handler = SimpleHandler(
            io.BytesIO(body), self.stdout, self.stderr, base, multithread=False
        )
        handler.run(app)
        head, _, self.body = self.stdout.getvalue().partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = [tuple(line.split(": ", 1)) for line in lines[1:]]

    def cookie(self) -> str | None:
        """The ``name=value`` of the flash ``Set-Cookie``, if any."""
        values = [v for k, v in self.headers if k == "Set-Cookie"]
        return values[0].split(";")[0] if values else None


def _validated(app: Any) -> Any:
    # The app must be valid for the middleware, and the middleware a valid
    # app for the server.
    return validator(FlashMiddleware(validator(app), secret_key=SECRET))


ROUTE_QUERIES = {
    "/flash": "m=one|two&c=info",
    "/show": "c=info",
    "/show-twice": "",
    "/keep": "",
    "/put": "k=info&v=Saved.",
    "/get": "k=info,error",
    "/attr": "k=info",
    "/keys": "",
    "/clear": "k=info",
    "/ignore": "",
    "/raise": "",
    "/status": "s=503&m=new",
    "/stream": "",
    "/stream-late": "",
    "/vary": "v=Accept|Accept-Language",
    "/add": "m=added&k=info",
}


def test_every_route_has_a_conformance_case() -> None:
    assert set(ROUTE_QUERIES) == set(ROUTES)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("path", sorted(ROUTE_QUERIES))
def test_every_scenario_under_the_validator_and_a_real_handler(
    path: str, scheme: str, method: str
) -> None:
    app = _validated(scenario_wsgi_app)
    seed = Served(app, PATH_INFO="/flash", QUERY_STRING="m=seed")
    put = Served(  # a keyed value too, for the keyed routes
        app,
        seed.cookie(),
        PATH_INFO="/put",
        QUERY_STRING="k=info&v=kept",
    )
    served = Served(
        app,
        put.cookie(),
        PATH_INFO=path,
        QUERY_STRING=ROUTE_QUERIES[path],
        REQUEST_METHOD=method,
        # The handler derives wsgi.url_scheme from the CGI variable HTTPS.
        HTTPS="on" if scheme == "https" else "off",
    )
    if path == "/raise":
        # The handler turns the app's exception into its own 500 page and
        # logs it: nothing from the middleware, and no flash written.
        assert served.status == 500
        assert "the app failed after reading the flash" in served.stderr.getvalue()
        assert served.cookie() is None
        return
    assert served.stderr.getvalue() == ""
    assert served.status in (200, 302, 503)
    cookie = [v for k, v in served.headers if k == "Set-Cookie"]
    if cookie:
        assert ("Secure" in cookie[0]) is (scheme == "https")
    # Untouched when the headers go out: no Vary (and no flash content).
    untouched = path in ("/ignore", "/stream-late")
    assert any(k == "Vary" and "Cookie" in v for k, v in served.headers) is not (
        untouched
    )


class Closing:
    """A body that counts ``close()`` calls and can fail part-way."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for i, chunk in enumerate([b"", b"one ", b"two"]):
            if i == self.fail_at:
                raise RuntimeError(f"body failed at chunk {i}")
            yield chunk

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize(
    "fail_at",
    [
        pytest.param(None, id="success"),
        pytest.param(0, id="error-before-headers"),
        pytest.param(2, id="error-after-headers"),
    ],
)
def test_close_is_called_exactly_once_by_a_real_handler(fail_at: int | None) -> None:
    closing = Closing(fail_at)

    def app(environ: Any, start_response: Any) -> Closing:
        get_flash(environ).add("streamed")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return closing

    served = Served(_validated(app))
    assert closing.closed == 1
    if fail_at is None:
        assert served.body == b"one two"
        assert served.cookie() is not None
    elif fail_at == 0:
        # Nothing was sent: the handler can still answer 500, and the
        # flash's headers never went out.
        assert served.status == 500
        assert served.cookie() is None
    else:
        assert served.status == 200
        assert served.body == b"one "
        assert "body failed at chunk 2" in served.stderr.getvalue()


def test_exc_info_after_headers_are_sent_reaches_the_server() -> None:
    closing: list[str] = []

    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            current_flash().add("streaming")
            yield b"partial"
            try:
                raise ValueError("mid-stream failure")
            except ValueError:
                # PEP 3333: with headers sent, start_response re-raises.
                start_response("500 Oops", [], sys.exc_info())
            yield b"never"
        finally:
            closing.append("closed")

    served = Served(FlashMiddleware(app, secret_key=SECRET))
    assert served.status == 200
    assert served.body == b"partial"
    assert served.cookie() is not None  # committed with the first chunk
    assert "mid-stream failure" in served.stderr.getvalue()
    assert closing == ["closed"]


def test_exc_info_before_headers_replaces_the_response_under_the_validator() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        get_flash(environ).get_flashed_messages()
        try:
            raise KeyError("late failure")
        except KeyError:
            start_response(
                "500 Internal Server Error",
                [("Content-Type", "text/plain")],
                sys.exc_info(),
            )
        return [b"error page"]

    first = Served(_validated(_adder("shown again")))
    served = Served(_validated(app), first.cookie())
    assert (served.status, served.body) == (500, b"error page")
    assert served.cookie() is None  # a 5xx consumes nothing


def _adder(message: str) -> Any:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        get_flash(environ).add(message)
        start_response("204 No Content", [])
        return []

    return app


def test_a_generator_that_starts_the_response_lazily_under_a_real_handler() -> None:
    steps: list[str] = []

    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        steps.append("body started")
        shown = current_flash().get_flashed_messages()
        start_response("200 OK", [("Content-Type", "text/plain")])
        steps.append("start_response called")
        yield ", ".join(shown).encode()

    first = Served(_validated(_adder("lazy")))
    served = Served(_validated(app), first.cookie())
    assert steps == ["body started", "start_response called"]
    assert served.body == b"lazy"
    deleted = [v for k, v in served.headers if k == "Set-Cookie"]
    assert len(deleted) == 1
    assert "Max-Age=0" in deleted[0]


def test_write_callable_under_a_real_handler() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        get_flash(environ).add("pushed")
        write(b"pushed ")
        return [b"and returned"]

    served = Served(FlashMiddleware(app, secret_key=SECRET))
    assert served.body == b"pushed and returned"
    assert served.cookie() is not None


@pytest.mark.parametrize(
    ("environ", "body", "status"),
    [
        ({"PATH_INFO": "/_flash"}, b"", 200),
        ({"PATH_INFO": "/_flash", "REQUEST_METHOD": "HEAD"}, b"", 200),
        ({"PATH_INFO": "/_flash/flash.js"}, b"", 200),
        ({"PATH_INFO": "/_flash", "REQUEST_METHOD": "PUT"}, b"", 405),
        (
            {
                "PATH_INFO": "/_flash",
                "REQUEST_METHOD": "POST",
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": "14",
            },
            b"key=info&next=",
            303,
        ),
        (
            {
                "PATH_INFO": "/_flash",
                "REQUEST_METHOD": "POST",
                "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": "1",
            },
            b"{",
            400,
        ),
    ],
)
def test_the_endpoint_under_the_validator(
    environ: dict[str, str], body: bytes, status: int
) -> None:
    app = validator(
        FlashMiddleware(
            validator(scenario_wsgi_app),
            secret_key=SECRET,
            endpoint="/_flash",
            htmx=True,
        )
    )
    seed = Served(app, PATH_INFO="/put", QUERY_STRING="k=info&v=kept")
    served = Served(app, seed.cookie(), body=body, **environ)
    assert served.status == status, served.stderr.getvalue()
    assert "Error" not in served.stderr.getvalue()
