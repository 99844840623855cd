"""The middleware core's rules that mutation testing found unpinned (issue 16).

Each test fails on at least one mutant of ``flashmw/base.py`` that the
rest of the suite let through, and speaks in requests, responses and logs.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from flashmw import Flash, FlashMiddleware
from flashmw.testing import make_cookie

from .conftest import MakeHarness
from .harness import ROUTES, SECRET, FakeClock, Harness, Reply, scenario_wsgi_app


@pytest.fixture
def route(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Add a route to the scenario app for one test."""

    def add(path: str, handler: Any) -> None:
        monkeypatch.setitem(ROUTES, path, handler)

    return add


class StrictUTF8JSON:
    """A custom serializer with no ``validate`` or ``snapshot``: strict UTF-8."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False).encode("utf-8")

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


def _store(flash: Flash, args: dict[str, str]) -> Reply:
    outcome = []
    calls: list[Callable[[], None]] = [
        lambda: flash.add("\ud800"),
        lambda: flash.add("fine", "\ud800"),
        lambda: flash.put("k", "\ud800"),
        lambda: flash.put("\ud800", "fine"),
    ]
    for call in calls:
        try:
            call()
        except TypeError:
            outcome.append("TypeError")
        else:
            outcome.append("stored")
    return Reply(body=outcome)


@pytest.mark.parametrize(
    "serializer", [None, StrictUTF8JSON()], ids=["tagged", "custom"]
)
def test_a_str_the_serializer_cannot_encode_is_a_type_error_at_the_call(
    make: MakeHarness, route: Any, serializer: Any
) -> None:
    """A lone surrogate cannot be sent: the storing call says so, not the response."""
    route("/store", _store)
    harness = make(serializer=serializer)
    stored = harness.open("/store")
    assert stored.status == 200
    assert stored.body == ["TypeError"] * 4
    assert harness.open("/show").body == []


def _read_then_change(flash: Flash, args: dict[str, str]) -> Reply:
    flash["changed"].append(object())
    flash.add("new")
    flash.keep()
    return Reply(body="changed")


def test_the_warning_for_a_value_left_out_names_its_key_and_why(
    make: MakeHarness, route: Any, caplog: pytest.LogCaptureFixture
) -> None:
    route("/read-change", _read_then_change)
    harness = make()
    cookie = make_cookie(harness.app, [], {"changed": ["ok"], "intact": "kept"})
    harness.put_in_jar(cookie.value, cookie.name)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        assert harness.open("/read-change").status == 200
    (record,) = [r for r in caplog.records if "left out" in r.getMessage()]
    assert "'changed'" in record.getMessage()
    assert "cannot be flashed" in record.getMessage()


class ObjectsOnly:
    """A serializer that cannot carry the flash document (lists)."""

    def dumps(self, obj: Any) -> bytes:
        if isinstance(obj, list):
            raise TypeError("lists are not supported")
        return json.dumps(obj).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


def test_a_serializer_that_cannot_carry_the_document_is_refused() -> None:
    with pytest.raises(ValueError, match="serializer"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, serializer=ObjectsOnly())


def test_max_age_of_one_second_is_accepted(make: MakeHarness, clock: FakeClock) -> None:
    harness = make(max_age=1)
    harness.open("/add?m=brief")
    clock.advance(1)
    assert harness.open("/show").body == [["message", "brief"]]
    with pytest.raises(ValueError, match="max_age"):
        make(max_age=0.5)


def _forge(harness: Harness, suffix: str, message: str, ms: int) -> bytes:
    mw = harness.app
    document = [[["message", message]], [["m", [suffix, [[ms, "abcdefgh"], [1]]]]]]
    value = mw._signer.sign(json.dumps(document).encode(), mw._clock())
    return f"flash.{suffix}={value}".encode()


@pytest.mark.parametrize("order", ["newer-first", "older-first"])
def test_of_two_valid_cookies_with_one_name_the_newer_is_read(
    harness: Harness, clock: FakeClock, caplog: pytest.LogCaptureFixture, order: str
) -> None:
    """One may be set for a parent domain or another path: the newest wins."""
    ms = int(clock() * 1000)
    cookies = [
        _forge(harness, "abc", "newer", ms),
        _forge(harness, "abc", "older", ms - 1),
    ]
    if order == "older-first":
        cookies.reverse()
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        response = harness.raw(b"; ".join(cookies))
    assert response.status == 200
    assert response.body == [["message", "newer"]]
    (record,) = [r for r in caplog.records if "several valid" in r.getMessage()]
    assert "flash.abc cookies" in record.getMessage()
    assert "the newest wins" in record.getMessage()


def _forge_read_mark(harness: Harness, suffix: str, ms: int, write: str) -> bytes:
    """A mark cookie whose one read mark hides the messages of write (ms, write)."""
    mw = harness.app
    now = mw._clock()
    document = [[["message", 2]], [["x", [suffix, [[ms, write, 1, int(now)]]]]]]
    value = mw._signer.sign(json.dumps(document).encode(), now)
    return f"flash.{suffix}={value}".encode()


@pytest.mark.parametrize("order", ["newer-first", "older-first"])
def test_of_two_mark_cookies_with_one_name_the_newer_read_mark_is_read(
    harness: Harness, clock: FakeClock, order: str
) -> None:
    """A mark cookie's age is that of the newest write its read marks name."""
    ms = int(clock() * 1000)
    message = _forge(harness, "abc", "hello", ms)  # written by (ms, "abcdefgh")
    # The newer mark hides that message; the older names an older write,
    # whose id sorts after: only the millisecond may decide.
    marks = [
        _forge_read_mark(harness, "mk", ms, "abcdefgh"),
        _forge_read_mark(harness, "mk", ms - 5, "zzzzzzzz"),
    ]
    if order == "older-first":
        marks.reverse()
    assert harness.raw(b"; ".join([message, *marks])).body == []
    # The control: without the newer mark, the message shows.
    assert harness.raw(b"; ".join([message, marks[order == "newer-first"]])).body == [
        ["message", "hello"]
    ]


