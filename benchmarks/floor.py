"""The floor: the least work the standard library can do for a flash cookie.

Decoding three messages is: split the value, HMAC-SHA256 the signed part,
compare digests in constant time, base64url-decode the timestamp and the
payload, check the age, and parse the JSON. Encoding one message is the
same in reverse. No tagging, no validation beyond the signature, no
cookie attributes: no real middleware can be cheaper than this.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from benchmarks.traffic import NEW, SECRET, SEEDED

_KEY = hashlib.sha256(SECRET.encode("utf-8")).digest()
_MAX_AGE = 3600


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(document: Any) -> str:
    """Return a signed cookie value holding ``document``."""
    payload = _b64(json.dumps(document, separators=(",", ":")).encode("utf-8"))
    stamp = _b64(int(time.time()).to_bytes(4, "big"))
    signed = payload + b"." + stamp
    signature = _b64(hmac.digest(_KEY, signed, "sha256"))
    return (signed + b"." + signature).decode("ascii")


def decode(value: str) -> Any:
    """Return the document in a cookie value made by :func:`encode`.

    :raises ValueError: if the signature does not match or it expired.
    """
    signed, _, signature = value.rpartition(".")
    expected = _b64(hmac.digest(_KEY, signed.encode("ascii"), "sha256"))
    if not hmac.compare_digest(expected, signature.encode("ascii")):
        raise ValueError("bad signature")
    payload, _, stamp = signed.partition(".")
    if time.time() - int.from_bytes(_unb64(stamp), "big") > _MAX_AGE:
        raise ValueError("expired")
    return json.loads(_unb64(payload))


#: The S1/S2 cookie value, in flashmw's document shape.
SEEDED_VALUE = encode([[list(m) for m in SEEDED], []])
#: The S3 document: one new message.
NEW_DOCUMENT = [[list(NEW)], []]


def decode_three() -> Any:
    """Decode the three seeded messages (the floor of S2's read)."""
    return decode(SEEDED_VALUE)


def encode_one() -> str:
    """Encode one message (the floor of S3's write)."""
    return encode(NEW_DOCUMENT)


def check() -> None:
    """Raise :class:`AssertionError` unless the floor round-trips."""
    assert decode_three() == [[list(m) for m in SEEDED], []]
    assert decode(encode_one()) == NEW_DOCUMENT
