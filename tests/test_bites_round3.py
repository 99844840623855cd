"""Hot-path rules that mutation testing found unpinned, round 3 (issue 16).

Each test fails on at least one mutant of the lead's speed changes that
the rest of the suite let through: the untagged shortcut of
``TaggedJSONSerializer.dumps``, the unseen-request check that asks once
whether any watched header is there, and the WSGI adapter's lookup of
those headers in the environ.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

import pytest

from flashmw.request import (
    SPECULATIVE_HEADERS,
    SUBRESOURCE_DESTINATIONS,
    is_unseen,
    watched,
)
from flashmw.values import TaggedJSONSerializer

from .harness import WSGIHarness

serializer = TaggedJSONSerializer()

# -- values: dumps' shortcut and its tag path agree --------------------------


def _dumps_error(document: Any) -> type[BaseException] | None:
    try:
        serializer.dumps(document)
    except Exception as exc:  # noqa: BLE001 (the class is what is compared)
        return type(exc)
    return None


@pytest.mark.parametrize(
    "neighbour",
    [
        pytest.param(("tuple",), id="tuple-needs-a-tag"),
        pytest.param(["a", [["b", 1]]], id="plain-meta"),
    ],
)
def test_a_text_value_is_encoded_alike_whatever_its_neighbours(neighbour: Any) -> None:
    """A document's text values go through dumps the same way on both of its paths.

    With only text, dumps encodes the document as it is; with a value that
    needs a tag beside the text, it builds a tagged copy. The text itself
    is treated alike on both: the same bytes for good text, and the same
    error for a lone surrogate (which ``Flash`` refuses at the storing
    call, so only a direct caller of the serializer can pass one).
    """
    text = "café ☕"
    alone = serializer.dumps([[["message", text]], []])
    beside = serializer.dumps([[["message", text], ["info", neighbour]], []])
    assert beside.startswith(alone[: -len(b"],[]]")])
    assert serializer.loads(beside)[0][0] == ["message", text]

    bad = "\ud800"
    error = _dumps_error([[["message", bad]], []])
    assert error is not None
    assert _dumps_error([[["message", bad], ["info", neighbour]], []]) is error
    assert _dumps_error([[["message", bad]], [["key", neighbour]]]) is error


# -- request: the unseen check asks once whether any watched header is there --


class _Keys(set[str]):
    """Header keys that record which names they are asked to be disjoint from."""

    def __init__(self, keys: Iterable[str], asked: list[AbstractSet[str]]) -> None:
        super().__init__(keys)
        self._asked = asked

    def isdisjoint(self, names: Iterable[object]) -> bool:
        self._asked.append(names)  # type: ignore[arg-type]
        return super().isdisjoint(names)


class _Recorded:
    """A request's headers (lower-case names) that record what the check asks."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers
        self.asked: list[AbstractSet[str]] = []

    def get(self, name: str) -> str | None:
        return self._headers.get(name)

    def keys(self) -> AbstractSet[str]:
        return _Keys(self._headers, self.asked)


def test_watched_names_every_rule_and_sec_fetch_dest_only_with_destinations() -> None:
    rules = {"x-prefetch": ("1",), "purpose": ("prefetch",)}
    assert watched(rules, frozenset({"image"})) == {
        "x-prefetch",
        "purpose",
        "sec-fetch-dest",
    }
    # Without destinations Sec-Fetch-Dest cannot make a request unseen, so
    # a request carrying only it (every navigation does) is not looked at.
    assert watched(rules, frozenset()) == {"x-prefetch", "purpose"}
    assert watched({}, frozenset()) == frozenset()


@pytest.mark.parametrize(
    ("headers", "unseen"),
    [
        pytest.param({"sec-purpose": "prefetch"}, True, id="prefetch"),
        pytest.param({"sec-fetch-dest": "image"}, True, id="image"),
        pytest.param({"sec-fetch-dest": "document"}, False, id="document"),
        pytest.param({"accept": "text/html"}, False, id="plain"),
    ],
)
def test_is_unseen_works_out_the_watched_names_when_not_given(
    headers: dict[str, str], unseen: bool
) -> None:
    """Called with its defaults, ``is_unseen`` asks about the default rules' headers."""
    recorded = _Recorded(headers)
    assert is_unseen(recorded) is unseen
    assert recorded.asked == [watched(SPECULATIVE_HEADERS, SUBRESOURCE_DESTINATIONS)]


