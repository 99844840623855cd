"""PyView's settings page with flashmw: flashes across HTTP, live views and navigation.

Needs Python 3.11+ and ``pyview-web`` (``pip install 'flashmw[pyview]'``).
"""
