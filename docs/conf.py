"""Sphinx configuration of the flashmw docs site (``tox -e docs``).

Pages are Markdown (MyST); the API reference is autodoc over the package's
docstrings. Some pages are written on other branches: :data:`OPTIONAL_PAGES`
join the table of contents when they exist, and a link to one that does not
exist yet reads as plain text, so the build (warnings are errors) passes
either way.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

project = "flashmw"
author = "the flashmw authors"
copyright = "the flashmw authors"
extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
myst_enable_extensions = ["colon_fence"]

#: Pages other branches write, in the order they join the contents.
OPTIONAL_PAGES = [
    "servers",
    "pyview",
    "htmx",
    "concurrency",
    "encryption",
    "store",
    "mutation",
    "compatibility",
]
_MARKER = "%optional-pages%"
_LINK = re.compile(r"\[([^\]]+)\]\((" + "|".join(OPTIONAL_PAGES) + r")\.md\)")


def _existing(page: str) -> bool:
    return (HERE / f"{page}.md").exists()


def _optional_pages(app: Any, docname: str, source: list[str]) -> None:
    """List the optional pages that exist; unlink those that do not."""
    text = source[0]
    if _MARKER in text:
        pages = "\n".join(page for page in OPTIONAL_PAGES if _existing(page))
        text = text.replace(_MARKER, pages)
    source[0] = _LINK.sub(
        lambda m: m.group(0) if _existing(m.group(2)) else m.group(1), text
    )


def setup(app: Any) -> None:
    app.connect("source-read", _optional_pages)
