"""The examples in headless Chromium, as a user clicks through them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Skips (rather than breaks collection) where Playwright is not installed.
expect = pytest.importorskip("playwright.sync_api").expect

LOGGED_IN = "mrexamples account were successfully logged in"
WRONG = "Client Name and Password is incorrect. Please enter the accurate data!"
#: The screenshot the docs show (docs/htmx.md), refreshed by every run.
DOCS_IMAGE = (
    Path(__file__).resolve().parents[2] / "docs" / "images" / "htmx-example.png"
)

#: An in-page accessibility audit in the spirit of axe-core's rules (names,
#: roles, live region, tabindex, unique ids); one line per problem.
AUDIT = (Path(__file__).with_name("audit.js")).read_text(encoding="utf-8")


def audit(page: Page) -> None:
    """Fail with the audit's problems, if any."""
    problems: list[Any] = page.evaluate(AUDIT)
    assert problems == []


def notice(page: Page, text: str) -> Any:
    return page.locator(".flashmw-notice", has_text=text)


# -- the login example -------------------------------------------------------


@pytest.mark.parametrize("example", ["login", "flask"])
def test_login_flashes_once(
    page: Page, example: str, request: pytest.FixtureRequest, artifacts: Path
) -> None:
    login_url: str = request.getfixturevalue(f"{example}_url")
    page.goto(login_url)
    expect(page.locator("h1")).to_have_text("Message Flashing Testing")
    expect(page.locator(".flashmw-notice")).to_have_count(0)

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
    expect(page.get_by_role("status").locator(".flashmw-text")).to_have_text(
        [LOGGED_IN]
    )
    expect(page.get_by_role("region", name="Notifications")).to_be_visible()
    expect(page.get_by_role("button", name="Dismiss notice")).to_have_count(1)
    audit(page)
    page.screenshot(
        path=artifacts / f"{example}-flashed-home.png",
        full_page=True,
        animations="disabled",
    )

    page.reload()
    expect(page.locator("h1")).to_have_text("Message Flashing Testing")
    expect(page.locator(".flashmw-notice")).to_have_count(0)
    audit(page)


def test_django_login_flashes_once(
    page: Page, django_url: str, artifacts: Path
) -> None:
    # The Django example keeps Django's own templates ({% for message in
    # messages %}) on flashmw.django.FlashStorage.
    page.goto(django_url)
    expect(page.locator("h1")).to_have_text("Message Flashing Testing")
    expect(page.locator(".flashes li")).to_have_count(0)
    page.get_by_role("link", name="log in?").click()
    page.get_by_label("Client Name:").fill("mrexamples")
    page.get_by_label("Password:").fill("wrong")
    page.get_by_role("button", name="Login").click()
    expect(page.locator(".error")).to_contain_text(WRONG)
    page.get_by_label("Password:").fill("mrexamples")
    page.get_by_role("button", name="Login").click()
    expect(page).to_have_url(django_url)
    expect(page.locator(".flashes li")).to_have_text([LOGGED_IN])
    page.screenshot(path=artifacts / "django-flashed-home.png", full_page=True)
    page.reload()
    expect(page.locator(".flashes li")).to_have_count(0)


def test_login_form_passes_the_audit(page: Page, login_url: str) -> None:
    page.goto(login_url + "login")
    page.get_by_label("Client Name:").fill("x")
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("alert")).to_contain_text(WRONG)
    audit(page)


# -- the settings example ----------------------------------------------------


def dismiss_by_keyboard(page: Page, key: str) -> None:
    """Tab to the notice's dismiss button and press Enter."""
    button = page.locator(f"#flash-{key} .flashmw-close")
    page.locator("body").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail(f"Tab never reached the dismiss button of {key}")
    with page.expect_response(lambda r: r.url.endswith("/_flash")) as cleared:
        page.keyboard.press("Enter")
        # Hidden at once, before the server answers.
        expect(page.locator(f"#flash-{key}")).to_be_hidden()
    assert cleared.value.status == 204


def test_settings_notices_are_dismissed_for_good(
    page: Page, settings_url: str, artifacts: Path
) -> None:
    page.goto(settings_url)
    expect(page.locator("h1")).to_have_text("Settings")

    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Name cannot be blank.")
    audit(page)

    page.get_by_label("Name").fill("Ann")
    page.get_by_role("button", name="Save").click()
    info = page.locator("#flash-info")
    expect(info).to_contain_text("Settings saved.")
    expect(page.locator("#flash-error")).to_have_count(0)
    expect(page.get_by_label("Name")).to_have_value("Ann")
    expect(page.get_by_role("status")).to_contain_text("Settings saved.")
    audit(page)
    page.screenshot(
        path=artifacts / "settings-saved.png", full_page=True, animations="disabled"
    )

    # Until dismissed, the notice survives a reload.
    page.reload()
    expect(info).to_contain_text("Settings saved.")

    dismiss_by_keyboard(page, "info")
    # Focus did not fall to <body>: the (now empty) notice region holds it.
    assert page.evaluate("document.activeElement.id") == "flashmw"
    page.reload()
    expect(page.locator("h1")).to_have_text("Settings")
    expect(info).to_have_count(0)


