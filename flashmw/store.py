"""A server-side store for flashes that outgrow the cookies (opt-in: ``store=``).

The cookies keep what fits inline. A cookie a response writes that would
not fit (more than ``max_cookie_size`` bytes, or past ``max_total_size``
with the others) goes to the store whole, under a random key, for
``max_age`` seconds; the browser gets a *reference* instead: a small signed
cookie of its own kind (``"r"``), whose name ends in ``r``, holding the key,
the kind of what is stored and the newest stamp in it. What the store holds
is exactly the signed (or sealed) value that cookie would have had, bound
to the reference's name: the same serializer, the same key ring, and a
store that is written to by someone else cannot inject a message.

Reading takes: a request that reads its flash takes every referenced value
from the store in one atomic read-and-delete (``GETDEL``), so of two
overlapping requests only one gets (and shows) a stored entry; the other
sees the reference without its entries and leaves it alone. The response
then follows the layout (:mod:`flashmw.layout`): a reference whose entries
were all consumed is deleted with the cookie; one it keeps (a peek,
``keep()``, a 5xx or 304, entries nobody read) has its value put back,
unchanged, for the rest of its time. A request nobody sees (prefetch,
``HEAD``, sub-resources) never calls the store: it sees what is inline.

Failures never fail a page. A write whose values cannot be stored keeps
inline what fits and drops the rest, oldest first, with a WARNING naming
the failure; a read that fails shows what is inline and leaves the
references for a later request; a value that cannot be put back is lost,
with a WARNING.

This module holds the rules; the adapters only call :func:`take`,
:func:`put` (WSGI) or :func:`take_async`, :func:`put_async` (ASGI) on what
the rules ask for, and a store bounds its own time (see
:class:`flashmw.redis.RedisStore`).
"""

from __future__ import annotations

import inspect
import logging
import math
import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from .cookies import find_cookies
from .layout import (
    MESSAGES,
    VALUES,
    Changes,
    Entry,
    Loaded,
    Out,
    Stamp,
    Stored,
    _encode,
    _pairs_document,
    _stamp,
    _triple,
    decode,
    resolve,
)

if TYPE_CHECKING:
    from .base import BaseFlashMiddleware
    from .state import FlashCore

logger = logging.getLogger("flashmw")

#: The kind of a reference cookie, and the last character of its name.
REFERENCE = "r"
_KEY_BYTES = 16  # 128 random bits: keys are never guessed or reused

#: Takes the values under some keys: one per key, ``None`` when missing.
Taker = Callable[[Sequence[str]], Sequence["bytes | None"]]
#: One value to store: key, data, seconds to live.
Put = tuple[str, bytes, int]


class Store(Protocol):
    """What :class:`~flashmw.FlashMiddleware` (WSGI) needs of a store.

    Both calls must return or raise within a short time (a fraction of a
    second): the request waits for them. Any exception is a failure the
    middleware survives.
    """

    def put(self, key: str, data: bytes, ttl: int) -> None:
        """Store ``data`` under ``key`` for ``ttl`` seconds (>= 1)."""

    def take(self, keys: Sequence[str]) -> Sequence[bytes | None]:
        """Return and delete the value of each key, ``None`` where there is none.

        Each key's read and delete must be one atomic operation (Redis:
        ``GETDEL``): of concurrent calls, exactly one gets the value.
        """


class AsyncStore(Protocol):
    """What :class:`~flashmw.ASGIFlashMiddleware` needs: :class:`Store`, awaited."""

    async def put(self, key: str, data: bytes, ttl: int) -> None:
        """Store ``data`` under ``key`` for ``ttl`` seconds (>= 1)."""

    async def take(self, keys: Sequence[str]) -> Sequence[bytes | None]:
        """Return and delete the value of each key atomically (see :class:`Store`)."""


# -- cookies that point into the store ---------------------------------


class Reference(Out):
    """A reference a response sets, and the value it puts in the store."""

    __slots__ = ("key", "blob")
    whole = True  # its entries are in the store: drop it whole or not at all

    def __init__(self, suffix: str, kind: str, entries: list[Entry]) -> None:
        super().__init__(suffix, kind, entries)
        self.key = ""
        self.blob = b""


