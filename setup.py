"""Packaging for flashmw: the one source of its metadata."""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
#: The PyView releases flashmw.pyview is written against (see docs/pyview.md).
PYVIEW = "pyview-web>=0.9,<0.10"


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
    "cryptography>=42",  # encrypt=True
    "django>=4.2",  # flashmw.django and the Django example
    "django-stubs",
    "redis>=5",  # store=RedisStore(...), against a real redis-server
    # tests/test_pyview.py; pyview-web needs 3.11+, so 3.10 skips those tests
    PYVIEW + '; python_version >= "3.11"',
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
    package_data={
        "flashmw": [
            "py.typed",
            "static/*.js",  # the client kit: script and stylesheet
            "static/*.css",
            "templates/flashmw/*.html",  # the notices macro
        ]
    },
    zip_safe=False,
    install_requires=[
        "itsdangerous>=2.1",
        "markupsafe>=2.1",  # Markup values; werkzeug needs it anyway
        "werkzeug>=3.0",
    ],
    extras_require={
        "jinja2": ["jinja2>=3.1"],
        # encrypt=True: AES-256-GCM cookies
        "crypto": ["cryptography>=42"],
        "django": ["django>=4.2"],
        # store=flashmw.redis.RedisStore(...): Redis or Valkey
        "redis": ["redis>=5"],
        "flask": ["flask>=3.0", "jinja2>=3.1"],
        # tox -e docs: Sphinx, Markdown pages, and what autodoc imports
        "docs": ["sphinx>=7.2", "myst-parser>=2", "django>=4.2", "flask>=3.0"],
        # flashmw.pyview: PyView live views (Python 3.11+, like pyview-web)
        "pyview": [PYVIEW + '; python_version >= "3.11"'],
        "test": TEST_REQUIRES,
        # tox -e demo: the example apps and their servers
        "demo": [
            "jinja2>=3.1",
            "webob>=1.8",
            "flask>=3.0",
            "starlette>=0.40",
            "python-multipart>=0.0.9",
            "uvicorn>=0.30",
            "django>=4.2",
            PYVIEW + '; python_version >= "3.11"',  # demo pyview
        ],
        # tox -e browser: drives the system Chromium, never downloads one
        "browser": ["playwright>=1.40"],
        # tox -e load: real servers and a real HTTP client
        "load": ["gunicorn>=22", "uvicorn>=0.30", "httpx>=0.27"],
        # tox -e servers: every server the matrix runs (bjoern, which
        # builds from source against libev, is installed by tox apart)
        "servers": [
            "waitress>=3.0",
            "gunicorn>=22",
            "granian>=2.0",
            "uvicorn>=0.30",
            "hypercorn>=0.17",
            "daphne>=4.1",
            "httpx[http2]>=0.27",
            "cryptography>=42",  # a throwaway certificate for TLS HTTP/2
        ],
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
