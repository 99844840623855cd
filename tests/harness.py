"""A protocol-neutral scenario app and the harness that drives it.

The routes below use only the :class:`~flashmw.Flash` API. Each adapter's
harness mounts them in a real app of its protocol and drives it through a
real client with a cookie jar, so the contract tests in ``test_contract.py``
run unchanged against every adapter.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from werkzeug.test import Client, EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Request

from flashmw import (
    ASGIFlashMiddleware,
    Flash,
    FlashMiddleware,
    current_flash,
    get_flash,
)
from flashmw.asgi import Message, Receive, Scope, Send, field_key
from flashmw.wsgi import environ_key

SECRET = "s3cr3t-for-tests-only-0123456789abcdef"


class HeaderDict(dict[str, str]):
    """Request headers by lower-case name, as the JSON endpoint reads them."""


def field_headers(**headers: str) -> dict[bytes, str]:
    """Request headers as the ASGI flash reads them: names as bytes.

    ``field_headers(cookie="flash=...")`` for a ``Flash`` built on an
    ``ASGIFlashMiddleware``, whose core reads ``b"cookie"``.
    """
    return {field_key(name.replace("_", "-")): v for name, v in headers.items()}


def environ_headers(**headers: str) -> dict[str, str]:
    """Request headers as the WSGI flash reads them: environ keys.

    ``environ_headers(cookie="flash=...")`` for a ``Flash`` built on a WSGI
    ``FlashMiddleware``, whose core reads ``HTTP_COOKIE``.
    """
    return {environ_key(name.replace("_", "-")): v for name, v in headers.items()}


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Reply:
    """What a route answers; ``body`` may be a callable run while streaming."""

    status: int = 200
    body: Any = "ok"
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: Stream a first chunk before running ``body``: it reads after the
    #: response's headers went out.
    late: bool = False


Route = Callable[[Flash, dict[str, str]], Reply]


def _categories(args: dict[str, str]) -> list[str]:
    return args["c"].split(",") if args.get("c") else []


def _flash(flash: Flash, args: dict[str, str]) -> Reply:
    # ``m`` messages ("|"-separated) under ``c``: one category for all, or
    # one per message ("|"-separated too).
    messages = args.get("m", "Record saved.").split("|")
    categories = args.get("c", "message").split("|")
    if len(categories) == 1:
        categories *= len(messages)
    for message, category in zip(messages, categories, strict=True):
        flash.add(message, category)
    return Reply(302, "redirect", [("Location", "/show")])


def _show(flash: Flash, args: dict[str, str]) -> Reply:
    messages = flash.get_flashed_messages(
        with_categories=True,
        category_filter=_categories(args),
        consume="peek" not in args,
    )
    return Reply(body=[list(m) for m in messages])


def _show_twice(flash: Flash, args: dict[str, str]) -> Reply:
    first = flash.get_flashed_messages()
    return Reply(body=[first, flash.get_flashed_messages()])


def _show_and_keep(flash: Flash, args: dict[str, str]) -> Reply:
    messages = flash.get_flashed_messages()
    flash.keep()
    return Reply(body=messages)


def _put(flash: Flash, args: dict[str, str]) -> Reply:
    flash.put(args["k"], args.get("v", "Settings saved."))
    return Reply(302, "redirect", [("Location", "/get")])


def _get(flash: Flash, args: dict[str, str]) -> Reply:
    keys = args["k"].split(",") if args.get("k") else ["info", "error"]
    return Reply(body={key: flash.get(key) for key in keys})


def _attr(flash: Flash, args: dict[str, str]) -> Reply:
    return Reply(body=getattr(flash, args.get("k", "info")))


def _keys(flash: Flash, args: dict[str, str]) -> Reply:
    return Reply(body={"keys": list(flash), "len": len(flash), "info": "info" in flash})


def _clear(flash: Flash, args: dict[str, str]) -> Reply:
    flash.clear(args.get("k") or None)
    return Reply()


def _ignore(flash: Flash, args: dict[str, str]) -> Reply:
    return Reply(body="untouched")


def _raise(flash: Flash, args: dict[str, str]) -> Reply:
    flash.get_flashed_messages()
    flash.get("info")
    raise RuntimeError("the app failed after reading the flash")


def _status(flash: Flash, args: dict[str, str]) -> Reply:
    if "m" in args:
        flash.add(args["m"])
    shown = flash.get_flashed_messages()
    flash.get("info")
    return Reply(int(args.get("s", "500")), shown)


def _stream(flash: Flash, args: dict[str, str]) -> Reply:
    # The flash is read only when the server pulls the first chunk.
    return Reply(body=lambda: current_flash().get_flashed_messages())


def _stream_late(flash: Flash, args: dict[str, str]) -> Reply:
    # The flash is read only after the headers and a first chunk are out.
    return Reply(body=lambda: current_flash().get_flashed_messages(), late=True)


def _add(flash: Flash, args: dict[str, str]) -> Reply:
    # Adds without reading: ``m`` messages ("|"-separated) under ``c``, a
    # keyed ``v`` under ``k``; answers status ``s`` with the JSON headers
    # ``h`` (a list of [name, value] pairs).
    if "m" in args:
        for message in args["m"].split("|"):
            flash.add(message, args.get("c", "message"))
    if "k" in args:
        flash.put(args["k"], args.get("v", "Saved."))
    headers = [(str(n), str(v)) for n, v in json.loads(args.get("h", "[]"))]
    return Reply(int(args.get("s", "200")), "added", headers)


def _vary(flash: Flash, args: dict[str, str]) -> Reply:
    flash.get_flashed_messages()
    return Reply(headers=[("Vary", v) for v in args["v"].split("|")])


ROUTES: dict[str, Route] = {
    "/flash": _flash,
    "/show": _show,
    "/show-twice": _show_twice,
    "/keep": _show_and_keep,
    "/put": _put,
    "/get": _get,
    "/attr": _attr,
    "/keys": _keys,
    "/clear": _clear,
    "/ignore": _ignore,
    "/raise": _raise,
    "/status": _status,
    "/stream": _stream,
    "/stream-late": _stream_late,
    "/vary": _vary,
    "/add": _add,
}


def _missing(flash: Flash, args: dict[str, str]) -> Reply:
    return Reply(404, "the app answered: no such route")


def _chunks(reply: Reply) -> Iterator[bytes]:
    body = reply.body
    yield b""  # an empty chunk first: the middleware must not commit on it
    if reply.late:
        yield b'["first chunk", '
    yield json.dumps(body() if callable(body) else body).encode()
    if reply.late:
        yield b"]"


def scenario_wsgi_app(environ: dict[str, Any], start_response: Any) -> Any:
    """The scenario routes as a plain WSGI app."""
    request = Request(environ)
    route = ROUTES.get(request.path, _missing)
    reply = route(get_flash(environ), dict(request.args))
    headers = [("Content-Type", "application/json"), *reply.headers]
    start_response(f"{reply.status} X", headers)
    if callable(reply.body):
        return _chunks(reply)
    return [json.dumps(reply.body).encode()]


async def scenario_asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The scenario routes as a raw ASGI app."""
    query = httpx.QueryParams(scope["query_string"].decode("latin-1"))
    route = ROUTES.get(scope["path"], _missing)
    reply = route(get_flash(scope), dict(query))
    headers = [(b"content-type", b"application/json")]
    headers += [(k.lower().encode(), v.encode()) for k, v in reply.headers]
    await send(
        {"type": "http.response.start", "status": reply.status, "headers": headers}
    )
    if callable(reply.body):
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        for chunk in _chunks(reply):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.body", "body": json.dumps(reply.body).encode()})