class Waiting(Stored):
    """A reference read whose entries are not here (yet)."""

    __slots__ = ("key", "stamp")

    def __init__(self, name: str, size: int, key: str, stamp: Stamp) -> None:
        super().__init__(name, REFERENCE, size)
        self.key = key
        self.stamp = stamp


class Taken(Stored):
    """A reference whose entries this request took from the store."""

    __slots__ = ("key", "blob")

    def __init__(self, waiting: Waiting, read: Stored, blob: bytes) -> None:
        super().__init__(waiting.name, read.kind, waiting.size)
        self.key = waiting.key
        self.blob = blob
        self.entries = read.entries
        for entry in self.entries:
            entry.source = id(self)


def is_reference(mw: BaseFlashMiddleware[Any], name: str) -> bool:
    """Tell whether a flash cookie's name is that of a reference."""
    return name[-1] == REFERENCE and name != mw.cookie_name


def has_references(mw: BaseFlashMiddleware[Any], header: str | None) -> bool:
    """Tell whether a ``Cookie`` header carries a reference (no decoding)."""
    if not header:
        return False
    found = find_cookies(header, mw.cookie_name)
    return any(is_reference(mw, name) for name, _ in found)


def decode_reference(
    mw: BaseFlashMiddleware[Any], name: str, raw: str, now: float
) -> Waiting:
    """Verify and decode a reference cookie.

    The document is ``[[[key, kind]], [["r", [suffix, [stamp]]]]]``, the
    shape of every flash cookie.

    :raises ValueError: for anything but a reference this layout wrote.
    """
    document = mw.serializer.loads(mw._signer.unsign(raw, now))
    entries, meta = _pairs_document(document)
    if len(entries) != 1 or len(meta) != 1 or meta[0][0] != REFERENCE:
        raise ValueError("payload is not a flash reference")
    key, kind = entries[0]
    body = meta[0][1]
    if type(body) not in (list, tuple) or len(body) != 2:
        raise ValueError("payload is not a flash reference")
    suffix, stamps = body
    if suffix != name[len(mw.cookie_name) + 1 :]:
        raise ValueError("payload belongs to another cookie name")
    if kind not in (MESSAGES, VALUES) or not key:
        raise ValueError("payload is not a flash reference")
    if type(stamps) not in (list, tuple) or len(stamps) != 1:
        raise ValueError("malformed stamp")
    return Waiting(name, len(name) + len(raw) + 3, key, _triple(_stamp(stamps[0], 3)))


def load(
    mw: BaseFlashMiddleware[Any],
    stored: list[Stored],
    take: Taker | None,
    now: float,
) -> Loaded:
    """Resolve the cookies read, with the entries their references point to.

    Every reference's value is taken from the store in one call (none when
    ``take`` is ``None``: a request nobody sees). A reference whose value is
    missing, or could not be read, waits: it is left as it is, unless it
    has expired or a newer ``clear()`` hides it.
    """
    waiting = [cookie for cookie in stored if isinstance(cookie, Waiting)]
    blobs: Sequence[bytes | None] = [None] * len(waiting)
    if waiting and take is not None:
        blobs = take([cookie.key for cookie in waiting])
    cookies = [cookie for cookie in stored if not isinstance(cookie, Waiting)]
    left: list[Waiting] = []
    bad: list[Stored] = []
    for cookie, blob in zip(waiting, blobs, strict=True):
        if blob is None:
            left.append(cookie)
            continue
        try:
            read = decode(mw, cookie.name, blob.decode("ascii"), now)
            if read.kind not in (MESSAGES, VALUES):
                raise ValueError("a stored value holds marks")
        # Whatever the serializer raises: a bad value reads as nothing.
        except Exception as exc:  # noqa: BLE001
            logger.debug("flashmw ignored the stored value of %s: %s", cookie.name, exc)
            bad.append(cookie)
            continue
        cookies.append(Taken(cookie, read, blob))
    now_ms = int(now * 1000)
    loaded = resolve(
        cookies, mw.max_age * 1000, now_ms, [cookie.stamp for cookie in left]
    )
    loaded.garbage.extend(bad)
    everything = loaded.marks.get(None)
    oldest = now_ms - mw.max_age * 1000
    for cookie in left:
        loaded.newest = max(loaded.newest, cookie.stamp[0])
        if cookie.stamp[0] < oldest or (
            everything is not None and cookie.stamp <= everything[1]
        ):
            loaded.garbage.append(cookie)
        else:
            loaded.waiting.append(cookie)
    return loaded


