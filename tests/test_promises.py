"""Promises the security review found broken (issue 19, findings 5 to 8).

5. What is stored is the value as it was at the storing call: changing it
   afterwards neither changes what is read nor makes the response fail.
6. ``SameSite=None`` always goes out with ``Secure``.
7. A sandboxed Jinja2 template can read the flash but not change it.
8. Every option a middleware cannot honour is a ``ValueError`` naming it,
   and the short-key warning counts bytes.

Each scenario runs on both adapters; routes are added to the harness's
scenario app for the length of one test.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import re
import uuid
from typing import Any

import pytest
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from flashmw import Flash, FlashMiddleware
from flashmw.jinja2 import install
from flashmw.testing import make_cookie, read_flash
from flashmw.values import MAX_DEPTH, TaggedJSONSerializer

from .conftest import MakeHarness
from .harness import ROUTES, SECRET, Reply, Route, environ_headers, scenario_wsgi_app


@pytest.fixture
def route(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Add a route to the scenario app of both adapters for this test."""

    def add(path: str, handler: Route) -> None:
        monkeypatch.setitem(ROUTES, path, handler)

    return add


# -- 5. values are stored as they were at the storing call ------------------


@dataclasses.dataclass
class Notice:
    title: str
    fields: list[str]


def _put_then_change(flash: Flash, args: dict[str, str]) -> Reply:
    items = ["ok"]
    flash.put("k", items)
    items.append(object())  # type: ignore[arg-type]
    return Reply(302, "redirect", [("Location", "/get?k=k")])


def _add_then_change(flash: Flash, args: dict[str, str]) -> Reply:
    items = ["ok"]
    flash.add(items, "info")
    items.append(object())  # type: ignore[arg-type]
    items[0] = "changed"
    return Reply(302, "redirect", [("Location", "/show")])


def _put_nested_then_change(flash: Flash, args: dict[str, str]) -> Reply:
    inner: list[Any] = [1, 2]
    pair: tuple[list[Any], ...] = ([3],)
    value: dict[str, Any] = {"items": inner, "pair": pair}
    notice = Notice("Saved", ["email"])
    flash.put("nested", value)
    flash.put("notice", notice)
    inner.append(object())
    pair[0].append(object())
    value["new"] = object()
    notice.fields.append("name")
    notice.title = object()  # type: ignore[assignment]
    return Reply(302, "redirect", [("Location", "/get?k=nested,notice")])


def _read_back_after_change(flash: Flash, args: dict[str, str]) -> Reply:
    items = ["ok"]
    flash.put("k", items)
    flash.add(items)
    items.append("later")
    return Reply(body=[flash.get("k"), flash.get_flashed_messages()])


def test_a_value_changed_after_put_is_stored_as_it_was(
    make: MakeHarness, route: Any
) -> None:
    route("/change", _put_then_change)
    harness = make()
    assert harness.open("/change").status == 302
    assert harness.open("/get?k=k").body == {"k": ["ok"]}


def test_a_message_changed_after_add_is_stored_as_it_was(
    make: MakeHarness, route: Any
) -> None:
    route("/change", _add_then_change)
    harness = make()
    assert harness.open("/change").status == 302
    assert harness.open("/show").body == [["info", ["ok"]]]


def test_nested_values_and_dataclasses_are_stored_as_they_were(
    make: MakeHarness, route: Any
) -> None:
    route("/change", _put_nested_then_change)
    harness = make()
    assert harness.open("/change").status == 302
    assert harness.open("/get?k=nested,notice").body == {
        "nested": {"items": [1, 2], "pair": [[3]]},
        "notice": {"title": "Saved", "fields": ["email"]},
    }


def test_the_same_request_reads_what_was_stored(make: MakeHarness, route: Any) -> None:
    route("/change", _read_back_after_change)
    harness = make()
    assert harness.open("/change").body == [["ok"], [["ok"]]]


