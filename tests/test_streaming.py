"""Streamed bodies on both adapters: what a read after the headers shows.

A response whose headers went out without ``Vary: Cookie`` may be stored
by a shared cache and served to anyone, so it must never carry flash
content (issue 19, finding 1). A body that first reads the flash after its
first chunk therefore reads an empty flash, consumes nothing, and the
messages wait in the cookie for the next request.
"""

from __future__ import annotations

import logging

import pytest

from .harness import Harness


def test_a_read_before_the_first_chunk_is_committed(harness: Harness) -> None:
    harness.open("/flash?m=Hello")
    streamed = harness.open("/stream")
    assert streamed.body == ["Hello"]
    assert streamed.get("Vary") == "Cookie"
    assert harness.open("/show").body == []


def test_a_first_read_after_the_headers_shows_nothing_and_loses_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.open("/flash?m=Hello")
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        streamed = harness.open("/stream-late")
    assert streamed.status == 200
    # Headers went out untouched: no Vary, so no flash content either.
    assert streamed.get_all("Vary") == []
    assert streamed.set_cookies == []
    assert streamed.body == ["first chunk", []]
    assert "after the response headers went out" in caplog.text
    # Nothing was consumed: the next page shows the message.
    assert harness.open("/show").body == [["message", "Hello"]]


def test_a_late_read_without_a_cookie_shows_an_empty_flash(harness: Harness) -> None:
    streamed = harness.open("/stream-late")
    assert streamed.body == ["first chunk", []]
    assert streamed.get_all("Vary") == []
