"""The three examples as the server matrix serves them, plus two streamed pages.

Each app is the example's own, built by its ``create_app`` (or, for the
WebOb one, its unwrapped ``application`` under the same middleware), with
two more routes that stream ``text/plain``:

- ``/stream`` reads the flash before its first bytes, so what it shows is
  consumed by this response (``Vary: Cookie`` and ``Set-Cookie``);
- ``/stream-late`` sends a first chunk, then reads: the headers went out
  untouched, so it shows an empty flash and the messages wait.

Servers import them by name, e.g. ``tests.servers.apps:login_flask``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from flask import Response as FlaskResponse
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from examples import secret_key
from examples.login_flask.app import create_app as create_flask_app
from examples.login_wsgi.app import application as webob_application
from examples.settings_starlette.app import create_app as create_starlette_app
from flashmw import FlashMiddleware, current_flash

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: What a streamed page starts with, before it looks at the flash.
FIRST_CHUNK = "page:"


def shown() -> str:
    """The flash as a streamed page shows it: list messages, then keyed values."""
    flash = current_flash()
    parts = [*map(str, flash.get_flashed_messages())]
    parts += [f"{key}={value}" for key, value in flash.items()]
    return "flashes:" + "|".join(parts)


def stream_early() -> Iterator[str]:
    """Read the flash, then send the first bytes."""
    yield shown()


def stream_late() -> Iterator[str]:
    """Send the first bytes, then read the flash."""
    yield FIRST_CHUNK
    yield shown()


STREAMS = {"/stream": stream_early, "/stream-late": stream_late}


def _wsgi_stream(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    chunks = STREAMS[environ["PATH_INFO"]]()
    return (chunk.encode() for chunk in chunks)


def _webob_with_streams(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
    if environ.get("PATH_INFO") in STREAMS:
        return _wsgi_stream(environ, start_response)
    return webob_application(environ, start_response)


#: examples.login_wsgi: WebOb and Jinja2 under FlashMiddleware.
login_wsgi = FlashMiddleware(_webob_with_streams, secret_key=secret_key())

#: examples.login_flask: the Flask tutorial's app, flashmw around wsgi_app.
login_flask = create_flask_app()
for _path, _stream in STREAMS.items():
    login_flask.add_url_rule(
        _path,
        endpoint=_path,
        view_func=lambda stream=_stream: FlaskResponse(stream(), mimetype="text/plain"),
    )


async def _asgi_stream(request: Request) -> StreamingResponse:
    chunks = STREAMS[request.url.path]

    async def body() -> AsyncIterator[str]:
        for chunk in chunks():
            yield chunk

    return StreamingResponse(body(), media_type="text/plain")


#: examples.settings_starlette: Starlette under ASGIFlashMiddleware.
settings_starlette = create_starlette_app()
for _path in STREAMS:
    settings_starlette.router.routes.append(Route(_path, _asgi_stream))
