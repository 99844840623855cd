"""``flashmw.django.FlashStorage`` behind Django's messages API.

The first part ports the storage-backend behaviours of Django's own suite,
``tests/messages_tests/base.py`` (class ``BaseTests``) and
``tests/messages_tests/test_cookie.py`` (class ``CookieTests``), written
anew: each test names the upstream test it mirrors. Where upstream plants
``storage._loaded_data`` or counts what ``_store`` got, these tests go
through the real cookie instead: one request's ``Set-Cookie`` becomes the
next request's ``Cookie``, and the next request says what it sees.

Django is configured once per process, here, from the example project's
settings; every test changes what it needs with ``override_settings``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.contrib.messages import constants, get_level, set_level  # noqa: E402
from django.contrib.messages.api import MessageFailure  # noqa: E402
from django.contrib.messages.storage.base import Message  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client, RequestFactory, override_settings  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.utils import translation  # noqa: E402
from django.utils.safestring import SafeData, mark_safe  # noqa: E402
from django.utils.translation import gettext_lazy  # noqa: E402

from examples.login_django import settings as example_settings  # noqa: E402
from examples.login_django.views import WRONG_LOGIN  # noqa: E402
from flashmw.django import FlashStorage, flash_options  # noqa: E402
from flashmw.testing import assert_flashes, make_cookie, read_flash  # noqa: E402

from .harness import SECRET  # noqa: E402

LOGGED_IN = "mrexamples account were successfully logged in"
STORAGE = "flashmw.django.FlashStorage"
LEVELS = {
    "debug": constants.DEBUG,
    "info": constants.INFO,
    "success": constants.SUCCESS,
    "warning": constants.WARNING,
    "error": constants.ERROR,
}


@pytest.fixture(scope="module", autouse=True)
def django_settings() -> Iterator[None]:
    """Configure Django for this process once, from the example's settings."""
    if not settings.configured:
        names = [name for name in dir(example_settings) if name.isupper()]
        settings.configure(**{name: getattr(example_settings, name) for name in names})
        django.setup()
    with override_settings(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=[]):
        yield


# -- a browser's cookie jar over bare requests ------------------------------


class Browser:
    """Carries cookies from one request's response to the next request."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str = "GET", *, secure: bool = False, **meta: Any
    ) -> HttpRequest:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return RequestFactory().generic(
            method, "/", secure=secure, HTTP_COOKIE=cookie, **meta
        )

    def storage(
        self, method: str = "GET", *, secure: bool = False, **meta: Any
    ) -> FlashStorage:
        """A request's storage, as MessageMiddleware.process_request makes it."""
        request = self.request(method, secure=secure, **meta)
        storage = FlashStorage(request)
        request._messages = storage  # type: ignore[attr-defined]
        return storage

    def update(
        self, storage: FlashStorage, response: HttpResponse | None = None
    ) -> HttpResponse:
        """What MessageMiddleware.process_response does; keep the cookies."""
        response = HttpResponse() if response is None else response
        storage.update(response)
        for name, morsel in response.cookies.items():
            if str(morsel["max-age"]) == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value
        return response

    def shown(self) -> list[Message]:
        """The messages the next page shows (and consumes)."""
        storage = self.storage()
        shown = list(storage)
        self.update(storage)
        return shown


def flash_morsel(response: HttpResponse) -> Any:
    """The one flash cookie a response sets or deletes (names vary per write)."""
    (morsel,) = [m for name, m in response.cookies.items() if name.startswith("flash.")]
    return morsel


def added_new(storage: FlashStorage) -> bool:
    # A call, so mypy does not narrow the flag across storage.add().
    return storage.added_new


def used(storage: FlashStorage) -> bool:
    return storage.used


def texts(shown: list[Message]) -> list[str]:
    return [str(message) for message in shown]


def add_level_messages(storage: FlashStorage) -> None:
    """Six messages at five levels and one custom level (as upstream does)."""
    storage.add(constants.INFO, "A generic info message")
    storage.add(29, "Some custom level")
    storage.add(constants.DEBUG, "A debugging message", extra_tags="extra-tag")
    storage.add(constants.WARNING, "A warning")
    storage.add(constants.ERROR, "An error")
    storage.add(constants.SUCCESS, "This was a triumph.")


def existing(browser: Browser) -> None:
    """Two messages waiting in the browser's cookie (upstream's existing storage)."""
    storage = browser.storage()
    storage.add(constants.INFO, "Test message 1")
    storage.add(constants.INFO, "Test message 2", extra_tags="tag")
    browser.update(storage)


# -- BaseTests ----------------------------------------------------------------