def test_dismiss_moves_focus_to_the_next_notice(page: Page, settings_url: str) -> None:
    page.goto(settings_url)
    # Two notices at once: an error waiting from one save, the info from the
    # next (the app replaces one with the other, so use the endpoint-free way:
    # render both with the kit's own renderer).
    page.evaluate(
        """() => window.flashmw.render({messages: [], values: {
            error: "First notice.", info: "Second notice."}})"""
    )
    first = page.locator("#flash-error")
    expect(first).to_have_attribute("role", "alert")
    first.locator(".flashmw-close").focus()
    page.keyboard.press("Enter")
    expect(first).to_have_count(0)
    focused = page.evaluate("document.activeElement.closest('.flashmw-notice').id")
    assert focused == "flash-info"


def test_dismiss_works_without_javascript(no_js_page: Page, settings_url: str) -> None:
    page = no_js_page
    page.goto(settings_url)
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#flash-error")
    expect(error).to_contain_text("Name cannot be blank.")
    page.get_by_role("button", name="Dismiss notice").click()
    # The form POSTed to the endpoint, which cleared the key and came back.
    expect(page).to_have_url(settings_url)
    expect(error).to_have_count(0)
    page.reload()
    expect(error).to_have_count(0)


# -- the htmx example --------------------------------------------------------


def test_htmx_flash_shows_without_a_page_load_exactly_once(
    page: Page, todo_url: str, artifacts: Path
) -> None:
    page.goto(todo_url)
    expect(page.locator("h1")).to_have_text("To-dos")
    page.wait_for_function("() => window.htmx && window.flashmw")
    # Survives only while the page is not loaded again.
    page.evaluate("window.stillTheSamePage = true")

    title = "Pay the café bill ☕"
    page.get_by_label("New to-do").fill(title)
    page.get_by_role("button", name="Add", exact=True).click()
    added = notice(page, f"Added “{title}”.")
    expect(added).to_have_count(1)
    expect(added).to_have_attribute("role", "status")
    expect(page.locator(".todo .title", has_text=title)).to_have_count(1)
    expect(page.get_by_label("New to-do")).to_have_value("")
    assert page.evaluate("window.stillTheSamePage") is True

    # A validation error: role="alert", and the typed text stays.
    page.get_by_role("button", name="Add", exact=True).click()
    blank = notice(page, "Title cannot be blank.")
    expect(blank).to_have_attribute("role", "alert")
    expect(blank).to_have_count(1)

    # Editing in place, then deleting.
    page.get_by_role("button", name="Edit Water the plants").click()
    page.get_by_label("Title").fill("Water the ferns")
    page.get_by_role("button", name="Save").click()
    expect(notice(page, "Saved “Water the ferns”.")).to_have_count(1)
    page.get_by_role("button", name="Delete Water the ferns").click()
    expect(notice(page, "Deleted “Water the ferns”.")).to_have_count(1)
    expect(page.locator(".todo .title", has_text="Water the ferns")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    # Each flash arrived once, never again with a later answer.
    expect(added).to_have_count(1)
    audit(page)
    page.screenshot(
        path=artifacts / "htmx-todo.png", full_page=True, animations="disabled"
    )
    DOCS_IMAGE.parent.mkdir(exist_ok=True)
    shutil.copyfile(artifacts / "htmx-todo.png", DOCS_IMAGE)

    # Delivered in the header means consumed: a reload shows none of them.
    page.reload()
    expect(page.locator("h1")).to_have_text("To-dos")
    expect(page.locator(".flashmw-notice")).to_have_count(0)


def test_htmx_notice_is_dismissed_by_keyboard_for_good(
    page: Page, todo_url: str
) -> None:
    page.goto(todo_url)
    page.wait_for_function("() => window.htmx && window.flashmw")
    page.get_by_role("button", name="Add", exact=True).click()
    blank = notice(page, "Title cannot be blank.")
    expect(blank).to_have_count(1)
    button = blank.get_by_role("button", name="Dismiss notice")
    page.locator("body").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the dismiss button")
    page.keyboard.press("Enter")
    expect(blank).to_have_count(0)
    page.reload()
    expect(page.locator(".flashmw-notice")).to_have_count(0)


def test_htmx_redirect_shows_its_flash_on_the_next_page(
    page: Page, todo_url: str, artifacts: Path
) -> None:
    page.goto(todo_url)
    page.wait_for_function("() => window.htmx && window.flashmw")
    page.get_by_label("New to-do").fill("Archive me")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".todo .title", has_text="Archive me")).to_have_count(1)
    count = page.locator("#todos .todo").count()
    page.get_by_role("button", name="Archive all").click()
    expect(page).to_have_url(todo_url + "archive")
    suffix = "" if count == 1 else "s"
    expect(page.get_by_role("status").locator(".flashmw-text")).to_have_text(
        [f"Archived {count} to-do{suffix}."]
    )
    audit(page)
    page.screenshot(
        path=artifacts / "htmx-archive.png", full_page=True, animations="disabled"
    )
    page.reload()
    expect(page.locator(".flashmw-notice")).to_have_count(0)
