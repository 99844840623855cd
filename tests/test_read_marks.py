"""One write, several categories, one cookie: filtered reads and read marks.

A request's list messages share one cookie whatever their categories. A
read that asks for some categories consumes only those: the cookie stays
for the others, and a *read mark* hides the categories consumed, for as
long as the cookie lives.
"""

from __future__ import annotations

import pytest

from .conftest import MakeHarness
from .harness import FakeClock, Harness, split_header
from .test_concurrency import Jar

BOTH = "/flash?m=Saved.|Declined.&c=info|error"


def _flash_cookies(harness: Harness) -> list[str]:
    jar = harness.jar()
    return [] if jar is None else [name for name, _ in split_header(jar)]


def test_the_messages_of_one_write_share_one_cookie(harness: Harness) -> None:
    harness.open("/flash?m=a|b|c&c=info|error|warning")
    assert len(_flash_cookies(harness)) == 1
    assert harness.open("/show").body == [
        ["info", "a"],
        ["error", "b"],
        ["warning", "c"],
    ]
    assert harness.jar() is None


def test_a_filtered_read_leaves_the_other_category_of_the_write(
    harness: Harness,
) -> None:
    harness.open(BOTH)
    assert harness.open("/show?c=error").body == [["error", "Declined."]]
    assert harness.open("/show?peek=1").body == [["info", "Saved."]]
    assert harness.open("/show?c=error").body == []
    assert harness.open("/show").body == [["info", "Saved."]]
    # The read that took the last category deletes the cookie and its mark.
    assert harness.jar() is None
    assert harness.open("/show").body == []


def test_a_consumed_category_stays_hidden_past_a_minute(
    make: MakeHarness, clock: FakeClock
) -> None:
    harness = make(max_age=3600)
    harness.open(BOTH)
    harness.open("/show?c=error")
    clock.advance(600)  # marks of keyed values would have expired by now
    assert harness.open("/show").body == [["info", "Saved."]]


def test_the_read_mark_lives_as_long_as_the_messages(harness: Harness) -> None:
    flashed = harness.open(BOTH).set_cookies
    read = harness.open("/show?c=error").set_cookies
    (message,) = flashed
    (mark,) = read  # the message cookie stays: only a mark is added
    assert mark.split(";", 1)[1] == message.split(";", 1)[1]


def test_a_key_mark_made_later_carries_the_read_mark(harness: Harness) -> None:
    harness.open(BOTH)
    harness.open("/show?c=error")
    harness.open("/put?k=notice&v=Welcome.")
    assert harness.open("/get?k=notice").body == {"notice": "Welcome."}
    # That read replaced the mark cookie by one with both marks.
    assert harness.open("/show").body == [["info", "Saved."]]


def test_a_clear_hides_a_partly_read_write(harness: Harness) -> None:
    harness.open(BOTH)
    harness.open("/show?c=error")
    harness.open("/clear")
    assert harness.open("/show").body == []
    # Left: the clear's own mark, which lives a minute; the messages, the
    # read mark and its cookie are gone.
    assert len(_flash_cookies(harness)) == 1


@pytest.mark.parametrize("order", ["error first", "info first"])
def test_two_tabs_reading_other_categories_of_one_write(
    make: MakeHarness, order: str
) -> None:
    harness = make()
    jar = Jar()
    jar.apply(harness.raw(None, BOTH))
    cookie = jar.header()
    errors = harness.raw(cookie, "/show?c=error")
    infos = harness.raw(cookie, "/show?c=info")
    assert errors.body == [["error", "Declined."]]
    assert infos.body == [["info", "Saved."]]
    for result in (errors, infos) if order == "error first" else (infos, errors):
        jar.apply(result)
    after = harness.raw(jar.header(), "/show")
    assert after.body == []
    jar.apply(after)
    # Every message was consumed: whatever is left is deleted by that read.
    assert jar.cookies == {}


def test_a_tab_reading_all_while_another_reads_one_category(
    make: MakeHarness,
) -> None:
    harness = make()
    jar = Jar()
    jar.apply(harness.raw(None, BOTH))
    cookie = jar.header()
    errors = harness.raw(cookie, "/show?c=error")
    everything = harness.raw(cookie, "/show")
    jar.apply(everything)
    jar.apply(errors)  # its mark names a cookie that is gone
    assert harness.raw(jar.header(), "/show").body == []


def test_messages_added_after_a_filtered_read_are_not_hidden(
    harness: Harness,
) -> None:
    harness.open(BOTH)
    harness.open("/show?c=error")
    harness.open("/flash?m=Again.&c=error")
    assert harness.open("/show").body == [["info", "Saved."], ["error", "Again."]]
