"""The servers under fuzzing: both middlewares, the states they signed, an oracle.

Every cookie value in :data:`POOL` was written by the WSGI middleware itself
(through a real request that stored the state), so "a state the server
signed" means exactly one of :data:`STATES`. :func:`expected` re-derives,
from the rules in the spec, which of them a ``Cookie`` header must yield.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.util import setup_testing_defaults

from flashmw import ASGIFlashMiddleware, FlashMiddleware, current_flash, get_flash
from flashmw.asgi import Message, Receive, Scope, Send
from flashmw.cookies import find_cookies
from flashmw.sealing import CookieSealer
from flashmw.signing import CookieSigner
from flashmw.testing import make_cookie

from ..harness import SECRET, FakeClock, http_scope

NAME = "flash"
CLOCK = FakeClock()
OPTIONS: dict[str, Any] = {"secret_key": SECRET, "clock": CLOCK}
FRESH = "fresh message from this request"

Pairs = list[tuple[str, Any]]
State = tuple[Pairs, dict[str, Any]]

#: What the server stores; every one is non-empty, so "empty" is unambiguous.
STATES: list[State] = [
    ([("message", "hello")], {}),
    (
        [("error", "Password is incorrect."), ("message", "Record saved.")],
        {"info": "Settings saved."},
    ),
    ([], {"count": 42, "pair": (1, "two"), "when": datetime.date(2026, 1, 2)}),
    ([("message", 'café ☕ 𝄞 \\ " ; =')], {}),
    ([("message", {" t": [1, 2]})], {"tagged": {" di": {" u": "x"}}}),
]


def _storing_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    messages, values = STATES[int(environ["QUERY_STRING"])]
    flash = get_flash(environ)
    for category, message in messages:
        flash.add(message, category)
    for key, value in values.items():
        flash.put(key, value)
    start_response("200 OK", [])
    return []


def _no_write(data: bytes) -> None:
    raise AssertionError("these apps return their body; none calls write()")


def _sign_with_the_server(index: int, **options: Any) -> str:
    # One cookie per state, in the single-cookie format of flashmw 0.1 that
    # the server still reads: the decoder under fuzzing sees every value
    # type in one document.
    messages, values = STATES[index]
    server = FlashMiddleware(_storing_app, **OPTIONS, **options)
    cookie = make_cookie(server, messages, values)
    assert cookie.name == NAME
    return cookie.value


#: Cookie value -> the state it holds, as the server signed it.
POOL: dict[str, State] = {_sign_with_the_server(i): s for i, s in enumerate(STATES)}
VALUES = list(POOL)


def _recoded(codec: type[CookieSigner | CookieSealer], **options: Any) -> list[str]:
    """The pool's payloads, signed or sealed as another purpose or key."""
    settings: dict[str, Any] = {
        "salt": "flashmw.flash",
        "cookie_name": NAME,
        "max_age": 3600,
    }
    settings.update(options)
    secret = settings.pop("secret", SECRET)
    other = codec(secret, [], **settings)
    server = FlashMiddleware(_storing_app, **OPTIONS)
    return [
        other.sign(server._signer.unsign(value, CLOCK()), CLOCK()) for value in VALUES
    ]


def _resigned(**options: Any) -> list[str]:
    return _recoded(CookieSigner, **options)


#: Cookie value -> the state it holds, as the server sealed it (encrypt=True).
SEALED_POOL: dict[str, State] = {
    _sign_with_the_server(i, encrypt=True): s for i, s in enumerate(STATES)
}
SEALED_VALUES = list(SEALED_POOL)


def _resealed(**options: Any) -> list[str]:
    return _recoded(CookieSealer, **options)


#: Values that carry the server's own payloads, encrypted, but must never
#: open with ``encrypt=True``.
FOREIGN_SEALED: list[str] = [
    *_resealed(salt="cookie-session"),
    *_resealed(cookie_name="FLASH"),
    *_resealed(secret="another-secret-of-forty-bytes-0123456789"),
]

#: Values that carry the server's own payloads but must never verify here.
FOREIGN_SIGNED: list[str] = [
    *_resigned(salt="cookie-session"),
    *_resigned(salt="flashmw.flash.other"),
    *_resigned(cookie_name="session"),
    *_resigned(cookie_name="FLASH"),
    *_resigned(secret="another-secret-of-forty-bytes-0123456789"),
    *_resigned(secret=SECRET + "x"),
    # Sealed by this very server with encrypt=True: a signed-only server
    # refuses them.
    *SEALED_VALUES,
]


def load(
    header: str, app: FlashMiddleware | None = None
) -> tuple[Pairs, dict[str, Any], bool, bool]:
    """Decode a ``Cookie`` header with the WSGI server's own rules.

    Returns the messages, the keyed values, whether a flash cookie was sent
    and whether one of them was invalid (so the next response deletes it).
    """
    loaded = (app or WSGI_APP)._load(header)
    sent = bool(find_cookies(header, NAME))
    invalid = any(not cookie.kind for cookie in loaded.garbage)
    messages = [(entry.name, entry.value) for entry in loaded.messages]
    values = {key: entry.value for key, entry in loaded.values.items()}
    return messages, values, sent, invalid


