"""The example's WSGI application, as ``django-admin startproject`` writes it."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.login_django.settings")

application = get_wsgi_application()
#: The name :mod:`examples.demo` serves.
app = application
