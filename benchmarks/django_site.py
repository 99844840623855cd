"""A bare Django project in one module: settings, views and URLconf.

Django keeps settings process-wide, so every handler (with and without
``MessageMiddleware``, and the one flashmw wraps) shares these views; a
view uses flashmw when flashmw wrapped the handler, the messages framework
when its middleware installed it on the request, and nothing otherwise.
"""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings
from django.contrib import messages
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path

from benchmarks.traffic import NEW, SEEDED
from flashmw import get_flash
from flashmw.context import ENVIRON_KEY

_MESSAGE_MIDDLEWARE = "django.contrib.messages.middleware.MessageMiddleware"
_LEVELS = {"info": messages.INFO, "warning": messages.WARNING, "error": messages.ERROR}


def seed(request: Any) -> HttpResponse:
    """Store the three S1/S2 messages."""
    for category, text in SEEDED:
        if ENVIRON_KEY in request.META:
            get_flash(request.META).add(text, category)
        else:
            messages.add_message(request, _LEVELS[category], text)
    return HttpResponse(b"seeded", content_type="text/plain")


def untouched(request: Any) -> HttpResponse:
    """S1: ignore the messages."""
    return HttpResponse(b"ok", content_type="text/plain")


def consume(request: Any) -> HttpResponse:
    """S2: read every message (or pretend to, without any machinery)."""
    if ENVIRON_KEY in request.META:
        flash = get_flash(request.META)
        count = len(flash.get_flashed_messages(with_categories=True))
    elif hasattr(request, "_messages"):
        count = len(list(messages.get_messages(request)))
    else:
        count = len(list(SEEDED))
    return HttpResponse(str(count).encode("ascii"), content_type="text/plain")


def flash_and_redirect(request: Any) -> HttpResponseRedirect:
    """S3: add one message (with some machinery) and redirect."""
    category, text = NEW
    if ENVIRON_KEY in request.META:
        get_flash(request.META).add(text, category)
    elif hasattr(request, "_messages"):
        messages.add_message(request, _LEVELS[category], text)
    return HttpResponseRedirect("/")


urlpatterns = [
    path("seed", seed),
    path("s1", untouched),
    path("s2", consume),
    path("s3", flash_and_redirect),
]


def handlers(secret: str) -> tuple[WSGIHandler, WSGIHandler]:
    """Return Django WSGI handlers with and without ``MessageMiddleware``.

    :param secret: the ``SECRET_KEY`` that signs the messages cookie.
    """
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY=secret,
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=__name__,
            INSTALLED_APPS=["django.contrib.messages"],
            MIDDLEWARE=[],
            MESSAGE_STORAGE="django.contrib.messages.storage.cookie.CookieStorage",
            DATABASES={},
            USE_TZ=True,
            LOGGING_CONFIG=None,
        )
        django.setup()
    # The handler reads MIDDLEWARE when it is built, so the two share the
    # settings and differ only in the middleware they loaded.
    settings.MIDDLEWARE = [_MESSAGE_MIDDLEWARE]
    with_messages = WSGIHandler()
    settings.MIDDLEWARE = []
    without = WSGIHandler()
    return with_messages, without
