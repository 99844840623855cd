"""Django's messages framework on flashmw: a ``MESSAGE_STORAGE`` backend.

One setting, and views and templates stay as Django writes them::

    MESSAGE_STORAGE = "flashmw.django.FlashStorage"

``messages.success(request, "Saved.")`` and ``{% for message in messages %}``
then keep their messages in flashmw's signed cookie, with flashmw's rules:
a request that does not look at its messages is not decoded and gets no
``Set-Cookie``; a prefetch, prerender or sub-resource request that renders
messages consumes nothing (:attr:`flashmw.Flash.unseen`).

Settings, read once and again whenever a test overrides them:

- ``SECRET_KEY`` signs, ``SECRET_KEY_FALLBACKS`` still verify (rotation);
- ``SESSION_COOKIE_DOMAIN``, ``SESSION_COOKIE_SECURE``,
  ``SESSION_COOKIE_HTTPONLY`` and ``SESSION_COOKIE_SAMESITE`` set the cookie's
  attributes, as they do for Django's own ``CookieStorage``;
  ``SESSION_COOKIE_SECURE = False`` (Django's default) leaves ``Secure`` to
  the request's scheme, as ``secure=None`` does (so ``SECURE_PROXY_SSL_HEADER``
  counts);
- ``MESSAGE_LEVEL`` and ``MESSAGE_TAGS`` work as in Django;
- ``FLASHMW``, an optional dict of any other
  :class:`~flashmw.base.BaseFlashMiddleware` option (``cookie_name``,
  ``max_age``, ``max_cookie_size``, ...), which wins over the above.

How a Django message is kept: its category is the message's level tag
(``"success"``, or what ``MESSAGE_TAGS`` names; ``"message"`` for a level
without a tag). The value is the text alone when the level is the one that
tag stands for and ``extra_tags`` is ``""`` (what ``add_message`` gives by
default), so flashmw apps reading the same cookie see plain strings;
otherwise it is ``{"level": int, "message": str, "extra_tags": str | None}``.
Text marked safe (``mark_safe``) is kept as :class:`markupsafe.Markup` and
reads back as Django's ``SafeString``. A plain value under a category that
is no level's tag reads back at ``INFO``.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage import base as django_base
from django.contrib.messages.storage.base import BaseStorage, Message
from django.core.signals import setting_changed
from django.utils.safestring import SafeData, SafeString
from markupsafe import Markup

from .base import BaseFlashMiddleware
from .state import Flash
from .wsgi import environ_key

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

__all__ = ["FlashStorage", "flash_options"]

#: Settings that change the options; a change (``override_settings``) makes
#: the next request build them again.
_SETTINGS = frozenset(
    {
        "SECRET_KEY",
        "SECRET_KEY_FALLBACKS",
        "SESSION_COOKIE_DOMAIN",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "FLASHMW",
    }
)


class _Options(BaseFlashMiddleware[None]):
    """flashmw's options and cookie rules, with no application to wrap."""

    # Its flash reads request.META, a WSGI environ (ASGIRequest builds one).
    _header_key = staticmethod(environ_key)


_options: _Options | None = None


def flash_options() -> dict[str, Any]:
    """Return the flashmw options the storage builds from Django's settings.

    :func:`flashmw.testing.make_cookie` and :func:`~flashmw.testing.read_flash`
    take this dict, so tests can plant and read the cookie.
    """
    samesite = getattr(settings, "SESSION_COOKIE_SAMESITE", "Lax")
    options: dict[str, Any] = {
        "secret_key": settings.SECRET_KEY,
        "fallback_keys": list(getattr(settings, "SECRET_KEY_FALLBACKS", [])),
        "domain": getattr(settings, "SESSION_COOKIE_DOMAIN", None),
        # Django's CookieStorage writes Secure only when this is True;
        # flashmw's None also writes it on every https request.
        "secure": True if getattr(settings, "SESSION_COOKIE_SECURE", False) else None,
        "httponly": bool(getattr(settings, "SESSION_COOKIE_HTTPONLY", True)),
        "samesite": samesite or None,  # Django spells "no attribute" False
    }
    extra = getattr(settings, "FLASHMW", {})
    if not isinstance(extra, Mapping):
        raise ValueError("settings.FLASHMW must be a dict of flashmw options")
    options.update(extra)
    if options.get("on_overflow", "drop_oldest") != "drop_oldest":
        # add_message() only queues; the cookie is written after the view
        # returned, where an exception would be a 500 for a notice.
        raise ValueError(
            "settings.FLASHMW['on_overflow'] must be 'drop_oldest' with Django: "
            "messages are stored after the view, where raising would be a 500"
        )
    return options


def _current_options() -> _Options:
    global _options  # noqa: PLW0603 (one cache per process, reset by a signal)
    if _options is None:
        _options = _Options(None, **flash_options())
    return _options


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    global _options  # noqa: PLW0603
    if setting in _SETTINGS:
        _options = None


setting_changed.connect(_settings_changed, dispatch_uid="flashmw.django")


# -- one message <-> one flashmw list entry ---------------------------------


