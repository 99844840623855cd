"""The demo entry point, served for real and driven over HTTP."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
LOGGED_IN = "mrexamples account were successfully logged in"
WRONG = "Client Name and Password is incorrect. Please enter the accurate data!"
#: Seconds to wait for the server to print its URL and accept connections.
STARTUP = 30.0

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="stops the server with SIGINT, as Ctrl-C does"
)


def _wait_for_port(host: str, port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def running_demo(*args: str) -> Iterator[str]:
    """Run ``python -m examples.demo ARGS --port 0``; yield its printed URL.

    On exit the server gets SIGINT (Ctrl-C) and must stop cleanly.
    """
    # Our own fixed command line, nothing from outside the test.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "examples.demo", *args, "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def drain() -> None:
        # Read everything, so a chatty server never blocks on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"the demo printed no URL in {STARTUP}s:\n{''.join(output)}"
                ) from None
            found = re.search(r"http://([\d.]+):(\d+)/", line)
            if found:
                break
        host, port = found.group(1), int(found.group(2))
        _wait_for_port(host, port, deadline)
        yield found.group(0)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        reader.join(timeout=5)
        process.stdout.close()
    assert code == 0, "".join(output)
    assert "Stopped." in "".join(output)


def login_flow(base_url: str) -> None:
    """Home, login form, wrong password, right password, flash once, gone."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        home = client.get("/")
        assert home.status_code == 200
        assert 'href="/login"' in home.text

        form = client.get("/login").text
        assert 'name="cname"' in form
        # Django's form carries a CSRF token; the others have none.
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        data = {"csrfmiddlewaretoken": token.group(1)} if token else {}

        wrong = client.post("/login", data={**data, "cname": "mrexamples", "pwd": "x"})
        assert WRONG in wrong.text

        right = client.post(
            "/login", data={**data, "cname": "mrexamples", "pwd": "mrexamples"}
        )
        assert right.status_code == 302
        assert any(name.startswith("flash.") for name in client.cookies)

        landed = client.get(right.headers["Location"]).text
        # The client kit's notice, or Django's own {% for message in messages %}.
        kit = f'<div class="flashmw-text">{LOGGED_IN}</div>'
        assert kit in landed or re.search(
            f"<li( class=[^>]+)?>{LOGGED_IN}</li>", landed
        )
        assert LOGGED_IN not in client.get("/").text


def test_default_demo_serves_the_webob_login_example() -> None:
    with running_demo() as url:
        assert url.startswith("http://127.0.0.1:")
        login_flow(url)


def test_demo_serves_the_flask_login_example() -> None:
    with running_demo("flask") as url:
        login_flow(url)


def test_demo_serves_the_django_login_example() -> None:
    with running_demo("django") as url:
        login_flow(url)


def test_demo_serves_the_starlette_settings_example() -> None:
    with (
        running_demo("settings") as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        page = client.post("/", data={"name": ""}, follow_redirects=True)
        assert "Name cannot be blank." in page.text
        assert client.post("/_flash", json={"key": "error"}).status_code == 204
        assert "Name cannot be blank." not in client.get("/").text


def test_demo_help_names_the_examples() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.demo", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=STARTUP,
    )
    assert "{login,flask,settings,django,htmx,pyview}" in result.stdout
