"""Settings of the Django login example: the least a Django project needs.

The only flashmw line is ``MESSAGE_STORAGE``. No database and no session:
messages live in flashmw's signed cookie, signed with ``SECRET_KEY``.
"""

from __future__ import annotations

from pathlib import Path

from examples import secret_key

SECRET_KEY = secret_key()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "examples.login_django.urls"
INSTALLED_APPS = ["django.contrib.messages"]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
MESSAGE_STORAGE = "flashmw.django.FlashStorage"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.csrf",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]
USE_TZ = True
