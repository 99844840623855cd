"""What can be flashed, and how it comes back."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
import enum
import json
import math
import uuid
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from flashmw import FlashMiddleware, get_flash
from flashmw.values import MAX_DEPTH, MAX_INT_DIGITS, TaggedJSONSerializer

from .harness import SECRET

serializer = TaggedJSONSerializer()


@dataclasses.dataclass
class Notice:
    title: str
    fields: list[str]
    when: datetime.date


class Color(enum.IntEnum):
    RED = 1


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same type all the way down (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, datetime.datetime):
        return bool(a == b and a.utcoffset() == b.utcoffset())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def round_trip(value: Any) -> Any:
    document = [[["message", value]], [["key", value]]]
    back = serializer.loads(serializer.dumps(document))
    assert same(back[0][0][1], back[1][0][1])
    return back[0][0][1]


UTC_PLUS_5 = datetime.timezone(datetime.timedelta(hours=5, minutes=30))

ROUND_TRIPS = [
    pytest.param("Record saved.", id="str"),
    pytest.param("naïve café ☕ 𝄞", id="non-ascii"),
    pytest.param("", id="empty-str"),
    pytest.param(42, id="int"),
    pytest.param(-(10**MAX_INT_DIGITS) + 1, id="longest-int"),
    pytest.param(3.25, id="float"),
    pytest.param(-0.0, id="negative-zero"),
    pytest.param(math.inf, id="inf"),
    pytest.param(-math.inf, id="minus-inf"),
    pytest.param(math.nan, id="nan"),
    pytest.param(True, id="bool"),
    pytest.param(None, id="none"),
    pytest.param([1, "a", None], id="list"),
    pytest.param((1, ("nested", [2])), id="tuple-stays-tuple"),
    pytest.param((), id="empty-tuple"),
    pytest.param({"title": "Validation failed", "fields": ["email"]}, id="dict"),
    pytest.param({}, id="empty-dict"),
    pytest.param({" t": [1, 2]}, id="dict-that-looks-like-a-tag"),
    pytest.param({" x": 1}, id="dict-with-unknown-tag-like-key"),
    pytest.param({" di": {" t": 1}}, id="dict-that-looks-like-an-escape"),
    pytest.param(datetime.datetime(2026, 11, 21, 9, 30, 5, 123456), id="naive-dt"),
    pytest.param(
        datetime.datetime(2026, 11, 21, 9, 30, tzinfo=UTC_PLUS_5), id="aware-dt"
    ),
    pytest.param(datetime.date(2026, 11, 21), id="date"),
    pytest.param(uuid.UUID("12345678-1234-5678-1234-567812345678"), id="uuid"),
    pytest.param(Markup("<b>Saved</b> &amp; done"), id="markup"),
    pytest.param([[[[[[["deep"]]]]]]], id="nested"),
]


@pytest.mark.parametrize("value", ROUND_TRIPS)
def test_values_come_back_as_the_same_type(value: Any) -> None:
    assert same(round_trip(value), value)


def test_dataclass_comes_back_as_a_dict() -> None:
    notice = Notice("Validation failed", ["email", "name"], datetime.date(2026, 1, 2))
    assert same(
        round_trip(notice),
        {
            "title": "Validation failed",
            "fields": ["email", "name"],
            "when": datetime.date(2026, 1, 2),
        },
    )


def test_markup_is_not_escaped_twice() -> None:
    back = round_trip(Markup("<b>Saved</b>"))
    assert str(Markup("{}").format(back)) == "<b>Saved</b>"


def test_nesting_up_to_the_limit_is_stored() -> None:
    value: Any = "leaf"
    for _ in range(MAX_DEPTH):
        value = [value]
    assert same(round_trip(value), value)


class Opaque:
    pass


def _recursive() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


def _too_deep() -> Any:
    value: Any = "leaf"
    for _ in range(MAX_DEPTH + 1):
        value = [value]
    return value


REJECTED = [
    pytest.param(b"bytes", "bytes", id="bytes"),
    pytest.param({1: "int key"}, "keys must be str", id="int-key"),
    pytest.param(Opaque(), "Opaque", id="object"),
    pytest.param(Color.RED, "Color", id="int-enum"),
    pytest.param(OrderedDict(a=1), "OrderedDict", id="dict-subclass"),
    pytest.param(decimal.Decimal("1.5"), "Decimal", id="decimal"),
    pytest.param({1, 2}, "set", id="set"),
    pytest.param(10**MAX_INT_DIGITS, "digits", id="huge-int"),
    pytest.param("\ud800", "surrogate", id="lone-surrogate"),
    pytest.param({"\udfff": 1}, "surrogate", id="lone-surrogate-key"),
    pytest.param(_too_deep(), "deep", id="too-deep"),
    pytest.param(_recursive(), "recursive", id="recursive"),
    pytest.param(Notice, "type", id="dataclass-class"),
    pytest.param([1, object()], "object", id="nested-object"),
]


@pytest.mark.parametrize(("value", "words"), REJECTED)
def test_unsupported_values_raise_type_error(value: Any, words: str) -> None:
    with pytest.raises(TypeError, match=words):
        serializer.validate(value)


def _app_storing(value: Any, how: str) -> FlashMiddleware:
    def app(environ: Any, start_response: Any) -> Any:
        flash = get_flash(environ)
        try:
            if how == "add":
                flash.add(value)
            elif how == "category":
                flash.add("message", value)
            elif how == "key":
                flash.put(value, "value")
            else:
                flash.put("key", value)
        except TypeError as exc:
            return Response(f"TypeError: {exc}", status=400)(environ, start_response)
        return Response("stored")(environ, start_response)

    return FlashMiddleware(app, secret_key=SECRET)


@pytest.mark.parametrize("how", ["add", "put"])
@pytest.mark.parametrize(("value", "words"), REJECTED[:4])
def test_the_storing_call_raises_type_error(value: Any, words: str, how: str) -> None:
    response = Client(_app_storing(value, how)).get("/")
    assert response.status_code == 400
    assert words in response.text
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("how", ["category", "key"])
@pytest.mark.parametrize("bad", [1, None, b"info", "\ud800"])
def test_categories_and_keys_must_be_text(bad: Any, how: str) -> None:
    response = Client(_app_storing(bad, how)).get("/")
    assert response.status_code == 400


def test_values_survive_the_whole_middleware() -> None:
    values = {str(i): p.values[0] for i, p in enumerate(ROUND_TRIPS)}

    def app(environ: Any, start_response: Any) -> Any:
        flash = get_flash(environ)
        if Request(environ).path == "/put":
            for key, value in values.items():
                flash.put(key, value)
            return Response("stored")(environ, start_response)
        wrong = [key for key, value in values.items() if not same(flash[key], value)]
        return Response(json.dumps(wrong))(environ, start_response)

    client = Client(FlashMiddleware(app, secret_key=SECRET))
    client.get("/put")
    assert json.loads(client.get("/check").text) == []


def test_a_custom_serializer_is_used_and_validated_by_dumping() -> None:
    class JSONOnly:
        def dumps(self, obj: Any) -> bytes:
            return json.dumps(obj).encode()

        def loads(self, data: bytes) -> Any:
            return json.loads(data)

    def app(environ: Any, start_response: Any) -> Any:
        flash = get_flash(environ)
        if Request(environ).path == "/bad":
            try:
                flash.add(datetime.date(2026, 1, 1))
            except TypeError as exc:
                return Response(str(exc), status=400)(environ, start_response)
        elif Request(environ).path == "/add":
            flash.add({"plain": ["json"]})
        return Response(json.dumps(flash.get_flashed_messages(consume=False)))(
            environ, start_response
        )

    client = Client(FlashMiddleware(app, secret_key=SECRET, serializer=JSONOnly()))
    bad = client.get("/bad")
    assert bad.status_code == 400
    assert "JSONOnly" in bad.text
    client.get("/add")
    assert json.loads(client.get("/").text) == [{"plain": ["json"]}]


# -- properties ---------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**MAX_INT_DIGITS) + 1, max_value=10**MAX_INT_DIGITS - 1)
    | st.floats()
    | st.text()
    | st.datetimes()
    | st.datetimes(
        timezones=st.builds(
            datetime.timezone,
            st.timedeltas(
                min_value=datetime.timedelta(hours=-23),
                max_value=datetime.timedelta(hours=23),
            ),
        )
    )
    | st.dates()
    | st.uuids()
    | st.builds(Markup, st.text())
)
storable = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(storable)
def test_any_storable_value_round_trips(value: Any) -> None:
    assert same(round_trip(value), value)


@given(st.binary())
def test_arbitrary_payload_bytes_raise_value_error_or_decode(data: bytes) -> None:
    # Anything but ValueError (TypeError, RecursionError, KeyError) fails.
    with contextlib.suppress(ValueError):
        serializer.loads(data)
