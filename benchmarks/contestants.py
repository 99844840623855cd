"""The contestants: each one an app with flash machinery and the same app without.

Every app answers the same four paths with the same three actions of a
:class:`Machinery`: ``/seed`` stores the three messages of S1 and S2,
``/s1`` ignores flashes, ``/s2`` reads them all and answers their count,
``/s3`` flashes one message and redirects. The app "without" runs the same
routes against :data:`NO_MACHINERY`, so the difference between the two is
the cost of the flash machinery and nothing else.
"""

# The frameworks are imported where a contestant is built, so that one
# missing from the environment is reported as not timed instead of
# stopping the whole run.
# ruff: noqa: PLC0415

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.traffic import NEW, SECRET, SEEDED, Environ, Message, Receive, Send

#: The scenarios, and the path that runs each one.
SCENARIOS = ("S1", "S2", "S3")
PATHS = {"seed": "/seed", "S1": "/s1", "S2": "/s2", "S3": "/s3"}

#: What a scenario must do to the flash cookie(s): ``absent`` (no Set-Cookie),
#: ``set`` (a new value) or ``deleted`` (Max-Age=0 or an expired date).
EXPECTED = {"S1": "absent", "S2": "deleted", "S3": "set"}

WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Machinery:
    """How a route adds messages and reads them all, given its request object."""

    add: Callable[[Any, str, str], None]
    read: Callable[[Any], list[Any]]


def _ignore(request: Any, category: str, text: str) -> None:
    # The app without flash machinery still makes the call, so the call
    # itself is not counted as machinery.
    return None


def _three(request: Any) -> list[Any]:
    return list(SEEDED)


NO_MACHINERY = Machinery(add=_ignore, read=_three)


@dataclass
class Contestant:
    """One way of doing flash messages, ready to be checked and timed.

    :param name: short identifier, used in the JSON.
    :param label: what the table and chart call it.
    :param flashmw: whether this is flashmw (as opposed to a peer).
    :param protocol: ``"wsgi"`` or ``"asgi"``.
    :param cookie_name: the cookie its flash state lives in.
    :param with_app: the app with flash machinery.
    :param without_app: the same app without it.
    :param expected: per scenario, what must happen to the cookie.
    :param note: a known behaviour the table should mention.
    :param error: why it could not be built (then it is reported, not timed).
    """

    name: str
    label: str
    flashmw: bool
    protocol: str
    cookie_name: str = ""
    with_app: Any = None
    without_app: Any = None
    expected: dict[str, str] = field(default_factory=lambda: dict(EXPECTED))
    note: str = ""
    error: str = ""


def answer(path: str, machinery: Machinery, request: Any) -> tuple[int, bytes]:
    """Run the route for ``path``; return the status and the body."""
    if path == "/s1":
        return 200, b"ok"
    if path == "/s2":
        return 200, str(len(machinery.read(request))).encode("ascii")
    if path == "/s3":
        machinery.add(request, *NEW)
        return 302, b""
    if path == "/seed":
        for category, text in SEEDED:
            machinery.add(request, category, text)
        return 200, b"seeded"
    return 404, b"not found"


_STATUS = {200: "200 OK", 302: "302 Found", 404: "404 Not Found"}


def bare_wsgi(machinery: Machinery) -> WSGIApp:
    """Return a WSGI app without a framework; its request object is the environ."""

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        status, body = answer(environ["PATH_INFO"], machinery, environ)
        headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        if status == 302:
            headers.append(("Location", "/"))
        start_response(_STATUS[status], headers)
        return [body]

    return app


def bare_asgi(machinery: Machinery) -> Callable[[Any, Receive, Send], Any]:
    """Return an ASGI app without a framework; its request object is the scope."""

    async def app(scope: Any, receive: Receive, send: Send) -> None:
        status, body = answer(scope["path"], machinery, scope)
        headers = [
            (b"content-type", b"text/plain"),
            (b"content-length", str(len(body)).encode("ascii")),
        ]
        if status == 302:
            headers.append((b"location", b"/"))
        start: Message = {
            "type": "http.response.start",
            "status": status,
            "headers": headers,
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})

    return app


def flask_app(machinery: Machinery, *, secret_key: str | None) -> Any:
    """Return a bare Flask app whose four routes use ``machinery``."""
    import flask

    app = flask.Flask("flashmw_bench")
    app.secret_key = secret_key

    def seed() -> str:
        for category, text in SEEDED:
            machinery.add(None, category, text)
        return "seeded"

    def untouched() -> str:
        return "ok"

    def consume() -> str:
        return str(len(machinery.read(None)))

    def flash_and_redirect() -> Any:
        machinery.add(None, *NEW)
        return flask.redirect("/")

    for path, view in (
        ("/seed", seed),
        ("/s1", untouched),
        ("/s2", consume),
        ("/s3", flash_and_redirect),
    ):
        app.add_url_rule(path, view.__name__, view)
    return app


