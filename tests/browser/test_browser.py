"""The examples in headless Chromium, as a user clicks through them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Skips (rather than breaks collection) where Playwright is not installed.
expect = pytest.importorskip("playwright.sync_api").expect

LOGGED_IN = "mrexamples account were successfully logged in"
WRONG = "Client Name and Password is incorrect. Please enter the accurate data!"


def test_login_flashes_once(
    page: Page, login_url: str, artifacts: Path, request: pytest.FixtureRequest
) -> None:
    page.goto(login_url)
    expect(page.locator("h1")).to_have_text("Message Flashing Testing")
    expect(page.locator(".flashes")).to_have_count(0)

    page.get_by_role("link", name="log in?").click()
    expect(page).to_have_url(login_url + "login")

    page.get_by_label("Client Name:").fill("mrexamples")
    page.get_by_label("Password:").fill("wrong")
    page.get_by_role("button", name="Login").click()
    expect(page.locator(".error")).to_have_text(f"Error: {WRONG}")
    expect(page.get_by_label("Client Name:")).to_have_value("mrexamples")

    page.get_by_label("Password:").fill("mrexamples")
    page.get_by_role("button", name="Login").click()
    expect(page).to_have_url(login_url)
    expect(page.locator(".flashes li")).to_have_text([LOGGED_IN])
    example = request.node.callspec.params["login_url"]
    name = (
        "login-flashed-home" if example == "login" else f"login-{example}-flashed-home"
    )
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)

    page.reload()
    expect(page.locator("h1")).to_have_text("Message Flashing Testing")
    expect(page.locator(".flashes")).to_have_count(0)


def dismiss(page: Page, key: str) -> None:
    """Click a notice's dismiss button; return once the server has cleared it."""
    notice = page.locator(f"#flash-{key}")
    with page.expect_response(lambda r: r.url.endswith("/flash/clear")) as cleared:
        notice.get_by_role("button", name="Dismiss").click()
        # Hidden at once, before the server answers.
        expect(notice).to_be_hidden()
    assert cleared.value.status == 204


def test_settings_notices_are_dismissed_for_good(
    page: Page, settings_url: str, artifacts: Path
) -> None:
    page.goto(settings_url)
    expect(page.locator("h1")).to_have_text("Settings")

    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash-error")).to_contain_text("Name cannot be blank.")

    page.get_by_label("Name").fill("Ann")
    page.get_by_role("button", name="Save").click()
    info = page.locator("#flash-info")
    expect(info).to_contain_text("Settings saved.")
    expect(page.locator("#flash-error")).to_have_count(0)
    expect(page.get_by_label("Name")).to_have_value("Ann")
    page.screenshot(path=artifacts / "settings-saved.png", full_page=True)

    # Until dismissed, the notice survives a reload.
    page.reload()
    expect(info).to_contain_text("Settings saved.")

    dismiss(page, "info")
    page.reload()
    expect(page.locator("h1")).to_have_text("Settings")
    expect(info).to_have_count(0)
