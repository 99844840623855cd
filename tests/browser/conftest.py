"""Fixtures for the browser tests: a Chromium already here, and the demo servers.

The browser is one the machine has: ``$FLASHMW_CHROMIUM`` if set, else
Playwright's own download (``python -m playwright install chromium``),
else the system's ``/usr/bin/chromium`` (``apt-get install chromium``).
Nothing is installed or downloaded by the tests. ``tox -e browser`` sets
``FLASHMW_BROWSER=1``; elsewhere, or without a Chromium, these tests are
skipped with one line saying how to enable them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..test_demo import running_demo

if TYPE_CHECKING:
    # Imported where used, so a run without Playwright only skips these.
    from playwright.sync_api import Browser, Page

#: The system's Chromium (Debian's ``chromium`` package).
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = (
    "no Chromium on this machine: install one with `apt-get install chromium` "
    "(as root) or `python -m playwright install chromium`, or point "
    "FLASHMW_CHROMIUM at one"
)
#: Flags for a quiet, self-contained headless run: no GPU, no sandbox (we
#: may be root in a container), and no background traffic to Google.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Screenshots land here (ignored by git), for CI to keep as artifacts.
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``browser``; skip them outside ``tox -e browser``.

    Under ``tox -e browser`` they are skipped too when no Chromium is
    here, with the reason saying how to get one.
    """
    here = Path(__file__).parent
    ours = [item for item in items if here in item.path.parents]
    if not ours:
        return
    reason = None
    if os.environ.get("FLASHMW_BROWSER") != "1":
        reason = "real-browser test: run it with tox -e browser (FLASHMW_BROWSER=1)"
    elif installed_chromium() is None:
        reason = NO_CHROMIUM
    for item in ours:
        item.add_marker(pytest.mark.browser)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


def find_chromium(bundled: str) -> Path | None:
    """Return the Chromium to drive: the one named, Playwright's, or the system's.

    :param bundled: where Playwright keeps its own Chromium (it may be absent).
    """
    named = os.environ.get("FLASHMW_CHROMIUM")
    if named:
        return Path(named) if Path(named).exists() else None
    for candidate in (Path(bundled), SYSTEM_CHROMIUM):
        if candidate.exists():
            return candidate
    return None


@functools.cache
def installed_chromium() -> Path | None:
    """The Chromium these tests drive, or ``None`` (also without Playwright)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as playwright:
        return find_chromium(playwright.chromium.executable_path)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """A Chromium already on this machine, headless, for the whole session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = installed_chromium()
    if executable is None:
        pytest.skip(NO_CHROMIUM)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh page with an empty cookie jar."""
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def login_url() -> Iterator[str]:
    """The WebOb login example, served by the demo entry point."""
    with running_demo("login") as url:
        yield url


@pytest.fixture(scope="session")
def django_url() -> Iterator[str]:
    """The Django login example, served by the demo entry point."""
    with running_demo("django") as url:
        yield url


@pytest.fixture(scope="session")
def settings_url() -> Iterator[str]:
    """The Starlette settings example, served by the demo entry point."""
    with running_demo("settings") as url:
        yield url


@pytest.fixture(scope="session")
def flask_url() -> Iterator[str]:
    """The Flask login example, served by the demo entry point."""
    with running_demo("flask") as url:
        yield url


@pytest.fixture(scope="session")
def todo_url() -> Iterator[str]:
    """The Starlette and htmx to-do example, served by the demo entry point."""
    with running_demo("htmx") as url:
        yield url


@pytest.fixture
def no_js_page(chromium: Browser) -> Iterator[Page]:
    """A fresh page with JavaScript turned off."""
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The directory for screenshots, created on first use."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def pyview_url() -> Iterator[str]:
    """The PyView live views example (Python 3.11+), served by the demo entry point."""
    pytest.importorskip(
        "pyview", reason="the PyView example needs pyview-web (Python 3.11+)"
    )
    with running_demo("pyview") as url:
        yield url
