"""The requests every contestant answers, as prebuilt WSGI environs and ASGI scopes.

Servers and HTTP clients are left out on purpose: their cost is tens of
microseconds and identical with and without flash machinery, so it would
only bury the difference being measured.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

#: One secret for every contestant, long enough that none of them warns.
SECRET = "bench-secret-key-0123456789abcdef-0123456789abcdef"  # noqa: S105

#: The three categorized messages of the S1 and S2 cookie, as (category, text).
SEEDED = (
    ("info", "Record saved."),
    ("warning", "Your trial ends in 3 days."),
    ("error", "The payment was declined."),
)
#: The one message S3 flashes before redirecting.
NEW = ("info", "alice account were successfully logged in")

#: Cookies a real browser sends alongside the flash cookie (analytics, CSRF,
#: preferences); the flash cookie goes in the middle of them.
_OTHER_COOKIES_BEFORE = (
    "_ga=GA1.2.1234567890.1700000000",
    "csrftoken=Yx3rN0fQ2kR8sLw5VbT1mJ7cH4gZ9pDe",
    "theme=dark",
)
_OTHER_COOKIES_AFTER = (
    "lang=en-US",
    "_gid=GA1.2.987654321.1700000000",
)

Environ = dict[str, Any]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def cookie_header(flash_cookie: str | None) -> str:
    """Return the ``Cookie`` header: five unrelated cookies and maybe a flash one.

    :param flash_cookie: ``name=value`` of the contestant's flash cookie.
    """
    middle = (flash_cookie,) if flash_cookie else ()
    return "; ".join((*_OTHER_COOKIES_BEFORE, *middle, *_OTHER_COOKIES_AFTER))


def environ(path: str, header: str) -> Environ:
    """Return a GET environ for ``path`` with ``header`` as its ``Cookie``."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "HTTP_ACCEPT": "text/html",
        "HTTP_USER_AGENT": "flashmw-bench",
        "HTTP_COOKIE": header,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def scope(path: str, header: str) -> Scope:
    """Return an ASGI ``http`` scope for a GET of ``path`` with that ``Cookie``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("ascii"),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"localhost"),
            (b"accept", b"text/html"),
            (b"user-agent", b"flashmw-bench"),
            (b"cookie", header.encode("latin-1")),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "state": {},
    }


_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}


async def receive() -> Message:
    """The ASGI ``receive`` of a GET: an empty body, all at once."""
    return _REQUEST
