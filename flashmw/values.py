"""The values flashmw can store, and the tagged-JSON serializer that stores them.

JSON carries ``str``, ``int``, ``float``, ``bool``, ``None``, ``list`` and
``dict`` as they are. The other supported types travel as a one-key object
whose key is a *tag* starting with a space (``{" t": [...]}`` for a tuple).
The registry of tags is closed: decoding never imports a class by name and
never unpickles, so a cookie can only ever produce the types listed here.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from markupsafe import Markup

#: Containers (list, tuple, dict, dataclass) nested inside one stored value.
MAX_DEPTH = 32
#: Decimal digits of the largest stored ``int`` (JSON parsers elsewhere choke
#: on longer ones, and a bound keeps decoding cheap).
MAX_INT_DIGITS = 100

_INT_BOUND = 10**MAX_INT_DIGITS
# Few enough "[" that no list can be nested deeper than MAX_DEPTH: the
# document's own three levels and MAX_DEPTH more.
_UNTAG_FREE_BRACKETS = MAX_DEPTH + 3
_TAG_START = " "


class Serializer(Protocol):
    """What a ``serializer=`` option must provide."""

    def dumps(self, obj: Any) -> bytes:
        """Encode ``obj`` (the flash document) to bytes."""

    def loads(self, data: bytes) -> Any:
        """Decode bytes produced by :meth:`dumps`; raise on anything else."""


class _Invalid(ValueError):
    """A payload that verified but does not decode to storable values."""


def _tag_float(value: float, depth: int) -> Any:
    if math.isfinite(value):
        return value
    # JSON has no NaN or Infinity; a tag keeps them exact (and -inf apart).
    return {" f": repr(value)}


def _tag_int(value: int, depth: int) -> Any:
    if -_INT_BOUND < value < _INT_BOUND:
        return value
    raise TypeError(
        f"int with more than {MAX_INT_DIGITS} digits cannot be flashed; "
        "store it as a str"
    )


def _tag_str(value: str, depth: int) -> Any:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise TypeError(
                "str with a lone surrogate cannot be flashed: it is not valid "
                "Unicode text and could not be sent to a browser"
            ) from None
    return value


def _enter(depth: int) -> None:
    """Refuse a container at ``depth`` unless fewer than MAX_DEPTH enclose it."""
    if depth >= MAX_DEPTH:
        raise TypeError(
            f"value nested more than {MAX_DEPTH} containers deep cannot be "
            "flashed (is it recursive?)"
        )


def _tag_list(value: list[Any], depth: int) -> Any:
    _enter(depth)
    return [_tag(item, depth + 1) for item in value]


def _tag_tuple(value: tuple[Any, ...], depth: int) -> Any:
    _enter(depth)
    return {" t": [_tag(item, depth + 1) for item in value]}


def _tag_dict(value: dict[Any, Any], depth: int) -> Any:
    _enter(depth)
    out = {}
    for key, item in value.items():
        if type(key) is not str:
            raise TypeError(
                f"dict keys must be str to be flashed, not {type(key).__name__}"
            )
        out[_tag_str(key, depth)] = _tag(item, depth + 1)
    if len(out) == 1 and next(iter(out)).startswith(_TAG_START):
        # A user dict that looks like a tag is wrapped so it reads back as-is.
        return {" di": out}
    return out


def _tag_markup(value: Markup, depth: int) -> Any:
    return {" m": _tag_str(str(value), depth)}


def _tag_datetime(value: datetime.datetime, depth: int) -> Any:
    offset = value.utcoffset()
    if offset is None:
        return {" dt": value.isoformat()}
    # ISO 8601 text drops sub-minute offsets on some Pythons: carry the
    # offset as exact microseconds beside the local time.
    local = value.replace(tzinfo=None).isoformat()
    return {" dtz": [local, offset // datetime.timedelta(microseconds=1)]}


def _tag_date(value: datetime.date, depth: int) -> Any:
    return {" d": value.isoformat()}


def _tag_uuid(value: uuid.UUID, depth: int) -> Any:
    return {" u": value.hex}


def _tag_same(value: Any, depth: int) -> Any:
    return value


_TAGGERS: dict[type, Callable[[Any, int], Any]] = {
    str: _tag_str,
    int: _tag_int,
    float: _tag_float,
    bool: _tag_same,
    type(None): _tag_same,
    list: _tag_list,
    tuple: _tag_tuple,
    dict: _tag_dict,
    Markup: _tag_markup,
    datetime.datetime: _tag_datetime,
    datetime.date: _tag_date,
    uuid.UUID: _tag_uuid,
}

_SUPPORTED = (
    "str, int, float, bool, None, list, tuple, dict with str keys, "
    "datetime, date, uuid.UUID, markupsafe.Markup or a dataclass instance"
)


def _tag(value: Any, depth: int) -> Any:
    # Exact types, not isinstance: a subclass (an IntEnum, an OrderedDict)
    # would read back as its base type, breaking the same-type promise.
    tagger = _TAGGERS.get(type(value))
    if tagger is not None:
        return tagger(value, depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _tag_dict(fields, depth)
    raise _unstorable(value)


def _unstorable(value: Any) -> TypeError:
    return TypeError(
        f"{type(value).__module__}.{type(value).__qualname__} cannot be "
        f"flashed; store one of: {_SUPPORTED}"
    )


# -- snapshots: what add()/put() keep ------------------------------------
#
# The same checks as the tag walk, building a copy in the stored types
# instead of tagged JSON: one walk both refuses what cannot be stored and
# detaches what can from the caller's objects. Immutable leaves are their
# own snapshot.


def _snap_same(value: Any, depth: int) -> Any:
    return value


def _snap_checked(value: Any, depth: int) -> Any:
    # str, int, Markup and datetime: the tagger's checks, the value itself.
    _TAGGERS[type(value)](value, depth)
    return value


def _snap_list(value: list[Any], depth: int) -> list[Any]:
    _enter(depth)
    return [_snapshot(item, depth + 1) for item in value]


def _snap_tuple(value: tuple[Any, ...], depth: int) -> tuple[Any, ...]:
    _enter(depth)
    return tuple([_snapshot(item, depth + 1) for item in value])


def _snap_dict(value: dict[Any, Any], depth: int) -> dict[str, Any]:
    _enter(depth)
    out = {}
    for key, item in value.items():
        if type(key) is not str:
            raise TypeError(
                f"dict keys must be str to be flashed, not {type(key).__name__}"
            )
        out[_tag_str(key, depth)] = _snapshot(item, depth + 1)
    return out


_SNAPSHOTS: dict[type, Callable[[Any, int], Any]] = {
    str: _snap_checked,
    int: _snap_checked,
    float: _snap_same,
    bool: _snap_same,
    type(None): _snap_same,
    list: _snap_list,
    tuple: _snap_tuple,
    dict: _snap_dict,
    Markup: _snap_checked,
    datetime.datetime: _snap_checked,
    datetime.date: _snap_same,
    uuid.UUID: _snap_same,
}


def _snapshot(value: Any, depth: int) -> Any:
    snap = _SNAPSHOTS.get(type(value))
    if snap is not None:
        return snap(value, depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Stored as its fields, read back as a dict: the snapshot is that dict.
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _snap_dict(fields, depth)
    raise _unstorable(value)


def _untag_float(value: Any, depth: int) -> float:
    if value not in ("nan", "inf", "-inf"):
        raise _Invalid("malformed float tag")
    return float(value)


def _check_depth(depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise _Invalid(f"nested more than {MAX_DEPTH} containers deep")


def _untag_tuple(value: Any, depth: int) -> tuple[Any, ...]:
    if type(value) is not list:
        raise _Invalid("malformed tuple tag")
    _check_depth(depth)
    return tuple([_untag(item, depth + 1) for item in value])


def _untag_dict(value: Any, depth: int) -> dict[str, Any]:
    if type(value) is not dict or len(value) != 1:
        raise _Invalid("malformed dict tag")
    _check_depth(depth)
    return {key: _untag(item, depth + 1) for key, item in value.items()}


def _untag_markup(value: Any, depth: int) -> Markup:
    if type(value) is not str:
        raise _Invalid("malformed Markup tag")
    # Only text this server signed arrives here, and it was Markup when the
    # app stored it: trusted HTML stays trusted, as the app decided.
    return Markup(value)  # noqa: S704


def _untag_datetime(value: Any, depth: int) -> datetime.datetime:
    if type(value) is not str:
        raise _Invalid("malformed datetime tag")
    return datetime.datetime.fromisoformat(value)


def _untag_aware_datetime(value: Any, depth: int) -> datetime.datetime:
    if type(value) is not list or len(value) != 2 or type(value[1]) is not int:
        raise _Invalid("malformed aware datetime tag")
    offset = datetime.timezone(datetime.timedelta(microseconds=value[1]))
    return _untag_datetime(value[0], depth).replace(tzinfo=offset)


def _untag_date(value: Any, depth: int) -> datetime.date:
    if type(value) is not str:
        raise _Invalid("malformed date tag")
    date = datetime.date.fromisoformat(value)
    # Newer Pythons also read week dates ("2026-W01-1"): only what
    # isoformat() writes is ours.
    if date.isoformat() != value:
        raise _Invalid("non-canonical date tag")
    return date


def _untag_uuid(value: Any, depth: int) -> uuid.UUID:
    if type(value) is not str or len(value) != 32:
        raise _Invalid("malformed UUID tag")
    return uuid.UUID(hex=value)


_UNTAGGERS: dict[str, Callable[[Any, int], Any]] = {
    " f": _untag_float,
    " t": _untag_tuple,
    " di": _untag_dict,
    " m": _untag_markup,
    " dt": _untag_datetime,
    " dtz": _untag_aware_datetime,
    " d": _untag_date,
    " u": _untag_uuid,
}


def _untag(node: Any, depth: int) -> Any:
    kind = type(node)
    if kind is str or kind is int or kind is float or kind is bool or node is None:
        return node
    if kind is list:
        _check_depth(depth)
        return [_untag(item, depth + 1) for item in node]
    if len(node) == 1:
        ((key, value),) = node.items()
        if key.startswith(_TAG_START):
            untagger = _UNTAGGERS.get(key)
            if untagger is None:
                raise _Invalid(f"unknown type tag {key!r}")
            # A tag is one value, a container only if it says so (tuple, dict).
            return untagger(value, depth)
    _check_depth(depth)
    return {key: _untag(item, depth + 1) for key, item in node.items()}


def _reject_constant(name: str) -> Any:
    raise _Invalid(f"JSON constant {name} is not allowed")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Invalid(f"int with more than {MAX_INT_DIGITS} digits")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Invalid("duplicate key in a JSON object")
    return out


_decoder = json.JSONDecoder(
    parse_int=_bounded_int,
    parse_constant=_reject_constant,
    object_pairs_hook=_unique_keys,
)
# The C scanners json.JSONDecoder builds (typeshed does not declare them).
_Scanner = Callable[[str, int], tuple[Any, int]]
_scan_once: _Scanner = getattr(_decoder, "scan_once")  # noqa: B009
# The same without the bound on ints: for a text with too few digits in all
# to hold a long one, where json's own int() is exact and needs no call.
_scan_short_ints: _Scanner = getattr(  # noqa: B009
    json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_unique_keys),
    "scan_once",
)
_DIGITS = b"0123456789"


def _parse(text: str, scan: _Scanner = _scan_once) -> Any:
    """Return what ``_decoder.decode(text)`` returns, the short way when it can.

    What :meth:`TaggedJSONSerializer.dumps` writes has no white space, so
    the scanner alone reads it to the end; anything else (white space
    around it, trailing text, an error) takes the decoder's full path,
    which accepts or refuses it exactly as before. ``scan`` may be
    :data:`_scan_short_ints` when ``text`` has at most
    :data:`MAX_INT_DIGITS` digits.
    """
    try:
        obj, end = scan(text, 0)
    except (StopIteration, ValueError):
        end = -1
    if end == len(text):
        return obj
    return _decoder.decode(text)


_encoder = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, check_circular=False, separators=(",", ":")
)


def _is_plain_meta(value: Any) -> bool:
    """Tell whether ``value`` is a cookie's ``[suffix, stamps]`` that needs no tag.

    That is a list of an ASCII ``str`` and a list of lists of ASCII ``str``
    and bounded ``int``: :func:`_tag` would return an equal copy of it, so
    it is encoded as it is (the layout writes one per cookie).
    """
    if type(value) is not list or len(value) != 2:
        return False
    suffix, stamps = value
    if type(suffix) is not str or not suffix.isascii() or type(stamps) is not list:
        return False
    for stamp in stamps:
        if type(stamp) is not list:
            return False
        for part in stamp:
            kind = type(part)
            if kind is str:
                if not part.isascii():
                    return False
            elif kind is not int or not -_INT_BOUND < part < _INT_BOUND:
                return False
    return True


def _untagged(document: list[Any]) -> bool:
    """Tell whether a flash document's values are all text or plain metas.

    :func:`_tag` would return an equal copy of such a document.
    """
    for part in document:
        for _, value in part:
            if type(value) is not str and not _is_plain_meta(value):
                return False
    return True


def _make_encode() -> Callable[[Any], str]:
    # What _encoder.encode does for a list, minus building json's C encoder
    # anew on every call (the encoder checks nothing circular: no markers).
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover (CPython always has the C encoder)
        return _encoder.encode
    encode = make(
        None,
        _encoder.default,
        json.encoder.encode_basestring,
        None,
        ":",
        ",",
        False,
        False,
        False,
    )

    def encode_list(document: Any) -> str:
        return "".join(encode(document, 0))

    return encode_list


_encode = _make_encode()


def text_pairs_json(pairs: list[list[str]]) -> str:
    """Return the JSON :class:`TaggedJSONSerializer` writes for ``[str, str]`` pairs.

    Text needs no tag, so this is the text of the pairs inside any document
    that holds them (see :func:`flashmw.layout.plain_data`).
    """
    return _encode(pairs)


class TaggedJSONSerializer:
    """The default serializer: compact JSON with tags for non-JSON types.

    Decoding is bounded: at most :data:`MAX_DEPTH` nested containers per
    value, ints of at most :data:`MAX_INT_DIGITS` digits, no NaN/Infinity
    literals, no duplicate object keys, no lone surrogates and no tag
    outside the registry. Anything else raises :class:`ValueError`.
    """

    def validate(self, value: Any) -> None:
        """Raise :class:`TypeError` unless ``value`` can be stored."""
        _tag(value, 0)

    def snapshot(self, value: Any) -> Any:
        """Return a copy of ``value`` that shares no container with it.

        The copy is what a later request reads back: lists, tuples and
        dicts are copied all the way down, a dataclass becomes the dict of
        its fields, and immutable values (``str``, numbers, ``Markup``,
        dates, UUIDs) are their own copy. Checking and copying are one
        walk.

        :raises TypeError: if ``value`` cannot be stored.
        """
        return _snapshot(value, 0)

    def dumps(self, obj: Any) -> bytes:
        """Encode a flash document to UTF-8 JSON.

        :raises TypeError: if it holds a value that cannot be stored.
        """
        if type(obj) is list and len(obj) == 2:
            # The flash document: two lists of (name, value) pairs, whose
            # names are str already. Plain text values, the common case,
            # need no tag and no call; with nothing to tag, the document is
            # encoded as it is.
            if _untagged(obj):
                return _encode(obj).encode("utf-8")
            document = [
                [
                    [name, v if type(v) is str or _is_plain_meta(v) else _tag(v, 0)]
                    for name, v in part
                ]
                for part in obj
            ]
        else:
            # Anything else: the document wraps each value in three lists,
            # so start three levels up.
            document = _tag(obj, -3)
        return _encode(document).encode("utf-8")

    def loads(self, data: bytes) -> Any:
        """Decode what :meth:`dumps` produced.

        :raises ValueError: for anything it would not have produced.
        """
        text = data.decode("utf-8")
        # No int can be too long in a text with that few digits in all.
        short = len(data) - len(data.translate(None, _DIGITS)) <= MAX_INT_DIGITS
        try:
            obj = _parse(text, _scan_short_ints if short else _scan_once)
        except RecursionError:
            # json's C scanner recurses per bracket; Python's limit stops it.
            raise _Invalid("JSON nested too deep to parse") from None
        if "\\u" in text:
            # Only an escape can smuggle a lone surrogate past strict UTF-8
            # decoding; re-encoding finds one anywhere in the document.
            try:
                _encoder.encode(obj).encode("utf-8")
            except UnicodeEncodeError:
                raise _Invalid("lone surrogate in a string") from None
        if "{" not in text and text.count("[") <= _UNTAG_FREE_BRACKETS:
            # No object means no tag, and too few brackets to nest past
            # MAX_DEPTH: _untag would return an equal copy. Plain messages,
            # the common case, skip that walk.
            return obj
        return _untag(obj, -3)
