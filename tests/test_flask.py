"""``flashmw.flask``: one call installs flashmw into a Flask app."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string
from werkzeug.test import Client

from flashmw import FlashMiddleware, flash
from flashmw.flask import FlashExtension, install
from flashmw.testing import assert_flashes, make_cookie

from .harness import SECRET

OLD = "an-older-secret-for-the-flask-tests-0123456789"
TEMPLATE = "{% for m in get_flashed_messages() %}<li>{{ m }}</li>{% endfor %}"


def make_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)

    @app.post("/save")
    def save() -> str:
        flash("Saved.")
        return "ok"

    @app.get("/")
    def index() -> str:
        return render_template_string(TEMPLATE)

    return app


def test_install_wraps_the_app_and_the_templates() -> None:
    app = make_app(SECRET_KEY=SECRET)
    middleware = install(app)
    assert app.wsgi_app is middleware
    assert app.extensions["flashmw"] is middleware
    client = Client(app)
    assert_flashes(middleware, client.post("/save"), ["Saved."])
    assert client.get("/").get_data(as_text=True) == "<li>Saved.</li>"
    assert client.get("/").get_data(as_text=True) == ""


def test_secret_key_fallbacks_rotate() -> None:
    old_app = make_app(SECRET_KEY=OLD)
    install(old_app)
    response = Client(old_app).post("/save")
    name, value = response.headers["Set-Cookie"].split(";")[0].split("=", 1)

    def page(app: Flask) -> str:
        client = Client(app)
        client.set_cookie(name, value)
        return client.get("/").get_data(as_text=True)

    rotated = make_app(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=[OLD])
    install(rotated)
    assert page(rotated) == "<li>Saved.</li>"

    retired = make_app(SECRET_KEY=SECRET)
    install(retired)
    assert page(retired) == ""


def test_new_cookies_are_signed_with_the_newest_key() -> None:
    app = make_app(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=[OLD])
    install(app)
    response = Client(app).post("/save")
    assert_flashes({"secret_key": SECRET}, response, ["Saved."])
    with pytest.raises(ValueError, match="verify"):
        assert_flashes({"secret_key": OLD}, response, ["Saved."])


def test_options_given_win_over_the_config() -> None:
    app = make_app(SECRET_KEY=OLD)
    middleware = install(app, secret_key=SECRET, cookie_name="notice")
    assert middleware.cookie_name == "notice"
    response = Client(app).post("/save")
    assert_flashes(
        {"secret_key": SECRET, "cookie_name": "notice"}, response, ["Saved."]
    )


def test_no_secret_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="secret_key"):
        install(make_app())


def test_extension_with_init_app_for_factories() -> None:
    extension = FlashExtension(cookie_name="notice")
    apps = [make_app(SECRET_KEY=SECRET), make_app(SECRET_KEY=OLD)]
    for app in apps:
        middleware = extension.init_app(app)
        assert isinstance(middleware, FlashMiddleware)
        cookie = make_cookie(middleware, ["Waiting."])
        assert cookie.name == "notice"
        client = Client(app)
        client.set_cookie(cookie.name, cookie.value)
        assert client.get("/").get_data(as_text=True) == "<li>Waiting.</li>"


def test_extension_given_the_app_installs_at_once() -> None:
    app = make_app(SECRET_KEY=SECRET)
    FlashExtension(app)
    assert isinstance(app.wsgi_app, FlashMiddleware)
