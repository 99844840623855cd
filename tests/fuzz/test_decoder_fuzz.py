"""Fuzz the cookie decoder: arbitrary bytes, mutated cookies, signed junk.

The decoder is ``CookieSigner.unsign`` (text to verified payload), or
``CookieSealer.unsign`` with ``encrypt=True``, and ``BaseFlashMiddleware._load``
(a ``Cookie`` header to flash state). Neither may raise anything but a clean
rejection, and a value that is not exactly one the server signed (or
sealed) never verifies.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashmw.signing import BadSignature

from .budget import FUZZ, counted, run_rounds
from .servers import (
    CLOCK,
    FOREIGN_SEALED,
    FOREIGN_SIGNED,
    NAME,
    POOL,
    SEALED_APP,
    SEALED_POOL,
    VALUES,
    WSGI_APP,
    expected,
    load,
)
from .strategies import (
    junk_text,
    mutated_sealed_values,
    mutated_values,
    sealed_shaped,
    signed_shaped,
)

SIGNER = WSGI_APP._signer
SEALER = SEALED_APP._signer


def _load(header: str) -> tuple[Any, Any, bool, bool]:
    return load(header)


def test_arbitrary_bytes_never_verify() -> None:
    @given(
        st.one_of(
            st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
            junk_text,
            signed_shaped,
        )
    )
    @FUZZ
    @counted("decoder: arbitrary bytes")
    def check(value: str) -> None:
        with pytest.raises(BadSignature):
            SIGNER.unsign(value, CLOCK())
        messages, values, sent, invalid = _load(f"{NAME}={value}")
        assert (messages, values) == ([], {})
        assert sent
        assert invalid

    run_rounds("decoder: arbitrary bytes", check)


def test_mutated_cookies_verify_only_when_unchanged() -> None:
    @given(mutated_values)
    @FUZZ
    @counted("decoder: mutated cookies")
    def check(pair: tuple[str, str]) -> None:
        original, value = pair
        if value in POOL:
            # A mutation that undid itself (or spliced in a whole other
            # cookie) is a cookie the server signed: it must verify.
            payload = SIGNER.unsign(value, CLOCK())
            assert SIGNER.sign(payload, CLOCK()) == value
        else:
            # One canonical encoding: any other text is rejected, with
            # BadSignature and nothing else.
            with pytest.raises(BadSignature):
                SIGNER.unsign(value, CLOCK())
        header = f"{NAME}={value}"
        messages, values, _, invalid = _load(header)
        state, _ = expected(header)
        if state is None:
            assert (messages, values, invalid) == ([], {}, True)
        else:
            assert (messages, values) == state
        del original

    run_rounds("decoder: mutated cookies", check)


def test_payloads_of_other_signers_never_verify() -> None:
    @given(st.sampled_from(FOREIGN_SIGNED), st.sampled_from(["", '"']))
    @FUZZ
    @counted("decoder: other salts, names and keys")
    def check(value: str, quote: str) -> None:
        with pytest.raises(BadSignature):
            SIGNER.unsign(value, CLOCK())
        assert _load(f"{NAME}={quote}{value}{quote}") == ([], {}, True, True)

    run_rounds("decoder: other salts, names and keys", check)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.sampled_from(
        [" t", " f", " di", " m", " dt", " dtz", " d", " u", " x", "nan"]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["", "a", " t", " f", " di", " m", " dt", " dtz", " d", " u"]
            )
            | st.text(max_size=4),
            children,
            max_size=3,
        )
    ),
    max_leaves=16,
)


def test_signed_documents_decode_to_a_stable_state_or_nothing() -> None:
    # The server's own key signs these, so they pass the signature and reach
    # the JSON and tag decoders: the layer a leaked key would expose.
    serializer = WSGI_APP.serializer

    @given(
        st.one_of(_json.map(_dumps), _json.map(_dumps_layout), st.binary(max_size=200)),
        st.sampled_from([NAME, f"{NAME}.abcdefgh0"]),
    )
    @FUZZ
    @counted("decoder: signed arbitrary payloads")
    def check(payload: bytes, name: str) -> None:
        value = SIGNER.sign(payload, CLOCK())
        messages, values, sent, invalid = _load(f"{name}={value}")
        assert sent
        if invalid:
            assert (messages, values) == ([], {})
            return
        # What decoded re-encodes to a document that decodes to itself.
        document = [[list(m) for m in messages], [[k, v] for k, v in values.items()]]
        encoded = serializer.dumps(document)
        again = serializer.loads(encoded)
        # Compare encodings, not values: NaN != NaN, and the tagged encoding
        # also tells a tuple from a list, which == would not.
        assert serializer.dumps(again) == encoded

    run_rounds("decoder: signed arbitrary payloads", check)


def _dumps_layout(junk: Any) -> bytes:
    import json

    # A cookie of the current layout (messages, values or marks) with junk
    # in one place or another: entries, stamps, kind or suffix.
    stamp = [1_800_000_000_000, "abcdefgh", 1]  # a mark's
    stamps = [[1_800_000_000_000, "abcdefgh"], [1]]  # a write's
    documents = [
        [[["message", junk]], [["m", ["abcdefgh0", stamps]]]],
        [[["k", junk]], [["v", ["abcdefgh0", stamps]]]],
        [[["", 1]], [["x", ["abcdefgh0", [[*stamp, junk]]]]]],
        [[["k", 1]], [["v", ["abcdefgh0", junk]]]],
        [[["k", 1]], [["v", ["abcdefgh0", [[1_800_000_000_000, junk], [1]]]]]],
        [[["k", 1]], [["v", ["abcdefgh0", [[1_800_000_000_000, "abcdefgh"], junk]]]]],
        [[["k", 1]], [[junk, ["abcdefgh0", stamps]]]],
        [[["k", 1]], [["v", [junk, stamps]]]],
    ]
    with contextlib.suppress(ValueError):
        return json.dumps(documents[len(repr(junk)) % len(documents)]).encode()
    return b"[]"


def _dumps(document: Any) -> bytes:
    import json

    # Half the time wrap the junk as a flash document, so the tag decoder
    # (and not only the shape check) sees it.
    with contextlib.suppress(ValueError):
        return json.dumps([[["message", document]], [["k", document]]]).encode()
    return b"[]"


def test_pool_is_what_the_server_signed() -> None:
    # The oracle's premise: every pool value verifies and holds its state.
    for value, state in POOL.items():
        messages, values, _, invalid = _load(f"{NAME}={value}")
        assert ((messages, values), invalid) == (state, False)
    assert len(VALUES) == len(POOL)


# -- encrypt=True ------------------------------------------------------------


def test_arbitrary_bytes_never_open() -> None:
    @given(
        st.one_of(
            st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
            junk_text,
            sealed_shaped,
        )
    )
    @FUZZ
    @counted("sealed decoder: arbitrary bytes")
    def check(value: str) -> None:
        with pytest.raises(BadSignature):
            SEALER.unsign(value, CLOCK())
        messages, values, sent, invalid = load(f"{NAME}={value}", SEALED_APP)
        assert (messages, values, sent, invalid) == ([], {}, True, True)

    run_rounds("sealed decoder: arbitrary bytes", check)


def test_mutated_sealed_cookies_open_only_when_unchanged() -> None:
    @given(mutated_sealed_values)
    @FUZZ
    @counted("sealed decoder: mutated cookies")
    def check(pair: tuple[str, str]) -> None:
        _, value = pair
        if value in SEALED_POOL:
            assert SEALER.unsign(value, CLOCK())
        else:
            with pytest.raises(BadSignature):
                SEALER.unsign(value, CLOCK())
        # In a header, white space around the value is not part of it.
        header = f"{NAME}={value}"
        messages, values, _, invalid = load(header, SEALED_APP)
        state, _ = expected(header, SEALED_POOL)
        if state is None:
            assert (messages, values, invalid) == ([], {}, True)
        else:
            assert (messages, values, invalid) == (*state, False)

    run_rounds("sealed decoder: mutated cookies", check)


def test_payloads_sealed_for_other_purposes_never_open() -> None:
    @given(st.sampled_from(FOREIGN_SEALED), st.sampled_from(["", '"']))
    @FUZZ
    @counted("sealed decoder: other salts, names and keys")
    def check(value: str, quote: str) -> None:
        with pytest.raises(BadSignature):
            SEALER.unsign(value, CLOCK())
        assert load(f"{NAME}={quote}{value}{quote}", SEALED_APP) == ([], {}, True, True)

    run_rounds("sealed decoder: other salts, names and keys", check)


def test_the_sealing_server_reads_what_the_signing_one_wrote() -> None:
    # Switching encrypt=True on keeps every cookie already in a browser.
    for value, state in [*POOL.items(), *SEALED_POOL.items()]:
        messages, values, _, invalid = load(f"{NAME}={value}", SEALED_APP)
        assert ((messages, values), invalid) == (state, False)
