"""Every decoding bound, at its edge, through the middleware that enforces it.

``test_hostile.py`` shows that hostile cookies read as empty. The tests here
pin each bound itself: the largest input it admits is read, the next one is
refused, and a value that only *looks* like the codec's own markup (a user
dict with tag-like keys) goes through both middlewares unchanged. Each test
names the bound it guards, so removing the bound fails that test.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import uuid
from collections.abc import Callable
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from flashmw import ASGIFlashMiddleware, FlashMiddleware, get_flash
from flashmw.base import BaseFlashMiddleware
from flashmw.signing import CookieSigner
from flashmw.values import MAX_DEPTH, MAX_INT_DIGITS, TaggedJSONSerializer

from .harness import SECRET, FakeClock

TAGS = [" f", " t", " di", " m", " dt", " dtz", " d", " u"]

# -- helpers --------------------------------------------------------------


def _middleware(**options: Any) -> BaseFlashMiddleware[Any]:
    options.setdefault("secret_key", SECRET)
    options.setdefault("clock", FakeClock())
    return FlashMiddleware(lambda e, s: [], **options)


def _signed(mw: BaseFlashMiddleware[Any], payload: bytes) -> str:
    """A cookie value this server signed now, whatever the payload."""
    return mw._signer.sign(payload, mw._clock())


def _read(mw: BaseFlashMiddleware[Any], value: str) -> tuple[Any, Any, bool]:
    loaded = mw._load(f"flash={value}")
    messages = [(entry.name, entry.value) for entry in loaded.messages]
    values = {key: entry.value for key, entry in loaded.values.items()}
    invalid = any(not cookie.kind for cookie in loaded.garbage)
    return messages, values, invalid


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def _message(value: Any) -> bytes:
    """The JSON of a flash document holding one list message."""
    return json.dumps([[["message", value]], []]).encode()


# -- nesting depth (values.MAX_DEPTH, checked in _untag) --------------------


def test_depth_bound_admits_max_depth() -> None:
    mw = _middleware()
    at_limit = _signed(mw, _message(_nested(MAX_DEPTH)))
    assert _read(mw, at_limit) == ([("message", _nested(MAX_DEPTH))], {}, False)


def test_depth_bound_refuses_deeper_values() -> None:
    mw = _middleware()
    assert _read(mw, _signed(mw, _message(_nested(MAX_DEPTH + 2)))) == ([], {}, True)


def test_depth_bound_refuses_one_container_more_than_the_encoder_writes() -> None:
    mw = _middleware()
    with pytest.raises(TypeError):
        TaggedJSONSerializer().validate(_nested(MAX_DEPTH + 1))
    assert _read(mw, _signed(mw, _message(_nested(MAX_DEPTH + 1)))) == ([], {}, True)


def test_depth_bound_counts_dicts_and_tags_too() -> None:
    mw = _middleware()
    value: Any = "leaf"
    for level in range(MAX_DEPTH + 2):
        value = {" t": [value]} if level % 2 else {"k": value}
    assert _read(mw, _signed(mw, _message(value))) == ([], {}, True)


def test_nesting_100000_deep_reads_as_empty_even_without_the_size_bound() -> None:
    # With the default max_cookie_size the size check refuses this before it
    # is decoded (test_hostile); lift that bound to reach the JSON decoder.
    mw = _middleware(max_cookie_size=1_000_000)
    value = _signed(mw, b"[" * 100_000 + b"]" * 100_000)
    assert len(value) < 1_000_000
    assert _read(mw, value) == ([], {}, True)


def test_serializer_refuses_deep_json_with_value_error() -> None:
    with pytest.raises(ValueError, match="deep"):
        TaggedJSONSerializer().loads(b"[" * 100_000 + b"]" * 100_000)


def test_writing_refuses_values_nested_beyond_the_bound() -> None:
    serializer = TaggedJSONSerializer()
    serializer.validate(_nested(MAX_DEPTH))
    with pytest.raises(TypeError, match="deep"):
        serializer.validate(_nested(MAX_DEPTH + 1))


# -- integers (values.MAX_INT_DIGITS, _bounded_int) -------------------------


@pytest.mark.parametrize("sign", ["", "-"])
def test_int_bound_admits_max_digits_and_refuses_one_more(sign: str) -> None:
    mw = _middleware()
    longest = int(sign + "9" * MAX_INT_DIGITS)
    at_limit = _signed(mw, b'[[["message",%s]],[]]' % str(longest).encode())
    beyond = _signed(mw, b'[[["message",%s9]],[]]' % str(longest).encode())
    assert _read(mw, at_limit) == ([("message", longest)], {}, False)
    assert _read(mw, beyond) == ([], {}, True)


def test_a_5000_digit_int_is_refused_by_our_bound_not_pythons() -> None:
    # CPython refuses int() of more than 4300 digits by default; the bound
    # must not depend on that limit being set.
    serializer = TaggedJSONSerializer()
    with pytest.raises(ValueError, match=f"more than {MAX_INT_DIGITS} digits"):
        serializer.loads(_message(0).replace(b"0", b"9" * 5000))


# -- JSON literals, surrogates, duplicate keys ------------------------------


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_json_constants_are_refused_but_tagged_floats_read_back(
    literal: bytes,
) -> None:
    mw = _middleware()
    raw = _signed(mw, b'[[["message",%s]],[]]' % literal)
    assert _read(mw, raw) == ([], {}, True)
    tagged = _signed(mw, b'[[["message",{" f":"-inf"}]],[]]')
    assert _read(mw, tagged) == ([("message", float("-inf"))], {}, False)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(b'[[["message","\\ud800"]],[]]', id="in-a-message"),
        pytest.param(b'[[["\\udc00","x"]],[]]', id="in-a-category"),
        pytest.param(b'[[],[["\\ud800","x"]]]', id="in-a-key"),
        pytest.param(b'[[["m",{"\\udfff":1}]],[]]', id="in-a-dict-key"),
        pytest.param(b'[[["m","\\ude00\\ud83d"]],[]]', id="pair-reversed"),
    ],
)
def test_lone_surrogates_are_refused_anywhere(document: bytes) -> None:
    mw = _middleware()
    assert _read(mw, _signed(mw, document)) == ([], {}, True)


def test_escaped_surrogate_pairs_are_ordinary_text() -> None:
    mw = _middleware()
    value = _signed(mw, b'[[["message","\\ud83d\\ude00"]],[]]')
    assert _read(mw, value) == ([("message", "\U0001f600")], {}, False)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(b'[[["m",{"a":1,"a":1}]],[]]', id="same-value"),
        pytest.param(b'[[["m",{" t":[],"\\u0020t":[]}]],[]]', id="escaped-twin"),
        pytest.param(b'[[["m",[{"x":{"b":1,"b":2}}]]],[]]', id="nested"),
        pytest.param(b'[[],[["k",1],["k",1]]]', id="keyed-value-twice"),
    ],
)
def test_duplicate_keys_are_refused(document: bytes) -> None:
    mw = _middleware()
    assert _read(mw, _signed(mw, document)) == ([], {}, True)


# -- message count (max_messages, checked in BaseFlashMiddleware._decode) ----


def test_message_count_bound_on_read() -> None:
    mw = _middleware(max_messages=5)
    five = [["message", str(i)] for i in range(5)]
    assert _read(mw, _signed(mw, json.dumps([five, []]).encode()))[2] is False
    six = _signed(mw, json.dumps([five, [["k", 1]]]).encode())
    assert _read(mw, six) == ([], {}, True)


# -- size (max_cookie_size, checked before the signature) -------------------


def test_size_bound_on_read_is_checked_before_the_signature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mw = _middleware()
    value = _signed(mw, _message("x" * 600))
    checked: list[str] = []
    real = CookieSigner.unsign

    def spy(self: CookieSigner, cookie_value: str, now: float) -> bytes:
        checked.append(cookie_value)
        return real(self, cookie_value, now)

    monkeypatch.setattr(CookieSigner, "unsign", spy)
    exact = _middleware(max_cookie_size=len(value))
    assert _read(exact, value) == ([("message", "x" * 600)], {}, False)
    smaller = _middleware(max_cookie_size=len(value) - 1)
    assert _read(smaller, value) == ([], {}, True)
    assert checked == [value]  # the oversized value never reached HMAC


# -- canonical encoding of the signed parts --------------------------------


# Four characters, so that a lenient decoder that skips them would get back
# exactly the original payload.
@pytest.mark.parametrize("junk", ["!!!!", "****", "\\\\\\\\", "@@@@", "!*@!"])
def test_signed_parts_must_be_strict_base64(junk: str) -> None:
    # Signed with the real key (only a key holder could do this), a payload
    # with a character a lenient base64 decoder skips must still be refused:
    # one signed value, one encoding.
    mw = _middleware()
    valid = _signed(mw, _message("hello"))
    payload, stamp, _ = valid.split(".")
    text = f"{payload[:8]}{junk}{payload[8:]}.{stamp}"
    signer = mw._signer
    assert isinstance(signer, CookieSigner)
    forged = f"{text}.{signer.signature(text)}"
    assert _read(mw, valid) == ([("message", "hello")], {}, False)
    assert _read(mw, forged) == ([], {}, True)


# -- tags: unknown, malformed, and user dicts that look like them -----------


@pytest.mark.parametrize("tag", [" x", " ", " T", "  t", " di ", " dt\x00"])
def test_unknown_tags_are_refused(tag: str) -> None:
    mw = _middleware()
    value = _signed(mw, _message({tag: "2026-01-01"}))
    assert _read(mw, value) == ([], {}, True)


@pytest.mark.parametrize(
    ("tag", "body"),
    [
        (" f", "1e999"),
        (" f", float("nan")),
        (" t", {"a": 1}),
        (" di", []),
        (" di", {"a": 1, "b": 2}),
        (" m", ["<b>"]),
        (" dt", 20260101),
        (" dt", "yesterday"),
        (" dtz", ["2026-01-01T00:00", "+05:00"]),
        (" dtz", ["2026-01-01T00:00"]),
        (" d", "2026-02-30"),
        (" d", "2026-01-01T00:00"),
        (" d", "20260101"),  # ISO basic form: Python 3.11+ would parse it
        (" u", "not-a-uuid-but-32-characters-xx"),
        (" u", uuid.uuid4().int),
    ],
)
def test_malformed_tags_are_refused(tag: str, body: Any) -> None:
    mw = _middleware()
    payload = json.dumps([[["message", {tag: body}]], []]).encode()
    assert _read(mw, _signed(mw, payload)) == ([], {}, True)


LOOKALIKES = [
    *({tag: "2026-01-01"} for tag in TAGS),
    *({tag: [1, 2]} for tag in TAGS),
    {" x": 1},
    {" ": None},
    {" di": {" di": {" t": [1]}}},
    {" t": [1], "plain": 2},
    {" m": "<b>not markup</b>", " u": uuid.UUID(int=1).hex},
    [{" t": [1]}, ({" d": "2026-01-01"},)],
    {"nested": {" dt": "2026-01-01T00:00"}},
]


def _wsgi_round_trip(value: Any) -> tuple[Any, Any]:
    """Store ``value`` as a message and a keyed value; read both back (WSGI)."""
    captured: list[str] = []
    seen: list[tuple[Any, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        flash = get_flash(environ)
        if environ.get("HTTP_COOKIE"):
            seen.append((flash.get_flashed_messages()[0], flash["k"]))
        else:
            flash.add(value)
            flash.put("k", value)
        start_response("200 OK", [])
        return []

    def start_response(
        status: str, headers: Any, exc_info: Any = None
    ) -> Callable[[bytes], object]:
        captured.extend(v.split(";")[0] for k, v in headers if k == "Set-Cookie")
        return captured_body.append

    captured_body: list[bytes] = []

    middleware = FlashMiddleware(app, secret_key=SECRET)
    for _ in range(2):
        environ: dict[str, Any] = {}
        setup_testing_defaults(environ)
        if captured:
            environ["HTTP_COOKIE"] = "; ".join(captured)
        middleware(environ, start_response)
    return seen[0]


def _asgi_round_trip(value: Any) -> tuple[Any, Any]:
    """Store ``value`` as a message and a keyed value; read both back (ASGI)."""
    seen: list[tuple[Any, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        flash = get_flash(scope)
        if scope["headers"]:
            seen.append((flash.get_flashed_messages()[0], flash["k"]))
        else:
            flash.add(value)
            flash.put("k", value)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = ASGIFlashMiddleware(app, secret_key=SECRET)

    async def request(headers: list[tuple[bytes, bytes]]) -> list[bytes]:
        sent: list[Any] = []

        async def receive() -> Any:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "scheme": "http", "path": "/"}
        await middleware({**scope, "headers": headers}, receive, send)
        return [v for k, v in sent[0]["headers"] if k == b"set-cookie"]

    async def both() -> None:
        set_cookies = await request([])
        cookie = b"; ".join(value.split(b";")[0] for value in set_cookies)
        await request([(b"cookie", cookie)])

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(both())
    finally:
        loop.close()
    return seen[0]


ROUND_TRIPS: dict[str, Callable[[Any], tuple[Any, Any]]] = {
    "wsgi": _wsgi_round_trip,
    "asgi": _asgi_round_trip,
}


@pytest.mark.parametrize("adapter", sorted(ROUND_TRIPS))
@pytest.mark.parametrize("value", LOOKALIKES, ids=repr)
def test_user_dicts_that_look_like_tags_round_trip(adapter: str, value: Any) -> None:
    message, keyed = ROUND_TRIPS[adapter](value)
    assert message == value
    assert keyed == value
    assert type(message) is type(value)


_tag_like_keys = st.sampled_from([*TAGS, " x", " ", "a"]) | st.text(max_size=4)
_leaves = (
    st.none()
    | st.integers(-(10**MAX_INT_DIGITS) + 1, 10**MAX_INT_DIGITS - 1)
    | st.text(max_size=8)
    | st.sampled_from([*TAGS, "2026-01-01", "nan"])
    | st.dates()
    | st.builds(Markup, st.text(max_size=8))
    | st.datetimes(timezones=st.none() | st.just(datetime.timezone.utc))
)
_lookalike = st.recursive(
    _leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(_tag_like_keys, children, max_size=2)
    ),
    max_leaves=10,
)


@given(_lookalike)
def test_any_value_with_tag_like_keys_round_trips_through_the_middleware(
    value: Any,
) -> None:
    for round_trip in ROUND_TRIPS.values():
        message, keyed = round_trip(value)
        assert message == value
        assert keyed == value


def test_cookie_signer_purpose_includes_the_version() -> None:
    # A future payload format bumps the version, so today's cookies cannot
    # be read as tomorrow's: the purpose (and so the key) must differ.
    current = CookieSigner(SECRET, [], salt="s", cookie_name="flash", max_age=60)
    value = current.sign(b"x", 0)
    other = CookieSigner(SECRET, [], salt="s\x00v2", cookie_name="flash", max_age=60)
    assert other._keys != current._keys
    assert value.count(".") == 2
