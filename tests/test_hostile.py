"""Hostile ``Cookie`` headers: each reads as empty state or the valid state.

Every case is one request to ``/show`` with exactly the header given. The
outcome is a 200 with either the valid state (``hello``) or empty state,
and, when a flash cookie was sent but none verified, its deletion.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from flashmw.base import BaseFlashMiddleware
from flashmw.signing import CLOCK_SKEW, CookieSigner

from .conftest import MakeHarness
from .harness import SECRET, FakeClock, Harness

HELLO = [["message", "hello"]]
VALID = 1  # the state signed by this server comes back
INVALID = 2  # a flash cookie was sent, none verified: empty, and deleted
ABSENT = 3  # no cookie named exactly "flash": empty, and nothing written


class Mint:
    """Makes cookie values as various signers would, at the harness's time."""

    def __init__(self, middleware: BaseFlashMiddleware[Any], clock: FakeClock) -> None:
        self.mw = middleware
        self.clock = clock

    def signed(self, payload: bytes, *, age: float = 0) -> str:
        return self.mw._signer.sign(payload, self.clock() - age)

    def document(self, document: Any, **kwargs: Any) -> str:
        return self.signed(json.dumps(document).encode(), **kwargs)

    def forged(self, signed_part: str) -> str:
        """Sign text that sign() would never produce, with the real key."""
        signer = self.mw._signer
        assert isinstance(signer, CookieSigner)
        return f"{signed_part}.{signer.signature(signed_part)}"

    @property
    def valid(self) -> str:
        return self.document([HELLO, []])

    def with_signer(self, **options: Any) -> str:
        settings: dict[str, Any] = {
            "salt": "flashmw.flash",
            "cookie_name": "flash",
            "max_age": 3600,
        }
        settings.update(options)
        secret = settings.pop("secret", SECRET)
        signer = CookieSigner(secret, [], **settings)
        return signer.sign(json.dumps([HELLO, []]).encode(), self.clock())


Case = Callable[[Mint], bytes]


def _text(make: Callable[[Mint], str]) -> Case:
    return lambda mint: make(mint).encode("latin-1")


def _flip_last(value: str) -> str:
    return value[:-1] + ("A" if value[-1] != "A" else "B")


def _flask_session(mint: Mint) -> str:
    app = Flask(__name__)
    app.secret_key = SECRET
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return str(serializer.dumps({"_flashes": [("message", "hello")]}))


def _starlette_session(mint: Mint) -> str:
    data = base64.b64encode(json.dumps([HELLO, []]).encode())
    return TimestampSigner(SECRET).sign(data).decode()


def _itsdangerous_default(mint: Mint) -> str:
    return str(URLSafeTimedSerializer(SECRET).dumps([HELLO, []]))


def _itsdangerous_same_salt(mint: Mint) -> str:
    return str(
        URLSafeTimedSerializer(
            SECRET,
            salt="flashmw.flash",
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
        ).dumps([HELLO, []])
    )


def _nested(depth: int) -> Any:
    value: Any = "hello"
    for _ in range(depth):
        value = [value]
    return value


