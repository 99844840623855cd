"""Cookies written by earlier releases are read by this one.

``tests/fixtures/cookies-<release>.json`` holds cookies captured from each
release's own middleware (see ``tests/fixtures/capture_cookies.py``) with the
state each one stores. Every adapter must read them as that release wrote
them: a change of format that breaks this breaks every flash in flight on
upgrade, and needs a major version (see CHANGES.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flashmw import Flash

from .conftest import MakeHarness
from .harness import ROUTES, FakeClock, Reply

FIXTURES = sorted(Path(__file__).with_name("fixtures").glob("cookies-*.json"))
CASES = [
    pytest.param(document, cookie, id=f"{document['release']}-{cookie['name']}")
    for document in (json.loads(path.read_text("utf-8")) for path in FIXTURES)
    for cookie in document["cookies"]
]


def _read_all(flash: Flash, args: dict[str, str]) -> Reply:
    # repr() tells a Markup from a str and a tuple from a list.
    return Reply(
        body={
            "messages": repr(flash.get_flashed_messages(with_categories=True)),
            "values": repr(dict(flash.items())),
        }
    )


@pytest.fixture(autouse=True)
def _repr_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ROUTES, "/repr", _read_all)


def _options(document: dict[str, Any]) -> dict[str, Any]:
    assert document["cookie_name"] == "flash"
    assert document["salt"] == "flashmw.flash (the default)"
    # Read ten seconds after the release signed them, well within max_age.
    return {
        "secret_key": document["secret_key"],
        "clock": FakeClock(document["signed_at"] + 10),
    }


def test_fixtures_exist() -> None:
    releases = [path.name for path in FIXTURES]
    assert "cookies-0.1.0.json" in releases


@pytest.mark.parametrize(("document", "cookie"), CASES)
def test_cookie_from_the_jar_reads_as_written(
    make: MakeHarness, document: dict[str, Any], cookie: dict[str, str]
) -> None:
    harness = make(**_options(document))
    harness.put_in_jar(cookie["value"], name="flash")
    shown = harness.open("/repr")
    assert shown.status == 200
    assert shown.body == {"messages": cookie["messages"], "values": cookie["values"]}
    # Read once, gone: the next request shows nothing.
    assert harness.open("/repr").body == {"messages": "[]", "values": "{}"}


@pytest.mark.parametrize(("document", "cookie"), CASES)
def test_cookie_header_reads_as_written(
    make: MakeHarness, document: dict[str, Any], cookie: dict[str, str]
) -> None:
    harness = make(**_options(document))
    header = f"theme=dark; flash={cookie['value']}; lang=en".encode()
    shown = harness.raw(header, "/repr")
    assert shown.body == {"messages": cookie["messages"], "values": cookie["values"]}


def test_old_messages_show_on_the_show_page(make: MakeHarness) -> None:
    document = json.loads(FIXTURES[0].read_text("utf-8"))
    (cookie,) = [c for c in document["cookies"] if c["name"] == "messages"]
    harness = make(**_options(document))
    harness.put_in_jar(cookie["value"])
    assert harness.open("/show?c=error").body == [["error", "Check your input."]]
    assert harness.open("/show").body == [
        ["message", "Record saved."],
        ["info", "Grüße, Ann ✓"],
    ]
    assert harness.open("/show").body == []


def test_old_cookie_expires_as_it_did(make: MakeHarness) -> None:
    document = json.loads(FIXTURES[0].read_text("utf-8"))
    cookie = document["cookies"][0]
    options = _options(document)
    options["clock"] = FakeClock(document["signed_at"] + 3601)
    harness = make(**options)
    harness.put_in_jar(cookie["value"])
    assert harness.open("/show").body == []
