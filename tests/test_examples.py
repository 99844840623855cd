"""Each example app, driven end to end through a test client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from werkzeug.test import Client

import examples
from examples.login_flask import create_app as create_flask_app
from examples.login_wsgi import create_app as create_webob_app
from examples.settings_starlette import create_app as create_settings_app
from examples.todo_htmx import create_app as create_todo_app
from examples.todo_htmx.app import BLANK_TITLE, SEED
from flashmw.testing import assert_flashes, make_cookie, read_flash

from .harness import SECRET, FakeClock

LOGGED_IN = "mrexamples account were successfully logged in"
WRONG = "Client Name and Password is incorrect. Please enter the accurate data!"

LOGIN_APPS: dict[str, Callable[..., Any]] = {
    "webob": create_webob_app,
    "flask": create_flask_app,
}


@pytest.fixture(params=sorted(LOGIN_APPS))
def login_app(request: pytest.FixtureRequest, clock: FakeClock) -> Any:
    return LOGIN_APPS[request.param](secret_key=SECRET, clock=clock)


def notice(text: str) -> str:
    """How the notices macro renders one message's text."""
    return f'<div class="flashmw-text">{text}</div>'


def _flash_middleware(app: Any) -> Any:
    # The Flask example wraps app.wsgi_app; the WebOb one is the middleware.
    return getattr(app, "wsgi_app", app)


def test_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(examples.SECRET_ENV, raising=False)
    assert examples.secret_key() == examples.DEVELOPMENT_SECRET
    assert len(examples.DEVELOPMENT_SECRET.encode()) >= 32
    monkeypatch.setenv(examples.SECRET_ENV, "from-the-environment-" * 2)
    assert examples.secret_key() == "from-the-environment-" * 2


# -- the login example, on WebOb and on Flask -------------------------------


def test_home_links_to_the_login_form(login_app: Any) -> None:
    client = Client(login_app)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<a href="/login"><b>log in?</b></a>' in html
    assert "flashmw-notice" not in html
    # The notices' live region is on the page before anything fills it.
    assert 'aria-live="polite"' in html
    # Nothing was flashed or stored: the response leaves cookies alone.
    assert read_flash(_flash_middleware(login_app), response) is None


def test_login_form_renders(login_app: Any) -> None:
    html = Client(login_app).get("/login").get_data(as_text=True)
    assert 'name="cname"' in html
    assert 'type="password" id="pwd" name="pwd"' in html
    assert "Error:" not in html


