"""The Flask flashing tutorial's login app, with flashmw doing the flashing.

The views and templates are the tutorial's. Two lines differ from a Flask
app that uses Flask's own flashing:

- :func:`flashmw.flask.install` wraps the app, so flashes live in flashmw's
  signed cookie (signed with the app's ``SECRET_KEY``) instead of Flask's
  session, and replaces Flask's ``get_flashed_messages`` template global
  with flashmw's, so ``main.html`` reads flashmw's messages;
- views import ``flash`` from flashmw: :func:`flask.flash` would still
  write Flask's session, which nothing here reads.
Run it with ``python -m examples.demo flask``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from examples import ENDPOINT, secret_key, template_loader
from flashmw import flash
from flashmw.flask import install

#: The one account the tutorial accepts.
CLIENT_NAME = "mrexamples"
PASSWORD = "mrexamples"
WRONG_LOGIN = "Client Name and Password is incorrect. Please enter the accurate data!"


def index() -> str:
    """The home page: flashed messages, then a link to the login form."""
    return render_template("main.html")


def login() -> str | Response:
    """Show the login form, or check it and redirect home with a flash."""
    error = None
    if request.method == "POST":
        name = request.form.get("cname", "")
        if name != CLIENT_NAME or request.form.get("pwd") != PASSWORD:
            error = WRONG_LOGIN
        else:
            flash(f"{name} account were successfully logged in")
            return redirect(url_for("index"))
    return render_template("form.html", error=error)


def create_app(**options: Any) -> Flask:
    """Return the Flask app with flashmw installed.

    :param options: :class:`~flashmw.FlashMiddleware` options;
        ``secret_key`` becomes the app's ``SECRET_KEY`` and defaults to
        :func:`examples.secret_key`; ``endpoint`` defaults to ``/_flash``.
    """
    options.setdefault("endpoint", ENDPOINT)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = options.pop("secret_key", None) or secret_key()
    # The tutorial's templates, the shared layout and flashmw's notices.
    app.jinja_loader = template_loader(Path(__file__).with_name("templates"))
    app.add_url_rule("/", view_func=index)
    app.add_url_rule("/login", view_func=login, methods=["GET", "POST"])
    install(app, **options)
    return app


app = create_app()