def is_flash_cookie(name: str, cookie_name: str = "flash") -> bool:
    """Tell whether a cookie name is one of flashmw's for ``cookie_name``."""
    return name == cookie_name or name.startswith(cookie_name + ".")


def jar_header(pairs: dict[str, str]) -> str | None:
    """Return cookies as a ``Cookie`` header, sorted by name; ``None`` if none."""
    if not pairs:
        return None
    return "; ".join(f"{name}={pairs[name]}" for name in sorted(pairs))


def split_header(header: str) -> list[tuple[str, str]]:
    """Return the ``(name, value)`` pairs of a ``Cookie`` header."""
    pairs = []
    for item in header.split(";"):
        name, _, value = item.strip().partition("=")
        pairs.append((name, value))
    return pairs


@dataclass
class Result:
    """A response as a user sees it."""

    status: int
    body: Any
    headers: list[tuple[str, str]]

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def get(self, name: str) -> str | None:
        values = self.get_all(name)
        return values[0] if values else None

    @property
    def set_cookies(self) -> list[str]:
        return self.get_all("Set-Cookie")


def _decode(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("latin-1")


class Harness(Protocol):
    """One adapter's scenario app, its client and its cookie jar."""

    name: str
    host: str  # the Host header the client sends
    app: Any  # the flashmw middleware around the scenario app

    def close(self) -> None:
        """Release what the client holds."""

    def open(
        self,
        path: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Result:
        """Request ``path`` through the client, with and into its cookie jar."""

    def jar(self) -> str | None:
        """The flash cookies in the jar as a ``Cookie`` header, if any."""

    def put_in_jar(self, value: str, name: str = "flash") -> None:
        """Store a cookie in the jar as a browser would."""

    def load_jar(self, header: str) -> None:
        """Store every ``name=value`` pair of a ``Cookie`` header in the jar."""

    def raw(
        self, cookie: bytes | None, path: str = "/show", *, https: bool = False
    ) -> Result:
        """One request with exactly this ``Cookie`` header and no jar."""


class WSGIHarness:
    """Drives :class:`~flashmw.FlashMiddleware` through werkzeug's test client."""

    name = "wsgi"
    host = "localhost"

    def __init__(self, *, https: bool = False, **options: Any) -> None:
        options.setdefault("secret_key", SECRET)
        self.app = FlashMiddleware(scenario_wsgi_app, **options)
        base_url = "https://localhost/" if https else "http://localhost/"
        self.client = Client(self.app)
        self.base_url = base_url
        self.cookie_name: str = options.get("cookie_name", "flash")

    def close(self) -> None:
        """Nothing to release: werkzeug's client holds no resources."""

    def open(
        self,
        path: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Result:
        response = self.client.open(
            path, method=method, base_url=self.base_url, headers=headers, data=body
        )
        return Result(
            response.status_code,
            _decode(response.get_data()),
            response.headers.to_wsgi_list(),
        )

    def jar(self) -> str | None:
        pairs = {
            cookie.key: cookie.value
            for cookie in (self.client._cookies or {}).values()
            if is_flash_cookie(cookie.key, self.cookie_name)
        }
        return jar_header(pairs)

    def put_in_jar(self, value: str, name: str = "flash") -> None:
        self.client.set_cookie(name, value)

    def load_jar(self, header: str) -> None:
        for name, value in split_header(header):
            self.put_in_jar(value, name)

    def raw(
        self, cookie: bytes | None, path: str = "/show", *, https: bool = False
    ) -> Result:
        environ = EnvironBuilder(
            path=path, base_url="https://localhost/" if https else None
        ).get_environ()
        if cookie is not None:
            environ["HTTP_COOKIE"] = cookie.decode("latin-1")
        body, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        data = b"".join(body)
        return Result(int(status[:3]), _decode(data), headers.to_wsgi_list())


async def call_asgi(app: Any, scope: Scope) -> list[Message]:
    """Run one request through ``app`` and return every message it sent."""
    sent: list[Message] = []
    received = False

    async def receive() -> Message:
        nonlocal received
        if received:
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def http_scope(
    path: str = "/", *, headers: list[tuple[bytes, bytes]] | None = None, **extra: Any
) -> Scope:
    """A minimal ASGI http scope."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers or [],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    scope.update(extra)
    return scope


class ASGIHarness:
    """Drives :class:`~flashmw.ASGIFlashMiddleware` through httpx's ASGITransport."""

    name = "asgi"

    def __init__(self, *, https: bool = False, **options: Any) -> None:
        options.setdefault("secret_key", SECRET)
        self.app = ASGIFlashMiddleware(scenario_asgi_app, **options)
        self.https = https
        self.host = "testserver"
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=f"{'https' if https else 'http'}://{self.host}",
        )
        self.loop = asyncio.new_event_loop()
        self.cookie_name: str = options.get("cookie_name", "flash")

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()

    def open(
        self,
        path: str,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Result:
        # Header bytes as a browser may send them: latin-1, not just ASCII.
        raw = {k.encode(): v.encode("latin-1") for k, v in (headers or {}).items()}
        response = self.loop.run_until_complete(
            self.client.request(method, path, headers=raw, content=body)
        )
        return Result(
            response.status_code,
            _decode(response.content),
            list(response.headers.multi_items()),
        )

    def jar(self) -> str | None:
        pairs = {
            cookie.name: cookie.value or ""
            for cookie in self.client.cookies.jar
            if is_flash_cookie(cookie.name, self.cookie_name)
        }
        return jar_header(pairs)

    def load_jar(self, header: str) -> None:
        for name, value in split_header(header):
            self.put_in_jar(value, name)

    def put_in_jar(self, value: str, name: str = "flash") -> None:
        # http.cookiejar files a dotless host under "<host>.local": use the
        # same slot a Set-Cookie from the server would fill.
        self.client.cookies.set(name, value, domain=f"{self.host}.local")

    def raw(
        self, cookie: bytes | None, path: str = "/show", *, https: bool = False
    ) -> Result:
        headers = [] if cookie is None else [(b"cookie", cookie)]
        path, _, query = path.partition("?")
        scope = http_scope(
            path,
            headers=headers,
            scheme="https" if https else "http",
            query_string=query.encode(),
        )
        sent = self.loop.run_until_complete(call_asgi(self.app, scope))
        start, *bodies = sent
        return Result(
            start["status"],
            _decode(b"".join(m.get("body", b"") for m in bodies)),
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]],
        )
