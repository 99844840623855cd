"""The per-request flash's rules that mutation testing found unpinned (issue 16).

Each test fails on at least one mutant of ``flashmw/state.py`` that the
rest of the suite let through, and speaks in requests, responses and logs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from flashmw import ASGIFlashMiddleware, Flash, FlashOverflowError, current_flash
from flashmw.testing import make_cookie

from .conftest import MakeHarness
from .harness import (
    ROUTES,
    SECRET,
    FakeClock,
    Harness,
    Reply,
    call_asgi,
    http_scope,
    scenario_asgi_app,
)


@pytest.fixture
def route(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Add a route to the scenario app for one test."""

    def add(path: str, handler: Any) -> None:
        monkeypatch.setitem(ROUTES, path, handler)

    return add


def test_a_message_added_after_clear_in_the_same_request_shows(
    harness: Harness, route: Any
) -> None:
    def add_clear_add(flash: Flash, args: dict[str, str]) -> Reply:
        flash.add("before")
        flash.put("k", "before")
        flash.clear()
        flash.add("after")
        flash.put("k", "after")
        return Reply()

    route("/add-clear-add", add_clear_add)
    harness.open("/add-clear-add")
    assert harness.open("/show").body == [["message", "after"]]
    assert harness.open("/get?k=k").body == {"k": "after"}


def test_repr_shows_the_messages_and_values(harness: Harness, route: Any) -> None:
    def show_repr(flash: Flash, args: dict[str, str]) -> Reply:
        untouched = repr(flash)
        flash.add("hi")
        flash.put("k", "v")
        return Reply(body=[untouched, repr(flash)])

    route("/repr", show_repr)
    assert harness.open("/repr").body == [
        "<Flash (not loaded)>",
        "<Flash messages=[('message', 'hi')] values={'k': 'v'}>",
    ]


@pytest.mark.parametrize(("keep", "outcome"), [(False, "stored"), (True, "overflow")])
def test_on_overflow_error_does_not_count_what_this_response_consumes(
    make: MakeHarness, route: Any, keep: bool, outcome: str
) -> None:
    """Messages read here are gone after this response: they leave room.

    Unless the handler keeps them: then they still count.
    """

    def read_then_add(flash: Flash, args: dict[str, str]) -> Reply:
        flash.get_flashed_messages()
        if keep:
            flash.keep()
        try:
            flash.add("c")
            flash.add("d")
        except FlashOverflowError:
            return Reply(body="overflow")
        return Reply(body="stored")

    route("/read-then-add", read_then_add)
    harness = make(on_overflow="error", max_messages=2)
    harness.open("/add?m=a|b")
    assert harness.open("/read-then-add").body == outcome


def _late(reader: Any) -> Any:
    def handler(flash: Flash, args: dict[str, str]) -> Reply:
        return Reply(body=lambda: reader(current_flash()), late=True)

    return handler


def test_reads_after_the_headers_warn_once(
    harness: Harness, route: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def read_twice(flash: Flash) -> Any:
        return [flash.get_flashed_messages(), flash.get("k"), list(flash)]

    route("/late-twice", _late(read_twice))
    harness.open("/add?m=a&k=k&v=v")
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        streamed = harness.open("/late-twice")
    assert streamed.status == 200
    assert streamed.body == ["first chunk", [[], None, []]]
    late = [r for r in caplog.records if "after the response headers" in r.message]
    assert len(late) == 1
    # Nothing was consumed: the next request shows everything.
    assert harness.open("/show").body == [["message", "a"]]
    assert harness.open("/get?k=k").body == {"k": "v"}


def test_a_write_after_the_headers_is_lost_and_logged_even_with_on_overflow_error(
    make: MakeHarness, route: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def write(flash: Flash) -> Any:
        flash.add("late")
        flash.put("k", "late")
        flash.clear("k")
        return "written"

    route("/late-write", _late(write))
    harness = make(on_overflow="error")
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        streamed = harness.open("/late-write")
    assert streamed.status == 200
    assert streamed.body == ["first chunk", "written"]
    assert "cannot be stored and is lost" in caplog.text
    assert harness.open("/show").body == []


def test_asgi_htmx_headers_are_bytes_as_the_spec_requires(clock: FakeClock) -> None:
    """Servers such as uvicorn reject ``str`` header names or values."""
    cookie = make_cookie({"secret_key": SECRET, "clock": clock}, ["hi"])
    app = ASGIFlashMiddleware(
        scenario_asgi_app, secret_key=SECRET, clock=clock, htmx=True
    )
    scope = http_scope(
        "/ignore",
        headers=[(b"hx-request", b"true"), (b"cookie", cookie.header.encode())],
    )
    start, *_ = asyncio.run(call_asgi(app, scope))
    names = [name for name, _ in start["headers"]]
    assert b"hx-trigger" in names
    assert all(
        type(name) is bytes and type(value) is bytes for name, value in start["headers"]
    )


def _four_letter_headers(flash: Flash, args: dict[str, str]) -> Reply:
    flash.get_flashed_messages()
    headers = [("Link", "</a.css>; rel=preload"), ("ETag", '"v1"'), ("Vary", "Accept")]
    return Reply(headers=headers)


def test_headers_as_long_as_vary_pass_a_touched_response_untouched(
    harness: Harness, route: Any
) -> None:
    # Vary is found by its name's length first: names of four characters
    # that are not Vary go out as they came.
    route("/four", _four_letter_headers)
    response = harness.open("/four")
    assert response.get_all("Link") == ["</a.css>; rel=preload"]
    assert response.get_all("ETag") == ['"v1"']
    assert response.get_all("Vary") == ["Accept, Cookie"]
