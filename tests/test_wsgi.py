"""FlashMiddleware and PEP 3333: held start_response, write(), exc_info, close()."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import Any
from wsgiref.util import FileWrapper
from wsgiref.validate import validator

import pytest
from werkzeug.test import Client, EnvironBuilder, run_wsgi_app

from flashmw import FlashMiddleware, current_flash, get_flash

from .harness import SECRET, scenario_wsgi_app


def _client(app: Any) -> Client:
    # validator on both sides: the app must be valid for the middleware,
    # and the middleware must be a valid app for the server.
    return Client(validator(FlashMiddleware(validator(app), secret_key=SECRET)))


def test_validator_on_both_sides_across_the_main_scenarios() -> None:
    client = _client(scenario_wsgi_app)

    def get(path: str) -> Any:
        # buffered: the client closes the body, as the validator insists.
        return client.get(path, buffered=True)

    assert get("/flash?m=Hello").status_code == 302
    assert get("/ignore").status_code == 200
    assert get("/stream").get_data() == b'["Hello"]'
    get("/flash?m=Again")
    assert get("/show").get_data() == b'[["message", "Again"]]'
    get("/put?k=info&v=Saved.")
    assert get("/get?k=info").get_data() == b'{"info": "Saved."}'
    assert get("/vary?v=Accept").headers["Vary"] == "Accept, Cookie"
    assert get("/status?s=500").status_code == 500
    assert get("/show").get_data() == b"[]"


class Recorder:
    """A fake server's start_response that records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]], Any]] = []
        self.written: list[bytes] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        if exc_info is not None and self.calls:
            raise exc_info[1].with_traceback(exc_info[2])
        self.calls.append((status, headers, exc_info))
        return self.written.append


def _environ(cookie: str | None = None) -> dict[str, Any]:
    environ = EnvironBuilder(path="/").get_environ()
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    return environ


def _cookie_with(message: str) -> str:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        get_flash(environ).add(message)
        start_response("200 OK", [])
        return []

    _, _, headers = run_wsgi_app(FlashMiddleware(app, secret_key=SECRET), _environ())
    return headers["Set-Cookie"].split(";")[0]


def test_start_response_is_held_until_the_first_non_empty_chunk() -> None:
    pulled: list[str] = []

    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        pulled.append("start")
        yield b""
        pulled.append("empty")
        yield ", ".join(current_flash().get_flashed_messages()).encode()
        pulled.append("rest")

    server = Recorder()
    body = FlashMiddleware(app, secret_key=SECRET)(_environ(_cookie_with("Hi")), server)
    # The call ran the body to its first bytes and committed before
    # returning (granian reads start_response then), and no further.
    assert pulled == ["start", "empty"]
    assert len(server.calls) == 1
    chunks = list(body)
    assert chunks == [b"Hi"]
    assert pulled == ["start", "empty", "rest"]
    ((status, headers, _),) = server.calls
    assert status == "200 OK"
    assert ("Vary", "Cookie") in headers
    assert any(k == "Set-Cookie" and "Max-Age=0" in v for k, v in headers)


def test_a_generator_that_calls_start_response_lazily() -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        current_flash().add("from a generator")
        start_response("302 Found", [("Location", "/")])
        yield b"moved"

    server = Recorder()
    body = FlashMiddleware(app, secret_key=SECRET)(_environ(), server)
    assert list(body) == [b"moved"]
    assert any(k == "Set-Cookie" for k, _ in server.calls[0][1])


def test_an_empty_streamed_body_still_commits() -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("204 No Content", [])
        current_flash().add("after an empty body")
        yield from ()

    server = Recorder()
    assert list(FlashMiddleware(app, secret_key=SECRET)(_environ(), server)) == []
    assert any(k == "Set-Cookie" for k, _ in server.calls[0][1])


def test_write_callable_commits_before_the_first_bytes() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [])
        write(b"")
        get_flash(environ).add("written")
        write(b"pushed ")
        write(b"bytes")
        return [b"!"]

    server = Recorder()
    body = FlashMiddleware(app, secret_key=SECRET)(_environ(), server)
    assert server.written == [b"pushed ", b"bytes"]
    assert list(body) == [b"!"]
    assert len(server.calls) == 1
    assert any(k == "Set-Cookie" for k, _ in server.calls[0][1])


def test_write_then_a_generator_body() -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])(b"first")
        yield b""
        yield b"second"

    server = Recorder()
    body = FlashMiddleware(app, secret_key=SECRET)(_environ(), server)
    # Headers are out: empty chunks pass through, as PEP 3333 asks.
    assert list(body) == [b"", b"second"]
    assert server.written == [b"first"]


