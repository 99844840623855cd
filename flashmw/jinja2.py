"""Jinja2 template globals that follow the request being handled.

One call makes templates written for Flask or PyView render unchanged::

    from jinja2 import Environment, FileSystemLoader
    from flashmw.jinja2 import install

    env = Environment(loader=FileSystemLoader("templates"), autoescape=True)
    install(env)

Then ``{% for message in get_flashed_messages() %}`` (Flask) and
``{% if flash.info %}{{ flash.info }}{% endif %}`` (PyView) both read the
flash of the request being rendered, through :func:`flashmw.current_flash`.
The globals are resolved at render time, so one environment serves every
request, thread and asyncio task. Escaping is the environment's: with
autoescape on, messages are escaped and :class:`markupsafe.Markup` values
are not (they are trusted HTML). In a
:class:`jinja2.sandbox.SandboxedEnvironment`, templates can read the flash
but calling ``flash.add``, ``put``, ``clear`` or ``keep`` raises
:class:`jinja2.exceptions.SecurityError` (the methods are marked
``alters_data``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import Environment, FileSystemLoader

from .context import current_flash, get_flashed_messages
from .kit import TEMPLATES_DIR

__all__ = ["FlashProxy", "flash_proxy", "install", "kit_loader"]


class FlashProxy:
    """Stands for :func:`~flashmw.current_flash` wherever it is used.

    Every attribute, item, membership, length, iteration and truth test is
    passed on to the flash of the request being handled *at that moment*,
    so a single proxy can sit in a shared template environment. Reads
    behave as on :class:`~flashmw.Flash`: ``flash.info`` consumes the value
    and is ``None`` when the key is missing; ``"info" in flash`` does not
    consume.

    :raises FlashNotInstalled: on any use outside a request handled by a
        flashmw middleware.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        # Names starting with "_" are Python's own protocol lookups (copy,
        # pickle, Jinja's sandbox checks): answering them from the request
        # would make the proxy pretend to support them.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(current_flash(), name)

    def __getitem__(self, key: str) -> Any:
        return current_flash()[key]

    def __contains__(self, key: object) -> bool:
        return key in current_flash()

    def __len__(self) -> int:
        return len(current_flash())

    def __iter__(self) -> Iterator[str]:
        return iter(current_flash())

    def __bool__(self) -> bool:
        return bool(current_flash())

    def __repr__(self) -> str:
        # Never resolves: a debugger or a log line may show the proxy
        # outside any request.
        return "<FlashProxy for current_flash()>"


#: The proxy :func:`install` puts in templates as ``flash``.
flash_proxy = FlashProxy()


def install(env: Environment) -> Environment:
    """Add the ``get_flashed_messages`` and ``flash`` globals to ``env``.

    ``get_flashed_messages(with_categories=False, category_filter=())`` is
    Flask's template function, reading and consuming the current request's
    list messages. ``flash`` is :data:`flash_proxy`, the current request's
    :class:`~flashmw.Flash` for PyView-style keyed reads (``flash.info``).
    Both replace globals of the same name, such as Flask's own
    ``get_flashed_messages``, which would read Flask's session instead.

    :param env: the environment whose templates should see the flash.
    :returns: ``env``, so the call can wrap its construction.
    """
    env.globals["get_flashed_messages"] = get_flashed_messages
    env.globals["flash"] = flash_proxy
    return env


def kit_loader() -> FileSystemLoader:
    """Return a loader for the client kit's templates.

    Put it in a :class:`jinja2.ChoiceLoader` beside the app's own, then
    ``{% from "flashmw/notices.html" import notices %}`` works::

        env.loader = ChoiceLoader([env.loader, kit_loader()])
    """
    return FileSystemLoader(TEMPLATES_DIR)