# -- writing -----------------------------------------------------------


def offload(
    mw: BaseFlashMiddleware[Any],
    loaded: Loaded,
    changes: Changes,
    now: float,
    https: bool,
) -> None:
    """Turn the cookies a response sets that do not fit into references.

    First every cookie larger than ``max_cookie_size``, then the largest
    ones while the flash cookies together exceed ``max_total_size``. What
    is still over a limit afterwards is the layout's to drop.
    """
    writer = mw._writers[https]
    prefix = len(mw.cookie_name) + 1
    outs = changes.outs
    for index, out in enumerate(outs):
        if out.kind in (MESSAGES, VALUES) and (
            writer.size(prefix + len(out.suffix), len(out.value)) > mw.max_cookie_size
        ):
            outs[index] = _refer(mw, out, now)
    drop = changes.drop
    size = sum(
        cookie.size
        for cookie in (*loaded.cookies, *loaded.mark_cookies, *loaded.waiting)
        if not cookie.legacy and cookie.name not in drop
    ) + sum(out.size for out in outs)
    while size > mw.max_total_size:
        inline = [out for out in outs if out.kind != "x" and not out.whole]
        if not inline:
            return
        largest = max(inline, key=_size)
        reference = _refer(mw, largest, now)
        if reference.size >= largest.size:
            return  # the rest is smaller than a reference: nothing to gain
        outs[outs.index(largest)] = reference
        size -= largest.size - reference.size


def _size(out: Out) -> int:
    return out.size


def _refer(mw: BaseFlashMiddleware[Any], out: Out, now: float) -> Reference:
    """Return a reference to ``out``'s entries, and their value to store."""
    reference = Reference(out.suffix + REFERENCE, out.kind, out.entries)
    stored = Out(reference.suffix, out.kind, out.entries)
    _encode(mw, stored, now)
    reference.entries = stored.entries  # less any that no longer encode
    reference.blob = stored.value.encode("ascii")
    reference.key = secrets.token_urlsafe(_KEY_BYTES)
    newest = max(entry.stamp for entry in reference.entries)
    document = [
        [[reference.key, out.kind]],
        [[REFERENCE, [reference.suffix, [list(newest)]]]],
    ]
    reference.value = mw._signer.sign(mw.serializer.dumps(document), now)
    reference.size = prefix_size(mw, reference.suffix) + len(reference.value) + 2
    return reference


def prefix_size(mw: BaseFlashMiddleware[Any], suffix: str) -> int:
    """Bytes of ``name=`` in the ``Cookie`` header for a flash cookie."""
    return len(mw.cookie_name) + 1 + len(suffix) + 1


# -- what a response stores ---------------------------------------------


class Session:
    """The store's part of one request: what it read, and what it settled."""

    # No reference to its flash: the flash holds this, and the two would
    # make a cycle that only the cyclic GC frees, on every request.
    __slots__ = ("ahead", "changes")

    def __init__(self) -> None:
        self.ahead: dict[str, bytes | None] | None = None  # read ahead (ASGI)
        self.changes: Changes | None = None  # the response's, once stored

    def read(self, flash: FlashCore, keys: Sequence[str]) -> Sequence[bytes | None]:
        """Return the stored values for ``keys``.

        With ``flash`` bound, the :data:`Taker` of ``_load``.
        """
        # Nobody sees an unseen request: what is inline is enough. An async
        # store can only be awaited by the ASGI adapter, which reads ahead
        # before the app runs; what it did not read waits.
        if flash.unseen or self.ahead is not None or flash._mw._store_async:
            ahead = {} if flash.unseen or self.ahead is None else self.ahead
            return [ahead.get(key) for key in keys]
        return take(cast(Store, flash._mw.store), keys)


