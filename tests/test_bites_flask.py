"""Flask installation rules that mutation testing found unpinned (issue 16)."""

from __future__ import annotations

from flask import Flask, render_template_string
from werkzeug.test import Client

from flashmw.flask import install
from flashmw.testing import make_cookie

from .harness import SECRET

OLD = "an-older-secret-for-the-flask-tests-0123456789"


def _page(**config: object) -> Flask:
    app = Flask(__name__)
    app.config.update(config)

    @app.get("/")
    def index() -> str:
        return render_template_string(
            "{% for m in get_flashed_messages() %}<li>{{ m }}</li>{% endfor %}"
        )

    return app


def test_fallback_keys_given_win_over_the_config() -> None:
    # Given to install(), fallback_keys are used as given, with or without
    # SECRET_KEY_FALLBACKS in the config.
    for config in (
        {"SECRET_KEY": SECRET},
        {"SECRET_KEY": SECRET, "SECRET_KEY_FALLBACKS": []},
    ):
        app = _page(**config)
        install(app, fallback_keys=[OLD])
        cookie = make_cookie({"secret_key": OLD}, ["Signed with the old key."])
        client = Client(app)
        client.set_cookie(cookie.name, cookie.value)
        page = client.get("/").get_data(as_text=True)
        assert page == "<li>Signed with the old key.</li>"
