"""Calling apps directly: WSGI with a prebuilt environ, ASGI with a prebuilt scope.

Each driver answers three questions about an app and a request: what the
response was (for the self-check), how long a request takes on average
(for the timing), and how much memory one request needs at its peak.

Times are CPU time of this process (:func:`time.process_time`), not wall
time: on a shared VM other processes preempt us, and wall time would count
their work as ours.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Any

from benchmarks import traffic
from benchmarks.traffic import Message


@dataclass
class Outcome:
    """What one response said: status, ``Set-Cookie`` values and body."""

    status: int
    set_cookies: list[str] = field(default_factory=list)
    body: bytes = b""

    def _family(self, name: str) -> list[tuple[str, str, bool]]:
        """``(cookie name, value, deleted)`` of each Set-Cookie in the family.

        The family of ``name`` is ``name`` itself and every ``name.<suffix>``:
        flashmw keeps its flash in several small cookies named so.
        """
        found = []
        for header in self.set_cookies:
            first, _, attributes = header.partition(";")
            cookie, _, value = first.partition("=")
            cookie = cookie.strip()
            if cookie != name and not cookie.startswith(name + "."):
                continue
            attributes = attributes.lower()
            deleted = "max-age=0" in attributes or "01 jan 1970" in attributes
            found.append((cookie, value.strip(), deleted))
        return found

    def cookie(self, name: str) -> str:
        """Classify what the response did to the cookies of ``name``'s family.

        :returns: ``"absent"`` (no Set-Cookie), ``"set"`` (only new values),
            ``"deleted"`` (only deletions) or ``"mixed"``.
        """
        found = self._family(name)
        if not found:
            return "absent"
        deleted = {d for _, _, d in found}
        if deleted == {True}:
            return "deleted"
        return "set" if deleted == {False} else "mixed"

    def deleted(self, name: str) -> set[str]:
        """Return the names of the family's cookies this response deleted."""
        return {cookie for cookie, _, d in self._family(name) if d}

    def value(self, name: str) -> str:
        """Return the family's cookies as a browser sends them next: ``a=1; b=2``.

        :raises LookupError: if the response set none of them.
        """
        pairs = [
            f"{cookie}={value}" for cookie, value, d in self._family(name) if not d
        ]
        if not pairs:
            raise LookupError(f"the response did not set cookie {name!r}")
        return "; ".join(pairs)


def _discard_start(status: str, headers: Any, exc_info: Any = None) -> Any:
    return _discard_write


def _discard_write(data: bytes) -> None:
    return None


async def _discard_send(message: Message) -> None:
    return None


class WSGIDriver:
    """Calls a WSGI app as a server would, minus the socket."""

    def request(self, path: str, header: str) -> dict[str, Any]:
        """Return the environ of a GET of ``path`` with this ``Cookie``."""
        return traffic.environ(path, header)

    def check(self, app: Any, request: dict[str, Any]) -> Outcome:
        """Run one request and return what the response said."""
        seen: list[Any] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen[:] = [status, headers]
            return _discard_write

        body = app(dict(request), start_response)
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        status, headers = seen
        cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        return Outcome(int(status[:3]), cookies, data)

    def run(self, app: Any, request: dict[str, Any], count: int) -> float:
        """Return the seconds one of ``count`` requests took on average."""
        copy = request.copy
        start_response = _discard_start
        began = time.process_time()
        for _ in range(count):
            # A server builds a fresh environ per request; so do we.
            body = app(copy(), start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        return (time.process_time() - began) / count

    def peaks(self, app: Any, request: dict[str, Any], count: int) -> list[int]:
        """Return the peak bytes each of ``count`` requests allocated.

        Call with :mod:`tracemalloc` tracing.
        """
        peaks = []
        for _ in range(count):
            environ = request.copy()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            body = app(environ, _discard_start)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
            peaks.append(tracemalloc.get_traced_memory()[1] - base)
        return peaks


class ASGIDriver:
    """Awaits an ASGI app directly, every request in one event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        """Close the event loop."""
        self.loop.close()

    def request(self, path: str, header: str) -> dict[str, Any]:
        """Return the scope of a GET of ``path`` with this ``Cookie``."""
        return dict(traffic.scope(path, header))

    def check(self, app: Any, request: dict[str, Any]) -> Outcome:
        """Run one request and return what the response said."""
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        self.loop.run_until_complete(app(dict(request), traffic.receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        cookies = [
            bytes(v).decode("latin-1")
            for k, v in start.get("headers", ())
            if bytes(k).lower() == b"set-cookie"
        ]
        body = b"".join(
            m.get("body", b"") for m in sent if m["type"] == "http.response.body"
        )
        return Outcome(start["status"], cookies, body)

    def run(self, app: Any, request: dict[str, Any], count: int) -> float:
        """Return the seconds one of ``count`` requests took on average."""

        async def many() -> float:
            receive = traffic.receive
            send = _discard_send
            began = time.process_time()
            for _ in range(count):
                await app(dict(request), receive, send)
            return (time.process_time() - began) / count

        return self.loop.run_until_complete(many())

    def peaks(self, app: Any, request: dict[str, Any], count: int) -> list[int]:
        """Return the peak bytes each of ``count`` requests allocated.

        Call with :mod:`tracemalloc` tracing.
        """

        async def many() -> list[int]:
            peaks = []
            for _ in range(count):
                scope = dict(request)
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                await app(scope, traffic.receive, _discard_send)
                peaks.append(tracemalloc.get_traced_memory()[1] - base)
            return peaks

        return self.loop.run_until_complete(many())


Driver = WSGIDriver | ASGIDriver


def timed(driver: Driver, app: Any, request: dict[str, Any], count: int) -> float:
    """Time ``count`` requests with the cyclic GC off, as :mod:`timeit` does."""
    gc.collect()
    gc.disable()
    try:
        return driver.run(app, request, count)
    finally:
        gc.enable()


def growth(driver: Driver, app: Any, request: dict[str, Any], count: int) -> int:
    """Return how many more memory blocks are live after ``count`` more requests.

    A thousand requests first fill whatever caches the app keeps; after
    that, a leak of even one object per request shows as ``count`` blocks.
    """
    driver.run(app, request, 1000)
    gc.collect()
    before = sys.getallocatedblocks()
    driver.run(app, request, count)
    gc.collect()
    return sys.getallocatedblocks() - before
