"""The flash lifecycle as a user sees it, run against every adapter.

Each test drives the scenario app of ``harness.py`` through a real client
with a cookie jar: what the next request shows is the assertion.
"""

from __future__ import annotations

import logging

import pytest

from flashmw import FlashOverflowError
from flashmw.signing import CLOCK_SKEW

from .conftest import MakeHarness
from .harness import SECRET, FakeClock, Harness

DELETED = "Max-Age=0"


def test_flash_redirect_show_once_then_gone(harness: Harness) -> None:
    redirect = harness.open("/flash?m=Record saved.")
    assert redirect.status == 302
    assert len(redirect.set_cookies) == 1
    assert harness.jar() is not None

    shown = harness.open("/show")
    assert shown.body == [["message", "Record saved."]]
    assert DELETED in shown.set_cookies[0]
    assert harness.jar() is None

    assert harness.open("/show").body == []


def test_order_and_categories_are_kept(harness: Harness) -> None:
    harness.open("/flash?m=one|two&c=info")
    harness.open("/flash?m=three&c=error")
    assert harness.open("/show").body == [
        ["info", "one"],
        ["info", "two"],
        ["error", "three"],
    ]


def test_category_filter_consumes_only_what_it_returns(harness: Harness) -> None:
    harness.open("/flash?m=Saved.&c=info")
    harness.open("/flash?m=Bad password.&c=error")
    assert harness.open("/show?c=error").body == [["error", "Bad password."]]
    assert harness.open("/show").body == [["info", "Saved."]]


def test_peek_consumes_nothing_and_writes_nothing(harness: Harness) -> None:
    harness.open("/flash?m=Hello")
    peeked = harness.open("/show?peek=1")
    assert peeked.body == [["message", "Hello"]]
    assert peeked.set_cookies == []
    assert harness.open("/show").body == [["message", "Hello"]]


def test_unrelated_requests_leave_unread_messages(harness: Harness) -> None:
    harness.open("/flash?m=Hello")
    for _ in range(3):
        untouched = harness.open("/ignore")
        assert untouched.set_cookies == []
        assert untouched.get("Vary") is None
    assert harness.open("/show").body == [["message", "Hello"]]


def test_consumed_messages_stay_readable_in_the_same_request(harness: Harness) -> None:
    harness.open("/flash?m=a|b")
    assert harness.open("/show-twice").body == [["a", "b"], ["a", "b"]]
    assert harness.open("/show").body == []


def test_keep_shows_again_next_time(harness: Harness) -> None:
    harness.open("/flash?m=Hello")
    kept = harness.open("/keep")
    assert kept.body == ["Hello"]
    assert kept.set_cookies == []
    assert harness.open("/show").body == [["message", "Hello"]]
    assert harness.open("/show").body == []


def test_keyed_put_replaces_and_read_consumes(harness: Harness) -> None:
    harness.open("/put?k=info&v=First")
    harness.open("/put?k=info&v=Second")
    assert harness.open("/get?k=info").body == {"info": "Second"}
    assert harness.open("/get?k=info").body == {"info": None}


def test_attribute_read_consumes_and_missing_key_is_none(harness: Harness) -> None:
    harness.open("/put?k=error&v=Name cannot be blank.")
    assert harness.open("/attr?k=info").body is None
    assert harness.open("/attr?k=error").body == "Name cannot be blank."
    assert harness.open("/attr?k=error").body is None


def test_membership_len_and_keys_do_not_consume(harness: Harness) -> None:
    harness.open("/put?k=info&v=Saved.")
    looked = harness.open("/keys")
    assert looked.body == {"keys": ["info"], "len": 1, "info": True}
    assert looked.set_cookies == []
    assert harness.open("/get?k=info").body == {"info": "Saved."}


