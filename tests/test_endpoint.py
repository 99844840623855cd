"""The JSON endpoint and the kit's files, answered by both middlewares."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from flashmw import ASGIFlashMiddleware, FlashMiddleware
from flashmw.endpoint import MAX_BODY_BYTES, _same_origin
from flashmw.kit import SCRIPT_PATH, STYLESHEET_PATH

from .conftest import MakeHarness
from .harness import SECRET, Harness, HeaderDict, Result, call_asgi, http_scope

EMPTY: dict[str, Any] = {"messages": [], "values": {}}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
APP_404 = "the app answered: no such route"


@pytest.fixture
def endpoint(make: MakeHarness) -> Harness:
    return make(htmx=True, endpoint="/_flash")


def fill(harness: Harness) -> None:
    """A list message of two categories and two keyed values, waiting."""
    harness.open("/flash?m=saved&c=message")
    harness.open("/flash?m=careful&c=warning")
    harness.open("/put?k=info&v=Settings saved.")
    harness.open("/put?k=error&v=Oops.")


def post(harness: Harness, body: bytes, headers: dict[str, str]) -> Result:
    return harness.open("/_flash", "POST", headers=headers, body=body)


def left(harness: Harness) -> Any:
    """What is still pending, read (and consumed) through the endpoint."""
    return harness.open("/_flash").body


def test_get_on_a_bare_page_is_an_empty_state(endpoint: Harness) -> None:
    result = endpoint.open("/_flash")
    assert result.status == 200
    assert result.body == EMPTY
    assert result.get("Content-Type") == "application/json"
    assert result.get("Cache-Control") == "no-store"
    assert result.set_cookies == []


def test_get_returns_the_pending_state_and_consumes_it(endpoint: Harness) -> None:
    fill(endpoint)
    result = endpoint.open("/_flash")
    assert result.body == {
        "messages": [
            {"category": "message", "message": "saved"},
            {"category": "warning", "message": "careful"},
        ],
        "values": {"info": "Settings saved.", "error": "Oops."},
    }
    assert result.get("Vary") == "Cookie"
    assert result.get("Cache-Control") == "no-store"
    # What was stored is deleted; the values read leave a short-lived mark.
    assert [c for c in result.set_cookies if "Max-Age=0" in c]
    assert all("Max-Age=0" in c or "Max-Age=60;" in c for c in result.set_cookies)
    assert left(endpoint) == EMPTY


def test_get_by_htmx_sends_the_state_once(endpoint: Harness) -> None:
    fill(endpoint)
    result = endpoint.open("/_flash", headers={"HX-Request": "true"})
    assert len(result.body["messages"]) == 2
    assert result.get_all("HX-Trigger") == []


def test_non_ascii_text_arrives_exactly(endpoint: Harness) -> None:
    endpoint.open("/flash?m=Caf%C3%A9+%F0%9F%8E%89")
    assert left(endpoint)["messages"][0]["message"] == "Caf\u00e9 \U0001f389"


def test_head_peeks(endpoint: Harness) -> None:
    fill(endpoint)
    result = endpoint.open("/_flash", "HEAD")
    assert result.status == 200
    assert result.body == ""
    assert result.set_cookies == []
    assert len(left(endpoint)["messages"]) == 2


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(b"key=info", FORM, id="form"),
        pytest.param(b"key=info&other=1", FORM, id="form-extra-field"),
        pytest.param(b'{"key": "info"}', JSON, id="json"),
        pytest.param(
            b'{"key": "info"}',
            {"Content-Type": "application/json; charset=utf-8"},
            id="json-charset",
        ),
    ],
)
def test_post_with_a_key_clears_that_key(
    endpoint: Harness, body: bytes, headers: dict[str, str]
) -> None:
    fill(endpoint)
    result = post(endpoint, body, headers)
    assert result.status == 204
    assert result.get("Cache-Control") == "no-store"
    # The cookie of "info" is deleted, and a short-lived mark makes sure an
    # older "info" still on its way cannot show later.
    deleted, mark = result.set_cookies
    assert "Max-Age=0" in deleted
    assert "Max-Age=60;" in mark
    state = left(endpoint)
    assert state["values"] == {"error": "Oops."}
    assert len(state["messages"]) == 2


def test_post_with_a_category_consumes_those_messages(endpoint: Harness) -> None:
    fill(endpoint)
    assert post(endpoint, b"category=warning", FORM).status == 204
    state = left(endpoint)
    assert state["messages"] == [{"category": "message", "message": "saved"}]
    assert list(state["values"]) == ["info", "error"]


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(b"", {}, id="empty"),
        pytest.param(b"{}", JSON, id="json-object"),
        pytest.param(b"x=1", FORM, id="form-without-key"),
    ],
)
def test_post_without_a_key_clears_everything(
    endpoint: Harness, body: bytes, headers: dict[str, str]
) -> None:
    fill(endpoint)
    result = post(endpoint, body, headers)
    assert result.status == 204
    assert "Max-Age=0" in result.set_cookies[0]
    assert left(endpoint) == EMPTY


@pytest.mark.parametrize(
    ("fields", "location"),
    [
        pytest.param(b"key=info&next=/settings?tab=2", "/settings?tab=2", id="next"),
        pytest.param(b"key=info&next=//evil.example/", "/", id="scheme-relative"),
        pytest.param(b"key=info&next=https://evil.example/", "/", id="absolute"),
        pytest.param(b"key=info&next=/%5Cevil.example", "/", id="backslash"),
        pytest.param(b"key=info&next=/a%0D%0ASet-Cookie:x", "/", id="crlf"),
        pytest.param(b"key=info&next=/caf%C3%A9", "/", id="non-ascii"),
    ],
)
def test_a_dismiss_form_redirects_back_to_a_path_on_this_site(
    endpoint: Harness, fields: bytes, location: str
) -> None:
    fill(endpoint)
    result = post(endpoint, fields, FORM)
    assert result.status == 303
    assert result.get("Location") == location
    assert result.get("Cache-Control") == "no-store"
    assert "info" not in left(endpoint)["values"]


def test_an_empty_next_goes_back_to_the_referer(endpoint: Harness) -> None:
    same = f"http://{endpoint.host}/settings?x=1"
    result = post(endpoint, b"key=info&next=", {**FORM, "Referer": same})
    assert result.get("Location") == "/settings?x=1"
    foreign = post(
        endpoint, b"key=info&next=", {**FORM, "Referer": "http://evil.example/x"}
    )
    assert foreign.get("Location") == "/"
    nothing = post(endpoint, b"key=info&next=", FORM)
    assert nothing.get("Location") == "/"


def test_a_navigation_without_next_redirects_too(endpoint: Harness) -> None:
    headers = {
        **FORM,
        "Sec-Fetch-Mode": "navigate",
        "Referer": f"http://{endpoint.host}/page",
    }
    result = post(endpoint, b"key=info", headers)
    assert result.status == 303
    assert result.get("Location") == "/page"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="sec-fetch-site"),
        pytest.param({"Sec-Fetch-Site": " Cross-Site "}, id="sec-fetch-site-case"),
        pytest.param({"Origin": "http://evil.example"}, id="origin"),
        pytest.param({"Origin": "null"}, id="origin-null"),
        pytest.param({"Origin": "http://localhost:8080"}, id="other-port"),
        pytest.param({"Origin": "ftp://localhost"}, id="other-scheme"),
        pytest.param({"Origin": "http://[::1"}, id="malformed"),
    ],
)
def test_cross_site_requests_are_refused(
    endpoint: Harness, method: str, headers: dict[str, str]
) -> None:
    fill(endpoint)
    result = endpoint.open("/_flash", method, headers=headers)
    assert result.status == 403
    assert "error" in result.body
    assert result.get("Cache-Control") == "no-store"
    assert len(left(endpoint)["messages"]) == 2


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Sec-Fetch-Site": "same-origin"}, id="same-origin"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="same-site"),
        pytest.param({"Sec-Fetch-Site": "none"}, id="typed-url"),
    ],
)
def test_same_site_requests_are_served(
    endpoint: Harness, headers: dict[str, str]
) -> None:
    fill(endpoint)
    assert post(endpoint, b"", headers).status == 204
    assert left(endpoint) == EMPTY


def test_an_origin_naming_this_host_is_served(endpoint: Harness) -> None:
    fill(endpoint)
    origin = {"Origin": f"http://{endpoint.host.upper()}:80"}
    assert post(endpoint, b"key=info", {**FORM, **origin}).status == 204


@pytest.mark.parametrize(
    ("host", "origin", "same"),
    [
        ("[::1]:8000", "http://[::1]:8000", True),
        ("[::1]", "https://[::1]:443", True),
        ("[::1]:8000", "http://[::1]:8001", False),
        ("example.com:443", "https://EXAMPLE.com", True),
        ("example.com", "http://example.com.evil", False),
    ],
)
def test_origin_matching(host: str, origin: str, same: bool) -> None:
    assert _same_origin(HeaderDict(host=host), origin) is same


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(endpoint: Harness, method: str) -> None:
    fill(endpoint)
    result = endpoint.open("/_flash", method)
    assert result.status == 405
    assert result.get("Allow") == "GET, HEAD, POST"
    assert "error" in result.body
    assert len(left(endpoint)["messages"]) == 2


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        pytest.param(b"{", JSON, 400, id="bad-json"),
        pytest.param(b"[1]", JSON, 400, id="json-array"),
        pytest.param(b'{"key": 3}', JSON, 400, id="key-not-text"),
        pytest.param(b'{"key": ""}', JSON, 400, id="empty-key"),
        pytest.param(b"[" * 3000, JSON, 400, id="deep-json"),
        pytest.param(b"key=\xff", FORM, 400, id="not-utf-8"),
        pytest.param(b"key=%FF", FORM, 400, id="escaped-not-utf-8"),
        pytest.param(b"key=a&key=b", FORM, 400, id="key-twice"),
        pytest.param(b"&".join([b"a=1"] * 20), FORM, 400, id="many-fields"),
        pytest.param(b"key=info", {"Content-Type": "text/plain"}, 415, id="text"),
        pytest.param(b"key=info", {}, 415, id="no-type"),
        pytest.param(b"k=" + b"x" * MAX_BODY_BYTES, FORM, 413, id="too-big"),
    ],
)
def test_bad_bodies_are_refused_and_change_nothing(
    endpoint: Harness, body: bytes, headers: dict[str, str], status: int
) -> None:
    fill(endpoint)
    result = post(endpoint, body, headers)
    assert result.status == status
    assert result.get("Content-Type") == "application/json"
    assert isinstance(result.body["error"], str)
    assert result.set_cookies == []
    assert len(left(endpoint)["messages"]) == 2


@pytest.mark.parametrize(
    ("path", "source", "content_type"),
    [
        ("/_flash/flash.js", SCRIPT_PATH, "text/javascript; charset=utf-8"),
        ("/_flash/flash.css", STYLESHEET_PATH, "text/css; charset=utf-8"),
    ],
)
def test_the_kit_files_are_served_and_cacheable(
    endpoint: Harness, path: str, source: Any, content_type: str
) -> None:
    fill(endpoint)
    result = endpoint.open(path)
    assert result.status == 200
    assert result.get("Content-Type") == content_type
    assert result.body == source.read_text(encoding="utf-8")
    assert result.get("Cache-Control") == "public, max-age=86400"
    etag = result.get("ETag")
    assert etag
    # Serving a file never touches the flash.
    assert result.set_cookies == []
    assert result.get("Vary") is None
    again = endpoint.open(path, headers={"If-None-Match": f'"x", {etag}'})
    assert again.status == 304
    assert again.body == ""
    assert endpoint.open(path, headers={"If-None-Match": '"x"'}).status == 200
    assert endpoint.open(path, "HEAD").body == ""
    refused = endpoint.open(path, "POST")
    assert refused.status == 405
    assert refused.get("Allow") == "GET, HEAD"
    assert len(left(endpoint)["messages"]) == 2


@pytest.mark.parametrize("path", ["/_flash", "/_flash/flash.js"])
def test_without_an_endpoint_the_path_reaches_the_app(
    harness: Harness, path: str
) -> None:
    result = harness.open(path)
    assert result.status == 404
    assert result.body == APP_404


@pytest.mark.parametrize(
    "path", ["/_flash/", "/_flash/other", "/_flashy", "/_flash/flash.js/x"]
)
def test_other_paths_reach_the_app(endpoint: Harness, path: str) -> None:
    assert endpoint.open(path).body == APP_404


def test_any_path_can_be_the_endpoint(make: MakeHarness) -> None:
    harness = make(endpoint="/api/notices")
    harness.open("/flash?m=hi")
    assert left(harness) == APP_404
    assert harness.open("/api/notices").body["messages"][0]["message"] == "hi"


@pytest.mark.parametrize(
    "value", ["_flash", "/", "/_flash/", "/a b", "/a?b", "/caf\u00e9", 3, b"/x"]
)
def test_a_bad_endpoint_is_a_value_error(value: Any) -> None:
    with pytest.raises(ValueError, match="endpoint must be"):
        FlashMiddleware(lambda e, s: [], secret_key=SECRET, endpoint=value)


# -- reading bodies: each adapter's own plumbing -----------------------------


def _wsgi_post(body: bytes, **environ: Any) -> tuple[str, bytes]:
    app = FlashMiddleware(lambda e, s: [], secret_key=SECRET, endpoint="/_flash")
    built = EnvironBuilder(path="/_flash", method="POST").get_environ()
    built.update(environ)
    built["wsgi.input"] = io.BytesIO(body)
    out, status, _ = run_wsgi_app(app, built, buffered=True)
    return status, b"".join(out)


def test_wsgi_reads_a_chunked_body_only_when_the_server_ends_it() -> None:
    form = {"CONTENT_TYPE": "application/x-www-form-urlencoded"}
    # No length and no end marker: the body is never read (it could block).
    status, _ = _wsgi_post(b"key=", **form)
    assert status.startswith("204")
    status, _ = _wsgi_post(b"key=", **form, **{"wsgi.input_terminated": True})
    assert status.startswith("400")
    big = b"x" * (MAX_BODY_BYTES + 100)
    status, _ = _wsgi_post(big, **form, **{"wsgi.input_terminated": True})
    assert status.startswith("413")
    status, _ = _wsgi_post(b"key=", CONTENT_LENGTH="junk", **form)
    assert status.startswith("204")


def _asgi_post(chunks: list[bytes], disconnect: bool = False) -> list[Any]:
    app = ASGIFlashMiddleware(
        lambda s, r, se: asyncio.sleep(0), secret_key=SECRET, endpoint="/_flash"
    )
    scope = http_scope(
        "/_flash",
        method="POST",
        headers=[(b"content-type", b"application/json")],
    )
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    if disconnect:
        messages = [*messages[:-1], {"type": "http.disconnect"}]
    received = iter(messages)
    sent: list[Any] = []

    async def receive() -> Any:
        return next(received, {"type": "http.disconnect"})

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_asgi_reads_a_body_in_chunks() -> None:
    start, body = _asgi_post([b'{"ke', b'y": ', b'""}'])
    assert start["status"] == 400
    assert json.loads(body["body"]) == {"error": "key and category must not be empty"}


def test_asgi_stops_reading_past_the_limit() -> None:
    chunk = b" " * 1024
    start, _ = _asgi_post([chunk] * 10)
    assert start["status"] == 413


def test_asgi_endpoint_survives_a_disconnect() -> None:
    start, _ = _asgi_post([b'{"key": "x"}', b""], disconnect=True)
    assert start["status"] == 204


def test_asgi_endpoint_is_http_only() -> None:
    app = ASGIFlashMiddleware(
        lambda s, r, se: asyncio.sleep(0), secret_key=SECRET, endpoint="/_flash"
    )
    sent = asyncio.run(call_asgi(app, http_scope("/_flash", type="lifespan")))
    assert sent == []
