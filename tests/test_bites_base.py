"""The middleware core's rules that mutation testing found unpinned (issue 16).

Each test fails on at least one mutant of ``flashmw/base.py`` that the
rest of the suite let through, and speaks in requests, responses and logs.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from flashmw import Flash
from flashmw.testing import make_cookie

from .conftest import MakeHarness
from .harness import ROUTES, Reply


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
    for call in (
        lambda: flash.add("\ud800"),
        lambda: flash.add("fine", "\ud800"),
        lambda: flash.put("k", "\ud800"),
        lambda: flash.put("\ud800", "fine"),
    ):
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