def test_unread_keys_survive_a_read_of_other_keys(harness: Harness) -> None:
    harness.open("/put?k=info&v=Saved.")
    harness.open("/put?k=error&v=Oops.")
    assert harness.open("/get?k=info").body == {"info": "Saved."}
    assert harness.open("/get").body == {"info": None, "error": "Oops."}


def test_clear_one_key(harness: Harness) -> None:
    harness.open("/put?k=info&v=Saved.")
    harness.open("/put?k=error&v=Oops.")
    harness.open("/clear?k=info")
    assert harness.open("/get").body == {"info": None, "error": "Oops."}


def test_clear_everything_deletes_the_cookie(harness: Harness) -> None:
    harness.open("/put?k=info&v=Saved.")
    harness.open("/flash?m=Hello")
    cleared = harness.open("/clear")
    deleted = [c for c in cleared.set_cookies if DELETED in c]
    assert len(deleted) == 2
    # What stays is one clear mark: it lives a minute, holds nothing.
    jar = harness.jar()
    assert jar is not None
    assert jar.count("=") == 1
    assert any("Max-Age=60" in c for c in cleared.set_cookies)
    assert harness.open("/show").body == []
    assert harness.open("/get").body == {"info": None, "error": None}


def test_an_exception_writes_nothing_so_messages_show_again(harness: Harness) -> None:
    harness.open("/flash?m=Hello")
    harness.open("/put?k=info&v=Saved.")
    with pytest.raises(RuntimeError, match="failed after reading"):
        harness.open("/raise")
    assert harness.open("/show").body == [["message", "Hello"]]
    assert harness.open("/get?k=info").body == {"info": "Saved."}


def test_5xx_writes_new_messages_but_not_consumption(harness: Harness) -> None:
    harness.open("/flash?m=Old")
    failed = harness.open("/status?s=500&m=New")
    assert failed.status == 500
    assert failed.body == ["Old", "New"]
    assert harness.open("/show").body == [["message", "Old"], ["message", "New"]]


@pytest.mark.parametrize("path", ["/status?s=304", "/status?s=503"])
def test_responses_that_show_nothing_do_not_consume(
    harness: Harness, path: str
) -> None:
    harness.open("/flash?m=Hello")
    response = harness.open(path)
    assert response.set_cookies == []
    assert response.get("Vary") == "Cookie"
    assert harness.open("/show").body == [["message", "Hello"]]


def test_head_does_not_consume(harness: Harness) -> None:
    harness.open("/flash?m=Hello")
    head = harness.open("/show", method="HEAD")
    assert head.status == 200
    assert head.set_cookies == []
    assert harness.open("/show").body == [["message", "Hello"]]


def test_streaming_body_that_reads_flashes_still_commits(harness: Harness) -> None:
    harness.open("/flash?m=Hello")
    streamed = harness.open("/stream")
    assert streamed.body == ["Hello"]
    assert DELETED in streamed.set_cookies[0]
    assert streamed.get("Vary") == "Cookie"
    assert harness.open("/show").body == []


def test_untouched_request_with_a_cookie_adds_no_header(harness: Harness) -> None:
    harness.open("/flash?m=Hello")
    response = harness.open("/ignore")
    assert response.set_cookies == []
    assert response.get_all("Vary") == []


def test_touched_request_varies_on_cookie_even_without_change(
    harness: Harness,
) -> None:
    response = harness.open("/show")
    assert response.get_all("Vary") == ["Cookie"]
    assert response.set_cookies == []


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        pytest.param("Accept-Encoding", ["Accept-Encoding, Cookie"], id="appended"),
        pytest.param("Accept|Origin", ["Accept, Origin, Cookie"], id="merged"),
        pytest.param("cookie", ["cookie"], id="already-there"),
        pytest.param("Origin, Cookie", ["Origin, Cookie"], id="already-in-list"),
        pytest.param("*", ["*"], id="star-left-alone"),
    ],
)
def test_vary_is_merged(harness: Harness, sent: str, expected: list[str]) -> None:
    assert harness.open(f"/vary?v={sent}").get_all("Vary") == expected


