"""Behaviours of the middleware's options that mutation testing found untested.

Test names here avoid the word the mutation run of ``base`` filters out
(its subset leaves out the tests parametrized by adapter name), so that
the async store's read-ahead is covered there too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from flashmw import FlashMiddleware
from flashmw.state import Flash

from .harness import ASGIHarness, FakeClock, environ_headers, scenario_wsgi_app
from .test_store_protocol import _flash_long

SECRET = "base-bites-secret-0123456789abcdefghij"


class NoShouting:
    """A custom serializer that refuses text in capitals."""

    def validate(self, value: Any) -> None:
        if isinstance(value, str) and value.isupper():
            raise TypeError("no shouting")

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


def test_a_custom_serializer_is_asked_even_about_plain_ascii_text() -> None:
    mw = FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, serializer=NoShouting())
    flash = Flash(mw, environ_headers())
    flash.add("calm")
    with pytest.raises(TypeError, match="no shouting"):
        flash.add("LOUD")
    assert flash.get_flashed_messages() == ["calm"]


class MemoryStore:
    """An async store in a dict."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes, ttl: int) -> None:
        self.values[key] = data

    async def take(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self.values.pop(key, None) for key in keys]


def test_an_async_store_is_read_ahead_in_the_event_loop(clock: FakeClock) -> None:
    store = MemoryStore()
    harness = ASGIHarness(store=store, clock=clock)
    try:
        _flash_long(harness, 20)
        assert len(store.values) == 1
        shown = harness.open("/show").body
        assert len(shown) == 20
        assert store.values == {}
        assert harness.open("/show").body == []
    finally:
        harness.close()
