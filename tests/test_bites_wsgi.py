"""WSGI adapter rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import Any
from wsgiref.handlers import SimpleHandler
from wsgiref.validate import validator

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from flashmw import FlashMiddleware, current_flash
from flashmw import wsgi as wsgi_module
from flashmw.endpoint import MAX_BODY_BYTES
from flashmw.request import is_unseen
from flashmw.testing import read_flash

from .harness import SECRET, Result, WSGIHarness, _decode

JSON = "application/json"


def _endpoint() -> WSGIHarness:
    harness = WSGIHarness(endpoint="/_flash")
    harness.open("/flash?m=saved")
    return harness


def _send(harness: WSGIHarness, environ: dict[str, Any]) -> Result:
    """One request with this environ and the harness's cookie jar."""
    jar = harness.jar()
    if jar is not None:
        environ["HTTP_COOKIE"] = jar
    body, status, headers = run_wsgi_app(harness.app, environ, buffered=True)
    return Result(int(status[:3]), _decode(b"".join(body)), headers.to_wsgi_list())


def test_an_endpoint_request_without_a_method_reads_as_a_get() -> None:
    harness = _endpoint()
    environ = EnvironBuilder(path="/_flash").get_environ()
    del environ["REQUEST_METHOD"]
    result = _send(harness, environ)
    assert result.status == 200
    assert result.body == {
        "messages": [{"category": "message", "message": "saved"}],
        "values": {},
    }


def test_an_unparsable_content_length_reads_as_no_body() -> None:
    harness = _endpoint()
    environ = EnvironBuilder(
        path="/_flash", method="POST", content_type=JSON
    ).get_environ()
    # The bytes are there, but the length does not say how many to read.
    environ["CONTENT_LENGTH"] = "many"
    environ["wsgi.input"] = io.BytesIO(b"{")
    result = _send(harness, environ)
    assert result.status == 204  # an empty body: clear everything
    state = read_flash(harness.app, result.headers, cookies=harness.jar())
    assert state is not None
    assert state.messages == []


def _oversized(environ: dict[str, Any]) -> tuple[Result, io.BytesIO]:
    stream = io.BytesIO(b"x" * (MAX_BODY_BYTES + 100))
    environ["wsgi.input"] = stream
    return _send(_endpoint(), environ), stream


def test_an_oversized_body_is_read_one_byte_past_the_limit_and_no_further() -> None:
    environ = EnvironBuilder(path="/_flash", method="POST", content_type=JSON)
    declared = environ.get_environ()
    declared["CONTENT_LENGTH"] = str(MAX_BODY_BYTES + 100)
    result, stream = _oversized(declared)
    assert result.status == 413
    assert stream.tell() == MAX_BODY_BYTES + 1


def test_a_chunked_upload_is_read_one_byte_past_the_limit_and_no_further() -> None:
    environ = EnvironBuilder(path="/_flash", method="POST", content_type=JSON)
    chunked = environ.get_environ()
    chunked.pop("CONTENT_LENGTH", None)
    chunked["wsgi.input_terminated"] = True
    result, stream = _oversized(chunked)
    assert result.status == 413
    assert stream.tell() == MAX_BODY_BYTES + 1


def test_a_request_without_path_info_reaches_the_app() -> None:
    # PEP 3333: PATH_INFO may be absent for a request to the app's root.
    harness = _endpoint()
    environ = EnvironBuilder(path="/").get_environ()
    del environ["PATH_INFO"]
    result = _send(harness, environ)
    assert result.body == "the app answered: no such route"


def _served(body: list[bytes] | tuple[bytes, ...]) -> bytes:
    """What wsgiref's server writes for an app returning ``body``."""

    def app(environ: Any, start_response: Any) -> Any:
        current_flash().add("with a ready body")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    out = io.BytesIO()
    environ = EnvironBuilder(path="/").get_environ()
    handler = SimpleHandler(io.BytesIO(), out, sys.stderr, environ)
    handler.run(FlashMiddleware(app, secret_key=SECRET))
    return out.getvalue()


