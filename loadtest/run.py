"""Load flashmw under real servers and check that no flash is lost or crossed.

Starts gunicorn (threaded ``gthread`` worker) with :mod:`loadtest.wsgi_app`,
then uvicorn with :mod:`loadtest.asgi_app`, each on ``127.0.0.1`` only, and
drives each with many concurrent virtual users. A user is a browser with
one cookie jar and two tabs (two keep-alive HTTP/1.1 connections) whose
requests overlap; each cycle:

1. both tabs ``GET /flash?m=<unique>`` at once (two concurrent writers);
2. one tab ``GET /show`` while the other flashes a third message (a reader
   racing a writer: its deletion and the other's cookie arrive in any order);
3. one tab ``GET /show`` once both answered.

Every message must be shown exactly once by the end of its cycle, and no
flash cookie may outlive the last ``/show``. A message from another user is
*crossed*, a missing one *lost*, one shown again *twice*.

Memory: the server's worker RSS is read from ``/proc`` after the first
``FLASHMW_LOAD_WARMUP`` requests and again at the end; the end figure must be
within ``FLASHMW_LOAD_RSS_MARGIN`` (a fraction) of the first.

Budget, from the environment (per server): ``FLASHMW_LOAD_REQUESTS``
(default 100000), ``FLASHMW_LOAD_SECONDS`` (default 55: stop earlier if the
requests are not done by then), ``FLASHMW_LOAD_USERS`` (default 200).
Run ``python loadtest/run.py`` or ``tox -e load``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never any other address

REQUESTS = int(os.environ.get("FLASHMW_LOAD_REQUESTS", "100000"))
SECONDS = float(os.environ.get("FLASHMW_LOAD_SECONDS", "55"))
USERS = int(os.environ.get("FLASHMW_LOAD_USERS", "200"))
WARMUP = int(os.environ.get("FLASHMW_LOAD_WARMUP", "10000"))
RSS_MARGIN = float(os.environ.get("FLASHMW_LOAD_RSS_MARGIN", "0.10"))


@dataclass
class Figures:
    """What one server run produced."""

    server: str
    users: int = USERS
    requests: int = 0
    cycles: int = 0
    seconds: float = 0.0
    lost: int = 0
    crossed: int = 0
    twice: int = 0
    server_errors: int = 0
    other_errors: list[str] = field(default_factory=list)
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    rss_at_warmup_kb: int = 0
    rss_at_warmup_requests: int = 0
    rss_at_end_kb: int = 0

    @property
    def ok(self) -> bool:
        growth = self.rss_at_end_kb - self.rss_at_warmup_kb
        return (
            self.lost == 0
            and self.crossed == 0
            and self.twice == 0
            and self.server_errors == 0
            and not self.other_errors
            and self.rss_at_warmup_kb > 0
            and growth <= self.rss_at_warmup_kb * RSS_MARGIN
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _server_command(kind: str, port: int) -> list[str]:
    bind = f"{HOST}:{port}"
    if kind == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            bind,
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            "32",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "loadtest.wsgi_app:app",
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
        "loadtest.asgi_app:app",
    ]


def _start(kind: str) -> tuple[subprocess.Popen[bytes], int, int]:
    """Start a server; return it, its port and the pid of the process serving."""
    port = _free_port()
    # The command is built here from constants and a free local port.
    server = subprocess.Popen(_server_command(kind, port), cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            # A real HTTP client for the readiness probe: the server must
            # answer a request from a library, not only from our own client.
            httpx.get(f"http://{HOST}:{port}/show", timeout=1).raise_for_status()
            break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        server.terminate()
        raise RuntimeError(f"{kind} did not start on {HOST}:{port}")
    # gunicorn serves from its worker, uvicorn (one worker) from itself.
    workers = _children(server.pid) if kind == "gunicorn" else []
    return server, port, workers[0] if workers else server.pid


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@dataclass
class Reply:
    """An HTTP response as the load client read it."""

    status: int
    headers: dict[str, str]
    body: bytes


class User:
    """One browser-like user: a keep-alive HTTP/1.1 connection and a cookie jar.

    A few lines of asyncio instead of an HTTP library: the client shares two
    CPU cores with the server, and httpx spent about 2 ms of CPU per request
    here, which capped the load near 500 requests a second. Cookies follow
    RFC 6265 as far as this test needs: ``Set-Cookie`` stores ``name=value``
    and ``Max-Age=0`` deletes.
    """

    def __init__(self, port: int, jar: dict[str, str] | None = None) -> None:
        self.port = port
        # Tabs of one browser share its jar.
        self.jar: dict[str, str] = {} if jar is None else jar
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        """Open the user's connection."""
        self._reader, self._writer = await asyncio.open_connection(HOST, self.port)

    async def close(self) -> None:
        """Close the user's connection."""
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()

    async def get(self, target: str) -> Reply:
        """Send ``GET target`` with the jar's cookies and read the answer."""
        if self._writer is None or self._writer.is_closing():
            await self.connect()
        assert self._reader is not None
        assert self._writer is not None
        lines = [f"GET {target} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if self.jar:
            lines.append(
                "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.jar.items())
            )
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status_line = await self._reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := await self._reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._store(value)
            headers[name] = value
        body = await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
            self._writer = None
        return Reply(status, headers, body)

    def _store(self, set_cookie: str) -> None:
        pair, *attributes = set_cookie.split(";")
        name, _, value = pair.strip().partition("=")
        if any(a.strip().lower() == "max-age=0" for a in attributes):
            self.jar.pop(name, None)
        else:
            self.jar[name] = value


class Load:
    """Concurrent users against one server, and what they saw."""

    def __init__(self, figures: Figures, port: int, worker: int) -> None:
        self.figures = figures
        self.port = port
        self.worker = worker
        self.latencies: list[float] = []
        self.deadline = time.monotonic() + SECONDS

    def _more(self) -> bool:
        return self.figures.requests < REQUESTS and time.monotonic() < self.deadline

    async def _get(self, user: User, target: str) -> Reply:
        start = time.perf_counter()
        reply = await user.get(target)
        self.latencies.append(time.perf_counter() - start)
        figures = self.figures
        figures.requests += 1
        if reply.status >= 500:
            figures.server_errors += 1
        if figures.rss_at_warmup_kb == 0 and figures.requests >= WARMUP:
            figures.rss_at_warmup_kb = _rss_kb(self.worker)
            figures.rss_at_warmup_requests = figures.requests
        return reply

    async def _show(self, tab: User) -> list[str] | None:
        shown = await self._get(tab, "/show")
        if shown.status != 200:
            self.figures.other_errors.append(f"/show answered {shown.status}")
            return None
        messages: list[str] = json.loads(shown.body)
        return messages

    async def _flash(self, tab: User, message: str) -> None:
        moved = await self._get(tab, "/flash?" + urlencode({"m": message}))
        if moved.status != 302 or moved.headers.get("location") != "/show":
            self.figures.other_errors.append(f"/flash answered {moved.status}")

    async def user(self, number: int) -> None:
        figures = self.figures
        first = User(self.port)
        second = User(self.port, first.jar)  # another tab, the same browser
        await first.connect()
        await second.connect()
        try:
            cycle = 0
            while self._more():
                cycle += 1
                a, b, c = (f"user {number} cycle {cycle}{t} \u2713" for t in "abc")
                await asyncio.gather(self._flash(first, a), self._flash(second, b))
                if not any(name.startswith("flash.") for name in first.jar):
                    figures.other_errors.append("/flash set no flash cookie")
                racing, _ = await asyncio.gather(
                    self._show(first), self._flash(second, c)
                )
                last = await self._show(first)
                if racing is None or last is None:
                    continue
                shown = racing + last
                for message in (a, b, c):
                    count = shown.count(message)
                    figures.lost += count == 0
                    figures.twice += max(count - 1, 0)
                figures.crossed += sum(1 for m in shown if m not in (a, b, c))
                if any(name.startswith("flash.") for name in first.jar):
                    figures.other_errors.append("a flash cookie outlived /show")
                figures.cycles += 1
        finally:
            await first.close()
            await second.close()

    async def run(self) -> None:
        started = time.perf_counter()
        await asyncio.gather(*(self.user(n) for n in range(USERS)))
        self.figures.seconds = time.perf_counter() - started
        self.figures.rss_at_end_kb = _rss_kb(self.worker)
        ordered = sorted(self.latencies)
        self.figures.p50_ms = 1000 * ordered[len(ordered) // 2]
        self.figures.p99_ms = (
            1000 * ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)]
        )


