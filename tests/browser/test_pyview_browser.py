"""The PyView example in headless Chromium: live views, their websocket, app.js."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect = pytest.importorskip("playwright.sync_api").expect

WELCOME = "Welcome back."
LEAVING = "See you soon."
SIGNED_OUT = "Signed out."


def connected(page: Page) -> None:
    """Wait until the live view has joined over its websocket."""
    expect(page.locator(".phx-connected")).to_have_count(1)


def test_save_then_dismiss_for_good(
    page: Page, pyview_url: str, artifacts: Path
) -> None:
    page.goto(pyview_url + "settings")
    connected(page)
    expect(page.locator("h1")).to_have_text("Settings")

    page.locator("input[name=name]").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash-error")).to_have_text("Name cannot be blank.")
    page.screenshot(path=artifacts / "pyview-blank-name.png", full_page=True)

    page.locator("input[name=name]").fill("Ann")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash-info")).to_have_text("Settings saved.")
    page.screenshot(path=artifacts / "pyview-saved.png", full_page=True)

    page.locator("#flash-info").click()
    expect(page.locator("#flash-info")).to_be_hidden()
    page.locator("#flash-error").click()
    expect(page.locator("#flash-error")).to_be_hidden()

    page.reload()
    connected(page)
    expect(page.locator("h1")).to_have_text("Settings")
    expect(page.locator("#flash-info")).to_have_count(0)
    expect(page.locator("#flash-error")).to_have_count(0)


def test_welcome_shows_once(page: Page, pyview_url: str, artifacts: Path) -> None:
    page.goto(pyview_url)
    expect(page.locator("h1")).to_have_text("Welcome")
    page.locator("#sign-in").click()
    expect(page).to_have_url(pyview_url + "settings")
    connected(page)
    # Shown by the HTTP render and kept by the connected one.
    expect(page.locator("#flash-info")).to_have_text(WELCOME)
    page.screenshot(path=artifacts / "pyview-welcome.png", full_page=True)

    page.reload()
    connected(page)
    expect(page.locator("h1")).to_have_text("Settings")
    expect(page.locator("#flash-info")).to_have_count(0)


def test_leave_shows_once_on_about(
    page: Page, pyview_url: str, artifacts: Path
) -> None:
    page.goto(pyview_url + "settings")
    connected(page)
    page.locator("#leave").click()
    expect(page).to_have_url(pyview_url + "about")
    expect(page.locator("h1")).to_have_text("About")
    expect(page.locator("#flash-info")).to_have_text(LEAVING)
    page.screenshot(path=artifacts / "pyview-about.png", full_page=True)

    page.reload()
    connected(page)
    expect(page.locator("h1")).to_have_text("About")
    expect(page.locator("#flash-info")).to_have_count(0)


def test_sign_out_redirects_to_the_plain_page_once(page: Page, pyview_url: str) -> None:
    page.goto(pyview_url + "settings")
    connected(page)
    page.locator("#sign-out").click()
    expect(page).to_have_url(pyview_url)
    expect(page.locator("#flash-info")).to_have_text(SIGNED_OUT)
    page.reload()
    expect(page.locator("h1")).to_have_text("Welcome")
    expect(page.locator("#flash-info")).to_have_count(0)