def test_is_unseen_works_out_the_watched_names_of_the_rules_it_is_given() -> None:
    rules = {"x-prefetch": ("1",)}
    assert is_unseen(_Recorded({"x-prefetch": "1"}), rules, frozenset()) is True
    assert is_unseen(_Recorded({"sec-purpose": "prefetch"}), rules, frozenset()) is (
        False
    )
    image = _Recorded({"sec-fetch-dest": "font"})
    assert is_unseen(image, rules, frozenset({"font"})) is True
    assert image.asked == [{"x-prefetch", "sec-fetch-dest"}]


def test_is_unseen_asks_about_the_names_computed_once() -> None:
    """Given ``names``, the check uses that very set: nothing is rebuilt per request."""
    rules = {"x-prefetch": ("1",)}
    names = watched(rules, frozenset())
    for headers, unseen in (({"x-prefetch": "1"}, True), ({}, False)):
        recorded = _Recorded(headers)
        assert is_unseen(recorded, rules, frozenset(), names) is unseen
        assert len(recorded.asked) == 1
        assert recorded.asked[0] is names


# -- wsgi: the watched headers looked up in the environ ----------------------


def _shown_twice(harness: WSGIHarness, headers: dict[str, str], body: bytes) -> bool:
    """Whether a message shown by a request with ``headers`` is still there after."""
    harness.open("/add?m=hi")
    shown = harness.open("/show", method="POST", headers=headers, body=body)
    assert shown.body == [["message", "hi"]]
    return bool(harness.open("/show").body == [["message", "hi"]])


@pytest.mark.parametrize(
    ("headers", "body", "unseen"),
    [
        # The two headers PEP 3333 keeps without the HTTP_ prefix.
        pytest.param({"Content-Type": "x-prefetch"}, b"", True, id="content-type"),
        pytest.param({"Content-Type": "text/plain"}, b"", False, id="other-type"),
        pytest.param({}, b"abc", True, id="content-length"),
        pytest.param({"X-Later": "1"}, b"", True, id="http-header"),
        pytest.param({"X-Later": "0"}, b"", False, id="other-value"),
        pytest.param({"Sec-Fetch-Dest": "image"}, b"", False, id="no-destinations"),
    ],
)
def test_a_rule_on_any_header_marks_the_first_request_unseen(
    headers: dict[str, str], body: bytes, unseen: bool
) -> None:
    """Rules on the headers kept without HTTP_ in the environ match too."""
    harness = WSGIHarness(
        speculative_headers={
            "content-type": ["x-prefetch"],
            "content-length": ["3"],
            "x-later": ["1"],
        },
        subresource_destinations=[],
    )
    assert _shown_twice(harness, headers, body) is unseen


def test_two_middlewares_with_different_rules_each_watch_their_own_headers() -> None:
    """The environ keys are worked out per middleware, not once for all."""
    first = WSGIHarness(speculative_headers={"x-first": ["1"]})
    second = WSGIHarness(speculative_headers={"x-second": ["1"]})
    for _ in range(2):
        assert _shown_twice(first, {"X-First": "1"}, b"") is True
        assert _shown_twice(first, {"X-Second": "1"}, b"") is False
        assert _shown_twice(second, {"X-Second": "1"}, b"") is True
        assert _shown_twice(second, {"X-First": "1"}, b"") is False
        assert _shown_twice(second, {"Sec-Fetch-Dest": "script"}, b"") is True


def test_is_unseen_reads_sec_fetch_dest_at_the_key_it_is_given() -> None:
    """Headers keyed as a WSGI environ: the rules and the dest key are keys."""
    rules = {"HTTP_X_PREFETCH": ("1",)}
    image = {"HTTP_SEC_FETCH_DEST": "image"}
    key = "HTTP_SEC_FETCH_DEST"
    assert is_unseen(image, rules, SUBRESOURCE_DESTINATIONS, dest_key=key) is True
    assert is_unseen(image, rules, SUBRESOURCE_DESTINATIONS) is False  # by name
    assert is_unseen(image, rules, frozenset(), dest_key=key) is False
    assert is_unseen({"HTTP_X_PREFETCH": "1"}, rules, frozenset(), dest_key=key)
