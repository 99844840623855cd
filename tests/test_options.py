"""Options: bad ones fail at construction in words a user can act on."""

from __future__ import annotations

import datetime
import os
import re
from typing import Any

import pytest

from flashmw import ASGIFlashMiddleware, FlashMiddleware

from .harness import SECRET, scenario_wsgi_app


def build(**options: Any) -> FlashMiddleware:
    options.setdefault("secret_key", SECRET)
    return FlashMiddleware(scenario_wsgi_app, **options)


BAD_OPTIONS = [
    pytest.param({"secret_key": None}, "secret_key must be", id="missing-key"),
    pytest.param({"secret_key": ""}, "secret_key must be", id="empty-key"),
    pytest.param({"secret_key": b""}, "secret_key must be", id="empty-bytes-key"),
    pytest.param({"secret_key": 12345}, "secret_key must be", id="int-key"),
    pytest.param({"fallback_keys": "old-key"}, "not one str", id="fallback-str"),
    pytest.param({"fallback_keys": b"old-key"}, "not one str", id="fallback-bytes"),
    pytest.param({"fallback_keys": [""]}, "fallback_keys", id="fallback-empty"),
    pytest.param({"cookie_name": ""}, "not a valid cookie name", id="empty-name"),
    pytest.param({"cookie_name": "my flash"}, "valid cookie name", id="space-name"),
    pytest.param({"cookie_name": "fläsh"}, "valid cookie name", id="non-ascii-name"),
    pytest.param({"cookie_name": "a;b"}, "valid cookie name", id="semicolon-name"),
    pytest.param({"samesite": "sometimes"}, "samesite must be", id="samesite"),
    pytest.param({"samesite": 1}, "samesite must be", id="samesite-int"),
    pytest.param(
        {"samesite": "none", "secure": False}, "needs a Secure", id="none-insecure"
    ),
    pytest.param({"on_overflow": "truncate"}, "on_overflow must be", id="overflow"),
    pytest.param({"max_age": 0}, "max_age must be", id="max-age-zero"),
    pytest.param({"max_age": -5}, "max_age must be", id="max-age-negative"),
    pytest.param({"max_age": "3600"}, "max_age must be", id="max-age-str"),
    pytest.param({"max_age": True}, "max_age must be", id="max-age-bool"),
    pytest.param({"path": "flash"}, "path must start", id="relative-path"),
    pytest.param({"path": "/a;b"}, "path must be text", id="path-semicolon"),
    pytest.param({"domain": "a\nb"}, "domain must be text", id="domain-newline"),
    pytest.param({"secure": "yes"}, "secure must be", id="secure-str"),
    pytest.param(
        {"cookie_name": "__Host-flash", "secure": False},
        "needs secure",
        id="host-insecure",
    ),
    pytest.param(
        {"cookie_name": "__Host-flash", "domain": "example.com"},
        "__Host- cookie needs",
        id="host-domain",
    ),
    pytest.param(
        {"cookie_name": "__Host-flash", "path": "/app"},
        "__Host- cookie needs",
        id="host-path",
    ),
    pytest.param(
        {"cookie_name": "__Secure-flash", "secure": False},
        "needs secure",
        id="secure-prefix-insecure",
    ),
    pytest.param({"max_cookie_size": 100}, "too small", id="tiny-cookie"),
    pytest.param({"max_cookie_size": "4k"}, "must be an int", id="size-str"),
    pytest.param({"max_messages": 0}, "at least 1", id="no-messages"),
    pytest.param({"max_messages": 2.5}, "must be an int", id="messages-float"),
    pytest.param({"serializer": object()}, "dumps(obj) and loads", id="serializer"),
    pytest.param({"clock": 5}, "clock must be", id="clock"),
    pytest.param({"salt": ""}, "salt must be", id="empty-salt"),
]


@pytest.mark.parametrize(("options", "words"), BAD_OPTIONS)
def test_bad_options_are_value_errors(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        build(**options)


def test_a_short_secret_key_warns() -> None:
    with pytest.warns(UserWarning, match="shorter than 32 bytes"):
        build(secret_key="short")


@pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ,
    reason="mutmut's trampoline puts a frame of its own under every call",
)
@pytest.mark.parametrize("kind", ["wsgi", "asgi", "pyview"])
def test_the_short_key_warning_names_the_line_that_builds_the_middleware(
    kind: str,
) -> None:
    middleware: Any = {"wsgi": FlashMiddleware, "asgi": ASGIFlashMiddleware}.get(kind)
    if kind == "pyview":
        # PyView's subclass calls super().__init__: one frame more of ours.
        pytest.importorskip("pyview", reason="pyview-web needs Python 3.11+")
        from flashmw.pyview import PyViewFlashMiddleware

        middleware = PyViewFlashMiddleware
    with pytest.warns(UserWarning, match="shorter than 32 bytes") as caught:
        middleware(scenario_wsgi_app, secret_key="short")
    assert caught[0].filename == __file__


def test_max_age_accepts_a_timedelta() -> None:
    assert build(max_age=datetime.timedelta(minutes=5)).max_age == 300


def test_secure_prefix_forces_secure_on_http() -> None:
    from werkzeug.test import Client

    response = Client(build(cookie_name="__Secure-flash")).get("/flash")
    assert "; Secure" in response.headers["Set-Cookie"]


def test_samesite_and_domain_reach_the_cookie() -> None:
    from werkzeug.test import Client

    app = build(samesite="Strict", domain="example.com", httponly=False)
    written = Client(app).get("/flash").headers["Set-Cookie"]
    assert "SameSite=Strict" in written
    assert "Domain=example.com" in written
    assert "HttpOnly" not in written


def test_samesite_none_omits_the_attribute() -> None:
    from werkzeug.test import Client

    written = Client(build(samesite=None)).get("/flash").headers["Set-Cookie"]
    assert "SameSite" not in written