def expected(header: str, pool: dict[str, State] = POOL) -> tuple[State | None, bool]:
    """What a ``Cookie`` header must read as, by the rules of the spec.

    Returns the state of the first cookie named exactly ``flash`` whose value
    (without the white space RFC 6265 allows and one pair of double quotes)
    is one the server signed (one of ``pool``), and whether any flash
    cookie was sent. Only the first ``max_candidates`` flash cookies are
    read (bounded work).
    """
    sent = False
    candidates = 0
    for piece in header.split(";"):
        name, eq, value = piece.partition("=")
        name = name.strip(" \t")
        if not eq or not (name == NAME or name.startswith(NAME + ".")):
            continue
        if [name] != [found for found, _ in find_cookies(f"{name}=", NAME)]:
            continue  # not a flash cookie name after all ("flash.!", ...)
        sent = True
        candidates += 1
        if candidates > WSGI_APP.max_candidates or name != NAME:
            continue
        value = value.strip(" \t")
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        if value in pool:
            return pool[value], True
    return None, sent


@dataclass
class Outcome:
    """What one request through a middleware produced."""

    status: int = 0
    state: State | None = None  # what the app read
    set_cookies: list[str] = field(default_factory=list)
    vary: list[str] = field(default_factory=list)


def _read_all() -> State:
    flash = current_flash()
    messages = flash.get_flashed_messages(with_categories=True)
    return messages, dict(flash.items())


def _decoded(messages: Pairs, values: dict[str, Any]) -> State | None:
    return None if not messages and not values else (messages, values)


def _fuzz_wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    outcome: Outcome = environ["fuzz.outcome"]
    outcome.state = _decoded(*_read_all())
    if environ["fuzz.add"]:
        get_flash(environ).add(FRESH)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


async def _fuzz_asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    outcome: Outcome = scope["fuzz.outcome"]
    outcome.state = _decoded(*_read_all())
    if scope["fuzz.add"]:
        current_flash().add(FRESH)
    start: Message = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain")],
    }
    await send(start)
    await send({"type": "http.response.body", "body": b"ok"})


WSGI_APP = FlashMiddleware(_fuzz_wsgi_app, **OPTIONS)
SEALED_APP = FlashMiddleware(_fuzz_wsgi_app, **OPTIONS, encrypt=True)
ASGI_APP = ASGIFlashMiddleware(_fuzz_asgi_app, **OPTIONS)


def wsgi_request(cookie: bytes | None, *, add: bool) -> Outcome:
    """One GET through the WSGI middleware with exactly this ``Cookie`` header."""
    outcome = Outcome()
    environ: dict[str, Any] = {"fuzz.outcome": outcome, "fuzz.add": add}
    setup_testing_defaults(environ)
    if cookie is not None:
        # PEP 3333: header values reach the app as latin-1 decoded text.
        environ["HTTP_COOKIE"] = cookie.decode("latin-1")

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        outcome.status = int(status[:3])
        outcome.set_cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        outcome.vary = [v for k, v in headers if k.lower() == "vary"]
        return _no_write

    body = WSGI_APP(environ, start_response)
    try:
        assert b"".join(body) == b"ok"
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return outcome


async def asgi_request(headers: Iterable[tuple[bytes, bytes]], *, add: bool) -> Outcome:
    """One GET through the ASGI middleware with exactly these request headers."""
    outcome = Outcome()
    # HTTP/2, where a browser may split its cookies over several headers.
    extra: dict[str, Any] = {"fuzz.outcome": outcome, "fuzz.add": add}
    scope = http_scope("/", headers=list(headers), http_version="2", **extra)
    body = b""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal body
        if message["type"] == "http.response.start":
            outcome.status = message["status"]
            response_headers = [(bytes(k), bytes(v)) for k, v in message["headers"]]
            outcome.set_cookies = [
                v.decode("latin-1") for k, v in response_headers if k == b"set-cookie"
            ]
            outcome.vary = [
                v.decode("latin-1") for k, v in response_headers if k == b"vary"
            ]
        else:
            body += message.get("body", b"")

    await ASGI_APP(scope, receive, send)
    assert body == b"ok"
    return outcome


def check(outcome: Outcome, header: str, *, add: bool) -> None:
    """Assert the contract for one request whose ``Cookie`` header was ``header``."""
    state, sent = expected(header)
    assert outcome.status == 200
    # The state read is exactly the one the rules pick: a state this server
    # signed, or nothing.
    assert outcome.state == state
    assert outcome.state is None or outcome.state in POOL.values()
    assert outcome.vary == ["Cookie"]
    new = [c for c in outcome.set_cookies if "Max-Age=3600" in c]
    # Keyed values read leave a mark: no older value of theirs shows later.
    marks = [c for c in outcome.set_cookies if "Max-Age=60;" in c]
    deletions = [c for c in outcome.set_cookies if "Max-Age=0" in c]
    assert len(new) + len(marks) + len(deletions) == len(outcome.set_cookies)
    assert all(c.startswith(NAME + ".") for c in new + marks)
    assert len(marks) == (1 if state is not None and state[1] else 0)
    if add:
        # Old entries were all consumed; only the new message is stored.
        (set_cookie,) = new
        assert len(set_cookie) <= WSGI_APP.max_cookie_size
        messages, values, _, invalid = load(set_cookie.split(";")[0])
        assert (messages, values, invalid) == ([("message", FRESH)], {}, False)
    else:
        assert new == []
    # A flash cookie was sent: it was consumed or invalid, so deleted.
    assert bool(deletions) == sent
