"""What both middlewares share: options, decoding and encoding the cookie.

Nothing here knows about WSGI or ASGI; the adapters in :mod:`flashmw.wsgi`
and :mod:`flashmw.asgi` only move headers between their protocol and this.
"""

from __future__ import annotations

import datetime
import logging
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from .cookies import CookieWriter, find_cookies, is_token
from .endpoint import check_endpoint
from .layout import (
    MARK_AGE,
    MARKS,
    NOTHING,
    Changes,
    Loaded,
    Stored,
    decode,
    decode_legacy,
    resolve,
)
from .request import (
    SPECULATIVE_HEADERS,
    SUBRESOURCE_DESTINATIONS,
    check_rules,
    watched,
)
from .signing import CookieCodec, CookieSigner
from .store import AsyncStore, Store, Taker, check_store, decode_reference
from .store import is_reference as _is_reference
from .store import load as _load_with_store
from .transport import DEFAULT_HTMX_MAX_BYTES, check_htmx_options
from .values import Serializer, TaggedJSONSerializer

if TYPE_CHECKING:
    from .sealing import CookieSealer

logger = logging.getLogger("flashmw")

#: One hour: long enough for any redirect chain or a slow form, short enough
#: that a notice nobody saw does not greet a user returning the next day.
DEFAULT_MAX_AGE = 3600
#: Messages and keyed values a flash keeps; the oldest go first.
DEFAULT_MAX_MESSAGES = 100
#: Bytes of each ``Set-Cookie`` value; browsers keep at least 4096.
DEFAULT_MAX_COOKIE_SIZE = 4093
#: Flash cookies a browser holds at most; browsers keep at least 50 per site,
#: and the app has cookies of its own.
DEFAULT_MAX_COOKIES = 20
#: Bytes all flash cookies take together in the ``Cookie`` header: servers
#: refuse request headers past about 8 KB (gunicorn answers 431).
DEFAULT_MAX_TOTAL_SIZE = 4096

_SAMESITE = {"lax": "Lax", "strict": "Strict", "none": "None"}
_OVERFLOW = ("drop_oldest", "error")
_SHORT_KEY = 32
# The document of the smallest cookie: a clear mark of everything.
_SMALLEST = [[["", 1]], [["x", ["abcdefgh0", [[1_800_000_000_000, "abcdefgh", 1, 1]]]]]]
# A host name as a Domain attribute holds it, once IDNA-encoded: labels of
# letters, digits, '-' and '_' (a leading dot, which browsers ignore, is
# taken off first). Spaces, ',', '=', ':' (a port) or an empty label would
# make browsers drop the cookie or scope it to a host nobody meant.
_HOST_NAME = re.compile(r"[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*")

AppT = TypeVar("AppT")
Pairs = list[tuple[str, Any]]

# flashmw's own source files: a warning names the first line outside them.
_OWN_FILES = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _outside_stacklevel() -> int:
    """Return the ``stacklevel`` of the first caller outside flashmw.

    Called in a constructor, that is the app's line that built the
    middleware, however many of flashmw's own classes (a subclass's
    ``__init__`` calling ``super().__init__``) it went through.
    """
    level = 2  # the caller of the function that calls this one
    frame = sys._getframe(level)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_OWN_FILES):
        frame = frame.f_back
        level += 1
    return level


def _seconds(value: float | datetime.timedelta, name: str) -> int:
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not math.isfinite(value))
        or value < 1
    ):
        raise ValueError(
            f"{name} must be a finite number of seconds >= 1, got {value!r}"
        )
    return int(value)


def _utf8(text: str | bytes, name: str) -> bytes:
    """Return ``text`` as the UTF-8 bytes the signer uses."""
    if isinstance(text, bytes):
        return text
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"{name} must be valid Unicode text: it holds a lone surrogate"
        ) from None


