"""The JSON endpoint: one HTTP handler, written once, that both adapters call.

With ``endpoint="/_flash"`` the middleware answers these paths itself:

- ``GET /_flash`` returns the pending flash as JSON (the shape of
  :func:`flashmw.transport.state_json`) and consumes it;
- ``POST /_flash`` clears: a ``key`` field clears that keyed value, a
  ``category`` field consumes that category's list messages, neither clears
  everything. The body is a form (``application/x-www-form-urlencoded``)
  or a JSON object. A ``next`` field (even empty) or a navigation makes the
  answer a ``303`` back to the page (a dismiss form without JavaScript);
  otherwise ``204``;
- ``GET /_flash/flash.js`` and ``/_flash/flash.css``: the client kit.

The adapters read the body (at most :data:`MAX_BODY_BYTES` + 1 bytes) and
pass it to :func:`respond` with the request's method, path and headers;
they send what it returns through their usual response path, so the
flash's ``Set-Cookie`` and ``Vary`` are added as for any response.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from . import kit
from .transport import dumps, take_pending

if TYPE_CHECKING:
    from .request import Headers
    from .state import Flash

#: The largest request body the endpoint reads; a larger one gets 413.
MAX_BODY_BYTES = 4096
#: Form fields the endpoint reads at most (parse_qsl stops past this).
_MAX_FIELDS = 8
#: The kit's files, below the endpoint path, with their content types.
ASSETS = {
    "/flash.js": (kit.SCRIPT_PATH, "text/javascript; charset=utf-8"),
    "/flash.css": (kit.STYLESHEET_PATH, "text/css; charset=utf-8"),
}
_FIELDS = ("key", "category", "next")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


class Reply(NamedTuple):
    """What the endpoint answers: a status, its headers and the body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class _Refused(Exception):
    """A request the endpoint answers with a 4xx and a JSON error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_endpoint(endpoint: object) -> str | None:
    """Validate the ``endpoint`` option: ``None`` or a path like ``"/_flash"``.

    :raises ValueError: naming the option.
    """
    if endpoint is None:
        return None
    if (
        not isinstance(endpoint, str)
        or not endpoint.startswith("/")
        or endpoint == "/"
        or endpoint.endswith("/")
        or not endpoint.isascii()
        or not endpoint.isprintable()
        or any(c in endpoint for c in " ?#%\\")
    ):
        raise ValueError(
            "endpoint must be None or an absolute path without a trailing "
            f"slash, query or spaces, such as '/_flash'; got {endpoint!r}"
        )
    return endpoint


def is_endpoint(endpoint: str, path: str) -> bool:
    """Tell whether the middleware answers ``path`` itself."""
    if not path.startswith(endpoint):
        return False
    rest = path[len(endpoint) :]
    return not rest or rest in ASSETS


@functools.cache
def _asset(name: str) -> tuple[bytes, str, str]:
    path, content_type = ASSETS[name]
    data = path.read_bytes()
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    return data, content_type, etag


def _json(status: int, document: Any, *extra: tuple[str, str]) -> Reply:
    body = dumps(document).encode("ascii")
    headers = [
        ("Content-Type", _JSON),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        *extra,
    ]
    return Reply(status, headers, body)


def _origin(url: str) -> tuple[str, str] | None:
    """Return the scheme and ``host[:port]`` of an http(s) URL.

    The default port is left out, as browsers leave it out of ``Host``;
    ``None`` for anything that is not an http(s) URL with a host.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname
    if ":" in host:  # an IPv6 literal keeps its brackets, as in Host
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return parts.scheme, host


def _same_origin(headers: Headers, url: str) -> bool:
    """Tell whether ``url`` (an Origin or a Referer) names this host."""
    found = _origin(url)
    host = headers.get("host")
    if found is None or host is None:
        return False
    scheme, origin_host = found
    ours = _origin(f"{scheme}://{host.strip()}")
    return ours is not None and ours[1] == origin_host


def _check_origin(headers: Headers) -> None:
    site = headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() == "cross-site":
        raise _Refused(403, "cross-site requests are refused")
    origin = headers.get("origin")
    # "null" (a sandboxed or privacy-restricted page) names no origin: it
    # cannot be shown to be ours.
    if origin is not None and not _same_origin(headers, origin):
        raise _Refused(403, "requests from another origin are refused")


