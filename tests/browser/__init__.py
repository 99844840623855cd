"""Real-browser tests: the examples in headless Chromium (``tox -e browser``)."""
