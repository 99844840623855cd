"""Benchmarks of flashmw against the flash machinery of Flask, Django and Starlette.

Run them with ``tox -e bench`` (or ``python -m benchmarks`` in an environment
that has the peers installed); see :mod:`benchmarks.run` for the options.
"""
