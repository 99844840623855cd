"""The exceptions flashmw raises; every one derives from :class:`FlashError`."""

from __future__ import annotations


class FlashError(Exception):
    """Base class of every flashmw exception."""


class FlashNotInstalled(FlashError, LookupError):
    """Flash state was asked for where no flashmw middleware is handling a request."""


class FlashOverflowError(FlashError):
    """Storing a message would exceed the cookie size or message count.

    Raised only with ``on_overflow="error"``; the default drops the oldest
    messages instead and logs a warning.
    """
