"""Fuzz both middlewares with hostile ``Cookie`` headers.

Each request carries one generated ``Cookie`` header (WSGI) or several
``cookie`` headers (ASGI, as HTTP/2 sends them) built from valid cookies,
mutated ones, cookies signed for other purposes, look-alike names, nameless
pairs, quotes, backslashes and arbitrary bytes. Every response must be the
app's 200, the app must have read exactly the state the spec's rules pick
(a state the server signed, or nothing), and the ``Set-Cookie`` must be the
one the lifecycle requires. Nothing may raise out of the middleware.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .budget import FUZZ, counted, run_rounds
from .servers import POOL, asgi_request, check, wsgi_request
from .strategies import cookie_headers

_decoy_headers = st.lists(
    st.tuples(
        st.sampled_from([b"x-cookie", b"cookie2", b"set-cookie", b"x-flash"]),
        st.sampled_from([f"flash={v}".encode() for v in POOL]),
    ),
    max_size=2,
)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for a whole fuzz target, closed afterwards."""
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


def test_wsgi_middleware_with_hostile_cookie_headers() -> None:
    @given(cookie_headers(), st.booleans(), st.booleans())
    @FUZZ
    @counted("middleware: WSGI Cookie headers")
    def run(fragments: list[str], add: bool, absent: bool) -> None:
        header = "".join(fragments)
        if absent and not header:
            outcome = wsgi_request(None, add=add)
        else:
            outcome = wsgi_request(header.encode("latin-1"), add=add)
        check(outcome, header, add=add)

    run_rounds("middleware: WSGI Cookie headers", run)


def test_asgi_middleware_with_hostile_cookie_headers(
    loop: asyncio.AbstractEventLoop,
) -> None:
    @given(cookie_headers(), st.data(), _decoy_headers, st.booleans())
    @FUZZ
    @counted("middleware: ASGI cookie headers")
    def run(
        fragments: list[str],
        data: st.DataObject,
        decoys: list[tuple[bytes, bytes]],
        add: bool,
    ) -> None:
        # Spread the fragments over several cookie headers at fragment
        # boundaries; the middleware must read them as one list.
        cuts = sorted(
            data.draw(st.sets(st.integers(1, max(1, len(fragments) - 1)), max_size=3))
        )
        groups = [
            "".join(fragments[a:b])
            for a, b in zip([0, *cuts], [*cuts, len(fragments)], strict=True)
            if a < b
        ]
        headers = [(b"cookie", group.encode("latin-1")) for group in groups]
        at = data.draw(st.integers(0, len(headers)))
        headers[at:at] = decoys  # headers that must not be read as cookies
        headers.insert(0, (b"host", b"127.0.0.1"))
        outcome = loop.run_until_complete(asgi_request(headers, add=add))
        check(outcome, "; ".join(groups), add=add)

    run_rounds("middleware: ASGI cookie headers", run)