@pytest.mark.parametrize("body", [[b"ready"], (b"ready",)])
def test_a_ready_body_reaches_the_server_as_is(
    body: list[bytes] | tuple[bytes, ...],
) -> None:
    # The server sees a one-chunk list or tuple, so it can send its length.
    raw = _served(body)
    head, _, content = raw.partition(b"\r\n\r\n")
    assert content == b"ready"
    lines = head.split(b"\r\n")
    assert b"Content-Length: 5" in lines
    assert any(line.startswith(b"Set-Cookie: flash.") for line in lines)


class Server:
    """A server's start_response: re-raises exc_info once headers are out."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        if exc_info is not None and self.calls:
            raise exc_info[1].with_traceback(exc_info[2])
        self.calls.append((status, headers))
        return lambda data: None


def test_a_late_error_reaches_a_checking_server_as_raised() -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        try:
            raise ValueError("mid-stream")
        except ValueError:
            start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
        yield b"never"

    # The validator stands for a server that checks every start_response
    # call: what it is given after the headers went out is still well formed.
    body: Any = validator(FlashMiddleware(app, secret_key=SECRET))(_plain(), Server())
    chunks = iter(body)
    try:
        assert next(chunks) == b"partial"
        with pytest.raises(ValueError, match="mid-stream"):
            next(chunks)
    finally:
        body.close()


def _plain(cookie: str | None = None) -> dict[str, Any]:
    environ = EnvironBuilder(path="/").get_environ()
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    return environ


def test_a_status_line_without_a_space_is_read_by_its_three_digits() -> None:
    harness = WSGIHarness()
    harness.open("/flash?m=kept until shown")

    def app(environ: Any, start_response: Any) -> list[bytes]:
        shown = current_flash().get_flashed_messages()
        start_response("200OK", [("Content-Type", "text/plain")])
        return [", ".join(shown).encode()]

    server = Server()
    body = FlashMiddleware(app, secret_key=SECRET)(_plain(harness.jar()), server)
    assert list(body) == [b"kept until shown"]
    # A 200: what was shown is deleted, as for "200 OK".
    ((_, headers),) = server.calls
    state = read_flash(harness.app, headers, cookies=harness.jar())
    assert state is not None
    assert state.messages == []


def test_the_endpoint_reads_its_headers_by_name() -> None:
    # The flash reads the environ by key; the endpoint by header name.
    harness = _endpoint()
    refused = harness.open("/_flash", headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status == 403
    assert harness.open("/_flash", headers={"Sec-Fetch-Site": "same-origin"}).body == {
        "messages": [{"category": "message", "message": "saved"}],
        "values": {},
    }


def test_the_endpoints_view_reads_an_environ_by_header_name() -> None:
    environ = {
        "HTTP_SEC_FETCH_DEST": "image",
        "HTTP_X_LATER": "1",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "3",
        "wsgi.url_scheme": "https",
        "REQUEST_METHOD": "HEAD",
        "SERVER_NAME": "example.com",
        "PATH_INFO": "/",
    }
    by_name = wsgi_module._ByName(environ)
    assert by_name.get("sec-fetch-dest") == "image"
    assert by_name.get("content-type") == "text/plain"
    assert by_name.get(":scheme") == "https"
    assert by_name.get("server-name") is None  # not a header
    assert by_name.keys() == {
        "sec-fetch-dest",
        "x-later",
        "content-type",
        "content-length",
        ":scheme",
        ":method",
    }
    # The public rules read it by name, as they read any mapping of names.
    assert is_unseen(by_name)
    assert not is_unseen(wsgi_module._ByName({"HTTP_SEC_FETCH_DEST": "document"}))


def test_environ_keys_follow_pep_3333() -> None:
    assert wsgi_module.environ_key("sec-fetch-dest") == "HTTP_SEC_FETCH_DEST"
    assert wsgi_module.environ_key("cookie") == "HTTP_COOKIE"
    assert wsgi_module.environ_key("content-type") == "CONTENT_TYPE"
    assert wsgi_module.environ_key("content-length") == "CONTENT_LENGTH"
    assert wsgi_module.environ_key(":scheme") == "wsgi.url_scheme"
    assert wsgi_module.environ_key(":method") == "REQUEST_METHOD"
