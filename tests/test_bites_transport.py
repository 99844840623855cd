"""htmx transport rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from flashmw import FlashMiddleware
from flashmw.transport import browser_json

from .conftest import MakeHarness
from .harness import SECRET, Harness, WSGIHarness, scenario_wsgi_app

HX = {"HX-Request": "true"}


def _delivered(harness: Harness, query: str) -> bool:
    """Add "hi" in an htmx request; tell whether HX-Trigger carried it."""
    result = harness.open(f"/add?m=hi&{query}", headers=HX)
    triggers = result.get_all("HX-Trigger")
    shown = harness.open("/show").body
    if triggers:
        assert shown == []  # delivered once, not kept in the cookie too
        return True
    assert shown == [["message", "hi"]]
    return False


@pytest.mark.parametrize(
    ("status", "delivered"),
    [(299, True), (300, False), (399, False), (400, True), (499, True)],
)
def test_the_status_range_that_keeps_the_cookie(
    make: MakeHarness, status: int, delivered: bool
) -> None:
    assert _delivered(make(htmx=True), f"s={status}") is delivered


def test_the_header_is_compact_ascii_json(make: MakeHarness) -> None:
    harness = make(htmx=True)
    result = harness.open("/add?m=caf%C3%A9&k=info&v=ok", headers=HX)
    (value,) = result.get_all("HX-Trigger")
    assert value == (
        '{"flash":{"messages":[{"category":"message","message":"caf\\u00e9"}],'
        '"values":{"info":"ok"}}}'
    )


def test_a_header_of_exactly_the_budget_is_delivered(make: MakeHarness) -> None:
    probe = make(htmx=True)
    (value,) = probe.open("/add?m=hi", headers=HX).get_all("HX-Trigger")
    exact = make(htmx=True, htmx_max_bytes=len(value))
    assert _delivered(exact, "") is True
    short = make(htmx=True, htmx_max_bytes=len(value) - 1)
    assert _delivered(short, "") is False


def test_wsgi_spells_the_header_as_htmx_documents_it() -> None:
    harness = WSGIHarness(htmx=True)
    result = harness.open("/add?m=hi", headers=HX)
    names = [name for name, _ in result.headers if name.lower() == "hx-trigger"]
    assert names == ["HX-Trigger"]


def test_the_smallest_budget_is_accepted() -> None:
    FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, htmx=True, htmx_max_bytes=64)
    with pytest.raises(ValueError, match="htmx_max_bytes"):
        FlashMiddleware(
            scenario_wsgi_app, secret_key=SECRET, htmx=True, htmx_max_bytes=63
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**53 - 1, 2**53 - 1),
        (-(2**53 - 1), -(2**53 - 1)),
        (2**53, str(2**53)),
        (-(2**53), str(-(2**53))),
        # A type no converter knows (from a custom serializer) is its text.
        (Decimal("1.50"), "1.50"),
        (frozenset(), "frozenset()"),
    ],
)
def test_browser_json_edges(value: Any, expected: Any) -> None:
    converted = browser_json(value)
    assert converted == expected
    assert type(converted) is type(expected)
    json.dumps(converted)