def test_add() -> None:
    # Mirrors BaseTests.test_add.
    storage = Browser().storage()
    assert not added_new(storage)
    storage.add(constants.INFO, "Test message 1")
    assert added_new(storage)
    storage.add(constants.INFO, "Test message 2", extra_tags="tag")
    assert len(storage) == 2


def test_add_lazy_translation() -> None:
    # Mirrors BaseTests.test_add_lazy_translation: a lazy string is stored,
    # as text, in the language active when the response is written.
    browser = Browser()
    storage = browser.storage()
    with translation.override("de"):
        storage.add(constants.INFO, gettext_lazy("This field is required."))  # type: ignore[arg-type]
    with translation.override("fr"):
        browser.update(storage)
    with translation.override("de"):
        assert texts(browser.shown()) == ["Ce champ est obligatoire."]


def test_lazy_string_shown_in_the_same_request_renders_in_that_language() -> None:
    storage = Browser().storage()
    storage.add(constants.INFO, gettext_lazy("This field is required."))  # type: ignore[arg-type]
    with translation.override("fr"):
        assert texts(list(storage)) == ["Ce champ est obligatoire."]


def test_no_update() -> None:
    # Mirrors BaseTests.test_no_update; and flashmw's promise that a request
    # that does not touch its messages does not even decode the cookie: a
    # bad one would otherwise be deleted.
    browser = Browser()
    browser.cookies["flash"] = "not-a-signed-value"
    response = browser.update(browser.storage())
    assert not response.cookies
    assert not response.has_header("Vary")
    assert browser.cookies == {"flash": "not-a-signed-value"}


def test_add_update() -> None:
    # Mirrors BaseTests.test_add_update.
    browser = Browser()
    storage = browser.storage()
    storage.add(constants.INFO, "Test message 1")
    storage.add(constants.INFO, "Test message 1", extra_tags="tag")
    browser.update(storage)
    shown = browser.shown()
    assert texts(shown) == ["Test message 1", "Test message 1"]
    assert [m.extra_tags for m in shown] == ["", "tag"]


def test_existing_add_read_update() -> None:
    # Mirrors BaseTests.test_existing_add_read_update: all read, none stored.
    browser = Browser()
    existing(browser)
    storage = browser.storage()
    storage.add(constants.INFO, "Test message 3")
    assert texts(list(storage)) == [
        "Test message 1",
        "Test message 2",
        "Test message 3",
    ]
    response = browser.update(storage)
    assert flash_morsel(response)["max-age"] == "0"  # deleted
    assert browser.shown() == []


def test_existing_read_add_update() -> None:
    # Mirrors BaseTests.test_existing_read_add_update: only the later one.
    browser = Browser()
    existing(browser)
    storage = browser.storage()
    list(storage)
    storage.add(constants.INFO, "Test message 3")
    browser.update(storage)
    assert texts(browser.shown()) == ["Test message 3"]


def test_existing_read() -> None:
    # Mirrors BaseTests.test_existing_read: iterating twice shows the same.
    browser = Browser()
    existing(browser)
    storage = browser.storage()
    assert not used(storage)
    data = list(storage)
    assert used(storage)
    assert data == list(storage)


def test_existing_add() -> None:
    # Mirrors BaseTests.test_existing_add.
    browser = Browser()
    existing(browser)
    storage = browser.storage()
    assert not added_new(storage)
    storage.add(constants.INFO, "Test message 3")
    assert added_new(storage)


def test_unread_messages_wait() -> None:
    # Django's documented rule: messages not iterated stay for later.
    browser = Browser()
    existing(browser)
    storage = browser.storage()
    assert len(storage) == 2  # looking is not reading
    browser.update(storage)
    assert texts(browser.shown()) == ["Test message 1", "Test message 2"]
    assert browser.shown() == []


def test_used_false_keeps_what_was_iterated() -> None:
    # Django's documented way to keep messages: storage.used = False.
    browser = Browser()
    existing(browser)
    storage = browser.storage()
    storage.add(constants.WARNING, "Added and shown")
    list(storage)
    storage.used = False
    browser.update(storage)
    assert texts(browser.shown()) == [
        "Test message 1",
        "Test message 2",
        "Added and shown",
    ]


def test_default_level() -> None:
    # Mirrors BaseTests.test_default_level.
    request = HttpRequest()
    assert get_level(request) == constants.INFO
    storage = Browser().storage()
    assert get_level(storage.request) == constants.INFO
    add_level_messages(storage)
    assert len(storage) == 5


