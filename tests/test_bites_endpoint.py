"""JSON endpoint rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

import pytest

from flashmw import FlashMiddleware
from flashmw.endpoint import MAX_BODY_BYTES, _asset
from flashmw.kit import SCRIPT_PATH

from .conftest import MakeHarness
from .harness import SECRET, Harness, Result, WSGIHarness, scenario_wsgi_app

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_ERROR_HEADERS = ["Content-Type", "Content-Length", "Cache-Control"]
#: What the middleware adds to any response that touches the flash.
ADDED = {"set-cookie", "vary"}


@pytest.fixture
def endpoint(make: MakeHarness) -> Harness:
    return make(endpoint="/_flash")


@pytest.fixture
def wsgi() -> WSGIHarness:
    # WSGI sends header names as written: their spelling reaches the wire.
    return WSGIHarness(endpoint="/_flash")


def fill(harness: Harness) -> None:
    harness.open("/flash?m=saved")
    harness.open("/put?k=info&v=Settings saved.")


def own_headers(result: Result) -> list[tuple[str, str]]:
    """The endpoint's own headers, without those the flash adds."""
    return [(n, v) for n, v in result.headers if n.lower() not in ADDED]


def post(harness: Harness, body: bytes, headers: dict[str, str]) -> Result:
    return harness.open("/_flash", "POST", headers=headers, body=body)


def test_json_answers_spell_their_headers_and_count_their_bytes(
    wsgi: WSGIHarness,
) -> None:
    fill(wsgi)
    response = wsgi.client.open("/_flash", base_url=wsgi.base_url)
    body = response.get_data()
    assert body == (
        b'{"messages":[{"category":"message","message":"saved"}],'
        b'"values":{"info":"Settings saved."}}'
    )
    own = [(n, v) for n, v in response.headers.to_wsgi_list() if n.lower() not in ADDED]
    assert own == [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    refused = wsgi.open("/_flash", "PUT")
    assert own_headers(refused) == [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(b'{"error":"use GET to read or POST to clear"}'))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Allow", "GET, HEAD, POST"),
    ]


def test_only_a_405_names_the_allowed_methods(endpoint: Harness) -> None:
    refused = endpoint.open("/_flash", headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status == 403
    assert refused.get("Allow") is None
    bad = post(endpoint, b"{", {"Content-Type": "application/json"})
    assert bad.status == 400
    assert bad.get("Allow") is None


def test_a_clear_answers_204_with_nothing_else(wsgi: WSGIHarness) -> None:
    fill(wsgi)
    result = post(wsgi, b"key=info", FORM)
    assert result.status == 204
    assert own_headers(result) == [("Cache-Control", "no-store")]
    assert result.body == ""


def test_a_dismiss_form_answers_an_empty_303(wsgi: WSGIHarness) -> None:
    fill(wsgi)
    result = post(wsgi, b"key=info&next=/page", FORM)
    assert result.status == 303
    assert own_headers(result) == [
        ("Location", "/page"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", "0"),
        ("Cache-Control", "no-store"),
    ]
    assert result.body == ""


def test_empty_bodies_on_both_adapters(endpoint: Harness) -> None:
    fill(endpoint)
    cleared = post(endpoint, b"key=info", FORM)
    assert (cleared.status, cleared.body) == (204, "")
    back = post(endpoint, b"key=info&next=/page", FORM)
    assert (back.status, back.body) == (303, "")


def test_kit_files_spell_their_headers(wsgi: WSGIHarness) -> None:
    data, _, etag = _asset("/flash.js")
    result = wsgi.open("/_flash/flash.js")
    assert own_headers(result) == [
        ("Content-Type", "text/javascript; charset=utf-8"),
        ("Content-Length", str(len(SCRIPT_PATH.read_bytes()))),
        ("Cache-Control", "public, max-age=86400"),
        ("ETag", etag),
        ("X-Content-Type-Options", "nosniff"),
    ]
    assert len(data) == len(SCRIPT_PATH.read_bytes())
    again = wsgi.open("/_flash/flash.js", headers={"If-None-Match": etag})
    assert again.status == 304
    assert own_headers(again) == [
        ("Cache-Control", "public, max-age=86400"),
        ("ETag", etag),
        ("X-Content-Type-Options", "nosniff"),
    ]
    refused = wsgi.open("/_flash/flash.js", "POST")
    assert refused.status == 405
    assert refused.body == {"error": "use GET"}
    assert own_headers(refused) == [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(b'{"error":"use GET"}'))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Allow", "GET, HEAD"),
    ]


def test_if_none_match_lists_may_omit_spaces(endpoint: Harness) -> None:
    etag = endpoint.open("/_flash/flash.css").get("ETag")
    assert etag
    again = endpoint.open("/_flash/flash.css", headers={"If-None-Match": f'"x",{etag}'})
    assert again.status == 304


def test_a_body_of_exactly_the_limit_is_read(endpoint: Harness) -> None:
    fill(endpoint)
    prefix = b"key=info&pad="
    body = prefix + b"x" * (MAX_BODY_BYTES - len(prefix))
    assert len(body) == MAX_BODY_BYTES
    assert post(endpoint, body, FORM).status == 204
    assert post(endpoint, body + b"x", FORM).status == 413


@pytest.mark.parametrize(
    "media", ["application/merge-patch+json", "application/vnd.api+json"]
)
def test_any_json_media_type_is_read(endpoint: Harness, media: str) -> None:
    fill(endpoint)
    result = post(endpoint, b'{"key": "info"}', {"Content-Type": media})
    assert result.status == 204
    assert endpoint.open("/_flash").body["values"] == {}


def test_an_empty_category_is_refused(endpoint: Harness) -> None:
    fill(endpoint)
    result = post(endpoint, b"category=", FORM)
    assert result.status == 400
    assert result.body == {"error": "key and category must not be empty"}
    assert len(endpoint.open("/_flash").body["messages"]) == 1


@pytest.mark.parametrize(
    ("length", "kept"), [(2047, True), (2048, True), (2049, False)]
)
def test_the_longest_next_path(endpoint: Harness, length: int, kept: bool) -> None:
    path = "/" + "a" * (length - 1)
    result = post(endpoint, b"next=" + path.encode(), FORM)
    assert result.status == 303
    assert result.get("Location") == (path if kept else "/")


def test_a_next_path_with_a_space_goes_home(endpoint: Harness) -> None:
    result = post(endpoint, b"next=/a+b", FORM)
    assert result.get("Location") == "/"


def test_a_referer_without_a_path_goes_home(endpoint: Harness) -> None:
    referer = f"http://{endpoint.host}"
    result = post(endpoint, b"next=", {**FORM, "Referer": referer})
    assert result.status == 303
    assert result.get("Location") == "/"


@pytest.mark.parametrize(
    ("host", "origin", "status"),
    [("[::1]", "http://[::2]", 403), ("[::1]", "http://[::1]", 204)],
)
def test_ipv6_origins_are_compared_by_address(
    host: str, origin: str, status: int
) -> None:
    harness = WSGIHarness(endpoint="/_flash")
    headers = {"Host": host, "Origin": origin}
    assert harness.open("/_flash", "POST", headers=headers).status == status


@pytest.mark.parametrize("path", ["/X", "/_FLASH", "/api/XY"])
def test_endpoint_paths_may_hold_any_letter(path: str) -> None:
    app = FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, endpoint=path)
    assert app.endpoint == path
