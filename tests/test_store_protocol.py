"""The store protocol and RedisStore's options, without a Redis server.

Misbehaving stores are small classes here; everything about what a real
store does is in ``test_store.py``, against a real ``redis-server``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
from collections.abc import Sequence
from typing import Any

import pytest
import redis
import redis.asyncio.sentinel
import redis.sentinel

from flashmw import ASGIFlashMiddleware, FlashMiddleware
from flashmw.redis import RedisStore
from flashmw.store import Store

from .harness import (
    SECRET,
    FakeClock,
    Harness,
    WSGIHarness,
    scenario_asgi_app,
    scenario_wsgi_app,
    split_header,
)

#: A message of 500 bytes; 40 of them make a flash of 20 KB.
LONG = "Line {:02d}: " + "the field 'address' is not a valid postal address. " * 9


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _flash_long(harness: Harness, count: int = 40, category: str = "error") -> None:
    messages = "|".join(LONG.format(i) for i in range(count))
    assert harness.open(f"/flash?c={category}&m={messages}").status == 302


def _reference_names(harness: Harness) -> list[str]:
    jar = harness.jar() or ""
    return [name for name, _ in split_header(jar) if name.endswith("r")]


class BrokenStore:
    """A sync store whose ``take`` answers nonsense."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.values: dict[str, bytes] = {}

    def put(self, key: str, data: bytes, ttl: int) -> None:
        self.values[key] = data

    def take(self, keys: Sequence[str]) -> Any:
        return self.answer


@pytest.mark.parametrize(
    "answer", [None, [], ["text"], [b"a", b"b"]], ids=["none", "short", "str", "long"]
)
def test_a_store_answering_nonsense_is_a_failed_read(
    answer: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = BrokenStore(answer)
    harness = WSGIHarness(store=store, clock=clock)
    _flash_long(harness)
    assert len(store.values) == 1
    with caplog.at_level(logging.WARNING, logger="flashmw"):
        shown = harness.open("/show")
    assert shown.status == 200
    assert shown.body == []
    assert "could not read the stored flash from BrokenStore (TypeError" in caplog.text
    assert len(_reference_names(harness)) == 1


class AsyncOnly:
    async def put(self, key: str, data: bytes, ttl: int) -> None:
        """Nothing."""

    async def take(self, keys: Sequence[str]) -> list[bytes | None]:
        return [None] * len(keys)


def test_the_store_option_is_checked_at_construction() -> None:
    with pytest.raises(ValueError, match="store must have put"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, store=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="store must have sync put and take"):
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, store=AsyncOnly())
    with pytest.raises(ValueError, match="store must have async put and take"):
        ASGIFlashMiddleware(
            scenario_asgi_app, secret_key=SECRET, store=BrokenStore(None)
        )
    sync: Store = BrokenStore(None)
    assert (
        FlashMiddleware(scenario_wsgi_app, secret_key=SECRET, store=sync).store is sync
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": math.nan}, "timeout must be a positive number"),
        ({"timeout": True}, "timeout must be a number of seconds"),
        ({"timeout": "1"}, "timeout must be a number of seconds"),
        ({"prefix": b"x"}, "prefix must be a str"),
    ],
)
def test_redis_store_options_are_checked(options: dict[str, Any], words: str) -> None:
    client = redis.Redis()
    with pytest.raises(ValueError, match=words):
        RedisStore(client, **options)
    client.close()


def test_redis_store_needs_a_redis_client() -> None:
    with pytest.raises(ValueError, match=r"client must be a redis\.Redis"):
        RedisStore("redis://localhost")  # type: ignore[call-overload]


def test_redis_store_times_out_on_a_server_that_does_not_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A listening socket that never answers: a server that hangs.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        store = RedisStore(redis.Redis(port=silent.getsockname()[1]), timeout=0.05)
        assert (
            repr(store) == f"<SyncRedisStore localhost:{silent.getsockname()[1]} db=0>"
        )
        with pytest.raises(redis.TimeoutError):
            store.take(["key"])
        store.close()


def test_redis_store_uses_a_pool_it_cannot_copy_as_it_is() -> None:
    sentinel = redis.sentinel.Sentinel([("127.0.0.1", _free_port())])  # type: ignore[no-untyped-call]
    client = sentinel.master_for("flash")  # type: ignore[no-untyped-call]
    store = RedisStore(client)
    assert store._client is client
    store.close()  # not ours: left open
    client.close()


def test_an_async_redis_store_leaves_a_pool_it_cannot_copy_open() -> None:
    sentinel = redis.asyncio.sentinel.Sentinel([("127.0.0.1", _free_port())])  # type: ignore[no-untyped-call]
    client = sentinel.master_for("flash")
    store = RedisStore(client)
    assert store._client is client
    asyncio.run(store.aclose())
