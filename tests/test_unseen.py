"""Requests nobody sees as a page (prefetch, prerender, preload, sub-resources)
read the flash as a peek: they never eat a message, on either adapter.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from flashmw import FlashMiddleware
from flashmw.request import (
    SPECULATIVE_HEADERS,
    SUBRESOURCE_DESTINATIONS,
    is_speculative,
    is_subresource,
)

from .conftest import ADAPTERS, MakeHarness
from .harness import SECRET, ASGIHarness, FakeClock, Harness, call_asgi, http_scope

UNSEEN = [
    pytest.param({"Sec-Purpose": "prefetch"}, id="sec-purpose"),
    pytest.param({"Sec-Purpose": "prefetch;prerender"}, id="sec-purpose-prerender"),
    pytest.param({"Sec-Purpose": "PreFetch"}, id="sec-purpose-mixed-case"),
    pytest.param({"sec-purpose": " prefetch ; anonymous-client-ip"}, id="params"),
    pytest.param({"Purpose": "prefetch"}, id="purpose"),
    pytest.param({"X-Purpose": "preview"}, id="x-purpose"),
    pytest.param({"X-Moz": "prefetch"}, id="x-moz"),
    pytest.param({"X-Sec-Purpose": "prefetch"}, id="turbo"),
    pytest.param({"HX-Preloaded": "true"}, id="htmx-preload"),
    pytest.param({"HX-Preloaded": "TRUE"}, id="htmx-preload-upper"),
    pytest.param({"Next-Router-Prefetch": "1"}, id="next"),
    pytest.param({"Sec-Fetch-Dest": "image"}, id="image"),
    pytest.param({"Sec-Fetch-Dest": "Script"}, id="script-mixed-case"),
    pytest.param({"Sec-Fetch-Dest": "style"}, id="style"),
    pytest.param({"Sec-Fetch-Dest": "serviceworker"}, id="serviceworker"),
    pytest.param(
        {"Sec-Fetch-Dest": "document", "Sec-Purpose": "prefetch"},
        id="prefetched-document",
    ),
    pytest.param(
        {"Sec-Fetch-Dest": "empty", "HX-Preloaded": "true", "X-Moz": "junk"},
        id="several",
    ),
]

SEEN = [
    pytest.param({}, id="plain"),
    pytest.param({"Sec-Fetch-Dest": "document"}, id="document"),
    pytest.param({"Sec-Fetch-Dest": "empty"}, id="empty"),
    pytest.param({"Sec-Fetch-Dest": "iframe"}, id="iframe"),
    pytest.param({"Sec-Fetch-Dest": "frame"}, id="frame"),
    pytest.param({"Sec-Purpose": "prefetchx"}, id="sec-purpose-junk"),
    pytest.param({"Sec-Purpose": '"prefetch"'}, id="sec-purpose-string-item"),
    pytest.param({"Sec-Purpose": ";;,,"}, id="sec-purpose-garbage"),
    pytest.param({"Purpose": "preview"}, id="purpose-wrong-token"),
    pytest.param({"HX-Preloaded": "false"}, id="htmx-not-preloaded"),
    pytest.param({"Next-Router-Prefetch": "0"}, id="next-zero"),
    pytest.param({"Sec-Fetch-Dest": "images"}, id="dest-junk"),
    pytest.param({"Sec-Fetch-Dest": "\u00e9\u00ff"}, id="dest-latin-1"),
]


@pytest.mark.parametrize("headers", UNSEEN)
def test_unseen_request_shows_but_does_not_consume(
    harness: Harness, headers: dict[str, str]
) -> None:
    harness.open("/flash?m=Record saved.")
    harness.open("/put?k=info&v=Saved.")
    peeked = harness.open("/show", headers=headers)
    assert peeked.body == [["message", "Record saved."]]
    assert peeked.set_cookies == []
    assert peeked.get("Vary") == "Cookie"
    assert harness.open("/get?k=info", headers=headers).body == {"info": "Saved."}

    assert harness.open("/show").body == [["message", "Record saved."]]
    assert harness.open("/get?k=info").body == {"info": "Saved."}
    assert harness.open("/show").body == []
    assert harness.open("/get?k=info").body == {"info": None}


@pytest.mark.parametrize("headers", SEEN)
def test_seen_request_consumes(harness: Harness, headers: dict[str, str]) -> None:
    harness.open("/flash?m=Record saved.")
    assert harness.open("/show", headers=headers).body == [["message", "Record saved."]]
    assert harness.open("/show").body == []


def test_unseen_request_still_stores_what_it_adds(harness: Harness) -> None:
    harness.open("/flash?m=old")
    added = harness.open("/status?s=200&m=new", headers={"Sec-Purpose": "prefetch"})
    assert added.body == ["old", "new"]
    assert len(added.set_cookies) == 1
    assert harness.open("/show").body == [["message", "old"], ["message", "new"]]
    assert harness.open("/show").body == []


def test_subresource_404_rendering_the_layout_eats_nothing(harness: Harness) -> None:
    harness.open("/flash?m=Welcome back.")
    missing = harness.open(
        "/status?s=404",
        headers={"Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors"},
    )
    assert missing.status == 404
    assert missing.body == ["Welcome back."]
    assert missing.set_cookies == []
    assert harness.open("/show").body == [["message", "Welcome back."]]


def test_unseen_keep_and_clear_behave(harness: Harness) -> None:
    harness.open("/put?k=info&v=Saved.")
    # An explicit clear is an action, not a read: it still applies.
    cleared = harness.open("/clear?k=info", headers={"Sec-Purpose": "prefetch"})
    assert cleared.set_cookies
    assert harness.open("/get?k=info").body == {"info": None}


def test_flash_says_whether_the_request_is_unseen() -> None:
    seen: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["flashmw.flash"].unseen)
        start_response("200 OK", [])
        return [b""]

    middleware = FlashMiddleware(app, secret_key=SECRET)
    client = Client(middleware)
    client.get("/", headers={"Sec-Purpose": "prefetch;prerender"})
    client.get("/")
    client.head("/")
    client.get("/", headers={"Sec-Fetch-Dest": "font"})
    assert seen == [True, False, True, True]


def test_rules_can_be_extended(make: MakeHarness) -> None:
    harness = make(
        speculative_headers={**SPECULATIVE_HEADERS, "X-Warmup": ["yes", "1"]},
        subresource_destinations=[*SUBRESOURCE_DESTINATIONS, "webidentity"],
    )
    harness.open("/flash?m=Hello")
    assert harness.open("/show", headers={"x-warmup": "YES"}).set_cookies == []
    assert (
        harness.open("/show", headers={"Sec-Fetch-Dest": "webidentity"}).set_cookies
        == []
    )
    assert harness.open("/show", headers={"Sec-Purpose": "prefetch"}).set_cookies == []
    assert harness.open("/show").body == [["message", "Hello"]]


def test_rules_can_be_replaced(make: MakeHarness) -> None:
    harness = make(speculative_headers={}, subresource_destinations=())
    harness.open("/flash?m=Hello")
    consumed = harness.open("/show", headers={"Sec-Purpose": "prefetch"})
    assert consumed.body == [["message", "Hello"]]
    assert harness.open("/show").body == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (
            {"speculative_headers": ["sec-purpose"]},
            "speculative_headers must be a mapping",
        ),
        ({"speculative_headers": {"x-a": "1"}}, "must be a list of tokens"),
        ({"speculative_headers": {"x-a": []}}, "names no token"),
        ({"speculative_headers": {"x-a": [1]}}, "is not a header token"),
        ({"speculative_headers": {"x-a": ["a,b"]}}, "is not a header token"),
        ({"speculative_headers": {"": ["1"]}}, "is not a header name"),
        ({"speculative_headers": {3: ["1"]}}, "is not a header name"),
        ({"subresource_destinations": "image"}, "subresource_destinations must be"),
        ({"subresource_destinations": 3}, "subresource_destinations must be"),
        ({"subresource_destinations": ["image", ""]}, "is not a header token"),
    ],
)
def test_bad_rules_are_value_errors(options: dict[str, Any], words: str) -> None:
    for adapter in ADAPTERS.values():
        with pytest.raises(ValueError, match=words):
            adapter(**options)


@pytest.mark.parametrize(
    "value",
    [
        "x" * 100_000,
        "prefetch," * 10_000,
        "\u00ff\u00fe prefetch",
        ";prefetch",
        ",,,;",
    ],
)
def test_hostile_header_values_never_fail(harness: Harness, value: str) -> None:
    harness.open("/flash?m=Hello")
    for name in ("Sec-Purpose", "Sec-Fetch-Dest", "HX-Preloaded", "X-Moz"):
        reply = harness.open("/show?peek=1", headers={name: value})
        assert reply.status == 200
        assert reply.body == [["message", "Hello"]]
    assert harness.open("/show").body == [["message", "Hello"]]


def test_repeated_sec_purpose_headers_are_one_list() -> None:
    asgi = ASGIHarness(clock=FakeClock())
    try:
        asgi.open("/flash?m=Hello")
        cookie = str(asgi.jar()).encode()
        scope = http_scope(
            "/show",
            headers=[
                (b"cookie", cookie),
                (b"sec-purpose", b"anonymous-client-ip"),
                (b"Sec-Purpose", b"prefetch"),
            ],
        )
        start, *_ = asgi.loop.run_until_complete(call_asgi(asgi.app, scope))
        assert not any(name == b"set-cookie" for name, _ in start["headers"])
    finally:
        asgi.close()


# -- a property over any sequence of requests --------------------------------

_KINDS = st.sampled_from(
    [
        {},
        {"Sec-Fetch-Dest": "document"},
        {"Sec-Fetch-Dest": "empty"},
        {"Sec-Purpose": "prefetch;prerender"},
        {"Sec-Fetch-Dest": "image"},
        {"HX-Preloaded": "true"},
        {"Purpose": "prefetch"},
    ]
)
_STEPS = st.lists(
    st.tuples(st.sampled_from(["add", "show", "show-error"]), _KINDS),
    max_size=12,
)


class _Plain:
    """The headers of one step, looked up as the core does."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = {k.lower(): v for k, v in headers.items()}

    def get(self, name: str) -> str | None:
        return self._headers.get(name)

    def keys(self) -> AbstractSet[str]:
        return self._headers.keys()


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
@settings(max_examples=40)
@given(steps=_STEPS)
def test_messages_are_shown_once_by_a_seen_request(
    adapter: str, steps: list[tuple[str, dict[str, str]]]
) -> None:
    harness = ADAPTERS[adapter](clock=FakeClock())
    try:
        shown_by_seen: dict[str, int] = {}
        pending: list[str] = []
        for number, (action, headers) in enumerate(steps):
            if action == "add":
                message = f"m{number}"
                harness.open(f"/flash?m={message}&c=error", headers=headers)
                pending.append(message)
                continue
            path = "/show" if action == "show" else "/show?c=error"
            shown = [m for _, m in harness.open(path, headers=headers).body]
            # Never dropped: every pending message is shown, seen or not.
            assert shown == pending
            plain = _Plain(headers)
            if not (is_speculative(plain) or is_subresource(plain)):
                for message in shown:
                    shown_by_seen[message] = shown_by_seen.get(message, 0) + 1
                pending = []
        for _, message in harness.open("/show").body:
            shown_by_seen[message] = shown_by_seen.get(message, 0) + 1
        added = sum(1 for action, _ in steps if action == "add")
        assert len(shown_by_seen) == added
        assert set(shown_by_seen.values()) <= {1}
    finally:
        harness.close()
