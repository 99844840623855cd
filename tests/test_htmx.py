"""The htmx transport: pending flashes ride in HX-Trigger, on both adapters."""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from markupsafe import Markup

from flashmw import FlashMiddleware
from flashmw.testing import make_cookie
from flashmw.transport import browser_json, merged_events, state_json

from .conftest import MakeHarness
from .harness import SECRET, FakeClock, Harness, Result

HX = {"HX-Request": "true"}


def add(harness: Harness, headers: dict[str, str] | None = None, **args: Any) -> Result:
    """Call the scenario route that flashes without reading."""
    if "h" in args:
        args["h"] = json.dumps(args["h"])
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in args.items())
    return harness.open(f"/add?{query}", headers=headers)


def trigger(result: Result) -> dict[str, Any]:
    """The one HX-Trigger header, read as a browser reads header bytes."""
    values = result.get_all("HX-Trigger")
    assert len(values) == 1, values
    raw = values[0].encode("latin-1")
    assert raw.isascii()
    parsed: dict[str, Any] = json.loads(raw.decode("latin-1"))
    return parsed


def shown(harness: Harness) -> Any:
    return harness.open("/show").body


@pytest.fixture
def htmx(make: MakeHarness) -> Harness:
    return make(htmx=True)


def test_message_added_by_an_htmx_request_rides_in_hx_trigger(htmx: Harness) -> None:
    result = add(htmx, HX, m="Record saved.", k="info", v="Saved.")
    assert result.status == 200
    assert trigger(result) == {
        "flash": {
            "messages": [{"category": "message", "message": "Record saved."}],
            "values": {"info": "Saved."},
        }
    }
    # Delivered means consumed: nothing was stored, nothing shows later.
    assert result.set_cookies == []
    assert result.get("Vary") == "Cookie"
    assert shown(htmx) == []
    assert htmx.open("/get?k=info").body == {"info": None}


def test_messages_waiting_in_the_cookie_are_delivered_and_dropped(
    htmx: Harness,
) -> None:
    htmx.open("/flash?m=one|two&c=warning")
    htmx.open("/put?k=error&v=Oops.")
    result = add(htmx, HX, m="three")
    assert trigger(result)["flash"] == {
        "messages": [
            {"category": "warning", "message": "one"},
            {"category": "warning", "message": "two"},
            {"category": "message", "message": "three"},
        ],
        "values": {"error": "Oops."},
    }
    # The stored cookies are deleted; the value read leaves a short-lived
    # mark; the new message is never written.
    deleted = [c for c in result.set_cookies if "Max-Age=0" in c]
    marks = [c for c in result.set_cookies if "Max-Age=60;" in c]
    assert len(deleted) == 2
    assert len(marks) == 1
    assert len(result.set_cookies) == 3
    assert shown(htmx) == []
    assert htmx.open("/get?k=error").body == {"error": None}


def test_what_the_handler_read_is_not_sent_again(htmx: Harness) -> None:
    htmx.open("/flash?m=read by the page")
    htmx.open("/put?k=info&v=unread")
    result = htmx.open("/show", headers=HX)
    assert result.body == [["message", "read by the page"]]
    assert trigger(result)["flash"] == {"messages": [], "values": {"info": "unread"}}


def test_nothing_pending_adds_no_header(htmx: Harness) -> None:
    htmx.open("/flash?m=x")
    result = htmx.open("/show", headers=HX)
    assert result.get_all("HX-Trigger") == []
    fragment = htmx.open("/ignore", headers=HX)
    assert fragment.get_all("HX-Trigger") == []
    assert fragment.set_cookies == []
    # The transport read the (empty) flash for it: the answer varies.
    assert fragment.get("Vary") == "Cookie"
    # A request that is not htmx's stays untouched.
    page = htmx.open("/ignore")
    assert page.set_cookies == []
    assert page.get("Vary") is None


