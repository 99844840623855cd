"""Encrypted flash cookies (``encrypt=True``), as a user and an attacker see them.

The contract tests run on both adapters through the ``make`` fixture; the
codec tests drive :class:`~flashmw.sealing.CookieSealer` directly, where
thousands of values cost milliseconds. An independent derivation with
``cryptography``'s primitives is the oracle for the wire format, and a
known-answer value pins it, so any change to the format is deliberate.
"""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given

from flashmw import FlashMiddleware
from flashmw.sealing import NONCE_SIZE, CookieSealer
from flashmw.signing import CLOCK_SKEW, BadSignature, CookieSigner
from flashmw.testing import make_cookie, read_flash

from .conftest import MakeHarness
from .harness import SECRET, FakeClock, Harness, Result, split_header
from .test_values import ROUND_TRIPS, same, storable

DELETED = "Max-Age=0"
NOW = 1_800_000_000
PAYLOAD = b'[[["message","Record saved."]],[]]'
FIXED_NONCE = bytes(range(NONCE_SIZE))
#: ``PAYLOAD`` sealed with ``SECRET``, the default salt, the cookie name
#: ``flash``, at ``NOW``, with ``FIXED_NONCE``. If this changes, the format
#: changed: every cookie in every browser stops reading.
KNOWN_ANSWER = (
    "e.AAECAwQFBgcICQoLmIaTqlkSOTRLgkW2XExyoFdHQeadyc274ve2A--fvnRhd0N7IJTrLkKXgR3u"
    "xQ-61RbQ3SZjCg"
)


def _sealer(secret: str = SECRET, *fallback: str, **options: Any) -> CookieSealer:
    settings: dict[str, Any] = {
        "salt": "flashmw.flash",
        "cookie_name": "flash",
        "max_age": 3600,
    }
    settings.update(options)
    return CookieSealer(secret, list(fallback), **settings)


def _signer(secret: str = SECRET) -> CookieSigner:
    return CookieSigner(
        secret, [], salt="flashmw.flash", cookie_name="flash", max_age=3600
    )


def _blob(value: str) -> bytes:
    assert value.startswith("e.")
    text = value[2:]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _written(result: Result) -> list[str]:
    """The cookie values a response stores (deletions left out)."""
    values = []
    for header in result.set_cookies:
        value = header.split(";")[0].partition("=")[2]
        if value and DELETED not in header:
            values.append(value)
    return values


# -- the wire format ------------------------------------------------------


def test_known_answer() -> None:
    sealer = _sealer()
    sealer._nonce = lambda: FIXED_NONCE
    assert sealer.sign(PAYLOAD, NOW) == KNOWN_ANSWER
    assert sealer.unsign(KNOWN_ANSWER, NOW) == PAYLOAD


def test_the_format_is_what_the_documentation_says() -> None:
    # Derived here from the primitives alone, as docs/encryption.md and the
    # module docstring describe it.
    purpose = b"flashmw.flash\x00cookie=flash\x00aes-256-gcm\x00v1"
    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(
        SECRET.encode()
    )
    plain = NOW.to_bytes(5, "big") + PAYLOAD
    sealed = AESGCM(key).encrypt(FIXED_NONCE, plain, purpose)
    text = base64.urlsafe_b64encode(FIXED_NONCE + sealed).rstrip(b"=").decode()
    assert "e." + text == KNOWN_ANSWER


@pytest.mark.parametrize("length", [*range(40), 100, 1000, 3000])
@pytest.mark.parametrize("now", [0, NOW, 2**40 - 1])
def test_signed_length_is_exact(length: int, now: int) -> None:
    sealer = _sealer()
    assert len(sealer.sign(b"x" * length, now)) == sealer.signed_length(length, now)


@pytest.mark.parametrize("length", [0, 1, 2, 3, 26, 100, 1000])
def test_an_encrypted_value_is_46_characters_more_than_the_payloads_base64(
    length: int,
) -> None:
    # The figure docs/encryption.md gives: 2 of prefix and 33 bytes (nonce,
    # timestamp, tag), a multiple of 3, so exactly 44 more base64 characters.
    payload = b"y" * length
    encoded = len(base64.urlsafe_b64encode(payload).rstrip(b"="))
    assert len(_sealer().sign(payload, NOW)) == encoded + 46
    assert len(_signer().sign(payload, NOW)) == encoded + 51


def test_nonces_never_repeat_over_10000_writes() -> None:
    sealer = _sealer()
    values = [sealer.sign(PAYLOAD, NOW) for _ in range(10_000)]
    nonces = {_blob(value)[:NONCE_SIZE] for value in values}
    assert len(nonces) == 10_000
    assert len(set(values)) == 10_000
    assert all(sealer.unsign(value, NOW) == PAYLOAD for value in values[:100])


