"""The Flask flashing tutorial's login app as a Django project on flashmw.

Views call Django's own ``messages.success(request, ...)`` and the template
loops over ``messages``, as Django's documentation writes them; the one
line that brings flashmw in is ``MESSAGE_STORAGE`` in :mod:`.settings`.
Run it with ``python -m examples.demo django``.
"""