def test_of_two_equally_new_cookies_with_one_name_the_first_sent_is_read(
    harness: Harness, clock: FakeClock
) -> None:
    ms = int(clock() * 1000)
    first, second = _forge(harness, "abc", "one", ms), _forge(harness, "abc", "two", ms)
    assert harness.raw(first + b"; " + second).body == [["message", "one"]]
    assert harness.raw(second + b"; " + first).body == [["message", "two"]]
    # ... and the cookies after the pair are still read.
    other = _forge(harness, "def", "other", ms + 1)
    both = harness.raw(first + b"; " + second + b"; " + other).body
    assert both == [["message", "one"], ["message", "other"]]


@pytest.mark.parametrize(("count", "warned"), [(3, False), (4, True)])
def test_only_so_many_candidate_cookies_are_verified(
    make: MakeHarness,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    count: int,
    warned: bool,
) -> None:
    """With ``max_cookies=1``, 3 candidates are read; a 4th is ignored, and logged."""
    harness = make(max_cookies=1)
    ms = int(clock() * 1000)
    cookies = [_forge(harness, f"c{i}", f"m{i}", ms + i) for i in range(count)]
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        shown = harness.raw(b"; ".join(cookies)).body
    assert shown == [["message", f"m{i}"] for i in range(3)]
    messages = [r.getMessage() for r in caplog.records if "read only" in r.getMessage()]
    assert messages == (
        ["flashmw read only the first 3 of 4 flash cookies"] if warned else []
    )


@pytest.mark.parametrize("path", ["/a\x00b", "/a\nb", "/a\x7fb"])
def test_a_path_with_a_control_character_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, path=path)


def _add_new(flash: Flash, args: dict[str, str]) -> Reply:
    flash.add("new")
    return Reply()


def test_a_rewritten_0_1_message_still_expires_max_age_after_it_was_written(
    make: MakeHarness, clock: FakeClock, route: Any
) -> None:
    """Rewriting a 0.1 cookie re-signs its messages, but keeps their age."""
    route("/add-new", _add_new)
    harness = make()
    cookie = make_cookie(harness.app, ["old"])
    harness.put_in_jar(cookie.value, cookie.name)
    clock.advance(3000)
    harness.open("/add-new")  # rewrites the 0.1 cookie, signed now
    clock.advance(601)  # the old message is 3601 seconds old
    assert harness.open("/show").body == [["message", "new"]]


