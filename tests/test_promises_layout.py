"""Issue 19's findings 2 to 4, on the cookie layout: each fails on a layout
that rewrites one cookie with the whole state.
"""

from __future__ import annotations

import logging

import pytest

from flashmw.testing import make_cookie

from .conftest import MakeHarness
from .harness import FakeClock, Harness


def _cookies(result_headers: list[str]) -> str:
    return "; ".join(line.split(";")[0] for line in result_headers)


def test_a_message_lives_max_age_from_when_it_was_flashed(
    make: MakeHarness, clock: FakeClock
) -> None:
    harness = make(max_age=3600)
    harness.open("/flash?m=at zero")
    clock.advance(3000)
    harness.open("/flash?m=at 3000")  # a response that writes again
    clock.advance(3000)
    # At 6000 the first message is 6000 s old: expired, whatever was
    # written since. The second is 3000 s old.
    assert harness.open("/show").body == [["message", "at 3000"]]


def test_a_captured_cookie_is_not_kept_alive_by_rewrites(
    make: MakeHarness, clock: FakeClock
) -> None:
    harness = make(max_age=3600)
    harness.open("/flash?m=captured")
    for _ in range(4):
        clock.advance(1000)
        harness.open("/put?k=info&v=touch")  # writes every 1000 s
        harness.open("/get?k=info")
    assert harness.open("/show").body == []


def test_a_planted_cookie_cannot_hide_what_the_app_writes_later(
    make: MakeHarness,
) -> None:
    # A valid flash cookie obtained earlier and planted (by a sibling
    # domain, say) is sent first; the app then writes a security notice.
    source = make()
    planted = _cookies(source.open("/flash?m=old notice").set_cookies)
    victim = make()
    written = victim.raw(planted.encode(), "/flash?m=Your password changed.")
    own = _cookies(written.set_cookies)
    shown = victim.raw(f"{planted}; {own}".encode(), "/show")
    assert ["message", "Your password changed."] in shown.body


def test_of_two_valid_cookies_with_one_name_the_newest_wins(
    make: MakeHarness, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Each write has a fresh name, so one name twice means a copy planted
    # for the parent domain or another path; flashmw 0.1's single cookie
    # is the case where the copies can differ.
    harness = make()
    older = make_cookie(harness.app, values={"info": "older"}, now=clock() - 10)
    newer = make_cookie(harness.app, values={"info": "newer"})
    header = f"{older.header}; {newer.header}"
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        shown = harness.raw(header.encode(), "/get?k=info")
    assert shown.body == {"info": "newer"}
    assert "the newest wins" in caplog.text


def test_work_on_flash_cookies_is_bounded_and_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.open("/flash?m=mine")
    jar = harness.jar()
    assert jar is not None
    junk = "; ".join(f"flash.j{n}=a.b.c" for n in range(1000))
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        result = harness.raw(f"{junk}; {jar}".encode(), "/show?peek=1")
    assert result.status == 200
    assert result.body == []  # past the bound: not even verified
    assert "read only the first 41 of 1001" in caplog.text
    # Within the bound, the same cookie is found among the junk.
    few = "; ".join(f"flash.j{n}=a.b.c" for n in range(30))
    assert harness.raw(f"{few}; {jar}".encode(), "/show?peek=1").body == [
        ["message", "mine"]
    ]