def test_a_fragment_that_never_reads_the_flash_delivers_what_waits(
    htmx: Harness,
) -> None:
    # The XHR-followed redirect case: the message waits in the cookie and
    # the handler of the fragment never looks at the flash.
    htmx.open("/flash?m=Moved.")
    result = htmx.open("/ignore", headers=HX)
    assert result.body == "untouched"
    assert trigger(result)["flash"]["messages"] == [
        {"category": "message", "message": "Moved."}
    ]
    assert htmx.jar() is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e", id="latin-1"),
        pytest.param("\u4fdd\u5b58\u3057\u307e\u3057\u305f", id="cjk"),
        pytest.param("Done \U0001f389\U0001f44d\U0001f3fd", id="emoji"),
        pytest.param('quote " back\\slash \u2028 line', id="escapes"),
        pytest.param("\u00ff\u0100 \ufeff", id="edges"),
    ],
)
def test_any_text_round_trips_exactly(htmx: Harness, text: str) -> None:
    result = add(htmx, HX, m=text, k="info", v=text)
    detail = trigger(result)["flash"]
    assert detail["messages"] == [{"category": "message", "message": text}]
    assert detail["values"] == {"info": text}


@pytest.mark.parametrize(
    ("app_header", "expected"),
    [
        pytest.param('{"saved": {"id": 3}}', {"saved": {"id": 3}}, id="json"),
        pytest.param(
            ' {"caf\\u00e9": 1, "b": null}', {"caf\u00e9": 1, "b": None}, id="json-ws"
        ),
        pytest.param("saved", {"saved": None}, id="one-name"),
        pytest.param(
            "saved, closeModal ,refresh",
            {"saved": None, "closeModal": None, "refresh": None},
            id="names",
        ),
    ],
)
def test_the_apps_hx_trigger_is_merged_into_one_header(
    htmx: Harness, app_header: str, expected: dict[str, Any]
) -> None:
    result = add(htmx, HX, m="Saved.", h=[["HX-Trigger", app_header]])
    events = trigger(result)
    assert events == {
        **expected,
        "flash": {
            "messages": [{"category": "message", "message": "Saved."}],
            "values": {},
        },
    }
    assert list(events)[-1] == "flash"


def test_two_app_hx_trigger_headers_become_one(htmx: Harness) -> None:
    result = add(
        htmx, HX, m="x", h=[["HX-Trigger", '{"a": 1}'], ["HX-Trigger", "b, c"]]
    )
    assert list(trigger(result)) == ["a", "b", "c", "flash"]


@pytest.mark.parametrize(
    "app_header",
    [
        pytest.param('{"broken": ', id="bad-json"),
        pytest.param('{"flash": 1}', id="names-flash"),
        pytest.param("[1, 2]", id="not-an-object-but-names"),
    ],
)
def test_an_app_header_that_cannot_merge_keeps_the_cookie(
    htmx: Harness, app_header: str
) -> None:
    if app_header.startswith("["):
        # A comma list of names is any text htmx splits: "[1" and "2]"
        # are names, so this one merges.
        result = add(htmx, HX, m="x", h=[["HX-Trigger", app_header]])
        assert list(trigger(result)) == ["[1", "2]", "flash"]
        return
    result = add(htmx, HX, m="x", h=[["HX-Trigger", app_header]])
    assert result.get_all("HX-Trigger") == [app_header]
    assert len(result.set_cookies) == 1
    assert shown(htmx) == [["message", "x"]]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_keep_the_cookie_and_send_no_trigger(
    htmx: Harness, status: int
) -> None:
    result = add(htmx, HX, m="After the redirect.", s=status, h=[["Location", "/"]])
    assert result.status == status
    assert result.get_all("HX-Trigger") == []
    assert len(result.set_cookies) == 1
    assert shown(htmx) == [["message", "After the redirect."]]


@pytest.mark.parametrize(
    "header",
    [
        ["HX-Redirect", "/next"],
        ["HX-Location", '{"path": "/next"}'],
        ["HX-Refresh", "true"],
        ["hx-redirect", "/next"],
    ],
)
def test_htmx_navigation_headers_keep_the_cookie(
    htmx: Harness, header: list[str]
) -> None:
    htmx.open("/put?k=info&v=waiting")
    result = add(htmx, HX, m="On the next page.", h=[header])
    assert result.get_all("HX-Trigger") == []
    assert len(result.set_cookies) == 1
    assert shown(htmx) == [["message", "On the next page."]]
    assert htmx.open("/get?k=info").body == {"info": "waiting"}


