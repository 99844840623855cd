"""Serve one example app on this machine until Ctrl-C.

Usage::

    python -m examples.demo                  # the WebOb login example
    python -m examples.demo flask            # the same on Flask
    python -m examples.demo settings         # the Starlette settings form
    python -m examples.demo django           # the login example on Django
    python -m examples.demo htmx             # the Starlette and htmx to-do list
    python -m examples.demo pyview           # the PyView live views (3.11+)
    python -m examples.demo --port 0         # any free port

``tox -e demo`` runs the first. The WSGI examples are served by the
standard library's :mod:`wsgiref`; the ASGI ones need uvicorn (the
``demo`` extra). The URL is printed once the port is listening.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import socket
import sys
from collections.abc import Sequence
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIServer, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

#: Example name -> (module, kind).
EXAMPLES = {
    "login": ("examples.login_wsgi.app", "wsgi"),
    "flask": ("examples.login_flask.app", "wsgi"),
    "settings": ("examples.settings_starlette.app", "asgi"),
    "django": ("examples.login_django.wsgi", "wsgi"),
    "htmx": ("examples.todo_htmx.app", "asgi"),
    # Python 3.11+ only (pyview-web): imported only when chosen.
    "pyview": ("examples.settings_pyview.app", "asgi"),
}


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server with a thread per connection.

    Browsers open spare connections ahead of time; a single-threaded server
    would wait on an idle one while the real request queues behind it.
    """

    daemon_threads = True


def _announce(name: str, host: str, port: int) -> None:
    # flush: a test or a terminal pipe reads this line to find the server.
    print(f"Serving the {name} example at http://{host}:{port}/", flush=True)
    print("Press Ctrl-C to stop.", flush=True)


def serve_wsgi(name: str, app: WSGIApplication, host: str, port: int) -> None:
    """Serve a WSGI app with :mod:`wsgiref` until Ctrl-C."""
    with make_server(host, port, app, server_class=ThreadingWSGIServer) as server:
        _announce(name, host, server.server_port)
        server.serve_forever()


def serve_asgi(name: str, app: Any, host: str, port: int) -> None:
    """Serve an ASGI app with uvicorn until Ctrl-C."""
    import uvicorn  # noqa: PLC0415 (only this example needs it)

    # Binding here first tells us the real port when port is 0.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    _announce(name, host, sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="info"))
    server.run(sockets=[sock])


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve the chosen example."""
    parser = argparse.ArgumentParser(
        prog="python -m examples.demo",
        description="Serve one flashmw example app until Ctrl-C.",
    )
    parser.add_argument("example", nargs="?", default="login", choices=EXAMPLES)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    module_name, kind = EXAMPLES[args.example]
    if args.example == "pyview" and sys.version_info < (3, 11):
        parser.error("the pyview example needs Python 3.11+ (pyview-web)")
    module = importlib.import_module(module_name)
    serve = serve_wsgi if kind == "wsgi" else serve_asgi
    # Ctrl-C is how a demo ends, not an error worth a traceback (uvicorn
    # shuts down gracefully, then raises it again).
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.example, module.app, args.host, args.port)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
