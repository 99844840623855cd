"""Cookie syntax rules that mutation testing found unpinned (issue 16).

Each test fails on at least one mutant of ``flashmw/cookies.py`` that the
rest of the suite let through, and speaks in requests and responses: which
cookies a response deletes, what the next request shows.
"""

from __future__ import annotations

import warnings
from urllib.parse import urlencode

import pytest

from flashmw.cookies import MAX_SUFFIX, find_cookie_values, find_cookies

from .conftest import MakeHarness
from .harness import Harness


def _deleted(set_cookies: list[str]) -> list[str]:
    """The names of the cookies a response deletes (an empty value, Max-Age=0)."""
    names = []
    for header in set_cookies:
        pair = header.split(";")[0]
        name, _, value = pair.partition("=")
        if not value and "Max-Age=0" in header:
            names.append(name)
    return names


def test_only_names_of_the_flash_shape_are_read_and_deleted(harness: Harness) -> None:
    """``flash.`` plus 1 to MAX_SUFFIX base64url characters is a flash cookie.

    A broken one of that shape is deleted; a cookie of another shape (no
    suffix, a longer one, one that starts with another character) belongs
    to someone else and is left alone, whatever its value.
    """
    longest = "x" * MAX_SUFFIX
    cookie = f"flash.=a; flash.{longest}y=b; flash.!x=c; flash.x!=d; flash.{longest}=e"
    reply = harness.raw(cookie.encode(), "/show")
    assert reply.status == 200
    assert reply.body == []
    assert _deleted(reply.set_cookies) == [f"flash.{longest}"]


def test_a_one_character_suffix_is_a_flash_cookie(harness: Harness) -> None:
    reply = harness.raw(b"flash.a=broken", "/show")
    assert _deleted(reply.set_cookies) == ["flash.a"]


def test_cookies_after_a_refused_name_are_all_read(harness: Harness) -> None:
    """A cookie whose name is refused does not hide the flash cookies after it."""
    harness.open("/add?m=one&c=first")
    harness.open("/add?m=two&c=second")
    harness.open("/add?k=key&v=value")
    jar = harness.jar()
    assert jar is not None
    assert jar.count("flash.") == 3  # one cookie per category, one for the value
    refused = f"flash.=a; flash.{'x' * (MAX_SUFFIX + 1)}=b; "
    reply = harness.raw((refused + jar).encode(), "/show")
    assert sorted(reply.body) == [["first", "one"], ["second", "two"]]
    reply = harness.raw((refused + jar).encode(), "/get?k=key")
    assert reply.body == {"key": "value"}


def test_only_blanks_and_tabs_around_a_value_are_trimmed(harness: Harness) -> None:
    """SP and HTAB around a value go; any other white space is part of it."""
    harness.open("/add?m=hi")
    jar = harness.jar()
    assert jar is not None
    name, _, value = jar.partition("=")
    padded = f"{name}= \t{value}\t ".encode("latin-1")
    assert harness.raw(padded, "/show?peek=1").body == [["message", "hi"]]
    for space in ("\x0b", "\x0c", "\xa0", "\x85"):
        spoiled = f"{name}={value}{space}".encode("latin-1")
        assert harness.raw(spoiled, "/show?peek=1").body == [], repr(space)


def test_a_quoted_value_loses_its_quotes_even_when_empty() -> None:
    assert find_cookies('flash.a=""; flash.b="x"; flash.c="', "flash") == [
        ("flash.a", ""),
        ("flash.b", "x"),
        ("flash.c", '"'),
    ]
    assert find_cookie_values('flash=""', "flash") == [""]


def test_the_name_elsewhere_in_the_header_hides_no_flash_cookie(
    harness: Harness,
) -> None:
    """The name inside a value or a longer name is skipped, not what follows it."""
    harness.open("/add?m=one&c=first")
    harness.open("/add?m=two&c=second")
    jar = harness.jar()
    assert jar is not None
    for before in ("theme=flash; ", "myflash=1; ", "flashy=1; "):
        reply = harness.raw((before + jar).encode(), "/show?peek=1")
        assert sorted(reply.body) == [["first", "one"], ["second", "two"]], before


@pytest.mark.parametrize(
    ("sent", "vary"),
    [
        ("Accept-Encoding,Cookie", "Accept-Encoding,Cookie"),
        ("Accept-Encoding,*", "Accept-Encoding,*"),
        ("Accept-Encoding,Origin", "Accept-Encoding, Origin, Cookie"),
    ],
)
def test_vary_items_are_split_at_commas_without_blanks(
    harness: Harness, sent: str, vary: str
) -> None:
    """``Vary: a,b`` names two headers: ``Cookie`` or ``*`` among them is enough."""
    reply = harness.open("/vary?" + urlencode({"v": sent}))
    assert reply.get_all("Vary") == [vary]


def test_long_cookie_attributes_raise_no_warning_of_werkzeug(make: MakeHarness) -> None:
    """Sizes are flashmw's to check (max_cookie_size): werkzeug's 4093 bytes is not.

    A path of 4100 characters is odd, but the options allow it: the
    middleware builds and writes its cookies without a warning.
    """
    path = "/" + "a" * 4100
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        harness = make(path=path, max_cookie_size=9000, max_total_size=20000)
        reply = harness.open("/add?m=hi")
    assert [str(w.message) for w in caught] == []
    assert reply.set_cookies
    assert all(f"Path={path}" in header for header in reply.set_cookies)
