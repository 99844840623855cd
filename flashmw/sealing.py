"""Encrypting and decrypting flash cookie values (``encrypt=True``).

A sealed value is ``e.`` then one base64url part without padding::

    nonce (12 bytes) | ciphertext | tag (16 bytes)

The ciphertext is AES-256-GCM over ``timestamp (5 bytes, big-endian) |
payload``, so the write time is authenticated and hidden with the payload.
The key is derived with HKDF-SHA256 from each secret of the key ring and a
purpose naming the salt, the cookie name and this format; the same purpose
is the associated data, so a value moved to another cookie name or sealed
for another purpose never decrypts. Nothing is compressed: the length of
compressed user text would tell what it says.

A value in the signed format (:mod:`flashmw.signing`) is verified with a
:class:`~flashmw.signing.CookieSigner` built from the same keys, so cookies
written before ``encrypt=True`` was switched on are still read, and the next
write seals them.
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Callable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .signing import (
    SEALED_PREFIX,
    BadSignature,
    CookieSigner,
    _b64decode,
    _b64encode,
    check_age,
)

#: Bytes of the random nonce written at the front of every value. 96 bits
#: is GCM's native size; random nonces stay safe for 2**32 writes per key.
NONCE_SIZE = 12
#: Bytes of the authentication tag at the end of every value.
TAG_SIZE = 16
#: Bytes of the encrypted write time: whole seconds, big-endian, fixed width
#: so the length of a value depends only on the payload's.
STAMP_SIZE = 5
#: Bytes a value adds to the payload before base64.
OVERHEAD = NONCE_SIZE + STAMP_SIZE + TAG_SIZE


def _random_nonce() -> bytes:
    return os.urandom(NONCE_SIZE)


def _derive_key(secret: str | bytes, purpose: bytes) -> bytes:
    material = secret.encode("utf-8") if isinstance(secret, str) else secret
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose)
    return hkdf.derive(material)


def _encoded_length(size: int) -> int:
    full, rest = divmod(size, 3)
    return 4 * full + (rest + 1 if rest else 0)


class CookieSealer:
    """Encrypt with the newest key; decrypt with it and every fallback key.

    The same interface as :class:`~flashmw.signing.CookieSigner`, so the
    middleware uses one or the other.
    """

    __slots__ = ("_aad", "_aeads", "_nonce", "_signer", "max_age")

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
        # Another purpose than the signer's ("v1"): the encryption keys are
        # unrelated to the signing keys derived from the same secrets.
        purpose = b"%s\x00cookie=%s\x00aes-256-gcm\x00v1" % (
            salt_bytes,
            cookie_name.encode("ascii"),
        )
        self._aad = purpose
        self._aeads = [
            AESGCM(_derive_key(key, purpose)) for key in (secret_key, *fallback_keys)
        ]
        # Cookies written before encrypt=True was switched on.
        self._signer = CookieSigner(
            secret_key,
            fallback_keys,
            salt=salt,
            cookie_name=cookie_name,
            max_age=max_age,
        )
        #: Returns a fresh nonce per write; tests replace it to get
        #: known-answer values.
        self._nonce: Callable[[], bytes] = _random_nonce
        self.max_age = max_age

    def sign(self, payload: bytes, now: float) -> str:
        """Return the sealed cookie value for ``payload`` written at ``now``."""
        nonce = self._nonce()
        plain = int(now).to_bytes(STAMP_SIZE, "big") + payload
        sealed = self._aeads[0].encrypt(nonce, plain, self._aad)
        return SEALED_PREFIX + _b64encode(nonce + sealed)

    @staticmethod
    def signed_length(payload_length: int, now: float) -> int:
        """Return ``len(sign(payload, now))`` for a payload of that length."""
        return len(SEALED_PREFIX) + _encoded_length(OVERHEAD + payload_length)

    def unsign(self, cookie_value: str, now: float) -> bytes:
        """Return the payload of a value that decrypts and is valid at ``now``.

        A value in the signed format is verified as the signer would.

        :raises BadSignature: for a malformed, tampered, expired or
            future-dated value, or one sealed with another key or purpose.
        """
        if not cookie_value.startswith(SEALED_PREFIX):
            return self._signer.unsign(cookie_value, now)
        if not cookie_value.isascii():
            raise BadSignature("non-ASCII characters")
        text = cookie_value[len(SEALED_PREFIX) :]
        try:
            blob = _b64decode(text)
        except (binascii.Error, ValueError):
            raise BadSignature("sealed part is not base64") from None
        # Strict base64 still ignores the unused low bits of the last
        # character: only the canonical text of a value is that value.
        if _b64encode(blob) != text:
            raise BadSignature("sealed part is not canonical base64")
        if len(blob) < OVERHEAD:
            raise BadSignature("too short to be sealed")
        nonce, sealed = blob[:NONCE_SIZE], blob[NONCE_SIZE:]
        for aead in self._aeads:
            try:
                plain = aead.decrypt(nonce, sealed, self._aad)
            except InvalidTag:
                continue
            break
        else:
            raise BadSignature("does not decrypt with any key")
        check_age(int.from_bytes(plain[:STAMP_SIZE], "big"), now, self.max_age)
        return plain[STAMP_SIZE:]
