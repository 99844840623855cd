"""Cookie syntax: finding the flash cookie in a request, writing it in a response.

``Set-Cookie`` attributes come from :func:`werkzeug.http.dump_cookie`, once per
middleware. Reading is a small scan of our own: werkzeug's parser decodes the
header as UTF-8 strictly (non-UTF-8 bytes raise), which breaks the promise
that any ``Cookie`` header is read without error; the scan also matches only
the exact name, with nothing but SP and HTAB around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from werkzeug.http import dump_cookie

# RFC 6265 allows only SP and HTAB around names and values; Unicode white
# space such as NBSP is part of the name.
_OWS = " \t"
_TOKEN = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def is_token(text: str) -> bool:
    """Tell whether ``text`` is a valid cookie name (an RFC 9110 token)."""
    return bool(text) and all(char in _TOKEN for char in text)


def find_cookie_values(header: str, name: str) -> list[str]:
    """Return the values of every cookie called exactly ``name``, in order.

    ``header`` is the ``Cookie`` header decoded as latin-1 (as WSGI does), so
    any byte sequence is acceptable. Time is linear in the header's length.
    A value in double quotes loses its quotes.
    """
    return [value for found, value in find_cookies(header, name) if found == name]


#: Longest suffix a flash cookie name may have after ``name.``.
MAX_SUFFIX = 32
# What may follow the name in a pair that counts: an optional ".suffix"
# (base64url, group 1), SP/HTAB, then "=". A longer suffix matches nothing:
# the character after the 32nd is neither SP/HTAB nor "=".
_TAIL = re.compile(f"(\\.[0-9a-zA-Z_-]{{1,{MAX_SUFFIX}}})?[ \\t]*=")


def find_cookies(header: str, name: str) -> list[tuple[str, str]]:
    """Return ``(name, value)`` for every cookie called ``name`` or ``name.<suffix>``.

    The suffix is 1 to :data:`MAX_SUFFIX` base64url characters. ``header``
    is the ``Cookie`` header decoded as latin-1 (as WSGI does), so any byte
    sequence is acceptable. Time is linear in the header's length. A value
    in double quotes loses its quotes.
    """
    # Jump from one occurrence of the name to the next (str.find runs in C)
    # instead of splitting every pair of the header: a browser sends many
    # unrelated cookies, and only a pair whose name is exactly ours, with
    # nothing but SP/HTAB around it, counts.
    found: list[tuple[str, str]] = []
    at = header.find(name)
    while at >= 0:
        before = at - 1
        while before >= 0 and header[before] in _OWS:
            before -= 1
        tail = _TAIL.match(header, at + len(name))
        if tail is None or (before >= 0 and header[before] != ";"):
            at = header.find(name, at + 1)
            continue
        stop = header.find(";", tail.end())
        if stop < 0:
            stop = len(header)
        value = header[tail.end() : stop].strip(_OWS)
        if value[:1] == '"' and len(value) >= 2 and value[-1] == '"':
            value = value[1:-1]
        found.append((name + (tail[1] or ""), value))
        at = header.find(name, stop)
    return found


class CookieWriter:
    """The ``Set-Cookie`` header values for one set of cookie attributes."""

    __slots__ = ("_suffix", "_mark_suffix", "_deletion")

    def __init__(
        self,
        *,
        max_age: int,
        mark_age: int,
        path: str,
        domain: str | None,
        secure: bool,
        httponly: bool,
        samesite: str | None,
    ) -> None:
        def render(value: str, *, max_age: int, expires: int | None) -> str:
            return dump_cookie(
                "n",
                value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                samesite=samesite,
                sync_expires=False,
                max_size=0,  # we enforce max_cookie_size ourselves
            )

        # Names are tokens and values base64url and dots, which never need
        # quoting, so the attributes are rendered once and both slotted in.
        self._suffix = render("v", max_age=max_age, expires=None)[3:]
        self._mark_suffix = render("v", max_age=mark_age, expires=None)[3:]
        self._deletion = render("", max_age=0, expires=0)[1:]

    def set(self, name: str, value: str) -> str:
        """Return the header value that stores ``value`` as cookie ``name``."""
        return f"{name}={value}{self._suffix}"

    def mark(self, name: str, value: str) -> str:
        """Like :meth:`set`, for a clear mark: it lives a short while."""
        return f"{name}={value}{self._mark_suffix}"

    def size(self, name_length: int, value_length: int) -> int:
        """Return the size in bytes of :meth:`set` for a name and value that long."""
        return name_length + 1 + value_length + len(self._suffix)

    def delete(self, name: str) -> str:
        """Return the header value that makes the browser drop cookie ``name``."""
        return name + self._deletion


def merged_vary(values: Iterable[str]) -> str | None:
    """Return the ``Vary`` value that adds ``Cookie`` to ``values``.

    ``None`` means the existing headers already cover it (they name
    ``Cookie`` or ``*``) and must be left as they are.
    """
    tokens = []
    for value in values:
        for item in value.split(","):
            name = item.strip()
            if name == "*" or name.lower() == "cookie":
                return None
            if name:
                tokens.append(name)
    tokens.append("Cookie")
    return ", ".join(tokens)