def test_low_level() -> None:
    # Mirrors BaseTests.test_low_level.
    storage = Browser().storage()
    assert set_level(storage.request, 5)
    assert get_level(storage.request) == 5
    add_level_messages(storage)
    assert len(storage) == 6


def test_high_level() -> None:
    # Mirrors BaseTests.test_high_level.
    storage = Browser().storage()
    assert set_level(storage.request, 30)
    assert get_level(storage.request) == 30
    add_level_messages(storage)
    assert len(storage) == 2


@override_settings(MESSAGE_LEVEL=29)
def test_settings_level() -> None:
    # Mirrors BaseTests.test_settings_level.
    storage = Browser().storage()
    assert get_level(storage.request) == 29
    add_level_messages(storage)
    assert len(storage) == 3


def _stored_levels() -> list[Message]:
    browser = Browser()
    storage = browser.storage()
    storage.level = 0
    add_level_messages(storage)
    browser.update(storage)
    return browser.shown()


def test_tags() -> None:
    # Mirrors BaseTests.test_tags, after a trip through the cookie.
    tags = [m.tags for m in _stored_levels()]
    assert tags == ["info", "", "extra-tag debug", "warning", "error", "success"]


def test_level_tag() -> None:
    # Mirrors BaseTests.test_level_tag, after a trip through the cookie.
    shown = _stored_levels()
    assert [m.level_tag for m in shown] == [
        "info",
        "",
        "debug",
        "warning",
        "error",
        "success",
    ]
    assert [m.level for m in shown] == [20, 29, 10, 30, 40, 25]


@override_settings(
    MESSAGE_TAGS={
        constants.INFO: "info",
        constants.DEBUG: "",
        constants.WARNING: "",
        constants.ERROR: "bad",
        29: "custom",
    }
)
def test_custom_tags() -> None:
    # Mirrors BaseTests.test_custom_tags, after a trip through the cookie.
    tags = [m.tags for m in _stored_levels()]
    assert tags == ["info", "custom", "extra-tag", "", "bad", "success"]


def test_message_api_without_storage_fails_unless_silent() -> None:
    # Mirrors BaseTests.test_middleware_disabled and
    # test_middleware_disabled_fail_silently, at the API they exercise.
    request = HttpRequest()
    with pytest.raises(MessageFailure):
        messages.add_message(request, constants.INFO, "Test message")
    messages.add_message(request, constants.INFO, "Test message", fail_silently=True)
    messages.error(request, "Test message", fail_silently=True)


# -- the full cycle through Django's middleware (BaseTests' view tests) ------


def add_message_view(request: HttpRequest, level: str) -> HttpResponse:
    for text in request.POST.getlist("messages"):
        getattr(messages, level)(request, text)
    return redirect("show_message")


