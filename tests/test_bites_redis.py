"""RedisStore behaviours that mutation testing found unpinned (issue 16).

What an operator sees of a RedisStore: the keys it writes, the commands the
server runs, the connections it holds and closes, how often it tries a
server that does not answer. Against the real ``redis-server`` of
``test_store.py``, or a socket that never answers.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio

from flashmw.redis import DEFAULT_TIMEOUT, RedisStore

from .harness import FakeClock, WSGIHarness
from .test_store import (  # noqa: F401 (fixtures)
    REDIS_SERVER,
    RedisServer,
    _store_calls,
    db,
    redis_server,
)
from .test_store_protocol import _flash_long


def _connected(server: redis.Redis) -> int:
    """Clients connected to the server, the inspecting one included."""
    return len(server.client_list())


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A listening socket that accepts nothing and never answers."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield listening


def _accepted(listening: socket.socket) -> int:
    """How many connections reached ``listening`` (and close them)."""
    listening.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = listening.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def test_a_store_writes_under_its_prefix_and_reads_in_one_round_trip(
    redis_server: RedisServer,  # noqa: F811
    db: redis.Redis,  # noqa: F811
    clock: FakeClock,
) -> None:
    store = RedisStore(redis.Redis(port=redis_server.port), prefix="app1:")
    assert store.prefix == "app1:"
    assert store.timeout == DEFAULT_TIMEOUT
    harness = WSGIHarness(store=store, clock=clock)
    _flash_long(harness)
    assert db.dbsize() == 1
    assert len(db.keys("app1:*")) == 1
    db.config_resetstat()
    assert len(harness.open("/show").body) == 40
    assert _store_calls(db) == {"getdel": 1}  # no MULTI/EXEC around it
    store.close()


def test_an_async_store_reads_without_a_transaction(
    redis_server: RedisServer,  # noqa: F811
    db: redis.Redis,  # noqa: F811
) -> None:
    store = RedisStore(redis.asyncio.Redis(port=redis_server.port), timeout=2)
    assert store.timeout == 2

    async def scenario() -> list[bytes | None]:
        await store.put("k", b"v", 60)
        taken = await store.take(["k", "missing"])
        await store.aclose()
        return taken

    db.config_resetstat()
    assert asyncio.run(scenario()) == [b"v", None]
    calls = _store_calls(db)
    assert (calls["set"], calls["getdel"]) == (1, 2)
    assert "multi" not in calls
    assert db.dbsize() == 0


def test_closing_a_store_closes_its_own_connections_only(
    redis_server: RedisServer,  # noqa: F811
    db: redis.Redis,  # noqa: F811
) -> None:
    client = redis.Redis(port=redis_server.port)
    client.ping()
    before = _connected(db)
    store = RedisStore(client)
    store.put("k", b"v", 60)
    assert _connected(db) == before + 1  # a pool of its own
    store.close()
    assert _connected(db) == before
    assert client.ping()  # the client it was given still works
    client.close()


def test_closing_an_async_store_closes_its_own_connections_only(
    redis_server: RedisServer,  # noqa: F811
    db: redis.Redis,  # noqa: F811
) -> None:
    async def scenario() -> tuple[int, int, int]:
        client = redis.asyncio.Redis(port=redis_server.port)
        await client.ping()
        before = _connected(db)
        store = RedisStore(client)
        await store.put("k", b"v", 60)
        during = _connected(db)
        await store.aclose()
        after = _connected(db)
        assert await client.ping()
        await client.aclose()
        return before, during, after

    before, during, after = asyncio.run(scenario())
    assert during == before + 1
    assert after == before


def test_a_store_on_a_pool_it_cannot_copy_leaves_that_pool_open(
    redis_server: RedisServer,  # noqa: F811
    db: redis.Redis,  # noqa: F811
) -> None:
    class Unique(redis.ConnectionPool):
        """A pool that cannot be made again from its settings."""

        def __init__(self, *, port: int) -> None:
            super().__init__(port=port)

    client = redis.Redis(connection_pool=Unique(port=redis_server.port))
    store = RedisStore(client)
    store.put("k", b"v", 60)  # through the client's own pool
    before = _connected(db)
    store.close()
    assert _connected(db) == before  # not the store's to close
    assert client.get("flashmw:k") == b"v"
    client.close()


def test_a_store_never_retries_a_server_that_does_not_answer(
    silent: socket.socket,
) -> None:
    # The client asks for a retry on timeouts; the store makes one try only.
    port = silent.getsockname()[1]
    client = redis.Redis(port=port, retry_on_error=[redis.TimeoutError])
    store = RedisStore(client, timeout=0.05)
    with pytest.raises(redis.TimeoutError):
        store.take(["key"])
    assert _accepted(silent) == 1
    store.close()


def test_an_async_store_never_retries_a_server_that_does_not_answer(
    silent: socket.socket,
) -> None:
    port = silent.getsockname()[1]
    store = RedisStore(
        redis.asyncio.Redis(port=port, retry_on_error=[redis.TimeoutError]),
        timeout=0.05,
    )

    async def scenario() -> None:
        try:
            with pytest.raises(redis.TimeoutError):
                await store.take(["key"])
        finally:
            await store.aclose()

    asyncio.run(scenario())
    assert _accepted(silent) == 1


def test_a_store_times_out_on_a_connection_the_server_never_accepts() -> None:
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        # One connection fills the backlog: the next one waits forever.
        with socket.create_connection(("127.0.0.1", port)):
            store = RedisStore(
                redis.Redis(port=port, socket_connect_timeout=30), timeout=0.05
            )
            with pytest.raises(redis.TimeoutError, match="connecting"):
                store.put("key", b"value", 1)
            store.close()


def test_the_store_names_its_server_and_database() -> None:
    client = redis.Redis(port=6390, db=3)
    assert repr(RedisStore(client)) == "<SyncRedisStore localhost:6390 db=3>"
    unix = redis.Redis(unix_socket_path="/run/redis/redis.sock")
    assert repr(RedisStore(unix)) == "<SyncRedisStore /run/redis/redis.sock db=0>"
    client.close()
    unix.close()


@pytest.mark.parametrize("timeout", [-1, float("inf")])
def test_redis_store_refuses_a_timeout_that_never_ends_or_is_negative(
    timeout: float,
) -> None:
    client = redis.Redis()
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        RedisStore(client, timeout=timeout)
    client.close()


def test_redis_store_takes_an_int_timeout() -> None:
    client = redis.Redis()
    assert RedisStore(client, timeout=1).timeout == 1
    client.close()


@pytest.fixture
def unix_server(tmp_path: Path) -> Iterator[str]:
    """A redis-server listening on a Unix socket only; yields the socket's path."""
    path = tmp_path / "redis.sock"
    process = subprocess.Popen(  # noqa: S603 (a fixed, trusted binary)
        [
            REDIS_SERVER,
            "--port",
            "0",
            "--unixsocket",
            str(path),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(unix_socket_path=str(path))
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                client.ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.02)
        yield str(path)
    finally:
        client.close()
        process.kill()
        process.wait()


def test_a_store_on_a_unix_socket_keeps_its_connection_class(unix_server: str) -> None:
    store = RedisStore(redis.Redis(unix_socket_path=unix_server))
    assert repr(store) == f"<SyncRedisStore {unix_server} db=0>"
    store.put("k", b"v", 60)
    assert store.take(["k"]) == [b"v"]
    store.close()


def test_a_store_keeps_the_client_s_connection_limit(unix_server: str) -> None:
    client = redis.asyncio.Redis(unix_socket_path=unix_server, max_connections=1)
    store = RedisStore(client)

    async def overlapping() -> list[object]:
        try:
            both = asyncio.gather(
                store.take(["a"]), store.take(["b"]), return_exceptions=True
            )
            return list(await both)
        finally:
            await store.aclose()
            await client.aclose()

    first, second = asyncio.run(overlapping())
    assert first == [None]
    assert isinstance(second, redis.ConnectionError)  # too many connections
