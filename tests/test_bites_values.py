"""Value rules that mutation testing found unpinned (issue 16).

Each test fails on at least one mutant of ``flashmw/values.py`` that the
rest of the suite let through. Most speak in requests and responses: what
the storing call raises, what the next request reads back, how a signed
but hand-made cookie reads.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from flashmw import FlashMiddleware, get_flash
from flashmw.values import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    TaggedJSONSerializer,
    _encoder,
    _make_encode,
)

from .harness import SECRET

serializer = TaggedJSONSerializer()


def _nest(kind: str, depth: int) -> Any:
    """``depth`` containers of one kind around a leaf."""
    value: Any = "leaf"
    for _ in range(depth):
        if kind == "list":
            value = [value]
        elif kind == "tuple":
            value = (value,)
        elif kind == "dict":
            value = {"inner": value}
        else:  # a dict whose one key looks like a tag: stored wrapped
            value = {" inner": value}
    return value


def _client() -> Client:
    """A client of an app that puts one of :data:`STORED` and reads it back.

    ``/put?case=NAME`` stores ``STORED[NAME]`` under ``key`` and answers 400
    with the TypeError's text if the storing call refuses it; ``/get``
    answers the ``repr`` of what the next request reads.
    """

    def app(environ: Any, start_response: Any) -> Any:
        flash = get_flash(environ)
        request = Request(environ)
        if request.path == "/put":
            value = STORED[request.args["case"]]
            try:
                flash.put("key", value)
            except TypeError as exc:
                return Response(f"TypeError: {exc}", status=400)(
                    environ, start_response
                )
            return Response("stored")(environ, start_response)
        return Response(repr(flash.get("key", "nothing")))(environ, start_response)

    return Client(FlashMiddleware(app, secret_key=SECRET))


STORED: dict[str, Any] = {
    **{f"{kind}-limit": _nest(kind, MAX_DEPTH) for kind in ("list", "tuple", "dict")},
    **{
        f"{kind}-too-deep": _nest(kind, MAX_DEPTH + 1)
        for kind in ("list", "tuple", "dict")
    },
    "tag-like-dict-limit": _nest("tag-like", MAX_DEPTH),
    # Values of the shape of a cookie's [suffix, stamps] meta part, which
    # the serializer writes untagged when tagging would not change them:
    # these would change, so they must be tagged.
    "meta-with-tuple-stamp": ["a", [("x",)]],
    "meta-with-tuple-part": ["a", [[("t",)]]],
    "meta-with-text-then-tuple": ["a", [["é", ("t",)]]],
    "meta-with-tag-like-stamp": ["a", [{" t": [1]}]],
    "meta-plain": ["a", [["b", 1, -(10**MAX_INT_DIGITS) + 1]]],
}


@pytest.mark.parametrize(
    "case",
    [
        "list-limit",
        "tuple-limit",
        "dict-limit",
        "tag-like-dict-limit",
        "meta-with-tuple-stamp",
        "meta-with-tuple-part",
        "meta-with-text-then-tuple",
        "meta-with-tag-like-stamp",
        "meta-plain",
    ],
)
def test_a_stored_value_reads_back_exactly(case: str) -> None:
    """Up to MAX_DEPTH containers of any kind are stored, and come back as they were."""
    client = _client()
    response = client.get(f"/put?case={case}")
    assert response.text == "stored"
    assert client.get("/get").text == repr(STORED[case])


@pytest.mark.parametrize("kind", ["list", "tuple", "dict"])
def test_one_container_too_many_is_refused_at_the_storing_call(kind: str) -> None:
    client = _client()
    response = client.get(f"/put?case={kind}-too-deep")
    assert response.status_code == 400
    assert "deep" in response.text
    assert "Set-Cookie" not in response.headers
    assert client.get("/get").text == repr("nothing")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(["\ud800", []], id="surrogate-suffix"),
        pytest.param(["a", [["\ud800"]]], id="surrogate-part"),
        pytest.param(["a", [[10**MAX_INT_DIGITS]]], id="huge-int-part"),
        pytest.param(["a", [[-(10**MAX_INT_DIGITS)]]], id="huge-negative-int-part"),
    ],
)
def test_dumps_refuses_an_unstorable_value_shaped_like_meta(value: Any) -> None:
    """``dumps`` raises TypeError, as documented, whatever the value's shape."""
    with pytest.raises(TypeError):
        serializer.dumps([[["message", value]], []])


