"""A to-do list on Starlette and htmx whose flashes arrive without a page load.

Adding, editing and deleting a to-do are htmx requests that swap a fragment
of the page. Their handlers call :func:`flashmw.flash` ("Added “Buy milk”.",
"Title cannot be blank.") and never render it: with ``htmx=True`` the
middleware puts what is pending in the response's ``HX-Trigger`` header as
the ``flash`` event, and flashmw.js renders it into the page's notices.

"Archive all" answers with ``HX-Redirect``: htmx loads ``/archive`` as a new
page, so the middleware leaves its flash in the cookie, and the archive
page renders it with the notices macro like any full page.

Run it with ``python -m examples.demo htmx`` (needs uvicorn). htmx itself is
the minified file from the ``htmx.org`` npm package, in ``static/``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from examples import ENDPOINT, secret_key, template_loader
from flashmw import ASGIFlashMiddleware, flash
from flashmw.jinja2 import install

HERE = Path(__file__).resolve().parent
BLANK_TITLE = "Title cannot be blank."
#: What the list holds when the app starts; non-ASCII on purpose, since
#: every flash about them crosses an HTTP header.
SEED = ("Buy café beans ☕", "Call Zoë about the trip", "Water the plants")

templates = Jinja2Templates(
    env=install(
        Environment(
            loader=template_loader(HERE / "templates"),
            autoescape=select_autoescape(),
        )
    )
)


@dataclass
class Todo:
    """One to-do."""

    id: int
    title: str


@dataclass
class Store:
    """The demo's to-dos, in memory (one list for everyone)."""

    todos: dict[int, Todo] = field(default_factory=dict)
    archived: list[Todo] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, title: str) -> Todo:
        todo = Todo(next(self.ids), title)
        self.todos[todo.id] = todo
        return todo


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _title(form: Any) -> str:
    return str(form.get("title", "")).strip()


def _invalid() -> Response:
    """A validation error: the flash says why, and nothing is swapped."""
    flash(BLANK_TITLE, "error")
    # htmx swaps 4xx answers too: HX-Reswap keeps what the user typed.
    return Response(status_code=422, headers={"HX-Reswap": "none"})


def _fragment(request: Request, name: str, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, context)


async def index(request: Request) -> Response:
    """The page: notices, the add form and the list."""
    return _fragment(request, "index.html", todos=list(_store(request).todos.values()))


async def add(request: Request) -> Response:
    """Add a to-do; the answer is its row, appended to the list."""
    title = _title(await request.form())
    if not title:
        return _invalid()
    todo = _store(request).add(title)
    flash(f"Added “{todo.title}”.", "success")
    return _fragment(request, "_row.html", todo=todo)


def _todo(request: Request) -> Todo | None:
    return _store(request).todos.get(int(request.path_params["id"]))


async def row(request: Request) -> Response:
    """One row as it reads (the Cancel of an edit)."""
    todo = _todo(request)
    if todo is None:
        return Response(status_code=404)
    return _fragment(request, "_row.html", todo=todo)


async def edit(request: Request) -> Response:
    """One row as a form."""
    todo = _todo(request)
    if todo is None:
        return Response(status_code=404)
    return _fragment(request, "_edit.html", todo=todo)


async def save(request: Request) -> Response:
    """Rename a to-do; the answer is its row."""
    todo = _todo(request)
    if todo is None:
        return Response(status_code=404)
    title = _title(await request.form())
    if not title:
        return _invalid()
    todo.title = title
    flash(f"Saved “{todo.title}”.", "success")
    return _fragment(request, "_row.html", todo=todo)


async def delete(request: Request) -> Response:
    """Delete a to-do; the empty answer replaces its row."""
    todo = _store(request).todos.pop(int(request.path_params["id"]), None)
    if todo is None:
        return Response(status_code=404)
    flash(f"Deleted “{todo.title}”.", "info")
    return HTMLResponse("")


async def archive_all(request: Request) -> Response:
    """Archive every to-do and send the browser to the archive page."""
    store = _store(request)
    count = len(store.todos)
    store.archived.extend(store.todos.values())
    store.todos.clear()
    flash(f"Archived {count} to-do{'' if count == 1 else 's'}.", "success")
    # A new page: the flash waits in the cookie and that page renders it.
    return Response(status_code=204, headers={"HX-Redirect": "/archive"})


async def archive(request: Request) -> Response:
    """The archived to-dos, a full page."""
    return _fragment(request, "archive.html", todos=_store(request).archived)


def create_app(**options: Any) -> Starlette:
    """Return the Starlette app with :class:`~flashmw.ASGIFlashMiddleware`.

    :param options: middleware options; ``secret_key`` defaults to
        :func:`examples.secret_key`, ``endpoint`` to ``/_flash``, and
        ``htmx`` to ``True``.
    """
    options.setdefault("secret_key", secret_key())
    options.setdefault("endpoint", ENDPOINT)
    options.setdefault("htmx", True)
    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"], name="index"),
            Route("/todos", add, methods=["POST"], name="add"),
            Route("/todos/{id:int}", row, methods=["GET"], name="row"),
            Route("/todos/{id:int}", save, methods=["PUT"]),
            Route("/todos/{id:int}", delete, methods=["DELETE"]),
            Route("/todos/{id:int}/edit", edit, methods=["GET"], name="edit"),
            Route("/archive", archive_all, methods=["POST"]),
            Route("/archive", archive, methods=["GET"], name="archive"),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(ASGIFlashMiddleware, **options)],
    )
    app.state.store = Store()
    for title in SEED:
        app.state.store.add(title)
    return app


app = create_app()