def starlette_app(machinery: Machinery, middleware: list[Any]) -> Any:
    """Return a bare Starlette app whose four routes use ``machinery``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, RedirectResponse, Response
    from starlette.routing import Route

    async def seed(request: Request) -> Response:
        for category, text in SEEDED:
            machinery.add(request, category, text)
        return PlainTextResponse("seeded")

    async def untouched(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def consume(request: Request) -> Response:
        return PlainTextResponse(str(len(machinery.read(request))))

    async def flash_and_redirect(request: Request) -> Response:
        machinery.add(request, *NEW)
        return RedirectResponse("/", status_code=302)

    routes = [
        Route("/seed", seed),
        Route("/s1", untouched),
        Route("/s2", consume),
        Route("/s3", flash_and_redirect),
    ]
    return Starlette(routes=routes, middleware=middleware)


# -- the machinery of each contestant -------------------------------------


def _flashmw_by_request() -> Machinery:
    from flashmw import get_flash

    def add(request: Any, category: str, text: str) -> None:
        get_flash(request).add(text, category)

    def read(request: Any) -> list[Any]:
        return get_flash(request).get_flashed_messages(with_categories=True)

    return Machinery(add=add, read=read)


def _flashmw_by_context() -> Machinery:
    import flashmw

    def add(request: Any, category: str, text: str) -> None:
        flashmw.flash(text, category)

    def read(request: Any) -> list[Any]:
        return flashmw.get_flashed_messages(with_categories=True)

    return Machinery(add=add, read=read)


def _flask_builtin() -> Machinery:
    import flask

    def add(request: Any, category: str, text: str) -> None:
        flask.flash(text, category)

    def read(request: Any) -> list[Any]:
        return flask.get_flashed_messages(with_categories=True)

    return Machinery(add=add, read=read)


def _starlette_session() -> Machinery:
    # The usual recipe: a list of [category, message] under one session key.
    def add(request: Any, category: str, text: str) -> None:
        request.session.setdefault("_messages", []).append([category, text])

    def read(request: Any) -> list[Any]:
        messages: list[Any] = request.session.pop("_messages", [])
        return messages

    return Machinery(add=add, read=read)


# -- building them --------------------------------------------------------


def _flashmw_wsgi_bare() -> Contestant:
    from flashmw import FlashMiddleware

    return Contestant(
        "flashmw-wsgi",
        "flashmw WSGI (bare app)",
        True,
        "wsgi",
        "flash",
        FlashMiddleware(bare_wsgi(_flashmw_by_request()), secret_key=SECRET),
        bare_wsgi(NO_MACHINERY),
    )


def _flashmw_wsgi_encrypted() -> Contestant:
    # Imported here so a missing extra is reported as not timed.
    import cryptography  # noqa: F401

    from flashmw import FlashMiddleware

    return Contestant(
        "flashmw-wsgi-encrypted",
        "flashmw WSGI encrypt=True (bare app)",
        True,
        "wsgi",
        "flash",
        FlashMiddleware(
            bare_wsgi(_flashmw_by_request()), secret_key=SECRET, encrypt=True
        ),
        bare_wsgi(NO_MACHINERY),
    )


_REDIS: list[Any] = []  # the redis-server the store row talks to


def _redis_port() -> int:
    """Start a throwaway redis-server on 127.0.0.1 (once) and return its port."""
    import atexit
    import shutil
    import socket
    import subprocess
    import tempfile
    import time

    if _REDIS:
        return int(_REDIS[1])
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed (apt-get install redis-server)"
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="flashmw-bench-redis-")
    # The command is built from a found binary and a free local port.
    server = subprocess.Popen(  # noqa: S603
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
        ],
        stdout=subprocess.DEVNULL,
    )
    atexit.register(server.terminate)
    _REDIS.extend([server, port])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return port


def _flashmw_wsgi_store() -> Contestant:
    # The store holds only what outgrows the cookies: these scenarios' three
    # small messages never reach it, so this row is the cost of having a
    # store configured for ordinary flashes (no Redis call is made).
    import redis

    from flashmw import FlashMiddleware
    from flashmw.redis import RedisStore

    store = RedisStore(redis.Redis(host="127.0.0.1", port=_redis_port()))
    return Contestant(
        "flashmw-wsgi-store",
        "flashmw WSGI store=Redis (bare app)",
        True,
        "wsgi",
        "flash",
        FlashMiddleware(
            bare_wsgi(_flashmw_by_request()), secret_key=SECRET, store=store
        ),
        bare_wsgi(NO_MACHINERY),
    )


def _flashmw_wsgi_flask() -> Contestant:
    from flashmw import FlashMiddleware

    app = flask_app(_flashmw_by_context(), secret_key=None)
    return Contestant(
        "flashmw-wsgi-flask",
        "flashmw WSGI (Flask route)",
        True,
        "wsgi",
        "flash",
        FlashMiddleware(app, secret_key=SECRET),
        flask_app(NO_MACHINERY, secret_key=None),
    )


def _flashmw_asgi_bare() -> Contestant:
    from flashmw import ASGIFlashMiddleware

    return Contestant(
        "flashmw-asgi",
        "flashmw ASGI (bare app)",
        True,
        "asgi",
        "flash",
        ASGIFlashMiddleware(bare_asgi(_flashmw_by_request()), secret_key=SECRET),
        bare_asgi(NO_MACHINERY),
    )


def _flashmw_asgi_starlette() -> Contestant:
    from starlette.middleware import Middleware

    from flashmw import ASGIFlashMiddleware

    installed = [Middleware(ASGIFlashMiddleware, secret_key=SECRET)]
    return Contestant(
        "flashmw-asgi-starlette",
        "flashmw ASGI (Starlette route)",
        True,
        "asgi",
        "flash",
        starlette_app(_flashmw_by_context(), installed),
        starlette_app(NO_MACHINERY, []),
    )


def _flask() -> Contestant:
    # Without a secret key Flask opens a NullSession: no cookie work at all.
    return Contestant(
        "flask",
        "Flask 3.1 flash (session)",
        False,
        "wsgi",
        "session",
        flask_app(_flask_builtin(), secret_key=SECRET),
        flask_app(NO_MACHINERY, secret_key=None),
    )


def _django() -> Contestant:
    from benchmarks.django_site import handlers

    with_messages, without = handlers(SECRET)
    return Contestant(
        "django",
        "Django 5.2 messages (CookieStorage)",
        False,
        "wsgi",
        "messages",
        with_messages,
        without,
    )


def _flashmw_wsgi_django() -> Contestant:
    from benchmarks.django_site import handlers
    from flashmw import FlashMiddleware

    _, without = handlers(SECRET)
    return Contestant(
        "flashmw-wsgi-django",
        "flashmw WSGI (Django view)",
        True,
        "wsgi",
        "flash",
        FlashMiddleware(without, secret_key=SECRET),
        without,
    )


def _flashmw_asgi_litestar() -> Contestant:
    from litestar.middleware import DefineMiddleware

    from benchmarks.litestar_site import litestar_app
    from flashmw import ASGIFlashMiddleware

    installed = [DefineMiddleware(ASGIFlashMiddleware, secret_key=SECRET)]
    return Contestant(
        "flashmw-asgi-litestar",
        "flashmw ASGI (Litestar route)",
        True,
        "asgi",
        "flash",
        litestar_app(_flashmw_by_request(), installed),
        litestar_app(NO_MACHINERY, []),
    )


def _starlette() -> Contestant:
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware

    installed = [Middleware(SessionMiddleware, secret_key=SECRET)]
    return Contestant(
        "starlette",
        "Starlette SessionMiddleware",
        False,
        "asgi",
        "session",
        starlette_app(_starlette_session(), installed),
        starlette_app(NO_MACHINERY, []),
        note="decodes the session cookie on every request, read or not",
    )


_BUILDERS: tuple[tuple[str, str, bool, str, Callable[[], Contestant]], ...] = (
    ("flashmw-wsgi", "flashmw WSGI (bare app)", True, "wsgi", _flashmw_wsgi_bare),
    (
        "flashmw-wsgi-encrypted",
        "flashmw WSGI encrypt=True (bare app)",
        True,
        "wsgi",
        _flashmw_wsgi_encrypted,
    ),
    (
        "flashmw-wsgi-store",
        "flashmw WSGI store=Redis (bare app)",
        True,
        "wsgi",
        _flashmw_wsgi_store,
    ),
    (
        "flashmw-wsgi-flask",
        "flashmw WSGI (Flask route)",
        True,
        "wsgi",
        _flashmw_wsgi_flask,
    ),
    ("flashmw-asgi", "flashmw ASGI (bare app)", True, "asgi", _flashmw_asgi_bare),
    (
        "flashmw-asgi-starlette",
        "flashmw ASGI (Starlette route)",
        True,
        "asgi",
        _flashmw_asgi_starlette,
    ),
    (
        "flashmw-wsgi-django",
        "flashmw WSGI (Django view)",
        True,
        "wsgi",
        _flashmw_wsgi_django,
    ),
    (
        "flashmw-asgi-litestar",
        "flashmw ASGI (Litestar route)",
        True,
        "asgi",
        _flashmw_asgi_litestar,
    ),
    ("flask", "Flask 3.1 flash (session)", False, "wsgi", _flask),
    ("django", "Django 5.2 messages (CookieStorage)", False, "wsgi", _django),
    ("starlette", "Starlette SessionMiddleware", False, "asgi", _starlette),
)


def build(only: Iterable[str] = ()) -> list[Contestant]:
    """Build every contestant (or those named in ``only``).

    One that cannot be built (a framework missing, flashmw's ASGI adapter
    not there yet) comes back with ``error`` set, to be reported.
    """
    wanted = set(only)
    built = []
    for name, label, is_flashmw, protocol, builder in _BUILDERS:
        if wanted and name not in wanted:
            continue
        try:
            built.append(builder())
        except ImportError as exc:
            built.append(
                Contestant(name, label, is_flashmw, protocol, error=f"missing: {exc}")
            )
    return built