def test_key_rotation_reads_old_cookies_and_writes_with_the_new_key(
    make: MakeHarness,
) -> None:
    old_key, new_key = "o" * 40, "n" * 40
    old = make(secret_key=old_key)
    old.open("/flash?m=Signed with the old key")
    cookie = old.jar()
    assert cookie is not None

    rotated = make(secret_key=new_key, fallback_keys=[old_key])
    rotated.load_jar(cookie)
    peeked = rotated.open("/show?peek=1")
    assert peeked.body == [["message", "Signed with the old key"]]
    assert peeked.set_cookies == []  # unchanged state is not rewritten
    rotated.open("/flash?m=Added after rotation")
    rewritten = rotated.jar()
    assert rewritten is not None

    # Each write is a cookie of its own: the new one is signed with the
    # new key, the old one keeps verifying through the fallback key.
    only_new = make(secret_key=new_key)
    only_new.load_jar(rewritten)
    assert only_new.open("/show?peek=1").body == [["message", "Added after rotation"]]
    only_old = make(secret_key=old_key)
    only_old.load_jar(rewritten)
    assert only_old.open("/show").body == [["message", "Signed with the old key"]]


def test_expired_flash_reads_as_empty_and_is_deleted(
    make: MakeHarness, clock: FakeClock
) -> None:
    harness = make(max_age=60)
    harness.open("/flash?m=Hello")
    clock.advance(60)
    assert harness.open("/show?peek=1").body == [["message", "Hello"]]
    clock.advance(1)
    expired = harness.open("/show")
    assert expired.body == []
    assert DELETED in expired.set_cookies[0]


def test_max_age_is_sent_to_the_browser(make: MakeHarness) -> None:
    harness = make(max_age=120)
    assert "Max-Age=120" in harness.open("/flash").set_cookies[0]


def test_future_timestamp_beyond_skew_is_invalid(
    make: MakeHarness, clock: FakeClock
) -> None:
    harness = make()
    harness.open("/flash?m=From a fast clock")
    clock.advance(-CLOCK_SKEW)
    assert harness.open("/show?peek=1").body == [["message", "From a fast clock"]]
    clock.advance(-1)
    assert harness.open("/show").body == []


def test_cookie_moved_to_another_name_does_not_verify(make: MakeHarness) -> None:
    source = make()
    source.open("/flash?m=Hello")
    value = source.jar()
    assert value is not None
    target = make(cookie_name="notice")
    target.load_jar(value.replace("flash.", "notice."))
    assert target.open("/show").body == []
    # Nor under another write's name of the same cookie_name.
    moved = make()
    _, _, rest = value.partition("=")
    moved.load_jar(f"flash.AAAAAAAA1={rest}")
    assert moved.open("/show").body == []