class Work:
    """What a response must store before its cookies are final."""

    __slots__ = ("consume", "changes", "puts", "put_backs")

    def __init__(self, consume: bool, changes: Changes, puts: list[Put]) -> None:
        self.consume = consume
        self.changes = changes
        self.puts = puts  # new references' values
        self.put_backs: list[Put] = []  # values taken and still referenced

    @property
    def all(self) -> list[Put]:
        """Every value to store, new ones first."""
        return [*self.puts, *self.put_backs]


def plan(flash: FlashCore, consume: bool) -> Work:
    """Plan a response with the store: what to set, delete and store."""
    mw = flash._mw
    changes = flash._plan(consume=consume, store=True)
    puts = [
        (out.key, out.blob, mw.max_age)
        for out in changes.outs
        if isinstance(out, Reference)
    ]
    work = Work(consume, changes, puts)
    loaded = flash._loaded
    assert loaded is not None
    now = mw._clock()
    for cookie in loaded.cookies:
        if isinstance(cookie, Taken) and cookie.name not in changes.drop:
            work.put_backs.append((cookie.key, cookie.blob, _left(mw, cookie, now)))
    return work


def _left(mw: BaseFlashMiddleware[Any], cookie: Stored, now: float) -> int:
    """Seconds a stored value has left: its reference expires with its entries."""
    written = min(entry.stamp[0] for entry in cookie.entries) / 1000
    return max(1, math.ceil(mw.max_age - (now - written)))


def finish(flash: FlashCore, work: Work, errors: Sequence[Exception | None]) -> Changes:
    """Settle the response's cookies once its values were stored (or not)."""
    session = flash._store
    assert session is not None
    changes = work.changes
    failed = [error for error in errors[: len(work.puts)] if error is not None]
    if failed:
        logger.warning(
            "flashmw could not store %d flash cookie(s) in %s (%s); what fits "
            "stays in the cookies and the rest is dropped",
            len(failed),
            type(flash._mw.store).__name__,
            _describe(failed[0]),
        )
        changes = flash._plan(consume=work.consume, store=False)
    lost = [error for error in errors[len(work.puts) :] if error is not None]
    if lost:
        logger.warning(
            "flashmw could not put %d flash value(s) back in %s (%s): the "
            "messages they held are lost",
            len(lost),
            type(flash._mw.store).__name__,
            _describe(lost[0]),
        )
    session.changes = changes
    return changes


def restore_work(flash: FlashCore) -> list[Put]:
    """Return the values to put back when a request fails before its response.

    Nothing was shown then: everything taken goes back.
    """
    session = flash._store
    loaded = flash._loaded
    if session is None or session.changes is not None or loaded is None:
        return []
    session.changes = Changes()  # settled: nothing more is stored
    now = flash._mw._clock()
    return [
        (cookie.key, cookie.blob, _left(flash._mw, cookie, now))
        for cookie in loaded.cookies
        if isinstance(cookie, Taken)
    ]


def restored(flash: FlashCore, errors: Sequence[Exception | None]) -> None:
    """Log what a failed request could not put back."""
    lost = [error for error in errors if error is not None]
    if lost:
        logger.warning(
            "flashmw could not put %d flash value(s) back in %s after the "
            "request failed (%s): the messages they held are lost",
            len(lost),
            type(flash._mw.store).__name__,
            _describe(lost[0]),
        )


def changes_for(flash: FlashCore, consume: bool) -> Changes:
    """Return the response's changes with a store, settling them if need be.

    A sync store is called here (WSGI, Django); an async one was settled by
    the ASGI adapter before the headers were built.
    """
    session = flash._store
    assert session is not None
    if session.changes is not None:
        return session.changes
    if flash._mw._store_async:
        return flash._plan(consume=consume, store=False)
    work = plan(flash, consume)
    return finish(flash, work, put(cast(Store, flash._mw.store), work.all))


def read_ahead_keys(flash: FlashCore) -> list[str]:
    """Return the keys an ASGI request reads before its app runs.

    The flash API is synchronous and an async store must be awaited, so a
    request carrying references (and seen by someone) reads them first;
    a request without references never calls the store.
    """
    session = flash._store
    mw = flash._mw
    header = flash._headers.get(mw._cookie_key)
    if session is None or not has_references(mw, header) or flash.unseen:
        return []
    assert header is not None
    now = mw._clock()
    keys = []
    for name, raw in find_cookies(header, mw.cookie_name):
        if is_reference(mw, name):
            try:
                keys.append(decode_reference(mw, name, raw, now).key)
            except Exception:  # noqa: BLE001, S112 (_load logs it at DEBUG)
                continue
    return keys


