"""Test-kit rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import Response as StarletteResponse
from werkzeug.datastructures import MultiDict

from flashmw import FlashMiddleware
from flashmw.testing import make_cookie, read_flash
from flashmw.values import TaggedJSONSerializer

from .harness import SECRET, scenario_wsgi_app

OPTIONS = {"secret_key": SECRET}


def test_read_a_starlette_response() -> None:
    # Starlette's headers are a Mapping with getlist(): read through getlist.
    response = StarletteResponse("ok")
    cookie = make_cookie(OPTIONS, ["From Starlette."])
    response.set_cookie(cookie.name, cookie.value)
    state = read_flash(OPTIONS, response)
    assert state is not None
    assert state.get_flashed_messages() == ["From Starlette."]


def test_read_a_multidict_keyed_as_http_spells_it() -> None:
    cookie = make_cookie(OPTIONS, ["From a multidict."])
    headers = MultiDict([("Set-Cookie", cookie.header), ("Set-Cookie", "a=1")])
    state = read_flash(OPTIONS, headers)
    assert state is not None
    assert state.get_flashed_messages() == ["From a multidict."]


def test_other_cookies_before_the_flash_are_skipped() -> None:
    cookie = make_cookie(OPTIONS, ["After a session cookie."])
    headers = [
        ("Set-Cookie", "session=abc; Path=/"),
        ("Set-Cookie", "other=1"),
        ("Set-Cookie", f"{cookie.header}; Path=/"),
    ]
    state = read_flash(OPTIONS, headers)
    assert state is not None
    assert state.get_flashed_messages() == ["After a session cookie."]


def test_a_flash_cookie_whose_value_holds_an_equals_sign_does_not_verify() -> None:
    with pytest.raises(ValueError, match="'flash' cookie"):
        read_flash(OPTIONS, [("Set-Cookie", "flash=abc=def; Path=/")])


class _AsciiOnly(TaggedJSONSerializer):
    """A serializer that stores ASCII text only."""

    def validate(self, value: Any) -> None:
        if isinstance(value, str) and not value.isascii():
            raise TypeError("ASCII text only")
        super().validate(value)


@pytest.mark.parametrize(
    ("messages", "values"),
    [([("caf\u00e9", "Saved.")], None), ([], {"info": "caf\u00e9"})],
)
def test_make_cookie_refuses_what_the_serializer_refuses(
    messages: list[Any], values: dict[str, Any] | None
) -> None:
    mw = FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, serializer=_AsciiOnly())
    with pytest.raises(TypeError, match="ASCII text only"):
        make_cookie(mw, messages, values)
    make_cookie(mw, [("info", "Saved.")], {"info": "cafe"})
