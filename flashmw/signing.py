"""Signing and verifying flash cookie values.

A cookie value is ``payload.timestamp.signature``, each part base64url
without padding. The HMAC-SHA256 signature covers the payload and the
timestamp, under a key derived (by itsdangerous) from the secret, the salt
and the cookie name, so a value moved to another cookie name or signed for
another purpose never verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import sys
from collections.abc import Sequence
from typing import Protocol

from itsdangerous.signer import Signer

#: Seconds a timestamp may lie in the future (clocks of several servers
#: drift); anything later is rejected as forged or broken.
CLOCK_SKEW = 60

# base64url of a 32-byte SHA-256 digest, without padding.
_SIGNATURE_LENGTH = 43
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")

#: How an encrypted value (:mod:`flashmw.sealing`) starts. One character
#: then a dot: a signed value never starts so, because a lone base64
#: character never decodes, so the two formats cannot be mistaken.
SEALED_PREFIX = "e."


class BadSignature(ValueError):
    """A cookie value that does not verify; the message says why."""


class CookieCodec(Protocol):
    """What the middleware needs from a cookie value codec.

    :class:`CookieSigner` signs; :class:`flashmw.sealing.CookieSealer`
    encrypts. Either turns a payload into the text of a cookie value and
    back, under the key ring, the salt and the cookie name it was built with.
    """

    max_age: float

    def sign(self, payload: bytes, now: float) -> str:
        """Return the cookie value for ``payload`` written at time ``now``."""

    def signed_length(self, payload_length: int, now: float) -> int:
        """Return ``len(sign(payload, now))`` for a payload of that length."""

    def unsign(self, cookie_value: str, now: float) -> bytes:
        """Return the payload of a valid cookie value.

        :raises BadSignature: for anything else.
        """


def check_age(written_at: int, now: float, max_age: float) -> None:
    """Refuse a value written more than ``max_age`` seconds before ``now``.

    :raises BadSignature: if it expired, or if it was written more than
        :data:`CLOCK_SKEW` seconds in the future.
    """
    age = now - written_at
    if age > max_age:
        raise BadSignature(f"expired {age - max_age:.0f}s ago")
    if age < -CLOCK_SKEW:
        raise BadSignature(f"timestamp {-age:.0f}s in the future")


def _derive_key(secret: str | bytes, salt: bytes) -> bytes:
    signer = Signer(
        secret, salt=salt, key_derivation="hmac", digest_method=hashlib.sha256
    )
    return signer.derive_key()


def _b64encode(data: bytes) -> str:
    # What itsdangerous.encoding.base64_encode returns, as text, without its
    # three Python-level calls: this runs up to three times per write.
    return (
        binascii.b2a_base64(data, newline=False)
        .rstrip(b"=")
        .translate(_TO_URLSAFE)
        .decode("ascii")
    )


# The timestamp changes once a second but is encoded on every write and
# size check: keep the last one. A tuple swap is atomic, so threads that
# race here at worst encode the same second twice.
_last_stamp: tuple[int, str] = (-1, "")


def _stamp(now: float) -> str:
    global _last_stamp  # noqa: PLW0603 (a one-entry cache)
    seconds = int(now)
    cached_seconds, text = _last_stamp
    if seconds != cached_seconds:
        raw = seconds.to_bytes(5, "big").lstrip(b"\x00") or b"\x00"
        text = _b64encode(raw)
        _last_stamp = (seconds, text)
    return text


# The reverse of _stamp's cache: cookies read in one request, and in one
# second, were mostly signed in the same second.
_last_read: tuple[str, int] = ("", -1)


def _stamp_seconds(text: str) -> int:
    """Return the seconds a timestamp's text encodes (strict base64url).

    :raises binascii.Error: if it is not base64url.
    """
    global _last_read  # noqa: PLW0603 (a one-entry cache)
    cached_text, seconds = _last_read
    if text != cached_text:
        seconds = int.from_bytes(_b64decode(text), "big")
        _last_read = (text, seconds)
    return seconds


if sys.version_info >= (3, 11):

    def _a2b(data: bytes) -> bytes:
        # What base64.b64decode(..., validate=True) does on 3.11+, minus
        # rebuilding its translation table on every call.
        return binascii.a2b_base64(data, strict_mode=True)

else:  # pragma: no cover (3.10 has no strict_mode)

    def _a2b(data: bytes) -> bytes:
        return base64.b64decode(data, validate=True)


def _b64decode(text: str) -> bytes:
    # Strict: a character outside base64url is an error, not skipped. The
    # caller has checked that the text is ASCII.
    padded = text + "=" * (-len(text) % 4)
    return _a2b(padded.encode("ascii").translate(_FROM_URLSAFE))


def _signature(mac: hmac.HMAC, value: str) -> str:
    """Return the base64url HMAC of ``value`` under a keyed prototype.

    The reference: :meth:`CookieSigner.signature` uses it, and a test holds
    :func:`_pad_signature`, which signs and verifies, to it.
    """
    copy = mac.copy()
    copy.update(value.encode("ascii"))
    return _b64encode(copy.digest())


#: SHA-256 states after a key's inner and outer pad (RFC 2104): an HMAC is
#: then two copies, two updates and two digests, all in C.
Pads = tuple["hashlib._Hash", "hashlib._Hash"]


def _pads(key: bytes) -> Pads:
    """Return the SHA-256 states of ``key``'s inner and outer HMAC pads."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\x00")
    inner = hashlib.sha256(key.translate(_INNER_PAD))
    outer = hashlib.sha256(key.translate(_OUTER_PAD))
    return inner, outer


