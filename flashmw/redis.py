"""A flash store on Redis or Valkey: :class:`RedisStore` (``flashmw[redis]``).

::

    import redis
    from flashmw.redis import RedisStore

    app = FlashMiddleware(app, secret_key=SECRET, store=RedisStore(redis.Redis()))

For ASGI, give it a ``redis.asyncio.Redis``. Values are written with
``SET key value EX ttl`` and read with ``GETDEL`` (Redis 6.2 or later,
any Valkey), in one round trip for all the keys a request reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, overload

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

#: Seconds a store call may take before it counts as failed: a page waits
#: for it, and a store that is slow is treated as one that is down.
DEFAULT_TIMEOUT = 0.25
#: What every key starts with, so the flash's keys are easy to find.
DEFAULT_PREFIX = "flashmw:"


def _bounded(client: Any, timeout: float, retry: Any) -> tuple[Any, bool]:
    """Return a client on ``client``'s server whose calls take at most ``timeout``.

    Redis clients wait 5 seconds and retry by default: a new pool with the
    same connection settings, short timeouts and no retries makes a server
    that is down or slow cost one ``timeout``. A pool that cannot be copied
    this way (Sentinel's) is used as it is, with its own timeouts; the
    second item tells whether the client is ours to close.
    """
    pool = client.connection_pool
    settings = {
        **pool.connection_kwargs,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": retry,
        "decode_responses": False,  # values are bytes
    }
    try:
        bounded = type(pool)(
            connection_class=pool.connection_class,
            max_connections=pool.max_connections,
            **settings,
        )
    except TypeError:
        return client, False
    return type(client)(connection_pool=bounded), True


class RedisStore:
    """Flash values in Redis or Valkey, for :mod:`flashmw.store`.

    ``RedisStore(redis.Redis(...))`` is a :class:`~flashmw.store.Store`
    (WSGI); ``RedisStore(redis.asyncio.Redis(...))`` an
    :class:`~flashmw.store.AsyncStore` (ASGI). The client's server,
    database and credentials are used through a pool of the store's own,
    whose calls time out after ``timeout`` seconds and are never retried.

    :param client: a ``redis.Redis`` or ``redis.asyncio.Redis``.
    :param timeout: seconds a call may take (connecting included).
    :param prefix: what every key starts with.
    :raises ValueError: for a client or option it cannot work with.
    """

    _client: Any
    _owned: bool
    prefix: str
    timeout: float

    @overload
    def __new__(
        cls,
        client: redis.asyncio.Redis,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
    ) -> AsyncRedisStore: ...

    @overload
    def __new__(
        cls,
        client: redis.Redis,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
    ) -> SyncRedisStore: ...

    def __new__(
        cls,
        client: redis.Redis | redis.asyncio.Redis,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = DEFAULT_PREFIX,
    ) -> RedisStore:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise ValueError(f"timeout must be a number of seconds, got {timeout!r}")
        if not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number, got {timeout!r}")
        if not isinstance(prefix, str):
            raise ValueError(f"prefix must be a str, got {prefix!r}")
        store: RedisStore
        if isinstance(client, redis.asyncio.Redis):
            store = object.__new__(AsyncRedisStore)
            retry: Any = AsyncRetry(NoBackoff(), 0)
        elif isinstance(client, redis.Redis):
            store = object.__new__(SyncRedisStore)
            retry = Retry(NoBackoff(), 0)
        else:
            raise ValueError(
                "client must be a redis.Redis (WSGI) or redis.asyncio.Redis "
                f"(ASGI), got {client!r}"
            )
        store._client, store._owned = _bounded(client, timeout, retry)
        store.prefix = prefix
        store.timeout = timeout
        return store

    def __repr__(self) -> str:
        kwargs = self._client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"<{type(self).__name__} {where} db={kwargs.get('db', 0)}>"


class SyncRedisStore(RedisStore):
    """:class:`RedisStore` on a ``redis.Redis``: a :class:`~flashmw.store.Store`."""

    def put(self, key: str, data: bytes, ttl: int) -> None:
        """``SET key data EX ttl``."""
        self._client.set(self.prefix + key, data, ex=ttl)

    def take(self, keys: Sequence[str]) -> list[bytes | None]:
        """``GETDEL`` each key, in one round trip."""
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.getdel(self.prefix + key)
        taken: list[bytes | None] = pipe.execute()
        return taken

    def close(self) -> None:
        """Close the store's connections (not those of a client it shares)."""
        if self._owned:
            self._client.close()
            self._client.connection_pool.disconnect()


class AsyncRedisStore(RedisStore):
    """:class:`RedisStore` on a ``redis.asyncio.Redis``: an async store."""

    async def put(self, key: str, data: bytes, ttl: int) -> None:
        """``SET key data EX ttl``."""
        await self._client.set(self.prefix + key, data, ex=ttl)

    async def take(self, keys: Sequence[str]) -> list[bytes | None]:
        """``GETDEL`` each key, in one round trip."""
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.getdel(self.prefix + key)
        taken: list[bytes | None] = await pipe.execute()
        return taken

    async def aclose(self) -> None:
        """Close the store's connections (not those of a client it shares)."""
        if self._owned:
            await self._client.aclose()
            await self._client.connection_pool.disconnect()
