"""The server-side store (``store=``), against a real ``redis-server``.

Each test session starts Debian's ``redis-server`` on a free 127.0.0.1 port
(no persistence, a temporary directory) and stops it after; the tests that
kill and restart a server get one of their own. Without the binary the
tests are skipped with one line saying how to enable them. The contract
tests run on both adapters through the ``make`` fixture: WSGI with a
``redis.Redis`` client, ASGI with a ``redis.asyncio.Redis`` one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel
from markupsafe import Markup

from flashmw import ASGIFlashMiddleware, Flash, FlashMiddleware
from flashmw.redis import DEFAULT_TIMEOUT, RedisStore
from flashmw.testing import read_flash

from .conftest import MakeHarness
from .harness import (
    ROUTES,
    SECRET,
    ASGIHarness,
    FakeClock,
    Harness,
    Reply,
    WSGIHarness,
    call_asgi,
    http_scope,
    scenario_asgi_app,
    split_header,
)
from .test_store_protocol import LONG, _flash_long, _free_port, _reference_names
from .test_values import ROUND_TRIPS, same

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NO_REDIS = "install redis-server (apt-get install redis-server) to run the store tests"
DELETED = "Max-Age=0"
if not Path(REDIS_SERVER).exists():
    pytest.skip(NO_REDIS, allow_module_level=True)


class RedisServer:
    """A real redis-server process on 127.0.0.1, started and stopped here."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (a fixed, trusted binary)
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = self.client()
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.02)
            finally:
                client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A server this test may kill and restart."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def db(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """The shared server, empty; a client to inspect it."""
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()


Build = Callable[..., Harness]


@pytest.fixture
def build(request: pytest.FixtureRequest, make: MakeHarness) -> Iterator[Build]:
    """``build(server, timeout=..., **options)``: a harness with a RedisStore.

    WSGI gets a ``redis.Redis`` client, ASGI a ``redis.asyncio.Redis``.
    """
    adapter = request.node.callspec.params["make"]
    closers: list[Callable[[], None]] = []

    def factory(
        server: RedisServer, timeout: float = DEFAULT_TIMEOUT, **options: Any
    ) -> Harness:
        if adapter == "wsgi":
            store: Any = RedisStore(redis.Redis(port=server.port), timeout=timeout)
            harness = make(store=store, **options)
            closers.append(store.close)
        else:
            store = RedisStore(redis.asyncio.Redis(port=server.port), timeout=timeout)
            harness = make(store=store, **options)
            loop = harness.loop  # type: ignore[attr-defined]
            closers.append(lambda: loop.run_until_complete(store.aclose()))
        return harness

    yield factory
    for close in closers:
        close()


def _jar_size(harness: Harness) -> int:
    jar = harness.jar()
    return 0 if jar is None else sum(len(n) + len(v) + 3 for n, v in split_header(jar))


def _store_calls(db: redis.Redis) -> dict[str, int]:
    """The commands the server ran since ``CONFIG RESETSTAT``, by name."""
    return {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in db.info("commandstats").items()
        if name != "cmdstat_config|resetstat"
    }


# -- contract: both adapters ---------------------------------------------


def test_a_large_flash_round_trips_through_the_store(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    _flash_long(harness)
    assert len(_reference_names(harness)) == 1
    assert _jar_size(harness) <= 4096  # what a browser sends stays small
    assert db.dbsize() == 1
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == [["error", LONG.format(i)] for i in range(40)]
    assert any(DELETED in header for header in shown.set_cookies)
    assert harness.jar() is None
    assert db.dbsize() == 0  # taken: GETDEL
    assert harness.open("/show").body == []


def test_what_fits_stays_inline_and_keeps_its_order(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    harness.open("/flash?c=info&m=Saved.")
    _flash_long(harness, 20)
    harness.open("/flash?c=info&m=Sent.")
    assert db.dbsize() == 1
    assert len(_reference_names(harness)) == 1
    shown = harness.open("/show")
    assert shown.body == [
        ["info", "Saved."],
        *(["error", LONG.format(i)] for i in range(20)),
        ["info", "Sent."],
    ]


def test_every_value_type_round_trips_through_the_store(
    build: Build,
    db: redis.Redis,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = {str(i): p.values[0] for i, p in enumerate(ROUND_TRIPS)}
    messages = [("c", p.values[0]) for p in ROUND_TRIPS]
    seen: list[tuple[list[Any], list[tuple[str, Any]]]] = []

    def put_all(flash: Flash, args: dict[str, str]) -> Reply:
        for category, message in messages:
            flash.add(message, category)
        for key, value in values.items():
            flash.put(key, value)
        return Reply(302, "stored")

    def capture(flash: Flash, args: dict[str, str]) -> Reply:
        seen.append((flash.get_flashed_messages(with_categories=True), flash.items()))
        return Reply()

    monkeypatch.setitem(ROUTES, "/put-all", put_all)
    monkeypatch.setitem(ROUTES, "/capture", capture)
    # Room for the references only: everything else goes to the store.
    harness = build(redis_server, max_total_size=1000)
    harness.open("/put-all")
    assert db.dbsize() == 2  # the messages, and the keyed values
    harness.open("/capture")
    ((shown, items),) = seen
    assert same(shown, messages)
    assert same(dict(items), values)
    assert any(isinstance(value, Markup) for _, value in items)
    assert db.dbsize() == 0


def test_the_store_keeps_values_for_max_age_by_its_own_ttl(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server, max_age=600)
    _flash_long(harness)
    (key,) = db.keys("flashmw:*")
    assert 590_000 < db.pttl(key) <= 600_000
    # The server expires it (a past expiry time deletes it at once): the
    # reference has nothing to show, and the page still answers.
    assert db.pexpireat(key, 1)
    assert db.exists(key) == 0
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []


def test_an_expired_reference_is_deleted_and_shows_nothing(
    build: Build, db: redis.Redis, redis_server: RedisServer, clock: FakeClock
) -> None:
    harness = build(redis_server, max_age=600)
    _flash_long(harness)
    clock.advance(601)
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []
    assert any(DELETED in header for header in shown.set_cookies)
    assert harness.jar() is None


def test_a_value_put_back_keeps_only_the_time_it_had_left(
    build: Build, db: redis.Redis, redis_server: RedisServer, clock: FakeClock
) -> None:
    harness = build(redis_server, max_age=600)
    _flash_long(harness)
    clock.advance(200)
    peeked = harness.open("/show?peek=1")
    assert len(peeked.body) == 40
    assert peeked.set_cookies == []  # the reference is unchanged
    (key,) = db.keys("flashmw:*")
    assert 390_000 < db.pttl(key) <= 400_000
    assert len(harness.open("/show").body) == 40
    assert db.dbsize() == 0


@pytest.mark.parametrize(
    "path",
    ["/show?peek=1", "/keep", "/status?s=503", "/show?c=info", "/ignore"],
)
def test_a_response_that_consumes_nothing_puts_the_value_back(
    build: Build, db: redis.Redis, redis_server: RedisServer, path: str
) -> None:
    harness = build(redis_server)
    _flash_long(harness)
    assert harness.open(path).status in (200, 503)
    assert db.dbsize() == 1
    assert len(harness.open("/show").body) == 40
    assert db.dbsize() == 0


def test_a_failing_app_puts_back_what_it_took(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    _flash_long(harness)
    with pytest.raises(RuntimeError, match="the app failed"):
        harness.open("/raise")
    assert db.dbsize() == 1
    assert len(harness.open("/show").body) == 40


def test_keyed_values_in_the_store_follow_reads_and_clears(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    big = "x" * 5000
    harness.open(f"/put?k=info&v={big}")
    harness.open("/put?k=error&v=Small.")
    assert db.dbsize() == 1
    assert harness.open("/get?k=error").body == {"error": "Small."}
    assert db.dbsize() == 1  # put back: info was not read
    assert harness.open("/get?k=info").body == {"info": big}
    assert db.dbsize() == 0
    harness.open(f"/put?k=info&v={big}")
    harness.open("/clear")
    assert harness.open("/get?k=info").body == {"info": None}
    assert _reference_names(harness) == []  # only the clear's mark is left
    assert db.dbsize() == 0


def test_a_prefetch_sees_what_is_inline_and_never_calls_the_store(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    harness.open("/flash?c=info&m=Saved.")
    _flash_long(harness)
    db.config_resetstat()
    prefetch = harness.open("/show", headers={"Sec-Purpose": "prefetch"})
    assert prefetch.body == [["info", "Saved."]]
    assert _store_calls(db) == {}
    assert len(harness.open("/show").body) == 41


def test_requests_without_references_never_call_the_store(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    harness.open("/flash?m=Small.")
    db.config_resetstat()
    harness.open("/ignore")
    assert harness.open("/show").body == [["message", "Small."]]
    harness.open("/flash?m=Small again.")
    assert _store_calls(db) == {}


def test_an_untouched_wsgi_request_never_calls_the_store(
    db: redis.Redis, redis_server: RedisServer, clock: FakeClock
) -> None:
    store = RedisStore(redis.Redis(port=redis_server.port))
    harness = WSGIHarness(store=store, clock=clock)
    _flash_long(harness)
    db.config_resetstat()
    untouched = harness.open("/ignore")
    assert untouched.set_cookies == []
    assert untouched.get("Vary") is None
    assert _store_calls(db) == {}
    store.close()


def test_an_asgi_request_with_a_reference_reads_it_ahead_and_puts_it_back(
    db: redis.Redis, redis_server: RedisServer, clock: FakeClock
) -> None:
    # The flash API is sync and the client async: the adapter reads the
    # references before the app runs, whether or not the app reads them.
    store = RedisStore(redis.asyncio.Redis(port=redis_server.port))
    harness = ASGIHarness(store=store, clock=clock)
    try:
        _flash_long(harness)
        db.config_resetstat()
        untouched = harness.open("/ignore")
        assert untouched.set_cookies == []
        assert _store_calls(db) == {"getdel": 1, "set": 1}
        assert len(harness.open("/show").body) == 40
    finally:
        harness.loop.run_until_complete(store.aclose())
        harness.close()


# -- concurrency -----------------------------------------------------------


def _concurrent_bodies(harness: Harness, cookie: str, count: int) -> list[Any]:
    """``count`` requests for ``/show``, all at once, all with ``cookie``."""
    if isinstance(harness.app, FlashMiddleware):
        with ThreadPoolExecutor(max_workers=count) as pool:
            results = list(
                pool.map(lambda _: harness.raw(cookie.encode()), range(count))
            )
        assert {result.status for result in results} == {200}
        return [result.body for result in results]

    async def one() -> Any:
        scope = http_scope("/show", headers=[(b"cookie", cookie.encode())])
        sent = await call_asgi(harness.app, scope)
        assert sent[0]["status"] == 200
        return json.loads(sent[-1]["body"])

    async def all_at_once() -> list[Any]:
        return list(await asyncio.gather(*(one() for _ in range(count))))

    loop: asyncio.AbstractEventLoop = harness.loop  # type: ignore[attr-defined]
    return loop.run_until_complete(all_at_once())


def test_fifty_overlapping_requests_show_each_stored_entry_once(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    # Fifty connections opened at once on a loaded two-core machine can take
    # longer than the default 0.25 s; this test is about who shows what.
    harness = build(redis_server, timeout=10)
    for category in ("error", "warning", "info"):
        _flash_long(harness, 12, category)
    assert db.dbsize() == 3
    cookie = harness.jar()
    assert cookie is not None
    bodies = _concurrent_bodies(harness, cookie, 50)
    shown = [tuple(message) for body in bodies for message in body]
    expected = [
        (category, LONG.format(i))
        for category in ("error", "warning", "info")
        for i in range(12)
    ]
    assert sorted(shown) == sorted(expected)  # each exactly once
    assert db.dbsize() == 0


# -- failures --------------------------------------------------------------


def test_a_server_killed_mid_test_never_fails_a_page(
    build: Build,
    own_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness = build(own_server)
    harness.open("/flash?c=info&m=Saved.")
    _flash_long(harness, 20)
    stored = _reference_names(harness)
    own_server.kill()

    with caplog.at_level(logging.WARNING, logger="flashmw"):
        shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == [["info", "Saved."]]  # what is inline
    assert "could not read the stored flash" in caplog.text
    assert _reference_names(harness) == stored  # left for a later request

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        written = harness.open(
            "/flash?c=late&m=" + "|".join(LONG.format(i) for i in range(20))
        )
    assert written.status == 302
    assert "could not store 1 flash cookie(s)" in caplog.text
    assert "ConnectionError" in caplog.text
    assert "dropped the" in caplog.text  # what did not fit inline
    assert _jar_size(harness) <= 4096

    own_server.start()  # an empty server: the old value is gone
    shown = harness.open("/show")
    assert shown.status == 200
    late = [m for m in shown.body if m[0] == "late"]
    assert 0 < len(late) < 20  # inline as far as it fits, newest kept
    assert late[-1] == ["late", LONG.format(19)]
    assert not [m for m in shown.body if m[0] == "error"]


def test_a_value_taken_when_the_server_dies_is_never_shown_twice(
    build: Build,
    own_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def peek_and_kill(flash: Flash, args: dict[str, str]) -> Reply:
        shown = flash.get_flashed_messages(consume=False)
        own_server.kill()  # before the response puts the value back
        return Reply(body=len(shown))

    monkeypatch.setitem(ROUTES, "/peek-and-kill", peek_and_kill)
    harness = build(own_server)
    _flash_long(harness)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        peeked = harness.open("/peek-and-kill")
    assert peeked.status == 200
    assert peeked.body == 40
    assert "could not put 1 flash value(s) back" in caplog.text
    own_server.start()
    assert harness.open("/show").body == []


def test_a_restarted_server_serves_again(build: Build, own_server: RedisServer) -> None:
    harness = build(own_server)
    own_server.kill()
    assert harness.open("/show").status == 200
    _flash_long(harness, 5)  # fits inline: no store needed
    own_server.start()
    _flash_long(harness)
    assert len(_reference_names(harness)) == 1
    shown = harness.open("/show")
    assert [m for m in shown.body if m[1] == LONG.format(39)]
    assert len(shown.body) == 45


def test_a_failing_app_whose_store_died_logs_what_is_lost(
    build: Build,
    own_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def read_kill_raise(flash: Flash, args: dict[str, str]) -> Reply:
        flash.get_flashed_messages()
        own_server.kill()
        raise RuntimeError("the app failed after its store died")

    monkeypatch.setitem(ROUTES, "/read-kill-raise", read_kill_raise)
    harness = build(own_server)
    _flash_long(harness)
    with (
        caplog.at_level(logging.WARNING, logger="flashmw"),
        pytest.raises(RuntimeError, match="its store died"),
    ):
        harness.open("/read-kill-raise")
    assert "back in AsyncRedisStore after the request failed" in caplog.text or (
        "back in SyncRedisStore after the request failed" in caplog.text
    )
    assert "after the request failed (ConnectionError" in caplog.text


# -- what a reference may hold ---------------------------------------------


def _signed(harness: Harness, document: Any) -> str:
    mw = harness.app
    value: str = mw._signer.sign(mw.serializer.dumps(document), mw._clock())
    return value


STAMP = [1_800_000_000_000, "abcdefgh", 1]


@pytest.mark.parametrize(
    "document",
    [
        [[["key", "m"], ["key2", "m"]], [["r", ["abcdefgh0r", [STAMP]]]]],
        [[["key", "m"]], [["m", ["abcdefgh0r", [STAMP]]]]],
        [[["key", "m"]], [["r", ["abcdefgh0r"]]]],
        [[["key", "m"]], [["r", "abcdefgh0r"]]],
        [[["key", "m"]], [["r", ["another0r", [STAMP]]]]],
        [[["key", "x"]], [["r", ["abcdefgh0r", [STAMP]]]]],
        [[["", "m"]], [["r", ["abcdefgh0r", [STAMP]]]]],
        [[["key", "m"]], [["r", ["abcdefgh0r", [STAMP, STAMP]]]]],
        [[["key", "m"]], [["r", ["abcdefgh0r", [[1, 2, 3]]]]]],
    ],
    ids=[
        "two-keys",
        "not-a-reference",
        "no-stamps",
        "body-not-a-pair",
        "other-name",
        "marks",
        "empty-key",
        "two-stamps",
        "bad-stamp",
    ],
)
def test_a_malformed_reference_reads_as_empty_and_is_deleted(
    build: Build, db: redis.Redis, redis_server: RedisServer, document: Any
) -> None:
    harness = build(redis_server)
    harness.put_in_jar(_signed(harness, document), name="flash.abcdefgh0r")
    db.config_resetstat()
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []
    assert any("flash.abcdefgh0r=;" in h and DELETED in h for h in shown.set_cookies)
    assert "getdel" not in _store_calls(db)


def test_a_reference_read_without_a_store_is_deleted(
    build: Build, db: redis.Redis, redis_server: RedisServer, make: MakeHarness
) -> None:
    harness = build(redis_server)
    _flash_long(harness)
    cookie = harness.jar()
    assert cookie is not None
    plain = make()  # the store switched off: what it held is out of reach
    plain.load_jar(cookie)
    shown = plain.open("/show")
    assert shown.status == 200
    assert shown.body == []
    assert any(DELETED in header for header in shown.set_cookies)


def test_a_bad_stored_value_reads_as_empty_and_its_reference_goes(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    _flash_long(harness)
    (key,) = db.keys("flashmw:*")
    db.set(key, b"not a signed flash value")
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []
    assert _reference_names(harness) == []


def test_a_stored_value_of_marks_is_refused(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    _flash_long(harness)
    (key,) = db.keys("flashmw:*")
    (name,) = _reference_names(harness)
    suffix = name.removeprefix("flash.")
    marks = [[["", 1]], [["x", [suffix, [[*STAMP, 1_800_000_000]]]]]]
    db.set(key, _signed(harness, marks).encode())
    shown = harness.open("/show")
    assert shown.body == []
    assert _reference_names(harness) == []


def test_a_reference_whose_value_is_gone_waits_until_a_clear_hides_it(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    harness.open("/flash?c=info&m=Saved.")
    _flash_long(harness)
    (key,) = db.keys("flashmw:*")
    db.delete(key)  # taken by an overlapping request, say
    shown = harness.open("/show?peek=1")
    assert shown.body == [["info", "Saved."]]
    assert len(_reference_names(harness)) == 1  # it may still be put back
    harness.open("/clear")
    assert _reference_names(harness) == []


def test_entries_stamped_before_max_age_are_gone_stored_or_waiting(
    build: Build,
    db: redis.Redis,
    redis_server: RedisServer,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow_write(flash: Flash, args: dict[str, str]) -> Reply:
        flash.get_flashed_messages(consume=False)  # the stamp is taken here
        clock.advance(30)  # and the cookies are signed 30 s later
        # Two references: one for the messages, one for the keyed values.
        for i in range(20):
            flash.add(LONG.format(i), "info")
            flash.put(f"key{i}", LONG.format(i))
        return Reply(302)

    monkeypatch.setitem(ROUTES, "/slow-write", slow_write)
    harness = build(redis_server, max_age=600)
    harness.open("/slow-write")
    assert db.dbsize() == 2
    db.delete(db.keys("flashmw:*")[0])  # one of them is waiting
    clock.advance(590)  # the stamps are older than max_age, not the cookies
    shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []
    assert _reference_names(harness) == []


def test_references_that_do_not_fit_either_are_dropped_whole(
    build: Build,
    db: redis.Redis,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    harness = build(redis_server, max_total_size=450)
    messages = "|".join(LONG.format(i) for i in range(10))
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        for category in ("a", "b", "c"):
            harness.open(f"/flash?c={category}&m={messages}")
    assert "dropped the 10 oldest" in caplog.text
    assert len(_reference_names(harness)) == 2
    shown = harness.open("/show")
    assert [m[0] for m in shown.body] == ["b"] * 10 + ["c"] * 10


def test_a_message_smaller_than_a_reference_is_not_sent_to_the_store(
    build: Build,
    db: redis.Redis,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    harness = build(redis_server, max_total_size=500)
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        for text in ("One.", "Two.", "Three."):
            harness.open(f"/flash?c={text}&m={text}")
    assert db.dbsize() == 0
    assert "dropped the 1 oldest" in caplog.text
    assert harness.open("/show").body == [["Two.", "Two."], ["Three.", "Three."]]


# -- stores that misbehave, and options ------------------------------------


def test_a_flash_written_outside_the_asgi_adapter_stays_inline(
    db: redis.Redis, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Flash._with_headers is the entry point of any adapter; without the
    # ASGI adapter's await, an async store cannot be called.
    store = RedisStore(redis.asyncio.Redis(port=redis_server.port))
    mw = ASGIFlashMiddleware(scenario_asgi_app, secret_key=SECRET, store=store)
    flash = Flash(mw, _NoHeaders())
    flash.add("x" * 5000)
    flash.add("Small.")
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        headers = flash._core._with_headers(200, [], "Vary", "Set-Cookie")
    assert "dropped the 1 oldest" in caplog.text
    (set_cookie,) = [v for n, v in headers if n == "Set-Cookie"]
    state = read_flash(mw, [("Set-Cookie", set_cookie)])
    assert state is not None
    assert state.messages == [("message", "Small.")]
    assert db.dbsize() == 0


class _NoHeaders:
    def get(self, name: str) -> str | None:
        return None

    def keys(self) -> frozenset[str]:
        return frozenset()


def test_read_flash_verifies_references_and_leaves_what_they_hold(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server)
    messages = "|".join(LONG.format(i) for i in range(20))
    written = harness.open(f"/flash?c=error&m={messages}")
    state = read_flash(harness.app, written.headers)
    assert state is not None
    assert not state  # stored, not inline
    assert db.dbsize() == 1  # and still there: nothing was taken


def test_on_overflow_error_counts_the_store_as_room(
    build: Build, db: redis.Redis, redis_server: RedisServer
) -> None:
    harness = build(redis_server, on_overflow="error")
    _flash_long(harness)  # 20 KB: no FlashOverflowError, the store takes it
    assert db.dbsize() == 1
    assert len(harness.open("/show").body) == 40
