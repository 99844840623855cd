"""The hand-written signing and cookie scan agree with the libraries they replace."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st
from itsdangerous.encoding import base64_encode
from itsdangerous.signer import HMACAlgorithm

from flashmw import signing
from flashmw.cookies import find_cookie_values


def _split_scan(header: str, name: str) -> list[str]:
    values = []
    for pair in header.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip(" \t") == name:
            value = value.strip(" \t")
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            values.append(value)
    return values


_pieces = st.sampled_from([*'flash=; \t"\xa0xyz,', "flash", "flash=", "; flash="])
_headers = st.lists(st.one_of(_pieces, st.text(max_size=4)), max_size=30).map("".join)


@given(_headers, st.sampled_from(["flash", "a", "fl", "__Host-flash"]))
def test_cookie_scan_matches_split(header: str, name: str) -> None:
    assert find_cookie_values(header, name) == _split_scan(header, name)


@given(st.binary(min_size=1, max_size=64), st.binary(max_size=300))
def test_signature_matches_itsdangerous(key: bytes, data: bytes) -> None:
    text = data.hex()
    mac = hmac.new(key, digestmod=hashlib.sha256)
    expected = HMACAlgorithm(hashlib.sha256).get_signature(key, text.encode())
    assert signing._signature(mac, text) == base64_encode(expected).decode()
    assert signing._signature(mac, text) == signing._signature(mac, text)
    assert signing._b64encode(data) == base64_encode(data).decode()


@given(st.text(alphabet="ABCXYZabcxyz0189-_+/= .!", max_size=40))
def test_b64decode_matches_validating_base64(text: str) -> None:
    padded = text + "=" * (-len(text) % 4)
    try:
        expected: object = base64.b64decode(padded, altchars=b"-_", validate=True)
    except ValueError as exc:
        expected = type(exc)
    try:
        got: object = signing._b64decode(text)
    except ValueError as exc:
        got = type(exc)
    assert got == expected


@given(st.integers(0, 2**40 - 1))
def test_stamp_matches_itsdangerous(seconds: int) -> None:
    raw = seconds.to_bytes(5, "big").lstrip(b"\x00") or b"\x00"
    assert signing._stamp(seconds + 0.5) == base64_encode(raw).decode()
