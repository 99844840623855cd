"""Flask in one call: :func:`install`, or :class:`FlashExtension` for app factories.

::

    from flask import Flask
    from flashmw import flash          # not flask.flash
    from flashmw.flask import install

    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    install(app)

does the three steps by hand: wraps ``app.wsgi_app`` in
:class:`~flashmw.FlashMiddleware`, puts flashmw's ``get_flashed_messages``
and ``flash`` in ``app.jinja_env`` (:func:`flashmw.jinja2.install`), and
takes the secret from the app's configuration when ``secret_key`` is not
given. ``flask.flash`` itself still writes Flask's session, which
flashmw's template global does not read: views import ``flash`` from
flashmw.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from .jinja2 import install as install_globals
from .wsgi import FlashMiddleware

__all__ = ["FlashExtension", "install"]

#: Where the middleware is kept in ``app.extensions``.
EXTENSION_KEY = "flashmw"


class FlashExtension:
    """A Flask extension that installs flashmw, in the ``init_app`` style.

    :param app: the app to install into now; leave it out and call
        :meth:`init_app` later from an application factory.
    :param options: :class:`~flashmw.FlashMiddleware` options shared by every
        app this extension is installed into.
    """

    def __init__(self, app: Flask | None = None, **options: Any) -> None:
        self.options = options
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, **options: Any) -> FlashMiddleware:
        """Install flashmw into ``app`` and return its middleware.

        Options given here win over those given to the constructor. When
        ``secret_key`` is in neither, it is ``app.config["SECRET_KEY"]``
        (``app.secret_key``), and ``fallback_keys`` defaults to
        ``app.config["SECRET_KEY_FALLBACKS"]`` (Flask 3.1's key rotation
        setting); both are read now, so set them before this call.
        The middleware is also at ``app.extensions["flashmw"]``.

        :raises ValueError: when no secret is given or configured, or an
            option is invalid (as :class:`~flashmw.FlashMiddleware` says).
        """
        merged = {**self.options, **options}
        if merged.get("secret_key") is None:
            secret = app.config.get("SECRET_KEY")
            if not secret:
                raise ValueError(
                    "secret_key: set app.config['SECRET_KEY'] (app.secret_key) "
                    "before installing flashmw, or pass secret_key="
                )
            merged["secret_key"] = secret
        if "fallback_keys" not in merged:
            merged["fallback_keys"] = list(app.config.get("SECRET_KEY_FALLBACKS") or ())
        middleware = FlashMiddleware(app.wsgi_app, **merged)
        # Flask documents replacing wsgi_app as the way to add WSGI middleware
        # while keeping the Flask object; mypy sees it as assigning to a method.
        app.wsgi_app = middleware  # type: ignore[method-assign]
        install_globals(app.jinja_env)
        app.extensions[EXTENSION_KEY] = middleware
        return middleware


def install(app: Flask, **options: Any) -> FlashMiddleware:
    """Install flashmw into ``app``; see :meth:`FlashExtension.init_app`.

    :returns: the :class:`~flashmw.FlashMiddleware` now at ``app.wsgi_app``.
    """
    return FlashExtension().init_app(app, **options)
