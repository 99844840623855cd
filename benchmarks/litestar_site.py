"""A bare Litestar app whose four routes use a :class:`Machinery`.

In a module of its own because Litestar reads each handler's type hints
from the module it is defined in, and only the bench env has Litestar.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from benchmarks.contestants import Machinery
from benchmarks.traffic import NEW, SEEDED


def litestar_app(machinery: Machinery, middleware: list[Any]) -> Litestar:
    """Return the app; a route's request object is the ASGI scope."""

    def seed(request: Request[Any, Any, Any]) -> Response[bytes]:
        for category, text in SEEDED:
            machinery.add(request.scope, category, text)
        return Response(b"seeded", media_type="text/plain")

    def untouched(request: Request[Any, Any, Any]) -> Response[bytes]:
        return Response(b"ok", media_type="text/plain")

    def consume(request: Request[Any, Any, Any]) -> Response[bytes]:
        count = len(machinery.read(request.scope))
        return Response(str(count).encode("ascii"), media_type="text/plain")

    def flash_and_redirect(request: Request[Any, Any, Any]) -> Redirect:
        machinery.add(request.scope, *NEW)
        return Redirect("/", status_code=302)

    handlers: list[HTTPRouteHandler] = [
        get(path, sync_to_thread=False)(view)
        for path, view in (
            ("/seed", seed),
            ("/s1", untouched),
            ("/s2", consume),
            ("/s3", flash_and_redirect),
        )
    ]
    return Litestar(handlers, middleware=middleware, openapi_config=None, debug=False)