def test_wrong_password_shows_the_error_and_keeps_the_name(login_app: Any) -> None:
    client = Client(login_app)
    response = client.post("/login", data={"cname": "<ann>", "pwd": "nope"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<strong>Error:</strong> {WRONG}" in html
    assert 'value="&lt;ann&gt;"' in html
    assert read_flash(_flash_middleware(login_app), response) is None


def test_login_flashes_once_then_it_is_gone(login_app: Any) -> None:
    client = Client(login_app)
    mw = _flash_middleware(login_app)
    response = client.post("/login", data={"cname": "mrexamples", "pwd": "mrexamples"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert_flashes(mw, response, [LOGGED_IN])
    # Flashing needs no server session: flashmw's cookie is the only one.
    names = [c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie")]
    assert len(names) == 1
    assert names[0].startswith("flash.")

    home = client.get("/")
    assert notice(LOGGED_IN) in home.get_data(as_text=True)
    assert_flashes(mw, home, [])

    reload = client.get("/")
    assert LOGGED_IN not in reload.get_data(as_text=True)
    assert read_flash(mw, reload) is None


def test_message_waiting_from_an_earlier_request_shows(login_app: Any) -> None:
    client = Client(login_app)
    cookie = make_cookie(_flash_middleware(login_app), ["<b>Welcome</b>"])
    client.set_cookie(cookie.name, cookie.value)
    html = client.get("/").get_data(as_text=True)
    assert notice("&lt;b&gt;Welcome&lt;/b&gt;") in html


def test_webob_app_answers_unknown_paths_and_methods() -> None:
    client = Client(create_webob_app(secret_key=SECRET))
    assert client.get("/nowhere").status_code == 404
    response = client.post("/")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


# -- the settings form on Starlette -----------------------------------------


class SyncClient:
    """httpx's ASGI client with a cookie jar, called from synchronous tests."""

    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            follow_redirects=True,
        )
        self.cookies = self.client.cookies

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(url, **kwargs))

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.put(url, **kwargs))

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.delete(url, **kwargs))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


@pytest.fixture
def settings(clock: FakeClock) -> Iterator[SyncClient]:
    client = SyncClient(create_settings_app(secret_key=SECRET, clock=clock))
    yield client
    client.close()


OPTIONS = {"secret_key": SECRET}


def test_settings_form_starts_without_notices(settings: SyncClient) -> None:
    response = settings.get("/")
    assert response.status_code == 200
    assert 'name="name" value=""' in response.text
    assert "flash-info" not in response.text
    assert "flash-error" not in response.text


def test_blank_name_flashes_an_error(settings: SyncClient, clock: FakeClock) -> None:
    posted = settings.post("/", data={"name": "  "}, follow_redirects=False)
    assert posted.status_code == 303
    assert_flashes(
        {**OPTIONS, "clock": clock}, posted, [], {"error": "Name cannot be blank."}
    )
    page = settings.get("/")
    assert 'role="alert" id="flash-error" data-flashmw-key="error"' in page.text
    assert notice("Name cannot be blank.") in page.text
    # The dismiss works without JavaScript: a form POSTs the key and comes back.
    assert '<input type="hidden" name="key" value="error">' in page.text
    assert '<input type="hidden" name="next" value="/">' in page.text


def test_saving_flashes_info_and_replaces_the_error(settings: SyncClient) -> None:
    settings.post("/", data={"name": ""})
    page = settings.post("/", data={"name": " <Ann> "})
    assert page.status_code == 200
    assert notice("Settings saved.") in page.text
    assert 'role="status" id="flash-info"' in page.text
    assert "flash-error" not in page.text
    assert 'value="&lt;Ann&gt;"' in page.text


def test_notice_stays_until_dismissed(settings: SyncClient, clock: FakeClock) -> None:
    settings.post("/", data={"name": "Ann"})
    for _ in range(2):
        assert "Settings saved." in settings.get("/").text

    dismissed = settings.post("/_flash", json={"key": "info"})
    assert dismissed.status_code == 204
    assert_flashes({**OPTIONS, "clock": clock}, dismissed, [], {})
    assert "Settings saved." not in settings.get("/").text


def test_dismissing_one_key_keeps_the_other(
    settings: SyncClient, clock: FakeClock
) -> None:
    cookie = make_cookie(
        {**OPTIONS, "clock": clock}, values={"info": "Saved.", "error": "Oops."}
    )
    # http.cookiejar files the dotless host under "testserver.local".
    settings.cookies.set(cookie.name, cookie.value, domain="testserver.local")
    settings.post("/_flash", json={"key": "error"})
    page = settings.get("/").text
    assert "Oops." not in page
    assert notice("Saved.") in page


def test_dismissing_without_javascript_redirects_back(settings: SyncClient) -> None:
    settings.post("/", data={"name": ""})
    response = settings.post(
        "/_flash", data={"key": "error", "next": "/"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Name cannot be blank." not in settings.get("/").text


# -- the to-do list on Starlette and htmx ------------------------------------

HX = {"HX-Request": "true"}


@pytest.fixture
def todo(clock: FakeClock) -> Iterator[SyncClient]:
    client = SyncClient(create_todo_app(secret_key=SECRET, clock=clock))
    yield client
    client.close()


def flash_event(response: httpx.Response) -> dict[str, Any]:
    """The ``flash`` event of the one HX-Trigger header."""
    assert len(response.headers.get_list("HX-Trigger")) == 1
    raw = response.headers.raw
    value = next(v for k, v in raw if k.lower() == b"hx-trigger")
    detail: dict[str, Any] = json.loads(value.decode("latin-1"))["flash"]
    return detail


def test_todo_page_lists_the_seed_and_loads_htmx(todo: SyncClient) -> None:
    page = todo.get("/")
    assert page.status_code == 200
    for title in SEED:
        assert f'<span class="title">{title}</span>' in page.text
    assert '<script src="/static/htmx.min.js" defer></script>' in page.text
    assert "flashmw-notice" not in page.text
    htmx_js = todo.get("/static/htmx.min.js")
    assert htmx_js.text.startswith("/*! htmx 4.0.1")
    assert todo.get("/_flash/flash.js").status_code == 200


def test_adding_a_todo_flashes_in_the_header(todo: SyncClient) -> None:
    added = todo.post("/todos", data={"title": " Pay the café bill "}, headers=HX)
    assert added.status_code == 200
    assert '<span class="title">Pay the café bill</span>' in added.text
    assert flash_event(added) == {
        "messages": [{"category": "success", "message": "Added “Pay the café bill”."}],
        "values": {},
    }
    # Delivered once: nothing stored, and the next page shows no notice.
    assert read_flash(OPTIONS, added) is None
    assert "flashmw-notice" not in todo.get("/").text


def test_a_blank_title_flashes_an_error_and_swaps_nothing(todo: SyncClient) -> None:
    refused = todo.post("/todos", data={"title": "  "}, headers=HX)
    assert refused.status_code == 422
    assert refused.headers["HX-Reswap"] == "none"
    assert flash_event(refused)["messages"] == [
        {"category": "error", "message": BLANK_TITLE}
    ]
    assert todo.put("/todos/1", data={"title": ""}, headers=HX).status_code == 422


def test_editing_and_deleting_flash_confirmations(todo: SyncClient) -> None:
    form = todo.get("/todos/2/edit", headers=HX)
    assert 'hx-put="/todos/2"' in form.text
    assert 'value="Call Zoë about the trip"' in form.text
    assert form.headers.get("HX-Trigger") is None

    saved = todo.put("/todos/2", data={"title": "Call Zoë"}, headers=HX)
    assert '<span class="title">Call Zoë</span>' in saved.text
    assert flash_event(saved)["messages"][0]["message"] == "Saved “Call Zoë”."

    deleted = todo.delete("/todos/2", headers=HX)
    assert deleted.text == ""
    assert flash_event(deleted)["messages"] == [
        {"category": "info", "message": "Deleted “Call Zoë”."}
    ]
    assert "Call Zoë" not in todo.get("/").text
    assert todo.delete("/todos/2", headers=HX).status_code == 404
    assert todo.get("/todos/2", headers=HX).status_code == 404


def test_archive_redirects_and_the_next_page_shows_the_flash(
    todo: SyncClient, clock: FakeClock
) -> None:
    archived = todo.post("/archive", headers=HX)
    assert archived.status_code == 204
    assert archived.headers["HX-Redirect"] == "/archive"
    assert archived.headers.get("HX-Trigger") is None
    # The cookie keeps it for the page htmx loads next.
    assert_flashes(
        {**OPTIONS, "clock": clock}, archived, [("success", "Archived 3 to-dos.")]
    )

    page = todo.get("/archive")
    assert notice("Archived 3 to-dos.") in page.text
    assert 'role="status"' in page.text
    assert "Water the plants" in page.text
    assert "Archived 3 to-dos." not in todo.get("/archive").text
