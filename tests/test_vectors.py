"""Known-answer vectors: fixed inputs give fixed cookie values.

A live site holds cookies signed by the running release. If a refactor
changes how the key is derived (secret, salt, cookie name, purpose), how
the timestamp or payload is encoded, or how the signature is computed, every
flash in flight stops verifying on upgrade. These vectors make such a
change fail here, so it can only be made on purpose, with a new format
version and a CHANGES.md entry (see the version policy there).

The values below were computed by flashmw 0.1.0; each is also recomputed
from the standard library alone (:func:`reference_sign`), which documents
the format.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import uuid

import pytest
from markupsafe import Markup

from flashmw import FlashMiddleware
from flashmw.signing import BadSignature, CookieSigner
from flashmw.testing import make_cookie
from flashmw.values import TaggedJSONSerializer

SECRET = "s3cr3t-for-tests-only-0123456789abcdef"
NOW = 1_800_000_000.0
#: ``[[["message","Hi"]],[]]``: one message, no keyed values.
PAYLOAD = b'[[["message","Hi"]],[]]'
DEFAULT_SALT_VALUE = (
    "W1tbIm1lc3NhZ2UiLCJIaSJdXSxbXV0.a0nSAA.vaQtm5NptfT0u0PDtA3WO-VEwB6Wvl0qnPhmzQ5TYDo"
)
#: HMAC-SHA256(secret, b"flashmw.flash\x00cookie=flash\x00v1").
DEFAULT_KEY = "af945ba1b1222385aabd379b36cc93c078d269786d4a7d1c10ae25d7159858db"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def reference_sign(
    secret: bytes, salt: bytes, cookie_name: str, payload: bytes, now: int
) -> str:
    """The cookie value format, from the standard library alone.

    ``payload.timestamp.signature``, each base64url without padding; the
    timestamp is the big-endian integer second without leading zero bytes;
    the signature is HMAC-SHA256 of ``payload.timestamp`` under a key that
    is HMAC-SHA256 of the secret over ``salt NUL cookie=NAME NUL v1``.
    """
    purpose = salt + b"\x00cookie=" + cookie_name.encode("ascii") + b"\x00v1"
    key = hmac.new(secret, purpose, hashlib.sha256).digest()
    stamp = now.to_bytes(5, "big").lstrip(b"\x00") or b"\x00"
    value = f"{_b64(payload)}.{_b64(stamp)}"
    signature = hmac.new(key, value.encode("ascii"), hashlib.sha256).digest()
    return f"{value}.{_b64(signature)}"


def _signer(
    secret: str | bytes = SECRET,
    salt: str | bytes = "flashmw.flash",
    cookie_name: str = "flash",
) -> CookieSigner:
    return CookieSigner(secret, [], salt=salt, cookie_name=cookie_name, max_age=3600)


SIGN_VECTORS = [
    # secret, salt, cookie name, expected value of sign(PAYLOAD, NOW)
    (SECRET, "flashmw.flash", "flash", DEFAULT_SALT_VALUE),
    (SECRET.encode(), "flashmw.flash", "flash", DEFAULT_SALT_VALUE),
    (SECRET, b"flashmw.flash", "flash", DEFAULT_SALT_VALUE),
    (SECRET.encode(), b"flashmw.flash", "flash", DEFAULT_SALT_VALUE),
    (
        SECRET,
        "other-salt",
        "flash",
        "W1tbIm1lc3NhZ2UiLCJIaSJdXSxbXV0.a0nSAA.y78yPj42ns0jN8RVYuyFDbKhFP1n0HoWrt5s_yx6Bxs",
    ),
    (
        SECRET,
        "flashmw.flash",
        "notice",
        "W1tbIm1lc3NhZ2UiLCJIaSJdXSxbXV0.a0nSAA.rYgjb5ipqxB7Dzg51zb4r_iM-iG4fq9axH1bORpL5gs",
    ),
    (
        b"\x00\xffbinary-secret-0123456789abcdefgh",
        "flashmw.flash",
        "flash",
        "W1tbIm1lc3NhZ2UiLCJIaSJdXSxbXV0.a0nSAA.pBz_MivIXrGiU8wQhuYZlpn9w8atghUGiWmxutOsx1k",
    ),
]


@pytest.mark.parametrize(("secret", "salt", "cookie_name", "expected"), SIGN_VECTORS)
def test_sign_gives_the_known_value(
    secret: str | bytes, salt: str | bytes, cookie_name: str, expected: str
) -> None:
    signer = _signer(secret, salt, cookie_name)
    assert signer.sign(PAYLOAD, NOW) == expected
    assert signer.sign(PAYLOAD, NOW + 0.99) == expected  # whole seconds
    assert len(expected) == signer.signed_length(len(PAYLOAD), NOW)
    assert signer.unsign(expected, NOW + 10) == PAYLOAD


@pytest.mark.parametrize(("secret", "salt", "cookie_name", "expected"), SIGN_VECTORS)
def test_reference_implementation_agrees(
    secret: str | bytes, salt: str | bytes, cookie_name: str, expected: str
) -> None:
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    salt_bytes = salt.encode() if isinstance(salt, str) else salt
    value = reference_sign(secret_bytes, salt_bytes, cookie_name, PAYLOAD, int(NOW))
    assert value == expected


def test_derived_key_is_known() -> None:
    purpose = b"flashmw.flash\x00cookie=flash\x00v1"
    expected = hmac.new(SECRET.encode(), purpose, hashlib.sha256).hexdigest()
    assert expected == DEFAULT_KEY
    # The key signs: a signature made with it by hand verifies.
    key = bytes.fromhex(DEFAULT_KEY)
    value = DEFAULT_SALT_VALUE.rpartition(".")[0]
    mac = hmac.new(key, value.encode(), hashlib.sha256).digest()
    assert _signer().unsign(f"{value}.{_b64(mac)}", NOW) == PAYLOAD


def test_default_salt_is_flashmw_flash() -> None:
    options = {"secret_key": SECRET, "clock": lambda: NOW}
    assert make_cookie(options, ["Hi"]).value == DEFAULT_SALT_VALUE
    salted = make_cookie({**options, "salt": "flashmw.flash"}, ["Hi"])
    assert salted.value == DEFAULT_SALT_VALUE
    assert make_cookie({**options, "salt": "x"}, ["Hi"]).value != DEFAULT_SALT_VALUE


def test_bytes_salt_through_the_middleware() -> None:
    options = {"secret_key": SECRET, "clock": lambda: NOW, "salt": b"\xff\x00bin"}
    cookie = make_cookie(options, ["Hi"], {"k": (1, 2)})
    assert cookie.value == (
        "W1tbIm1lc3NhZ2UiLCJIaSJdXSxbWyJrIix7IiB0IjpbMSwyXX1dXV0.a0nSAA."
        "RLbpMjQEk8yZWVLkZdiifNPSAil0zCr8q4p0TfBxA6A"
    )
    payload = b'[[["message","Hi"]],[["k",{" t":[1,2]}]]]'
    assert cookie.value == reference_sign(
        SECRET.encode(), b"\xff\x00bin", "flash", payload, int(NOW)
    )


@pytest.mark.parametrize(
    ("now", "stamp"),
    [
        (0, "AA"),
        (1, "AQ"),
        (255, "_w"),
        (256, "AQA"),
        (NOW + 0.9, "a0nSAA"),
        (2**40 - 1, "______8"),
    ],
)
def test_timestamp_encoding(now: float, stamp: str) -> None:
    value = _signer().sign(b"x", now)
    assert value.split(".")[1] == stamp
    assert len(value) == _signer().signed_length(1, now)


def test_serialized_document_is_known() -> None:
    aware = datetime.datetime(
        2026, 3, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
    )
    document = [
        [
            ("message", "Hi"),
            ("info", Markup("<b>x</b>")),
            ("t", (1, "a")),
            ("d", datetime.date(2026, 3, 1)),
            ("dt", aware),
            ("n", datetime.datetime(2026, 3, 1, 12, 0, 0, 5)),
            ("u", uuid.UUID(int=1)),
            ("f", float("inf")),
            ("g", 1.5),
            ("tag", {" x": 1}),
            ("obj", {"a": [None, True]}),
        ],
        [("key", "ü")],
    ]
    expected = (
        '[[["message","Hi"],["info",{" m":"<b>x</b>"}],["t",{" t":[1,"a"]}],'
        '["d",{" d":"2026-03-01"}],'
        '["dt",{" dtz":["2026-03-01T12:00:00",-18000000000]}],'
        '["n",{" dt":"2026-03-01T12:00:00.000005"}],'
        '["u",{" u":"00000000000000000000000000000001"}],["f",{" f":"inf"}],'
        '["g",1.5],["tag",{" di":{" x":1}}],["obj",{"a":[null,true]}]],'
        '[["key","ü"]]]'
    ).encode()
    serializer = TaggedJSONSerializer()
    assert serializer.dumps(document) == expected
    read = serializer.loads(expected)
    assert read[0][4] == ["dt", aware]
    assert read[0][4][1].utcoffset() == datetime.timedelta(hours=-5)


def test_value_moved_to_another_name_or_salt_does_not_verify() -> None:
    with pytest.raises(BadSignature):
        _signer(cookie_name="notice").unsign(DEFAULT_SALT_VALUE, NOW)
    with pytest.raises(BadSignature):
        _signer(salt="other-salt").unsign(DEFAULT_SALT_VALUE, NOW)


def test_middleware_reads_the_vector() -> None:
    mw = FlashMiddleware(lambda e, s: [], secret_key=SECRET, clock=lambda: NOW + 5)
    loaded = mw._load(f"flash={DEFAULT_SALT_VALUE}")
    assert [(e.name, e.value) for e in loaded.messages] == [("message", "Hi")]
    assert loaded.values == {}