class PlainJSON:
    """A custom serializer with no ``snapshot``: JSON, tuples become lists."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


def test_a_custom_serializer_stores_the_value_as_it_was(
    make: MakeHarness, route: Any
) -> None:
    route("/change", _put_then_change)
    harness = make(serializer=PlainJSON())
    assert harness.open("/change").status == 302
    assert harness.open("/get?k=k").body == {"k": ["ok"]}


def test_a_custom_serializer_reads_back_what_the_next_request_will(
    make: MakeHarness, route: Any
) -> None:
    def put_tuple(flash: Flash, args: dict[str, str]) -> Reply:
        flash.put("k", ("a", 1))
        # JSON has no tuple: this request sees what the next one will.
        return Reply(body=[type(flash["k"]).__name__, flash["k"]])

    route("/tuple", put_tuple)
    assert make(serializer=PlainJSON()).open("/tuple").body == ["list", ["a", 1]]


class Lossy:
    """A serializer whose ``loads`` refuses what its ``dumps`` wrote."""

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, default=repr).encode()

    def loads(self, data: bytes) -> Any:
        if b"<" in data:
            raise ValueError("not ours")
        return json.loads(data)


def test_a_value_a_custom_serializer_cannot_read_back_is_refused_at_put() -> None:
    mw = FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, serializer=Lossy())
    flash = Flash(mw, environ_headers())
    with pytest.raises(TypeError, match="Lossy"):
        flash.put("k", object())
    with pytest.raises(TypeError, match="Lossy"):
        flash.add(object())
    assert flash.keys() == []
    assert flash.get_flashed_messages() == []


SNAPSHOTS = [
    pytest.param("text", id="str"),
    pytest.param(Markup("<b>hi</b>"), id="markup"),
    pytest.param(12, id="int"),
    pytest.param(math.inf, id="inf"),
    pytest.param(None, id="none"),
    pytest.param(True, id="bool"),
    pytest.param((1, [2, (3,)], {"a": [4]}), id="tuple-of-containers"),
    pytest.param({" t": [1]}, id="tag-like-dict"),
    pytest.param(datetime.datetime(2026, 1, 2, 3, 4, 5, 6), id="datetime"),
    pytest.param(datetime.date(2026, 1, 2), id="date"),
    pytest.param(uuid.UUID(int=7), id="uuid"),
]


@pytest.mark.parametrize("value", SNAPSHOTS)
def test_a_snapshot_is_an_equal_value_of_the_same_types(value: Any) -> None:
    snapshot = TaggedJSONSerializer().snapshot(value)
    assert snapshot == value
    assert repr(snapshot) == repr(value)  # same types all the way down


def test_a_snapshot_shares_no_container_with_the_value() -> None:
    value: dict[str, Any] = {"a": [[1], ([2],)]}
    snapshot = TaggedJSONSerializer().snapshot(value)
    value["a"][0].append(9)
    value["a"][1][0].append(9)
    value["b"] = []
    assert snapshot == {"a": [[1], ([2],)]}


def test_a_snapshot_refuses_what_cannot_be_stored() -> None:
    serializer = TaggedJSONSerializer()
    looped: list[Any] = []
    looped.append(looped)
    deep: Any = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    for bad in (object(), {1: "a"}, "\ud800", 10**101, looped, deep, {"x"}):
        with pytest.raises(TypeError):
            serializer.snapshot(bad)


# -- 6. SameSite=None goes out with Secure ----------------------------------


def test_samesite_none_is_secure_even_on_http(make: MakeHarness) -> None:
    written = make(samesite="none").open("/flash").set_cookies
    assert written
    for header in written:
        attributes = [a.strip() for a in header.split(";")]
        assert "SameSite=None" in attributes
        assert "Secure" in attributes


# -- 7. a sandboxed template cannot change the flash ------------------------

ALTERING = [
    pytest.param("{{ flash.put('k', 'v') }}", id="put"),
    pytest.param("{{ flash.add('hi') }}", id="add"),
    pytest.param("{{ flash.clear() }}", id="clear"),
    pytest.param("{{ flash.clear('info') }}", id="clear-key"),
    pytest.param("{{ flash.keep() }}", id="keep"),
]


def _sandboxed(source: str, *, proxy: bool) -> Route:
    env = SandboxedEnvironment(autoescape=True)
    if proxy:
        install(env)

    def render(flash: Flash, args: dict[str, str]) -> Reply:
        template = env.from_string(source)
        context = {} if proxy else {"flash": flash}
        try:
            return Reply(body=template.render(context))
        except SecurityError as exc:
            return Reply(body=f"refused: {exc}")

    return render


@pytest.mark.parametrize("proxy", [True, False], ids=["proxy", "flash"])
@pytest.mark.parametrize("source", ALTERING)
def test_a_sandboxed_template_cannot_change_the_flash(
    make: MakeHarness, route: Any, source: str, proxy: bool
) -> None:
    route("/render", _sandboxed(source, proxy=proxy))
    harness = make()
    harness.open("/put?k=info&v=Saved.")
    rendered = harness.open("/render")
    assert rendered.body.startswith("refused: ")
    assert rendered.set_cookies == []
    assert harness.open("/get?k=info,k").body == {"info": "Saved.", "k": None}


@pytest.mark.parametrize("proxy", [True, False], ids=["proxy", "flash"])
def test_a_sandboxed_template_can_read_the_flash(
    make: MakeHarness, route: Any, proxy: bool
) -> None:
    source = "{{ flash.info }}|{{ flash.get_flashed_messages() | join(',') }}"
    route("/render", _sandboxed(source, proxy=proxy))
    harness = make()
    harness.open("/flash?m=Hello")
    harness.open("/put?k=info&v=Saved.")
    assert harness.open("/render").body == "Saved.|Hello"
    assert harness.open("/get?k=info").body == {"info": None}
    assert harness.open("/show").body == []


# -- 8. options ---------------------------------------------------------------


class TextSerializer:
    """Returns ``str`` from ``dumps``: the signer needs bytes."""

    def dumps(self, obj: Any) -> str:
        return json.dumps(obj)

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


class BrokenSerializer:
    def dumps(self, obj: Any) -> bytes:
        raise RuntimeError("cannot encode anything")

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


BAD_OPTIONS = [
    pytest.param({"httponly": "no"}, "httponly", id="httponly-str"),
    pytest.param({"httponly": None}, "httponly", id="httponly-none"),
    pytest.param({"httponly": 1}, "httponly", id="httponly-int"),
    pytest.param({"secure": 1}, "secure", id="secure-int"),
    pytest.param({"fallback_keys": None}, "fallback_keys", id="fallback-none"),
    pytest.param({"fallback_keys": 5}, "fallback_keys", id="fallback-int"),
    pytest.param({"fallback_keys": ["\ud800" * 40]}, "fallback_keys", id="fb-lone"),
    pytest.param({"secret_key": "\ud800" * 40}, "secret_key", id="key-lone"),
    pytest.param({"max_age": float("inf")}, "max_age", id="max-age-inf"),
    pytest.param({"max_age": float("nan")}, "max_age", id="max-age-nan"),
    pytest.param({"domain": ""}, "domain", id="domain-empty"),
    pytest.param({"domain": "."}, "domain", id="domain-dot"),
    pytest.param({"domain": "exa mple.com"}, "domain", id="domain-space"),
    pytest.param({"domain": " example.com"}, "domain", id="domain-leading-space"),
    pytest.param({"domain": "a.com,b.com"}, "domain", id="domain-comma"),
    pytest.param({"domain": "a=b.com"}, "domain", id="domain-equals"),
    pytest.param({"domain": "example.com:8000"}, "domain", id="domain-port"),
    pytest.param({"domain": "example..com"}, "domain", id="domain-empty-label"),
    pytest.param({"domain": "example.com."}, "domain", id="domain-trailing-dot"),
    pytest.param({"domain": 5}, "domain", id="domain-int"),
    pytest.param({"salt": "\ud800"}, "salt", id="salt-lone"),
    pytest.param({"clock": lambda: "now"}, "clock", id="clock-str"),
    pytest.param({"clock": lambda: math.nan}, "clock", id="clock-nan"),
    pytest.param({"serializer": TextSerializer()}, "serializer", id="serializer-str"),
    pytest.param({"serializer": BrokenSerializer()}, "serializer", id="serializer-bad"),
    pytest.param(
        {"cookie_name": "__host-flash", "secure": False},
        "secure",
        id="host-prefix-any-case",
    ),
    pytest.param(
        {"cookie_name": "__SECURE-flash", "secure": False},
        "secure",
        id="secure-prefix-any-case",
    ),
    pytest.param(
        {"speculative_headers": {"sec purpose": ["prefetch"]}},
        "speculative_headers",
        id="header-name-space",
    ),
    pytest.param(
        {"subresource_destinations": ["no cors"]},
        "subresource_destinations",
        id="destination-space",
    ),
]


@pytest.mark.parametrize(("options", "option"), BAD_OPTIONS)
def test_bad_options_are_value_errors_naming_the_option(
    options: dict[str, Any], option: str
) -> None:
    options.setdefault("secret_key", SECRET)
    with pytest.raises(ValueError, match=re.escape(option)):
        FlashMiddleware(scenario_wsgi_app, **options)


GOOD_DOMAINS = ["example.com", ".example.com", "a-b.example.co.uk", "localhost"]


@pytest.mark.parametrize("domain", GOOD_DOMAINS)
def test_host_names_are_accepted_as_domain(make: MakeHarness, domain: str) -> None:
    written = make(domain=domain).open("/flash").set_cookies
    assert written
    assert all(f"Domain={domain.lstrip('.')}" in header for header in written)


def test_an_international_domain_goes_out_as_punycode(make: MakeHarness) -> None:
    written = make(domain="bücher.example").open("/flash").set_cookies
    assert written
    assert all("Domain=xn--bcher-kva.example" in header for header in written)


def test_a_32_byte_non_ascii_secret_key_does_not_warn() -> None:
    # filterwarnings=error: a warning would fail the test.
    FlashMiddleware(scenario_wsgi_app, secret_key="é" * 16)
    FlashMiddleware(scenario_wsgi_app, secret_key="k" * 32)
    FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, fallback_keys=["ü" * 16])


def test_a_secret_key_under_32_bytes_warns() -> None:
    with pytest.warns(UserWarning, match="shorter than 32 bytes"):
        FlashMiddleware(scenario_wsgi_app, secret_key="é" * 15)
    with pytest.warns(UserWarning, match="shorter than 32 bytes"):
        FlashMiddleware(scenario_wsgi_app, secret_key=b"k" * 31)


def _put_list(flash: Flash, args: dict[str, str]) -> Reply:
    flash.put("k", ["ok"])
    flash.add(["ok"], "info")
    return Reply(302, "redirect", [("Location", "/read-change")])


def _read_then_change(flash: Flash, args: dict[str, str]) -> Reply:
    flash["k"].append(object())
    for message in flash.get_flashed_messages():
        message.append(object())
    flash.put("new", "Saved.")
    flash.keep()
    return Reply(body="changed")


@pytest.mark.parametrize("serializer", [None, PlainJSON()], ids=["tagged", "custom"])
def test_a_value_changed_after_it_was_read_cannot_fail_the_response(
    make: MakeHarness,
    route: Any,
    caplog: pytest.LogCaptureFixture,
    serializer: PlainJSON | None,
) -> None:
    route("/put-list", _put_list)
    route("/read-change", _read_then_change)
    harness = make(serializer=serializer)
    harness.open("/put-list")
    with caplog.at_level("WARNING", logger="flashmw"):
        changed = harness.open("/read-change")
    assert changed.status == 200
    assert changed.body == "changed"
    # What was stored is never rewritten: the next request reads it as it
    # was stored, whatever the app did to what it read.
    assert not [r for r in caplog.records if "left out" in r.getMessage()]
    assert harness.open("/get?k=k,new").body == {"k": ["ok"], "new": "Saved."}
    assert harness.open("/show").body == [["info", ["ok"]]]


def test_a_changed_value_is_left_out_when_a_0_1_cookie_is_rewritten(
    make: MakeHarness, route: Any, caplog: pytest.LogCaptureFixture
) -> None:
    route("/read-change", _read_then_change)
    harness = make()
    cookie = make_cookie(harness.app, [("info", ["ok"])], {"k": ["ok"]})
    harness.put_in_jar(cookie.value, cookie.name)
    with caplog.at_level("WARNING", logger="flashmw"):
        changed = harness.open("/read-change")
    assert changed.status == 200
    # The old single cookie is rewritten in the current layout, without
    # the two entries that no longer encode: each is named in a WARNING.
    left_out = [r for r in caplog.records if "left out" in r.getMessage()]
    assert len(left_out) == 2
    assert harness.open("/get?k=k,new").body == {"k": None, "new": "Saved."}
    assert harness.open("/show").body == []


def test_a_replaced_key_is_the_newest_when_the_limit_drops_the_oldest() -> None:
    mw = FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, max_messages=2)
    flash = Flash(mw, environ_headers())
    flash.put("a", "first")
    flash.put("b", "second")
    flash.put("a", "replaced")  # now newer than b
    flash.put("c", "third")  # one too many: the oldest, b, goes
    headers = flash._core._with_headers(200, [], "Vary", "Set-Cookie")
    state = read_flash(mw, headers)
    assert state is not None
    assert state.values == {"a": "replaced", "c": "third"}
