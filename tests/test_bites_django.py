"""Django storage behaviours that mutation testing found unpinned (issue 16).

Through the real cookie, with the ``Browser`` of ``test_django.py``: what
the cookie holds for a level without a tag, the attributes settings give
it, how ``Vary`` and htmx's headers come out of ``update()``.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("django")

from django.contrib.messages import constants
from django.http import HttpResponse
from django.test import override_settings

from flashmw.django import flash_options
from flashmw.testing import read_flash

from .test_django import (
    Browser,
    django_settings,  # noqa: F401 (the module's autouse fixture)
    existing,
    flash_morsel,
    texts,
)


def test_a_level_without_a_tag_is_kept_under_the_message_category() -> None:
    browser = Browser()
    storage = browser.storage()
    storage.add(29, "Some custom level")
    state = read_flash(flash_options(), browser.update(storage))
    assert state is not None
    assert state.messages == [
        (
            "message",
            {"level": 29, "message": "Some custom level", "extra_tags": ""},
        )
    ]
    (shown,) = browser.shown()
    assert (shown.level, str(shown)) == (29, "Some custom level")


@override_settings(SESSION_COOKIE_HTTPONLY=False)
def test_session_cookie_httponly_false_lets_scripts_read_the_cookie() -> None:
    browser = Browser()
    storage = browser.storage()
    storage.add(constants.INFO, "test")
    morsel = flash_morsel(browser.update(storage))
    assert not morsel["httponly"]


def test_a_vary_that_names_cookie_already_is_left_as_it_is() -> None:
    browser = Browser()
    existing(browser)
    response = HttpResponse()
    response["Vary"] = "Cookie"
    storage = browser.storage()
    assert texts(list(storage)) == ["Test message 1", "Test message 2"]
    browser.update(storage, response)
    assert response["Vary"] == "Cookie"
    assert str(flash_morsel(response)["max-age"]) == "0"
    assert browser.shown() == []


@override_settings(FLASHMW={"htmx": True})
def test_htmx_requests_get_their_messages_in_hx_trigger() -> None:
    browser = Browser()
    storage = browser.storage(HTTP_HX_REQUEST="true")
    storage.add(constants.SUCCESS, "Saved.")
    response = HttpResponse()
    response["HX-Trigger"] = "refresh"
    browser.update(storage, response)
    events = json.loads(response["HX-Trigger"])
    assert events["refresh"] is None
    assert events["flash"]["messages"] == [{"category": "success", "message": "Saved."}]
    assert not response.cookies  # delivered: nothing waits in the cookie
    assert browser.shown() == []


@override_settings(FLASHMW={"htmx": True})
def test_an_htmx_redirect_leaves_the_messages_in_the_cookie() -> None:
    browser = Browser()
    storage = browser.storage(HTTP_HX_REQUEST="true")
    storage.add(constants.SUCCESS, "Saved.")
    response = HttpResponse()
    response["HX-Redirect"] = "/done"
    browser.update(storage, response)
    assert "HX-Trigger" not in response
    assert texts(browser.shown()) == ["Saved."]


def test_the_vary_header_is_written_in_its_usual_spelling() -> None:
    browser = Browser()
    existing(browser)
    response = HttpResponse()
    storage = browser.storage()
    list(storage)
    browser.update(storage, response)
    assert ("Vary", "Cookie") in list(response.items())  # as sent on the wire