def test_overflow_drops_the_oldest_and_logs(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = make(max_total_size=1200)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        for number in range(12):
            harness.open(f"/flash?m=Message number {number:02d} with some text")
    written = [len(c) for c in harness.open("/show?peek=1").set_cookies]
    assert written == []
    shown = harness.open("/show").body
    assert 0 < len(shown) < 12
    assert shown[-1] == ["message", "Message number 11 with some text"]
    assert [m for _, m in shown] == sorted(m for _, m in shown)
    assert "dropped" in caplog.text


def test_written_cookies_never_exceed_max_cookie_size(make: MakeHarness) -> None:
    harness = make(max_cookie_size=400)
    for number in range(12):
        response = harness.open(f"/flash?m={'x' * 30}{number}")
        assert all(len(c.encode()) <= 400 for c in response.set_cookies)


def test_a_message_too_big_for_any_cookie_is_dropped(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = make(max_cookie_size=300)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        response = harness.open(f"/flash?m={'x' * 400}")
    assert response.set_cookies == []
    assert "dropped the 1 oldest" in caplog.text


def test_overflow_error_raises_from_the_call_and_keeps_the_rest(
    make: MakeHarness,
) -> None:
    harness = make(max_cookie_size=300, on_overflow="error")
    harness.open("/flash?m=Small")
    with pytest.raises(FlashOverflowError, match="max_cookie_size=300"):
        harness.open(f"/flash?m={'x' * 300}")
    assert harness.open("/show").body == [["message", "Small"]]


def test_message_count_cap_evicts_the_oldest(
    make: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = make(max_messages=3)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        harness.open("/flash?m=1|2|3|4|5")
    assert harness.open("/show").body == [["message", m] for m in "345"]
    assert "dropped the 2 oldest" in caplog.text


def test_message_count_cap_with_error_raises(make: MakeHarness) -> None:
    harness = make(max_messages=2, on_overflow="error")
    with pytest.raises(FlashOverflowError, match="max_messages=2"):
        harness.open("/flash?m=1|2|3")


def test_secure_exactly_on_https(make: MakeHarness) -> None:
    plain = make().open("/flash").set_cookies[0]
    secure = make(https=True).open("/flash").set_cookies[0]
    assert "Secure" not in plain
    assert "; Secure" in secure


@pytest.mark.parametrize(("secure", "https"), [(True, False), (False, True)])
def test_explicit_secure_wins_over_the_scheme(
    make: MakeHarness, secure: bool, https: bool
) -> None:
    written = make(secure=secure, https=https).open("/flash").set_cookies[0]
    assert ("; Secure" in written) is secure


def test_default_attributes_and_deletion(harness: Harness) -> None:
    written = harness.open("/flash").set_cookies[0]
    for attribute in ("HttpOnly", "Path=/", "SameSite=Lax", "Max-Age=3600"):
        assert attribute in written
    deleted = harness.open("/show").set_cookies[0]
    assert deleted.startswith("flash.")
    assert "=;" in deleted
    for attribute in (
        "Max-Age=0",
        "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "HttpOnly",
        "Path=/",
        "SameSite=Lax",
    ):
        assert attribute in deleted


def test_host_prefixed_cookie(make: MakeHarness) -> None:
    harness = make(cookie_name="__Host-flash", https=True)
    written = harness.open("/flash?m=Hello").set_cookies[0]
    assert written.startswith("__Host-flash.")
    assert "; Secure" in written
    assert "Path=/" in written
    assert "Domain" not in written
    assert harness.open("/show").body == [["message", "Hello"]]


def test_invalid_cookie_is_deleted_on_the_next_touching_response(
    harness: Harness,
) -> None:
    harness.put_in_jar("not-a-signed-value")
    assert harness.open("/ignore").set_cookies == []
    shown = harness.open("/show")
    assert shown.body == []
    assert DELETED in shown.set_cookies[0]
    assert harness.jar() is None


def test_a_flash_read_in_the_same_request_is_not_written(harness: Harness) -> None:
    response = harness.open("/status?s=200&m=Shown now")
    assert response.body == ["Shown now"]
    assert response.set_cookies == []


def test_messages_survive_with_a_different_secret_never(make: MakeHarness) -> None:
    first = make(secret_key="a" * 40)
    first.open("/flash?m=Hello")
    value = first.jar()
    assert value is not None
    other = make(secret_key=SECRET)
    other.put_in_jar(value)
    assert other.open("/show").body == []


def test_put_overflow_error_keeps_the_previous_value(make: MakeHarness) -> None:
    harness = make(max_cookie_size=300, on_overflow="error")
    harness.open("/put?k=info&v=Small")
    with pytest.raises(FlashOverflowError):
        harness.open(f"/put?k=info&v={'x' * 300}")
    assert harness.open("/get?k=info").body == {"info": "Small"}


def test_clearing_nothing_writes_nothing(harness: Harness) -> None:
    assert harness.open("/clear").set_cookies == []
    assert harness.open("/clear?k=info").set_cookies == []
