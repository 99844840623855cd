"""Serve a WSGI app with bjoern, which has no command line of its own.

Usage: ``python -m tests.servers.run_bjoern module:attribute HOST PORT``.
"""

from __future__ import annotations

import importlib
import sys


def main(argv: list[str]) -> None:
    """Import the app named ``module:attribute`` and serve it until killed."""
    target, host, port = argv
    module_name, _, attribute = target.partition(":")
    app = getattr(importlib.import_module(module_name), attribute)
    # By name: bjoern has no type hints, and may be missing where it
    # cannot build (the matrix skips it then, before starting this).
    bjoern = importlib.import_module("bjoern")
    bjoern.run(app, host, int(port))


if __name__ == "__main__":
    main(sys.argv[1:])
