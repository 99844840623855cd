"""PyView's settings form on Starlette, with keyed flashes the user dismisses.

``POST /`` saves a display name: a blank one puts ``error`` "Name cannot be
blank.", any other puts ``info`` "Settings saved.", and the browser is
redirected back to ``GET /`` (post/redirect/get), which renders the
template from PyView's flash guide with ``{% if flash.info %}``.

As in a LiveView, a notice stays on the page until the user dismisses it
or a later save replaces it: the page calls :meth:`flashmw.Flash.keep`, so
reading a flash does not drop it. The notices come from flashmw's macro:
each has a dismiss button that flashmw.js turns into "hide at once, then
POST the key to the middleware's ``/_flash`` endpoint" (PyView's
``lv:clear-flash``), and that without JavaScript submits a form to the same
endpoint, which clears the key and redirects back. Either way it stays gone
on reload.

Run it with ``python -m examples.demo settings`` (needs uvicorn).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from examples import ENDPOINT, secret_key, template_loader
from flashmw import ASGIFlashMiddleware, clear_flash, current_flash, put_flash
from flashmw.jinja2 import install

BLANK_NAME = "Name cannot be blank."
SAVED = "Settings saved."
templates = Jinja2Templates(
    env=install(
        Environment(
            loader=template_loader(Path(__file__).with_name("templates")),
            autoescape=select_autoescape(),
        )
    )
)


async def show_settings(request: Request) -> Response:
    """Render the form with the notices that are waiting."""
    # Notices stay until dismissed (see the module docstring).
    current_flash().keep()
    return templates.TemplateResponse(
        request, "settings.html", {"name": request.app.state.name}
    )


async def save_settings(request: Request) -> Response:
    """Save the name, flash the outcome and redirect to the form."""
    form = await request.form()
    name = str(form.get("name", "")).strip()
    if name:
        # A real app would save this per user; the demo has one setting.
        request.app.state.name = name
        clear_flash("error")
        put_flash("info", SAVED)
    else:
        clear_flash("info")
        put_flash("error", BLANK_NAME)
    return RedirectResponse(request.url_for("settings"), status_code=303)


def create_app(**options: Any) -> Starlette:
    """Return the Starlette app with :class:`~flashmw.ASGIFlashMiddleware`.

    :param options: middleware options; ``secret_key`` defaults to
        :func:`examples.secret_key`, ``endpoint`` to ``/_flash``.
    """
    options.setdefault("secret_key", secret_key())
    options.setdefault("endpoint", ENDPOINT)
    app = Starlette(
        routes=[
            Route("/", show_settings, methods=["GET"], name="settings"),
            Route("/", save_settings, methods=["POST"]),
        ],
        middleware=[Middleware(ASGIFlashMiddleware, **options)],
    )
    app.state.name = ""
    return app


app = create_app()
