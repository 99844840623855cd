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
from collections.abc import Sequence

from itsdangerous.encoding import base64_encode
from itsdangerous.signer import HMACAlgorithm, Signer

#: Seconds a timestamp may lie in the future (clocks of several servers
#: drift); anything later is rejected as forged or broken.
CLOCK_SKEW = 60

_algorithm = HMACAlgorithm(hashlib.sha256)
# base64url of a 32-byte SHA-256 digest, without padding.
_SIGNATURE_LENGTH = 43


class BadSignature(ValueError):
    """A cookie value that does not verify; the message says why."""


def _derive_key(secret: str | bytes, salt: bytes) -> bytes:
    signer = Signer(
        secret, salt=salt, key_derivation="hmac", digest_method=hashlib.sha256
    )
    return signer.derive_key()


def _stamp(now: float) -> str:
    seconds = int(now).to_bytes(5, "big").lstrip(b"\x00") or b"\x00"
    return base64_encode(seconds).decode("ascii")


def _b64decode(text: str) -> bytes:
    # validate=True: a character outside base64url is an error, not skipped.
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)


class CookieSigner:
    """Sign with the newest key; verify with it and every fallback key."""

    __slots__ = ("_keys", "max_age")

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
        self.max_age = max_age

    def _signature(self, key: bytes, value: str) -> str:
        return base64_encode(
            _algorithm.get_signature(key, value.encode("ascii"))
        ).decode("ascii")

    def sign(self, payload: bytes, now: float) -> str:
        """Return the cookie value for ``payload`` signed at time ``now``."""
        value = f"{base64_encode(payload).decode('ascii')}.{_stamp(now)}"
        return f"{value}.{self._signature(self._keys[0], value)}"

    @staticmethod
    def signed_length(payload_length: int, now: float) -> int:
        """Return ``len(sign(payload, now))`` for a payload of that length."""
        full, rest = divmod(payload_length, 3)
        encoded = 4 * full + (rest + 1 if rest else 0)
        return encoded + 1 + len(_stamp(now)) + 1 + _SIGNATURE_LENGTH

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
            raise BadSignature("not of the form payload.timestamp.signature")
        # Compare the exact text of the expected signature: padding or
        # characters a lenient base64 decoder would skip make it invalid.
        for key in self._keys:
            if hmac.compare_digest(self._signature(key, value), signature):
                break
        else:
            raise BadSignature("signature does not match")
        try:
            signed_at = int.from_bytes(_b64decode(stamp), "big")
            data = _b64decode(payload)
        except (binascii.Error, ValueError):
            raise BadSignature("signed parts are not base64") from None
        age = now - signed_at
        if age > self.max_age:
            raise BadSignature(f"expired {age - self.max_age:.0f}s ago")
        if age < -CLOCK_SKEW:
            raise BadSignature(f"timestamp {-age:.0f}s in the future")
        return data
