"""Packaging for flashmw: the one source of its metadata."""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def _version() -> str:
    """Return ``flashmw.__version__``: the version is written there only."""
    source = (HERE / "flashmw" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', source, re.MULTILINE)
    if match is None:
        raise RuntimeError('flashmw/__init__.py has no __version__ = "..." line')
    return match[1]


TEST_REQUIRES = [
    "pytest>=8",
    "hypothesis>=6.100",
    "httpx>=0.27",
    "asgiref>=3.8",
    "starlette>=0.40",
    "jinja2>=3.1",
    "flask>=3.0",
    "webob>=1.8",  # the plain WSGI example
    "types-WebOb",
    "python-multipart>=0.0.9",  # Starlette's form parsing, for the examples
    "uvicorn>=0.30",  # tests/test_demo.py serves the Starlette example
    "playwright>=1.40",  # typing of tests/browser; the browser is the system's
]

setup(
    name="flashmw",
    version=_version(),
    description=(
        "Framework-neutral WSGI and ASGI middleware for flash messages "
        "kept in a signed cookie."
    ),
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    license_files=["LICENSE"],
    project_urls={
        "Documentation": "https://flashmw.readthedocs.io/",
        "Changelog": "https://github.com/flashmw/flashmw/blob/main/CHANGES.md",
        "Source": "https://github.com/flashmw/flashmw",
        "Issues": "https://github.com/flashmw/flashmw/issues",
    },
    python_requires=">=3.10",
    packages=find_packages(include=["flashmw", "flashmw.*"]),
    package_data={"flashmw": ["py.typed"]},
    zip_safe=False,
    install_requires=[
        "itsdangerous>=2.1",
        "markupsafe>=2.1",  # Markup values; werkzeug needs it anyway
        "werkzeug>=3.0",
    ],
    extras_require={
        "jinja2": ["jinja2>=3.1"],
        "test": TEST_REQUIRES,
        # tox -e demo: the three example apps and their servers
        "demo": [
            "jinja2>=3.1",
            "webob>=1.8",
            "flask>=3.0",
            "starlette>=0.40",
            "python-multipart>=0.0.9",
            "uvicorn>=0.30",
        ],
        # tox -e browser: drives the system Chromium, never downloads one
        "browser": ["playwright>=1.40"],
        # tox -e load: real servers and a real HTTP client
        "load": ["gunicorn>=22", "uvicorn>=0.30", "httpx>=0.27"],
    },
    classifiers=[
        "Development Status :: 4 - Beta",
        "Framework :: AsyncIO",
        "Intended Audience :: Developers",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Middleware",
        "Typing :: Typed",
    ],
)
