"""Cookie syntax: finding the flash cookie in a request, writing it in a response.

``Set-Cookie`` attributes come from :func:`werkzeug.http.dump_cookie`, once per
middleware. Reading is a small scan of our own: werkzeug's parser decodes the
header as UTF-8 strictly (non-UTF-8 bytes raise), which breaks the promise
that any ``Cookie`` header is read without error; the scan also matches only
the exact name, with nothing but SP and HTAB around it.
"""

from __future__ import annotations

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
    # Jump from one occurrence of the name to the next (str.find runs in C)
    # instead of splitting every pair of the header: a browser sends many
    # unrelated cookies, and only a pair whose name is exactly ``name``,
    # with nothing but SP/HTAB around it, counts.
    values: list[str] = []
    end = len(header)
    found = header.find(name)
    while found >= 0:
        before = found - 1
        while before >= 0 and header[before] in _OWS:
            before -= 1
        after = found + len(name)
        while after < end and header[after] in _OWS:
            after += 1
        if (before < 0 or header[before] == ";") and (
            after < end and header[after] == "="
        ):
            stop = header.find(";", after)
            if stop < 0:
                stop = end
            value = header[after + 1 : stop].strip(_OWS)
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            values.append(value)
            found = header.find(name, stop)
        else:
            found = header.find(name, found + 1)
    return values


class CookieWriter:
    """The ``Set-Cookie`` header values for one cookie name and attribute set."""

    __slots__ = ("_prefix", "_suffix", "_deletion")

    def __init__(
        self,
        name: str,
        *,
        max_age: int,
        path: str,
        domain: str | None,
        secure: bool,
        httponly: bool,
        samesite: str | None,
    ) -> None:
        def render(value: str, *, max_age: int, expires: int | None) -> str:
            return dump_cookie(
                name,
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

        # Our values are base64url and dots, which never need quoting, so
        # the attributes can be rendered once and the value slotted in.
        self._prefix = name + "="
        sample = render("v", max_age=max_age, expires=None)
        self._suffix = sample[len(self._prefix) + 1 :]
        self._deletion = render("", max_age=0, expires=0)

    def set(self, value: str) -> str:
        """Return the header value that stores ``value``."""
        return self._prefix + value + self._suffix

    def size(self, value_length: int) -> int:
        """Return the size in bytes of :meth:`set` for a value of that length."""
        return len(self._prefix) + value_length + len(self._suffix)

    def delete(self) -> str:
        """Return the header value that makes the browser drop the cookie."""
        return self._deletion


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