def test_exc_info_before_headers_replaces_the_response() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-First", "1")])
        get_flash(environ).get_flashed_messages()
        try:
            raise ValueError("boom")
        except ValueError:
            start_response("500 Oops", [("X-Error", "1")], sys.exc_info())
        return [b"error page"]

    server = Recorder()
    body = FlashMiddleware(app, secret_key=SECRET)(
        _environ(_cookie_with("kept")), server
    )
    assert list(body) == [b"error page"]
    ((status, headers, exc_info),) = server.calls
    assert status == "500 Oops"
    assert ("X-Error", "1") in headers
    assert not any(k == "Set-Cookie" for k, _ in headers)  # 5xx: not consumed
    assert exc_info is not None


def test_exc_info_after_headers_are_sent_is_re_raised() -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"partial"
        try:
            raise ValueError("mid-stream")
        except ValueError:
            start_response("500 Oops", [], sys.exc_info())
        yield b"never"

    body = iter(FlashMiddleware(app, secret_key=SECRET)(_environ(), Recorder()))
    assert next(body) == b"partial"
    with pytest.raises(ValueError, match="mid-stream"):
        next(body)


def test_start_response_twice_without_exc_info_is_an_error() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        start_response("200 OK", [])
        return []

    with pytest.raises(AssertionError, match="twice"):
        FlashMiddleware(app, secret_key=SECRET)(_environ(), Recorder())


def test_a_body_before_start_response_is_an_error() -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        yield b"too soon"

    with pytest.raises(AssertionError, match="before start_response"):
        FlashMiddleware(app, secret_key=SECRET)(_environ(), Recorder())


class Closing:
    """A body whose close() calls are counted."""

    def __init__(self, chunks: list[bytes], fail: bool = False) -> None:
        self.chunks = chunks
        self.fail = fail
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.fail:
            raise RuntimeError("body failed")

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize("fail", [False, True])
def test_close_is_called_exactly_once(fail: bool) -> None:
    closing = Closing([b"a", b"b"], fail=fail)

    def app(environ: Any, start_response: Any) -> Closing:
        start_response("200 OK", [])
        return closing

    body: Any = FlashMiddleware(app, secret_key=SECRET)(_environ(), Recorder())
    try:
        for _ in body:
            pass
    except RuntimeError:
        assert fail
    finally:
        body.close()
        body.close()
    assert closing.closed == 1


def test_the_first_chunk_is_sent_once_if_the_body_is_iterated_again() -> None:
    # The middleware holds the body's first chunk from before the call
    # returned; a server (or wrapper) that calls iter() a second time must
    # not get it twice.
    def app(environ: Any, start_response: Any) -> Closing:
        start_response("200 OK", [])
        return Closing([b"a", b"b", b"c"])

    body: Any = FlashMiddleware(app, secret_key=SECRET)(_environ(), Recorder())
    first = iter(body)
    assert next(first) == b"a"
    assert list(iter(body)) == [b"b", b"c"]
    body.close()


def test_an_exception_from_the_body_writes_nothing() -> None:
    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        if current_flash().get_flashed_messages():
            raise RuntimeError("failed while rendering")
        yield b"unreached"

    server = Recorder()
    # The body runs to its first bytes inside the call, so the call raises.
    with pytest.raises(RuntimeError):
        FlashMiddleware(app, secret_key=SECRET)(_environ(_cookie_with("x")), server)
    assert server.calls == []


def test_a_file_wrapper_body_is_passed_through() -> None:
    def app(environ: Any, start_response: Any) -> Any:
        get_flash(environ).add("with a file")
        start_response("200 OK", [])
        return environ["wsgi.file_wrapper"](io.BytesIO(b"file body"))

    environ = _environ()
    environ["wsgi.file_wrapper"] = FileWrapper
    server = Recorder()
    body = FlashMiddleware(app, secret_key=SECRET)(environ, server)
    assert isinstance(body, FileWrapper)
    assert any(k == "Set-Cookie" for k, _ in server.calls[0][1])


def test_an_unparsable_status_is_treated_as_a_failure() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        get_flash(environ).get_flashed_messages()
        start_response("abc", [])
        return []

    server = Recorder()
    FlashMiddleware(app, secret_key=SECRET)(_environ(_cookie_with("kept")), server)
    assert not any(k == "Set-Cookie" for k, _ in server.calls[0][1])


def test_current_flash_is_reset_after_the_request() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        current_flash()
        start_response("200 OK", [])
        return []

    FlashMiddleware(app, secret_key=SECRET)(_environ(), Recorder())
    with pytest.raises(LookupError):
        current_flash()
