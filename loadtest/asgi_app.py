"""The load-test app as ASGI: ``uvicorn loadtest.asgi_app:app``.

The same two routes as :mod:`loadtest.wsgi_app`, as a raw ASGI app.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from flashmw import ASGIFlashMiddleware, flash, get_flashed_messages

from .wsgi_app import SECRET

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def _app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start or stop
    path = scope["path"]
    if path == "/flash":
        message = parse_qs(scope["query_string"].decode("latin-1"))["m"][0]
        flash(message)
        status, headers, body = 302, [(b"location", b"/show")], b""
    elif path == "/show":
        body = json.dumps(get_flashed_messages()).encode()
        status, headers = 200, [(b"content-type", b"application/json")]
    else:
        status, headers, body = 404, [], b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = ASGIFlashMiddleware(_app, secret_key=SECRET)
