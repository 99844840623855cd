"""Runnable example applications that use flashmw.

- :mod:`examples.login_wsgi`: the Flask flashing tutorial's login app as a
  plain WSGI app on WebOb, with Jinja2 templates.
- :mod:`examples.login_flask`: the same app on Flask, with flashmw in place
  of Flask's session flashing.
- :mod:`examples.login_django`: the same app as a Django project, on
  Django's messages API with flashmw's storage.
- :mod:`examples.settings_starlette`: PyView's settings form on Starlette,
  with keyed flashes that the user dismisses.
- :mod:`examples.settings_pyview`: the same form as real PyView live views
  (Python 3.11+), with flashes that cross HTTP and live navigation.
- :mod:`examples.todo_htmx`: a to-do list on Starlette and htmx, whose
  flashes arrive in ``HX-Trigger`` without a page load.

Every page extends ``layout/layout.html`` and renders its notices with
flashmw's kit (``flashmw/notices.html``, ``flash.js``, ``flash.css``).

``python -m examples.demo`` serves one of them (see :mod:`examples.demo`).
"""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

from flashmw.jinja2 import kit_loader

#: The shared page layout every example extends.
LAYOUT_DIR = Path(__file__).resolve().with_name("layout")
#: Where every example's middleware answers (and serves the kit).
ENDPOINT = "/_flash"

#: Where the examples read their signing secret from.
SECRET_ENV = "FLASHMW_DEMO_SECRET"
#: Used when the variable is unset. It is public, so it only suits a demo on
#: your own machine: set FLASHMW_DEMO_SECRET to a random value anywhere else.
DEVELOPMENT_SECRET = "insecure-development-only-flashmw-demo-secret"


def secret_key() -> str:
    """Return the signing secret: ``$FLASHMW_DEMO_SECRET`` or the development one."""
    return os.environ.get(SECRET_ENV) or DEVELOPMENT_SECRET


def template_loader(own: Path) -> BaseLoader:
    """Return a loader for an example's templates, the layout and the kit."""
    return ChoiceLoader(
        [FileSystemLoader(own), FileSystemLoader(LAYOUT_DIR), kit_loader()]
    )