@pytest.mark.parametrize("status", [500, 503, 304])
def test_failures_and_not_modified_send_no_trigger(htmx: Harness, status: int) -> None:
    htmx.open("/flash?m=waiting")
    result = add(htmx, HX, s=status)
    assert result.get_all("HX-Trigger") == []
    assert shown(htmx) == [["message", "waiting"]]


def test_head_sends_no_trigger(htmx: Harness) -> None:
    htmx.open("/flash?m=waiting")
    result = htmx.open("/add", method="HEAD", headers=HX)
    assert result.get_all("HX-Trigger") == []
    assert shown(htmx) == [["message", "waiting"]]


@pytest.mark.parametrize(
    "extra",
    [
        {"HX-Preloaded": "true"},
        {"Sec-Purpose": "prefetch"},
        {"Sec-Fetch-Dest": "image"},
    ],
)
def test_unseen_requests_send_no_trigger(htmx: Harness, extra: dict[str, str]) -> None:
    htmx.open("/flash?m=waiting")
    result = add(htmx, {**HX, **extra}, k="info")
    assert result.get_all("HX-Trigger") == []
    assert shown(htmx) == [["message", "waiting"]]
    assert htmx.open("/get?k=info").body == {"info": "Saved."}


@pytest.mark.parametrize("value", ["false", "True", "1", ""])
def test_only_hx_request_true_counts(htmx: Harness, value: str) -> None:
    result = add(htmx, {"HX-Request": value}, m="stays")
    assert result.get_all("HX-Trigger") == []
    assert shown(htmx) == [["message", "stays"]]


def test_a_client_error_still_delivers(htmx: Harness) -> None:
    # htmx reads HX-Trigger on 4xx answers too: validation errors show.
    result = add(htmx, HX, m="Title cannot be blank.", c="error", s=422)
    assert trigger(result)["flash"]["messages"] == [
        {"category": "error", "message": "Title cannot be blank."}
    ]
    assert shown(htmx) == []


def test_keep_sends_no_trigger(htmx: Harness) -> None:
    htmx.open("/flash?m=kept")
    result = htmx.open("/keep", headers=HX)
    assert result.get_all("HX-Trigger") == []


def test_over_the_budget_keeps_the_cookie(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = make(htmx=True, htmx_max_bytes=200)
    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        result = add(harness, HX, m="\u00e9" * 40)  # 240 bytes as \u escapes
    assert result.get_all("HX-Trigger") == []
    assert len(result.set_cookies) == 1
    assert "htmx_max_bytes=200" in caplog.text
    assert shown(harness) == [["message", "\u00e9" * 40]]
    fits = add(harness, HX, m="\u00e9" * 20)
    assert len(fits.get_all("HX-Trigger")[0]) <= 200


def test_the_budget_counts_the_whole_merged_header(make: MakeHarness) -> None:
    harness = make(htmx=True, htmx_max_bytes=100)
    big = json.dumps({"app": "x" * 60})
    result = add(harness, HX, m="short", h=[["HX-Trigger", big]])
    assert result.get_all("HX-Trigger") == [big]
    assert shown(harness) == [["message", "short"]]


def test_transport_off_changes_nothing(harness: Harness) -> None:
    result = add(harness, HX, m="Record saved.", h=[["HX-Trigger", "saved"]])
    assert result.get_all("HX-Trigger") == ["saved"]
    assert len(result.set_cookies) == 1
    assert shown(harness) == [["message", "Record saved."]]


@pytest.mark.parametrize("htmx", [False, True])
def test_transport_off_reads_no_htmx_header(htmx: bool) -> None:
    asked: list[object] = []

    class Spy(str):
        """An HX-Request value that records what it is compared with."""

        __hash__ = str.__hash__

        def __eq__(self, other: object) -> bool:
            asked.append(other)
            return str.__eq__(self, other)

        def __ne__(self, other: object) -> bool:
            asked.append(other)
            return str.__ne__(self, other)

    def app(environ: Any, start_response: Any) -> list[bytes]:
        environ["flashmw.flash"].add("x")
        start_response("200 OK", [])
        return [b""]

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        return len

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "HTTP_HX_REQUEST": Spy("true"),
    }
    FlashMiddleware(app, secret_key=SECRET, htmx=htmx)(environ, start_response)
    # The control (htmx=True) shows the spy sees the lookup when it happens.
    assert bool(asked) is htmx


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"htmx": 1}, "htmx must be True or False"),
        ({"htmx": "yes"}, "htmx must be True or False"),
        ({"htmx_max_bytes": "2k"}, "htmx_max_bytes must be an int"),
        ({"htmx_max_bytes": True}, "htmx_max_bytes must be an int"),
        ({"htmx_max_bytes": 10}, "htmx_max_bytes must be at least 64"),
    ],
)
def test_bad_options_are_value_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FlashMiddleware(lambda e, s: [], secret_key=SECRET, **options)


