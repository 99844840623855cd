"""The load-test app as WSGI: ``gunicorn loadtest.wsgi_app:app``.

``/flash?m=...`` flashes the message and redirects to ``/show``; ``/show``
answers the messages it consumed as JSON. Nothing else: the load test
measures the middleware, not a framework.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from flashmw import FlashMiddleware, flash, get_flashed_messages

StartResponse = Callable[..., Any]

SECRET = os.environ.get("FLASHMW_LOAD_SECRET", "load-test-secret-0123456789abcdefghij")


def _app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/flash":
        message = parse_qs(environ.get("QUERY_STRING", ""))["m"][0]
        flash(message)
        start_response("302 Found", [("Location", "/show"), ("Content-Length", "0")])
        return [b""]
    if path == "/show":
        body = json.dumps(get_flashed_messages()).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]
    start_response("404 Not Found", [("Content-Length", "0")])
    return [b""]


app = FlashMiddleware(_app, secret_key=SECRET)
