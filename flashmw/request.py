"""What kind of request this is, told from its headers alone.

Pure functions over a :class:`Headers` lookup, so both adapters (and any
framework glue) share one rule. Nothing here raises on a malformed header:
a value that cannot be read simply does not match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Protocol

from .cookies import is_token

#: Headers that mark a request as *speculative* (fetched before anyone asked
#: to see it), each with the tokens that mark it. A header matches when one of
#: its comma-separated items, without its ``;parameters``, is one of the
#: tokens, compared case-insensitively; so ``Sec-Purpose: prefetch;prerender``
#: (Chrome's prerender) matches ``prefetch``.
SPECULATIVE_HEADERS: Mapping[str, tuple[str, ...]] = {
    "sec-purpose": ("prefetch",),  # the Fetch standard; Chrome, Firefox, Safari
    "purpose": ("prefetch",),  # older Chrome and Safari
    "x-purpose": ("preview",),  # older Safari
    "x-moz": ("prefetch",),  # older Firefox
    "x-sec-purpose": ("prefetch",),  # Turbo's link prefetch
    "hx-preloaded": ("true",),  # the htmx preload extension
    "next-router-prefetch": ("1",),  # Next.js route prefetch
}

#: ``Sec-Fetch-Dest`` values of requests a person does not read as a page:
#: images, scripts, styles, fonts and other sub-resources. ``document``,
#: ``iframe``, ``frame`` and ``empty`` (``fetch`` and XHR, which htmx uses)
#: are not here: their responses can show a notice.
SUBRESOURCE_DESTINATIONS: frozenset[str] = frozenset(
    {
        "image",
        "script",
        "style",
        "font",
        "manifest",
        "audio",
        "video",
        "track",
        "worker",
        "sharedworker",
        "serviceworker",
        "report",
        "object",
        "embed",
        "xslt",
        "paintworklet",
        "audioworklet",
    }
)


class Headers(Protocol):
    """Read access to a request's headers: a mapping of key to value.

    A plain ``dict`` of lower-case header names is one. The keys are the
    adapter's own: the environ's keys for WSGI (``HTTP_SEC_FETCH_DEST``,
    ``CONTENT_TYPE``), so that the WSGI flash reads a copy of the environ
    with ``dict.get`` in C, and lower-case names as bytes for ASGI
    (``b"sec-fetch-dest"``), so that the scope's fields become a map
    without decoding their names. Each adapter turns a header name into
    its key once, when it is built (``flashmw.wsgi.environ_key`` and
    ``flashmw.asgi.field_key`` make the key of a name).
    The functions here read whatever keys their ``rules`` and ``names``
    give.

    The request's scheme and method are read as HTTP/2 sends them, as the
    pseudo-headers ``:scheme`` (``"https"`` for a request over TLS, a
    secure websocket included) and ``:method`` (``wsgi.url_scheme`` and
    ``REQUEST_METHOD`` for WSGI): the flash asks for them only when a rule
    needs them, so a request that never touches its flash never reads them.
    """

    def get(self, key: Any) -> str | None:
        """Return the header under ``key``, or ``None``.

        Repeated headers come back joined with ``", "`` (``"; "`` for
        ``cookie``); bytes are decoded as latin-1.
        """

    def keys(self) -> AbstractSet[Any]:
        """Return the keys of the headers the request has.

        :func:`is_unseen` asks whether any of the headers it reads is
        there with one set operation: most requests carry none of them.
        """


def _items(value: str) -> Iterable[str]:
    """Yield the bare items of a comma-separated list, lower case."""
    for item in value.split(","):
        yield item.partition(";")[0].strip(" \t").lower()


def is_speculative(
    headers: Headers, rules: Mapping[Any, tuple[str, ...]] = SPECULATIVE_HEADERS
) -> bool:
    """Tell whether a header names the request a prefetch, prerender or preload."""
    for name, tokens in rules.items():
        value = headers.get(name)
        if value is not None and any(item in tokens for item in _items(value)):
            return True
    return False


def is_subresource(
    headers: Headers,
    destinations: frozenset[str] = SUBRESOURCE_DESTINATIONS,
    key: Any = "sec-fetch-dest",
) -> bool:
    """Tell whether ``Sec-Fetch-Dest`` (at ``key``) names other than a page."""
    value = headers.get(key)
    return value is not None and value.strip(" \t").lower() in destinations


def watched(
    rules: Mapping[Any, tuple[str, ...]],
    destinations: frozenset[str],
    dest_key: Any = "sec-fetch-dest",
) -> frozenset[Any]:
    """Return the keys of the headers :func:`is_unseen` reads."""
    return frozenset(rules) | ({dest_key} if destinations else set())


def is_unseen(
    headers: Headers,
    rules: Mapping[Any, tuple[str, ...]] = SPECULATIVE_HEADERS,
    destinations: frozenset[str] = SUBRESOURCE_DESTINATIONS,
    names: frozenset[Any] | None = None,
    dest_key: Any = "sec-fetch-dest",
) -> bool:
    """Tell whether nobody sees the response as a page (speculative or a sub-resource).

    :param names: ``watched(rules, destinations)``, computed once.
    :param dest_key: the key of ``Sec-Fetch-Dest`` in ``headers``.
    """
    if names is None:
        names = watched(rules, destinations, dest_key)
    if headers.keys().isdisjoint(names):
        return False
    return is_speculative(headers, rules) or is_subresource(
        headers, destinations, dest_key
    )


def check_rules(
    speculative_headers: Mapping[str, Iterable[str]],
    subresource_destinations: Iterable[str],
) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Validate and normalise the two lists an app may extend or replace.

    :raises ValueError: naming the option, for anything but a mapping of
        header names to token lists and an iterable of destination names.
    """
    if not isinstance(speculative_headers, Mapping):
        raise ValueError(
            "speculative_headers must be a mapping of header name to tokens, "
            "e.g. {**flashmw.SPECULATIVE_HEADERS, 'x-prefetch': ['1']}"
        )
    rules: dict[str, tuple[str, ...]] = {}
    for name, tokens in speculative_headers.items():
        if not isinstance(name, str) or not is_token(name.strip()):
            raise ValueError(f"speculative_headers: {name!r} is not a header name")
        if isinstance(tokens, str) or not isinstance(tokens, Iterable):
            raise ValueError(
                f"speculative_headers[{name!r}] must be a list of tokens, "
                f"not {tokens!r}"
            )
        lowered = tuple(
            _token(token, f"speculative_headers[{name!r}]") for token in tokens
        )
        if not lowered:
            raise ValueError(f"speculative_headers[{name!r}] names no token")
        rules[name.strip().lower()] = lowered
    if isinstance(subresource_destinations, str) or not isinstance(
        subresource_destinations, Iterable
    ):
        raise ValueError(
            "subresource_destinations must be a list of Sec-Fetch-Dest values, "
            f"not {subresource_destinations!r}"
        )
    destinations = frozenset(
        _token(dest, "subresource_destinations") for dest in subresource_destinations
    )
    return rules, destinations


def _token(value: object, option: str) -> str:
    if not isinstance(value, str) or not is_token(value.strip()):
        raise ValueError(f"{option}: {value!r} is not a header token")
    return value.strip().lower()
