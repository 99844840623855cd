"""PyView's settings page on flashmw, with flashes that cross HTTP and live navigation.

- ``GET /``: a plain HTTP page with a form that POSTs to ``/welcome``.
- ``POST /welcome``: a plain HTTP handler; puts ``info`` "Welcome back."
  and answers 303 to ``/settings``.
- ``/settings``: :class:`~examples.settings_pyview.settings.SettingsLiveView`,
  the live view of PyView's flash guide. It shows "Welcome back." once; a
  blank name flashes ``error``, a name ``info``; each notice is dismissed
  with ``lv:clear-flash``. Its ``leave`` button puts ``info`` "See you
  soon." and ``push_navigate``-s to ``/about``; its ``sign-out`` button
  puts ``info`` "Signed out." and ``redirect``-s to ``/``.
- ``/about``: :class:`~examples.settings_pyview.about.AboutLiveView`.

Run it with ``python -m examples.demo pyview`` (Python 3.11+).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from pyview import PyView, defaultRootTemplate
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from examples import secret_key
from flashmw import current_flash, put_flash
from flashmw.pyview import PyViewFlashMiddleware

from .about import AboutLiveView
from .settings import SettingsLiveView

WELCOME = "Welcome back."

CSS = Markup(
    """<style>
  :root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; background: #f5f7fa; color: var(--ink);
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
         display: flex; justify-content: center; align-items: flex-start; }
  .card { width: min(28rem, 100% - 2rem); margin: 4rem 0; padding: 2rem;
          background: #fff; border: 1px solid var(--line); border-radius: 12px;
          box-shadow: 0 6px 24px rgba(15, 23, 42, .06); }
  h1 { margin: 0 0 1.25rem; font-size: 1.5rem; }
  .error, .success { margin: 0 0 1rem; padding: .75rem 1rem; border-radius: 8px;
                     cursor: pointer; border: 1px solid; }
  .error { background: #fde8e8; border-color: #f8b4b4; color: #9b1c1c; }
  .success { background: #def7ec; border-color: #84e1bc; color: #03543f; }
  .error::after, .success::after { content: "\\00d7"; float: right; opacity: .6; }
  label { display: block; margin-bottom: .35rem; color: var(--muted);
          font-size: .9rem; }
  input[type=text] { width: 100%; padding: .6rem .75rem; border: 1px solid var(--line);
                     border-radius: 8px; font: inherit; margin-bottom: 1rem; }
  button { padding: .6rem 1.1rem; border: 0; border-radius: 8px; font: inherit;
           background: #3e63dd; color: #fff; cursor: pointer; }
  button:hover { background: #3451b2; }
  nav { margin-top: 1.5rem; padding-top: 1rem; border-top: 1px solid var(--line);
        display: flex; gap: 1rem; }
  button.link { padding: 0; background: none; color: #3e63dd; white-space: nowrap; }
  button.link:hover { text-decoration: underline; background: none; }
  a { color: #3e63dd; }
</style>"""
)


def _page(title: str, body: Markup) -> str:
    return (
        Markup(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>{}</title>{}</head><body>{}</body></html>"
        )
        .format(title, CSS, body)
        .__str__()
    )


async def home(request: Request) -> Response:
    """The plain HTTP page; it shows a flash a live view redirected with."""
    notice = current_flash().info
    flash_html = (
        Markup('<p class="success" id="flash-info" role="status">{}</p>').format(notice)
        if notice
        else Markup("")
    )
    body = Markup(
        '<main class="card"><h1>Welcome</h1>{}'
        '<form method="post" action="/welcome">'
        "<p>A plain HTTP page: the form below is an ordinary POST.</p>"
        '<button type="submit" id="sign-in">Sign in</button></form></main>'
    ).format(flash_html)
    return HTMLResponse(_page("Welcome", body))


async def welcome(request: Request) -> Response:
    """A plain HTTP handler: flash, then post/redirect/get into the live view."""
    put_flash("info", WELCOME)
    return RedirectResponse("/settings", status_code=303)


def create_app(**options: Any) -> PyView:
    """Return the PyView app with :class:`~flashmw.pyview.PyViewFlashMiddleware`.

    :param options: middleware options; ``secret_key`` defaults to
        :func:`examples.secret_key`.
    """
    options.setdefault("secret_key", secret_key())
    app = PyView()
    app.rootTemplate = defaultRootTemplate(
        css=CSS, title="flashmw", title_suffix=" | PyView"
    )
    app.mount("/static", StaticFiles(packages=[("pyview", "static")]), name="static")
    app.routes.append(Route("/", home, methods=["GET"]))
    app.routes.append(Route("/welcome", welcome, methods=["POST"]))
    app.add_live_view("/settings", SettingsLiveView)
    app.add_live_view("/about", AboutLiveView)
    # The one line that installs flashmw, bridge included.
    app.add_middleware(PyViewFlashMiddleware, **options)
    return app


app = create_app()

__all__ = ["app", "create_app", "escape"]
