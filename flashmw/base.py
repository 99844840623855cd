"""What both middlewares share: options, decoding and encoding the cookie.

Nothing here knows about WSGI or ASGI; the adapters in :mod:`flashmw.wsgi`
and :mod:`flashmw.asgi` only move headers between their protocol and this.
"""

from __future__ import annotations

import datetime
import logging
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from .cookies import CookieWriter, find_cookie_values, is_token
from .endpoint import check_endpoint
from .errors import FlashOverflowError
from .request import (
    SPECULATIVE_HEADERS,
    SUBRESOURCE_DESTINATIONS,
    Headers,
    check_rules,
    is_speculative,
    is_subresource,
)
from .signing import CookieSigner
from .transport import DEFAULT_HTMX_MAX_BYTES, check_htmx_options
from .values import Serializer, TaggedJSONSerializer

logger = logging.getLogger("flashmw")

#: One hour: long enough for any redirect chain or a slow form, short enough
#: that a notice nobody saw does not greet a user returning the next day.
DEFAULT_MAX_AGE = 3600
#: Messages and keyed values a flash keeps; the oldest go first.
DEFAULT_MAX_MESSAGES = 100
#: Bytes of the whole ``Set-Cookie`` value; browsers keep at least 4096.
DEFAULT_MAX_COOKIE_SIZE = 4093

# What a decoded document and its entries may be: JSON gives lists, other
# serializers may give tuples.
_SEQUENCES = (list, tuple)
_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}
_OVERFLOW = ("drop_oldest", "error")
_SHORT_KEY = 32

AppT = TypeVar("AppT")
Pairs = list[tuple[str, Any]]


def _seconds(value: float | datetime.timedelta, name: str) -> int:
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 1:
        raise ValueError(f"{name} must be a number of seconds >= 1, got {value!r}")
    return int(value)