def test_every_bit_flip_is_refused() -> None:
    sealer = _sealer()
    value = sealer.sign(PAYLOAD, NOW)
    tried = 0
    for index, char in enumerate(value):
        for bit in range(8):
            flipped = value[:index] + chr(ord(char) ^ (1 << bit)) + value[index + 1 :]
            with pytest.raises(BadSignature):
                sealer.unsign(flipped, NOW)
            tried += 1
    assert tried == 8 * len(value)


def test_unused_bits_of_the_last_character_are_refused() -> None:
    # Strict base64 decodes "...Q" and "...R" to the same bytes when the low
    # bits are unused; only the text the sealer wrote is that value.
    sealer = _sealer()
    payload = b"z"  # 1 + 33 bytes: the last character carries 4 unused bits
    value = sealer.sign(payload, NOW)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(value[-1])
    twin = value[:-1] + alphabet[last | 1]
    assert twin != value
    assert _blob(twin) == _blob(value)
    assert sealer.unsign(value, NOW) == payload
    with pytest.raises(BadSignature, match="canonical"):
        sealer.unsign(twin, NOW)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("e.", id="empty"),
        pytest.param("e.AAAA", id="too-short"),
        pytest.param(KNOWN_ANSWER + "=", id="padding"),
        pytest.param(KNOWN_ANSWER[:-1], id="truncated"),
        pytest.param(KNOWN_ANSWER[:20] + "." + KNOWN_ANSWER[20:], id="dot-inside"),
        pytest.param(KNOWN_ANSWER[:20] + "+" + KNOWN_ANSWER[21:], id="plus"),
        pytest.param(KNOWN_ANSWER[:20] + "é" + KNOWN_ANSWER[21:], id="non-ascii"),
        pytest.param(KNOWN_ANSWER + "AAAA", id="appended"),
        pytest.param("E." + KNOWN_ANSWER[2:], id="upper-case-prefix"),
        pytest.param("e.." + KNOWN_ANSWER[2:], id="doubled-dot"),
    ],
)
def test_malformed_values_are_refused(value: str) -> None:
    with pytest.raises(BadSignature):
        _sealer().unsign(value, NOW)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"secret": "another-secret-of-forty-bytes-0123456789"}, id="key"),
        pytest.param({"salt": "cookie-session"}, id="salt"),
        pytest.param({"cookie_name": "session"}, id="cookie-name"),
    ],
)
def test_values_sealed_for_another_purpose_never_open(other: dict[str, str]) -> None:
    settings = dict(other)
    foreign = _sealer(settings.pop("secret", SECRET), **settings)
    foreign._nonce = lambda: FIXED_NONCE
    value = foreign.sign(PAYLOAD, NOW)
    assert value != KNOWN_ANSWER
    with pytest.raises(BadSignature, match="does not decrypt"):
        _sealer().unsign(value, NOW)


def test_the_timestamp_is_authenticated_and_checked() -> None:
    sealer = _sealer(max_age=60)
    value = sealer.sign(PAYLOAD, NOW)
    assert sealer.unsign(value, NOW + 60) == PAYLOAD
    assert sealer.unsign(value, NOW - CLOCK_SKEW) == PAYLOAD
    with pytest.raises(BadSignature, match="expired"):
        sealer.unsign(value, NOW + 61)
    with pytest.raises(BadSignature, match="future"):
        sealer.unsign(value, NOW - CLOCK_SKEW - 1)


def test_the_signer_names_an_encrypted_value_it_refuses() -> None:
    with pytest.raises(BadSignature, match="encrypted value, and encrypt=False"):
        _signer().unsign(KNOWN_ANSWER, NOW)


@given(storable)
def test_any_storable_value_round_trips_through_the_sealer(value: Any) -> None:
    mw = FlashMiddleware(_unused_app, secret_key=SECRET, encrypt=True, clock=_now)
    cookie = make_cookie(mw, [("message", value)], {"key": value})
    assert cookie.value.startswith("e.")
    state = read_flash(mw, [("Set-Cookie", f"{cookie.name}={cookie.value}")])
    assert state is not None
    assert same(state.messages, [("message", value)])
    assert same(state.values, {"key": value})


def _unused_app(environ: Any, start_response: Any) -> list[bytes]:
    raise AssertionError("never called")


def _now() -> float:
    return NOW


# -- options ------------------------------------------------------------


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_encrypt_must_be_a_bool(bad: Any) -> None:
    with pytest.raises(ValueError, match="encrypt must be True or False"):
        FlashMiddleware(_unused_app, secret_key=SECRET, encrypt=bad)