def test_of_two_mark_cookies_with_one_name_the_newer_is_read(
    harness: Harness, clock: FakeClock
) -> None:
    """Compared by their milliseconds, not by their write ids."""
    mw = harness.app
    ms, made = int(clock() * 1000), int(clock())

    def mark(stamp_ms: int, write: str) -> bytes:
        document = [[["", 1]], [["x", ["mk", [[stamp_ms, write, 1, made]]]]]]
        value = mw._signer.sign(json.dumps(document).encode(), mw._clock())
        return f"flash.mk={value}".encode()

    message = _forge(harness, "msg", "between", ms - 500)
    newer, older = mark(ms, "aaaaaaaa"), mark(ms - 1000, "zzzzzzzz")
    for pair in ([newer, older], [older, newer]):
        response = harness.raw(b"; ".join([message, *pair]))
        assert response.status == 200
        assert response.body == []  # the newer clear hides the message


def test_an_empty_0_1_cookie_beside_a_full_one_reads_the_full_one(
    harness: Harness,
) -> None:
    mw = harness.app
    empty = mw._signer.sign(b"[[],[]]", mw._clock())
    full = mw._signer.sign(b'[[["message","hi"]],[]]', mw._clock())
    for header in (f"flash={empty}; flash={full}", f"flash={full}; flash={empty}"):
        response = harness.raw(header.encode())
        assert response.status == 200
        assert response.body == [["message", "hi"]]


def test_an_empty_fallback_key_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^each of fallback_keys must be"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, fallback_keys=[""])


@pytest.mark.parametrize("option", ["max_messages", "max_cookies"])
@pytest.mark.parametrize("value", [0, "3", True])
def test_a_bad_count_option_is_refused_by_name(option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=rf"^{option} must be"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, **{option: value})


class DumpsOnly:
    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj).encode()


def test_a_serializer_without_loads_is_refused_by_name() -> None:
    with pytest.raises(
        ValueError, match=r"^serializer must have dumps\(obj\) and loads"
    ):
        FlashMiddleware(
            scenario_wsgi_app,
            secret_key=SECRET,
            serializer=DumpsOnly(),  # type: ignore[arg-type]
        )


def test_a_salt_with_a_lone_surrogate_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^salt must be valid Unicode"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, salt="\ud800")


class SnapshottingJSON:
    """JSON (tuples come back as lists), with a snapshot that keeps tuples."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data)

    def snapshot(self, value: Any) -> Any:
        return copy.deepcopy(value)


def test_a_serializers_snapshot_is_what_the_request_reads_back(
    make: MakeHarness, route: Any
) -> None:
    def put_and_read(flash: Flash, args: dict[str, str]) -> Reply:
        flash.put("k", (1, 2))
        return Reply(body=type(flash.get("k")).__name__)

    route("/put-and-read", put_and_read)
    assert make(serializer=SnapshottingJSON()).open("/put-and-read").body == "tuple"
    # The control: without snapshot(), the copy is a round trip: a list.
    assert make(serializer=StrictUTF8JSON()).open("/put-and-read").body == "list"


@pytest.mark.parametrize("option", ["max_cookie_size", "max_total_size"])
def test_a_size_option_that_is_not_an_int_is_refused_by_name(option: str) -> None:
    bad: dict[str, Any] = {option: "4096"}
    with pytest.raises(ValueError, match=rf"^{option} must be an int"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, **bad)


@pytest.mark.parametrize("option", ["max_cookie_size", "max_total_size"])
@pytest.mark.parametrize(
    ("cookie_name", "smallest"), [("flash", 208), ("__Host-f", 211)]
)
def test_the_smallest_size_accepted_is_the_smallest_cookie(
    option: str, cookie_name: str, smallest: int
) -> None:
    """A known answer: the smallest flash cookie (a clear mark) with the defaults.

    ``Name=value`` of a mark named like every cookie of this layout
    (the cookie name, a dot, 8 characters of write id and a digit), and the
    attributes (``__Host-`` adds ``Secure``). A smaller budget could hold
    nothing, so it is refused; this one is accepted.
    """
    fits: dict[str, Any] = {"cookie_name": cookie_name, option: smallest}
    FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, **fits)
    short = {**fits, option: smallest - 1}
    with pytest.raises(ValueError, match=rf"^{option}={smallest - 1} is too small"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, **short)