def test_the_fast_encoder_writes_what_json_writes() -> None:
    """The encoder built once at import writes the text of ``_encoder.encode``.

    Built at import time, it is out of reach of a request; the document
    has non-ASCII text, escapes, dict keys out of order and nesting.
    """
    document = [
        [["message", 'café ☕ "quoted" \\ \n'], ["info", {"b": 1, "a": [2.5, None]}]],
        [["key", {"z": True, "y": {" t": [1, -2]}}]],
    ]
    encode = _make_encode()
    assert encode(document) == _encoder.encode(document)
    # Long output comes from json's C encoder in several chunks.
    large = [[["message", list(range(50_000))]], []]
    assert encode(large) == _encoder.encode(large)
    assert encode(document) == json.dumps(
        document, ensure_ascii=False, separators=(",", ":")
    )


def test_dict_key_order_survives_the_round_trip() -> None:
    client = Client(FlashMiddleware(_order_app, secret_key=SECRET))
    client.get("/put")
    assert client.get("/get").text == "['b', 'a', 'c']"


def _order_app(environ: Any, start_response: Any) -> Any:
    flash = get_flash(environ)
    if Request(environ).path == "/put":
        flash.put("key", {"b": 1, "a": 2, "c": 3})
        return Response("stored")(environ, start_response)
    return Response(repr(list(flash.get("key", {}))))(environ, start_response)


# -- signed documents the serializer never writes -------------------------


def _reads(document: Any) -> str:
    """What the app shows for a cookie holding ``document``, signed with the key."""

    def app(environ: Any, start_response: Any) -> Any:
        return Response(repr(get_flash(environ).get("key", "nothing")))(
            environ, start_response
        )

    mw = FlashMiddleware(app, secret_key=SECRET)
    value = mw._signer.sign(json.dumps(document).encode(), mw._clock())
    client = Client(mw)
    client.set_cookie("flash", value)
    return client.get("/").text


def _tag_like_nest(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {" di": {" inner": value}}
    return value


def test_a_signed_document_at_the_depth_limit_reads() -> None:
    assert _reads([[], [["key", _tag_like_nest(MAX_DEPTH)]]]) == repr(
        _nest("tag-like", MAX_DEPTH)
    )


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(_tag_like_nest(MAX_DEPTH + 1), id="wrapped-dicts-too-deep"),
        pytest.param({" dtz": ["2026-11-21T09:30:00", 0, "x"]}, id="dtz-of-three"),
        pytest.param(
            {" u": "12345678-1234-5678-1234-567812345678"}, id="uuid-with-hyphens"
        ),
    ],
)
def test_a_signed_document_of_a_shape_never_written_reads_empty(value: Any) -> None:
    assert _reads([[], [["key", value]]]) == repr("nothing")


# -- the serializer on its own ----------------------------------------------


class Opaque:
    pass


def test_the_refusal_names_the_type_with_its_module() -> None:
    with pytest.raises(TypeError, match=rf"^{__name__}\.Opaque cannot be flashed"):
        serializer.validate(Opaque())


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(("a", "b"), id="tuple-of-two"),
        pytest.param(["a", "b", "c"], id="list-of-three"),
        pytest.param({"a": [], "b": []}, id="dict-of-two"),
        pytest.param(_nest("list", MAX_DEPTH + 3), id="deepest-list"),
    ],
)
def test_a_value_that_is_not_a_document_round_trips(value: Any) -> None:
    """``dumps`` takes any storable value, three levels deeper than a document's."""
    back = serializer.loads(serializer.dumps(value))
    assert back == value
    assert repr(back) == repr(value)


def test_a_value_that_is_not_a_document_has_the_depth_limit() -> None:
    with pytest.raises(TypeError, match="deep"):
        serializer.dumps(_nest("list", MAX_DEPTH + 4))


def test_a_large_value_round_trips() -> None:
    """A value far larger than a cookie (a server-side store holds such) comes back.

    json's C encoder returns long output in several chunks (100 000 pieces
    here): they are joined as they are.
    """
    value = list(range(50_000))
    document = [[["message", value]], []]
    assert serializer.loads(serializer.dumps(document)) == document