def test_encrypt_without_cryptography_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if the extra were not installed: the import of the sealer fails.
    monkeypatch.delitem(sys.modules, "flashmw.sealing")
    monkeypatch.setitem(
        sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None
    )
    with pytest.raises(ValueError, match=r"pip install 'flashmw\[crypto\]'"):
        FlashMiddleware(_unused_app, secret_key=SECRET, encrypt=True)
    assert FlashMiddleware(_unused_app, secret_key=SECRET)


def test_another_missing_module_is_not_taken_for_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A broken install must show its own error, not advice to install
    # cryptography.
    monkeypatch.setitem(sys.modules, "flashmw.sealing", None)
    with pytest.raises(ModuleNotFoundError, match=r"flashmw\.sealing"):
        FlashMiddleware(_unused_app, secret_key=SECRET, encrypt=True)


def test_signed_only_middlewares_never_import_cryptography() -> None:
    code = (
        "import sys\n"
        "from flashmw import FlashMiddleware, ASGIFlashMiddleware\n"
        "FlashMiddleware(None, secret_key='k' * 32, encrypt=False)\n"
        "ASGIFlashMiddleware(None, secret_key='k' * 32)\n"
        "loaded = [m for m in sys.modules if m.startswith('cryptography')]\n"
        "assert 'flashmw.sealing' not in sys.modules\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603


# -- the contract, on both adapters -----------------------------------------


def test_flash_redirect_show_once_then_gone(make: MakeHarness) -> None:
    harness = make(encrypt=True)
    redirect = harness.open("/flash?m=Record saved.")
    assert redirect.status == 302
    (value,) = _written(redirect)
    assert value.startswith("e.")
    shown = harness.open("/show")
    assert shown.body == [["message", "Record saved."]]
    assert any(DELETED in header for header in shown.set_cookies)
    assert harness.open("/show").body == []


def test_every_value_type_round_trips(make: MakeHarness) -> None:
    harness = make(encrypt=True)
    values = {str(i): p.values[0] for i, p in enumerate(ROUND_TRIPS)}
    messages = [(f"c{i}", p.values[0]) for i, p in enumerate(ROUND_TRIPS[:10])]
    cookie = make_cookie(harness.app, messages, values)
    harness.put_in_jar(cookie.value, name=cookie.name)
    # The middleware decrypts the cookie, the app adds a message, and the
    # middleware encrypts the whole state again.
    rewritten = harness.open("/flash?m=one more")
    state = read_flash(harness.app, rewritten.headers)
    assert state is not None
    assert same(state.messages, [*messages, ("message", "one more")])
    assert same(state.values, values)
    assert all(value.startswith("e.") for value in _written(rewritten))


def test_key_rotation_reads_old_cookies_and_reencrypts_with_the_new_key(
    make: MakeHarness,
) -> None:
    old_key, new_key = "o" * 40, "n" * 40
    old = make(encrypt=True, secret_key=old_key)
    old.open("/flash?m=Encrypted with the old key")
    cookie = old.jar()
    assert cookie is not None

    rotated = make(encrypt=True, secret_key=new_key, fallback_keys=[old_key])
    rotated.load_jar(cookie)
    peeked = rotated.open("/show?peek=1")
    assert peeked.body == [["message", "Encrypted with the old key"]]
    assert peeked.set_cookies == []  # unchanged state is not rewritten
    rotated.open("/flash?m=Added after rotation")
    rewritten = rotated.jar()
    assert rewritten is not None
    assert all(value.startswith("e.") for _, value in split_header(rewritten))

    # Each write is a cookie of its own: the new one is encrypted with the
    # new key, the old one keeps opening through the fallback key.
    only_new = make(encrypt=True, secret_key=new_key)
    only_new.load_jar(rewritten)
    assert only_new.open("/show?peek=1").body == [["message", "Added after rotation"]]
    only_old = make(encrypt=True, secret_key=old_key)
    only_old.load_jar(rewritten)
    assert only_old.open("/show").body == [["message", "Encrypted with the old key"]]


def test_tampering_with_any_character_reads_as_empty_and_deletes(
    make: MakeHarness,
) -> None:
    harness = make(encrypt=True)
    harness.open("/flash?m=Hello")
    jar = harness.jar()
    assert jar is not None
    name, _, value = jar.partition("=")
    assert harness.raw(jar.encode()).body == [["message", "Hello"]]
    for index, char in enumerate(value):
        # The neighbouring character keeps the value within the cookie
        # alphabet, so only the cryptography can refuse it.
        other = "B" if char == "A" else "A"
        tampered = value[:index] + other + value[index + 1 :]
        response = harness.raw(f"{name}={tampered}".encode())
        assert response.status == 200
        assert response.body == [], index
        assert any(DELETED in header for header in response.set_cookies)


def test_another_key_reads_as_empty_and_logs_why(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    writer = make(encrypt=True)
    writer.open("/flash?m=Hello")
    value = writer.jar()
    assert value is not None
    reader = make(encrypt=True, secret_key="another-secret-of-forty-bytes-0123456789")
    reader.load_jar(value)
    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        response = reader.open("/show")
    assert response.body == []
    assert any(DELETED in header for header in response.set_cookies)
    assert "does not decrypt with any key" in caplog.text


def test_expired_reads_as_empty_and_is_deleted(
    make: MakeHarness, clock: FakeClock
) -> None:
    harness = make(encrypt=True, max_age=60)
    harness.open("/flash?m=Hello")
    clock.advance(60)
    assert harness.open("/show?peek=1").body == [["message", "Hello"]]
    clock.advance(1)
    expired = harness.open("/show")
    assert expired.body == []
    assert any(DELETED in header for header in expired.set_cookies)


def test_a_cookie_from_the_future_beyond_the_skew_reads_as_empty(
    make: MakeHarness, clock: FakeClock
) -> None:
    harness = make(encrypt=True)
    within = make_cookie(harness.app, ["Soon"], now=clock() + CLOCK_SKEW)
    beyond = make_cookie(harness.app, ["Too soon"], now=clock() + CLOCK_SKEW + 1)
    assert harness.raw(within.header.encode()).body == [["message", "Soon"]]
    assert harness.raw(beyond.header.encode()).body == []


def test_switching_on_encryption_reads_signed_cookies_and_seals_the_next_write(
    make: MakeHarness,
) -> None:
    signed = make()
    signed.open("/flash?m=Written before the switch")
    cookie = signed.jar()
    assert cookie is not None
    assert "=e." not in cookie

    encrypted = make(encrypt=True)
    encrypted.load_jar(cookie)
    peeked = encrypted.open("/show?peek=1")
    assert peeked.body == [["message", "Written before the switch"]]
    assert peeked.set_cookies == []
    encrypted.open("/flash?m=Written after it")
    upgraded = encrypted.jar()
    assert upgraded is not None
    values = [value for _, value in split_header(upgraded)]
    assert len(values) == 2
    assert sum(value.startswith("e.") for value in values) == 1
    assert encrypted.open("/show").body == [
        ["message", "Written before the switch"],
        ["message", "Written after it"],
    ]


def test_switching_off_encryption_refuses_encrypted_cookies_and_logs_why(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    encrypted = make(encrypt=True)
    encrypted.open("/flash?m=Written while encrypting")
    cookie = encrypted.jar()
    assert cookie is not None

    signed = make()
    signed.load_jar(cookie)
    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        response = signed.open("/show")
    assert response.status == 200
    assert response.body == []
    assert any(DELETED in header for header in response.set_cookies)
    assert "an encrypted value, and encrypt=False" in caplog.text
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_every_write_uses_a_fresh_nonce(make: MakeHarness) -> None:
    harness = make(encrypt=True)
    nonces = set()
    values = set()
    for _ in range(300):
        # The same state each time: only the nonce makes the values differ.
        (value,) = _written(harness.open("/flash?m=Same text"))
        harness.open("/show")
        values.add(value)
        nonces.add(_blob(value)[:NONCE_SIZE])
    assert len(values) == len(nonces) == 300


SECRET_TEXT = "Your temporary password is Tr0ub4dor-3-horse-battery"


def _renderings(text: str) -> list[str]:
    """The text, and its base64url at each of the three byte alignments."""
    data = text.encode()
    found = [text]
    for shift in range(3):
        encoded = base64.urlsafe_b64encode(data[shift:]).decode().rstrip("=")
        found.append(encoded[4:-4])  # the characters free of neighbours
    return found


@pytest.mark.parametrize(("encrypt", "shows"), [(True, False), (False, True)])
def test_the_message_text_never_appears_in_an_encrypted_cookie(
    make: MakeHarness, encrypt: bool, shows: bool
) -> None:
    # The signed mode is the control: there the text is readable, so the
    # check below can tell.
    harness: Harness = make(encrypt=encrypt)
    response = harness.open(f"/flash?m={SECRET_TEXT}")
    (header,) = [h for h in response.set_cookies if DELETED not in h]
    value = header.split(";")[0].partition("=")[2]
    readable = any(piece in value for piece in _renderings(SECRET_TEXT))
    assert readable is shows
    assert harness.open("/show").body == [["message", SECRET_TEXT]]


def test_written_cookies_never_exceed_max_cookie_size(make: MakeHarness) -> None:
    harness = make(encrypt=True, max_cookie_size=400, max_total_size=1200)
    for number in range(12):
        response = harness.open(f"/flash?m={'x' * 30}{number}")
        assert all(len(c.encode()) <= 400 for c in response.set_cookies)
    shown = harness.open("/show").body
    assert 0 < len(shown) < 12
    assert shown[-1] == ["message", f"{'x' * 30}11"]