def _check_key(key: object, name: str) -> str | bytes:
    if not isinstance(key, (str, bytes)) or not key:
        raise ValueError(
            f"{name} must be a non-empty str or bytes; generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    _utf8(key, name)
    return key


def _check_domain(domain: object) -> str:
    message = (
        "domain must be text naming a host, such as 'example.com' (letters, "
        "digits, '-' and '.', no port), or None to keep the cookie to the "
        f"host that set it; got {domain!r}"
    )
    if not isinstance(domain, str):
        raise ValueError(message)
    try:
        # What werkzeug writes into the header for a non-ASCII name.
        encoded = domain.removeprefix(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(message) from None
    if not _HOST_NAME.fullmatch(encoded):
        raise ValueError(message)
    return domain


def _check_attribute(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.isprintable() or ";" in value:
        raise ValueError(f"{name} must be text without ';' or control characters")
    return value


def _newest(parts: list[Stored]) -> int:
    """Return the millisecond of the newest write in one cookie's parts."""
    stamps = [e.stamp[0] for part in parts for e in part.entries]
    stamps += [mark[1][0] for part in parts for mark in part.marks]
    stamps += [read[1] for part in parts for read in part.reads]
    return max(stamps, default=-1)


def _check_serializer(serializer: Serializer) -> None:
    # A serializer that cannot carry the empty flash document would fail
    # every write (or, for loads, read every cookie as empty) at run time.
    try:
        empty = serializer.dumps([[], []])
        if isinstance(empty, bytes):
            serializer.loads(empty)
    except Exception as exc:
        raise ValueError(
            f"serializer cannot encode and decode an empty flash document: {exc!r}"
        ) from exc
    if not isinstance(empty, bytes):
        raise ValueError(
            f"serializer.dumps must return bytes, got {type(empty).__name__}"
        )


def _sealer() -> type[CookieSealer]:
    # Imported only when asked for: cryptography is an optional extra, and
    # a signed-only middleware never loads it.
    try:
        from .sealing import CookieSealer  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("cryptography"):
            raise
        raise ValueError(
            "encrypt=True needs the cryptography package: pip install 'flashmw[crypto]'"
        ) from None
    return CookieSealer


class BaseFlashMiddleware(Generic[AppT]):
    """Options and cookie rules shared by :class:`~flashmw.FlashMiddleware`
    and :class:`~flashmw.ASGIFlashMiddleware`.

    :param app: the application to wrap.
    :param secret_key: signs new cookies. Required; 32 bytes or more.
    :param fallback_keys: older keys that still verify (key rotation).
    :param cookie_name: a ``__Host-`` prefix (in any case) forces
        ``Secure`` and needs ``path="/"`` and no ``domain``; ``__Secure-``
        forces ``Secure``.
    :param max_age: seconds a flash lives, enforced from a signed timestamp.
    :param secure: ``None`` sets ``Secure`` exactly on https requests.
    :param samesite: ``"lax"``, ``"strict"``, ``"none"`` or ``None``.
        ``"none"`` always sets ``Secure`` (browsers reject it without).
    :param salt: binds signatures to this purpose.
    :param max_cookie_size: bytes of each ``Set-Cookie`` value.
    :param max_cookies: flash cookies kept at most (one per write).
    :param max_total_size: bytes every flash cookie takes together in the
        request's ``Cookie`` header.
    :param max_messages: messages and keyed values kept at most.
    :param on_overflow: ``"drop_oldest"`` (and log a warning) or ``"error"``
        (raise :class:`~flashmw.FlashOverflowError` from ``add``/``put``).
    :param serializer: ``dumps(obj) -> bytes`` and ``loads(bytes) -> obj``;
        the default is :class:`~flashmw.values.TaggedJSONSerializer`. An
        optional ``snapshot(value)`` returns the independent copy that
        ``add``/``put`` keep (raising ``TypeError`` for what it cannot
        store); without it, the copy is ``loads(dumps(...))`` of the value.
    :param encrypt: encrypt cookies with AES-256-GCM (needs
        ``flashmw[crypto]``) instead of only signing them; signed cookies
        written before are still read.
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
    :param store: a server-side store for what does not fit in the cookies
        (see :mod:`flashmw.store` and ``docs/store.md``): a
        :class:`~flashmw.store.Store` for WSGI, an
        :class:`~flashmw.store.AsyncStore` for ASGI, such as
        :class:`flashmw.redis.RedisStore`. ``None``: cookies only.
    :raises ValueError: for any option a middleware cannot work with.
    """

    #: Whether the adapter awaits its store (ASGI) or calls it (WSGI).
    _async_io: ClassVar[bool] = False

    @staticmethod
    def _header_key(name: str) -> Any:
        """Return the key of the header called ``name`` in the adapter's headers.

        The lower-case name itself here (a ``dict`` of names); the adapters
        have keys of their own (see :class:`flashmw.request.Headers`).
        Called for the few headers the core reads, once, when the
        middleware is built.
        """
        return name

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
        max_cookie_size: int = DEFAULT_MAX_COOKIE_SIZE,  # bytes, each cookie
        max_cookies: int = DEFAULT_MAX_COOKIES,
        max_total_size: int = DEFAULT_MAX_TOTAL_SIZE,  # bytes, every cookie
        max_messages: int = DEFAULT_MAX_MESSAGES,
        on_overflow: str = "drop_oldest",
        serializer: Serializer | None = None,
        encrypt: bool = False,  # AES-256-GCM instead of signing only
        speculative_headers: Mapping[str, Iterable[str]] = SPECULATIVE_HEADERS,
        subresource_destinations: Iterable[str] = SUBRESOURCE_DESTINATIONS,
        clock: Callable[[], float] = time.time,  # seconds since the epoch
        htmx: bool = False,
        htmx_max_bytes: int = DEFAULT_HTMX_MAX_BYTES,  # bytes of HX-Trigger
        endpoint: str | None = None,  # a path such as "/_flash"
        store: Store | AsyncStore | None = None,
    ) -> None:
        self.app = app
        self.store = check_store(store, self._async_io)
        self._store_async = self.store is not None and self._async_io
        secret_key = _check_key(secret_key, "secret_key")
        if isinstance(fallback_keys, (str, bytes)):
            raise ValueError(
                "fallback_keys must be a list of keys, not one str or bytes "
                "(which would become one-character keys): write "
                "fallback_keys=[old_key]"
            )
        if not isinstance(fallback_keys, Iterable):
            raise ValueError(
                "fallback_keys must be a list of older keys, or [] for none; "
                f"got {fallback_keys!r}"
            )
        fallback = [_check_key(k, "each of fallback_keys") for k in fallback_keys]
        # The signer uses the UTF-8 bytes: a short non-ASCII key is not weak.
        if len(_utf8(secret_key, "secret_key")) < _SHORT_KEY:
            warnings.warn(
                f"secret_key is shorter than {_SHORT_KEY} bytes; anyone who "
                "guesses it can forge flash messages",
                UserWarning,
                stacklevel=_outside_stacklevel(),
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
            _check_domain(domain)
        # Exactly bool: werkzeug writes any other value as "Secure=1" or
        # "HttpOnly=no", which browsers do not read as the flag.
        if secure is not None and not isinstance(secure, bool):
            raise ValueError(f"secure must be True, False or None, got {secure!r}")
        if not isinstance(httponly, bool):
            raise ValueError(f"httponly must be True or False, got {httponly!r}")
        # Browsers match the prefixes in any case (RFC 6265bis).
        prefix = cookie_name.lower()
        if prefix.startswith(("__host-", "__secure-")):
            if secure is False:
                raise ValueError(f"a {cookie_name} cookie needs secure=True or None")
            secure = True
        if prefix.startswith("__host-") and (path != "/" or domain is not None):
            raise ValueError("a __Host- cookie needs path='/' and domain=None")
        if samesite is not None:
            if not isinstance(samesite, str) or samesite.lower() not in _SAMESITE:
                raise ValueError(
                    "samesite must be 'lax', 'strict', 'none' or None, "
                    f"got {samesite!r}"
                )
            samesite = _SAMESITE[samesite.lower()]
            if samesite == "None":
                if secure is False:
                    raise ValueError(
                        "samesite='none' needs a Secure cookie: secure=False"
                    )
                # Browsers reject SameSite=None without Secure on any scheme;
                # with it they keep the cookie over https and on
                # http://localhost, so secure=None means Secure here.
                secure = True
        if on_overflow not in _OVERFLOW:
            raise ValueError(
                f"on_overflow must be 'drop_oldest' or 'error', got {on_overflow!r}"
            )
        for option, number in (
            ("max_messages", max_messages),
            ("max_cookies", max_cookies),
        ):
            if isinstance(number, bool) or not isinstance(number, int):
                raise ValueError(f"{option} must be an int, got {number!r}")
            if number < 1:
                raise ValueError(f"{option} must be at least 1, got {number}")
        if serializer is None:
            serializer = TaggedJSONSerializer()
        elif not callable(getattr(serializer, "dumps", None)) or not callable(
            getattr(serializer, "loads", None)
        ):
            raise ValueError("serializer must have dumps(obj) and loads(bytes) methods")
        _check_serializer(serializer)
        if not callable(clock):
            raise ValueError("clock must be a callable returning seconds")
        now = clock()
        if (
            isinstance(now, bool)
            or not isinstance(now, (int, float))
            or (isinstance(now, float) and not math.isfinite(now))
        ):
            raise ValueError(
                f"clock must return the seconds since the epoch, got {now!r}"
            )
        if not isinstance(salt, (str, bytes)) or not salt:
            raise ValueError("salt must be a non-empty str or bytes")
        _utf8(salt, "salt")

        check_htmx_options(htmx, htmx_max_bytes)
        self.htmx = htmx
        self.htmx_max_bytes = htmx_max_bytes
        self.endpoint = check_endpoint(endpoint)
        rules, self._destinations = check_rules(
            speculative_headers, subresource_destinations
        )
        # The headers the core reads, as keys of the adapter's headers.
        key = self._header_key
        self._cookie_key = key("cookie")
        self._scheme_key = key(":scheme")
        self._method_key = key(":method")
        self._htmx_key = key("hx-request")
        self._dest_key = key("sec-fetch-dest")
        self._speculative = {key(name): tokens for name, tokens in rules.items()}
        self._watched = watched(self._speculative, self._destinations, self._dest_key)
        self.cookie_name = cookie_name
        self.max_age = _seconds(max_age, "max_age")
        self.max_messages = max_messages
        self.max_cookies = max_cookies
        # Verifying a candidate costs an HMAC: a request carrying thousands
        # of planted "flash.x=..." pairs gets a bounded amount of work.
        self.max_candidates = 2 * max_cookies + 1
        self.on_overflow = on_overflow
        self.serializer = serializer
        self._clock = clock
        if not isinstance(encrypt, bool):
            raise ValueError(f"encrypt must be True or False, got {encrypt!r}")
        codec = _sealer() if encrypt else CookieSigner
        self._signer: CookieCodec = codec(
            secret_key,
            fallback,
            salt=salt,
            cookie_name=cookie_name,
            max_age=self.max_age,
        )
        # One writer per request scheme: index 0 for http, 1 for https.
        self._writers = tuple(
            CookieWriter(
                max_age=self.max_age,
                mark_age=min(MARK_AGE, self.max_age),
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
        # The default serializer stores any ASCII text: no need to ask it.
        self._ascii_is_valid = (
            getattr(type(serializer), "validate", None) is TaggedJSONSerializer.validate
        )
        snapshot = getattr(serializer, "snapshot", None)
        self._snapshot: Callable[[Any], Any] = (
            snapshot if callable(snapshot) else self._snapshot_by_round_trip
        )
        for option, number in (
            ("max_cookie_size", max_cookie_size),
            ("max_total_size", max_total_size),
        ):
            if isinstance(number, bool) or not isinstance(number, int):
                raise ValueError(f"{option} must be an int, got {number!r}")
        self.max_cookie_size = max_cookie_size
        self.max_total_size = max_total_size
        # The smallest cookie flashmw writes: a clear mark.
        mark = len(self._signer.sign(self.serializer.dumps(_SMALLEST), clock()))
        name = len(cookie_name) + 10
        smallest = max(writer.size(name, mark) for writer in self._writers)
        if max_cookie_size < smallest:
            raise ValueError(
                f"max_cookie_size={max_cookie_size} is too small: the smallest "
                f"flash cookie with these options already takes {smallest} bytes"
            )
        if max_total_size < smallest:
            raise ValueError(
                f"max_total_size={max_total_size} is too small: the smallest "
                f"flash cookie with these options already takes {smallest} bytes"
            )

    # -- reading --------------------------------------------------------

    def _load(
        self, header: str | None, take: Taker | None = None, now: float | None = None
    ) -> Loaded:
        """Decode the flash cookies in ``header`` (a ``Cookie`` header).

        With a store, ``take`` reads what the references point to (see
        :func:`flashmw.store.load`). ``now`` is the time of the request
        (the clock's, if not given).

        Invalid cookies are logged at DEBUG and deleted by the next response
        that writes; of several valid cookies with one name (one planted by
        a sibling domain, or set on another path) the newest is read, and
        that is logged.
        """
        found = find_cookies(header, self.cookie_name) if header else []
        if not found:
            return NOTHING  # what resolve() makes of no cookies
        if len(found) > self.max_candidates:
            logger.warning(
                "flashmw read only the first %d of %d %s cookies",
                self.max_candidates,
                len(found),
                self.cookie_name,
            )
            found = found[: self.max_candidates]
        if now is None:
            now = self._clock()
        by_name: dict[str, list[Stored]] = {}
        invalid: list[str] = []
        for name, raw in found:
            try:
                if len(raw) > self.max_cookie_size:
                    raise ValueError(
                        f"value of {len(raw)} bytes exceeds max_cookie_size"
                    )
                if name == self.cookie_name:
                    parts = decode_legacy(self, name, raw, now)
                elif self.store is not None and _is_reference(self, name):
                    parts = [decode_reference(self, name, raw, now)]
                else:
                    parts = [decode(self, name, raw, now)]
            # The serializer is pluggable: whatever it raises, a bad cookie
            # must read as empty state and never reach the app.
            except Exception as exc:  # noqa: BLE001
                logger.debug("flashmw ignored a %s cookie: %s", name, exc)
                invalid.append(name)
                continue
            previous = by_name.get(name)
            if previous is not None:
                logger.warning(
                    "flashmw read several valid %s cookies (one may be set "
                    "for a parent domain or another path); the newest wins",
                    name,
                )
                if _newest(previous) >= _newest(parts):
                    continue  # on a tie, the first one sent
            by_name[name] = parts
        stored: list[Stored] = []
        for parts in by_name.values():
            stored += parts
        if self.store is not None:
            loaded = _load_with_store(self, stored, take, now)
        else:
            loaded = resolve(stored, self.max_age * 1000, int(now * 1000))
        if invalid:
            # A name with a valid cookie is kept: deleting it would delete both.
            loaded.garbage.extend(
                Stored(name, "", 0) for name in invalid if name not in by_name
            )
        return loaded

    # -- writing --------------------------------------------------------

    def _validate_by_dumping(self, value: Any) -> None:
        try:
            self.serializer.dumps(value)
        except Exception as exc:
            raise TypeError(
                f"{type(value).__name__} cannot be flashed with "
                f"{type(self.serializer).__name__}: {exc}"
            ) from exc

    def _store_value(self, value: Any) -> Any:
        """Return what ``add``/``put`` keep for ``value``: its snapshot.

        The flash keeps, and the request reads back, this independent copy,
        so nothing the app does to ``value`` afterwards changes what is
        stored or makes writing the response fail.

        :raises TypeError: if ``value`` cannot be stored.
        """
        if type(value) is str:
            # Immutable, and the common case: checking is all it needs.
            self._validate_text(value)
            return value
        return self._snapshot(value)

    def _validate_text(self, text: str) -> None:
        """:attr:`_validate` for a ``str``, short for plain ASCII text.

        :raises TypeError: if ``text`` cannot be stored.
        """
        if not (self._ascii_is_valid and text.isascii()):
            self._validate(text)

    def _snapshot_by_round_trip(self, value: Any) -> Any:
        # A serializer without snapshot(): store what the next request will
        # read, by encoding and decoding the value as one message of a
        # flash document. Costs a round trip, paid only by non-str values.
        serializer = self.serializer
        try:
            document = serializer.loads(serializer.dumps([[("", value)], []]))
            (_, stored), *_ = document[0]
        except Exception as exc:
            raise TypeError(
                f"{type(value).__name__} cannot be flashed with "
                f"{type(serializer).__name__}: {exc}"
            ) from exc
        return stored

    def _encodable(self, pairs: Pairs) -> Pairs:
        """Return ``pairs`` without the entries that no longer encode.

        What add()/put() stored is a snapshot that encodes: only a value the
        app read from the flash and then changed in place can fail, and only
        when a 0.1 cookie is rewritten. Leave that out, and say so, rather
        than fail the response.
        """
        kept = []
        for name, value in pairs:
            try:
                # Dump, not validate: a custom serializer's validate() may
                # accept what its dumps() refuses.
                self.serializer.dumps([[[name, value]], []])
            except Exception as exc:  # noqa: BLE001 (a pluggable serializer)
                logger.warning(
                    "flashmw left out the flash entry %r: it was changed after "
                    "it was read and can no longer be stored (%s)",
                    name,
                    exc,
                )
                continue
            kept.append((name, value))
        return kept

    def _render(self, changes: Changes, https: bool) -> list[str]:
        """Return the ``Set-Cookie`` values that carry out ``changes``."""
        writer = self._writers[https]
        out = []
        for name, cookie in changes.drop.items():
            if not cookie.legacy:
                out.append(writer.delete(name))
        if changes.legacy_name is not None:
            out.append(writer.delete(changes.legacy_name))
        prefix = self.cookie_name + "."
        for item in changes.outs:
            name = prefix + item.suffix
            if item.kind == MARKS and not item.reads:
                out.append(writer.mark(name, item.value))
            else:
                out.append(writer.set(name, item.value))
        if changes.dropped_entries:
            logger.warning(
                "flashmw dropped the %d oldest flash message(s) to stay within "
                "max_messages=%d, max_cookies=%d, max_cookie_size=%d and "
                "max_total_size=%d bytes",
                changes.dropped_entries,
                self.max_messages,
                self.max_cookies,
                self.max_cookie_size,
                self.max_total_size,
            )
        return out