_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


def _pad_signature(pads: Pads, value: str) -> str:
    """Return what :func:`_signature` returns, from precomputed pads.

    Skips the Python frames of :class:`hmac.HMAC` (``copy``, ``digest``):
    about 40% of a signature's cost, paid once per cookie read or written.
    """
    inner, outer = pads
    inner = inner.copy()
    inner.update(value.encode("ascii"))
    outer = outer.copy()
    outer.update(inner.digest())
    return _b64encode(outer.digest())


class CookieSigner:
    """Sign with the newest key; verify with it and every fallback key."""

    __slots__ = ("_keys", "_macs", "_pads", "max_age")

    def __init__(
        self,
        secret_key: str | bytes,
        fallback_keys: Sequence[str | bytes],
        *,
        salt: str | bytes,
        cookie_name: str,
        max_age: float,
    ) -> None:
        salt_bytes = salt.encode("utf-8") if isinstance(salt, str) else salt
        # The cookie name joins the salt: a value copied into another cookie
        # name is signed for another purpose. The version leaves room for a
        # future payload format that old cookies must not verify against.
        purpose = b"%s\x00cookie=%s\x00v1" % (salt_bytes, cookie_name.encode("ascii"))
        self._keys = [_derive_key(key, purpose) for key in (secret_key, *fallback_keys)]
        # Keyed states copied per use skip hashing the key pads on every
        # request; the pads (which sign and verify) skip hmac's frames too.
        self._macs = [hmac.new(key, digestmod=hashlib.sha256) for key in self._keys]
        self._pads = [_pads(key) for key in self._keys]
        self.max_age = max_age

    def signature(self, value: str) -> str:
        """Return the signature text of ``value`` under ``secret_key``."""
        return _signature(self._macs[0], value)

    def sign(self, payload: bytes, now: float) -> str:
        """Return the cookie value for ``payload`` signed at time ``now``."""
        value = f"{_b64encode(payload)}.{_stamp(now)}"
        return f"{value}.{_pad_signature(self._pads[0], value)}"

    @staticmethod
    def signed_length(payload_length: int, now: float) -> int:
        """Return ``len(sign(payload, now))`` for a payload of that length."""
        full, rest = divmod(payload_length, 3)
        encoded = 4 * full + (rest + 1 if rest else 0)
        return encoded + 1 + len(_stamp(now)) + 1 + _SIGNATURE_LENGTH

    @staticmethod
    def timestamp(cookie_value: str) -> int:
        """Return the signing time of a value that :meth:`unsign` accepted."""
        stamp = cookie_value.rpartition(".")[0].rpartition(".")[2]
        return int.from_bytes(_b64decode(stamp), "big")

    def unsign(self, cookie_value: str, now: float) -> bytes:
        """Return the payload of a cookie value that verifies at time ``now``.

        :raises BadSignature: for a malformed, tampered, expired or
            future-dated value.
        """
        if not cookie_value.isascii():
            raise BadSignature("non-ASCII characters")
        value, _, signature = cookie_value.rpartition(".")
        payload, _, stamp = value.rpartition(".")
        if not payload:
            if cookie_value.startswith(SEALED_PREFIX):
                raise BadSignature("an encrypted value, and encrypt=False")
            raise BadSignature("not of the form payload.timestamp.signature")
        # Compare the exact text of the expected signature: padding or
        # characters a lenient base64 decoder would skip make it invalid.
        for pads in self._pads:
            if hmac.compare_digest(_pad_signature(pads, value), signature):
                break
        else:
            raise BadSignature("signature does not match")
        try:
            signed_at = _stamp_seconds(stamp)
            data = _b64decode(payload)
        except (binascii.Error, ValueError):
            raise BadSignature("signed parts are not base64") from None
        check_age(signed_at, now, self.max_age)
        return data