def read_ahead(
    flash: FlashCore, keys: Sequence[str], blobs: Sequence[bytes | None]
) -> None:
    """Load the flash of an ASGI request with what was read ahead."""
    session = flash._store
    assert session is not None
    session.ahead = dict(zip(keys, blobs, strict=True))
    flash._state()


# -- calling the store: the only I/O, done where the adapter says --------


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _read_failed(store: object, error: Exception) -> None:
    logger.warning(
        "flashmw could not read the stored flash from %s (%s); the page shows "
        "what is in the cookies and the rest waits for a later request",
        type(store).__name__,
        _describe(error),
    )


def _checked(keys: Sequence[str], blobs: object) -> list[bytes | None]:
    if not isinstance(blobs, (list, tuple)) or len(blobs) != len(keys):
        raise TypeError(f"take() returned {blobs!r} for {len(keys)} keys")
    for blob in blobs:
        if blob is not None and not isinstance(blob, bytes):
            raise TypeError(f"take() returned a {type(blob).__name__}, not bytes")
    return list(blobs)


def take(store: Store, keys: Sequence[str]) -> list[bytes | None]:
    """Take ``keys`` from a sync store; after a failure, nothing."""
    try:
        return _checked(keys, store.take(keys))
    except Exception as error:  # noqa: BLE001 (any store's failure)
        _read_failed(store, error)
        return [None] * len(keys)


async def take_async(store: AsyncStore, keys: Sequence[str]) -> list[bytes | None]:
    """Take ``keys`` from an async store; after a failure, nothing."""
    try:
        return _checked(keys, await store.take(keys))
    except Exception as error:  # noqa: BLE001 (any store's failure)
        _read_failed(store, error)
        return [None] * len(keys)


def put(store: Store, puts: Sequence[Put]) -> list[Exception | None]:
    """Store each value in a sync store; return each one's failure, if any."""
    errors: list[Exception | None] = []
    for key, data, ttl in puts:
        try:
            store.put(key, data, ttl)
        except Exception as error:  # noqa: BLE001 (any store's failure)
            errors.append(error)
        else:
            errors.append(None)
    return errors


async def put_async(store: AsyncStore, puts: Sequence[Put]) -> list[Exception | None]:
    """Store each value in an async store; return each one's failure, if any."""
    errors: list[Exception | None] = []
    for key, data, ttl in puts:
        try:
            await store.put(key, data, ttl)
        except Exception as error:  # noqa: BLE001 (any store's failure)
            errors.append(error)
        else:
            errors.append(None)
    return errors


async def settle_async(flash: FlashCore, status: int) -> None:
    """Store what an ASGI response needs before its headers are built."""
    if flash._store is None or flash._store.changes is not None:
        return
    work = plan(flash, flash._consumes(status))
    store = cast(AsyncStore, flash._mw.store)
    finish(flash, work, await put_async(store, work.all))


def check_store(store: object, asynchronous: bool) -> Store | AsyncStore | None:
    """Validate the ``store`` option for an adapter.

    :raises ValueError: naming ``store``, when it is not a store of the
        adapter's kind (sync for WSGI, async for ASGI).
    """
    if store is None:
        return None
    methods = [getattr(store, name, None) for name in ("put", "take")]
    if not all(callable(method) for method in methods):
        raise ValueError(
            "store must have put(key, data, ttl) and take(keys) methods "
            f"(see flashmw.store.Store), got {store!r}"
        )
    coroutines = [inspect.iscoroutinefunction(method) for method in methods]
    if coroutines != [asynchronous] * 2:
        kind, example = ("sync", "redis.Redis")
        if asynchronous:
            kind, example = ("async", "redis.asyncio.Redis")
        raise ValueError(
            f"store must have {kind} put and take methods for this middleware, "
            f"e.g. RedisStore({example}(...)); got {store!r}"
        )
    return cast("Store | AsyncStore", store)