HOSTILE = [
    # -- header syntax --------------------------------------------------
    pytest.param(lambda m: b"", ABSENT, id="empty-header"),
    pytest.param(lambda m: b";;; ;", ABSENT, id="only-separators"),
    pytest.param(lambda m: b"flash", ABSENT, id="name-without-value"),
    pytest.param(lambda m: b"flash=", INVALID, id="empty-value"),
    pytest.param(_text(lambda m: "=flash=" + m.valid), ABSENT, id="nameless-pair"),
    pytest.param(_text(lambda m: "\xa0flash=" + m.valid), ABSENT, id="nbsp-latin1"),
    pytest.param(
        lambda m: b"\xc2\xa0flash=" + m.valid.encode(), ABSENT, id="nbsp-utf8"
    ),
    pytest.param(_text(lambda m: "FLASH=" + m.valid), ABSENT, id="upper-case-name"),
    pytest.param(_text(lambda m: "flashy=" + m.valid), ABSENT, id="longer-name"),
    pytest.param(_text(lambda m: "xflash=" + m.valid), ABSENT, id="name-suffix"),
    pytest.param(_text(lambda m: "flash = " + m.valid), VALID, id="spaces-around"),
    pytest.param(_text(lambda m: f'flash="{m.valid}"'), VALID, id="quoted"),
    pytest.param(_text(lambda m: f'flash="{m.valid}'), INVALID, id="open-quote"),
    pytest.param(
        _text(lambda m: f'flash="\\"{m.valid}\\""'), INVALID, id="escaped-quotes"
    ),
    pytest.param(_text(lambda m: f"flash={m.valid}\\"), INVALID, id="backslash"),
    pytest.param(
        _text(lambda m: f"a=1; b=2; flash={m.valid}; c=3"), VALID, id="among-others"
    ),
    pytest.param(
        _text(lambda m: f"flash={m.valid}; flash=junk"), VALID, id="duplicate-after"
    ),
    pytest.param(
        _text(lambda m: f"flash=junk; flash={m.valid}"),
        VALID,
        id="first-that-verifies-wins",
    ),
    pytest.param(
        lambda m: b"x=\xff\xfe\x80; flash=" + m.valid.encode() + b"; y=\xc3",
        VALID,
        id="non-utf8-neighbours",
    ),
    pytest.param(lambda m: m.valid.encode() + b"\xff", ABSENT, id="no-name-at-all"),
    pytest.param(
        lambda m: b"flash=" + m.valid.encode() + b"\xff", INVALID, id="non-utf8-value"
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.valid + "é"), INVALID, id="non-ascii-value"
    ),
    pytest.param(
        _text(lambda m: "a=b; " * 50_000 + "flash=" + m.valid),
        VALID,
        id="50000-pairs",
    ),
    pytest.param(
        _text(lambda m: "x=" + "a" * 1_000_000 + "; flash=" + m.valid),
        VALID,
        id="1MB-header",
    ),
    pytest.param(
        _text(lambda m: "flash=junk; " * 30 + "flash=" + m.valid),
        VALID,
        id="30-junk-flash-cookies",
    ),
    # Verifying costs an HMAC each: past 2 * max_cookies + 1 candidates the
    # rest are not read (and a WARNING says so), so work stays bounded.
    pytest.param(
        _text(lambda m: "flash=junk; " * 1000 + "flash=" + m.valid),
        INVALID,
        id="1000-junk-flash-cookies",
    ),
    # -- signature and timestamp ----------------------------------------
    pytest.param(
        _text(lambda m: "flash=" + _flip_last(m.valid)), INVALID, id="sig-bit"
    ),
    pytest.param(_text(lambda m: "flash=" + m.valid + "="), INVALID, id="sig-padding"),
    pytest.param(_text(lambda m: "flash=" + m.valid + "=="), INVALID, id="sig-pad2"),
    pytest.param(
        _text(lambda m: "flash=" + m.valid[:-5] + "!" + m.valid[-5:]),
        INVALID,
        id="sig-foreign-char",
    ),
    pytest.param(_text(lambda m: "flash=" + m.valid[:-1]), INVALID, id="sig-truncated"),
    pytest.param(
        _text(lambda m: "flash=" + m.valid.rpartition(".")[0] + "."),
        INVALID,
        id="sig-missing",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.valid.replace(".", "..", 1)),
        INVALID,
        id="doubled-separator",
    ),
    pytest.param(_text(lambda m: "flash=" + "x" + m.valid), INVALID, id="payload-edit"),
    pytest.param(
        _text(lambda m: "flash=" + m.valid.split(".")[0]), INVALID, id="payload-only"
    ),
    pytest.param(
        _text(
            lambda m: (
                "flash="
                + ".".join(
                    [m.valid.split(".")[0], "AAAAAA", m.valid.split(".")[2]],
                )
            )
        ),
        INVALID,
        id="timestamp-edit",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.with_signer(secret="another-secret-" * 3)),
        INVALID,
        id="other-secret",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.with_signer(salt="cookie-session")),
        INVALID,
        id="other-salt",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.with_signer(cookie_name="session")),
        INVALID,
        id="signed-for-another-name",
    ),
    pytest.param(
        _text(lambda m: "flash=" + _flask_session(m)), INVALID, id="flask-session"
    ),
    pytest.param(
        _text(lambda m: "flash=" + _starlette_session(m)),
        INVALID,
        id="starlette-session",
    ),
    pytest.param(
        _text(lambda m: "flash=" + _itsdangerous_default(m)),
        INVALID,
        id="itsdangerous-defaults",
    ),
    pytest.param(
        _text(lambda m: "flash=" + _itsdangerous_same_salt(m)),
        INVALID,
        id="itsdangerous-same-salt",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([HELLO, []], age=3601)),
        INVALID,
        id="expired",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([HELLO, []], age=-CLOCK_SKEW - 1)),
        INVALID,
        id="future-beyond-skew",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([HELLO, []], age=-CLOCK_SKEW + 1)),
        VALID,
        id="future-within-skew",
    ),
    # -- payload that verifies but is not ours ----------------------------
    pytest.param(_text(lambda m: "flash=" + m.signed(b"")), INVALID, id="empty"),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b"\xff\xfe")), INVALID, id="not-utf8"
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b"[[], []")), INVALID, id="not-json"
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document({"m": HELLO})), INVALID, id="object"
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([HELLO])), INVALID, id="one-part"
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message"]], []])),
        INVALID,
        id="not-a-pair",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[[1, "hello"]], []])),
        INVALID,
        id="category-not-str",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([HELLO, [["k", 1], ["k", 2]]])),
        INVALID,
        id="key-twice",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", _nested(40)]], []])),
        INVALID,
        id="nested-40-deep",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b"[" * 100_000 + b"]" * 100_000)),
        INVALID,
        id="nested-100000-deep",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b"[" * 1500 + b"]" * 1500)),
        INVALID,
        id="nested-1500-deep-within-size",
    ),
    pytest.param(
        _text(
            lambda m: "flash=" + m.signed(b'[[["message",' + b"9" * 5000 + b"]],[]]")
        ),
        INVALID,
        id="5000-digit-int",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b'[[["message",' + b"9" * 101 + b"]],[]]")),
        INVALID,
        id="101-digit-int",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b'[[["message",NaN]],[]]')),
        INVALID,
        id="nan-literal",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b'[[["message",-Infinity]],[]]')),
        INVALID,
        id="infinity-literal",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b'[[["message","\\ud800"]],[]]')),
        INVALID,
        id="lone-surrogate",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.signed(b'[[["message",{"a":1,"a":2}]],[]]')),
        INVALID,
        id="duplicate-json-keys",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", {" x": 1}]], []])),
        INVALID,
        id="unknown-tag",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", {" t": "no"}]], []])),
        INVALID,
        id="malformed-tuple-tag",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", {" dt": "soon"}]], []])),
        INVALID,
        id="malformed-datetime-tag",
    ),
    pytest.param(
        _text(
            lambda m: (
                "flash=" + m.document([[["m", {" dtz": ["2026-01-01", 1.5]}]], []])
            )
        ),
        INVALID,
        id="malformed-aware-datetime-tag",
    ),
    pytest.param(
        _text(
            lambda m: (
                "flash="
                + m.document([[["m", {" dtz": ["2026-01-01T00:00", 10**12]}]], []])
            )
        ),
        INVALID,
        id="offset-beyond-a-day",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", {" u": 5}]], []])),
        INVALID,
        id="malformed-uuid-tag",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", {" f": "1.5"}]], []])),
        INVALID,
        id="malformed-float-tag",
    ),
    pytest.param(
        _text(
            lambda m: "flash=" + m.document([[["m", {" di": {"a": 1, "b": 2}}]], []])
        ),
        INVALID,
        id="malformed-escape-tag",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", {" m": 1}]], []])),
        INVALID,
        id="malformed-markup-tag",
    ),
    pytest.param(
        _text(
            lambda m: "flash=" + m.document([[["message", {" d": "2026-13-01"}]], []])
        ),
        INVALID,
        id="impossible-date-tag",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", {" d": 20261101}]], []])),
        INVALID,
        id="malformed-date-tag",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([HELLO, {"info": "x"}])),
        INVALID,
        id="values-not-a-list",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.forged("!!!!.AAAA")), INVALID, id="signed-junk"
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", "x"]] * 101, []])),
        INVALID,
        id="too-many-messages",
    ),
    pytest.param(
        _text(lambda m: "flash=" + m.document([[["message", "x" * 4000]], []])),
        INVALID,
        id="longer-than-max-cookie-size",
    ),
]