def run_server(kind: str) -> Figures:
    """Start ``kind`` (gunicorn or uvicorn), load it, stop it, return the figures."""
    figures = Figures(server=kind)
    server, port, worker = _start(kind)
    try:
        asyncio.run(Load(figures, port, worker).run())
    finally:
        _stop(server)
    return figures


def main() -> int:
    """Run both servers, print the figures, and fail on any loss or error."""
    results = [run_server("gunicorn"), run_server("uvicorn")]
    for f in results:
        print(
            f"{f.server}: {f.requests} requests ({f.cycles} overlapping "
            f"flash/show cycles) by {f.users} users in {f.seconds:.1f}s "
            f"({f.requests / f.seconds:.0f}/s); p50 {f.p50_ms:.1f} ms, "
            f"p99 {f.p99_ms:.1f} ms; lost {f.lost}, crossed {f.crossed}, "
            f"shown twice {f.twice}, "
            f"5xx {f.server_errors}, other errors {len(f.other_errors)}; "
            f"worker RSS {f.rss_at_warmup_kb} kB after "
            f"{f.rss_at_warmup_requests} requests, {f.rss_at_end_kb} kB after "
            f"{f.requests} -> {'PASS' if f.ok else 'FAIL'}"
        )
        for error in f.other_errors[:5]:
            print(f"  {error}")
    report = os.environ.get("FLASHMW_LOAD_REPORT")
    if report:
        Path(report).write_text(
            json.dumps([asdict(f) for f in results], indent=2) + "\n", encoding="utf-8"
        )
    return 0 if all(f.ok for f in results) else 1


if __name__ == "__main__":
    sys.exit(main())
