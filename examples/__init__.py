"""Runnable example applications that use flashmw.

- :mod:`examples.login_wsgi`: the Flask flashing tutorial's login app as a
  plain WSGI app on WebOb, with Jinja2 templates.
- :mod:`examples.login_flask`: the same app on Flask, with flashmw in place
  of Flask's session flashing.
- :mod:`examples.settings_starlette`: PyView's settings form on Starlette,
  with keyed flashes that the user dismisses.
- :mod:`examples.settings_pyview`: the same form as real PyView live views
  (Python 3.11+), with flashes that cross HTTP and live navigation.

``python -m examples.demo`` serves one of them (see :mod:`examples.demo`).
"""

from __future__ import annotations

import os

#: Where the examples read their signing secret from.
SECRET_ENV = "FLASHMW_DEMO_SECRET"
#: Used when the variable is unset. It is public, so it only suits a demo on
#: your own machine: set FLASHMW_DEMO_SECRET to a random value anywhere else.
DEVELOPMENT_SECRET = "insecure-development-only-flashmw-demo-secret"


def secret_key() -> str:
    """Return the signing secret: ``$FLASHMW_DEMO_SECRET`` or the development one."""
    return os.environ.get(SECRET_ENV) or DEVELOPMENT_SECRET
