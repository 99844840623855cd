"""Encryption rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client

from flashmw import FlashMiddleware
from flashmw.sealing import OVERHEAD, CookieSealer

from .harness import SECRET, FakeClock, scenario_wsgi_app

NOW = 1_800_000_000


def _client(**options: Any) -> Client:
    options.setdefault("clock", FakeClock(NOW))
    app = FlashMiddleware(scenario_wsgi_app, encrypt=True, **options)
    return Client(app, use_cookies=False)


def _written(client: Client) -> str:
    """Flash one message; return the one cookie it writes as ``name=value``."""
    response = client.get("/flash?m=Saved.")
    (header,) = response.headers.getlist("Set-Cookie")
    return header.partition(";")[0]


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        (
            {"secret_key": SECRET.encode(), "salt": b"app.flash"},
            {"secret_key": SECRET, "salt": "app.flash"},
        ),
        (
            {"secret_key": SECRET, "salt": "app.flash"},
            {"secret_key": SECRET.encode(), "salt": b"app.flash"},
        ),
    ],
)
def test_bytes_keys_and_salts_seal_as_their_utf8_text(
    writer: dict[str, Any], reader: dict[str, Any]
) -> None:
    cookie = _written(_client(**writer))
    assert cookie.partition("=")[2].startswith("e.")
    shown = _client(**reader).get("/show", headers={"Cookie": cookie})
    assert shown.json == [["message", "Saved."]]


def test_a_fallback_bytes_key_still_opens_old_cookies() -> None:
    old = b"an-old-secret-of-at-least-32-bytes-long"
    cookie = _written(_client(secret_key=old))
    read = _client(secret_key=SECRET, fallback_keys=[old])
    assert read.get("/show", headers={"Cookie": cookie}).json == [["message", "Saved."]]


def test_an_empty_payload_seals_to_the_bare_overhead_and_opens() -> None:
    sealer = CookieSealer(
        SECRET, [], salt="flashmw.flash", cookie_name="flash", max_age=60
    )
    value = sealer.sign(b"", NOW)
    assert len(value) == sealer.signed_length(0, NOW)
    assert sealer.signed_length(0, NOW) == len("e.") + (OVERHEAD * 4 + 2) // 3
    assert sealer.unsign(value, NOW) == b""