def show_message_view(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string(
        "{% for m in messages %}<li class='{{ m.tags }}'>{{ m }}</li>{% endfor %}"
    )
    return HttpResponse(template.render({"messages": messages.get_messages(request)}))


urlpatterns = [
    path("add/<str:level>/", add_message_view, name="add_message"),
    path("show/", show_message_view, name="show_message"),
]


@pytest.fixture
def cycle_client() -> Iterator[Client]:
    with override_settings(ROOT_URLCONF=__name__, MESSAGE_LEVEL=constants.DEBUG):
        yield Client()


def test_full_request_response_cycle(cycle_client: Client) -> None:
    # Mirrors BaseTests.test_full_request_response_cycle.
    data = {"messages": [f"Test message {x}" for x in range(5)]}
    for level in LEVELS:
        response = cycle_client.post(
            reverse("add_message", args=(level,)), data, follow=True
        )
        assert response.redirect_chain == [(reverse("show_message"), 302)]
        html = response.content.decode()
        for text in data["messages"]:
            assert f"<li class='{level}'>{text}</li>" in html
        # Shown once: the next page has none.
        assert cycle_client.get(reverse("show_message")).content == b""


def test_multiple_posts(cycle_client: Client) -> None:
    # Mirrors BaseTests.test_multiple_posts: five POSTs, then one GET.
    data = {"messages": [f"Test message {x}" for x in range(5)]}
    for level in LEVELS:
        cycle_client.post(reverse("add_message", args=(level,)), data)
    html = cycle_client.get(reverse("show_message")).content.decode()
    expected = "".join(
        f"<li class='{level}'>{text}</li>"
        for level in LEVELS
        for text in data["messages"]
    )
    assert html == expected


# -- CookieTests ----------------------------------------------------------------


@override_settings(
    SESSION_COOKIE_DOMAIN=".example.com",
    SESSION_COOKIE_SECURE=True,
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Strict",
)
def test_cookie_settings() -> None:
    # Mirrors CookieTests.test_cookie_settings: Django's SESSION_COOKIE_*
    # settings give the cookie its attributes, when set and when deleted.
    browser = Browser()
    storage = browser.storage()
    storage.add(constants.INFO, "test")
    response = browser.update(storage)
    morsel = flash_morsel(response)
    # Werkzeug writes the domain without the leading dot, which RFC 6265
    # ignores anyway.
    assert morsel["domain"] == "example.com"
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["path"] == "/"
    deleted = browser.update(_read_all(browser))
    morsel = flash_morsel(deleted)
    assert str(morsel["max-age"]) == "0"
    assert morsel["domain"] == "example.com"
    assert morsel["samesite"] == "Strict"


def _read_all(browser: Browser) -> FlashStorage:
    storage = browser.storage()
    list(storage)
    return storage


@override_settings(SESSION_COOKIE_SECURE=False, SESSION_COOKIE_SAMESITE=False)
def test_default_secure_follows_the_scheme() -> None:
    # Django's default (SESSION_COOKIE_SECURE=False) leaves Secure to the
    # request's scheme, as flashmw's secure=None does.
    for https, secure in ((True, True), (False, "")):
        browser = Browser()
        storage = browser.storage(secure=https)
        storage.add(constants.INFO, "test")
        morsel = flash_morsel(browser.update(storage))
        assert morsel["secure"] == secure
        assert morsel["samesite"] == ""


def test_get_bad_cookie() -> None:
    # Mirrors CookieTests.test_get_bad_cookie: a tampered cookie reads as
    # no messages, and the response that read it deletes it.
    browser = Browser()
    existing(browser)
    (name,) = browser.cookies
    value = browser.cookies[name]
    browser.cookies[name] = value[:-1] + ("A" if value[-1] != "A" else "B")
    storage = browser.storage()
    assert list(storage) == []
    response = browser.update(storage)
    assert flash_morsel(response)["max-age"] == "0"


def test_max_cookie_length(caplog: pytest.LogCaptureFixture) -> None:
    # Mirrors CookieTests.test_max_cookie_length: what does not fit drops
    # the oldest messages first. flashmw logs a WARNING rather than
    # returning them from update().
    with override_settings(FLASHMW={"max_total_size": 2000}):
        browser = Browser()
        storage = browser.storage()
        for i in range(5):
            storage.add(constants.INFO, f"{i}" + "x" * 299)
        with caplog.at_level(logging.WARNING, logger="flashmw"):
            browser.update(storage)
        shown = texts(browser.shown())
    assert len(shown) == 4
    assert [text[0] for text in shown] == ["1", "2", "3", "4"]
    assert "dropped the 1 oldest" in caplog.text


def test_safedata() -> None:
    # Mirrors CookieTests.test_safedata: safe text stays safe, plain text
    # stays plain (and is escaped by templates).
    browser = Browser()
    storage = browser.storage()
    storage.add(constants.INFO, mark_safe("<b>Hello Django!</b>"))
    storage.add(constants.INFO, "<b>plain</b>")
    browser.update(storage)
    safe, plain = browser.shown()
    assert isinstance(safe.message, SafeData)
    assert safe.message == "<b>Hello Django!</b>"
    assert not isinstance(plain.message, SafeData)


def test_extra_tags() -> None:
    # Mirrors CookieTests.test_extra_tags: "", None and text round-trip.
    for extra_tags in ["", None, "some tags"]:
        browser = Browser()
        storage = browser.storage()
        storage.add(constants.INFO, "message", extra_tags=extra_tags)
        browser.update(storage)
        assert [m.extra_tags for m in browser.shown()] == [extra_tags]


# -- flashmw's promises inside Django ----------------------------------------


@pytest.mark.parametrize(
    ("method", "meta"),
    [
        pytest.param("GET", {"HTTP_SEC_PURPOSE": "prefetch"}, id="prefetch"),
        pytest.param("GET", {"HTTP_SEC_FETCH_DEST": "image"}, id="subresource"),
        pytest.param("HEAD", {}, id="head"),
    ],
)
def test_unseen_requests_consume_nothing(method: str, meta: dict[str, Any]) -> None:
    browser = Browser()
    existing(browser)
    storage = browser.storage(method, **meta)
    storage.add(constants.INFO, "Added and shown")
    assert len(list(storage)) == 3
    browser.update(storage)
    assert texts(browser.shown()) == [
        "Test message 1",
        "Test message 2",
        "Added and shown",
    ]


def test_error_responses_store_but_do_not_consume() -> None:
    browser = Browser()
    existing(browser)
    storage = browser.storage()
    list(storage)
    storage.add(constants.ERROR, "Something broke")
    browser.update(storage, HttpResponse(status=500))
    assert texts(browser.shown()) == [
        "Test message 1",
        "Test message 2",
        "Something broke",
    ]


def test_reading_adds_vary_cookie_merged_with_the_response_s() -> None:
    browser = Browser()
    existing(browser)
    response = HttpResponse()
    response["Vary"] = "Accept-Encoding"
    browser.update(_read_all(browser), response)
    assert response["Vary"] == "Accept-Encoding, Cookie"


def test_same_request_add_and_show_writes_nothing() -> None:
    browser = Browser()
    storage = browser.storage()
    storage.add(constants.ERROR, "Bad password.")
    assert texts(list(storage)) == ["Bad password."]
    response = browser.update(storage)
    assert not response.cookies
    assert response["Vary"] == "Cookie"


def test_secret_key_fallbacks_rotate() -> None:
    browser = Browser()
    existing(browser)
    new_key = "a-newer-secret-for-the-django-tests-0123456789"
    with override_settings(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[SECRET]):
        assert texts(browser.shown()) == ["Test message 1", "Test message 2"]
    existing(browser)
    with override_settings(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[]):
        assert browser.shown() == []


def test_cookie_is_flashmw_s_format() -> None:
    # The mapping: category = level tag; a plain string when the level is
    # the tag's own and extra_tags is empty, else a small dict.
    browser = Browser()
    storage = browser.storage()
    storage.add(constants.SUCCESS, "Saved.")
    storage.add(constants.WARNING, "Careful.", extra_tags="sticky")
    state = read_flash(flash_options(), browser.update(storage))
    assert state is not None
    assert state.messages == [
        ("success", "Saved."),
        ("warning", {"level": 30, "message": "Careful.", "extra_tags": "sticky"}),
    ]
    # And what another flashmw app writes reads as Django messages.
    cookie = make_cookie(flash_options(), [("error", "From WSGI."), "Bare."])
    browser.cookies = {cookie.name: cookie.value}
    shown = browser.shown()
    assert [(m.level, str(m)) for m in shown] == [(40, "From WSGI."), (20, "Bare.")]


def test_on_overflow_error_is_refused() -> None:
    with (
        override_settings(FLASHMW={"on_overflow": "error"}),
        pytest.raises(ValueError, match="on_overflow"),
    ):
        Browser().storage()
    with (
        override_settings(FLASHMW=["max_age", 5]),
        pytest.raises(ValueError, match="FLASHMW"),
    ):
        Browser().storage()


# -- the example project, end to end -------------------------------------------


@pytest.fixture
def example() -> Iterator[Client]:
    with override_settings(ROOT_URLCONF="examples.login_django.urls"):
        yield Client()


def test_example_login_flashes_once(example: Client) -> None:
    home = example.get("/")
    assert home.status_code == 200
    assert '<a href="/login"><b>log in?</b></a>' in home.content.decode()
    assert "<li" not in home.content.decode()
    assert read_flash(flash_options(), home) is None

    form = example.get("/login").content.decode()
    assert 'name="cname"' in form
    assert 'name="csrfmiddlewaretoken"' in form

    wrong = example.post("/login", {"cname": "<ann>", "pwd": "nope"})
    html = wrong.content.decode()
    assert f"<strong>Error:</strong> {WRONG_LOGIN}" in html
    assert 'value="&lt;ann&gt;"' in html
    assert read_flash(flash_options(), wrong) is None

    right = example.post("/login", {"cname": "mrexamples", "pwd": "mrexamples"})
    assert right.status_code == 302
    assert right["Location"] == "/"
    assert_flashes(flash_options(), right, [("success", LOGGED_IN)])

    shown = example.get("/")
    assert f'<li class="success">{LOGGED_IN}</li>' in shown.content.decode()
    assert_flashes(flash_options(), shown, [])
    assert LOGGED_IN not in example.get("/").content.decode()


def test_example_renders_a_waiting_message_escaped(example: Client) -> None:
    cookie = make_cookie(flash_options(), [("info", "<b>Welcome</b>")])
    example.cookies[cookie.name] = cookie.value
    html = example.get("/").content.decode()
    assert '<li class="info">&lt;b&gt;Welcome&lt;/b&gt;</li>' in html


def test_any_storage_setting_keeps_its_own_options() -> None:
    assert settings.MESSAGE_STORAGE == STORAGE
    options: dict[str, Any] = flash_options()
    assert options["secret_key"] == SECRET
    assert options["samesite"] == "Lax"