# -- the value mapping -------------------------------------------------------


@dataclasses.dataclass
class Point:
    x: int
    label: str


STAMP = datetime.datetime(2026, 11, 22, 9, 30, tzinfo=datetime.timezone.utc)
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")

MAPPING = [
    pytest.param("text", "text", id="str"),
    pytest.param(3, 3, id="int"),
    pytest.param(2**60, str(2**60), id="big-int"),
    pytest.param(1.5, 1.5, id="float"),
    pytest.param(float("nan"), None, id="nan"),
    pytest.param(True, True, id="bool"),
    pytest.param(None, None, id="none"),
    pytest.param((1, "a"), [1, "a"], id="tuple"),
    pytest.param([STAMP], ["2026-11-22T09:30:00+00:00"], id="list"),
    pytest.param(
        datetime.datetime(2026, 1, 2, 3, 4), "2026-01-02T03:04:00", id="naive"
    ),
    pytest.param(datetime.date(2026, 1, 2), "2026-01-02", id="date"),
    pytest.param(ID, "12345678-1234-5678-1234-567812345678", id="uuid"),
    pytest.param(Markup("<b>Hi</b>"), {"__html__": "<b>Hi</b>"}, id="markup"),
    pytest.param(Point(1, "p"), {"x": 1, "label": "p"}, id="dataclass"),
    pytest.param({"a": (ID,)}, {"a": [str(ID)]}, id="dict"),
    pytest.param(
        {"__html__": "<script>"}, {"__dict__": {"__html__": "<script>"}}, id="lookalike"
    ),
    pytest.param(object, str(object), id="other"),
]


@pytest.mark.parametrize(("value", "expected"), MAPPING)
def test_browser_json_mapping(value: Any, expected: Any) -> None:
    assert browser_json(value) == expected
    json.dumps(browser_json(value), allow_nan=False)


def test_stored_values_arrive_as_browser_json(htmx: Harness, clock: FakeClock) -> None:
    cookie = make_cookie(
        {"secret_key": SECRET, "clock": clock},
        [("info", Markup("<b>Welcome</b>"))],
        {"when": STAMP, "id": ID, "pair": (1, 2), "point": Point(2, "q")},
    )
    htmx.put_in_jar(cookie.value)
    result = add(htmx, HX)
    assert trigger(result)["flash"] == state_json(
        [("info", Markup("<b>Welcome</b>"))],
        {"when": STAMP, "id": ID, "pair": (1, 2), "point": {"x": 2, "label": "q"}},
    )
    assert trigger(result)["flash"]["values"]["when"] == "2026-11-22T09:30:00+00:00"


def test_merged_events_reads_both_forms() -> None:
    assert merged_events(['{"a": 1}', "b, c", ""]) == {"a": 1, "b": None, "c": None}
    assert merged_events(["a", "a"]) is None
    assert merged_events(["{1}"]) is None
    assert merged_events(['{"a": ' * 5000]) is None
