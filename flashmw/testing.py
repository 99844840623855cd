"""Helpers for testing applications that use flashmw.

Three things a test of a flashing app needs, all bound to the middleware's
options (pass the middleware itself, or the keyword options it was built
with as a dict, such as ``{"secret_key": SECRET}``):

- :func:`make_cookie` builds a valid signed flash cookie, to start a test
  with flashes waiting;
- :func:`read_flash` reads the flash state a response stores in its
  ``Set-Cookie``, without consuming anything;
- :func:`assert_flashes` asserts that state and explains what differs.

For example, with werkzeug's (or Flask's) test client::

    from flashmw.testing import assert_flashes, make_cookie

    cookie = make_cookie(mw, values={"info": "Welcome back."})
    client.set_cookie(cookie.name, cookie.value)
    response = client.post("/login", data={"cname": "ann", "pwd": "secret"})
    assert_flashes(mw, response, ["ann account were successfully logged in"])

Responses may be werkzeug or Flask test responses, ``httpx`` responses
(Starlette's ``TestClient`` too), WebOb responses, Django responses (whose
cookies are in ``response.cookies``), or raw header lists as
WSGI (``[(str, str)]``) and ASGI (``[(bytes, bytes)]``) carry them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import BaseCookie
from typing import Any

from .base import BaseFlashMiddleware
from .cookies import find_cookies
from .layout import decode, decode_legacy
from .state import wanted_categories
from .store import decode_reference, is_reference
from .wsgi import FlashMiddleware

__all__ = [
    "FlashCookie",
    "FlashState",
    "assert_flashes",
    "make_cookie",
    "read_flash",
]

#: The middleware itself, or the keyword options it was built with.
MiddlewareOrOptions = BaseFlashMiddleware[Any] | Mapping[str, Any]
#: A bare message (category ``"message"``) or a ``(category, message)`` pair.
ExpectedMessage = Any

_DEFAULT_CATEGORY = "message"


def _unused_app(environ: Any, start_response: Any) -> list[bytes]:
    """The app behind a middleware built only to read its options."""
    raise AssertionError("flashmw.testing never calls the application")


def _middleware(source: MiddlewareOrOptions) -> BaseFlashMiddleware[Any]:
    if isinstance(source, BaseFlashMiddleware):
        return source
    if isinstance(source, Mapping):
        return FlashMiddleware(_unused_app, **source)
    raise TypeError(
        "pass the flashmw middleware or a dict of its options, not "
        f"{type(source).__name__}"
    )


def _pair(item: ExpectedMessage) -> tuple[str, Any]:
    # A 2-tuple is (category, message); anything else is a message in the
    # default category, as flash(message) stores it.
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return item[0], item[1]
    return _DEFAULT_CATEGORY, item


@dataclass(frozen=True)
class FlashCookie:
    """A signed flash cookie, ready to put in a test client.

    ``client.set_cookie(cookie.name, cookie.value)`` (werkzeug, Flask),
    ``client.cookies.set(cookie.name, cookie.value)`` (httpx, Starlette), or
    ``headers={"Cookie": cookie.header}`` for one raw request.
    """

    name: str
    value: str

    @property
    def header(self) -> str:
        """The cookie as a ``Cookie`` request header value: ``name=value``."""
        return f"{self.name}={self.value}"


@dataclass(frozen=True)
class FlashState:
    """The flash a response stores: list messages and keyed values.

    Reading it consumes nothing; it is a plain snapshot.
    """

    #: ``(category, message)`` pairs, oldest first.
    messages: list[tuple[str, Any]] = field(default_factory=list)
    #: Keyed values, oldest first.
    values: dict[str, Any] = field(default_factory=dict)

    def get_flashed_messages(
        self, with_categories: bool = False, category_filter: Iterable[str] = ()
    ) -> list[Any]:
        """Return the messages as :meth:`flashmw.Flash.get_flashed_messages` would."""
        wanted = wanted_categories(category_filter)
        pairs = [m for m in self.messages if not wanted or m[0] in wanted]
        if with_categories:
            return pairs
        return [message for _, message in pairs]

    def __bool__(self) -> bool:
        return bool(self.messages or self.values)


def make_cookie(
    middleware: MiddlewareOrOptions,
    messages: Iterable[ExpectedMessage] = (),
    values: Mapping[str, Any] | None = None,
    *,
    now: float | None = None,
) -> FlashCookie:
    """Build the flash cookie that a middleware with these options would write.

    :param middleware: the middleware, or a dict of its keyword options.
    :param messages: list messages, oldest first: each a bare message
        (category ``"message"``) or a ``(category, message)`` pair.
    :param values: keyed values, as :meth:`flashmw.Flash.put` stores them.
    :param now: the signing time in seconds since the epoch; defaults to the
        middleware's clock. An old time makes an expired cookie.
    :raises TypeError: if a category, key or value cannot be stored.
    """
    mw = _middleware(middleware)
    pairs = [_pair(item) for item in messages]
    keyed = dict(values or {})
    for name, value in [*pairs, *keyed.items()]:
        if type(name) is not str:
            raise TypeError(f"categories and keys must be str, not {name!r}")
        mw._validate(name)
        mw._validate(value)
    # One cookie for the whole state, in the format of flashmw 0.1, which
    # the middleware reads and rewrites into its own layout as it changes.
    payload = mw.serializer.dumps([pairs, list(keyed.items())])
    signed_at = mw._clock() if now is None else now
    return FlashCookie(mw.cookie_name, mw._signer.sign(payload, signed_at))


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _set_cookie_headers(response: Any) -> list[str]:
    """Return every ``Set-Cookie`` value of a response or header list."""
    cookies = getattr(response, "cookies", None)
    if isinstance(cookies, BaseCookie):
        # Django keeps its cookies out of response.headers, in a SimpleCookie
        # it renders as Set-Cookie headers when the response goes out.
        return [morsel.OutputString() for morsel in cookies.values()]
    headers = getattr(response, "headers", response)
    # httpx, werkzeug and WebOb each name "all values of one header"
    # differently; a plain items() would join Set-Cookie values with commas,
    # which also appear inside Expires dates.
    for method in ("get_list", "getlist", "getall"):
        get_all = getattr(headers, method, None)
        if callable(get_all):
            return [_text(value) for value in get_all("Set-Cookie")]
    if isinstance(headers, Mapping) or not isinstance(headers, Iterable):
        raise TypeError(
            "pass a response (werkzeug, httpx, WebOb, Django) or a list of "
            f"(name, value) header pairs, not {type(response).__name__}"
        )
    return [
        _text(value) for name, value in headers if _text(name).lower() == "set-cookie"
    ]


def _set_cookie_pair(header: str) -> tuple[str, str | None]:
    """Return the name of a ``Set-Cookie`` and its value; ``None`` means deleted."""
    pair, *attributes = header.split(";")
    name, _, value = pair.partition("=")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    for attribute in attributes:
        attr_name, _, attr_value = attribute.partition("=")
        if attr_name.strip().lower() == "max-age" and attr_value.strip() == "0":
            return name.strip(), None
    return name.strip(), value


def read_flash(
    middleware: MiddlewareOrOptions, response: Any, cookies: str | None = None
) -> FlashState | None:
    """Return the flash state the client holds after ``response``.

    Nothing is consumed: this only decodes ``Set-Cookie`` headers. With a
    ``store``, what the cookies refer to is left out: reading it would
    take it from the store.

    :param middleware: the middleware, or a dict of its keyword options.
    :param response: a werkzeug/Flask, httpx/Starlette, WebOb or Django response,
        or a list of ``(name, value)`` header pairs (``str`` or ``bytes``).
    :param cookies: the ``Cookie`` header the request carried. Without it,
        the state is what the response adds (each response writes only
        what its request flashed, in cookies of their own).
    :returns: ``None`` when the response sets and deletes no flash cookie
        (the client keeps what it had); an empty state when it only
        deletes or clears.
    :raises ValueError: if a flash cookie in the response does not verify
        with these options (another secret, salt or cookie name, or an
        expired timestamp).
    """
    mw = _middleware(middleware)
    jar = dict(find_cookies(cookies, mw.cookie_name)) if cookies else {}
    changed = False
    now = mw._clock()
    for header in _set_cookie_headers(response):
        name, value = _set_cookie_pair(header)
        if [name] != [found for found, _ in find_cookies(f"{name}=", mw.cookie_name)]:
            continue
        changed = True
        if value is None:
            jar.pop(name, None)
            continue
        try:
            if name == mw.cookie_name:
                decode_legacy(mw, name, value, now)
            elif mw.store is not None and is_reference(mw, name):
                decode_reference(mw, name, value, now)
            else:
                decode(mw, name, value, now)
        except ValueError as exc:
            raise ValueError(
                f"the {name!r} cookie in the response does not verify "
                f"with these options: {exc}"
            ) from exc
        jar[name] = value
    if not changed:
        return None
    loaded = mw._load("; ".join(f"{name}={value}" for name, value in jar.items()))
    return FlashState(
        [(e.name, e.value) for e in loaded.messages],
        {key: entry.value for key, entry in loaded.values.items()},
    )


def _differences(
    expected: list[tuple[str, Any]], actual: list[tuple[str, Any]]
) -> list[str]:
    lines = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
        if want[0] != got[0]:
            lines.append(
                f"  message {index}: category {got[0]!r}, expected {want[0]!r}"
            )
        if want[1] != got[1]:
            lines.append(f"  message {index}: {got[1]!r}, expected {want[1]!r}")
    for index in range(len(actual), len(expected)):
        lines.append(f"  message {index} is missing: {expected[index]!r}")
    for index in range(len(expected), len(actual)):
        lines.append(f"  message {index} is unexpected: {actual[index]!r}")
    return lines


def _value_differences(
    expected: Mapping[str, Any], actual: Mapping[str, Any]
) -> list[str]:
    lines = []
    for key, want in expected.items():
        if key not in actual:
            lines.append(f"  key {key!r} is missing: expected {want!r}")
        elif actual[key] != want:
            lines.append(f"  key {key!r}: {actual[key]!r}, expected {want!r}")
    for key in actual:
        if key not in expected:
            lines.append(f"  key {key!r} is unexpected: {actual[key]!r}")
    return lines


def assert_flashes(
    middleware: MiddlewareOrOptions,
    response: Any,
    messages: Iterable[ExpectedMessage] | None = None,
    values: Mapping[str, Any] | None = None,
    *,
    cookies: str | None = None,
) -> FlashState:
    """Assert that ``response`` stores exactly these flashes.

    :param middleware: the middleware, or a dict of its keyword options.
    :param response: as for :func:`read_flash`.
    :param messages: the expected list messages in order, each a bare
        message (category ``"message"``) or a ``(category, message)`` pair;
        ``None`` leaves them unchecked.
    :param values: the expected keyed values; ``None`` leaves them unchecked.
    :param cookies: the ``Cookie`` header the request carried, to assert
        what the client holds afterwards rather than what the response adds
        (as for :func:`read_flash`).
    :returns: the state read, for further checks.
    :raises AssertionError: naming each category, message or key that
        differs, or saying that the response does not set the flash cookie.
    """
    state = read_flash(middleware, response, cookies)
    if state is None:
        raise AssertionError(
            "the response does not set the flash cookie, so the client keeps "
            "whatever flash it had (check with read_flash(...) is None)"
        )
    problems = []
    if messages is not None:
        expected = [_pair(item) for item in messages]
        lines = _differences(expected, state.messages)
        if lines:
            problems.append(
                f"flash messages differ:\n  expected {expected!r}\n"
                f"  actual   {state.messages!r}\n" + "\n".join(lines)
            )
    if values is not None:
        lines = _value_differences(values, state.values)
        if lines:
            problems.append(
                f"flash values differ:\n  expected {dict(values)!r}\n"
                f"  actual   {state.values!r}\n" + "\n".join(lines)
            )
    if problems:
        raise AssertionError("\n".join(problems))
    return state
