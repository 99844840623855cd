"""The Flask flashing tutorial's login app as a plain WSGI app on WebOb.

``GET /`` lists the flashed messages and links to the login form.
``POST /login`` with ``cname=mrexamples`` and ``pwd=mrexamples`` flashes
"mrexamples account were successfully logged in" and redirects home, where
the message shows once; any other pair shows the form again with an error.

No framework is involved: WebOb parses the request, Jinja2 renders the
templates, and :class:`~flashmw.FlashMiddleware` carries the message across
the redirect in a signed cookie. The pages render the message with flashmw's
notices macro; its dismiss button works with and without JavaScript through
the middleware's endpoint. Run it with ``python -m examples.demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, select_autoescape
from webob import Request, Response
from webob.exc import HTTPFound, HTTPMethodNotAllowed, HTTPNotFound

from examples import ENDPOINT, secret_key, template_loader
from flashmw import FlashMiddleware, flash
from flashmw.jinja2 import install

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

#: The one account the tutorial accepts.
CLIENT_NAME = "mrexamples"
PASSWORD = "mrexamples"
WRONG_LOGIN = "Client Name and Password is incorrect. Please enter the accurate data!"

#: URL of each view, so templates can say ``url_for('login')`` as in Flask.
URLS = {"index": "/", "login": "/login"}

templates = install(
    Environment(
        loader=template_loader(Path(__file__).with_name("templates")),
        autoescape=select_autoescape(),
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.globals["url_for"] = URLS.__getitem__


def render(name: str, **context: Any) -> Response:
    """Render a template into an HTML response."""
    return Response(templates.get_template(name).render(**context))


def index(request: Request) -> Response:
    """The home page: flashed messages, then a link to the login form."""
    return render("main.html")


def login(request: Request) -> Response:
    """Show the login form, or check it and redirect home with a flash."""
    error = None
    if request.method == "POST":
        name = request.POST.get("cname", "")
        if name != CLIENT_NAME or request.POST.get("pwd") != PASSWORD:
            error = WRONG_LOGIN
        else:
            flash(f"{name} account were successfully logged in")
            return HTTPFound(location=URLS["index"])
    return render("form.html", error=error, cname=request.POST.get("cname", ""))


View = Callable[[Request], Response]
ROUTES: dict[str, tuple[View, tuple[str, ...]]] = {
    URLS["index"]: (index, ("GET", "HEAD")),
    URLS["login"]: (login, ("GET", "HEAD", "POST")),
}


def application(environ: dict[str, Any], start_response: Any) -> Any:
    """The WSGI app without flashmw: route the request to its view."""
    request = Request(environ)
    view, methods = ROUTES.get(request.path_info, (None, ()))
    if view is None:
        response: Response = HTTPNotFound()
    elif request.method not in methods:
        response = HTTPMethodNotAllowed(headers={"Allow": ", ".join(methods)})
    else:
        response = view(request)
    return response(environ, start_response)


def create_app(**options: Any) -> WSGIApplication:
    """Return the app wrapped in :class:`~flashmw.FlashMiddleware`.

    :param options: middleware options; ``secret_key`` defaults to
        :func:`examples.secret_key`, ``endpoint`` to ``/_flash`` (the
        notices' dismiss and the client kit's files).
    """
    options.setdefault("secret_key", secret_key())
    options.setdefault("endpoint", ENDPOINT)
    return FlashMiddleware(application, **options)


app = create_app()
