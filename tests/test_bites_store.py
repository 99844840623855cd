"""Store rules that mutation testing found unpinned (issue 16).

Each test is a behaviour a user (or an operator reading the log) sees, run
against the real ``redis-server`` of ``test_store.py``: which writes go to
the store at the exact size limits, which references wait and which are
deleted at the exact age limits, what the WARNINGs name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio

from flashmw import ASGIFlashMiddleware, Flash, FlashMiddleware
from flashmw.redis import DEFAULT_PREFIX, RedisStore
from flashmw.store import decode_reference
from flashmw.testing import read_flash

from .harness import (
    ROUTES,
    SECRET,
    ASGIHarness,
    FakeClock,
    Harness,
    Reply,
    WSGIHarness,
    field_headers,
    scenario_asgi_app,
    scenario_wsgi_app,
    split_header,
)
from .test_bites_base_2 import MemoryStore
from .test_store import (  # noqa: F401 (fixtures)
    DELETED,
    Build,
    RedisServer,
    _jar_size,
    _signed,
    build,
    db,
    own_server,
    redis_server,
)
from .test_store_protocol import LONG, AsyncOnly, BrokenStore, _flash_long

MakeWSGI = Callable[..., WSGIHarness]


@pytest.fixture
def wsgi(redis_server: RedisServer, clock: FakeClock) -> Iterator[MakeWSGI]:  # noqa: F811
    """``wsgi(**options)``: a WSGI harness with its own RedisStore."""
    stores: list[Any] = []

    def factory(**options: Any) -> WSGIHarness:
        store = RedisStore(redis.Redis(port=redis_server.port))
        stores.append(store)
        return WSGIHarness(store=store, clock=clock, **options)

    yield factory
    for store in stores:
        store.close()


def _names(harness: Harness) -> dict[str, str]:
    return dict(split_header(harness.jar() or ""))


def _references(harness: Harness) -> list[str]:
    return [name for name in _names(harness) if name.endswith("r")]


def _store_name(harness: Harness) -> str:
    return type(harness.app.store).__name__


# -- sizes: exactly at a limit stays inline, one byte over goes to the store


MESSAGE = "m" * 1000  # larger than a reference: worth sending to the store


def test_a_waiting_reference_counts_its_exact_size_against_max_total_size(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
) -> None:
    def waiting_then_message(harness: WSGIHarness) -> tuple[Any, Any]:
        _flash_long(harness)
        (key,) = db.keys(f"{DEFAULT_PREFIX}*")
        value = db.getdel(key)  # taken by an overlapping request: it waits
        harness.open(f"/flash?c=info&m={MESSAGE}")
        return key, value

    probe = wsgi()
    waiting_then_message(probe)
    total = _jar_size(probe)
    db.flushall()
    for limit, stored in ((total, 0), (total - 1, 1)):
        harness = wsgi(max_total_size=limit)
        key, value = waiting_then_message(harness)
        assert db.dbsize() == stored
        db.set(key, value)  # back again: everything shows
        shown = harness.open("/show").body
        assert shown == [
            *(["error", LONG.format(i)] for i in range(40)),
            ["info", MESSAGE],
        ]
        db.flushall()


def test_a_new_reference_counts_its_exact_size_against_max_total_size(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
) -> None:
    small = "s" * 300

    def small_then_long(harness: WSGIHarness) -> None:
        harness.open(f"/flash?c=info&m={small}")
        _flash_long(harness)

    probe = wsgi()
    small_then_long(probe)
    total = _jar_size(probe)
    long = [["error", LONG.format(i)] for i in range(40)]
    for limit, shown in ((total, [["info", small], *long]), (total - 1, long)):
        harness = wsgi(max_total_size=limit)
        small_then_long(harness)
        assert harness.open("/show").body == shown  # the oldest goes first
        db.flushall()


@pytest.mark.parametrize(
    "before",
    [pytest.param("", id="first write"), pytest.param("hello", id="beside a cookie")],
)
def test_a_cookie_of_exactly_max_cookie_size_stays_inline(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    before: str,
) -> None:
    # A first write and one beside a cookie the browser holds plan by
    # different routes: the limit is the same for both.
    text = "c" * 1500

    def write(harness: WSGIHarness) -> Any:
        if before:
            harness.open(f"/flash?c=info&m={before}")
        return harness.open(f"/flash?c=info&m={text}")

    (header,) = [h for h in write(wsgi()).set_cookies if DELETED not in h]
    size = len(header)
    shown = [["info", before]] if before else []
    for limit, stored in ((size, 0), (size - 1, 1)):
        harness = wsgi(max_cookie_size=limit)
        write(harness)
        assert db.dbsize() == stored
        assert harness.open("/show").body == [*shown, ["info", text]]
        db.flushall()


def test_a_reference_of_messages_is_dropped_before_an_older_keyed_value(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    value = "v" * 600

    def value_then_messages(harness: WSGIHarness) -> None:
        harness.open(f"/put?k=info&v={value}")
        _flash_long(harness)

    probe = wsgi()
    value_then_messages(probe)
    total = _jar_size(probe)
    db.flushall()
    harness = wsgi(max_total_size=total - 1)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        value_then_messages(harness)
    assert "dropped the 40 oldest" in caplog.text
    assert harness.open("/show").body == []  # list messages go first
    assert harness.open("/get?k=info").body == {"info": value}


def _swap(flash: Flash, args: dict[str, str]) -> Reply:
    flash.get_flashed_messages()
    flash.add("b" * 1500, "info")
    return Reply()


def test_a_cookie_the_response_deletes_leaves_room_for_its_writes(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ROUTES, "/swap", _swap)
    harness = wsgi(max_total_size=3000)
    harness.open(f"/flash?c=info&m={'a' * 1500}")
    harness.open("/swap")  # shows the first, writes the second in its place
    assert db.dbsize() == 0
    assert harness.open("/show").body == [["info", "b" * 1500]]


def test_a_cookie_the_response_keeps_counts_against_its_writes(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
) -> None:
    harness = wsgi(max_total_size=3000)
    harness.open(f"/put?k=info&v={'k' * 1500}")
    harness.open(f"/flash?c=info&m={'b' * 1500}")
    assert db.dbsize() == 1  # the value stays inline, the message goes
    assert harness.open("/show").body == [["info", "b" * 1500]]
    assert harness.open("/get?k=info").body == {"info": "k" * 1500}


def _two(flash: Flash, args: dict[str, str]) -> Reply:
    # Two cookies of one response: its list messages and its keyed values.
    flash.add("t" * 800, "aa")
    flash.put("bb", "t" * 790)
    return Reply(302)


def test_the_store_takes_as_few_cookies_as_the_total_size_needs(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ROUTES, "/two", _two)
    probe = wsgi()
    probe.open("/two")
    cookies = _names(probe)
    assert db.dbsize() == 0
    assert len(cookies) == 2
    inline_total = _jar_size(probe)
    largest = max(len(name) + len(value) + 3 for name, value in cookies.items())
    probe = wsgi(max_total_size=inline_total - 1)
    probe.open("/two")
    assert db.dbsize() == 1  # the largest goes, and that is enough
    (reference,) = _references(probe)
    referred = len(reference) + len(_names(probe)[reference]) + 3
    db.flushall()
    # One reference in place of the largest cookie is one byte short: both
    # are needed.
    limit = inline_total - (largest - referred) - 1
    harness = wsgi(max_total_size=limit)
    harness.open("/two")
    assert db.dbsize() == 2
    assert len(_references(harness)) == 2
    assert _jar_size(harness) <= limit
    assert harness.open("/show").body == [["aa", "t" * 800]]
    assert harness.open("/get?k=bb").body == {"bb": "t" * 790}


def test_store_keys_carry_128_random_bits(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
) -> None:
    _flash_long(wsgi())
    (key,) = db.keys(f"{DEFAULT_PREFIX}*")
    assert len(key) == len(DEFAULT_PREFIX) + 22  # 16 bytes, base64url


# -- ages: exactly max_age still waits, a moment more is gone ------------------


def test_a_value_put_back_with_under_a_second_left_lives_one_second(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    clock: FakeClock,
) -> None:
    harness = wsgi(max_age=600)
    _flash_long(harness)
    clock.advance(599.5)
    assert len(harness.open("/show?peek=1").body) == 40
    (key,) = db.keys(f"{DEFAULT_PREFIX}*")
    assert 0 < db.pttl(key) <= 1000


def test_a_reference_whose_value_is_briefly_gone_still_waits_later(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    clock: FakeClock,
) -> None:
    harness = wsgi(max_age=600)
    _flash_long(harness)
    (key,) = db.keys(f"{DEFAULT_PREFIX}*")
    value = db.getdel(key)
    assert isinstance(value, bytes)
    clock.advance(100)
    shown = harness.open("/show")
    assert shown.body == []
    assert shown.set_cookies == []  # it waits
    db.set(key, value)
    assert len(harness.open("/show").body) == 40


def _slow_write(clock: FakeClock) -> Callable[[Flash, dict[str, str]], Reply]:
    def route(flash: Flash, args: dict[str, str]) -> Reply:
        flash.get_flashed_messages(consume=False)  # the stamp is taken here
        clock.advance(30)  # and the cookies are signed 30 s later
        for i in range(20):
            flash.add(LONG.format(i), "stored")
        return Reply(302)

    return route


@pytest.mark.parametrize(
    "age_waits", [(600, True), (600.5, False)], ids=["max-age", "older"]
)
def test_a_waiting_reference_lives_exactly_max_age_from_its_stamp(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    age_waits: tuple[float, bool],
) -> None:
    age, waits = age_waits
    monkeypatch.setitem(ROUTES, "/slow-write", _slow_write(clock))
    harness = wsgi(max_age=600)
    harness.open("/slow-write")
    (reference,) = _references(harness)
    db.flushall()  # its value is gone: it waits
    clock.advance(age - 30)
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []
    deleted = any(f"{reference}=;" in h and DELETED in h for h in shown.set_cookies)
    assert deleted is not waits
    assert (_references(harness) == [reference]) is waits


def test_stored_entries_older_than_max_age_are_not_shown(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ROUTES, "/slow-write", _slow_write(clock))
    harness = wsgi(max_age=600)
    harness.open("/slow-write")
    clock.advance(570.5)  # the stamps are 600.5 s old, the cookies 570.5 s
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []
    assert _references(harness) == []


def test_a_reference_older_than_a_clear_it_missed_is_deleted(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    clock: FakeClock,
) -> None:
    harness = wsgi()
    _flash_long(harness)
    (reference,) = _references(harness)
    old = _names(harness)[reference]
    clock.advance(1)
    harness.open("/clear")
    # A response that overlapped the clear sets the reference again; its
    # value went with the clear.
    harness.put_in_jar(old, name=reference)
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []
    assert any(f"{reference}=;" in h and DELETED in h for h in shown.set_cookies)
    assert _references(harness) == []


# -- several references: one bad value spoils nothing else ------------------


def test_a_bad_stored_value_leaves_the_other_references_readable(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
) -> None:
    for bad in (0, 1):
        harness = wsgi()
        _flash_long(harness, 20, "first")
        _flash_long(harness, 20, "second")
        keys = sorted(db.keys(f"{DEFAULT_PREFIX}*"))
        assert len(keys) == 2
        db.set(keys[bad], b"not a signed flash value")
        shown = harness.open("/show")
        assert shown.status == 200
        assert len(shown.body) == 20
        assert len({category for category, _ in shown.body}) == 1
        assert _references(harness) == []
        db.flushall()


def test_the_debug_log_names_the_reference_whose_stored_value_is_bad(
    wsgi: MakeWSGI,
    db: redis.Redis,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    harness = wsgi()
    _flash_long(harness)
    (key,) = db.keys(f"{DEFAULT_PREFIX}*")
    (reference,) = _references(harness)
    suffix = reference.removeprefix("flash.")
    stamp = [1_800_000_000_000, "abcdefgh", 1, 1_800_000_000]
    db.set(key, _signed(harness, [[["", 1]], [["x", [suffix, [stamp]]]]]).encode())
    with caplog.at_level(logging.DEBUG, logger="flashmw"):
        assert harness.open("/show").body == []
    messages = [record.getMessage() for record in caplog.records]
    assert [m for m in messages if reference in m and "holds marks" in m]


def test_an_asgi_request_reads_ahead_past_a_bad_reference(
    redis_server: RedisServer,  # noqa: F811
    db: redis.Redis,  # noqa: F811
    clock: FakeClock,
) -> None:
    store = RedisStore(redis.asyncio.Redis(port=redis_server.port))
    harness = ASGIHarness(store=store, clock=clock)
    try:
        _flash_long(harness)
        jar = harness.jar()
        assert jar is not None
        shown = harness.raw(f"flash.aaaaaaaa0r=forged; {jar}".encode())
        assert shown.status == 200
        assert len(shown.body) == 40
    finally:
        harness.loop.run_until_complete(store.aclose())
        harness.close()


# -- what the WARNINGs name ------------------------------------------------


def test_a_failed_read_names_the_store_and_the_error(
    build: Build,  # noqa: F811
    own_server: RedisServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    harness = build(own_server)
    _flash_long(harness)
    own_server.kill()
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        assert harness.open("/show").status == 200
    name = _store_name(harness)
    assert f"could not read the stored flash from {name} (ConnectionError" in (
        caplog.text
    )


def _show_and_flash_two(flash: Flash, args: dict[str, str]) -> Reply:
    shown = flash.get_flashed_messages()
    for text in LATE:
        flash.add(text, "late")
    return Reply(body=shown)


LATE = ["L" * 600, "M" * 600]  # one cookie too large, two that fit


def test_a_failed_write_still_consumes_what_the_response_showed(
    build: Build,  # noqa: F811
    own_server: RedisServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ROUTES, "/show-and-flash-two", _show_and_flash_two)
    harness = build(own_server, max_cookie_size=1200)
    harness.open("/flash?c=info&m=Seen.")
    own_server.kill()
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        shown = harness.open("/show-and-flash-two")
    assert shown.body == ["Seen."]
    name = _store_name(harness)
    assert f"could not store 1 flash cookie(s) in {name} (ConnectionError" in (
        caplog.text
    )
    assert "dropped the" not in caplog.text  # inline, in two cookies
    own_server.start()
    assert harness.open("/show").body == [["late", text] for text in LATE]


def test_a_value_that_cannot_be_put_back_names_the_store_and_the_error(
    build: Build,  # noqa: F811
    own_server: RedisServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def peek_and_kill(flash: Flash, args: dict[str, str]) -> Reply:
        shown = flash.get_flashed_messages(consume=False)
        own_server.kill()
        return Reply(body=len(shown))

    monkeypatch.setitem(ROUTES, "/peek-and-kill", peek_and_kill)
    harness = build(own_server)
    _flash_long(harness)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        assert harness.open("/peek-and-kill").body == 40
    name = _store_name(harness)
    assert f"put 1 flash value(s) back in {name} (ConnectionError" in caplog.text


# -- an async store outside the ASGI adapter --------------------------------


def test_an_async_store_outside_the_adapter_leaves_references_waiting(
    redis_server: RedisServer,  # noqa: F811
    db: redis.Redis,  # noqa: F811
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisStore(redis.asyncio.Redis(port=redis_server.port))
    harness = ASGIHarness(store=store, clock=clock)
    try:
        harness.open("/flash?c=info&m=Small.")
        _flash_long(harness)
        jar = harness.jar()
        assert jar is not None
        flash = Flash(harness.app, field_headers(cookie=jar))
        with caplog.at_level(logging.WARNING, logger="flashmw"):
            assert flash.get_flashed_messages() == ["Small."]
            headers = flash._core._with_headers(200, [], "Vary", "Set-Cookie")
        assert caplog.records == []
        assert db.dbsize() == 1  # never taken
        set_cookies = [value for name, value in headers if name == "Set-Cookie"]
        assert any(DELETED in value for value in set_cookies)  # Small. is gone
    finally:
        harness.loop.run_until_complete(store.aclose())
        harness.close()


# -- options and what read_flash accepts --------------------------------------


def test_a_store_of_the_wrong_kind_is_refused_naming_the_right_client() -> None:
    with pytest.raises(ValueError, match=r"RedisStore\(redis\.Redis\(\.\.\.\)\)"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, store=AsyncOnly())
    with pytest.raises(
        ValueError, match=r"RedisStore\(redis\.asyncio\.Redis\(\.\.\.\)\)"
    ):
        ASGIFlashMiddleware(
            scenario_asgi_app, secret_key=SECRET, store=BrokenStore(None)
        )


def test_read_flash_refuses_a_reference_whose_body_is_not_a_pair(
    wsgi: MakeWSGI,
) -> None:
    harness = wsgi()
    for body in (5, ["abcdefgh0r"]):
        value = _signed(harness, [[["key", "m"]], [["r", body]]])
        with pytest.raises(ValueError, match="does not verify"):
            read_flash(harness.app, [("Set-Cookie", f"flash.abcdefgh0r={value}")])


# -- a bad stored value among good ones ---------------------------------------


@pytest.mark.parametrize("bad", [0, 1])
def test_a_bad_stored_value_loses_none_of_the_references_beside_it(
    bad: int, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Two requests each left a reference; one stored value is corrupt. The
    # other request's messages still show, whichever the browser sends first.
    store = MemoryStore()
    harness = ASGIHarness(store=store, clock=clock)
    try:
        _flash_long(harness, 20, "error")
        clock.advance(1)
        _flash_long(harness, 20, "info")
        jar = split_header(harness.jar() or "")
        references = [(name, raw) for name, raw in jar if name.endswith("r")]
        assert len(references) == 2 == len(store.values)
        # In the order the browser sends them: the first, or the second.
        key = decode_reference(harness.app, *references[bad], clock()).key
        store.values[key] = b"not a flash value"
        with caplog.at_level(logging.DEBUG, logger="flashmw"):
            shown = harness.open("/show").body
        assert len(shown) == 20
        assert len({category for category, _ in shown}) == 1
        assert "ignored the stored value" in caplog.text
        assert store.values == {}
    finally:
        harness.close()