def _check_key(key: object, name: str) -> str | bytes:
    if not isinstance(key, (str, bytes)) or not key:
        raise ValueError(
            f"{name} must be a non-empty str or bytes; generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return key


def _check_attribute(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.isprintable() or ";" in value:
        raise ValueError(f"{name} must be text without ';' or control characters")
    return value


class BaseFlashMiddleware(Generic[AppT]):
    """Options and cookie rules shared by :class:`~flashmw.FlashMiddleware`
    and :class:`~flashmw.ASGIFlashMiddleware`.

    :param app: the application to wrap.
    :param secret_key: signs new cookies. Required; 32 bytes or more.
    :param fallback_keys: older keys that still verify (key rotation).
    :param cookie_name: a ``__Host-`` prefix forces ``Secure``, ``Path=/``
        and no ``Domain``; ``__Secure-`` forces ``Secure``.
    :param max_age: seconds a flash lives, enforced from a signed timestamp.
    :param secure: ``None`` sets ``Secure`` exactly on https requests.
    :param samesite: ``"lax"``, ``"strict"``, ``"none"`` or ``None``.
    :param salt: binds signatures to this purpose.
    :param max_cookie_size: bytes of the whole ``Set-Cookie`` value.
    :param max_messages: messages and keyed values kept at most.
    :param on_overflow: ``"drop_oldest"`` (and log a warning) or ``"error"``
        (raise :class:`~flashmw.FlashOverflowError` from ``add``/``put``).
    :param serializer: ``dumps(obj) -> bytes`` and ``loads(bytes) -> obj``;
        the default is :class:`~flashmw.values.TaggedJSONSerializer`.
    :param speculative_headers: headers that mark a prefetch, prerender or
        preload, each with its tokens; reads on such a request consume
        nothing. Extend :data:`flashmw.request.SPECULATIVE_HEADERS` or
        replace it.
    :param subresource_destinations: ``Sec-Fetch-Dest`` values whose reads
        consume nothing; extend or replace
        :data:`flashmw.request.SUBRESOURCE_DESTINATIONS`.
    :param clock: returns the time in seconds since the epoch (for tests).
    :param htmx: deliver what is pending to htmx requests in ``HX-Trigger``
        as the ``flash`` event (see ``docs/htmx.md``).
    :param htmx_max_bytes: the largest ``HX-Trigger`` value; above it the
        cookie keeps the flash.
    :param endpoint: a path (such as ``"/_flash"``) the middleware answers
        itself: the JSON endpoint and, below it, the client kit's
        ``flash.js`` and ``flash.css``. ``None``: no endpoint.
    :raises ValueError: for any option a middleware cannot work with.
    """

    def __init__(
        self,
        app: AppT,
        *,
        secret_key: str | bytes | None = None,
        fallback_keys: Sequence[str | bytes] = (),
        cookie_name: str = "flash",
        max_age: float | datetime.timedelta = DEFAULT_MAX_AGE,  # seconds
        path: str = "/",
        domain: str | None = None,
        secure: bool | None = None,  # None: the request's scheme decides
        httponly: bool = True,
        samesite: str | None = "lax",
        salt: str | bytes = "flashmw.flash",
        max_cookie_size: int = DEFAULT_MAX_COOKIE_SIZE,  # bytes
        max_messages: int = DEFAULT_MAX_MESSAGES,
        on_overflow: str = "drop_oldest",
        serializer: Serializer | None = None,
        speculative_headers: Mapping[str, Iterable[str]] = SPECULATIVE_HEADERS,
        subresource_destinations: Iterable[str] = SUBRESOURCE_DESTINATIONS,
        clock: Callable[[], float] = time.time,  # seconds since the epoch
        htmx: bool = False,
        htmx_max_bytes: int = DEFAULT_HTMX_MAX_BYTES,  # bytes of HX-Trigger
        endpoint: str | None = None,  # a path such as "/_flash"
    ) -> None:
        self.app = app
        secret_key = _check_key(secret_key, "secret_key")
        if isinstance(fallback_keys, (str, bytes)):
            raise ValueError(
                "fallback_keys must be a list of keys, not one str or bytes "
                "(which would become one-character keys): write "
                "fallback_keys=[old_key]"
            )
        fallback = [_check_key(k, "each of fallback_keys") for k in fallback_keys]
        if len(secret_key) < _SHORT_KEY:
            warnings.warn(
                f"secret_key is shorter than {_SHORT_KEY} bytes; anyone who "
                "guesses it can forge flash messages",
                UserWarning,
                stacklevel=3,
            )
        if not isinstance(cookie_name, str) or not is_token(cookie_name):
            raise ValueError(
                f"cookie_name {cookie_name!r} is not a valid cookie name: use "
                "letters, digits and !#$%&'*+-.^_`|~"
            )
        _check_attribute(path, "path")
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if domain is not None:
            _check_attribute(domain, "domain")
        if secure not in (None, True, False):
            raise ValueError(f"secure must be True, False or None, got {secure!r}")
        if cookie_name.startswith(("__Host-", "__Secure-")):
            if secure is False:
                raise ValueError(f"a {cookie_name} cookie needs secure=True or None")
            secure = True
        if cookie_name.startswith("__Host-") and (path != "/" or domain is not None):
            raise ValueError("a __Host- cookie needs path='/' and domain=None")
        if samesite is not None:
            if not isinstance(samesite, str) or samesite.lower() not in _SAMESITE:
                raise ValueError(
                    "samesite must be 'lax', 'strict', 'none' or None, "
                    f"got {samesite!r}"
                )
            samesite = _SAMESITE[samesite.lower()]
            if samesite == "None" and secure is False:
                raise ValueError("samesite='none' needs a Secure cookie: secure=False")
        if on_overflow not in _OVERFLOW:
            raise ValueError(
                f"on_overflow must be 'drop_oldest' or 'error', got {on_overflow!r}"
            )
        if isinstance(max_messages, bool) or not isinstance(max_messages, int):
            raise ValueError(f"max_messages must be an int, got {max_messages!r}")
        if max_messages < 1:
            raise ValueError(f"max_messages must be at least 1, got {max_messages}")
        if serializer is None:
            serializer = TaggedJSONSerializer()
        elif not callable(getattr(serializer, "dumps", None)) or not callable(
            getattr(serializer, "loads", None)
        ):
            raise ValueError("serializer must have dumps(obj) and loads(bytes) methods")
        if not callable(clock):
            raise ValueError("clock must be a callable returning seconds")
        if not isinstance(salt, (str, bytes)) or not salt:
            raise ValueError("salt must be a non-empty str or bytes")

        check_htmx_options(htmx, htmx_max_bytes)
        self.htmx = htmx
        self.htmx_max_bytes = htmx_max_bytes
        self.endpoint = check_endpoint(endpoint)
        self._speculative, self._destinations = check_rules(
            speculative_headers, subresource_destinations
        )
        self.cookie_name = cookie_name
        self.max_age = _seconds(max_age, "max_age")
        self.max_messages = max_messages
        self.on_overflow = on_overflow
        self.serializer = serializer
        self._clock = clock
        self._signer = CookieSigner(
            secret_key,
            fallback,
            salt=salt,
            cookie_name=cookie_name,
            max_age=self.max_age,
        )
        # One writer per request scheme: index 0 for http, 1 for https.
        self._writers = tuple(
            CookieWriter(
                cookie_name,
                max_age=self.max_age,
                path=path,
                domain=domain,
                secure=https if secure is None else secure,
                httponly=httponly,
                samesite=samesite,
            )
            for https in (False, True)
        )
        validate = getattr(serializer, "validate", None)
        self._validate: Callable[[Any], None] = (
            validate if callable(validate) else self._validate_by_dumping
        )
        if isinstance(max_cookie_size, bool) or not isinstance(max_cookie_size, int):
            raise ValueError(f"max_cookie_size must be an int, got {max_cookie_size!r}")
        self.max_cookie_size = max_cookie_size
        smallest = max(self._size(self._payload([], {}), https) for https in (0, 1))
        if max_cookie_size < smallest:
            raise ValueError(
                f"max_cookie_size={max_cookie_size} is too small: an empty flash "
                f"cookie with these options already takes {smallest} bytes"
            )

    # -- reading --------------------------------------------------------

    def _is_unseen(self, headers: Headers) -> bool:
        """Tell whether a request with these headers is never seen as a page."""
        return is_speculative(headers, self._speculative) or is_subresource(
            headers, self._destinations
        )

    def _load(self, header: str | None) -> tuple[Pairs, dict[str, Any], bool, bool]:
        """Decode the flash cookie in ``header``.

        Returns the messages, the keyed values, whether a flash cookie was
        sent, and whether every one sent was invalid (so it gets deleted).
        """
        candidates = find_cookie_values(header, self.cookie_name) if header else []
        if not candidates:
            return [], {}, False, False
        now = self._clock()
        for raw in candidates:
            try:
                messages, values = self._decode(raw, now)
            # The serializer is pluggable: whatever it raises, a bad cookie
            # must read as empty state and never reach the app.
            except Exception as exc:  # noqa: BLE001
                logger.debug("flashmw ignored a %s cookie: %s", self.cookie_name, exc)
                continue
            return messages, values, True, False
        return [], {}, True, True

    def _decode(self, raw: str, now: float) -> tuple[Pairs, dict[str, Any]]:
        if len(raw) > self.max_cookie_size:
            raise ValueError(f"value of {len(raw)} bytes exceeds max_cookie_size")
        document = self.serializer.loads(self._signer.unsign(raw, now))
        if type(document) not in _SEQUENCES or len(document) != 2:
            raise ValueError("payload is not a flash document")
        messages, values = document
        if type(messages) not in _SEQUENCES or type(values) not in _SEQUENCES:
            raise ValueError("payload is not a flash document")
        if len(messages) + len(values) > self.max_messages:
            raise ValueError(f"more than max_messages={self.max_messages} entries")
        pairs = []
        for part in (messages, values):
            for item in part:
                if type(item) not in _SEQUENCES or len(item) != 2:
                    raise ValueError("payload entry is not a pair")
                name, value = item
                if type(name) is not str:
                    raise ValueError("category or key is not a str")
                pairs.append((name, value))
        keyed = dict(pairs[len(messages) :])
        if len(keyed) != len(values):
            raise ValueError("a key appears twice")
        return pairs[: len(messages)], keyed

    # -- writing --------------------------------------------------------

    def _validate_by_dumping(self, value: Any) -> None:
        try:
            self.serializer.dumps(value)
        except Exception as exc:
            raise TypeError(
                f"{type(value).__name__} cannot be flashed with "
                f"{type(self.serializer).__name__}: {exc}"
            ) from exc

    def _payload(self, messages: Pairs, values: dict[str, Any]) -> bytes:
        return self.serializer.dumps([messages, list(values.items())])

    def _size(self, payload: bytes, https: int) -> int:
        return self._writers[https].size(
            self._signer.signed_length(len(payload), self._clock())
        )

    def _check_fits(self, messages: Pairs, values: dict[str, Any], https: bool) -> None:
        """Raise :class:`FlashOverflowError` if this state would overflow.

        Called from ``add``/``put`` when ``on_overflow="error"``.
        """
        if len(messages) + len(values) > self.max_messages:
            raise FlashOverflowError(
                f"a flash holds at most max_messages={self.max_messages} messages"
            )
        size = self._size(self._payload(messages, values), https)
        if size > self.max_cookie_size:
            raise FlashOverflowError(
                f"the flash cookie would take {size} bytes, more than "
                f"max_cookie_size={self.max_cookie_size}"
            )

    def _dump(
        self, messages: Pairs, values: dict[str, Any], https: bool, had_cookie: bool
    ) -> str | None:
        """Return the ``Set-Cookie`` value that stores this state.

        Drops the oldest messages, then the oldest keyed values, until the
        state fits ``max_messages`` and ``max_cookie_size``, and logs what
        it dropped. ``None`` means there is nothing to store or delete.
        """
        writer = self._writers[https]
        if not messages and not values:
            return writer.delete() if had_cookie else None
        dropped = 0
        excess = len(messages) + len(values) - self.max_messages
        if excess > 0:
            messages, values, dropped = self._drop_oldest(messages, values, excess)
        payload = self._payload(messages, values)
        value = self._signer.sign(payload, self._clock())
        # Signing first and measuring the real value keeps the common case
        # to one encoding; only an overflow pays for the drop loop.
        if writer.size(len(value)) > self.max_cookie_size:
            while (messages or values) and self._size(
                payload, https
            ) > self.max_cookie_size:
                messages, values, count = self._drop_oldest(messages, values, 1)
                dropped += count
                payload = self._payload(messages, values)
            if messages or values:
                value = self._signer.sign(payload, self._clock())
        if dropped:
            logger.warning(
                "flashmw dropped the %d oldest flash message(s) to stay within "
                "max_messages=%d and max_cookie_size=%d bytes",
                dropped,
                self.max_messages,
                self.max_cookie_size,
            )
        if messages or values:
            return writer.set(value)
        return writer.delete() if had_cookie else None

    @staticmethod
    def _drop_oldest(
        messages: Pairs, values: dict[str, Any], count: int
    ) -> tuple[Pairs, dict[str, Any], int]:
        from_messages = min(count, len(messages))
        from_values = min(count - from_messages, len(values))
        kept_values = dict(list(values.items())[from_values:])
        return messages[from_messages:], kept_values, from_messages + from_values
