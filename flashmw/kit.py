"""Where the client kit's files are, for apps that serve or bundle them.

The kit is three files shipped inside the package:

- :data:`SCRIPT_PATH`: ``flashmw.js``, one dependency-free script that
  renders ``flash`` events (from htmx or :func:`flashmw.endpoint.respond`)
  and makes the dismiss buttons work without a page load;
- :data:`STYLESHEET_PATH`: ``flashmw.css``, a small default look;
- ``flashmw/notices.html`` under :data:`TEMPLATES_DIR`: a Jinja2 macro that
  renders the notices (``{% from "flashmw/notices.html" import notices %}``;
  add the directory to the environment's loader with
  :func:`flashmw.jinja2.kit_loader`).

With ``endpoint="/_flash"`` the middleware serves the script and the
stylesheet at ``/_flash/flash.js`` and ``/_flash/flash.css``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SCRIPT_PATH", "STATIC_DIR", "STYLESHEET_PATH", "TEMPLATES_DIR"]

_HERE = Path(__file__).resolve().parent

#: The directory of the kit's static files (script and stylesheet).
STATIC_DIR = _HERE / "static"
#: The client script.
SCRIPT_PATH = STATIC_DIR / "flashmw.js"
#: The default stylesheet.
STYLESHEET_PATH = STATIC_DIR / "flashmw.css"
#: The directory to add to a Jinja2 loader; it holds ``flashmw/notices.html``.
TEMPLATES_DIR = _HERE / "templates"