def _fields(headers: Headers, body: bytes) -> dict[str, str]:
    """Read ``key``, ``category`` and ``next`` from a form or JSON body."""
    if len(body) > MAX_BODY_BYTES:
        raise _Refused(413, f"the body may take at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return {}
    content_type = headers.get("content-type") or ""
    media = content_type.partition(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "the body is not UTF-8 text") from None
    if media == _FORM:
        try:
            pairs = parse_qsl(
                text,
                keep_blank_values=True,
                max_num_fields=_MAX_FIELDS,
                errors="strict",
            )
        except (ValueError, UnicodeDecodeError):
            raise _Refused(400, "the form cannot be read") from None
        found = [(name, value) for name, value in pairs if name in _FIELDS]
        fields = dict(found)
        if len(fields) != len(found):
            raise _Refused(400, "a field is given twice")
        return fields
    if media == _JSON or media.endswith("+json"):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            raise _Refused(400, "the body is not valid JSON") from None
        if type(document) is not dict:
            raise _Refused(400, "the JSON body must be an object")
        fields = {}
        for name in _FIELDS:
            if name in document:
                if type(document[name]) is not str:
                    raise _Refused(400, f"{name} must be a string")
                fields[name] = document[name]
        return fields
    raise _Refused(415, f"send {_FORM} or {_JSON}")


def _safe_path(value: str) -> str | None:
    """Return ``value`` if it is a path on this site, else ``None``."""
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or len(value) > 2048
        or not value.isascii()
        or not value.isprintable()
        or " " in value
    ):
        return None
    return value


def _back(headers: Headers, next_field: str | None) -> str:
    """Where a dismiss form returns to: ``next``, else the Referer, else ``/``."""
    if next_field:
        return _safe_path(next_field) or "/"
    referer = headers.get("referer")
    if referer and _same_origin(headers, referer):
        parts = urlsplit(referer.strip())
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return _safe_path(path) or "/"
    return "/"


def _asset_reply(name: str, method: str, headers: Headers) -> Reply:
    if method not in ("GET", "HEAD"):
        return _json(405, {"error": "use GET"}, ("Allow", "GET, HEAD"))
    data, content_type, etag = _asset(name)
    common = [
        # Public and cached for a day; the ETag makes a revalidation cheap
        # after an upgrade changes the file.
        ("Cache-Control", "public, max-age=86400"),
        ("ETag", etag),
        ("X-Content-Type-Options", "nosniff"),
    ]
    wanted = headers.get("if-none-match")
    if wanted is not None and etag in (t.strip() for t in wanted.split(",")):
        return Reply(304, common, b"")
    headers_out = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(data))),
        *common,
    ]
    return Reply(200, headers_out, b"" if method == "HEAD" else data)


def respond(
    flash: Flash,
    *,
    endpoint: str,
    method: str,
    path: str,
    headers: Headers,
    body: bytes,
) -> Reply:
    """Answer one request to the endpoint (or one of its kit files).

    :param flash: the request's flash, which the answer reads or clears.
    :param endpoint: the ``endpoint`` option; ``path`` is at or below it
        (see :func:`is_endpoint`).
    :param method: the request method, upper case.
    :param headers: the request's headers.
    :param body: the request body, read up to ``MAX_BODY_BYTES + 1`` bytes
        (a longer one is refused with 413).
    """
    rest = path[len(endpoint) :]
    if rest:
        return _asset_reply(rest, method, headers)
    try:
        _check_origin(headers)
        if method in ("GET", "HEAD"):
            reply = _json(200, take_pending(flash))
            return reply._replace(body=b"") if method == "HEAD" else reply
        if method != "POST":
            raise _Refused(405, "use GET to read or POST to clear")
        fields = _fields(headers, body)
    except _Refused as refused:
        extra = [("Allow", "GET, HEAD, POST")] if refused.status == 405 else []
        return _json(refused.status, {"error": refused.message}, *extra)
    key = fields.get("key")
    category = fields.get("category")
    if key == "" or category == "":
        return _json(400, {"error": "key and category must not be empty"})
    if key is not None:
        flash.clear(key)
    if category is not None:
        flash.get_flashed_messages(category_filter=category)
    if key is None and category is None:
        flash.clear()
    mode = (headers.get("sec-fetch-mode") or "").strip().lower()
    if "next" in fields or mode == "navigate":
        location = _back(headers, fields.get("next"))
        return Reply(
            303,
            [
                ("Location", location),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", "0"),
                ("Cache-Control", "no-store"),
            ],
            b"",
        )
    return Reply(204, [("Cache-Control", "no-store")], b"")