def _tags() -> Mapping[int, str]:
    # Read at call time: Django replaces LEVEL_TAGS when MESSAGE_TAGS changes.
    tags: Mapping[int, str] = django_base.LEVEL_TAGS
    return tags


def _level_of(tag: str) -> int | None:
    for level, name in _tags().items():
        if name == tag:
            return level
    return None


def _stored_text(text: Any) -> str:
    """Return ``text`` as flashmw stores it: a ``str``, or ``Markup`` if safe."""
    if isinstance(text, SafeData):
        # Django's mark_safe() vouched for it; Markup is how flashmw keeps that.
        return Markup(str.__str__(str(text)))  # noqa: S704
    # str() resolves a lazy translation; str.__str__ drops any str subclass.
    return str.__str__(str(text))


def _shown_text(text: Any) -> Any:
    if isinstance(text, Markup):
        return SafeString(str.__str__(text))
    return text


def _entry(message: Message) -> tuple[str, Any]:
    """Return the ``(category, value)`` that stores ``message``."""
    text = _stored_text(message.message)
    category = message.level_tag or "message"
    if message.extra_tags == "" and _level_of(category) == message.level:
        return category, text
    extra = message.extra_tags
    return category, {
        "level": message.level,
        "message": text,
        "extra_tags": None if extra is None else str.__str__(str(extra)),
    }


def _add(flash: Flash, message: Message) -> None:
    category, value = _entry(message)
    flash.add(value, category)


def _message(category: str, value: Any) -> Message:
    """Return the Django message a stored ``(category, value)`` stands for."""
    if (
        type(value) is dict
        and value.keys() == {"level", "message", "extra_tags"}
        and type(value["level"]) is int
        and isinstance(value["extra_tags"], (str, type(None)))
    ):
        return Message(
            value["level"], _shown_text(value["message"]), value["extra_tags"]
        )
    level = _level_of(category)
    return Message(constants.INFO if level is None else level, _shown_text(value), "")


class FlashStorage(BaseStorage):
    """Django's message storage, kept in flashmw's signed cookie.

    Created for each request by Django's ``MessageMiddleware``; everything
    Django documents about message storages holds: iterating consumes every
    message, ``storage.used = False`` keeps them, messages nobody iterated
    wait for a later request, and messages added after the iteration are
    stored for the next one.
    """

    _queued_messages: list[Message]  # BaseStorage's, undeclared in its stubs

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        # request.META is a WSGI environ (ASGIRequest builds one too), read
        # from a copy; the scheme is Django's (SECURE_PROXY_SSL_HEADER).
        headers = dict(request.META)
        headers["wsgi.url_scheme"] = "https" if request.is_secure() else "http"
        self._flash = Flash(_current_options(), headers)
        # Messages added in this request and then iterated: gone from the
        # queue, yet still to be stored if nothing consumes them (an unseen
        # request, or used set back to False).
        self._shown_new: list[Message] = []

    def __iter__(self) -> Any:
        self._shown_new.extend(self._queued_messages)
        return super().__iter__()

    def _get(self, *args: Any, **kwargs: Any) -> tuple[list[Message], bool]:
        # A peek: whether anything is consumed is decided in update().
        pairs = self._flash.get_flashed_messages(with_categories=True, consume=False)
        return [_message(category, value) for category, value in pairs], True

    def update(self, response: HttpResponseBase) -> None:
        """Write what this request did to the messages onto ``response``.

        Iterated messages are consumed (on a request nobody sees, such as a
        prefetch, nothing is); messages added after the last iteration, or
        never iterated, are stored. Lazy translations are turned into text
        here, in the language active as the response passes through
        ``MessageMiddleware``. Nothing is reported as unstored: what does not
        fit the cookie is dropped oldest first with a WARNING, as flashmw
        does everywhere.
        """
        flash = self._flash
        shown, queued = self._shown_new, self._queued_messages
        for message in shown + queued:
            message._prepare()  # type: ignore[attr-defined]  # Django's, unstubbed
        if self.used:
            for message in shown:
                _add(flash, message)
            flash.get_flashed_messages()
        else:
            queued = shown + queued
        for message in queued:
            _add(flash, message)
        self._write(response)

    def _write(self, response: HttpResponseBase) -> None:
        flash = self._flash
        if not flash.touched:
            return
        # Vary is merged; with htmx=True, the app's HX-* headers decide
        # whether the flash goes out in an HX-Trigger header.
        headers = flash._core._with_headers(
            response.status_code,
            [
                (name, value)
                for name, value in response.headers.items()
                if name.lower() == "vary" or name.lower().startswith("hx-")
            ],
            "Vary",
            "Set-Cookie",
        )
        for name, value in headers:
            if name == "Set-Cookie":
                response.cookies.update(_morsels(value))
            else:
                response.headers[name] = value


def _morsels(set_cookie: str) -> SimpleCookie:
    """Parse one ``Set-Cookie`` value into the jar Django renders from."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(set_cookie)
    if len(jar) != 1:
        # SimpleCookie drops what it cannot parse without a word; a cookie
        # flashmw wrote always parses, so this is a bug, not bad input.
        raise AssertionError(f"Django cannot carry the cookie {set_cookie!r}")
    return jar
