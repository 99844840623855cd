"""Behaviours of the cookie layout that mutation testing found untested.

Each test names what a user would see go wrong: a message shown again, an
empty cookie written, a limit not kept, an error not raised.
"""

from __future__ import annotations

import base64
import itertools
import logging
import os
import warnings
from collections.abc import Sequence
from typing import Any

import pytest

from flashmw import Flash, FlashOverflowError, layout

from .conftest import MakeHarness
from .harness import ROUTES, FakeClock, Harness, Reply, WSGIHarness, split_header
from .test_bites_layout import _jar_of, _pair
from .test_concurrency import Jar
from .test_store_protocol import LONG

BOTH = "/flash?m=Saved.|Declined.&c=info|error"


def _names(harness: Harness) -> list[str]:
    return [name for name, _ in split_header(harness.jar() or "")]


def _deleted(result_cookies: list[str]) -> list[str]:
    return [c.split("=")[0] for c in result_cookies if "Max-Age=0" in c]


def test_a_lone_new_message_dropped_for_the_limits_leaves_no_cookie(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    # List messages go before keyed values: the new message, alone in its
    # cookie, is the one dropped, and no empty cookie takes its place.
    jar = _jar_of(make, "/put?k=notice&v=kept")
    harness = make(max_cookies=1)
    harness.load_jar(jar)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        added = harness.open("/add?m=dropped")
    assert added.set_cookies == []
    assert "dropped the 1 oldest" in caplog.text
    assert harness.open("/show").body == []
    assert harness.open("/get?k=notice").body == {"notice": "kept"}


def test_a_mark_cookie_is_kept_to_the_last_second_of_its_minute(
    make: MakeHarness, clock: FakeClock
) -> None:
    harness = make()
    harness.open("/put?k=info&v=v")
    read = harness.open("/get?k=info")  # leaves a mark, made now
    (mark,) = [c.split("=")[0] for c in read.set_cookies if "Max-Age=60" in c]
    clock.advance(60)
    added = harness.open("/add?m=later")  # a response that writes
    assert mark not in _deleted(added.set_cookies)
    clock.advance(1)
    again = harness.open("/add?m=later still")
    assert mark in _deleted(again.set_cookies)


def test_a_mark_cookie_with_a_live_key_mark_outlives_its_read_marks(
    make: MakeHarness,
) -> None:
    harness = make()
    harness.open(BOTH)
    older = harness.raw(None, "/put?k=info&v=older")  # a put still on its way
    harness.open("/put?k=info&v=newer")
    assert harness.open("/get?k=info").body == {"info": "newer"}  # a key mark
    harness.open("/show?c=error")  # adds a read mark to the same cookie
    # Consuming the rest deletes the message cookie: its read mark is dead,
    # but the key mark still holds against the older put.
    assert harness.open("/show").body == [["info", "Saved."]]
    late = "; ".join(c.split(";")[0] for c in older.set_cookies)
    jar = harness.jar()
    assert jar is not None
    shown = harness.raw(f"{jar}; {late}".encode(), "/get?k=info")
    assert shown.body == {"info": None}


def test_a_read_that_only_deletes_still_fits_lowered_limits_with_values(
    make: MakeHarness,
) -> None:
    jar = _jar_of(make, "/put?k=a&v=1", "/put?k=b&v=2", "/put?k=c&v=3", "/add?m=m")
    harness = make(max_cookies=2)
    harness.load_jar(jar)
    assert harness.open("/show").body == [["message", "m"]]
    assert harness.open("/get?k=a").body == {"a": None}  # the oldest went
    assert harness.open("/get?k=c").body == {"c": "3"}


def test_a_peek_writes_nothing_even_over_lowered_limits(make: MakeHarness) -> None:
    jar = _jar_of(make, "/add?m=a", "/add?m=b", "/add?m=c")
    harness = make(max_cookies=2)
    harness.load_jar(jar)
    peek = harness.open("/show?peek=1")
    assert peek.body == [["message", "a"], ["message", "b"], ["message", "c"]]
    assert peek.set_cookies == []


def _read_errors_then_add(flash: Flash, args: dict[str, str]) -> Reply:
    shown = flash.get_flashed_messages(category_filter=["error"])
    try:
        flash.add("one")
        flash.add("two")
    except FlashOverflowError:
        return Reply(body=["overflow", *shown])
    return Reply(body=["added", *shown])


def test_overflow_raises_after_a_filtered_read_of_a_shared_cookie(
    make: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ROUTES, "/read-errors-add", _read_errors_then_add)
    harness = make(on_overflow="error", max_messages=2)
    harness.open(BOTH)
    # "Saved." is left in the cookie the read shared: with two more, three.
    assert harness.open("/read-errors-add").body == ["overflow", "Declined."]


def test_one_process_draws_its_write_ids_under_one_prefix(harness: Harness) -> None:
    # Ids of one process share 32 random bits and count up below them, so
    # two writes of one process never collide.
    for text in ("a", "b", "c"):
        harness.open(f"/add?m={text}")
    suffixes = [name.partition(".")[2] for name in _names(harness)]
    assert len(suffixes) == 3
    assert len({suffix[:5] for suffix in suffixes}) == 1
    assert len({suffix[:8] for suffix in suffixes}) == 3


class FlakyStore:
    """A sync store that can be taken down and brought back."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.down = False

    def put(self, key: str, data: bytes, ttl: int) -> None:
        if self.down:
            raise ConnectionError("the store is down")
        self.values[key] = data

    def take(self, keys: Sequence[str]) -> list[bytes | None]:
        if self.down:
            raise ConnectionError("the store is down")
        return [self.values.pop(key, None) for key in keys]


def test_a_read_mark_of_a_stored_write_holds_while_the_store_is_down(
    clock: FakeClock,
) -> None:
    store = FlakyStore()
    harness = WSGIHarness(store=store, clock=clock)
    messages = "|".join(LONG.format(i) for i in range(20))
    categories = "|".join(["info", "error"] * 10)
    harness.open(f"/flash?m={messages}&c={categories}")
    assert len(store.values) == 1  # one write, one reference
    harness.open("/put?k=k&v=v")
    errors = harness.open("/show?c=error").body
    assert len(errors) == 10
    store.down = True
    # A new mark while the stored messages cannot be read: the read mark
    # of their write must be carried into the new mark cookie.
    assert harness.open("/get?k=k").body == {"k": "v"}
    store.down = False
    shown = harness.open("/show").body
    assert [category for category, _ in shown] == ["info"] * 10


def test_two_tabs_each_flash_two_categories_and_each_read_one(
    make: MakeHarness,
) -> None:
    harness = make()
    jar = Jar()
    jar.apply(harness.raw(None, BOTH))
    jar.apply(harness.raw(jar.header(), "/flash?m=Again.|Oops.&c=info|error"))
    cookie = jar.header()
    errors = harness.raw(cookie, "/show?c=error")
    assert errors.body == [["error", "Declined."], ["error", "Oops."]]
    jar.apply(errors)
    assert harness.raw(jar.header(), "/show").body == [
        ["info", "Saved."],
        ["info", "Again."],
    ]


def test_write_ids_draw_a_new_prefix_once_per_cycle_of_the_counter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 65,536 ids per prefix: the id after the last of a cycle draws new
    # random bits, and the ones after it keep them.
    monkeypatch.setattr(layout, "_writes", itertools.count(3 * 65536 - 1))
    last, first, second = (layout.new_write_id() for _ in range(3))
    assert last[:5] != first[:5]
    assert first[:5] == second[:5]
    assert first != second


@pytest.mark.parametrize(
    "number", [0, 1, 255, 256, 4094, 4095, 4096, 65534, 65535, 65536 + 4660]
)
@pytest.mark.parametrize("prefix", [bytes(4), b"\xff" * 4, b"\x12\x34\x56\x7b"])
def test_a_write_id_is_the_base64url_of_its_prefix_and_counter(
    monkeypatch: pytest.MonkeyPatch, number: int, prefix: bytes
) -> None:
    # Three ids in a row, across a block of 4,096 (whose first characters
    # are cached) or a cycle of 65,536 where the number allows.
    monkeypatch.setattr(layout, "_writes", itertools.count(number))
    monkeypatch.setattr(layout, "_prefix", (-1, b""))
    monkeypatch.setattr(layout, "_head", (-1, ""))
    monkeypatch.setattr("flashmw.layout.os.urandom", lambda size: prefix[:size])
    for n in range(number, number + 3):
        raw = prefix + (n % 65536).to_bytes(2, "big")
        expected = base64.urlsafe_b64encode(raw).decode("ascii")
        assert layout.new_write_id() == expected


@pytest.mark.parametrize("number", [10, 4096 + 10, 65536 + 10])
def test_forgetting_the_prefix_draws_new_random_bits_within_a_block(
    monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    # What a forked child runs (os.register_at_fork): the next id, though in
    # the block and cycle of the last, is drawn under fresh random bits.
    # (Blocks and cycles past the first: a forgotten one matches no number.)
    draws = iter([b"\x00" * 4, b"\xff" * 4])
    monkeypatch.setattr(layout, "_writes", itertools.count(number))
    monkeypatch.setattr(layout, "_prefix", (-1, b""))
    monkeypatch.setattr(layout, "_head", (-1, ""))
    monkeypatch.setattr("flashmw.layout.os.urandom", lambda size: next(draws))
    before = layout.new_write_id()
    layout._forget_prefix()
    after = layout.new_write_id()
    low = number % 65536
    before_raw = bytes(4) + low.to_bytes(2, "big")
    after_raw = b"\xff" * 4 + (low + 1).to_bytes(2, "big")
    assert before == base64.urlsafe_b64encode(before_raw).decode()
    assert after == base64.urlsafe_b64encode(after_raw).decode()


def test_the_ids_of_one_cycle_share_its_random_bits_across_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first characters are cached per block of 4,096 ids, but the
    # random bits are drawn per cycle of 65,536: the next block keeps them.
    monkeypatch.setattr(layout, "_writes", itertools.count(4095))
    monkeypatch.setattr(layout, "_prefix", (-1, b""))
    monkeypatch.setattr(layout, "_head", (-1, ""))
    last_of_block, first_of_next = layout.new_write_id(), layout.new_write_id()
    assert last_of_block[:5] == first_of_next[:5]
    assert last_of_block != first_of_next


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_forked_child_draws_write_ids_of_its_own() -> None:
    # Parent and child share the counter after fork(): the child must draw
    # new random bits, or both would write cookies of the same names.
    layout.new_write_id()  # the parent's prefix and block are cached
    read, write = os.pipe()
    with warnings.catch_warnings():
        # 3.12+ warns when other threads run (a test's server may): the
        # child only writes to a pipe and exits, which is safe.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write, layout.new_write_id().encode("ascii"))
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 8).decode("ascii")
    os.close(read)
    mine = layout.new_write_id()
    assert len(child) == 8
    assert child[6:] == mine[6:]  # the same counter value...
    assert child[:5] != mine[:5]  # ...under other random bits


# -- the first write of a response, alone against the limits --------------


@pytest.mark.parametrize("extra", [0, -1])
def test_a_first_write_over_the_total_size_is_trimmed_to_fit(
    make: MakeHarness, extra: int
) -> None:
    # No cookie in the jar: the one cookie this response writes is the
    # whole jar, and a budget of one message (to the byte) keeps one.
    a, b, c = (letter * 200 for letter in "abc")
    probe = make()
    one = _pair(probe.open(f"/add?m={c}").set_cookies[0])
    harness = make(max_total_size=len(one) + 2 + extra)
    reply = harness.open(f"/add?m={a}|{b}|{c}")
    assert len(reply.set_cookies) == (1 if extra == 0 else 0)
    shown = harness.open("/show?peek=1").body
    assert shown == ([["message", c]] if extra == 0 else [])


def test_a_first_write_split_over_cookies_fits_max_cookies(make: MakeHarness) -> None:
    # Each message takes a cookie of its own (max_cookie_size fits one):
    # three cookies against max_cookies=1 keep the newest message only.
    probe = make()
    one = _pair(probe.open("/add?m=" + "c" * 300).set_cookies[0])
    harness = make(max_cookie_size=len(one) + 100, max_cookies=1)
    messages = "|".join(letter * 300 for letter in "abc")
    assert len(harness.open(f"/add?m={messages}").set_cookies) == 1
    assert harness.open("/show?peek=1").body == [["message", "c" * 300]]


def test_a_mark_cookie_counts_against_the_limits_of_a_first_message(
    make: MakeHarness,
) -> None:
    # A jar with only a mark cookie (a value put, then read), and a budget
    # of that cookie and one new message: of two short messages flashed at
    # once (their cookie would fit alone), the older is dropped.
    a, b = "a" * 10, "b" * 10
    mark_jar = _jar_of(make, "/add?k=k&v=v", "/get?k=k")
    assert "; " not in mark_jar  # the mark cookie alone
    one = _pair(make().open(f"/add?m={b}").set_cookies[0])
    harness = make(max_total_size=len(mark_jar) + 2 + len(one) + 2)
    harness.load_jar(mark_jar)
    harness.open(f"/add?m={a}|{b}")
    assert harness.open("/show?peek=1").body == [["message", b]]


@pytest.mark.parametrize("later_first", [False, True])
def test_two_reads_of_one_value_protect_until_a_minute_after_the_later(
    make: MakeHarness, clock: FakeClock, later_first: bool
) -> None:
    # Two tabs read the same value, 30 s apart: each response leaves a mark
    # of that value's stamp. An older put of the key that arrives later must
    # stay hidden for a minute after the *later* read, whatever order the
    # browser sends the two mark cookies in, and after another response
    # carried the marks forward into a mark cookie of its own.
    harness = make()
    older = harness.raw(None, "/put?k=info&v=older")  # still on its way
    jar = Jar()
    jar.apply(harness.raw(None, "/put?k=info&v=newer"))
    jar.apply(harness.raw(jar.header(), "/put?k=other&v=x"))
    before = jar.header()
    first = harness.raw(before, "/get?k=info")
    clock.advance(30)
    second = harness.raw(before, "/get?k=info")  # started before first arrived
    assert first.body == second.body == {"info": "newer"}
    for reply in [second, first] if later_first else [first, second]:
        jar.apply(reply)
    clock.advance(20)
    carried = harness.raw(jar.header(), "/get?k=other")  # writes a mark cookie
    assert carried.body == {"other": "x"}
    jar.apply(carried)
    clock.advance(25)  # 75 s after the first read, 45 s after the second
    jar.apply(older)
    assert harness.raw(jar.header(), "/get?k=info").body == {"info": None}


def _new_cookie_size(clock: FakeClock, message: str, **options: Any) -> tuple[str, int]:
    """The name and Cookie-header size of the one cookie ``message`` makes."""
    harness = WSGIHarness(store=FlakyStore(), clock=clock, **options)
    (cookie,) = harness.open(f"/flash?m={message}").set_cookies
    pair = cookie.split(";")[0]
    return pair.split("=")[0], len(pair) + 2  # "; " between pairs


def test_a_cookie_the_size_of_its_reference_stays_out_of_the_store(
    clock: FakeClock,
) -> None:
    # Over max_total_size, the largest new cookie goes to the store only if
    # its reference is smaller: at the same size there is no room to gain,
    # and the store is not called for nothing.
    name, reference = _new_cookie_size(clock, "x" * 2000, max_cookie_size=1000)
    assert name.endswith("r")
    (length,) = [
        n for n in range(60) if _new_cookie_size(clock, "x" * n)[1] == reference
    ][:1]
    store = FlakyStore()
    harness = WSGIHarness(store=store, clock=clock, max_total_size=300)
    harness.open("/flash?m=older")
    clock.advance(1)
    added = harness.open(f"/flash?m={'x' * length}")
    assert store.values == {}
    (kept,) = [c.split("=")[0] for c in added.set_cookies if "Max-Age=0" not in c]
    assert not kept.endswith("r")
    assert harness.open("/show").body == [["message", "x" * length]]