@pytest.mark.parametrize(("case", "outcome"), HOSTILE)
def test_hostile_cookie_header(
    make: MakeHarness,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    case: Case,
    outcome: int,
) -> None:
    harness = make()
    header = case(Mint(harness.app, clock))
    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        response = harness.raw(header)
    assert response.status == 200
    if outcome == VALID:
        assert response.body == HELLO
        return
    assert response.body == []
    if outcome == INVALID:
        assert len(response.set_cookies) == 1
        assert "Max-Age=0" in response.set_cookies[0]
        assert "ignored a flash cookie" in caplog.text
    else:
        assert response.set_cookies == []


def test_hostile_table_is_large_enough() -> None:
    assert len(HOSTILE) >= 30


def test_no_header_at_all(harness: Harness) -> None:
    response = harness.raw(None)
    assert (response.status, response.body, response.set_cookies) == (200, [], [])


@given(st.binary(max_size=600))
def test_arbitrary_cookie_bytes_never_raise(data: bytes) -> None:
    from .harness import WSGIHarness

    response = WSGIHarness().raw(b"flash=" + data)
    assert response.status == 200
    assert response.body == []


@given(st.binary(max_size=600))
def test_arbitrary_signed_payloads_read_as_empty_or_a_valid_state(data: bytes) -> None:
    from .harness import WSGIHarness

    harness = WSGIHarness()
    value = harness.app._signer.sign(data, harness.app._clock())
    response = harness.raw(b"flash=" + value.encode())
    assert response.status == 200
    assert isinstance(response.body, list)
