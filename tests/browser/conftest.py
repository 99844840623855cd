"""Fixtures for the browser tests: the system Chromium and the demo servers.

The browser is the Debian ``chromium`` package at ``/usr/bin/chromium``,
driven by Playwright; nothing is ever downloaded. ``tox -e browser``
installs the package when it is missing and sets ``FLASHMW_BROWSER=1``;
elsewhere these tests are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..test_demo import running_demo

if TYPE_CHECKING:
    # Imported where used, so a run without Playwright only skips these.
    from playwright.sync_api import Browser, Page

CHROMIUM = Path(os.environ.get("FLASHMW_CHROMIUM", "/usr/bin/chromium"))
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
    """Mark every test here ``browser``; skip them outside ``tox -e browser``."""
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason="real-browser test: run it with tox -e browser (FLASHMW_BROWSER=1)"
    )
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if os.environ.get("FLASHMW_BROWSER") != "1":
                item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """The system Chromium, headless, for the whole session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
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
def settings_url() -> Iterator[str]:
    """The Starlette settings example, served by the demo entry point."""
    with running_demo("settings") as url:
        yield url


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
